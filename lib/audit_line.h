// Parser for audit.jsonl lines (the Python shield tool's format).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "event.h"

namespace sw {

// Parses one audit line into an event with source "audit". Returns false for
// blank, invalid or non-object lines. A missing container becomes
// `default_container`; a missing or unreadable ts becomes the current time.
bool ParseAuditLine(std::string_view line, const std::string& default_container,
                    Event* out);

// "2026-11-22T13:30:01.5+02:00" (also 'Z', lowercase t/z, or a space
// separator) -> microseconds since the epoch, UTC.
std::optional<int64_t> ParseRfc3339(std::string_view text);

// "tcp", "udp", "6", ... -> IP protocol number; 0 when unknown.
int ProtoNumber(std::string_view name);

}  // namespace sw
