/* swcat --summary. Bounded: at most kMaxItems (container, domain|dest)
 * entries are tracked; blocked events beyond that are only counted. */
#define _GNU_SOURCE
#include "swcat_summary.h"

#include <search.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "swcat_filter.h"

enum { kMaxItems = 16384 };

enum kind { K_DOMAIN, K_DEST };

struct item {
  char *container;
  enum kind kind;
  char *name; /* domain or dest */
  int port, proto;
  uint64_t count;
  char first[40], last[40]; /* RFC 3339 UTC: ordered as strings */
};

struct swcat_summary {
  enum swcat_sort sort;
  struct item *items;
  size_t n;
  char **keys; /* owned keys of the hash table */
  struct hsearch_data table;
  uint64_t untracked;
  int dirty, printed;
  int64_t printed_ms; /* CLOCK_MONOTONIC */
};

struct swcat_summary *swcat_summary_new(enum swcat_sort sort) {
  struct swcat_summary *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->sort = sort;
  s->dirty = 1;
  s->items = calloc(kMaxItems, sizeof *s->items);
  s->keys = calloc(kMaxItems, sizeof *s->keys);
  if (!s->items || !s->keys || !hcreate_r(kMaxItems * 2, &s->table)) {
    free(s->items);
    free(s->keys);
    free(s);
    return NULL;
  }
  return s;
}

void swcat_summary_free(struct swcat_summary *s) {
  if (!s) return;
  for (size_t i = 0; i < s->n; i++) {
    free(s->items[i].container);
    free(s->items[i].name);
    free(s->keys[i]);
  }
  hdestroy_r(&s->table);
  free(s->items);
  free(s->keys);
  free(s);
}

static void seen(struct item *it, const char *ts, uint64_t n) {
  it->count += n;
  if (!*ts) return;
  if (!it->first[0] || strcmp(ts, it->first) < 0) snprintf(it->first, sizeof it->first, "%s", ts);
  if (strcmp(ts, it->last) > 0) snprintf(it->last, sizeof it->last, "%s", ts);
}

/* Finds or creates the item; NULL when the table is full or out of memory. */
static struct item *lookup(struct swcat_summary *s, const char *container, enum kind kind,
                           const char *name, int port, int proto) {
  char *key;
  /* Length-prefixed strings: no two items share a key. */
  if (asprintf(&key, "%zu:%s%d%zu:%s/%d/%d", strlen(container), container, kind, strlen(name),
               name, port, proto) < 0)
    return NULL;
  ENTRY e = {.key = key}, *found = NULL;
  if (hsearch_r(e, FIND, &found, &s->table) && found) {
    free(key);
    return &s->items[(uintptr_t)found->data];
  }
  if (s->n == kMaxItems) {
    free(key);
    return NULL;
  }
  struct item *it = &s->items[s->n];
  it->container = strdup(container);
  it->name = strdup(name);
  e.data = (void *)(uintptr_t)s->n;
  if (!it->container || !it->name || !hsearch_r(e, ENTER, &found, &s->table)) {
    free(it->container);
    free(it->name);
    free(key);
    memset(it, 0, sizeof *it);
    return NULL;
  }
  it->kind = kind;
  it->port = port;
  it->proto = proto;
  s->keys[s->n++] = key;
  return it;
}

int swcat_summary_add(struct swcat_summary *s, const sw_event *ev) {
  if (!swcat_is_blocked(ev)) return 0;
  uint64_t n = 1 + sw_event_suppressed(ev);
  const char *c = sw_event_container(ev), *ts = sw_event_ts(ev);
  const char *domain = sw_event_domain(ev), *dest = sw_event_dest(ev);
  int tracked = 0;
  if (*domain) {
    struct item *it = lookup(s, c, K_DOMAIN, domain, 0, 0);
    if (it) { seen(it, ts, n); tracked = 1; }
  }
  if (*dest) {
    struct item *it = lookup(s, c, K_DEST, dest, sw_event_port(ev), sw_event_proto(ev));
    if (it) { seen(it, ts, n); tracked = 1; }
  }
  if (!tracked) s->untracked += n;
  s->dirty = 1;
  return 1;
}

static int compare(const void *a, const void *b, void *arg) {
  const struct item *x = *(const struct item *const *)a, *y = *(const struct item *const *)b;
  int r = strcmp(x->container, y->container);
  if (r) return r;
  if (x->kind != y->kind) return (int)x->kind - (int)y->kind;
  if (*(const enum swcat_sort *)arg == SWCAT_SORT_RECENT) {
    r = strcmp(y->last, x->last);
    if (r) return r;
  }
  if (x->count != y->count) return x->count < y->count ? 1 : -1;
  r = strcmp(y->last, x->last);
  return r ? r : strcmp(x->name, y->name);
}

/* Items grouped by container, then domains before destinations, sorted. */
static const struct item **sorted(const struct swcat_summary *s) {
  const struct item **v = malloc((s->n ? s->n : 1) * sizeof *v);
  if (!v) return NULL;
  for (size_t i = 0; i < s->n; i++) v[i] = &s->items[i];
  enum swcat_sort sort = s->sort;
  qsort_r(v, s->n, sizeof *v, compare, &sort);
  return v;
}

