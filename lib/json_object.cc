#include "json_object.h"

#include <array>
#include <bit>
#include <cstring>

#include "byte_scan.h"
#include "event.h"

namespace sw {

namespace {

constexpr int kMaxDepth = 512;

// Any byte above space is not whitespace: one compare for the usual case.
bool IsWs(char c) {
  return static_cast<unsigned char>(c) <= ' ' && (c == ' ' || c == '\t' || c == '\n' || c == '\r');
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The bytes that end a string's plain text: its closing quote, an escape's
// backslash and the control bytes it may not hold raw; of a word or (SSE2) a
// 16-byte vector.
template <typename Bytes>
constexpr Bytes StringStopMask(Bytes b) {
  return ByteEqMask(b, '"') | ByteEqMask(b, '\\') | ControlByteMask(b);
}

// The same rule for one byte.
constexpr auto kStringStop = ByteTable([](uint64_t w) { return StringStopMask(w); });

// The bytes above printable ASCII (DEL and every non-ASCII byte).
template <typename Bytes>
constexpr Bytes UnprintableMask(Bytes b) {
  return NonAsciiMask(b) | ByteEqMask(b, 0x7F);
}

// The same rule for one byte.
constexpr auto kUnprintable = ByteTable([](uint64_t w) { return UnprintableMask(w); });

// A cursor over the text; every method returns false on invalid input and
// leaves the cursor just past what it accepted.
class Reader {
 public:
  explicit Reader(std::string_view text) : p_(text.data()), end_(p_ + text.size()) {}

  bool AtEnd() const { return p_ == end_; }
  bool Peek(char c) const { return p_ != end_ && *p_ == c; }
  bool Eat(char c) {
    if (!Peek(c)) return false;
    ++p_;
    return true;
  }
  void SkipWs() {
    while (p_ != end_ && IsWs(*p_)) ++p_;
  }
  // c after optional whitespace. Lines are mostly written without any:
  // then this is one test.
  bool EatAfterWs(char c) {
    if (Eat(c)) return true;
    SkipWs();
    return Eat(c);
  }

  // At the opening quote (the caller saw it); *raw receives the text
  // between the quotes, *escaped whether it holds a backslash escape,
  // *printable whether all its bytes are printable ASCII (only looked for
  // kValue: a member name's is never asked) and *short_escapes whether
  // every escape is one WriteJsonString writes.
  template <bool kValue>
  bool String(std::string_view* raw, bool* escaped, bool* printable, bool* short_escapes) {
    const char* start = ++p_;
    uint64_t unprintable = 0;  // nonzero once a byte above 0x7E is passed
    bool esc = false;
    bool other_escape = false;
    while (true) {
      SkipPlain<kValue>(&unprintable);
      if (p_ == end_) return false;  // unterminated
      unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        *raw = std::string_view(start, static_cast<size_t>(p_ - start));
        *escaped = esc;
        *printable = unprintable == 0;
        *short_escapes = !other_escape;
        ++p_;
        return true;
      }
      if (c != '\\') return false;  // raw control characters must be escaped
      esc = true;
      if (end_ - p_ < 2) return false;
      char e = p_[1];
      p_ += 2;
      if (e == '"' || e == '\\' || e == 'n' || e == 'r' || e == 't') continue;
      other_escape = true;
      if (e == 'u') {
        if (end_ - p_ < 4) return false;
        for (int i = 0; i < 4; ++i)
          if (HexValue(*p_++) < 0) return false;
      } else if (e != '/' && e != 'b' && e != 'f') {
        return false;
      }
    }
  }

  // -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
  bool Number() {
    Eat('-');
    if (Eat('0')) {
    } else if (p_ != end_ && IsDigit(*p_)) {
      while (p_ != end_ && IsDigit(*p_)) ++p_;
    } else {
      return false;
    }
    if (Eat('.') && !Digits()) return false;
    if (Eat('e') || Eat('E')) {
      if (!Eat('+')) Eat('-');
      if (!Digits()) return false;
    }
    return true;
  }

  bool Literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word)
      return false;
    p_ += word.size();
    return true;
  }

  // `"key" :` inside an object, with surrounding whitespace; *key receives
  // the name as written, *escaped whether it holds an escape.
  bool MemberName(std::string_view* key, bool* escaped) {
    bool printable, short_escapes;
    if (!Peek('"')) {
      SkipWs();
      if (!Peek('"')) return false;
    }
    return String<false>(key, escaped, &printable, &short_escapes) && EatAfterWs(':');
  }

  // A string value, at its opening quote.
  bool StringValue(JsonValue* out) {
    out->type = JsonValue::Type::kString;
    return String<true>(&out->raw, &out->escaped, &out->printable, &out->short_escapes);
  }

