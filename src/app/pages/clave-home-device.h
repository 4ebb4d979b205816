/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* The home page of an activated device: the document, failed attempts
 * to log in with it, the state of the Cl@ve Mobile channel and the
 * options. Made by ClaveHomePage when first
 * needed, so that a computer that is not activated yet does not build it
 * before its first window. */
#define CLAVE_TYPE_HOME_DEVICE (clave_home_device_get_type ())
G_DECLARE_FINAL_TYPE (ClaveHomeDevice, clave_home_device, CLAVE, HOME_DEVICE, AdwBin)

ClaveHomeDevice *clave_home_device_new          (void);
void             clave_home_device_set_document (ClaveHomeDevice *self,
                                                 const char      *text);
void             clave_home_device_set_push     (ClaveHomeDevice *self,
                                                 const char      *title,
                                                 const char      *subtitle,
                                                 const char      *icon_name);
/* The notice of failed attempts to log in with the person's document,
 * titled @title; NULL hides it. */
void             clave_home_device_set_failures (ClaveHomeDevice *self,
                                                 const char      *title);

G_END_DECLS
