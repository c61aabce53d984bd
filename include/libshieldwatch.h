/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libshieldwatch - a live stream of what a container's egress shield blocked.
 *
 * One watcher (sw_watcher) follows one container's state directory and merges
 * three sources into one event stream: the dnsmasq query log (blocked DNS
 * queries), the audit log (audit.jsonl) and the firewall's NFLOG group.
 *
 * Event loop contract (sd-journal / libbpf ring_buffer style):
 *   sw_open()        creates every internal resource eagerly;
 *   sw_fd()          one epoll fd, readable while there is work to do;
 *   sw_poll()        never blocks; processes everything that is ready;
 *   sw_next_event()  hands out the events sw_poll() queued.
 * A host waits for sw_fd() to become readable, calls sw_poll(), then calls
 * sw_next_event() until it returns 0. The fd stays readable while queued
 * events remain, so level- and edge-triggered hosts are both correct.
 *
 * Errors: functions returning int return a negative errno on failure (never
 * set errno); sw_strerror() describes a code. NULL or invalid arguments give
 * -EINVAL. SW_ETIER is the one library-specific condition, see below.
 *
 * Threads: a handle may be used from any thread, one thread at a time.
 * Different handles are independent; the library has no global state.
 * Each watcher holds one inotify instance: fs.inotify.max_user_instances
 * (default 128) bounds how many one user can open (then -EMFILE). For many
 * containers use one sw_host, which holds one inotify instance for all.
 *
 * Ownership: every object a sw_*_new/open/next/tail call gives you is yours
 * and is released with the matching *_free/_close call. `const char *`
 * returned by an accessor is borrowed from the object passed in and stays
 * valid until that object is freed. All strings handed out are valid UTF-8.
 *
 * Cursors and resume (sd-journal style, since 1.1): every event from a file
 * source (dns, audit) carries a cursor, an opaque printable string naming the
 * position right after its line (sw_event_cursor). A host that stores it and
 * passes it back with sw_options_set_cursor() on the next sw_open() (or
 * sw_host_add(), keyed by sw_event_member()) resumes right there: the rest of the file, also when it was
 * rotated meanwhile (by rename or copytruncate: the rotated file is drained
 * first, then any later rotated files, oldest first, up to 64, then the new
 * one from its start). Delivery guarantee: no event is lost between the last
 * cursor the host saved and the resume; an event is repeated only when it
 * came after that cursor (at-least-once). A host that saves the cursor of
 * each event as it handles it, atomically with its effect, gets exactly-once.
 * When a cursor cannot be honoured (the file and every rotated copy of it are
 * gone, truncated or rewritten, or the string is not a cursor of this
 * source), the source reads its current file from the start and the stream
 * carries one watch event "gap" whose detail names the source and the reason.
 * NFLOG has no history: after a resume the stream carries one watch "gap"
 * event saying packets logged while the host was down are unknown.
 */
#ifndef LIBSHIELDWATCH_H
#define LIBSHIELDWATCH_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SW_VERSION_MAJOR 1
#define SW_VERSION_MINOR 2
#define SW_VERSION_PATCH 0

/* The state directory's dns.tier is missing or not "dnsmasq". */
#define SW_ETIER EMEDIUMTYPE

typedef struct sw_watcher sw_watcher;
typedef struct sw_options sw_options;
typedef struct sw_event sw_event;
typedef struct sw_event_list sw_event_list;
typedef struct sw_audit_log sw_audit_log;

/* Source bits for sw_options_set_sources() and sw_source_status(). */
#define SW_SOURCE_DNS   (1u << 0)
#define SW_SOURCE_AUDIT (1u << 1)
#define SW_SOURCE_NFLOG (1u << 2)
#define SW_SOURCE_ALL   (SW_SOURCE_DNS | SW_SOURCE_AUDIT | SW_SOURCE_NFLOG)

/* Event vocabulary: the strings sw_event_source() and sw_event_action()
 * return (and the JSON carries). One line per name: the Go and Rust bindings
 * generate their typed constants from these lines, so adding an action here
 * is all a new one takes. SW_EVENT_SOURCE_* name sources in events; the
 * SW_SOURCE_* bits above select them. */
