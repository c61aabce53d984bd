// The C ABI: a thin translation layer over the C++ core (LevelDB's c.cc).
// Status values become negative errno codes here; nothing throws across it
// (allocation failure is reported as -ENOMEM).
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include "audit_log.h"
#include "host.h"
#include "nflog_source.h"
#include "libshieldwatch.h"
#include "packed_event.h"
#include "watcher.h"

#define SW_EXPORT extern "C" __attribute__((visibility("default")))

struct sw_options {
  sw::Options rep;
};
struct sw_watcher {
  std::unique_ptr<sw::Watcher> rep;
};
struct sw_host {
  std::unique_ptr<sw::Host> rep;
};
// An sw_event is a sw::PackedEvent (one block, JSON included, built up
// front): accessors on a const event stay read-only, so threads may share an
// event (e.g. from a list). The struct itself is never defined.
struct sw_event_list {
  std::vector<sw::PackedEventPtr> events;
};
struct sw_audit_log {
  sw::AuditLog rep;
};

namespace {

int ToCode(const sw::Status& s) { return s.ok() ? 0 : -s.code(); }

// Runs fn, mapping allocation failure to -ENOMEM: no exception leaves here.
template <typename Fn>
auto Guard(Fn fn) noexcept -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    return -ENOMEM;
  } catch (...) {
    return -EIO;
  }
}

// One poll/next translation for watchers and hosts.
int PollResult(const sw::Status& s, size_t queued) {
  if (!s.ok()) return ToCode(s);
  return queued > INT32_MAX ? INT32_MAX : static_cast<int>(queued);
}

const sw::PackedEvent* Rep(const sw_event* ev) {
  return reinterpret_cast<const sw::PackedEvent*>(ev);
}

// One next/read translation for watchers and hosts (Rep: sw::Watcher or
// sw::Host); each call is for one of the two delivery forms.
template <typename Rep>
int NextEvent(Rep& rep, sw_event** ev) {
  if (rep.json_stream()) return -EOPNOTSUPP;
  sw::PackedEventPtr next = rep.Next();
  if (!next) return 0;
  *ev = reinterpret_cast<sw_event*>(next.release());
  return 1;
}

template <typename Rep>
ssize_t ReadJson(Rep& rep, char* buf, size_t len) {
  if (!rep.json_stream()) return -EOPNOTSUPP;
  size_t n = 0;
  // A count must fit the return type.
  sw::Status s = rep.ReadJson(buf, std::min<size_t>(len, SSIZE_MAX), &n);
  return s.ok() ? static_cast<ssize_t>(n) : ToCode(s);
}

uint64_t StatValue(const sw::Stats& s, sw_stat_id id) {
  switch (id) {
    case SW_STAT_EVENTS: return s.events;
    case SW_STAT_DNS_LINES: return s.dns_lines;
    case SW_STAT_AUDIT_LINES: return s.audit_lines;
    case SW_STAT_AUDIT_SKIPPED: return s.audit_skipped;
    case SW_STAT_LINES_TOO_LONG: return s.lines_too_long;
    case SW_STAT_NFLOG_PACKETS: return s.nflog_packets;
    case SW_STAT_NFLOG_LOST: return s.nflog_lost;
    case SW_STAT_DEDUPED: return s.deduped;
    case SW_STAT_RESCANS: return s.rescans;
  }
  return 0;
}

const char* Str(const sw_event* ev, sw::PackedEvent::Field field) {
  return ev ? Rep(ev)->c_str(field) : "";
}

}  // namespace

#define SW_STR2(x) #x
#define SW_STR(x) SW_STR2(x)
SW_EXPORT const char* sw_version(void) {
  return SW_STR(SW_VERSION_MAJOR) "." SW_STR(SW_VERSION_MINOR) "." SW_STR(SW_VERSION_PATCH);
}

SW_EXPORT const char* sw_strerror(int err) {
  if (err < 0) err = -err;
  if (err == 0) return "success";
  if (err == SW_ETIER) return "dns.tier of the state directory is missing or not 'dnsmasq'";
  // strerrordesc_np: static strings, thread-safe, no locale state.
  const char* d = strerrordesc_np(err);
  return d ? d : "unknown error";
}

SW_EXPORT sw_options* sw_options_new(void) { return new (std::nothrow) sw_options(); }
SW_EXPORT void sw_options_free(sw_options* opts) { delete opts; }

SW_EXPORT int sw_options_set_sources(sw_options* opts, unsigned sources) {
  if (!opts || sources == 0 || (sources & ~SW_SOURCE_ALL)) return -EINVAL;
  opts->rep.sources = sources;
  return 0;
}

