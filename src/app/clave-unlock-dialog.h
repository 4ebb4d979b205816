/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "clave-device-key.h"

G_BEGIN_DECLS

/* What the dialog says it asks the PIN for; a NULL member (or a NULL
 * prompt) keeps the default: unlocking the device. */
typedef struct {
  const char *title;    /* the window's title: the action */
  const char *heading;
  const char *body;     /* what is approved, to check before typing */
  const char *button;   /* with a mnemonic: "_Confirm" */
} ClaveUnlockPrompt;

#define CLAVE_TYPE_UNLOCK_DIALOG (clave_unlock_dialog_get_type ())
G_DECLARE_FINAL_TYPE (ClaveUnlockDialog, clave_unlock_dialog, CLAVE, UNLOCK_DIALOG, AdwWindow)

/* Asks for the device PIN over @parent until @key unlocks, the person
 * cancels (G_IO_ERROR_CANCELLED) or the key is erased after too many wrong
 * PINs (CLAVE_DEVICE_KEY_ERROR_WIPED). Wrong PINs and waits are explained
 * inside the dialog, which stays open for them. */
void     clave_unlock_dialog_run_async  (GtkWindow            *parent,
                                         ClaveDeviceKey       *key,
                                         const ClaveUnlockPrompt *prompt,
                                         GCancellable         *cancellable,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data);
gboolean clave_unlock_dialog_run_finish (GAsyncResult         *result,
                                         GError              **error);

G_END_DECLS
