/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-page.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_VIDEO_REGISTER_PAGE (clave_video_register_page_get_type ())
G_DECLARE_FINAL_TYPE (ClaveVideoRegisterPage, clave_video_register_page, CLAVE,
                      VIDEO_REGISTER_PAGE, ClavePage)

/* Empties the page, forgetting a registration in progress: the data
 * first. */
void clave_video_register_page_reset (ClaveVideoRegisterPage *self);

G_END_DECLS
