/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "clave-store.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_ANSWER_QUEUE (clave_answer_queue_get_type ())
G_DECLARE_FINAL_TYPE (ClaveAnswerQueue, clave_answer_queue, CLAVE, ANSWER_QUEUE, GObject)

/* Devices' answers to authentication requests, written by a thread of
 * their own with group commit: the answers that arrive while one commit
 * syncs the log to disk wait, and go together into the next transaction
 * (clave_store_answer_auth_requests()), so that a sync serves all of
 * them instead of one each. The main loop never waits for these commits
 * on their behalf (its own writes still sync, and may wait for the
 * queue's commit to end: clave-sqlite-store.c busy_wait(), up to 5 s,
 * after which that one request fails); an answer's callback runs (on
 * the context that submitted it) only once its transaction is durably
 * committed, so an acknowledged answer is never lost, synchronous=FULL
 * notwithstanding.
 *
 * @store is the thread's own connection to the database (a second one:
 * SQLite connections are not shared between threads here); from now on
 * only the queue's thread uses it. */
ClaveAnswerQueue     *clave_answer_queue_new           (ClaveStore            *store);
/* Queues @answer (copied). The callback gets the result. */
void                  clave_answer_queue_submit_async  (ClaveAnswerQueue      *self,
                                                        const ClaveAuthAnswer *answer,
                                                        GCancellable          *cancellable,
                                                        GAsyncReadyCallback    callback,
                                                        gpointer               user_data);
/* The answer's result; -1 with @error when it was not stored (the
 * transaction failed: CLAVE_STORE_ERROR; or it was cancelled before the
 * thread took it: G_IO_ERROR_CANCELLED). */
int                   clave_answer_queue_submit_finish (ClaveAnswerQueue      *self,
                                                        GAsyncResult          *result,
                                                        GError               **error);
/* Refuses further answers, commits those queued, and ends the thread
 * (which closes its store). Called again, does nothing. */
void                  clave_answer_queue_close         (ClaveAnswerQueue      *self);
/* How many answers, and in how many transactions, so far. */
void                  clave_answer_queue_get_stats     (ClaveAnswerQueue      *self,
                                                        guint64               *answers,
                                                        guint64               *commits);

G_END_DECLS
