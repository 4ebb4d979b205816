/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include "clave-answer-queue.h"

/* Answers taken into one transaction at most: bounds the time a commit
 * holds the write lock (the main loop's own writes wait for it). */
#define MAX_BATCH 256

struct _ClaveAnswerQueue
{
  GObject     parent_instance;

  ClaveStore *store;
  GThread    *thread;
  GMutex      lock;
  GCond       wake;
  GQueue      pending;      /* Job*, under lock */
  gboolean    closing;      /* under lock */
  guint64     n_answers;    /* under lock */
  guint64     n_commits;    /* under lock */
};

typedef struct {
  GTask           *task;
  ClaveAuthAnswer  answer;  /* its strings owned */
} Job;

G_DEFINE_FINAL_TYPE (ClaveAnswerQueue, clave_answer_queue, G_TYPE_OBJECT)

static void
job_free (Job *job)
{
  g_clear_object (&job->task);
  g_free ((char *) job->answer.request_id);
  g_free ((char *) job->answer.status);
  g_free ((char *) job->answer.citizen);
  g_free ((char *) job->answer.device_id);
  g_free ((char *) job->answer.nonce);
  g_free (job);
}

/* Returns each job's outcome; its callback runs on its own context. */
static void
finish_jobs (GPtrArray       *jobs,
             ClaveAuthAnswer *answers,
             const GError    *error)
{
  for (guint i = 0; i < jobs->len; i++)
    {
      Job *job = g_ptr_array_index (jobs, i);

      if (error != NULL)
        g_task_return_error (job->task, g_error_copy (error));
      else if (answers[i].result == CLAVE_AUTH_ANSWER_FAILED)
        g_task_return_error (job->task, answers[i].error != NULL
                                        ? g_steal_pointer (&answers[i].error)
                                        : g_error_new_literal (CLAVE_STORE_ERROR,
                                                               CLAVE_STORE_ERROR_FAILED,
                                                               "The answer was not stored"));
      else
        g_task_return_int (job->task, answers[i].result);
    }
}

static void
run_batch (ClaveAnswerQueue *self,
           GPtrArray        *jobs)
{
  g_autoptr(GPtrArray) live = g_ptr_array_new ();
  g_autofree ClaveAuthAnswer *answers = NULL;
  g_autoptr(GError) error = NULL;

  /* A job cancelled before now is answered so, and not stored. */
  for (guint i = 0; i < jobs->len; i++)
    {
      Job *job = g_ptr_array_index (jobs, i);

      if (!g_task_return_error_if_cancelled (job->task))
        g_ptr_array_add (live, job);
    }
  if (live->len == 0)
    return;

  answers = g_new0 (ClaveAuthAnswer, live->len);
  for (guint i = 0; i < live->len; i++)
    answers[i] = ((Job *) g_ptr_array_index (live, i))->answer;
  clave_store_answer_auth_requests (self->store, answers, live->len, &error);
  finish_jobs (live, answers, error);

  g_mutex_lock (&self->lock);
  self->n_answers += live->len;
  self->n_commits++;
  g_mutex_unlock (&self->lock);
}

static gpointer
worker (gpointer user_data)
{
  ClaveAnswerQueue *self = user_data;

  g_mutex_lock (&self->lock);
  for (;;)
    {
      g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) job_free);

      while (g_queue_is_empty (&self->pending) && !self->closing)
        g_cond_wait (&self->wake, &self->lock);
      if (g_queue_is_empty (&self->pending))
        break;

      /* Everything that came while the last commit ran. */
      while (!g_queue_is_empty (&self->pending) && jobs->len < MAX_BATCH)
        g_ptr_array_add (jobs, g_queue_pop_head (&self->pending));
      g_mutex_unlock (&self->lock);

      run_batch (self, jobs);
      g_clear_pointer (&jobs, g_ptr_array_unref);

      g_mutex_lock (&self->lock);
    }
  g_mutex_unlock (&self->lock);

  clave_store_close (self->store);
  return NULL;
}

ClaveAnswerQueue *
clave_answer_queue_new (ClaveStore *store)
{
  ClaveAnswerQueue *self;

  g_return_val_if_fail (CLAVE_IS_STORE (store), NULL);

  self = g_object_new (CLAVE_TYPE_ANSWER_QUEUE, NULL);
  self->store = g_object_ref (store);
  self->thread = g_thread_new ("clave-answers", worker, self);
  return self;
}

void
clave_answer_queue_submit_async (ClaveAnswerQueue      *self,
                                 const ClaveAuthAnswer *answer,
                                 GCancellable          *cancellable,
                                 GAsyncReadyCallback    callback,
                                 gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (CLAVE_IS_ANSWER_QUEUE (self));
  g_return_if_fail (answer != NULL && answer->device_id != NULL && answer->nonce != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_answer_queue_submit_async);

  g_mutex_lock (&self->lock);
  if (self->closing)
    {
      g_mutex_unlock (&self->lock);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CLOSED,
                               "The service is stopping");
      return;
    }
  job = g_new0 (Job, 1);
  job->task = g_steal_pointer (&task);
  job->answer.request_id = g_strdup (answer->request_id);
  job->answer.status = g_strdup (answer->status);
  job->answer.citizen = g_strdup (answer->citizen);
  job->answer.device_id = g_strdup (answer->device_id);
  job->answer.nonce = g_strdup (answer->nonce);
  job->answer.now = answer->now;
  g_queue_push_tail (&self->pending, job);
  g_cond_signal (&self->wake);
  g_mutex_unlock (&self->lock);
}

int
clave_answer_queue_submit_finish (ClaveAnswerQueue  *self,
                                  GAsyncResult      *result,
                                  GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);
  return (int) g_task_propagate_int (G_TASK (result), error);
}

void
clave_answer_queue_close (ClaveAnswerQueue *self)
{
  g_return_if_fail (CLAVE_IS_ANSWER_QUEUE (self));

  g_mutex_lock (&self->lock);
  self->closing = TRUE;
  g_cond_signal (&self->wake);
  g_mutex_unlock (&self->lock);
  /* (Never from the thread itself, which would wait for itself.) */
  if (self->thread != NULL && self->thread != g_thread_self ())
    g_clear_pointer (&self->thread, g_thread_join);
}

void
clave_answer_queue_get_stats (ClaveAnswerQueue *self,
                              guint64          *answers,
                              guint64          *commits)
{
  g_return_if_fail (CLAVE_IS_ANSWER_QUEUE (self));

  g_mutex_lock (&self->lock);
  *answers = self->n_answers;
  *commits = self->n_commits;
  g_mutex_unlock (&self->lock);
}

static void
clave_answer_queue_dispose (GObject *object)
{
  ClaveAnswerQueue *self = CLAVE_ANSWER_QUEUE (object);

  clave_answer_queue_close (self);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (clave_answer_queue_parent_class)->dispose (object);
}

static void
clave_answer_queue_finalize (GObject *object)
{
  ClaveAnswerQueue *self = CLAVE_ANSWER_QUEUE (object);

  g_mutex_clear (&self->lock);
  g_cond_clear (&self->wake);

  G_OBJECT_CLASS (clave_answer_queue_parent_class)->finalize (object);
}

static void
clave_answer_queue_class_init (ClaveAnswerQueueClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = clave_answer_queue_dispose;
  object_class->finalize = clave_answer_queue_finalize;
}

static void
clave_answer_queue_init (ClaveAnswerQueue *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->wake);
  g_queue_init (&self->pending);
}