#define SW_EVENT_SOURCE_DNS   "dns"   /* the dnsmasq query log */
#define SW_EVENT_SOURCE_AUDIT "audit" /* audit.jsonl */
#define SW_EVENT_SOURCE_NFLOG "nflog" /* packets the firewall logged */
#define SW_EVENT_SOURCE_WATCH "watch" /* the library's own notices */
/* dns: a query for a name outside the allowed set. */
#define SW_ACTION_BLOCKED_QUERY "blocked_query"
/* nflog: the built-in log prefix table (TEROK_SHIELD_BLOCKED, _DENIED,
 * _PRIVATE, _ALLOWED, _BYPASS); sw_options_set_nflog_action() adds others. */
#define SW_ACTION_QUEUED_CONNECTION  "queued_connection"
#define SW_ACTION_BLOCKED_CONNECTION "blocked_connection"
#define SW_ACTION_PRIVATE_RANGE      "private_range"
#define SW_ACTION_ALLOWED_CONNECTION "allowed_connection"
#define SW_ACTION_BYPASS_CONNECTION  "bypass_connection"
/* watch: NFLOG could not be set up (detail says why), messages were lost,
 * a line longer than max_line was dropped; a state-dir file is refused or
 * unreadable (detail names it and the reason, once per reason) and later
 * followed again; host membership and state-dir/tier changes. */
#define SW_ACTION_NFLOG_UNAVAILABLE "nflog_unavailable"
#define SW_ACTION_LOST              "lost"
#define SW_ACTION_LINE_TOO_LONG     "line_too_long"
#define SW_ACTION_SOURCE_ERROR      "source_error"
#define SW_ACTION_SOURCE_RECOVERED  "source_recovered"
#define SW_ACTION_NFLOG_RECOVERED   "nflog_recovered"
#define SW_ACTION_CONTAINER_ADDED   "container_added"
#define SW_ACTION_CONTAINER_REMOVED "container_removed"
#define SW_ACTION_STATE_DIR_REMOVED "state_dir_removed"
#define SW_ACTION_STATE_DIR_RESTORED "state_dir_restored"
#define SW_ACTION_TIER_NOT_DNSMASQ  "tier_not_dnsmasq"
#define SW_ACTION_TIER_DNSMASQ      "tier_dnsmasq"
/* watch: a saved cursor could not be honoured, or NFLOG packets while the
 * host was down are unknown (detail names the source and why). */
#define SW_ACTION_GAP               "gap"
/* audit: what the shield tool writes with sw_audit_write(); an audit line
 * may carry any other action too. */
#define SW_ACTION_SETUP    "setup"
#define SW_ACTION_TEARDOWN "teardown"
#define SW_ACTION_ALLOW    "allow"
#define SW_ACTION_DENY     "deny"

/* Library version as "MAJOR.MINOR.PATCH"; static storage. */
const char *sw_version(void);

/* Describes a code returned by any sw_* call (negative or positive errno, or
 * SW_ETIER); static storage, never NULL. */
const char *sw_strerror(int err);

/* ---- Options: an opaque, extensible bag of settings for sw_open(). ---- */

/* New options holding the defaults; NULL when out of memory. Free with
 * sw_options_free(). sw_open() copies what it needs: free them any time. */
sw_options *sw_options_new(void);
void sw_options_free(sw_options *opts);

/* Setters return 0, or -EINVAL for a NULL opts or a value out of range. */

/* Which sources to run, a non-empty mask of SW_SOURCE_*; default all. */
int sw_options_set_sources(sw_options *opts, unsigned sources);
/* Dedup window in ms; 0 (default) disables window mode. Events are keyed by
 * (container, source, action, domain, query_type, dest, port, proto);
 * "watch" events are never held. The first occurrence of a key is emitted at
 * once and opens a window of `ms`; repeats inside it are held back. When the
 * window closes holding N > 0 of them, the last one is emitted carrying
 * "suppressed": N - 1 (sw_event_suppressed()) for the others, so each event
 * stands for 1 + suppressed occurrences and the sum equals the occurrences
 * exactly. A timer inside sw_fd() closes windows; it is armed only while
 * something is held (an idle watcher makes no wakeups). In SW_DEDUP_ONCE
 * mode `ms` is the report period instead. */
