// A strict RFC 8259 reader for a JSON text that must be exactly one object,
// such as an audit.jsonl line: it validates the whole text (no trailing
// bytes, no second value, no BOM, no raw control characters in strings, no
// NaN) and picks out the top-level members a caller names. Nested values are
// validated and skipped. Nothing is allocated unless a key is escaped.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sw {

struct JsonValue {
  enum class Type { kAbsent, kString, kNumber, kTrue, kFalse, kNull, kObject, kArray };
  Type type = Type::kAbsent;
  // As written: a string's text between its quotes (escapes not decoded), a
  // number's digits, a container's whole text.
  std::string_view raw;
  // For a string, what the reader saw while validating it: whether raw holds
  // a backslash escape, and whether all its bytes are ASCII.
  bool escaped = false;
  bool ascii = false;
};

// Parses `text` as one JSON object surrounded by optional JSON whitespace.
// For each i, values[i] receives the value of the last top-level member whose
// (decoded) key equals keys[i], or stays kAbsent. Returns false when the text
// is not exactly one valid object (values are then unspecified). Nesting
// deeper than 512 levels counts as invalid.
bool ParseJsonObject(std::string_view text, const std::string_view* keys,
                     JsonValue* values, size_t count);

// The UTF-8 text of a string value's raw form (as validated by
// ParseJsonObject): escapes resolved ("\u0000" included), a surrogate escape
// without its pair and any invalid UTF-8 byte become U+FFFD.
std::string DecodeJsonString(std::string_view raw);
// The same into *out (replacing its content, keeping its capacity when raw
// has no escapes, the usual case).
void DecodeJsonString(std::string_view raw, std::string* out);
// The same for a string value ParseJsonObject returned: what its reader saw
// spares a second scan (unescaped ASCII is copied as it is).
void DecodeJsonString(const JsonValue& v, std::string* out);
// A string's text for matching against ASCII (key names, digits, protocol
// names): raw itself when it has no escape, else decoded into *scratch. Raw
// bytes above ASCII are left as they are: they match no ASCII text, as their
// U+FFFD replacement would not either.
std::string_view JsonMatchText(std::string_view raw, bool escaped, std::string* scratch);

}  // namespace sw
