// Parser for audit.jsonl lines (the Python shield tool's format).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "event.h"

namespace sw {

// The date and time of day ("YYYY-MM-DDTHH:MM:SS") of the last timestamp a
// reader parsed, with its seconds since the epoch. Lines in a burst mostly
// share their second: a reader that keeps one reads the date once a second.
// Only text that parsed is kept, so the answers are those without it.
struct DateTimeCache {
  char text[19] = {};
  int64_t seconds = 0;
  bool valid = false;
};

// Where ParseAuditLine keeps the text of fields that are not the line's own
// bytes (decoded escapes, a normalized ts). A reader reuses one, so the
// strings keep their capacity.
struct AuditText {
  std::string ts, action, container, domain, dest, detail;
};

// Parses one audit line into an event with source "audit". Returns false
// unless the line is exactly one JSON object per RFC 8259 (see
// json_object.h); of duplicate keys the last wins. A missing action becomes
// "unknown", a missing container `default_container`. A ts in plain RFC 3339
// form is kept verbatim, other readable forms become UTC, a missing or
// unreadable one the current time. Sets the fields of *out that an audit
// line has, and its plain bits; they point into `line`, `default_container`
// or *text (valid while those are). `cache` (may be null): see
// ParseRfc3339.
bool ParseAuditLine(std::string_view line, std::string_view default_container,
                    EventView* out, AuditText* text, DateTimeCache* cache = nullptr);

// The same into an Event of its own.
bool ParseAuditLine(std::string_view line, const std::string& default_container,
                    Event* out, DateTimeCache* cache = nullptr);

// "2026-11-22T13:30:01.5+02:00" (also 'Z', lowercase t/z, or a space
// separator) -> microseconds since the epoch, UTC. `cache` (may be null) is
// the caller's, consulted and updated.
std::optional<int64_t> ParseRfc3339(std::string_view text, DateTimeCache* cache = nullptr);

// "tcp", "udp", "6", ... -> IP protocol number; 0 when unknown.
int ProtoNumber(std::string_view name);

}  // namespace sw
