/* swcat: print containers' blocked-access events as they happen. One
 * container: a sw_watcher. Several, or --all: one sw_host. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "libshieldwatch.h"
#include "swcat_cursor.h"
#include "swcat_export.h"
#include "swcat_filter.h"
#include "swcat_summary.h"

struct config {
  const char *state_root;
  const char *state_dir;
  const char *container;
  char **containers; /* argv tail, for several */
  int ncontainers;
  int all;
  int sources_given;
  const char *netns;
  int json;
  int json_stream; /* -o json and nothing done per event: the library's JSON-lines stream */
  int color;
  unsigned sources;
  long tail;
  long nflog_group;
  long dedup_ms;
  int dedup_once;
  int no_follow;
  const char *cursor_file;       /* --cursor-file */
  int show_cursor;
  struct swcat_cursors *cursors; /* with --cursor-file */
  struct swcat_filter filter;
  struct swcat_export *export;   /* -o journal / syslog */
  struct swcat_summary *summary; /* --summary */
};

static void usage(FILE *out) {
  fputs("Usage: swcat [OPTIONS] CONTAINER...\n"
        "       swcat [OPTIONS] --all\n"
        "Stream the blocked-access events of the CONTAINERs' egress shields.\n\n"
        "  --all              follow every container under ROOT/containers,\n"
        "                     attaching new ones as they appear\n"
        "  --state-dir ROOT   state root (default $TEROK_SHIELD_STATE_DIR or\n"
        "                     ${XDG_STATE_HOME:-~/.local/state}/terok/shield);\n"
        "                     the container's dir is ROOT/containers/CONTAINER\n"
        "  --state DIR        the container's state dir itself\n"
        "  -o, --output FMT   json (default when stdout is not a TTY) or text\n"
        "  --source LIST      comma-separated: dns,audit,nflog (default all for\n"
        "                     one container, dns,audit for several or --all)\n"
        "  -n N               first print the last N audit events\n"
        "  --netns PATH       read NFLOG inside this network namespace\n"
        "  --nflog-group N    NFLOG group (default 100)\n"
        "  --dedup MS         hold repeats of an event back for MS milliseconds,\n"
        "                     then report them once with a \"suppressed\" count\n"
        "  --dedup-once       show each distinct event once only; repeats are\n"
        "                     counted (every --dedup MS, default 60 s)\n"
        "  --action A[,B]     only these actions\n"
        "  --domain GLOB      only events whose domain matches (case-insensitive)\n"
        "  --container GLOB   only events of matching containers\n"
        "  --summary          per container, blocked domains and destinations with\n"
        "                     counts, first and last seen (text on a TTY, else JSON)\n"
        "  --sort count|recent  order of --summary (default count)\n"
        "  --no-follow        print what is there to read (-n / --summary history,\n"
        "                     with --cursor-file what was missed), then exit\n"
        "  --cursor-file PATH resume after the cursors saved in PATH (if it exists)\n"
        "                     and save them there after each batch (one CONTAINER)\n"
        "  --show-cursor      add each event's cursor to its JSON line\n"
        "  -o journal         send events to journald (SHIELDWATCH_* fields)\n"
        "  -o syslog[=unix:PATH|udp:HOST:PORT|tcp:HOST:PORT]\n"
        "                     send RFC 5424 syslog (default unix:/dev/log)\n"
        "  -h, --help         this help\n"
        "  -V, --version      print the version\n",
        out);
}

static int die(const char *what, int err) {
  fprintf(stderr, "swcat: %s: %s\n", what, sw_strerror(err));
  return 1;
}

static int parse_long(const char *s, long min, long max, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < min || v > max) return -1;
  *out = v;
  return 0;
}

static int parse_sources(const char *list, unsigned *out) {
  unsigned mask = 0;
  char *copy = strdup(list), *save = NULL;
  if (!copy) return -1;
  for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    if (!strcmp(tok, "dns")) mask |= SW_SOURCE_DNS;
    else if (!strcmp(tok, "audit")) mask |= SW_SOURCE_AUDIT;
    else if (!strcmp(tok, "nflog")) mask |= SW_SOURCE_NFLOG;
    else { free(copy); return -1; }
  }
  free(copy);
  if (!mask) return -1;
  *out = mask;
  return 0;
}