  // One value of any kind after optional whitespace; sets every member of
  // *out (the string flags are false unless it is a string).
  bool Value(JsonValue* out) {
    SkipWs();
    if (p_ == end_) return false;
    const char* start = p_;
    out->escaped = false;
    out->printable = false;
    out->short_escapes = false;
    using T = JsonValue::Type;
    switch (*p_) {
      case '"': return StringValue(out);
      case '{':
      case '[':
        out->type = *p_ == '{' ? T::kObject : T::kArray;
        if (!Container()) return false;
        break;
      case 't': out->type = T::kTrue; if (!Literal("true")) return false; break;
      case 'f': out->type = T::kFalse; if (!Literal("false")) return false; break;
      case 'n': out->type = T::kNull; if (!Literal("null")) return false; break;
      default: out->type = T::kNumber; if (!Number()) return false; break;
    }
    out->raw = std::string_view(start, static_cast<size_t>(p_ - start));
    return true;
  }

 private:
  // Inside a string, past the text that needs no attention: to the first
  // quote, backslash or control byte, or the end. 16 bytes at a time (SSE2),
  // else a word at a time, while the text has that many left. With kTrack,
  // *unprintable becomes nonzero if a byte above 0x7E is passed.
  template <bool kTrack>
  void SkipPlain(uint64_t* unprintable) {
#if defined(__SSE2__)
    for (; end_ - p_ >= 16; p_ += 16) {
      __m128i v = Load16(p_);
      if (uint32_t stop = MarkedBytes(StringStopMask(v))) {
        int k = std::countr_zero(stop);
        if constexpr (kTrack) *unprintable |= MarkedBytes(UnprintableMask(v)) & ((1u << k) - 1);
        p_ += k;
        return;
      }
      if constexpr (kTrack) *unprintable |= MarkedBytes(UnprintableMask(v));
    }
#endif
    for (; end_ - p_ >= 8; p_ += 8) {
      uint64_t w = LoadWord(p_);
      if (uint64_t stop = StringStopMask(w)) {
        size_t k = FirstMarkedByte(stop);
        // Only the bytes before the stop count.
        if constexpr (kTrack) *unprintable |= UnprintableMask(w) & LeadingBytesMask(k);
        p_ += k;
        return;
      }
      if constexpr (kTrack) *unprintable |= UnprintableMask(w);
    }
    for (; p_ != end_ && !kStringStop[static_cast<unsigned char>(*p_)]; ++p_)
      if constexpr (kTrack) *unprintable |= kUnprintable[static_cast<unsigned char>(*p_)];
  }

  bool Digits() {
    const char* start = p_;
    while (p_ != end_ && IsDigit(*p_)) ++p_;
    return p_ != start;
  }


  // A nested object or array, iteratively: depth costs no call stack.
  bool Container() {
    char closers[kMaxDepth];
    int depth = 0;
    std::string_view key;  // nested member names: validated, not kept
    bool escaped;
    while (true) {
      // Here a value starts (whitespace skipped).
      if (p_ == end_) return false;
      if (*p_ == '{' || *p_ == '[') {
        if (depth == kMaxDepth) return false;
        char closer = *p_ == '{' ? '}' : ']';
        closers[depth++] = closer;
        ++p_;
        SkipWs();
        if (!Eat(closer)) {
          if (closer == '}' && !MemberName(&key, &escaped)) return false;
          SkipWs();
          continue;
        }
        --depth;  // empty container: fall through to what follows it
      } else {
        JsonValue scalar;
        if (!Value(&scalar)) return false;
      }
      // After a value: a comma continues, closers end containers.
      while (true) {
        if (depth == 0) return true;
        SkipWs();
        if (Eat(',')) {
          if (closers[depth - 1] == '}' && !MemberName(&key, &escaped)) return false;
          SkipWs();
          break;
        }
        if (!Eat(closers[depth - 1])) return false;
        --depth;
      }
    }
  }

  const char* p_;
  const char* end_;
};

// Writes cp's UTF-8 sequence at p; returns its end.
char* PutUtf8(char* p, uint32_t cp) {
  if (cp < 0x80) {
    *p++ = static_cast<char>(cp);
  } else if (cp < 0x800) {
    *p++ = static_cast<char>(0xC0 | (cp >> 6));
    *p++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *p++ = static_cast<char>(0xE0 | (cp >> 12));
    *p++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *p++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *p++ = static_cast<char>(0xF0 | (cp >> 18));
    *p++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *p++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *p++ = static_cast<char>(0x80 | (cp & 0x3F));
  }
  return p;
}

