/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-my-requests-page"

#include "config.h"

#include <glib/gi18n.h>

#include "clave-document.h"
#include "clave-my-requests-page.h"
#include "clave-history-store.h"
#include "clave-protocol.h"
#include "clave-window.h"

struct _ClaveMyRequestsPage
{
  ClavePage          parent_instance;

  /* Template widgets */
  GtkStack          *history_stack;
  GtkStack          *history_list_stack;
  GtkListView       *history_list;
  GtkDropDown       *history_status_dropdown;
  GtkDropDown       *history_type_dropdown;
  GtkToggleButton   *history_filters_button;
  GtkEditable       *history_organisation_entry;
  GtkEditable       *history_from_entry;
  GtkEditable       *history_to_entry;
  GtkLabel          *history_sync_label;
  AdwStatusPage     *history_empty_status;
  AdwStatusPage     *history_error_status;
  GtkWidget         *history_unlock_button;

  GSettings         *settings;
  /* "history": the sort menu's action. Inserted at init, before the
   * menu's popover exists: a group inserted once the popover's items had
   * looked for their action left them greyed out (GTK 4.8). */
  GSimpleActionGroup *actions;
  ClaveHistoryStore *store;
  ClaveHistoryModel *model;
  gboolean           loading_settings;
};

G_DEFINE_FINAL_TYPE (ClaveMyRequestsPage, clave_my_requests_page, CLAVE_TYPE_PAGE)

/* The dropdowns' positions and the values the settings keep. */
static const char *const status_values[] = {
  "", CLAVE_REQUEST_STATUS_CONFIRMED, CLAVE_REQUEST_STATUS_REJECTED,
  CLAVE_REQUEST_STATUS_EXPIRED, CLAVE_REQUEST_STATUS_PENDING,
};
static const char *const type_values[] = {
  "", CLAVE_REQUEST_TYPE_QR, CLAVE_REQUEST_TYPE_PUSH, CLAVE_REQUEST_TYPE_SMS,
};

static guint
value_position (const char *const *values,
                guint              n_values,
                const char        *value)
{
  for (guint i = 0; i < n_values; i++)
    if (g_strcmp0 (values[i], value) == 0)
      return i;

  return 0;
}

static void
update_empty (ClaveMyRequestsPage *self)
{
  const ClaveHistoryFilter *filter;
  const GError *error;
  gboolean filtered;

  if (self->model == NULL)
    return;

  /* The list could not be read: not "no requests", which would be false. */
  error = clave_history_model_get_error (self->model);
  if (error != NULL)
    {
      adw_status_page_set_description (self->history_error_status, error->message);
      gtk_stack_set_visible_child_name (self->history_list_stack, "error");
      return;
    }

  if (g_list_model_get_n_items (G_LIST_MODEL (self->model)) > 0)
    {
      gtk_stack_set_visible_child_name (self->history_list_stack, "rows");
      return;
    }

  filter = clave_history_model_get_filter (self->model);
  filtered = (filter->status != NULL && *filter->status != '\0')
             || (filter->type != NULL && *filter->type != '\0')
             || (filter->organisation != NULL && *filter->organisation != '\0')
             || filter->from != 0 || filter->to != 0;
  adw_status_page_set_title (self->history_empty_status,
                             filtered ? _("No requests match") : _("No requests yet"));
  adw_status_page_set_description (self->history_empty_status,
                                   filtered
                                   ? _("Change or clear the filters to see more requests.")
                                   : _("When a website asks you to log in with Cl@ve Mobile, the "
                                       "request is listed here."));
  gtk_stack_set_visible_child_name (self->history_list_stack, "empty");
}

/* A date field: empty, or a date as on the login page. Marks it when it
 * is not one and returns FALSE. */
static gboolean
read_day (GtkEditable *entry,
          gboolean     end_of_day,
          char       **iso,
          gint64      *bound)
{
  const char *text = gtk_editable_get_text (entry);
  g_autofree char *normalized = NULL;

  *bound = 0;
  *iso = NULL;
  if (*text == '\0')
    {
      gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
      *iso = g_strdup ("");
      return TRUE;
    }

  normalized = clave_date_normalize (text, NULL);
  if (normalized == NULL || !clave_history_parse_day (normalized, end_of_day, bound))
    {
      gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
      return FALSE;
    }

  gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
  *iso = g_steal_pointer (&normalized);
  return TRUE;
}

