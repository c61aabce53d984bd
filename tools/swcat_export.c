/* swcat's exports: native journald entries (sd_journal_sendv) and RFC 5424
 * syslog over a unix socket, UDP, or TCP with RFC 6587 octet counting. */
#define _GNU_SOURCE
#include "swcat_export.h"

#include "swcat_filter.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#ifdef SWCAT_HAVE_JOURNAL
#define SD_JOURNAL_SUPPRESS_LOCATION /* no CODE_FILE: it would name our build path */
#include <systemd/sd-journal.h>
#endif

enum transport { T_JOURNAL, T_UNIX, T_UDP, T_TCP };

struct swcat_export {
  enum transport t;
  int fd;
  char host[256]; /* RFC 5424 HOSTNAME */
  char buf[65536];
};

/* One field of an event, by its JSON key; int fields are "" when absent. */
struct field {
  const char *key;
  char num[24];
  const char *value;
};

/* The event's fields in the JSON order, absent ones skipped. */
static size_t event_fields(const sw_event *ev, struct field f[14]) {
  size_t n = 0;
#define STR(k, v) do { const char *s_ = (v); if (*s_) { f[n].key = k; f[n].value = s_; n++; } } while (0)
#define NUM(k, v, present) do { if (present) { f[n].key = k; \
    snprintf(f[n].num, sizeof f[n].num, "%lld", (long long)(v)); f[n].value = f[n].num; n++; } } while (0)
  STR("ts", sw_event_ts(ev));
  STR("source", sw_event_source(ev));
  STR("action", sw_event_action(ev));
  STR("container", sw_event_container(ev));
  STR("domain", sw_event_domain(ev));
  STR("query_type", sw_event_query_type(ev));
  STR("dest", sw_event_dest(ev));
  STR("detail", sw_event_detail(ev));
  NUM("port", sw_event_port(ev), sw_event_port(ev) != 0);
  NUM("proto", sw_event_proto(ev), sw_event_proto(ev) != 0);
  NUM("uid", sw_event_uid(ev), sw_event_uid(ev) >= 0);
  NUM("gid", sw_event_gid(ev), sw_event_gid(ev) >= 0);
  NUM("icmp_type", sw_event_icmp_type(ev), sw_event_icmp_type(ev) >= 0);
  NUM("suppressed", sw_event_suppressed(ev), sw_event_suppressed(ev) > 0);
#undef STR
#undef NUM
  return n;
}

/* syslog severity: blocked/denied traffic is a warning, a problem of the
 * watcher itself an error, everything else (setup, allow...) info. */
static int severity(const sw_event *ev) {
  if (!strcmp(sw_event_source(ev), "watch")) return 3;
  return swcat_is_blocked(ev) ? 4 : 6;
}

int swcat_export_is_format(const char *fmt) {
  return !strcmp(fmt, "journal") || !strcmp(fmt, "syslog") || !strncmp(fmt, "syslog=", 7);
}

static int fail(char *why, size_t len, int err, const char *fmt, const char *arg) {
  snprintf(why, len, fmt, arg, strerror(err));
  return -err;
}

/* "HOST:PORT" or "[V6]:PORT" -> a connected socket of type `type`. */
static int connect_inet(const char *spec, int type, char *why, size_t whylen) {
  char host[256];
  const char *colon = strrchr(spec, ':');
  const char *h = spec;
  size_t hl = colon ? (size_t)(colon - spec) : 0;
  if (hl && h[0] == '[' && h[hl - 1] == ']') { h++; hl -= 2; }
  if (!colon || !hl || hl >= sizeof host || !colon[1]) {
    snprintf(why, whylen, "syslog target '%s': expected HOST:PORT", spec);
    return -EINVAL;
  }
  memcpy(host, h, hl);
  host[hl] = 0;
  struct addrinfo hints = {.ai_socktype = type, .ai_flags = AI_NUMERICSERV};
  struct addrinfo *ai;
  int r = getaddrinfo(host, colon + 1, &hints, &ai);
  if (r) {
    snprintf(why, whylen, "syslog target '%s': %s", spec, gai_strerror(r));
    return -EINVAL;
  }
  int fd = -1, err = 0;
  for (struct addrinfo *a = ai; a; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    err = errno;
    if (fd >= 0) close(fd);
    fd = -1;
  }
  freeaddrinfo(ai);
  if (fd < 0) return fail(why, whylen, err ? err : ECONNREFUSED, "syslog target '%s': %s", spec);
  return fd;
}

static int connect_unix(const char *path, char *why, size_t whylen) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path) {
    snprintf(why, whylen, "syslog socket path too long");
    return -EINVAL;
  }
  strcpy(sa.sun_path, path);
  /* /dev/log is a datagram socket on Linux; some loggers use a stream. */
  int types[] = {SOCK_DGRAM, SOCK_STREAM};
  int err = 0;
  for (int i = 0; i < 2; i++) {
    int fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail(why, whylen, errno, "syslog socket %s: %s", path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) return fd;
    err = errno;
    close(fd);
    if (err != EPROTOTYPE) break;
  }
  return fail(why, whylen, err, "syslog socket %s: %s", path);
}