/* Output goes through write(2), and never blocks: swcat must end on
 * SIGINT/SIGTERM even while its reader stalls, and an O_NONBLOCK stdout
 * (EAGAIN) must wait instead of dropping lines. A regular file takes each
 * write whole and at once. A pipe is written through a second, non-blocking
 * open of it (/proc/self/fd/1: the flag is that open's own, not the shared
 * one's): a write takes what fits, and only a full pipe makes swcat wait in
 * poll(), with the signalfd. Anything else (a terminal, a socket, a pipe
 * without /proc) waits for POLLOUT before each write and writes at most
 * PIPE_BUF, what POLLOUT promises. (Free bytes of a pipe promise nothing
 * more: a pipe holds whole pages, and a write that needs more of them than
 * are free blocks.) */
enum { OUT_OK = 0, OUT_GONE = -1, OUT_ERROR = -2, OUT_SIGNAL = -3 };
static int g_sigfd = -1;
static int g_out_fd = STDOUT_FILENO;
enum { OUT_FILE, OUT_NONBLOCKING, OUT_POLLED };
static int g_out_kind = OUT_POLLED;

/* Picks how stdout is written (g_out_fd, g_out_kind). A pipe also gets the
 * largest size an unprivileged process may set (fs.pipe-max-size, 1 MiB by
 * default): a burst of output then waits for the reader, and switches to
 * it, a sixteenth as often. Failure keeps the size. */
static void out_setup(void) {
  struct stat st;
  if (fstat(STDOUT_FILENO, &st) != 0) return;
  if (S_ISREG(st.st_mode)) {
    g_out_kind = OUT_FILE;
  } else if (S_ISFIFO(st.st_mode)) {
    (void)fcntl(STDOUT_FILENO, F_SETPIPE_SZ, 1 << 20);
    int fd = open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) {
      g_out_fd = fd;
      g_out_kind = OUT_NONBLOCKING;
    }
  }
}

/* Waits until stdout can take a write: OUT_OK, OUT_RETRY (woken for
 * nothing), or the OUT_* value that ends the output. */
enum { OUT_RETRY = 1 };
static int out_wait(void) {
  struct pollfd fds[2] = {{.fd = g_out_fd, .events = POLLOUT},
                          {.fd = g_sigfd, .events = POLLIN}};
  if (poll(fds, 2, -1) < 0) {
    if (errno == EINTR) return OUT_RETRY;
    fprintf(stderr, "swcat: waiting for stdout: %s\n", strerror(errno));
    return OUT_ERROR;
  }
  if (fds[1].revents & POLLIN) return OUT_SIGNAL;
  if (fds[0].revents & POLLNVAL) {
    fputs("swcat: stdout is not open\n", stderr);
    return OUT_ERROR;
  }
  if (fds[0].revents & POLLERR) return OUT_GONE;
  return fds[0].revents & (POLLOUT | POLLHUP) ? OUT_OK : OUT_RETRY;
}

static int out_write(const char *s, size_t len) {
  /* Waits before the next write: always when polled, after EAGAIN else. */
  int wait = g_out_kind == OUT_POLLED;
  while (len > 0) {
    if (wait) {
      int w = out_wait();
      if (w == OUT_RETRY) continue;
      if (w != OUT_OK) return w;
    }
    size_t now = g_out_kind == OUT_POLLED && len > PIPE_BUF ? PIPE_BUF : len;
    ssize_t n = write(g_out_fd, s, now);
    if (n < 0) {
      /* EAGAIN: full, or an O_NONBLOCK stdout that is no file after all. */
      if (errno == EAGAIN) {
        wait = 1;
        if (g_out_kind == OUT_FILE) g_out_kind = OUT_POLLED;
      }
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno == EPIPE) return OUT_GONE;
      fprintf(stderr, "swcat: writing to stdout: %s\n", strerror(errno));
      return OUT_ERROR;
    }
    s += n;
    len -= (size_t)n;
    wait = g_out_kind == OUT_POLLED;
  }
  return OUT_OK;
}