static void json_str(FILE *out, const char *p) {
  fputc('"', out);
  for (; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (c == '"' || c == '\\') fprintf(out, "\\%c", c);
    else if (c < 0x20 || c == 0x7f) fprintf(out, "\\u%04x", c);
    else fputc(c, out);
  }
  fputc('"', out);
}

int swcat_summary_write_json(const struct swcat_summary *s, FILE *out) {
  const struct item **v = sorted(s);
  if (!v) return -1;
  fputs("{\"containers\":[", out);
  for (size_t i = 0; i < s->n; i++) {
    const struct item *it = v[i];
    int new_container = i == 0 || strcmp(v[i - 1]->container, it->container);
    int new_kind = new_container || v[i - 1]->kind != it->kind;
    if (new_container) {
      if (i) fputs("]},", out);
      fputs("{\"container\":", out);
      json_str(out, it->container);
    }
    if (new_kind) {
      if (!new_container) fputc(']', out);
      fputs(it->kind == K_DOMAIN ? ",\"domains\":[" : ",\"destinations\":[", out);
    } else {
      fputc(',', out);
    }
    fputs(it->kind == K_DOMAIN ? "{\"domain\":" : "{\"dest\":", out);
    json_str(out, it->name);
    if (it->port) fprintf(out, ",\"port\":%d", it->port);
    if (it->proto) fprintf(out, ",\"proto\":%d", it->proto);
    fprintf(out, ",\"count\":%llu,\"first\":", (unsigned long long)it->count);
    json_str(out, it->first);
    fputs(",\"last\":", out);
    json_str(out, it->last);
    fputc('}', out);
  }
  if (s->n) fputs("]}", out);
  fprintf(out, "],\"untracked\":%llu}\n", (unsigned long long)s->untracked);
  free(v);
  return ferror(out) ? -1 : 0;
}

/* Container-controlled text on a terminal: control characters (C0, DEL and
 * the UTF-8-encoded C1 range) become '?', so nothing can drive the TTY. */
static void put_safe(FILE *out, const char *p, int width) {
  int n = 0;
  for (; *p; p++, n++) {
    unsigned char c = (unsigned char)*p;
    if (c == 0xC2 && (unsigned char)p[1] >= 0x80 && (unsigned char)p[1] <= 0x9F) {
      fputc('?', out);
      p++;
    } else if (c < 0x20 || c == 0x7f) {
      fputc('?', out);
    } else {
      fputc(c, out);
      if ((c & 0xC0) == 0x80) n--; /* continuation byte: same column */
    }
  }
  for (; n < width; n++) fputc(' ', out);
}

static const char *proto_name(int proto, char buf[12]) {
  switch (proto) {
    case 1: return "icmp";
    case 6: return "tcp";
    case 17: return "udp";
    case 58: return "icmpv6";
  }
  snprintf(buf, 12, "%d", proto);
  return buf;
}

/* "2026-11-23T14:11:02.123456Z" -> "2026-11-23 14:11:02" */
static void put_time(FILE *out, const char *ts) {
  if (strlen(ts) >= 19) fprintf(out, "%.10s %.8s  ", ts, ts + 11);
  else fprintf(out, "%-19s  ", *ts ? ts : "-");
}

int swcat_summary_write_text(const struct swcat_summary *s, FILE *out, int redraw) {
  const struct item **v = sorted(s);
  if (!v) return -1;
  if (redraw) fputs("\033[H\033[2J", out);
  if (!s->n) fputs("no blocked access seen yet\n", out);
  for (size_t i = 0; i < s->n; i++) {
    const struct item *it = v[i];
    int new_container = i == 0 || strcmp(v[i - 1]->container, it->container);
    if (new_container) {
      fputs(i ? "\ncontainer " : "container ", out);
      put_safe(out, it->container, 0);
      fputc('\n', out);
    }
    if (new_container || v[i - 1]->kind != it->kind)
      fprintf(out, "  %8s  %-19s  %-19s  %s\n", "COUNT", "FIRST SEEN", "LAST SEEN",
              it->kind == K_DOMAIN ? "DOMAIN" : "DESTINATION");
    fprintf(out, "  %8llu  ", (unsigned long long)it->count);
    put_time(out, it->first);
    put_time(out, it->last);
    put_safe(out, it->name, 0);
    char pb[12];
    if (it->port) fprintf(out, ":%d", it->port);
    if (it->proto) fprintf(out, "/%s", proto_name(it->proto, pb));
    fputc('\n', out);
  }
  if (s->untracked)
    fprintf(out, "\n%llu more blocked accesses without a domain or destination, or past %d "
            "entries\n", (unsigned long long)s->untracked, kMaxItems);
  free(v);
  return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

static int64_t monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int print(struct swcat_summary *s, FILE *out, int text) {
  int r = text ? swcat_summary_write_text(s, out, s->printed) : swcat_summary_write_json(s, out);
  if (!text && fflush(out) != 0) r = -1;
  s->printed = 1;
  s->dirty = 0;
  s->printed_ms = monotonic_ms();
  return r;
}

int swcat_summary_tick(struct swcat_summary *s, FILE *out, int text) {
  if (!s->dirty) return -1;
  int64_t since = monotonic_ms() - s->printed_ms;
  if (s->printed && since < 1000) return (int)(1000 - since);
  return print(s, out, text) ? -2 : -1;
}

void swcat_summary_flush(struct swcat_summary *s, FILE *out, int text) {
  if (s->dirty || !s->printed) print(s, out, text);
}