static void
apply_filter (ClaveMyRequestsPage *self)
{
  g_autoptr(ClaveHistoryFilter) filter = clave_history_filter_new ();
  g_autofree char *sort = NULL;

  if (self->settings == NULL)
    return;

  filter->status = g_settings_get_string (self->settings, "history-filter-status");
  filter->type = g_settings_get_string (self->settings, "history-filter-type");
  filter->organisation = g_settings_get_string (self->settings, "history-filter-organisation");
  g_strstrip (filter->organisation);
  {
    g_autofree char *from = g_settings_get_string (self->settings, "history-filter-from");
    g_autofree char *to = g_settings_get_string (self->settings, "history-filter-to");

    if (!clave_history_parse_day (from, FALSE, &filter->from))
      filter->from = 0;
    if (!clave_history_parse_day (to, TRUE, &filter->to))
      filter->to = 0;
  }
  sort = g_settings_get_string (self->settings, "history-sort");
  filter->sort = clave_history_sort_from_string (sort);

  if (self->model != NULL)
    {
      clave_history_model_set_filter (self->model, filter);
      update_empty (self);
    }
}

/* The widgets show what the settings say (they also change elsewhere). */
static void
load_settings (ClaveMyRequestsPage *self)
{
  g_autofree char *status = g_settings_get_string (self->settings, "history-filter-status");
  g_autofree char *type = g_settings_get_string (self->settings, "history-filter-type");
  g_autofree char *organisation = g_settings_get_string (self->settings, "history-filter-organisation");
  g_autofree char *from = g_settings_get_string (self->settings, "history-filter-from");
  g_autofree char *to = g_settings_get_string (self->settings, "history-filter-to");

  self->loading_settings = TRUE;
  gtk_drop_down_set_selected (self->history_status_dropdown,
                              value_position (status_values, G_N_ELEMENTS (status_values), status));
  gtk_drop_down_set_selected (self->history_type_dropdown,
                              value_position (type_values, G_N_ELEMENTS (type_values), type));
  if (g_strcmp0 (gtk_editable_get_text (self->history_organisation_entry), organisation) != 0)
    gtk_editable_set_text (self->history_organisation_entry, organisation);
  /* A date being typed is not replaced by its own normalized form. */
  if (!gtk_widget_has_focus (GTK_WIDGET (self->history_from_entry)) || *from == '\0')
    {
      g_autofree char *display = *from != '\0' ? clave_date_format_display (from) : g_strdup ("");
      gint64 unused;
      g_autofree char *current = NULL;

      if (!read_day (self->history_from_entry, FALSE, &current, &unused)
          || g_strcmp0 (current, from) != 0)
        gtk_editable_set_text (self->history_from_entry, display != NULL ? display : "");
    }
  if (!gtk_widget_has_focus (GTK_WIDGET (self->history_to_entry)) || *to == '\0')
    {
      g_autofree char *display = *to != '\0' ? clave_date_format_display (to) : g_strdup ("");
      gint64 unused;
      g_autofree char *current = NULL;

      if (!read_day (self->history_to_entry, TRUE, &current, &unused)
          || g_strcmp0 (current, to) != 0)
        gtk_editable_set_text (self->history_to_entry, display != NULL ? display : "");
    }
  /* The filters fold away on a narrow window, but not while one is on:
   * rows left out for a reason out of sight would look lost. */
  if (*status != '\0' || *type != '\0' || *from != '\0' || *to != '\0')
    gtk_toggle_button_set_active (self->history_filters_button, TRUE);
  self->loading_settings = FALSE;
}

static void
on_settings_changed (ClaveMyRequestsPage *self,
                     const char       *key)
{
  if (!g_str_has_prefix (key, "history-"))
    return;

  load_settings (self);
  apply_filter (self);
}

static void
on_status_selected (ClaveMyRequestsPage *self)
{
  guint position = gtk_drop_down_get_selected (self->history_status_dropdown);

  if (self->loading_settings || self->settings == NULL || position >= G_N_ELEMENTS (status_values))
    return;
  g_settings_set_string (self->settings, "history-filter-status", status_values[position]);
}

static void
on_type_selected (ClaveMyRequestsPage *self)
{
  guint position = gtk_drop_down_get_selected (self->history_type_dropdown);

  if (self->loading_settings || self->settings == NULL || position >= G_N_ELEMENTS (type_values))
    return;
  g_settings_set_string (self->settings, "history-filter-type", type_values[position]);
}