SW_EXPORT int sw_options_set_dedup_window_ms(sw_options* opts, uint32_t ms) {
  if (!opts) return -EINVAL;
  opts->rep.dedup_window_ms = ms;
  return 0;
}

SW_EXPORT int sw_options_set_dedup_mode(sw_options* opts, int mode) {
  if (!opts || (mode != SW_DEDUP_WINDOW && mode != SW_DEDUP_ONCE)) return -EINVAL;
  opts->rep.dedup_once = mode == SW_DEDUP_ONCE;
  return 0;
}

SW_EXPORT int sw_options_set_nflog_group(sw_options* opts, uint16_t group) {
  if (!opts) return -EINVAL;
  opts->rep.nflog_group = group;
  return 0;
}

SW_EXPORT int sw_options_set_netns(sw_options* opts, const char* netns_path) {
  if (!opts) return -EINVAL;
  return Guard([&] {
    opts->rep.netns_path = netns_path ? netns_path : "";
    return 0;
  });
}

SW_EXPORT int sw_options_set_nflog_required(sw_options* opts, int required) {
  if (!opts) return -EINVAL;
  opts->rep.nflog_required = required != 0;
  return 0;
}

SW_EXPORT int sw_options_set_nflog_action(sw_options* opts, const char* prefix,
                                          const char* action) {
  if (!opts || !prefix || !action || !*action) return -EINVAL;
  return Guard([&] {
    std::string key(sw::NflogPrefixKey(prefix));  // normalize like the lookup does
    for (auto& [p, a] : opts->rep.nflog_actions) {
      if (p == key) {
        a = action;
        return 0;
      }
    }
    opts->rep.nflog_actions.emplace_back(std::move(key), action);
    return 0;
  });
}

SW_EXPORT int sw_options_set_max_line(sw_options* opts, uint32_t bytes) {
  if (!opts || bytes < 256) return -EINVAL;
  opts->rep.max_line = bytes;
  return 0;
}

SW_EXPORT int sw_options_set_domain_map_size(sw_options* opts, uint32_t entries) {
  if (!opts || entries == 0) return -EINVAL;
  opts->rep.domain_map_size = entries;
  return 0;
}

SW_EXPORT int sw_options_set_dns_seed_bytes(sw_options* opts, uint64_t bytes) {
  if (!opts) return -EINVAL;
  opts->rep.dns_seed_bytes = bytes;
  return 0;
}

SW_EXPORT int sw_options_set_cursor(sw_options* opts, unsigned source, const char* cursor) {
  if (!opts) return -EINVAL;
  std::string* slot = source == SW_SOURCE_DNS     ? &opts->rep.dns_cursor
                      : source == SW_SOURCE_AUDIT ? &opts->rep.audit_cursor
                                                  : nullptr;
  if (!slot) return -EINVAL;
  return Guard([&] {
    *slot = cursor ? cursor : "";
    return 0;
  });
}

SW_EXPORT int sw_options_set_json_cursor(sw_options* opts, int enabled) {
  if (!opts) return -EINVAL;
  opts->rep.json_cursor = enabled != 0;
  return 0;
}

SW_EXPORT int sw_options_set_json_stream(sw_options* opts, int enabled) {
  if (!opts) return -EINVAL;
  opts->rep.json_stream = enabled != 0;
  return 0;
}

SW_EXPORT int sw_open_explain(const char* state_dir, const char* container,
                              const sw_options* opts, sw_watcher** out,
                              char* errbuf, size_t errlen) {
  auto explain = [&](const char* why) {
    if (errbuf && errlen > 0) snprintf(errbuf, errlen, "%s", why);
  };
  if (!state_dir || !*state_dir || !container || !*container || !out) {
    explain("state_dir, container and out are required");
    return -EINVAL;
  }
  *out = nullptr;
  int r = Guard([&] {
    sw::Options defaults;
    std::unique_ptr<sw::Watcher> w;
    sw::Status s = sw::Watcher::Open(state_dir, container, opts ? opts->rep : defaults, &w);
    if (!s.ok()) {
      explain(s.message().c_str());
      return ToCode(s);
    }
    *out = new sw_watcher{std::move(w)};
    return 0;
  });
  if (r == -ENOMEM) explain("out of memory");
  return r;
}

SW_EXPORT int sw_open(const char* state_dir, const char* container,
                      const sw_options* opts, sw_watcher** out) {
  return sw_open_explain(state_dir, container, opts, out, nullptr, 0);
}

SW_EXPORT void sw_close(sw_watcher* w) { delete w; }

SW_EXPORT int sw_fd(const sw_watcher* w) { return w ? w->rep->fd() : -EINVAL; }