int sw_options_set_dedup_window_ms(sw_options *opts, uint32_t ms);

/* Modes for sw_options_set_dedup_mode(). */
#define SW_DEDUP_WINDOW 0 /* default: one event per key per window + counts */
#define SW_DEDUP_ONCE   1 /* first occurrence per key only + periodic counts */
/* SW_DEDUP_ONCE (notification-style hosts): only a key's first occurrence
 * is emitted at once; later repeats are held and reported per key as above,
 * at most once per period (the dedup window; 60 s when 0). At most 65536
 * keys are held: the least recently seen is dropped, what it holds reported
 * first, and its next occurrence is emitted as new. Window mode likewise
 * holds at most 65536 open windows. Since 1.1. */
int sw_options_set_dedup_mode(sw_options *opts, int mode);
/* NFLOG group to bind; default 100. */
int sw_options_set_nflog_group(sw_options *opts, uint16_t group);
/* Open the NFLOG socket inside this network namespace (e.g. /proc/PID/ns/net
 * or /run/netns/NAME); NULL (default) means the caller's own namespace. */
int sw_options_set_netns(sw_options *opts, const char *netns_path);
/* Nonzero: sw_open() fails when NFLOG cannot be set up. Default 0: the other
 * sources keep working and the stream carries one "nflog_unavailable" event. */
int sw_options_set_nflog_required(sw_options *opts, int required);
/* Map an NFLOG log prefix (compared after trimming trailing spaces and
 * colons) to an event action, adding to or replacing the built-in table. */
int sw_options_set_nflog_action(sw_options *opts, const char *prefix,
                                const char *action);
/* Longest log line kept, in bytes (default 65536, minimum 256). Longer lines
 * are dropped and reported with a "line_too_long" watch event (at most one
 * per file per second; its detail counts the lines dropped in between). */
int sw_options_set_max_line(sw_options *opts, uint32_t bytes);
/* Entries kept in the IP -> domain map (default 65536, at least 1; the least
 * recently updated entry is evicted). */
int sw_options_set_domain_map_size(sw_options *opts, uint32_t entries);
/* Bytes at the end of an already existing dnsmasq.log read at open to fill
 * the IP -> domain map, so a packet to an address resolved before sw_open()
 * is still named (default 8 MiB; 0: none). No events come from these lines.
 * Only done when the NFLOG source is enabled. Since 1.1. */
int sw_options_set_dns_seed_bytes(sw_options *opts, uint64_t bytes);
/* Resume `source` (SW_SOURCE_DNS or SW_SOURCE_AUDIT, one bit) right after
 * `cursor`, a string sw_event_cursor() returned for an event of that source
 * (see "Cursors and resume" above). Set one per source; a host watching many
 * containers keeps one per container per source (options of sw_host_add).
 * NULL or "" clears it: the source then starts at the end of its file (only
 * new lines are reported). Any other string is accepted here; one that
 * cannot be honoured gives a "gap" event at sw_open(). Returns -EINVAL for a
 * NULL opts or another source. Since 1.1. */
int sw_options_set_cursor(sw_options *opts, unsigned source, const char *cursor);
/* Nonzero: sw_event_json() ends with a "cursor" key for events that have one.
 * Default 0: the JSON line has no cursor. Since 1.1. */
int sw_options_set_json_cursor(sw_options *opts, int enabled);
/* Nonzero: the handle opened with these options (sw_open, sw_host_new;
 * sw_host_add ignores it) queues its events as one byte stream of JSON lines,
 * read with sw_read_json(), not as sw_event objects; sw_next_event() then
 * returns -EOPNOTSUPP. Each line is what sw_event_json() gives, then '\n'.
 * For hosts that pass the lines on: it skips building an object per event,
 * about a third of the library's work for an NFLOG packet. Default 0. Since 1.2. */
int sw_options_set_json_stream(sw_options *opts, int enabled);

/* ---- Watcher ---- */

