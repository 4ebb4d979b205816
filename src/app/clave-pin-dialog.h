/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "clave-token-manager.h"

G_BEGIN_DECLS

/**
 * ClavePinDialogKind:
 * @CLAVE_PIN_DIALOG_CARD_PIN: the PIN of a smartcard (DNIe or other card)
 * @CLAVE_PIN_DIALOG_FILE_PASSWORD: the password of a PKCS#12 file
 */
typedef enum {
  CLAVE_PIN_DIALOG_CARD_PIN,
  CLAVE_PIN_DIALOG_FILE_PASSWORD,
} ClavePinDialogKind;

#define CLAVE_TYPE_PIN_DIALOG (clave_pin_dialog_get_type ())
G_DECLARE_FINAL_TYPE (ClavePinDialog, clave_pin_dialog, CLAVE, PIN_DIALOG, AdwWindow)

/* Asks for a card PIN or a certificate file's password over @parent. The
 * dialog only asks and shows: whoever opened it does the work on
 * "submitted" (with the secret) and reports back with set_busy(),
 * set_error() and set_flags(), or closes it with finish(). "cancelled" is
 * emitted when the person closes the dialog. */
ClavePinDialog *clave_pin_dialog_new              (GtkWindow          *parent,
                                                   ClavePinDialogKind  kind,
                                                   const char         *description);
void            clave_pin_dialog_set_button_label (ClavePinDialog     *self,
                                                   const char         *label);
/* What the card says about its PIN: tries left, locked, PIN pad. */
void            clave_pin_dialog_set_flags        (ClavePinDialog     *self,
                                                   ClavePinFlags       flags);
ClavePinFlags   clave_pin_dialog_get_flags        (ClavePinDialog     *self);
void            clave_pin_dialog_set_busy         (ClavePinDialog     *self,
                                                   gboolean            busy);
/* @card_problem adds a Diagnostics button next to the message. The
 * field is emptied for the next try. */
/* While busy: the card has not answered for a while (another program
 * may hold it). Cleared when the dialog stops being busy. */
void            clave_pin_dialog_set_card_busy    (ClavePinDialog     *self,
                                                   gboolean            card_busy);
void            clave_pin_dialog_set_error        (ClavePinDialog     *self,
                                                   const char         *message,
                                                   gboolean            card_problem);
/* Closes the dialog without "cancelled". */
void            clave_pin_dialog_finish           (ClavePinDialog     *self);

G_END_DECLS
