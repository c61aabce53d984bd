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

// The escape whose backslash is just before p, with `left` bytes from p to
// the text's end: how many bytes it takes after the backslash (1, or 5 for
// \uXXXX), 0 when it is no valid escape. *writers: whether it is one
// WriteJsonString writes (\" \\ \n \r \t). One grammar for both readers;
// inlined, as it runs for every escape of every line.
[[gnu::always_inline]] inline size_t EscapeSize(const char* p, size_t left, bool* writers) {
  if (left == 0) return 0;
  const char e = *p;
  *writers = e == '"' || e == '\\' || e == 'n' || e == 'r' || e == 't';
  if (*writers || e == '/' || e == 'b' || e == 'f') return 1;
  if (e != 'u' || left < 5) return 0;
  for (size_t i = 1; i < 5; ++i)
    if (HexValue(p[i]) < 0) return 0;
  return 5;
}

// A cursor over the text; every method returns false on invalid input and
// leaves the cursor just past what it accepted.
class Reader {
 public:
  explicit Reader(std::string_view text) : p_(text.data()), end_(p_ + text.size()) {}
  Reader(const char* p, const char* end) : p_(p), end_(end) {}

  bool AtEnd() const { return p_ == end_; }
  const char* pos() const { return p_; }
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
      bool writers;
      size_t size = EscapeSize(p_ + 1, static_cast<size_t>(end_ - p_ - 1), &writers);
      if (size == 0) return false;
      other_escape |= !writers;
      p_ += 1 + size;
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

// Where in a line the bytes a string's plain text stops at are (quote,
// backslash, control byte), one bit per byte, found for the whole line in
// one pass: a string then costs a lookup, not a scan of its own. The bits
// past the line's end are all set, so a lookup never runs off the words.
class StopBits {
 public:
  // The longest line looked at this way (longer ones: the general reader).
  static constexpr size_t kMaxLine = 2048;

  // False when the line is longer than kMaxLine or holds a byte above 0x7E
  // anywhere (then no string value of it is known printable without a scan).
  bool Build(std::string_view text) {
    const size_t n = text.size();
    if (n > kMaxLine) return false;
#if defined(__SSE2__)
    __m128i above = _mm_setzero_si128();  // any byte above 0x7E
    auto block = [&](__m128i v) {
      above = above | v | ByteEqMask(v, 0x7F);
      return static_cast<uint64_t>(MarkedBytes(StringStopMask(v)));
    };
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
      const char* p = text.data() + i;
      words_[i / 64] = block(Load16(p)) | block(Load16(p + 16)) << 16 |
                       block(Load16(p + 32)) << 32 | block(Load16(p + 48)) << 48;
    }
    uint64_t last = 0;
    size_t at = i;
    for (; at + 16 <= n; at += 16) last |= block(Load16(text.data() + at)) << (at - i);
    if (at < n) {
      // The last bytes: as the end of the line's last 16 (read again), or
      // when it is shorter, from a zeroed copy.
      if (n >= 16) {
        last |= block(Load16(text.data() + n - 16)) >> (16 - (n - at)) << (at - i);
      } else {
        char tail[16] = {};
        std::memcpy(tail, text.data(), n);
        last |= block(Load16(tail));
      }
    }
    if (MarkedBytes(NonAsciiMask(above)) != 0) return false;
#else
    uint64_t above = 0;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
      uint64_t bits = 0;
      for (size_t k = 0; k < 64; ++k) {
        unsigned char c = static_cast<unsigned char>(text[i + k]);
        above |= kUnprintable[c];
        bits |= uint64_t{kStringStop[c]} << k;
      }
      words_[i / 64] = bits;
    }
    uint64_t last = 0;
    for (size_t k = i; k < n; ++k) {
      unsigned char c = static_cast<unsigned char>(text[k]);
      above |= kUnprintable[c];
      last |= uint64_t{kStringStop[c]} << (k - i);
    }
    if (above) return false;
#endif
    words_[i / 64] = last | ~uint64_t{0} << (n - i);
    return true;
  }

  // The stop bytes in order, each once: the next one's offset comes from a
  // word kept in a register (lowest bit, then clear it), not from a load
  // at the last one's offset, so finding where each string ends is no
  // chain of loads through the line.
  class InOrder {
   public:
    explicit InOrder(const StopBits& stops) : words_(stops.words_), bits_(words_[0]) {}
    // The next stop byte's offset; at or past the line's end when no stop
    // byte is left before it (call no further then).
    size_t Next() {
      while (bits_ == 0) bits_ = words_[++word_];
      size_t at = word_ * 64 + static_cast<size_t>(std::countr_zero(bits_));
      bits_ &= bits_ - 1;
      return at;
    }
    // Forgets the stop bytes before offset at.
    void SkipTo(size_t at) {
      word_ = at / 64;
      bits_ = words_[word_] & ~uint64_t{0} << (at % 64);
    }

   private:
    const uint64_t* words_;
    size_t word_ = 0;
    uint64_t bits_;
  };

 private:
  uint64_t words_[kMaxLine / 64 + 1];
};