uint32_t Hex4(std::string_view s, size_t at) {
  uint32_t v = 0;
  for (size_t i = at; i < at + 4; ++i) v = v * 16 + static_cast<uint32_t>(HexValue(s[i]));
  return v;
}

}  // namespace

bool ParseJsonObject(std::string_view text, const JsonKeys& keys, JsonValue* values) {
  Reader r(text);
  r.SkipWs();
  if (!r.Eat('{')) return false;
  r.SkipWs();
  if (!r.Eat('}')) {
    JsonValue unwanted;   // the value of a member no key names
    std::string decoded;  // an escaped member name, decoded
    while (true) {
      std::string_view key;
      bool escaped;
      if (!r.MemberName(&key, &escaped)) return false;
      // Keys are compared decoded; nearly all are written without escapes.
      // A wanted value is read into its slot: the last duplicate wins, as in
      // most readers.
      size_t i = keys.Find(JsonMatchText(key, escaped, &decoded));
      JsonValue* value = i < keys.count() ? &values[i] : &unwanted;
      // The usual cases first: a string value (read here, not in a call to
      // Value), then a comma.
      // (Value skips whitespace before it.)
      if (r.Peek('"') ? !r.StringValue(value) : !r.Value(value)) return false;
      if (r.EatAfterWs(',')) continue;
      if (r.Eat('}')) break;  // whitespace already skipped
      return false;
    }
  }
  r.SkipWs();
  return r.AtEnd();
}

namespace {

// Resolves the escapes of a raw string whose first backslash is at bs into
// out, which may be raw.data() itself: each escape of 2 or 6 bytes becomes 1
// to 3, a surrogate pair's 12 become 4, so the text never grows and is
// decoded in place (every byte is read before it is written over). Each
// escape becomes a whole UTF-8 sequence, so the result is valid when the
// raw bytes are ASCII. Returns the end of the decoded text.
char* DecodeEscapes(std::string_view raw, size_t bs, char* out) {
  char* p = out;
  size_t i = 0;
  while (bs != std::string_view::npos) {
    std::memmove(p, raw.data() + i, bs - i);  // the plain run before the escape
    p += bs - i;
    i = bs + 1;
    char e = raw[i++];
    switch (e) {
      case 'b': *p++ = '\b'; break;
      case 'f': *p++ = '\f'; break;
      case 'n': *p++ = '\n'; break;
      case 'r': *p++ = '\r'; break;
      case 't': *p++ = '\t'; break;
      case 'u': {
        uint32_t cp = Hex4(raw, i);
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= raw.size() && raw[i] == '\\' &&
            raw[i + 1] == 'u') {
          uint32_t low = Hex4(raw, i + 2);
          if (low >= 0xDC00 && low <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
          }
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;  // unpaired surrogate
        p = PutUtf8(p, cp);
        break;
      }
      default: *p++ = e; break;  // '"', '\\', '/'
    }
    bs = raw.find('\\', i);
  }
  std::memmove(p, raw.data() + i, raw.size() - i);
  return p + (raw.size() - i);
}

// The same into *out (its content replaced).
void DecodeEscapes(std::string_view raw, size_t bs, std::string* out) {
  out->resize(raw.size());
  out->resize(static_cast<size_t>(DecodeEscapes(raw, bs, out->data()) - out->data()));
}

}  // namespace

void DecodeJsonString(std::string_view raw, std::string* out) {
  size_t bs = raw.find('\\');
  if (bs == std::string_view::npos) return SanitizeUtf8(raw, out);
  DecodeEscapes(raw, bs, out);
  // Escapes produced whole sequences; raw bytes may still be invalid.
  if (!IsValidUtf8(*out)) *out = SanitizeUtf8(*out);
}

void DecodeJsonString(const JsonValue& v, std::string* out) {
  if (!v.escaped) {
    if (v.printable) return static_cast<void>(out->assign(v.raw));
    return SanitizeUtf8(v.raw, out);
  }
  if (!v.printable) return DecodeJsonString(v.raw, out);
  DecodeEscapes(v.raw, v.raw.find('\\'), out);  // ASCII: valid as decoded
}

size_t DecodePrintableJsonString(char* raw, size_t n) {
  std::string_view text(raw, n);
  size_t bs = text.find('\\');
  if (bs == std::string_view::npos) return n;
  return static_cast<size_t>(DecodeEscapes(text, bs, raw) - raw);
}

std::string_view JsonMatchText(std::string_view raw, bool escaped, std::string* scratch) {
  if (!escaped) return raw;
  DecodeJsonString(raw, scratch);
  return *scratch;
}

std::string DecodeJsonString(std::string_view raw) {
  std::string out;
  DecodeJsonString(raw, &out);
  return out;
}

}  // namespace sw
