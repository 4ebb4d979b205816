/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-gui-test.h"
#include "clave-pin-dialog.h"

G_BEGIN_DECLS

/* What the certificate and card tests share: the certificate page's
 * lists (cards, then files) and the PIN dialog. */

GtkListBox     *gui_certificate_list          (GuiFixture      *fixture,
                                               const char      *id);
guint           gui_n_card_rows               (GuiFixture      *fixture);
/* Cards and files. */
guint           gui_n_certificate_rows        (GuiFixture      *fixture);
/* The @index-th row, counting the cards first. */
AdwActionRow   *gui_certificate_row           (GuiFixture      *fixture,
                                               guint            index);
const char     *gui_stack_child               (GuiFixture      *fixture,
                                               const char      *id);

/* The titles of every row under the widget @id, one a line. */
char           *gui_titles_of                 (GuiFixture      *fixture,
                                               const char      *id);
/* The same with each action row's subtitle: "title | subtitle". */
char           *gui_rows_of                   (GuiFixture      *fixture,
                                               const char      *id);

ClavePinDialog *gui_wait_for_pin_dialog       (void);
GtkWidget      *gui_in_dialog                 (ClavePinDialog  *dialog,
                                               const char      *id);
const char     *gui_dialog_text               (ClavePinDialog  *dialog,
                                               const char      *id);
/* Types @secret and presses the button once the dialog takes it. */
void            gui_submit_secret             (ClavePinDialog  *dialog,
                                               const char      *secret);

G_END_DECLS