/* Lines wait here and go out together: one write per batch, not one per
 * event. Flushed after each drained batch, before the
 * cursors are saved, and when it grows past OUT_BATCH. */
enum { OUT_BATCH = 64 * 1024 };
static char *g_out;
static size_t g_out_len, g_out_cap;

static int out_flush(void) {
  int r = out_write(g_out, g_out_len);
  g_out_len = 0;
  return r;
}

/* Room for `need` more bytes in the batch: OUT_OK or OUT_ERROR. */
static int out_reserve(size_t need) {
  if (g_out_len + need <= g_out_cap) return OUT_OK;
  size_t cap = g_out_cap ? g_out_cap : OUT_BATCH;
  while (cap < g_out_len + need) cap *= 2;
  char *p = realloc(g_out, cap);
  if (!p) { fputs("swcat: out of memory\n", stderr); return OUT_ERROR; }
  g_out = p;
  g_out_cap = cap;
  return OUT_OK;
}

/* Appends s, then a newline when `newline` is set (a JSON line comes
 * without one): one call an event. */
static int out_add(const char *s, size_t len, int newline) {
  size_t need = len + (newline ? 1 : 0);
  int r = out_reserve(need);
  if (r != OUT_OK) return r;
  memcpy(g_out + g_out_len, s, len);
  if (newline) g_out[g_out_len + len] = '\n';
  g_out_len += need;
  return g_out_len >= OUT_BATCH ? out_flush() : OUT_OK;
}

/* Untrusted text for a terminal or a log line: control bytes (C0, DEL, and
 * C1 as UTF-8) and backslashes become escapes, so a domain or a detail can
 * neither move the cursor nor forge a line. */
static void put_escaped(FILE *out, const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '\\') fputs("\\\\", out);
    else if (*p < 0x20 || *p == 0x7f) fprintf(out, "\\x%02x", *p);
    else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) fprintf(out, "\\u%04x", *++p);
    else fputc(*p, out);
  }
}

/* The text line of ev, with a newline, on out. */
static int write_text(FILE *out, int use_color, const sw_event *ev) {
  {
    const char *action = sw_event_action(ev);
    const char *color = "";
    if (use_color) {
      if (!strcmp(sw_event_source(ev), "watch")) color = "\033[33m";
      else if (strstr(action, "blocked") || strstr(action, "deny") || strstr(action, "queued"))
        color = "\033[31m";
      else color = "\033[36m";
    }
    const char *ts = sw_event_ts(ev);
    /* "2026-11-23T14:11:02.123456+00:00" -> "14:11:02.123"; an audit ts
     * kept verbatim may lack the fraction or carry another offset. */
    const char *clock = strlen(ts) >= 19 ? ts + 11 : ts;
    int clock_len = (int)strspn(clock, "0123456789:.");
    fprintf(out, "%-12.*s %s%-6s ", clock_len < 12 ? clock_len : 12, clock, color,
            sw_event_source(ev));
    long at = ftell(out);
    put_escaped(out, action);
    for (long w = at >= 0 ? ftell(out) - at : 18; w < 18; w++) fputc(' ', out);
    fputs(use_color ? "\033[0m " : " ", out);
    put_escaped(out, sw_event_container(ev));
    if (*sw_event_domain(ev)) { fputc(' ', out); put_escaped(out, sw_event_domain(ev)); }
    if (*sw_event_query_type(ev)) {
      fputs(" [", out);
      put_escaped(out, sw_event_query_type(ev));
      fputc(']', out);
    }
    if (*sw_event_dest(ev)) { fputs(" -> ", out); put_escaped(out, sw_event_dest(ev)); }
    if (sw_event_port(ev)) fprintf(out, ":%d", sw_event_port(ev));
    if (sw_event_proto(ev)) fprintf(out, " proto=%d", sw_event_proto(ev));
    if (*sw_event_detail(ev)) { fputs(" (", out); put_escaped(out, sw_event_detail(ev)); fputc(')', out); }
    if (sw_event_suppressed(ev)) fprintf(out, " (+%llu more)", (unsigned long long)sw_event_suppressed(ev));
    if (fputc('\n', out) == EOF) return -1;
  }
  return 0;
}