/* Watches state_dir for `container`. opts may be NULL for defaults. On success
 * stores a new handle in *out and returns 0. Returns -SW_ETIER when dns.tier is
 * absent, not a regular file (a symlink is refused) or not "dnsmasq",
 * -ENOENT / -ENOTDIR for a bad state_dir. Never blocks (FIFOs are refused).
 * A log or list file that cannot be used is no error here: it is reported
 * as a "source_error" watch event. Only lines appended after this call are
 * reported, unless opts carry cursors. */
int sw_open(const char *state_dir, const char *container,
            const sw_options *opts, sw_watcher **out);
/* sw_open() that also explains a failure: when it returns an error and
 * errbuf is not NULL, a one-line reason naming the file or step that failed
 * is written there, cut to fit errlen bytes and always NUL-terminated. */
int sw_open_explain(const char *state_dir, const char *container,
                    const sw_options *opts, sw_watcher **out, char *errbuf,
                    size_t errlen);
/* Closes every fd and frees queued events. NULL is a no-op. */
void sw_close(sw_watcher *w);

/* The pollable fd (epoll, O_CLOEXEC), owned by the handle and stable for its
 * life; never close it. Readable while sw_poll() has work to do or events are
 * queued. Returns the fd or -EINVAL. */
int sw_fd(const sw_watcher *w);
/* Processes what is ready without blocking and queues the events. Returns
 * the number of events now queued, or a negative errno for an error of the
 * handle itself only: a file of the state dir that is a symlink, not a
 * regular file, unreadable or oversized is a "source_error" watch event
 * (once per reason; "source_recovered" when it is usable again) and the
 * other sources go on. Work per call is bounded (about 1 MiB per source),
 * and sources are read until about 4096 events or 16 MiB of events are
 * queued (memory stays bounded when the host falls behind; NFLOG then
 * waits in its socket, and what the kernel drops there is a counted "lost"
 * event); the rest waits, the fd stays readable, and draining the queue
 * raises a fresh edge, so call sw_poll() again when it fires. */
int sw_poll(sw_watcher *w);
/* Takes the oldest queued event: returns 1 and stores it in *ev (free it with
 * sw_event_free), 0 when the queue is empty, or a negative errno. */
int sw_next_event(sw_watcher *w, sw_event **ev);
/* For a handle opened with sw_options_set_json_stream(): moves up to len of
 * the oldest queued bytes of its JSON-lines stream into buf and returns how
 * many. When none are queued it first does what sw_poll() does, so a host
 * needs no sw_poll(): wait for sw_fd(), then call sw_read_json() until it
 * returns 0 (nothing queued or ready). Fails as sw_poll() does (the bytes
 * stay queued), or with -EOPNOTSUPP for a handle of sw_event objects, -EINVAL
 * for a NULL handle or buf. A line may be split between two calls, like
 * read(2) on a pipe; no byte is lost or repeated. sw_poll() may still be
 * used; it returns the lines not wholly read. Since 1.2. */
ssize_t sw_read_json(sw_watcher *w, char *buf, size_t len);

/* 0 when the source runs, a negative errno giving why it does not (-ENOTCONN
 * when it was not requested), -EINVAL for a bad argument. One source bit. */
int sw_source_status(const sw_watcher *w, unsigned source);

/* Counters for sw_stat(). */
typedef enum sw_stat_id {
  SW_STAT_EVENTS = 0,        /* events queued so far */
  SW_STAT_DNS_LINES = 1,     /* dnsmasq log lines read */
  SW_STAT_AUDIT_LINES = 2,   /* audit lines read */
  SW_STAT_AUDIT_SKIPPED = 3, /* blank, invalid or non-object audit lines */
  SW_STAT_LINES_TOO_LONG = 4,/* lines dropped for exceeding max_line */
  SW_STAT_NFLOG_PACKETS = 5, /* NFLOG packets turned into events */
  SW_STAT_NFLOG_LOST = 6,    /* NFLOG messages known lost */
  SW_STAT_DEDUPED = 7,       /* events suppressed by the dedup window */
  SW_STAT_RESCANS = 8        /* inotify overflows recovered by rescanning */
} sw_stat_id;
/* A counter's value; 0 for an unknown id or a NULL handle. */
uint64_t sw_stat(const sw_watcher *w, sw_stat_id id);

