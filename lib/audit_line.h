// Parser for audit.jsonl lines (the Python shield tool's format).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "event.h"

namespace sw {

// Parses one audit line into an event with source "audit". Returns false
// unless the line is exactly one JSON object per RFC 8259 (see
// json_object.h); of duplicate keys the last wins. A missing action becomes
// "unknown", a missing container `default_container`. A ts in plain RFC 3339
// form is kept verbatim, other readable forms become UTC, a missing or
// unreadable one the current time.
bool ParseAuditLine(std::string_view line, const std::string& default_container,
                    Event* out);

// "2026-11-22T13:30:01.5+02:00" (also 'Z', lowercase t/z, or a space
// separator) -> microseconds since the epoch, UTC.
std::optional<int64_t> ParseRfc3339(std::string_view text);

// "tcp", "udp", "6", ... -> IP protocol number; 0 when unknown.
int ProtoNumber(std::string_view name);

}  // namespace sw
