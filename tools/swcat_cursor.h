/* swcat's --cursor-file: the last cursor handled per file source, read at
 * start and replaced atomically after each batch, as journalctl does. */
#ifndef SWCAT_CURSOR_H
#define SWCAT_CURSOR_H

#include "libshieldwatch.h"

struct swcat_cursors {
  char dns[256];   /* "" when none */
  char audit[256];
  int dirty;       /* changed since the last save */
};

/* Reads "dns CURSOR" / "audit CURSOR" lines of path; a missing file is no
 * cursor. 0 or a negative errno. */
int swcat_cursors_read(const char *path, struct swcat_cursors *c);
/* Puts the cursors into opts (sw_options_set_cursor). */
void swcat_cursors_apply(const struct swcat_cursors *c, sw_options *opts);
/* Notes the cursor of an event that was handled. */
void swcat_cursors_note(struct swcat_cursors *c, const sw_event *ev);
/* Replaces path atomically (temp file, fdatasync, rename, then its directory
 * fsync'd) when dirty: a reader, or the next run after a kill -9, sees the
 * old or the new content. 0 or a negative errno. */
int swcat_cursors_save(const char *path, struct swcat_cursors *c);

#endif