/* The text line of ev (with its newline) in a new string, or NULL. */
static char *text_line(int use_color, const sw_event *ev, size_t *len) {
  char *line = NULL;
  FILE *mem = open_memstream(&line, len);
  if (!mem) return NULL;
  int bad = write_text(mem, use_color, ev);
  if (fclose(mem) != 0 || bad) { free(line); return NULL; }
  return line;
}

/* Hands ev to the export, its message being the text line. */
static int export_event(const struct config *cfg, const sw_event *ev) {
  size_t len = 0;
  char *line = text_line(0, ev, &len);
  if (!line) return -ENOMEM;
  if (len && line[len - 1] == '\n') line[len - 1] = 0;
  int r = swcat_export_event(cfg->export, ev, line);
  free(line);
  return r;
}

/* OUT_OK, OUT_GONE (stdout's reader left), OUT_SIGNAL, or OUT_ERROR after
 * saying why (an export or a write failed). Events the filters drop are
 * skipped; with --summary they are only counted. */
static int print_event(const struct config *cfg, const sw_event *ev) {
  if (!swcat_filter_match(&cfg->filter, ev)) return OUT_OK;
  if (cfg->summary) {
    swcat_summary_add(cfg->summary, ev);
    return OUT_OK;
  }
  if (cfg->export) {
    int r = export_event(cfg, ev);
    if (r < 0) { fprintf(stderr, "swcat: export: %s\n", sw_strerror(r)); return OUT_ERROR; }
    return OUT_OK;
  }
  if (cfg->json) {
    size_t len;
    const char *json = sw_event_json(ev, &len);
    return out_add(json, len, 1);
  }
  size_t len = 0;
  char *line = text_line(cfg->color, ev, &len);
  if (!line) { fputs("swcat: out of memory\n", stderr); return OUT_ERROR; }
  int r = out_add(line, len, 0);
  free(line);
  return r;
}

/* The state root: --state-dir, $TEROK_SHIELD_STATE_DIR, or the XDG default. */
static char *state_root_for(const struct config *cfg) {
  char *path = NULL;
  const char *root = cfg->state_root ? cfg->state_root : getenv("TEROK_SHIELD_STATE_DIR");
  if (root && *root) return strdup(root);
  const char *xdg = getenv("XDG_STATE_HOME");
  const char *home = getenv("HOME");
  int r = (xdg && *xdg) ? asprintf(&path, "%s/terok/shield", xdg)
                        : asprintf(&path, "%s/.local/state/terok/shield", home ? home : "");
  return r < 0 ? NULL : path;
}

static char *state_dir_for(const struct config *cfg, const char *container) {
  if (cfg->state_dir) return strdup(cfg->state_dir);
  char *root = state_root_for(cfg), *path = NULL;
  if (!root) return NULL;
  int r = asprintf(&path, "%s/containers/%s", root, container);
  free(root);
  return r < 0 ? NULL : path;
}

/* One container (a watcher) or several (a host): the same loop drives both. */
struct stream {
  sw_watcher *w;
  sw_host *h;
};

static int stream_fd(const struct stream *s) { return s->w ? sw_fd(s->w) : sw_host_fd(s->h); }
static int stream_poll(struct stream *s) { return s->w ? sw_poll(s->w) : sw_host_poll(s->h); }
static int stream_next(struct stream *s, sw_event **ev) {
  return s->w ? sw_next_event(s->w, ev) : sw_host_next_event(s->h, ev);
}
static ssize_t stream_read(struct stream *s, char *buf, size_t len) {
  return s->w ? sw_read_json(s->w, buf, len) : sw_host_read_json(s->h, buf, len);
}

/* Plain -o json (cfg->json_stream): the handle's JSON-lines stream read
 * straight into the output batch, no event objects (sw_read_json() does
 * sw_poll()'s work too). Stops at a short read: the library's queue is
 * empty then, and its fd says when there is more (reading on to a 0 would
 * cost another look at every source). An OUT_* value; *err receives a
 * negative errno when the library failed, else 0. */
