// Shared checks for the libFuzzer targets: an independent UTF-8 validator and
// sanitizer (a reference for sw::SanitizeUtf8) and the event -> JSON -> cJSON
// round trip every target ends with.
#pragma once

#include <cjson/cJSON.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "event.h"

namespace fuzz {

[[noreturn]] inline void Fail(const char* what, std::string_view a = {},
                              std::string_view b = {}) {
  fprintf(stderr, "FUZZ CHECK FAILED: %s\n", what);
  if (!a.empty()) fprintf(stderr, "  a (%zu bytes): %.*s\n", a.size(), (int)a.size(), a.data());
  if (!b.empty()) fprintf(stderr, "  b (%zu bytes): %.*s\n", b.size(), (int)b.size(), b.data());
  abort();
}

#define FUZZ_CHECK(cond, ...) \
  do {                        \
    if (!(cond)) ::fuzz::Fail("(" #cond ") " __VA_OPT__(, ) __VA_ARGS__); \
  } while (0)

// Length of the well-formed UTF-8 sequence at s[i], or 0. Written by decoding
// the code point and checking its range (unlike the library's byte table), so
// the two implementations check each other.
inline size_t RefSequenceLength(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(s[k])); };
  uint32_t c = b(i);
  size_t n;
  uint32_t cp, min;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1F; min = 0x80; }
  else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0F; min = 0x800; }
  else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07; min = 0x10000; }
  else return 0;
  if (s.size() - i < n) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

inline bool RefValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = RefSequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// What SanitizeUtf8 is documented to do: each byte that does not start a
// well-formed sequence becomes U+FFFD.
inline std::string RefSanitize(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    size_t n = RefSequenceLength(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

// cJSON strings are C strings: a "\u0000" escape ends them early.
inline std::string_view UpToNul(std::string_view s) {
  return s.substr(0, s.find('\0'));
}

// Serializes ev, parses the JSON with cJSON and requires: valid UTF-8 with no
// raw control bytes, a single object, keys in the documented order, present
// exactly when the field is set, every value equal to the event's field.
// Returns the JSON text.
inline std::string CheckEventJson(const sw::EventView& ev) {
  std::string json = sw::ToJson(ev);
  FUZZ_CHECK(RefValidUtf8(json), json);
  for (unsigned char c : json) FUZZ_CHECK(c >= 0x20 && c != 0x7F, json);

  const char* end = nullptr;
  cJSON* root = cJSON_ParseWithOpts(json.c_str(), &end, /*require_null_terminated=*/1);
  if (root == nullptr) Fail("cJSON rejected ToJson output", json);
  FUZZ_CHECK(cJSON_IsObject(root), json);

  struct StringKey {
    const char* key;
    std::string_view value;
    bool always;
  };
  const StringKey strings[] = {
      {"ts", ev.ts, true},           {"source", ev.source, true},
      {"action", ev.action, true},   {"container", ev.container, true},
      {"domain", ev.domain, false},  {"query_type", ev.query_type, false},
      {"dest", ev.dest, false},      {"detail", ev.detail, false},
  };
  struct IntKey {
    const char* key;
    int64_t value;
    bool present;
  };
  const IntKey ints[] = {
      {"port", ev.port, ev.port != 0},
      {"proto", ev.proto, ev.proto != 0},
      {"uid", ev.uid, ev.uid >= 0},
      {"gid", ev.gid, ev.gid >= 0},
      {"icmp_type", ev.icmp_type, ev.icmp_type >= 0},
  };

  // Walk the members in order against the documented key order.
  const cJSON* item = root->child;
  for (const StringKey& k : strings) {
    bool present = k.always || !k.value.empty();
    if (!present) {
      FUZZ_CHECK(cJSON_GetObjectItemCaseSensitive(root, k.key) == nullptr, k.key, json);
      continue;
    }
    if (item == nullptr || item->string == nullptr || std::string_view(item->string) != k.key)
      Fail("key order / presence", k.key, json);
    if (!cJSON_IsString(item) || item->valuestring == nullptr) Fail("not a string", k.key, json);
    if (std::string_view(item->valuestring) != UpToNul(k.value))
      Fail("string value differs after the cJSON round trip", k.value, item->valuestring);
    item = item->next;
  }
  for (const IntKey& k : ints) {
    if (!k.present) {
      FUZZ_CHECK(cJSON_GetObjectItemCaseSensitive(root, k.key) == nullptr, k.key, json);
      continue;
    }
    if (item == nullptr || item->string == nullptr || std::string_view(item->string) != k.key)
      Fail("key order / presence", k.key, json);
    FUZZ_CHECK(cJSON_IsNumber(item), k.key, json);
    // strtod and the int64 -> double conversion both round to nearest.
    FUZZ_CHECK(item->valuedouble == static_cast<double>(k.value), k.key, json);
    item = item->next;
  }
  FUZZ_CHECK(item == nullptr, "unexpected extra key", json);
  cJSON_Delete(root);
  return json;
}

}  // namespace fuzz
