/* A C program linked against libshieldwatch.a with the flags of
 * `pkg-config --static --libs libshieldwatch`: opens a watcher on a state
 * directory, appends an audit line, and prints the event the library made. */
#include <libshieldwatch.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  char path[4096];
  sw_options *opts = sw_options_new();
  sw_options_set_sources(opts, SW_SOURCE_DNS | SW_SOURCE_AUDIT);
  sw_watcher *w;
  char why[256];
  int r = sw_open_explain(argv[1], "static", opts, &w, why, sizeof why);
  sw_options_free(opts);
  if (r < 0) { fprintf(stderr, "sw_open: %s: %s\n", sw_strerror(r), why); return 1; }
  snprintf(path, sizeof path, "%s/audit.jsonl", argv[1]);
  sw_audit_log *log;
  if (sw_audit_open(path, &log) < 0 || sw_audit_write(log, "static", "setup", NULL, "linked statically") < 0) return 1;
  sw_audit_close(log);
  struct pollfd p = { .fd = sw_fd(w), .events = POLLIN };
  for (int tries = 0; tries < 50; tries++) {
    if (poll(&p, 1, 100) < 0 || sw_poll(w) < 0) return 1;
    sw_event *ev;
    if (sw_next_event(w, &ev) == 1) {
      printf("%s %s\n", sw_version(), sw_event_json(ev, NULL));
      sw_event_free(ev);
      sw_close(w);
      return 0;
    }
  }
  fprintf(stderr, "no event\n");
  sw_close(w);
  return 1;
}
