/* swcat: print a container's blocked-access events as they happen. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "libshieldwatch.h"

struct config {
  const char *state_root;
  const char *state_dir;
  const char *container;
  const char *netns;
  int json;
  int color;
  unsigned sources;
  long tail;
  long nflog_group;
  long dedup_ms;
};

static void usage(FILE *out) {
  fputs("Usage: swcat [OPTIONS] CONTAINER\n"
        "Stream the blocked-access events of CONTAINER's egress shield.\n\n"
        "  --state-dir ROOT   state root (default $TEROK_SHIELD_STATE_DIR or\n"
        "                     ${XDG_STATE_HOME:-~/.local/state}/terok/shield);\n"
        "                     the container's dir is ROOT/containers/CONTAINER\n"
        "  --state DIR        the container's state dir itself\n"
        "  -o, --output FMT   json (default when stdout is not a TTY) or text\n"
        "  --source LIST      comma-separated: dns,audit,nflog (default all)\n"
        "  -n N               first print the last N audit events\n"
        "  --netns PATH       read NFLOG inside this network namespace\n"
        "  --nflog-group N    NFLOG group (default 100)\n"
        "  --dedup MS         suppress repeats within MS milliseconds\n"
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

/* Writes the whole buffer; 0 on success, -1 when stdout is gone. */
static int put(const char *s, size_t len) {
  if (fwrite(s, 1, len, stdout) != len) return -1;
  return 0;
}

static int print_event(const struct config *cfg, const sw_event *ev) {
  if (cfg->json) {
    size_t len;
    const char *line = sw_event_json(ev, &len);
    if (put(line, len) || put("\n", 1)) return -1;
  } else {
    const char *action = sw_event_action(ev);
    const char *color = "";
    if (cfg->color) {
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
    printf("%-12.*s %s%-6s %-18s%s %s", clock_len < 12 ? clock_len : 12, clock, color,
           sw_event_source(ev), action, cfg->color ? "\033[0m" : "",
           sw_event_container(ev));
    if (*sw_event_domain(ev)) printf(" %s", sw_event_domain(ev));
    if (*sw_event_query_type(ev)) printf(" [%s]", sw_event_query_type(ev));
    if (*sw_event_dest(ev)) printf(" -> %s", sw_event_dest(ev));
    if (sw_event_port(ev)) printf(":%d", sw_event_port(ev));
    if (sw_event_proto(ev)) printf(" proto=%d", sw_event_proto(ev));
    if (*sw_event_detail(ev)) printf(" (%s)", sw_event_detail(ev));
    if (putchar('\n') == EOF) return -1;
  }
  return fflush(stdout) == 0 ? 0 : -1;
}

static char *state_dir_for(const struct config *cfg) {
  char *path = NULL;
  if (cfg->state_dir) return strdup(cfg->state_dir);
  const char *root = cfg->state_root ? cfg->state_root : getenv("TEROK_SHIELD_STATE_DIR");
  if (root && *root) {
    if (asprintf(&path, "%s/containers/%s", root, cfg->container) < 0) return NULL;
    return path;
  }
  const char *xdg = getenv("XDG_STATE_HOME");
  const char *home = getenv("HOME");
  int r = (xdg && *xdg)
              ? asprintf(&path, "%s/terok/shield/containers/%s", xdg, cfg->container)
              : asprintf(&path, "%s/.local/state/terok/shield/containers/%s",
                         home ? home : "", cfg->container);
  return r < 0 ? NULL : path;
}

static int print_tail(const struct config *cfg, const char *dir) {
  char *path;
  if (asprintf(&path, "%s/audit.jsonl", dir) < 0) return die("tail", ENOMEM);
  sw_event_list *list = NULL;
  int r = sw_audit_tail(path, (size_t)cfg->tail, &list);
  free(path);
  if (r < 0) return die("reading audit.jsonl", r);
  int out = 0;
  for (size_t i = 0; i < sw_event_list_size(list) && !out; i++)
    out = print_event(cfg, sw_event_list_get(list, i)) ? 2 : 0;
  sw_event_list_free(list);
  return out;
}

/* Returns the exit status: 0 on a signal or a closed stdout. */
static int run(const struct config *cfg, sw_watcher *w) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
  if (sfd < 0) return die("signalfd", errno);
  /* stdout with no events requested: a pipe whose reader left reports
   * POLLERR, so swcat ends even while no events arrive. */
  struct pollfd fds[3] = {{.fd = sw_fd(w), .events = POLLIN},
                          {.fd = sfd, .events = POLLIN},
                          {.fd = STDOUT_FILENO, .events = 0}};
  int status = 0;
  for (;;) {
    int r = sw_poll(w);
    if (r < 0) { status = die("poll", r); break; }
    sw_event *ev;
    while ((r = sw_next_event(w, &ev)) == 1) {
      int gone = print_event(cfg, ev);
      sw_event_free(ev);
      if (gone) goto out; /* reader went away: a normal end */
    }
    if (r < 0) { status = die("next event", r); break; }
    if (poll(fds, 3, -1) < 0 && errno != EINTR) { status = die("poll", errno); break; }
    if (fds[1].revents & POLLIN) break;
    if (fds[2].revents & (POLLERR | POLLHUP)) break; /* reader went away */
  }
out:
  close(sfd);
  return status;
}