static void
on_organisation_changed (ClaveMyRequestsPage *self)
{
  if (self->loading_settings || self->settings == NULL)
    return;
  g_settings_set_string (self->settings, "history-filter-organisation",
                         gtk_editable_get_text (self->history_organisation_entry));
}

static void
on_date_changed (ClaveMyRequestsPage *self,
                 GParamSpec       *pspec,
                 GtkEditable      *entry)
{
  g_autofree char *iso = NULL;
  gint64 bound;
  gboolean to = entry == self->history_to_entry;

  if (self->loading_settings || self->settings == NULL)
    return;
  /* Half-typed dates change nothing until they are one. */
  if (!read_day (entry, to, &iso, &bound))
    return;
  g_settings_set_string (self->settings, to ? "history-filter-to" : "history-filter-from", iso);
}

/* Rows */

static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item,
           gpointer                  user_data)
{
  GtkWidget *box, *texts, *organisation, *details, *status_box, *icon, *status;

  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_margin_top (box, 9);
  gtk_widget_set_margin_bottom (box, 9);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);

  texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  gtk_widget_set_hexpand (texts, TRUE);
  organisation = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (organisation), 0.0);
  /* Long names and details wrap on a phone rather than being cut. */
  gtk_label_set_wrap (GTK_LABEL (organisation), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (organisation), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_natural_wrap_mode (GTK_LABEL (organisation), GTK_NATURAL_WRAP_NONE);
  gtk_widget_add_css_class (organisation, "heading");
  gtk_widget_set_name (organisation, "history_row_organisation");
  details = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (details), 0.0);
  gtk_label_set_wrap (GTK_LABEL (details), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (details), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_natural_wrap_mode (GTK_LABEL (details), GTK_NATURAL_WRAP_NONE);
  gtk_widget_add_css_class (details, "dim-label");
  gtk_widget_add_css_class (details, "numeric");
  gtk_widget_set_name (details, "history_row_details");
  gtk_box_append (GTK_BOX (texts), organisation);
  gtk_box_append (GTK_BOX (texts), details);

  status_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_valign (status_box, GTK_ALIGN_CENTER);
  icon = gtk_image_new ();
  status = gtk_label_new (NULL);
  gtk_widget_set_name (status, "history_row_status");
  gtk_box_append (GTK_BOX (status_box), icon);
  gtk_box_append (GTK_BOX (status_box), status);

  gtk_box_append (GTK_BOX (box), texts);
  gtk_box_append (GTK_BOX (box), status_box);
  gtk_list_item_set_child (list_item, box);
  gtk_list_item_set_activatable (list_item, FALSE);
}

static const char *
status_icon (const char *status)
{
  if (g_strcmp0 (status, CLAVE_REQUEST_STATUS_CONFIRMED) == 0)
    return "emblem-ok-symbolic";
  if (g_strcmp0 (status, CLAVE_REQUEST_STATUS_REJECTED) == 0)
    return "action-unavailable-symbolic";
  if (g_strcmp0 (status, CLAVE_REQUEST_STATUS_EXPIRED) == 0)
    return "alarm-symbolic";

  return "content-loading-symbolic";
}