/* ---- Host: one handle for many containers ---- */

/* A host follows any number of containers with one epoll fd, one inotify
 * instance and one eventfd in total (NFLOG: one socket per network namespace
 * and group in use), so a runtime with 1,000 containers needs neither 1,000
 * inotify instances (fs.inotify.max_user_instances) nor 1,000 loops. Same
 * loop contract as a watcher: wait for sw_host_fd(), sw_host_poll(), then
 * sw_host_next_event() until 0. Every event carries its container.
 * Membership changes are "watch" events: "container_added" (detail: the
 * state dir) and "container_removed" (detail: why). Health changes too:
 * "nflog_unavailable" / "nflog_recovered", "tier_not_dnsmasq" / "tier_dnsmasq",
 * "state_dir_removed" / "state_dir_restored" (explicit members follow their
 * path when the directory is deleted and recreated), "source_error". */
typedef struct sw_host sw_host;

/* A new host with no members. `defaults` (NULL: built-in defaults) gives the
 * dedup window of the whole stream and the options of containers attached
 * by sw_host_follow(). Returns 0 or a negative errno (-EMFILE when no inotify
 * instance is left). */
int sw_host_new(const sw_options *defaults, sw_host **out);
/* Closes every fd, frees queued events. NULL is a no-op. */
void sw_host_close(sw_host *h);
/* The pollable fd, as sw_fd(). */
int sw_host_fd(const sw_host *h);
/* As sw_poll(): never blocks; works in proportion to what is ready, not to
 * the number of containers (at most 1,024 containers with work per call; the
 * fd stays readable while more remain). Returns the events queued. */
int sw_host_poll(sw_host *h);
/* As sw_next_event(). */
int sw_host_next_event(sw_host *h, sw_event **ev);
/* As sw_read_json(), for a host whose `defaults` asked for a JSON stream.
 * Since 1.2. */
ssize_t sw_host_read_json(sw_host *h, char *buf, size_t len);

/* Follows state_dir as `container` (unique in the host) with `opts` (NULL:
 * the host's defaults): sources, NFLOG group and netns, max line, map size.
 * O(1) in the number of members. Errors as sw_open(), plus -EEXIST for a
 * name already followed and -EBUSY when another member reads the same NFLOG
 * group in the same network namespace and nflog is required (otherwise an
 * "nflog_unavailable" event names that container, and "nflog_recovered"
 * follows when it is removed). */
int sw_host_add(sw_host *h, const char *state_dir, const char *container,
                const sw_options *opts);
/* sw_host_add() that explains a failure in errbuf, as sw_open_explain(). */
int sw_host_add_explain(sw_host *h, const char *state_dir, const char *container,
                        const sw_options *opts, char *errbuf, size_t errlen);
/* Stops following `container`, O(1): events already queued for it are still
 * delivered, then one "container_removed", then nothing more. Safe at any
 * time between calls. -ENOENT when it is not a member. */
int sw_host_remove(sw_host *h, const char *container);
/* Follows every directory of state_root/containers: each is attached (named
 * after the directory) when its dns.tier says dnsmasq, also when dns.tier is
 * written later, and detached when deleted or renamed away. Driven by
 * inotify: one scan now, none per event. -ENOENT when state_root/containers
 * does not exist. */
int sw_host_follow(sw_host *h, const char *state_root);
/* Members now; 0 for NULL. */
size_t sw_host_size(const sw_host *h);
/* As sw_source_status() for one member; -ENOENT when it is not a member. */
int sw_host_source_status(const sw_host *h, const char *container, unsigned source);
/* As sw_stat(), summed over every member the host has had. */
uint64_t sw_host_stat(const sw_host *h, sw_stat_id id);

/* ---- Events ---- */

/* Frees an event, from any thread. Events are independent of the handle and
 * of each other, but a handle packs consecutive events into shared 8 KiB
 * blocks: an event kept long after its neighbours were freed keeps its
 * block's memory until it is freed too. */