// The object as writers put it on one line, in one pass over StopBits:
// {"name":value,...} with no whitespace, member names without escapes and
// every byte printable ASCII or a control byte. True when the text is such
// an object (values set as the general reader sets them); false when it is
// not or may not be, and the general reader decides (values it set are
// then set again). Never accepts what the general reader would refuse.
bool ParseFlatObject(std::string_view text, const JsonKeys& keys, JsonValue* values) {
  const size_t n = text.size();
  const char* s = text.data();
  if (n < 2 || s[0] != '{' || s[n - 1] != '}') return false;
  StopBits bits;
  if (!bits.Build(text)) return false;
  if (n == 2) return true;
  StopBits::InOrder stops(bits);
  size_t i = 1;
  JsonValue unwanted;
  while (true) {
    // "name": its quotes are the next two stop bytes.
    if (s[i] != '"' || stops.Next() != i) return false;
    size_t close = stops.Next();
    if (close + 1 >= n || s[close] != '"' || s[close + 1] != ':') return false;
    size_t k = i + 17 <= n ? keys.FindPadded(s + i + 1, close - i - 1)
                           : keys.Find(std::string_view(s + i + 1, close - i - 1));
    JsonValue* value = k < keys.count() ? &values[k] : &unwanted;
    i = close + 2;
    if (s[i] == '"') {
      // A string: from stop to stop, escapes checked as the reader does.
      stops.Next();  // its opening quote, i
      const size_t start = i + 1;
      bool escaped = false, other_escape = false;
      size_t at = stops.Next();
      while (at < n && s[at] == '\\') {
        escaped = true;
        bool writers;
        if (EscapeSize(s + at + 1, n - at - 1, &writers) == 0) return false;
        other_escape |= !writers;
        // An escaped quote or backslash is a stop byte too; a \uXXXX's
        // hex digits are none.
        if (s[at + 1] == '"' || s[at + 1] == '\\') stops.Next();
        at = stops.Next();
      }
      if (at >= n || s[at] != '"') return false;  // a raw control byte, or no end
      value->type = JsonValue::Type::kString;
      value->raw = std::string_view(s + start, at - start);
      value->escaped = escaped;
      value->printable = true;  // Build saw no byte above 0x7E
      value->short_escapes = !other_escape;
      i = at + 1;
    } else {
      // A whole number without sign or leading zero (a port, mostly); it
      // cannot run past the closing brace, and holds no stop byte.
      size_t end = i;
      while (IsDigit(s[end])) ++end;
      if (end > i && (s[i] != '0' || end == i + 1) && (s[end] == ',' || s[end] == '}')) {
        *value = JsonValue{.type = JsonValue::Type::kNumber, .raw = std::string_view(s + i, end - i)};
        i = end;
      } else {
        // Any other value by the general reader, short of the closing
        // brace (a nested object would otherwise take it).
        Reader r(s + i, s + n - 1);
        if (!r.Value(value)) return false;
        i = static_cast<size_t>(r.pos() - s);
        stops.SkipTo(i);
      }
    }
    // Here i < n: no value reaches the closing brace.
    if (s[i] == ',') {
      ++i;
      continue;
    }
    return i + 1 == n && s[i] == '}';
  }
}

// The general reader: any valid text, whitespace and nesting included.
bool ParseAnyObject(std::string_view text, const JsonKeys& keys, JsonValue* values) {
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

}  // namespace

bool ParseJsonObject(std::string_view text, const JsonKeys& keys, JsonValue* values) {
  return ParseFlatObject(text, keys, values) || ParseAnyObject(text, keys, values);
}

bool ParseJsonObjectGeneral(std::string_view text, const JsonKeys& keys, JsonValue* values) {
  return ParseAnyObject(text, keys, values);
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