static void
bind_row (GtkSignalListItemFactory *factory,
          GtkListItem              *list_item,
          gpointer                  user_data)
{
  ClaveHistoryItem *item = gtk_list_item_get_item (list_item);
  GtkWidget *box = gtk_list_item_get_child (list_item);
  GtkWidget *texts = gtk_widget_get_first_child (box);
  GtkWidget *organisation = gtk_widget_get_first_child (texts);
  GtkWidget *details = gtk_widget_get_next_sibling (organisation);
  GtkWidget *status_box = gtk_widget_get_next_sibling (texts);
  GtkWidget *icon = gtk_widget_get_first_child (status_box);
  GtkWidget *status = gtk_widget_get_next_sibling (icon);
  g_autoptr(GDateTime) created = NULL;
  g_autofree char *when = NULL;
  g_autofree char *text = NULL;
  const char *status_name;

  if (item == NULL)
    return;

  /* The row takes the focus: a screen reader names it from its texts.
   * (GTK 4.8 has no gtk_list_item_set_accessible_label(); the row is the
   * widget the list item's child is in.) */
  if (gtk_widget_get_parent (box) != NULL)
    gtk_accessible_update_relation (GTK_ACCESSIBLE (gtk_widget_get_parent (box)),
                                    GTK_ACCESSIBLE_RELATION_LABELLED_BY,
                                    organisation, details, status, NULL,
                                    -1);

  /* A row the model could not read, for the moment before the list
   * gives way to the error: nothing rather than 1970. */
  if (*clave_history_item_get_id (item) == '\0')
    {
      gtk_label_set_text (GTK_LABEL (organisation), "");
      gtk_widget_set_tooltip_text (organisation, NULL);
      gtk_label_set_text (GTK_LABEL (details), "");
      gtk_label_set_text (GTK_LABEL (status), "");
      gtk_image_clear (GTK_IMAGE (icon));
      return;
    }

  created = g_date_time_new_from_unix_local (clave_history_item_get_created_at (item));
  /* Translators: date and time of a request, see g_date_time_format(). */
  when = created != NULL ? g_date_time_format (created, _("%d/%m/%Y %H:%M")) : g_strdup ("");
  /* Translators: date and time, then how the request was made ("With QR code"). */
  text = g_strdup_printf (_("%s · %s"), when,
                          clave_history_type_label (clave_history_item_get_type_name (item)));

  status_name = clave_history_item_get_status (item);
  gtk_label_set_text (GTK_LABEL (organisation), clave_history_item_get_organisation (item));
  gtk_widget_set_tooltip_text (organisation, clave_history_item_get_origin (item));
  gtk_label_set_text (GTK_LABEL (details), text);
  gtk_label_set_text (GTK_LABEL (status), clave_history_status_label (status_name));
  gtk_image_set_from_icon_name (GTK_IMAGE (icon), status_icon (status_name));

  gtk_widget_remove_css_class (status_box, "success");
  gtk_widget_remove_css_class (status_box, "error");
  gtk_widget_remove_css_class (status_box, "dim-label");
  if (g_strcmp0 (status_name, CLAVE_REQUEST_STATUS_CONFIRMED) == 0)
    gtk_widget_add_css_class (status_box, "success");
  else if (g_strcmp0 (status_name, CLAVE_REQUEST_STATUS_REJECTED) == 0)
    gtk_widget_add_css_class (status_box, "error");
  else
    gtk_widget_add_css_class (status_box, "dim-label");
}

/* Loading */

static void
on_items_changed (ClaveMyRequestsPage *self)
{
  update_empty (self);
}

static void
on_retry_clicked (ClaveMyRequestsPage *self)
{
  if (self->model != NULL)
    clave_history_model_refresh (self->model);
  update_empty (self);
}

static void
sync_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(ClaveMyRequestsPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  if (clave_history_store_sync_finish (CLAVE_HISTORY_STORE (source), result, NULL, &error))
    {
      gtk_widget_set_visible (GTK_WIDGET (self->history_sync_label), FALSE);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  /* Translators: %s says why; the list still shows the saved requests. */
  message = g_strdup_printf (_("Your requests could not be updated: %s The list shows those "
                               "saved on this computer."), error->message);
  gtk_label_set_text (self->history_sync_label, message);
  gtk_widget_set_visible (GTK_WIDGET (self->history_sync_label), TRUE);
}

static void
show_list (ClaveMyRequestsPage *self,
           ClaveDeviceKey   *key)
{
  ClaveApplication *app = clave_page_get_application (CLAVE_PAGE (self));
  g_autoptr(GtkNoSelection) selection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *device_id = NULL;
  ClaveServiceClient *client;
  ClavePushKey *push_key;

  if (app == NULL)
    return;

  if (self->store == NULL)
    {
      g_autofree char *path = clave_history_store_default_path ();

      self->store = clave_history_store_open (path, &error);
      if (self->store == NULL)
        {
          ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));

          if (window != NULL)
            clave_window_show_error (window, error, NULL, NULL, NULL);
          return;
        }
    }

  g_clear_object (&self->model);
  self->model = clave_history_model_new (self->store, NULL);
  g_signal_connect_object (self->model, "items-changed", G_CALLBACK (on_items_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->model, "notify::error", G_CALLBACK (on_items_changed), self,
                           G_CONNECT_SWAPPED);
  load_settings (self);
  apply_filter (self);
  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->model)));
  gtk_list_view_set_model (self->history_list, GTK_SELECTION_MODEL (selection));
  update_empty (self);
  gtk_widget_set_visible (GTK_WIDGET (self->history_sync_label), FALSE);
  gtk_stack_set_visible_child_name (self->history_stack, "list");

  client = clave_application_get_client (app, &error);
  if (client == NULL)
    {
      g_autofree char *message = NULL;

      message = g_strdup_printf (_("Your requests could not be updated: %s The list shows those "
                                   "saved on this computer."), error->message);
      gtk_label_set_text (self->history_sync_label, message);
      gtk_widget_set_visible (GTK_WIDGET (self->history_sync_label), TRUE);
      return;
    }

  push_key = clave_application_get_push_key (app);
  device_id = clave_profile_dup_device_id (clave_application_get_profile (app));
  clave_history_store_sync_async (self->store, client,
                                  push_key != NULL ? (gpointer) push_key : (gpointer) key,
                                  device_id, clave_page_get_cancellable (CLAVE_PAGE (self)),
                                  sync_cb, g_object_ref (self));
}