void sw_event_free(sw_event *ev);
/* Field accessors. Strings are borrowed from ev and never NULL ("" when the
 * field is empty): ts is RFC 3339 UTC with microseconds, source is one of
 * SW_EVENT_SOURCE_*, action one of SW_ACTION_* (audit: any string). */
const char *sw_event_ts(const sw_event *ev);
const char *sw_event_source(const sw_event *ev);
const char *sw_event_action(const sw_event *ev);
const char *sw_event_container(const sw_event *ev);
const char *sw_event_domain(const sw_event *ev);
const char *sw_event_query_type(const sw_event *ev);
const char *sw_event_dest(const sw_event *ev);
const char *sw_event_detail(const sw_event *ev);
/* Where to resume after this event: an opaque printable string (ASCII, at
 * most 128 bytes) for events of the dns and audit sources, "" for others and
 * for an event dedup reports late (a summary after later lines: saving its
 * position would move the host's backwards). Its text is written on the
 * first call (events carry the position as numbers until then).
 * Pass it to sw_options_set_cursor(). Since 1.1. */
const char *sw_event_cursor(const sw_event *ev);
/* The container name given to sw_open() or sw_host_add() whose state
 * directory the event came from. Equals sw_event_container() except for an
 * audit line that names another container: store the event's cursor under
 * this name, which sw_host_add() takes it back with. Since 1.1. */
const char *sw_event_member(const sw_event *ev);
/* Integer fields: port and IP protocol number are 0 when absent; uid, gid
 * and icmp_type are -1 when absent. */
int sw_event_port(const sw_event *ev);
int sw_event_proto(const sw_event *ev);
int64_t sw_event_uid(const sw_event *ev);
int64_t sw_event_gid(const sw_event *ev);
int sw_event_icmp_type(const sw_event *ev);
/* How many more occurrences of its key the event stands for besides itself:
 * set on an event reporting repeats that dedup held back, else 0. Since 1.1. */
uint64_t sw_event_suppressed(const sw_event *ev);
/* The event as one JSON object without a newline: keys ts, source, action,
 * container, then domain, query_type, dest, detail, port, proto, uid, gid,
 * icmp_type, suppressed when non-empty, in that order (then cursor, when
 * sw_options_set_json_cursor() asked for it). Borrowed from ev; *len (if not
 * NULL) receives the length. Built when the event is made. Threads may share
 * an event: every accessor may be called from several at once. */
const char *sw_event_json(const sw_event *ev, size_t *len);

/* ---- Event lists (from sw_audit_tail) ---- */

size_t sw_event_list_size(const sw_event_list *list);
/* The i-th event, borrowed from the list; NULL when out of range. */
const sw_event *sw_event_list_get(const sw_event_list *list, size_t i);
void sw_event_list_free(sw_event_list *list);

/* ---- Audit log writer ---- */

/* Opens (creating, mode 0600) an audit log for appending. Enabled at start.
 * Refuses a symlink (-ELOOP) and anything but a regular file (-EISDIR,
 * -EINVAL); never blocks. An unterminated line left by a writer that died is
 * ended with a newline, so the next line stands alone. */
int sw_audit_open(const char *path, sw_audit_log **out);
void sw_audit_close(sw_audit_log *log);
/* While disabled, sw_audit_write() succeeds without writing. */
int sw_audit_set_enabled(sw_audit_log *log, int enabled);
/* Appends one line {"ts","container","action","dest"?,"detail"?} with a
 * single write(2) (O_APPEND; never truncates). container and action are
 * required; dest and detail may be NULL or "". A full disk gives -ENOSPC;
 * a fragment a failed write left is ended before the next line. */
int sw_audit_write(sw_audit_log *log, const char *container, const char *action,
                   const char *dest, const char *detail);
/* Reads the last n audit events of the file at path (oldest first) into a
 * new list in *out. A missing file gives an empty list; a symlink or a
 * non-regular file is refused. Reads backwards in blocks (linear, bounded
 * memory); invalid lines, an unterminated last line and lines over 1 MiB
 * are skipped. */
int sw_audit_tail(const char *path, size_t n, sw_event_list **out);

#ifdef __cplusplus
}
#endif
#endif /* LIBSHIELDWATCH_H */
