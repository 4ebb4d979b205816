/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* The "?" beside an option, as the Cl@ve app has: a button that opens a
 * popover with two or three sentences on what the option does and what
 * it needs. Screen readers read the button as "Help: TOPIC" and the
 * popover's text when it opens. Set in a .ui:
 *
 *   <object class="ClaveHelpButton">
 *     <property name="topic" translatable="yes">My data in Cl@ve</property>
 *     <property name="text" translatable="yes">…</property>
 *   </object>
 */
#define CLAVE_TYPE_HELP_BUTTON (clave_help_button_get_type ())
G_DECLARE_FINAL_TYPE (ClaveHelpButton, clave_help_button, CLAVE, HELP_BUTTON, AdwBin)

GtkWidget  *clave_help_button_new       (const char      *topic,
                                         const char      *text);
const char *clave_help_button_get_topic (ClaveHelpButton *self);
const char *clave_help_button_get_text  (ClaveHelpButton *self);
/* Opens the popover, as a click does. */
void        clave_help_button_popup     (ClaveHelpButton *self);
GtkPopover *clave_help_button_get_popover (ClaveHelpButton *self);

G_END_DECLS
