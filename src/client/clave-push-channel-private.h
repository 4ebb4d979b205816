/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-push-channel.h"

G_BEGIN_DECLS

/* For tests: the wait before attempt number @attempt (0-based) between
 * @min_ms and @max_ms, doubling each time, with @jitter in [0, 1) taking
 * off up to half of it. */
guint _clave_push_backoff_delay_ms       (guint              attempt,
                                          guint              min_ms,
                                          guint              max_ms,
                                          double             jitter);

/* Shorter waits so that tests need not sleep for seconds. */
void  _clave_push_channel_set_backoff    (ClavePushChannel  *self,
                                          guint              min_ms,
                                          guint              max_ms);
/* Connection attempts made since start() (for tests of the backoff). */
guint _clave_push_channel_get_attempts   (ClavePushChannel  *self);
/* What the channel does with a frame the service sent (@type a
 * SoupWebsocketDataType): the connection's "message" handler, callable
 * without a connection so that tests and tests/fuzz/fuzz-push-frame.c can
 * feed it frames. */
void  _clave_push_channel_handle_message (ClavePushChannel  *self,
                                          int                type,
                                          GBytes            *message);

G_END_DECLS
