/* swcat's event filters. A filter never changes an event, only drops it. */
#define _GNU_SOURCE
#include "swcat_filter.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int swcat_filter_set_actions(struct swcat_filter *f, const char *list) {
  if (!*list || strstr(list, ",,") || list[0] == ',' || list[strlen(list) - 1] == ',')
    return -1;
  char *wrapped;
  if (asprintf(&wrapped, ",%s,", list) < 0) return -1;
  free(f->actions);
  f->actions = wrapped;
  return 0;
}

static int has_action(const char *actions, const char *action) {
  size_t n = strlen(action);
  for (const char *p = strstr(actions, action); p; p = strstr(p + 1, action))
    if (p[-1] == ',' && p[n] == ',') return 1;
  return 0;
}

int swcat_filter_match(const struct swcat_filter *f, const sw_event *ev) {
  /* Only the fields a filter names are read. */
  if (f->actions) {
    const char *action = sw_event_action(ev);
    if (!*action || strchr(action, ',') || !has_action(f->actions, action)) return 0;
  }
  if (f->domain && fnmatch(f->domain, sw_event_domain(ev), FNM_CASEFOLD) != 0) return 0;
  if (f->container && fnmatch(f->container, sw_event_container(ev), 0) != 0) return 0;
  return 1;
}

void swcat_filter_free(struct swcat_filter *f) {
  free(f->actions);
  f->actions = NULL;
}

int swcat_is_blocked(const sw_event *ev) {
  if (!strcmp(sw_event_source(ev), "watch")) return 0;
  const char *a = sw_event_action(ev);
  return strstr(a, "block") || strstr(a, "deny") || strstr(a, "denied") || strstr(a, "reject") ||
         strstr(a, "drop");
}
