/* swcat's event filters: --action, --domain, --container. (--source is the
 * library's sw_options_set_sources(); the -n history is audit only.) */
#ifndef SWCAT_FILTER_H
#define SWCAT_FILTER_H

#include "libshieldwatch.h"

struct swcat_filter {
  char *actions;         /* NULL: any; else ",a,b," for a whole-word search */
  const char *domain;    /* NULL: any; else an fnmatch(3) glob, case-insensitive */
  const char *container; /* NULL: any; else an fnmatch(3) glob */
};

/* Sets the --action list "A[,B...]"; 0, or -1 when it is empty/invalid. */
int swcat_filter_set_actions(struct swcat_filter *f, const char *list);
/* 1 when ev passes every filter set, else 0. */
int swcat_filter_match(const struct swcat_filter *f, const sw_event *ev);
void swcat_filter_free(struct swcat_filter *f);
/* 1 for a blocked access: an action naming a block, deny, reject or drop
 * ("blocked_query", "blocked_connection", "deny", ...); never "watch". */
int swcat_is_blocked(const sw_event *ev);

#endif