int swcat_export_open(const char *fmt, struct swcat_export **out, char *why, size_t whylen) {
  struct swcat_export *x = calloc(1, sizeof *x);
  if (!x) return -ENOMEM;
  x->fd = -1;
  int r = 0;
  if (!strcmp(fmt, "journal")) {
#ifdef SWCAT_HAVE_JOURNAL
    x->t = T_JOURNAL;
#else
    snprintf(why, whylen, "-o journal: this swcat was built without libsystemd (journald support)");
    r = -ENOTSUP;
#endif
  } else {
    const char *target = fmt[6] == '=' ? fmt + 7 : "unix:/dev/log";
    if (!strncmp(target, "unix:", 5)) {
      x->t = T_UNIX;
      r = x->fd = connect_unix(target + 5, why, whylen);
    } else if (!strncmp(target, "udp:", 4)) {
      x->t = T_UDP;
      r = x->fd = connect_inet(target + 4, SOCK_DGRAM, why, whylen);
    } else if (!strncmp(target, "tcp:", 4)) {
      x->t = T_TCP;
      r = x->fd = connect_inet(target + 4, SOCK_STREAM, why, whylen);
    } else {
      snprintf(why, whylen, "-o syslog=%s: expected unix:PATH, udp:HOST:PORT or tcp:HOST:PORT", target);
      r = -EINVAL;
    }
    /* HOSTNAME is PRINTUSASCII without spaces, else the nil value. */
    if (gethostname(x->host, sizeof x->host - 1) != 0 || !x->host[0]) strcpy(x->host, "-");
    for (char *p = x->host; *p; p++)
      if (*p <= ' ' || *p > '~') { strcpy(x->host, "-"); break; }
  }
  if (r < 0) {
    free(x);
    return r;
  }
  *out = x;
  return 0;
}

#ifdef SWCAT_HAVE_JOURNAL
static int send_journal(const sw_event *ev, const char *message) {
  struct field f[14];
  size_t n = event_fields(ev, f);
  char *items[17] = {0};
  struct iovec iov[17];
  size_t k = 0;
  int r = 0;
  if (asprintf(&items[k++], "MESSAGE=%s", message) < 0 ||
      asprintf(&items[k++], "PRIORITY=%d", severity(ev)) < 0 ||
      asprintf(&items[k++], "SYSLOG_IDENTIFIER=swcat") < 0) {
    r = -ENOMEM;
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    char name[32];
    size_t j = 0;
    for (const char *p = f[i].key; *p && j < sizeof name - 1; p++)
      name[j++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    name[j] = 0;
    if (asprintf(&items[k++], "SHIELDWATCH_%s=%s", name, f[i].value) < 0) {
      r = -ENOMEM;
      goto out;
    }
  }
  for (size_t i = 0; i < k; i++) iov[i] = (struct iovec){items[i], strlen(items[i])};
  r = sd_journal_sendv(iov, (int)k);
out:
  for (size_t i = 0; i < k; i++) free(items[i]);
  return r;
}
#endif

/* Appends s as an RFC 5424 PARAM-VALUE body: '"', '\' and ']' escaped. */
static size_t put_param(char *b, size_t at, size_t cap, const char *s) {
  for (; *s && at + 2 < cap; s++) {
    if (*s == '"' || *s == '\\' || *s == ']') b[at++] = '\\';
    b[at++] = *s;
  }
  return at;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int send_syslog(struct swcat_export *x, const sw_event *ev, const char *message) {
  struct field f[14];
  size_t n = event_fields(ev, f);
  /* MSGID: the action when it is 1..32 printable ASCII, else nil. */
  const char *action = sw_event_action(ev);
  int ok_msgid = *action && strlen(action) <= 32;
  for (const char *p = action; *p && ok_msgid; p++) ok_msgid = *p > ' ' && *p <= '~';
  /* Facility user (1). 32473 is the example enterprise number of RFC 5612. */
  char *b = x->buf;
  size_t cap = sizeof x->buf, at = 0;
  at += (size_t)snprintf(b, cap, "<%d>1 %s %s swcat %d %s [shieldwatch@32473", 8 + severity(ev),
                         *sw_event_ts(ev) ? sw_event_ts(ev) : "-", x->host, (int)getpid(),
                         ok_msgid ? action : "-");
  for (size_t i = 0; i < n && at < cap - 64; i++) {
    if (!strcmp(f[i].key, "ts")) continue; /* it is the TIMESTAMP */
    at += (size_t)snprintf(b + at, cap - at, " %s=\"", f[i].key);
    at = put_param(b, at, cap - 4, f[i].value);
    b[at++] = '"';
  }
  at += (size_t)snprintf(b + at, cap - at, "] %s", message);
  if (at >= cap) at = cap - 1;
  if (x->t == T_TCP) {
    char len[24];
    int ln = snprintf(len, sizeof len, "%zu ", at);
    int r = write_all(x->fd, len, (size_t)ln);
    return r ? r : write_all(x->fd, b, at);
  }
  if (send(x->fd, b, at, MSG_NOSIGNAL) < 0) {
    /* UDP is fire-and-forget: a receiver that is down (ICMP port
     * unreachable from an earlier datagram) must not end swcat. */
    if (x->t == T_UDP && errno == ECONNREFUSED) return 0;
    return -errno;
  }
  return 0;
}

int swcat_export_event(struct swcat_export *x, const sw_event *ev, const char *message) {
#ifdef SWCAT_HAVE_JOURNAL
  if (x->t == T_JOURNAL) return send_journal(ev, message);
#endif
  return send_syslog(x, ev, message);
}

void swcat_export_close(struct swcat_export *x) {
  if (!x) return;
  if (x->fd >= 0) close(x->fd);
  free(x);
}