int main(int argc, char **argv) {
  struct config cfg = {.sources = SW_SOURCE_ALL, .tail = 0, .nflog_group = -1, .dedup_ms = -1};
  cfg.json = !isatty(STDOUT_FILENO);
  const char *fmt = NULL;
  enum { OPT_STATE_DIR = 256, OPT_STATE, OPT_SOURCE, OPT_NETNS, OPT_GROUP, OPT_DEDUP };
  static const struct option longopts[] = {
      {"state-dir", required_argument, 0, OPT_STATE_DIR},
      {"state", required_argument, 0, OPT_STATE},
      {"output", required_argument, 0, 'o'},
      {"source", required_argument, 0, OPT_SOURCE},
      {"netns", required_argument, 0, OPT_NETNS},
      {"nflog-group", required_argument, 0, OPT_GROUP},
      {"dedup", required_argument, 0, OPT_DEDUP},
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
      case 'h': usage(stdout); return 0;
      case 'V': printf("swcat %s\n", sw_version()); return 0;
      default: usage(stderr); return 2;
    }
  }
  if (fmt) {
    if (!strcmp(fmt, "json")) cfg.json = 1;
    else if (!strcmp(fmt, "text")) cfg.json = 0;
    else { fprintf(stderr, "swcat: -o: expected json or text\n"); return 2; }
  }
  if (optind != argc - 1) {
    fprintf(stderr, "swcat: expected exactly one CONTAINER (see --help)\n");
    return 2;
  }
  cfg.container = argv[optind];
  const char *no_color = getenv("NO_COLOR");
  cfg.color = !cfg.json && isatty(STDOUT_FILENO) && !(no_color && *no_color);
  setvbuf(stdout, NULL, _IOLBF, 0);
  signal(SIGPIPE, SIG_IGN); /* a closed stdout shows up as a write error */

  /* Block the signals before any thread exists so signalfd sees them. */
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigprocmask(SIG_BLOCK, &mask, NULL);

  char *dir = state_dir_for(&cfg);
  if (!dir) return die("state dir", ENOMEM);
  sw_options *opts = sw_options_new();
  if (!opts) return die("options", ENOMEM);
  sw_options_set_sources(opts, cfg.sources);
  if (cfg.netns) sw_options_set_netns(opts, cfg.netns);
  if (cfg.nflog_group >= 0) sw_options_set_nflog_group(opts, (uint16_t)cfg.nflog_group);
  if (cfg.dedup_ms >= 0) sw_options_set_dedup_window_ms(opts, (uint32_t)cfg.dedup_ms);
  sw_watcher *w = NULL;
  char why[512];
  int r = sw_open_explain(dir, cfg.container, opts, &w, why, sizeof why);
  sw_options_free(opts);
  if (r < 0) {
    if (r == -SW_ETIER)
      fprintf(stderr, "swcat: %s (watching needs the dnsmasq tier)\n", why);
    else
      fprintf(stderr, "swcat: cannot watch %s: %s\n", cfg.container, why);
    free(dir);
    return 1;
  }
  int status = cfg.tail > 0 ? print_tail(&cfg, dir) : 0;
  free(dir);
  if (status == 0) status = run(&cfg, w);
  else if (status == 2) status = 0; /* stdout closed while printing the tail */
  sw_close(w);
  return status;
}
