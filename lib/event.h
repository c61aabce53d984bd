// The event every source produces, and its JSON line.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "cursor.h"

namespace sw {

// An event's numbers, the same in each of its forms (Event, EventView and
// the packed block).
struct EventNumbers {
  int port = 0;   // 0: absent
  int proto = 0;  // IP protocol number, 0: absent
  int64_t uid = -1;
  int64_t gid = -1;
  int icmp_type = -1;
  uint64_t suppressed = 0;  // dedup summary: repeats not emitted; 0: absent
};

struct Event : EventNumbers {
  std::string ts;  // RFC 3339
  std::string source;
  std::string action;
  std::string container;
  std::string domain;
  std::string query_type;
  std::string dest;
  std::string detail;
  // File sources: where to resume after this event (see cursor.h); empty
  // for the others. Only in the JSON on request (json_cursor: the
  // container's options asked for it).
  Cursor cursor;
  bool json_cursor = false;
  // The member (sw_open/sw_host_add name) the event came from, when it is
  // not `container` (an audit line naming another container): the key a
  // host stores the cursor under. Empty in the usual case: no copy per event.
  std::string member;
};

// The JSON of a run of events whose string fields are the same byte for
// byte (a source's packets to one destination): the first event's JSON up
// to its numbers, which WriteJson copies for the others. Owned by the source
// making the run, which clears it whenever a string field may change. Only
// a cache: WriteJson's output is the same with it or without.
struct JsonRunCache {
  std::string head;
  bool valid = false;
  // The members after the port (proto, uid, gid, icmp_type) as last
  // written, and the values they were written from: a run's packets mostly
  // differ in their port alone. Checked by value, so no owner clears it.
  std::string ids;
  int proto = 0, icmp_type = -1;
  int64_t uid = -1, gid = -1;
  bool ids_valid = false;
};

// An event as views, the form the emit path takes: a source points the
// fields at its own buffers (the line it read, static names, its caches),
// so an event is copied once, when it is packed. Valid only until the call
// it is passed to returns. An Event converts to one.
struct EventView : EventNumbers {
  EventView() = default;
  EventView(const Event& ev);  // NOLINT(google-explicit-constructor): like string -> string_view

  std::string_view ts, source, action, container, domain, query_type, dest, detail, member;
  Cursor cursor;
  bool json_cursor = false;
  // The fields whose bytes the source knows need no JSON escape (printable
  // ASCII, no quote or backslash): the JSON writer copies them as they are.
  // 0, the default, has every field checked.
  uint8_t plain = 0;
  // When not null, the cache of the run this event belongs to (see
  // JsonRunCache); an Event made from the view leaves it.
  JsonRunCache* run = nullptr;
  static constexpr uint8_t kPlainTs = 1, kPlainDomain = 2, kPlainQueryType = 4, kPlainDest = 8,
                           kPlainDetail = 16;
  // When not empty, the detail as the JSON writer would write it, without
  // its quotes, in place of `detail` (then empty): a source reading JSON may
  // hold it so (an audit line's escaped detail). The writer copies it, the
  // packed event decodes it on its first read, CopyEvent at once.
  std::string_view detail_json;
};

// An Event holding copies of v's fields (for what outlives the emit call).
Event CopyEvent(const EventView& v);

// Current wall-clock time as "YYYY-MM-DDTHH:MM:SS.uuuuuu+00:00".
std::string NowRfc3339();
// Formats microseconds since the epoch the same way.
std::string FormatRfc3339(int64_t unix_micros);
// The same into *out (replacing its content, keeping its capacity).
void FormatRfc3339(int64_t unix_micros, std::string* out);

// CLOCK_MONOTONIC in milliseconds: for intervals, never for an event's ts.
int64_t MonotonicMs();
// The same in nanoseconds.
int64_t MonotonicNs();

// An event the library reports about itself (source "watch"), stamped now.
Event WatchEvent(std::string container, std::string action, std::string detail);

// True when every byte belongs to a well-formed UTF-8 sequence.
bool IsValidUtf8(std::string_view bytes);

// Untrusted bytes -> valid UTF-8: each byte that does not start a well-formed
// sequence becomes U+FFFD. Valid input is returned unchanged.
std::string SanitizeUtf8(std::string_view bytes);
// The same into *out (replacing its content, keeping its capacity).
void SanitizeUtf8(std::string_view bytes, std::string* out);
// The same without a copy when bytes are valid UTF-8: a view of bytes, else
// of *buf, which receives the sanitized text.
std::string_view AsValidUtf8(std::string_view bytes, std::string* buf);

// True when AppendJsonString would copy s as it is (no quote, backslash,
// control byte or DEL): the test behind EventView::plain.
bool NeedsNoJsonEscape(std::string_view s);

// Appends `s` (valid UTF-8) as a quoted JSON string; escapes quotes,
// backslashes, every control byte and DEL.
void AppendJsonString(std::string& out, std::string_view s);
// The most bytes AppendJsonString writes for a string of n bytes: every
// byte escaped as \u00XX, and the quotes.
constexpr size_t JsonStringBound(size_t n) { return 6 * n + 2; }

// One JSON object (no newline), fields in the documented order, empty
// optional fields omitted; a non-empty cursor last when json_cursor asks.
// String fields must already be valid UTF-8. AppendJson writes it at the
// end of `out`.
void AppendJson(std::string& out, const EventView& ev);
// What WriteJson may keep between the events of one stream: the JSON of the
// last few (source, action, container) it wrote, which the events of a
// source and container share (an audit log has a handful of actions), so
// they are escaped once and copied after. Only a cache: WriteJson's output
// is the same with it or without.
class JsonMemo {
 public:
  // Those members' JSON for ev when remembered, else "".
  std::string_view Find(const EventView& ev) const;
  // `json`: what WriteJson wrote for them; kept when no value needed an
  // escape (then each value is in it verbatim, where Find compares it).
  void Remember(const EventView& ev, std::string_view json);

 private:
  struct Entry {
    std::string json;
    uint32_t source = 0, action = 0, container = 0;  // the values' sizes
  };
  std::array<Entry, 4> entries_;
  size_t next_ = 0;  // the entry Remember replaces
};

// The same written at p, which has room for JsonBound(ev) bytes (no NUL);
// returns the end. `memo` (may be null) is read and updated.
size_t JsonBound(const EventView& ev);
char* WriteJson(char* p, const EventView& ev, JsonMemo* memo = nullptr);
std::string ToJson(const EventView& ev);

}  // namespace sw