static int copy_stream(struct stream *s, int *err) {
  *err = 0;
  for (;;) {
    int out = out_reserve(1);
    if (out != OUT_OK) return out;
    size_t room = g_out_cap - g_out_len;
    ssize_t n = stream_read(s, g_out + g_out_len, room);
    if (n < 0) {
      *err = (int)n;
      return OUT_OK;
    }
    g_out_len += (size_t)n;
    if (g_out_len >= OUT_BATCH && (out = out_flush()) != OUT_OK) return out;
    if ((size_t)n < room) return OUT_OK;
  }
}

/* An OUT_* value; OUT_ERROR after saying why. */
static int print_tail(const struct config *cfg, const char *dir) {
  if (!(cfg->sources & SW_SOURCE_AUDIT)) return OUT_OK; /* the history is audit events */
  char *path;
  if (asprintf(&path, "%s/audit.jsonl", dir) < 0) { die("tail", ENOMEM); return OUT_ERROR; }
  sw_event_list *list = NULL;
  int r = sw_audit_tail(path, (size_t)cfg->tail, &list);
  if (r < 0) {
    die(path, r);
    free(path);
    return OUT_ERROR;
  }
  free(path);
  int out = OUT_OK;
  for (size_t i = 0; i < sw_event_list_size(list) && out == OUT_OK; i++)
    out = print_event(cfg, sw_event_list_get(list, i));
  sw_event_list_free(list);
  return out == OUT_OK ? out_flush() : out;
}

/* The exit status for an OUT_* value: a signal or a reader that left is a
 * normal end. */
static int exit_status(int out) { return out == OUT_ERROR ? 1 : 0; }

/* What run() waits for, in one epoll set: registered once, a wakeup costs
 * one epoll_wait instead of poll()'s walk of three fds and its wait-queue
 * set-up for each (perf, an NFLOG flood: about a tenth of what swcat spent
 * beyond a bare reader writing the same bytes). stdout is in it with no
 * events: a pipe whose reader left reports EPOLLERR, so swcat ends even
 * while no events arrive. When it cannot be watched it is left out: a file
 * or /dev/null (EPERM) never goes away, and a stdout closed at start (EBADF,
 * or EEXIST when its number went to one of the fds above) is reported by
 * the first write. Returns the epoll fd or -errno. */
enum { WAIT_EVENTS, WAIT_SIGNAL, WAIT_STDOUT, WAIT_FDS };
static int wait_set_new(int events_fd) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return -errno;
  const int fds[WAIT_FDS] = {events_fd, g_sigfd, STDOUT_FILENO};
  for (int i = 0; i < WAIT_FDS; i++) {
    struct epoll_event ev = {.events = i == WAIT_STDOUT ? 0 : EPOLLIN, .data.u32 = (uint32_t)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) == 0 || i == WAIT_STDOUT) continue;
    int e = errno;
    close(ep);
    return -e;
  }
  return ep;
}

/* Returns the exit status: 0 on a signal or a closed stdout. */
static int run(const struct config *cfg, struct stream *w) {
  int ep = wait_set_new(stream_fd(w));
  if (ep < 0) return die("epoll", ep);
  int status = 0;
  for (;;) {
    /* Fails only for the handle itself; a bad file is a watch event. */
    int r;
    if (cfg->json_stream) {
      int out = copy_stream(w, &r);
      if (out != OUT_OK) { status = exit_status(out); goto out; }
      if (r < 0) { status = die("read", r); break; }
    } else {
      if ((r = stream_poll(w)) < 0) { status = die("poll", r); break; }
      sw_event *ev;
      while ((r = stream_next(w, &ev)) == 1) {
        int out = print_event(cfg, ev);
        if (out == OUT_OK && cfg->cursors) swcat_cursors_note(cfg->cursors, ev);
        sw_event_free(ev);
        if (out != OUT_OK) { status = exit_status(out); goto out; }
      }
    }
    if (r < 0) { status = die("next event", r); break; }
    int out = out_flush();
    if (out != OUT_OK) { status = exit_status(out); goto out; }
    if (cfg->cursors && (r = swcat_cursors_save(cfg->cursor_file, cfg->cursors)) < 0) {
      status = die(cfg->cursor_file, r);
      break;
    }
    if (cfg->no_follow) {
      /* Caught up when the fd has nothing more: no queued events, no file
       * left to read. */
      struct pollfd ready = {.fd = stream_fd(w), .events = POLLIN};
      if (poll(&ready, 1, 0) == 0) break;
      continue;
    }
    int timeout = cfg->summary ? swcat_summary_tick(cfg->summary, stdout, !cfg->json) : -1;
    if (timeout == -2) goto out; /* reader went away */
    struct epoll_event got[WAIT_FDS];
    int n = epoll_wait(ep, got, WAIT_FDS, timeout);
    if (n < 0 && errno != EINTR) { status = die("epoll_wait", -errno); break; }
    int stop = 0;
    for (int i = 0; i < n; i++)
      stop |= got[i].data.u32 == WAIT_SIGNAL ||
              (got[i].data.u32 == WAIT_STDOUT && (got[i].events & (EPOLLERR | EPOLLHUP))); /* reader went away */
    if (stop) break;
  }
out:
  close(ep);
  if (cfg->summary && status == 0) swcat_summary_flush(cfg->summary, stdout, !cfg->json);
  return status;
}