SW_EXPORT int sw_poll(sw_watcher* w) {
  if (!w) return -EINVAL;
  return Guard([&] {
    size_t queued = 0;
    sw::Status s = w->rep->Poll(&queued);
    return PollResult(s, queued);
  });
}

SW_EXPORT int sw_next_event(sw_watcher* w, sw_event** ev) {
  if (!w || !ev) return -EINVAL;
  *ev = nullptr;
  return Guard([&] { return NextEvent(*w->rep, ev); });
}

SW_EXPORT ssize_t sw_read_json(sw_watcher* w, char* buf, size_t len) {
  if (!w || (!buf && len > 0)) return -EINVAL;
  return Guard([&] { return ReadJson(*w->rep, buf, len); });
}

SW_EXPORT int sw_source_status(const sw_watcher* w, unsigned source) {
  if (!w) return -EINVAL;
  return -w->rep->SourceStatus(source);
}

SW_EXPORT uint64_t sw_stat(const sw_watcher* w, sw_stat_id id) {
  return w ? StatValue(w->rep->stats(), id) : 0;
}

SW_EXPORT int sw_host_new(const sw_options* defaults, sw_host** out) {
  if (!out) return -EINVAL;
  *out = nullptr;
  return Guard([&] {
    auto h = std::make_unique<sw_host>();
    sw::Status s = sw::Host::Create(defaults ? defaults->rep : sw::Options(), &h->rep);
    if (!s.ok()) return ToCode(s);
    *out = h.release();
    return 0;
  });
}

SW_EXPORT void sw_host_close(sw_host* h) { delete h; }

SW_EXPORT int sw_host_fd(const sw_host* h) { return h ? h->rep->fd() : -EINVAL; }

SW_EXPORT int sw_host_poll(sw_host* h) {
  if (!h) return -EINVAL;
  return Guard([&] {
    size_t queued = 0;
    sw::Status s = h->rep->Poll(&queued);
    return PollResult(s, queued);
  });
}

SW_EXPORT int sw_host_next_event(sw_host* h, sw_event** ev) {
  if (!h || !ev) return -EINVAL;
  *ev = nullptr;
  return Guard([&] { return NextEvent(*h->rep, ev); });
}

SW_EXPORT ssize_t sw_host_read_json(sw_host* h, char* buf, size_t len) {
  if (!h || (!buf && len > 0)) return -EINVAL;
  return Guard([&] { return ReadJson(*h->rep, buf, len); });
}

SW_EXPORT int sw_host_add_explain(sw_host* h, const char* state_dir, const char* container,
                                  const sw_options* opts, char* errbuf, size_t errlen) {
  auto explain = [&](const char* why) {
    if (errbuf && errlen > 0) snprintf(errbuf, errlen, "%s", why);
  };
  if (!h || !state_dir || !*state_dir || !container || !*container) {
    explain("host, state_dir and container are required");
    return -EINVAL;
  }
  int r = Guard([&] {
    sw::Status s = h->rep->Add(state_dir, container, opts ? opts->rep : h->rep->defaults());
    if (!s.ok()) explain(s.message().c_str());
    return ToCode(s);
  });
  if (r == -ENOMEM) explain("out of memory");
  return r;
}

SW_EXPORT int sw_host_add(sw_host* h, const char* state_dir, const char* container,
                          const sw_options* opts) {
  return sw_host_add_explain(h, state_dir, container, opts, nullptr, 0);
}

SW_EXPORT int sw_host_remove(sw_host* h, const char* container) {
  if (!h || !container) return -EINVAL;
  return Guard([&] { return ToCode(h->rep->Remove(container)); });
}

SW_EXPORT int sw_host_follow(sw_host* h, const char* state_root) {
  if (!h || !state_root || !*state_root) return -EINVAL;
  return Guard([&] { return ToCode(h->rep->Follow(state_root)); });
}

SW_EXPORT size_t sw_host_size(const sw_host* h) { return h ? h->rep->size() : 0; }

SW_EXPORT int sw_host_source_status(const sw_host* h, const char* container, unsigned source) {
  if (!h || !container) return -EINVAL;
  return Guard([&] { return -h->rep->SourceStatus(container, source); });
}

SW_EXPORT uint64_t sw_host_stat(const sw_host* h, sw_stat_id id) {
  return h ? StatValue(h->rep->stats(), id) : 0;
}