static void
unlocked_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ClaveMyRequestsPage) self = user_data;
  g_autoptr(ClaveDeviceKey) key = NULL;
  g_autoptr(GError) error = NULL;
  ClaveWindow *window = CLAVE_WINDOW (source);

  gtk_widget_set_sensitive (self->history_unlock_button, TRUE);
  key = clave_window_unlock_key_finish (window, result, &error);
  if (key == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
          || g_error_matches (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_WIPED))
        return;
      clave_window_show_error (window, error, NULL, NULL, NULL);
      return;
    }

  if (g_cancellable_is_cancelled (clave_page_get_cancellable (CLAVE_PAGE (self))))
    return;

  show_list (self, key);
}

static void
ask_pin (ClaveMyRequestsPage *self)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));
  ClaveApplication *app = clave_page_get_application (CLAVE_PAGE (self));

  if (window == NULL)
    return;

  gtk_widget_set_sensitive (self->history_unlock_button, FALSE);
  /* The list says where and when the person logged in: the PIN first,
   * unless it was typed a moment ago (clave_application_pin_verified()). */
  clave_window_unlock_key_full_async (window, app == NULL || !clave_application_get_history_unlocked (app),
                                      NULL, clave_page_get_cancellable (CLAVE_PAGE (self)),
                                      unlocked_cb, g_object_ref (self));
}

static void
on_unlock_clicked (ClaveMyRequestsPage *self)
{
  ask_pin (self);
}

/* Locked again: the next visit asks for the PIN (unless it was typed
 * a moment ago). */
static void
lock_list (ClaveMyRequestsPage *self)
{
  gtk_list_view_set_model (self->history_list, NULL);
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  g_clear_object (&self->model);
  /* Closed while away: signing out deletes the file. */
  g_clear_object (&self->store);
  gtk_widget_set_sensitive (self->history_unlock_button, TRUE);
  gtk_stack_set_visible_child_name (self->history_stack, "locked");
}

/* The screen locked or the app went to the background while the list
 * was open: it locks in front of the person. */
static void
on_history_unlocked_changed (ClaveMyRequestsPage *self,
                             GParamSpec          *pspec,
                             ClaveApplication    *app)
{
  if (self->model != NULL && !clave_application_get_history_unlocked (app))
    lock_list (self);
}

/* Page */

static void
clave_my_requests_page_shown (ClavePage *page)
{
  ClaveMyRequestsPage *self = CLAVE_MY_REQUESTS_PAGE (page);
  ClaveApplication *app = clave_page_get_application (page);

  if (app != NULL && self->settings == NULL)
    {
      g_autoptr(GAction) sort = NULL;

      self->settings = g_object_ref (clave_profile_get_settings (clave_application_get_profile (app)));
      g_signal_connect_object (self->settings, "changed", G_CALLBACK (on_settings_changed), self,
                               G_CONNECT_SWAPPED);
      sort = g_settings_create_action (self->settings, "history-sort");
      g_action_map_add_action (G_ACTION_MAP (self->actions), sort);
      g_signal_connect_object (app, "notify::history-unlocked",
                               G_CALLBACK (on_history_unlocked_changed), self, G_CONNECT_SWAPPED);
    }

  gtk_stack_set_visible_child_name (self->history_stack, "locked");
  ask_pin (self);
}

