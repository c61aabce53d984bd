/* swcat --summary: per container, the blocked domains and destinations with
 * counts and first/last seen, from the audit history and the live stream. */
#ifndef SWCAT_SUMMARY_H
#define SWCAT_SUMMARY_H

#include <stdio.h>

#include "libshieldwatch.h"

struct swcat_summary;

enum swcat_sort { SWCAT_SORT_COUNT, SWCAT_SORT_RECENT };

/* NULL when out of memory. */
struct swcat_summary *swcat_summary_new(enum swcat_sort sort);
void swcat_summary_free(struct swcat_summary *s);
/* Counts ev when it is a blocked access (1 + its dedup "suppressed").
 * Returns 1 when the summary changed, else 0. */
int swcat_summary_add(struct swcat_summary *s, const sw_event *ev);
/* While following: prints the summary when it changed, at most once a
 * second (text redrawn in place when `text`, else one JSON line). Returns
 * the poll timeout until the next print is due (-1: none, so an idle swcat
 * makes no wakeups), or -2 when the output failed. */
int swcat_summary_tick(struct swcat_summary *s, FILE *out, int text);
/* At the end: prints it unless the last print is current. */
void swcat_summary_flush(struct swcat_summary *s, FILE *out, int text);
/* Writes the summary as one JSON object and a newline. */
int swcat_summary_write_json(const struct swcat_summary *s, FILE *out);
/* Writes it as text for a terminal; with `redraw`, first moves to the top
 * left and clears the screen (top-style refresh). */
int swcat_summary_write_text(const struct swcat_summary *s, FILE *out, int redraw);

#endif
