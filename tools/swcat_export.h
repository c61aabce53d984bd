/* swcat's exports into log pipelines: -o journal, -o syslog[=TARGET]. */
#ifndef SWCAT_EXPORT_H
#define SWCAT_EXPORT_H

#include <stddef.h>

#include "libshieldwatch.h"

struct swcat_export;

/* 1 when fmt names an export ("journal", "syslog", "syslog=..."), else 0. */
int swcat_export_is_format(const char *fmt);
/* Opens the export fmt names. 0, or a negative errno with a one-line
 * reason in why. */
int swcat_export_open(const char *fmt, struct swcat_export **out, char *why, size_t whylen);
/* Sends one event; message is its text line. 0, or a negative errno. */
int swcat_export_event(struct swcat_export *x, const sw_event *ev, const char *message);
void swcat_export_close(struct swcat_export *x);

#endif