static int run_watcher(const struct config *cfg, const sw_options *opts) {
  char *dir = state_dir_for(cfg, cfg->container);
  if (!dir) return die("state dir", ENOMEM);
  struct stream st = {0};
  char why[512];
  int r = sw_open_explain(dir, cfg->container, opts, &st.w, why, sizeof why);
  if (r < 0) {
    if (r == -SW_ETIER)
      fprintf(stderr, "swcat: %s (watching needs the dnsmasq tier)\n", why);
    else
      fprintf(stderr, "swcat: cannot watch %s: %s\n", cfg->container, why);
    free(dir);
    return 1;
  }
  int out = cfg->tail > 0 ? print_tail(cfg, dir) : OUT_OK;
  free(dir);
  int status = out == OUT_OK ? run(cfg, &st) : exit_status(out);
  sw_close(st.w);
  return status;
}

/* Several containers, or --all: one host. -n applies to each named one. */
static int run_host(const struct config *cfg, const sw_options *opts) {
  struct stream st = {0};
  int r = sw_host_new(opts, &st.h);
  if (r < 0) return die("host", r);
  int status = 0, out = OUT_OK;
  if (cfg->all) {
    char *root = state_root_for(cfg);
    r = root ? sw_host_follow(st.h, root) : -ENOMEM;
    if (r < 0) fprintf(stderr, "swcat: cannot follow %s/containers: %s\n", root ? root : "", sw_strerror(r));
    free(root);
    if (r < 0) status = 1;
  }
  for (int i = 0; i < cfg->ncontainers && status == 0; i++) {
    char *dir = state_dir_for(cfg, cfg->containers[i]);
    char why[512];
    r = dir ? sw_host_add_explain(st.h, dir, cfg->containers[i], opts, why, sizeof why) : -ENOMEM;
    if (r < 0) {
      fprintf(stderr, "swcat: cannot watch %s: %s\n", cfg->containers[i], dir ? why : "out of memory");
      status = 1;
    } else if (cfg->tail > 0 && out == OUT_OK) {
      out = print_tail(cfg, dir);
    }
    free(dir);
  }
  if (status == 0) status = out == OUT_OK ? run(cfg, &st) : exit_status(out);
  sw_host_close(st.h);
  return status;
}

