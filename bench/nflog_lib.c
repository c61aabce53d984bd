/* nflog_lib NETNS_PATH GROUP IDLE_MS STATE_DIR: the library's own cost for
 * nflog_flood, beside nflog_bare. A watcher with only the NFLOG source,
 * opened for the JSON-lines stream as swcat opens it for -o json (sw_open,
 * then swcat's loop: poll sw_fd, sw_read_json into a reused 64 KiB buffer
 * until a short read, as swcat gathers its output), that never writes it:
 * swcat's work less its write(2) calls. Prints "ready" once
 * open, then exits IDLE_MS after the last event (or on SIGTERM) with the
 * line nflog_bare prints: "packets N lost M enobufs K seconds S cpu_ns C
 * user_ns U wakeups W" (N: NFLOG events, from sw_stat; M: the packets its
 * "lost" events count, also from sw_stat; K: the "lost" events that name
 * ENOBUFS, found in the bytes of a read that counted a loss). */
#define _GNU_SOURCE
#include <libshieldwatch.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clocks.h"

static volatile sig_atomic_t stop;

static void on_term(int sig) { (void)sig, stop = 1; }

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: nflog_lib NETNS_PATH GROUP IDLE_MS STATE_DIR\n");
    return 2;
  }
  int idle_ms = atoi(argv[3]);
  signal(SIGTERM, on_term);
  sw_options *opts = sw_options_new();
  int r;
  if (!opts || (r = sw_options_set_sources(opts, SW_SOURCE_NFLOG)) < 0 ||
      (r = sw_options_set_nflog_group(opts, (uint16_t)atoi(argv[2]))) < 0 ||
      (r = sw_options_set_netns(opts, argv[1])) < 0 ||
      (r = sw_options_set_json_stream(opts, 1)) < 0) {
    fprintf(stderr, "nflog_lib: options: %s\n", opts ? sw_strerror(r) : "out of memory");
    return 1;
  }
  sw_watcher *w;
  char why[256];
  if ((r = sw_open_explain(argv[4], "web", opts, &w, why, sizeof why)) < 0) {
    fprintf(stderr, "nflog_lib: sw_open: %s\n", why);
    return 1;
  }
  sw_options_free(opts);
  printf("ready\n");
  fflush(stdout);
  long long cpu_ready = cpu_ns(), user_ready = user_ns();
  long wakeups_ready = wakeups();
  long packets = 0, lost = 0, enobufs = 0;
  size_t json_bytes = 0;
  static char out[64 * 1024];
  double first_t = 0, last_t = 0;
  while (!stop) {
    struct pollfd p = {.fd = sw_fd(w), .events = POLLIN};
    if (poll(&p, 1, 100) == 0) {
      if (packets && (now_sec() - last_t) * 1000 > idle_ms) break;
      continue;
    }
    long before = packets;
    ssize_t n;
    /* As swcat reads: no sw_poll() (the read does its work), and a short
     * read ends the batch (the queue is empty; the fd says when there is
     * more). Where swcat would write the buffer out, this starts it again. */
    do {
      long lost_before = lost;
      n = sw_read_json(w, out, sizeof out);
      if (n < 0) {
        fprintf(stderr, "nflog_lib: sw_read_json: %s\n", sw_strerror((int)n));
        return 1;
      }
      json_bytes += (size_t)n;
      lost = (long)sw_stat(w, SW_STAT_NFLOG_LOST);
      /* A "lost" line split between two reads is not found: ENOBUFS is
       * a detail of the printout, the counts are exact. */
      if (lost != lost_before)
        for (const char *at = out; (at = memmem(at, (size_t)(out + n - at), "ENOBUFS", 7)); at += 7)
          enobufs++;
    } while ((size_t)n == sizeof out);
    packets = (long)sw_stat(w, SW_STAT_NFLOG_PACKETS);
    if (packets != before) {  // the clock once a batch, as nflog_bare reads it
      last_t = now_sec();
      if (!before) first_t = last_t;
    }
  }
  printf("packets %ld lost %ld enobufs %ld seconds %.6f cpu_ns %lld user_ns %lld wakeups %ld "
         "json_bytes %zu\n",
         packets, lost, enobufs, packets ? last_t - first_t : 0.0, cpu_ns() - cpu_ready,
         user_ns() - user_ready, wakeups() - wakeups_ready, json_bytes);
  sw_close(w);
  return 0;
}
