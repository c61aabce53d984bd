#define _GNU_SOURCE
#include "swcat_cursor.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int swcat_cursors_read(const char *path, struct swcat_cursors *c) {
  FILE *f = fopen(path, "re");
  if (!f) return errno == ENOENT ? 0 : -errno;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    char *slot = !strncmp(line, "dns ", 4) ? c->dns : !strncmp(line, "audit ", 6) ? c->audit : NULL;
    if (slot) snprintf(slot, sizeof c->dns, "%s", strchr(line, ' ') + 1);
  }
  fclose(f);
  return 0;
}

void swcat_cursors_apply(const struct swcat_cursors *c, sw_options *opts) {
  sw_options_set_cursor(opts, SW_SOURCE_DNS, c->dns);
  sw_options_set_cursor(opts, SW_SOURCE_AUDIT, c->audit);
}

void swcat_cursors_note(struct swcat_cursors *c, const sw_event *ev) {
  const char *cursor = sw_event_cursor(ev);
  if (!*cursor) return;
  const char *source = sw_event_source(ev);
  char *slot = !strcmp(source, SW_EVENT_SOURCE_DNS)     ? c->dns
               : !strcmp(source, SW_EVENT_SOURCE_AUDIT) ? c->audit
                                                        : NULL;
  if (!slot) return;
  snprintf(slot, sizeof c->dns, "%s", cursor);
  c->dirty = 1;
}

/* Best effort: the new file is already whole; only its durability waits. */
static void fsync_dir_of(char *path) {
  int fd = open(dirname(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

int swcat_cursors_save(const char *path, struct swcat_cursors *c) {
  if (!c->dirty) return 0;
  char *tmp;
  if (asprintf(&tmp, "%s.tmp", path) < 0) return -ENOMEM;
  int r = 0;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) r = -errno;
  if (fd >= 0 && dprintf(fd, "%s%s%s%s%s%s", *c->dns ? "dns " : "", c->dns, *c->dns ? "\n" : "",
                         *c->audit ? "audit " : "", c->audit, *c->audit ? "\n" : "") < 0)
    r = -EIO;
  /* The data before the name: after a crash the file is whole or old. */
  if (fd >= 0 && r == 0 && fdatasync(fd) != 0) r = -errno;
  if (fd >= 0 && close(fd) != 0 && r == 0) r = -errno;
  if (r == 0 && rename(tmp, path) != 0) r = -errno;
  if (r < 0) unlink(tmp);
  /* The rename itself survives a power loss once its directory is synced. */
  if (r == 0) fsync_dir_of(tmp);
  free(tmp);
  if (r == 0) c->dirty = 0;
  return r;
}