int main(int argc, char **argv) {
  struct config cfg = {.sources = SW_SOURCE_ALL, .tail = 0, .nflog_group = -1, .dedup_ms = -1};
  cfg.json = !isatty(STDOUT_FILENO);
  const char *fmt = NULL;
  enum { OPT_STATE_DIR = 256, OPT_STATE, OPT_SOURCE, OPT_NETNS, OPT_GROUP, OPT_DEDUP,
         OPT_DEDUP_ONCE, OPT_ACTION, OPT_DOMAIN, OPT_CONTAINER, OPT_SUMMARY, OPT_SORT,
         OPT_NO_FOLLOW, OPT_ALL, OPT_CURSOR_FILE, OPT_SHOW_CURSOR };
  int summary = 0;
  enum swcat_sort sort = SWCAT_SORT_COUNT;
  static const struct option longopts[] = {
      {"state-dir", required_argument, 0, OPT_STATE_DIR},
      {"state", required_argument, 0, OPT_STATE},
      {"output", required_argument, 0, 'o'},
      {"source", required_argument, 0, OPT_SOURCE},
      {"netns", required_argument, 0, OPT_NETNS},
      {"nflog-group", required_argument, 0, OPT_GROUP},
      {"dedup", required_argument, 0, OPT_DEDUP},
      {"dedup-once", no_argument, 0, OPT_DEDUP_ONCE},
      {"action", required_argument, 0, OPT_ACTION},
      {"domain", required_argument, 0, OPT_DOMAIN},
      {"container", required_argument, 0, OPT_CONTAINER},
      {"summary", no_argument, 0, OPT_SUMMARY},
      {"sort", required_argument, 0, OPT_SORT},
      {"no-follow", no_argument, 0, OPT_NO_FOLLOW},
      {"all", no_argument, 0, OPT_ALL},
      {"cursor-file", required_argument, 0, OPT_CURSOR_FILE},
      {"show-cursor", no_argument, 0, OPT_SHOW_CURSOR},
      {"help", no_argument, 0, 'h'},
      {"version", no_argument, 0, 'V'},
      {0, 0, 0, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "o:n:hV", longopts, NULL)) != -1) {
    switch (c) {
      case OPT_STATE_DIR: cfg.state_root = optarg; break;
      case OPT_STATE: cfg.state_dir = optarg; break;
      case 'o': fmt = optarg; break;
      case OPT_SOURCE:
        cfg.sources_given = 1;
        if (parse_sources(optarg, &cfg.sources)) {
          fprintf(stderr, "swcat: --source: expected a list of dns,audit,nflog\n");
          return 2;
        }
        break;
      case 'n':
        if (parse_long(optarg, 0, 1000000, &cfg.tail)) {
          fprintf(stderr, "swcat: -n: expected a number from 0 to 1000000\n");
          return 2;
        }
        break;
      case OPT_NETNS: cfg.netns = optarg; break;
      case OPT_GROUP:
        if (parse_long(optarg, 0, 65535, &cfg.nflog_group)) {
          fprintf(stderr, "swcat: --nflog-group: expected 0..65535\n");
          return 2;
        }
        break;
      case OPT_DEDUP:
        if (parse_long(optarg, 0, 86400000, &cfg.dedup_ms)) {
          fprintf(stderr, "swcat: --dedup: expected milliseconds\n");
          return 2;
        }
        break;
      case OPT_DEDUP_ONCE: cfg.dedup_once = 1; break;
      case OPT_ACTION:
        if (swcat_filter_set_actions(&cfg.filter, optarg)) {
          fprintf(stderr, "swcat: --action: expected A[,B...]\n");
          return 2;
        }
        break;
      case OPT_DOMAIN: cfg.filter.domain = optarg; break;
      case OPT_CONTAINER: cfg.filter.container = optarg; break;
      case OPT_SUMMARY: summary = 1; break;
      case OPT_SORT:
        if (!strcmp(optarg, "count")) sort = SWCAT_SORT_COUNT;
        else if (!strcmp(optarg, "recent")) sort = SWCAT_SORT_RECENT;
        else { fprintf(stderr, "swcat: --sort: expected count or recent\n"); return 2; }
        break;
      case OPT_NO_FOLLOW: cfg.no_follow = 1; break;
      case OPT_ALL: cfg.all = 1; break;
      case OPT_CURSOR_FILE: cfg.cursor_file = optarg; break;
      case OPT_SHOW_CURSOR: cfg.show_cursor = 1; break;
      case 'h': usage(stdout); return 0;
      case 'V': printf("swcat %s\n", sw_version()); return 0;
      default: usage(stderr); return 2;
    }
  }
  if (fmt) {
    if (!strcmp(fmt, "json")) cfg.json = 1;
    else if (!strcmp(fmt, "text")) cfg.json = 0;
    else if (!swcat_export_is_format(fmt)) {
      fprintf(stderr, "swcat: -o: expected json, text, journal or syslog[=TARGET]\n");
      return 2;
    }
  }
  if (summary && fmt && swcat_export_is_format(fmt)) {
    fprintf(stderr, "swcat: --summary prints json or text, not -o %s\n", fmt);
    return 2;
  }
  cfg.containers = argv + optind;
  cfg.ncontainers = argc - optind;
  if (cfg.all ? cfg.ncontainers != 0 : cfg.ncontainers < 1) {
    fprintf(stderr, "swcat: expected CONTAINER... or --all (see --help)\n");
    return 2;
  }
  if (cfg.state_dir && (cfg.all || cfg.ncontainers != 1)) {
    fprintf(stderr, "swcat: --state names one container's dir\n");
    return 2;
  }
  if (cfg.cursor_file && (cfg.all || cfg.ncontainers != 1)) {
    fprintf(stderr, "swcat: --cursor-file follows one container\n");
    return 2;
  }
  cfg.container = cfg.all ? NULL : argv[optind];
  /* Containers share the caller's network namespace here, where one NFLOG
   * group has one reader: several follow DNS and audit unless told. */
  if ((cfg.all || cfg.ncontainers > 1) && !cfg.sources_given)
    cfg.sources = SW_SOURCE_DNS | SW_SOURCE_AUDIT;
  if (summary && !(cfg.summary = swcat_summary_new(sort))) return die("summary", ENOMEM);
  if (summary && cfg.tail == 0) cfg.tail = 1000000; /* the whole audit history */
  if (fmt && swcat_export_is_format(fmt)) {
    char why[512];
    int r = swcat_export_open(fmt, &cfg.export, why, sizeof why);
    if (r < 0) { fprintf(stderr, "swcat: %s\n", why); return 1; }
  }
  const char *no_color = getenv("NO_COLOR");
  cfg.color = !cfg.json && isatty(STDOUT_FILENO) && !(no_color && *no_color);
  setvbuf(stdout, NULL, _IOLBF, 0);
  signal(SIGPIPE, SIG_IGN); /* a closed stdout shows up as a write error */
  /* A burst queues thousands of small events and frees them as they are
   * printed; glibc would hand the heap top back after each burst and
   * page-fault it in again for the next. Keep up to twice the library's
   * queue bound (16 MiB of queued events) instead, so a full queue fits. */
  mallopt(M_TRIM_THRESHOLD, 32 << 20);

  /* Block the signals before any thread exists so signalfd sees them. */
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  g_sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
  if (g_sigfd < 0) return die("signalfd", errno);
  out_setup();  /* before any output, the --tail history's too */

  sw_options *opts = sw_options_new();
  if (!opts) return die("options", ENOMEM);
  sw_options_set_sources(opts, cfg.sources);
  if (cfg.netns) sw_options_set_netns(opts, cfg.netns);
  if (cfg.nflog_group >= 0) sw_options_set_nflog_group(opts, (uint16_t)cfg.nflog_group);
  if (cfg.dedup_ms >= 0) sw_options_set_dedup_window_ms(opts, (uint32_t)cfg.dedup_ms);
  if (cfg.dedup_once) sw_options_set_dedup_mode(opts, SW_DEDUP_ONCE);
  if (cfg.show_cursor) sw_options_set_json_cursor(opts, 1);
  struct swcat_cursors cursors = {{0}, {0}, 0};
  if (cfg.cursor_file) {
    int r = swcat_cursors_read(cfg.cursor_file, &cursors);
    if (r < 0) {
      sw_options_free(opts);
      return die(cfg.cursor_file, r);
    }
    swcat_cursors_apply(&cursors, opts);
    cfg.cursors = &cursors;
  }
  cfg.json_stream = cfg.json && !cfg.summary && !cfg.export && !cfg.cursors && !cfg.filter.actions &&
                    !cfg.filter.domain && !cfg.filter.container;
  if (cfg.json_stream) sw_options_set_json_stream(opts, 1);
  int status = cfg.all || cfg.ncontainers > 1 ? run_host(&cfg, opts) : run_watcher(&cfg, opts);
  sw_options_free(opts);
  swcat_export_close(cfg.export);
  swcat_summary_free(cfg.summary);
  swcat_filter_free(&cfg.filter);
  close(g_sigfd);
  if (g_out_fd != STDOUT_FILENO) close(g_out_fd);
  free(g_out);
  return status;
}