static void
clave_my_requests_page_hidden (ClavePage *page)
{
  lock_list (CLAVE_MY_REQUESTS_PAGE (page));
}

static void
clave_my_requests_page_dispose (GObject *object)
{
  ClaveMyRequestsPage *self = CLAVE_MY_REQUESTS_PAGE (object);

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  g_clear_object (&self->model);
  g_clear_object (&self->store);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  g_clear_object (&self->actions);

  clave_page_dispose_template (CLAVE_PAGE (object), CLAVE_TYPE_MY_REQUESTS_PAGE);

  G_OBJECT_CLASS (clave_my_requests_page_parent_class)->dispose (object);
}

static void
clave_my_requests_page_class_init (ClaveMyRequestsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  ClavePageClass *page_class = CLAVE_PAGE_CLASS (klass);

  object_class->dispose = clave_my_requests_page_dispose;
  page_class->shown = clave_my_requests_page_shown;
  page_class->hidden = clave_my_requests_page_hidden;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/pages/clave-my-requests-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ClaveMyRequestsPage, history_stack);
  gtk_widget_class_bind_template_child (widget_class, ClaveMyRequestsPage, history_list_stack);
  gtk_widget_class_bind_template_child (widget_class, ClaveMyRequestsPage, history_list);
  gtk_widget_class_bind_template_child (widget_class, ClaveMyRequestsPage, history_status_dropdown);
  gtk_widget_class_bind_template_child (widget_class, ClaveMyRequestsPage, history_type_dropdown);
  gtk_widget_class_bind_template_child (widget_class, ClaveMyRequestsPage, history_filters_button);
  gtk_widget_class_bind_template_child (widget_class, ClaveMyRequestsPage, history_organisation_entry);
  gtk_widget_class_bind_template_child (widget_class, ClaveMyRequestsPage, history_from_entry);
  gtk_widget_class_bind_template_child (widget_class, ClaveMyRequestsPage, history_to_entry);
  gtk_widget_class_bind_template_child (widget_class, ClaveMyRequestsPage, history_sync_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveMyRequestsPage, history_empty_status);
  gtk_widget_class_bind_template_child (widget_class, ClaveMyRequestsPage, history_error_status);
  gtk_widget_class_bind_template_child (widget_class, ClaveMyRequestsPage, history_unlock_button);
  gtk_widget_class_bind_template_callback (widget_class, on_unlock_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_retry_clicked);
}

/* The button inside a drop-down is what takes the focus, and GTK 4.8
 * leaves it unnamed: it takes the name of its drop-down (in the .ui). */
static void
name_drop_down_button (GtkDropDown *drop_down)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (drop_down)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_TOGGLE_BUTTON (child))
      gtk_accessible_update_relation (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_RELATION_LABELLED_BY,
                                      drop_down, NULL,
                                      -1);
}

static void
clave_my_requests_page_init (ClaveMyRequestsPage *self)
{
  GtkListItemFactory *factory;

  self->actions = g_simple_action_group_new ();
  gtk_widget_insert_action_group (GTK_WIDGET (self), "history", G_ACTION_GROUP (self->actions));
  gtk_widget_init_template (GTK_WIDGET (self));

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), NULL);
  gtk_list_view_set_factory (self->history_list, factory);
  g_object_unref (factory);

  name_drop_down_button (self->history_status_dropdown);
  name_drop_down_button (self->history_type_dropdown);

  g_signal_connect_swapped (self->history_status_dropdown, "notify::selected",
                            G_CALLBACK (on_status_selected), self);
  g_signal_connect_swapped (self->history_type_dropdown, "notify::selected",
                            G_CALLBACK (on_type_selected), self);
  g_signal_connect_swapped (self->history_organisation_entry, "search-changed",
                            G_CALLBACK (on_organisation_changed), self);
  g_signal_connect_object (self->history_from_entry, "notify::text",
                           G_CALLBACK (on_date_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->history_to_entry, "notify::text",
                           G_CALLBACK (on_date_changed), self, G_CONNECT_SWAPPED);
}

GListModel *
clave_my_requests_page_get_model (ClaveMyRequestsPage *self)
{
  g_return_val_if_fail (CLAVE_IS_MY_REQUESTS_PAGE (self), NULL);

  return self->model != NULL ? G_LIST_MODEL (self->model) : NULL;
}