SW_EXPORT void sw_event_free(sw_event* ev) {
  sw::PackedEvent::Free(reinterpret_cast<sw::PackedEvent*>(ev));
}
SW_EXPORT const char* sw_event_ts(const sw_event* ev) { return Str(ev, sw::PackedEvent::kTs); }
SW_EXPORT const char* sw_event_source(const sw_event* ev) { return Str(ev, sw::PackedEvent::kSource); }
SW_EXPORT const char* sw_event_action(const sw_event* ev) { return Str(ev, sw::PackedEvent::kAction); }
SW_EXPORT const char* sw_event_container(const sw_event* ev) { return Str(ev, sw::PackedEvent::kContainer); }
SW_EXPORT const char* sw_event_domain(const sw_event* ev) { return Str(ev, sw::PackedEvent::kDomain); }
SW_EXPORT const char* sw_event_query_type(const sw_event* ev) { return Str(ev, sw::PackedEvent::kQueryType); }
SW_EXPORT const char* sw_event_dest(const sw_event* ev) { return Str(ev, sw::PackedEvent::kDest); }
SW_EXPORT const char* sw_event_detail(const sw_event* ev) { return ev ? Rep(ev)->detail() : ""; }
SW_EXPORT const char* sw_event_cursor(const sw_event* ev) { return ev ? Rep(ev)->cursor() : ""; }
SW_EXPORT const char* sw_event_member(const sw_event* ev) {
  if (ev && !Rep(ev)->view(sw::PackedEvent::kMember).empty()) return Str(ev, sw::PackedEvent::kMember);
  return sw_event_container(ev);
}
SW_EXPORT int sw_event_port(const sw_event* ev) { return ev ? Rep(ev)->port() : 0; }
SW_EXPORT int sw_event_proto(const sw_event* ev) { return ev ? Rep(ev)->proto() : 0; }
SW_EXPORT int64_t sw_event_uid(const sw_event* ev) { return ev ? Rep(ev)->uid() : -1; }
SW_EXPORT int64_t sw_event_gid(const sw_event* ev) { return ev ? Rep(ev)->gid() : -1; }
SW_EXPORT int sw_event_icmp_type(const sw_event* ev) { return ev ? Rep(ev)->icmp_type() : -1; }
SW_EXPORT uint64_t sw_event_suppressed(const sw_event* ev) { return ev ? Rep(ev)->suppressed() : 0; }

SW_EXPORT const char* sw_event_json(const sw_event* ev, size_t* len) {
  if (!ev) {
    if (len) *len = 0;
    return "";
  }
  if (len) *len = Rep(ev)->view(sw::PackedEvent::kJson).size();
  return Str(ev, sw::PackedEvent::kJson);
}

SW_EXPORT size_t sw_event_list_size(const sw_event_list* list) {
  return list ? list->events.size() : 0;
}

SW_EXPORT const sw_event* sw_event_list_get(const sw_event_list* list, size_t i) {
  return list && i < list->events.size() ? reinterpret_cast<const sw_event*>(list->events[i].get())
                                         : nullptr;
}

SW_EXPORT void sw_event_list_free(sw_event_list* list) { delete list; }

SW_EXPORT int sw_audit_open(const char* path, sw_audit_log** out) {
  if (!path || !*path || !out) return -EINVAL;
  *out = nullptr;
  return Guard([&] {
    auto log = std::make_unique<sw_audit_log>();
    sw::Status s = sw::AuditLog::Open(path, &log->rep);
    if (!s.ok()) return ToCode(s);
    *out = log.release();
    return 0;
  });
}

SW_EXPORT void sw_audit_close(sw_audit_log* log) { delete log; }

SW_EXPORT int sw_audit_set_enabled(sw_audit_log* log, int enabled) {
  if (!log) return -EINVAL;
  log->rep.set_enabled(enabled != 0);
  return 0;
}

SW_EXPORT int sw_audit_write(sw_audit_log* log, const char* container,
                             const char* action, const char* dest,
                             const char* detail) {
  if (!log || !container || !*container || !action || !*action) return -EINVAL;
  return Guard([&] {
    return ToCode(log->rep.Write(container, action, dest ? dest : "", detail ? detail : ""));
  });
}

SW_EXPORT int sw_audit_tail(const char* path, size_t n, sw_event_list** out) {
  if (!path || !*path || !out) return -EINVAL;
  *out = nullptr;
  return Guard([&] {
    std::vector<sw::Event> events;
    sw::Status s = sw::TailAuditFile(path, n, &events);
    if (!s.ok()) return ToCode(s);
    auto list = std::make_unique<sw_event_list>();
    list->events.reserve(events.size());
    std::string json;
    for (const auto& e : events) list->events.emplace_back(sw::PackedEvent::Make(e, &json));
    *out = list.release();
    return 0;
  });
}
