// A strict RFC 8259 reader for a JSON text that must be exactly one object,
// such as an audit.jsonl line: it validates the whole text (no trailing
// bytes, no second value, no BOM, no raw control characters in strings, no
// NaN) and picks out the top-level members a caller names. Nested values are
// validated and skipped. Nothing is allocated unless a key is escaped.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "byte_scan.h"

namespace sw {

struct JsonValue {
  enum class Type { kAbsent, kString, kNumber, kTrue, kFalse, kNull, kObject, kArray };
  Type type = Type::kAbsent;
  // As written: a string's text between its quotes (escapes not decoded), a
  // number's digits, a container's whole text.
  std::string_view raw;
  // For a string, what the reader saw while validating it: whether raw holds
  // a backslash escape, and whether all its bytes are printable ASCII (no
  // byte above 0x7E; the reader lets no raw control byte through). Raw text
  // neither escaped nor with such a byte is valid UTF-8 and needs no JSON
  // escape as it is.
  bool escaped = false;
  bool printable = false;
  // For a string, whether every escape is one WriteJsonString writes (\"
  // \\ \n \r \t): raw that is also printable is then the very text it
  // writes for the decoded value.
  bool short_escapes = false;
};

// The member names a caller picks out, with a table from a name's length
// and first and last bytes to the one name it can be: a member costs one
// lookup and one comparison, not one per name. `names` must outlive it.
class JsonKeys {
 public:
  constexpr JsonKeys(const std::string_view* names, size_t count) : names_(names), count_(count) {
    slots_.fill(kNone);
    for (size_t i = 0; i < count; ++i) {
      const std::string_view name = names[i];
      uint8_t& slot = slots_[Slot(name)];
      bool own = slot == kNone && i < kPadded && name.size() <= 16;
      slot = own ? static_cast<uint8_t>(i) : kMany;
      if (!own) continue;
      for (size_t b = 0; b < name.size(); ++b) padded_[i][b] = name[b];
    }
  }
  size_t count() const { return count_; }
  // The index of the name equal to `name`, or count().
  size_t Find(std::string_view name) const {
    auto equal = [&](size_t i) { return SameText(names_[i], name); };
    uint8_t slot = slots_[Slot(name)];
    if (slot == kNone) return count_;
    if (slot != kMany) return equal(slot) ? slot : count_;
    for (size_t i = 0; i < count_; ++i)
      if (equal(i)) return i;
    return count_;
  }
  // The same for the n bytes at p, which has 16 bytes readable: a name of
  // up to 16 bytes is compared in one vector, with no branch on its length
  // (a line's names differ in length, and those branches were often
  // mispredicted).
  size_t FindPadded(const char* p, size_t n) const {
#if defined(__SSE2__)
    if (n == 0 || n > 16) return Find(std::string_view(p, n));
    uint8_t slot = slots_[Slot(std::string_view(p, n))];
    if (slot == kNone) return count_;
    if (slot == kMany) return Find(std::string_view(p, n));
    uint32_t same = MarkedBytes(_mm_cmpeq_epi8(Load16(p), Load16(padded_[slot].data())));
    uint32_t want = (1u << n) - 1;
    return (same & want) == want && names_[slot].size() == n ? slot : count_;
#else
    return Find(std::string_view(p, n));
#endif
  }

 private:
  static constexpr uint8_t kNone = 0xFF;  // no name has this slot
  static constexpr uint8_t kMany = 0xFE;  // several do, or a name without a padded copy: compare each
  static constexpr size_t kPadded = 32;   // the names that can have a padded copy
  static constexpr size_t Slot(std::string_view name) {
    if (name.empty()) return 0;
    return (name.size() * 7 + static_cast<unsigned char>(name.front()) * 3 +
            static_cast<unsigned char>(name.back())) & 63;
  }
  const std::string_view* names_;
  size_t count_;
  std::array<uint8_t, 64> slots_{};
  // A name of up to 16 bytes (of the first kPadded), zero-padded to 16.
  std::array<std::array<char, 16>, kPadded> padded_{};
};

// Parses `text` as one JSON object surrounded by optional JSON whitespace.
// For each i, values[i] receives the value of the last top-level member whose
// (decoded) key equals the name keys picks out as i, or stays kAbsent.
// Returns false when the text is not exactly one valid object (values are
// then unspecified). Nesting deeper than 512 levels counts as invalid.
// A line as writers put it ({"name":value,...} without whitespace, names
// without escapes, no byte above 0x7E) is read in one pass over where its
// quotes and backslashes are; any other text by a general reader.
bool ParseJsonObject(std::string_view text, const JsonKeys& keys, JsonValue* values);
// The same by the general reader alone: what the fuzzer holds the one-pass
// reading to (the same answer and values for every text).
bool ParseJsonObjectGeneral(std::string_view text, const JsonKeys& keys, JsonValue* values);

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
// Decodes in place the raw form of a string value whose bytes are all
// printable ASCII (JsonValue::printable): the result, never longer, is valid
// UTF-8. Returns its length.
size_t DecodePrintableJsonString(char* raw, size_t n);
// A string's text for matching against ASCII (key names, digits, protocol
// names): raw itself when it has no escape, else decoded into *scratch. Raw
// bytes above ASCII are left as they are: they match no ASCII text, as their
// U+FFFD replacement would not either.
std::string_view JsonMatchText(std::string_view raw, bool escaped, std::string* scratch);

}  // namespace sw
