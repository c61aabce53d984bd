#include "event.h"

#include <sys/time.h>

#include "byte_scan.h"
#include "json_object.h"

#include <array>
#include <charconv>
#include <cstring>
#include <ctime>

namespace sw {

namespace {

// Days since 1970-01-01 -> civil date (H. Hinnant's algorithm): no gmtime_r
// (tz lock), no printf.
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

void Put2(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

}  // namespace

std::string FormatRfc3339(int64_t unix_micros) {
  std::string out;
  FormatRfc3339(unix_micros, &out);
  return out;
}

void FormatRfc3339(int64_t unix_micros, std::string* out) {
  int64_t secs = unix_micros / 1000000;
  int64_t micros = unix_micros % 1000000;
  if (micros < 0) {
    micros += 1000000;
    secs -= 1;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  int64_t year;
  unsigned mon, day;
  CivilFromDays(days, &year, &mon, &day);
  unsigned r = static_cast<unsigned>(rem);
  if (year < 0 || year > 9999) {  // not four digits
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02u:%02u:%02u.%06lld+00:00",
                     static_cast<long long>(year), mon, day, r / 3600, r / 60 % 60, r % 60,
                     static_cast<long long>(micros));
    out->assign(buf, n > 0 ? static_cast<size_t>(n) : 0);
    return;
  }
  // "+00:00" rather than "Z": Python < 3.11 datetime.fromisoformat() rejects
  // "Z", and the Python shield tool writes "+00:00".
  char b[32];
  unsigned y = static_cast<unsigned>(year);
  Put2(b, y / 100);
  Put2(b + 2, y % 100);
  b[4] = '-';
  Put2(b + 5, mon);
  b[7] = '-';
  Put2(b + 8, day);
  b[10] = 'T';
  Put2(b + 11, r / 3600);
  b[13] = ':';
  Put2(b + 14, r / 60 % 60);
  b[16] = ':';
  Put2(b + 17, r % 60);
  b[19] = '.';
  unsigned us = static_cast<unsigned>(micros);
  for (int i = 25; i >= 20; --i) {
    b[i] = static_cast<char>('0' + us % 10);
    us /= 10;
  }
  std::memcpy(b + 26, "+00:00", 6);
  out->assign(b, sizeof b);
}

int64_t MonotonicMs() { return MonotonicNs() / 1000000; }

int64_t MonotonicNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

Event WatchEvent(std::string container, std::string action, std::string detail) {
  Event ev;
  ev.ts = NowRfc3339();
  ev.source = "watch";
  ev.action = std::move(action);
  ev.container = std::move(container);
  ev.detail = std::move(detail);
  return ev;
}

std::string NowRfc3339() {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return FormatRfc3339(static_cast<int64_t>(now.tv_sec) * 1000000 +
                       now.tv_nsec / 1000);
}

namespace {

// Length of the well-formed UTF-8 sequence at s[i], or 0 (RFC 3629 table:
// no overlongs, no surrogates, nothing above U+10FFFF).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  size_t left = s.size() - i;
  auto cont = [&](size_t k) { return (byte(i + k) & 0xC0) == 0x80; };
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return left >= 2 && cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3 || !cont(1) || !cont(2)) return 0;
    unsigned char c1 = byte(i + 1);
    if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong
    if (c == 0xED && c1 > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
    unsigned char c1 = byte(i + 1);
    if (c == 0xF0 && c1 < 0x90) return 0;  // overlong
    if (c == 0xF4 && c1 > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

namespace {

// Length of the longest valid UTF-8 prefix.
size_t ValidUtf8Prefix(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    // ASCII, the usual text, a word at a time, then byte by byte (a short
    // field, or up to the first byte above ASCII) without a call each.
    while (i + 8 <= bytes.size() && NonAsciiMask(LoadWord(bytes.data() + i)) == 0) i += 8;
    while (i < bytes.size() && static_cast<unsigned char>(bytes[i]) < 0x80) ++i;
    if (i >= bytes.size()) break;
    size_t n = Utf8SequenceLength(bytes, i);
    if (n == 0) break;
    i += n;
  }
  return i;
}

}  // namespace

bool IsValidUtf8(std::string_view bytes) { return ValidUtf8Prefix(bytes) == bytes.size(); }

void SanitizeUtf8(std::string_view bytes, std::string* out) {
  // Fast path: most input is ASCII or valid.
  size_t i = ValidUtf8Prefix(bytes);
  out->assign(bytes.substr(0, i));
  while (i < bytes.size()) {
    size_t n = Utf8SequenceLength(bytes, i);
    if (n == 0) {
      *out += "\xEF\xBF\xBD";
      i += 1;
    } else {
      out->append(bytes.substr(i, n));
      i += n;
    }
  }
}

std::string_view AsValidUtf8(std::string_view bytes, std::string* buf) {
  if (IsValidUtf8(bytes)) return bytes;
  SanitizeUtf8(bytes, buf);
  return *buf;
}

std::string SanitizeUtf8(std::string_view bytes) {
  std::string out;
  SanitizeUtf8(bytes, &out);
  return out;
}

namespace {

// The bytes JSON output escapes: quote, backslash, C0 controls and DEL; of
// a word or (SSE2) a 16-byte vector.
template <typename Bytes>
constexpr Bytes NeedsEscapeMask(Bytes b) {
  return ByteEqMask(b, '"') | ByteEqMask(b, '\\') | ControlByteMask(b) | ByteEqMask(b, 0x7F);
}

// The same rule for one byte.
constexpr auto kNeedsEscape = ByteTable([](uint64_t w) { return NeedsEscapeMask(w); });

// A block of input for CopyPlainBlocks: a word, or (SSE2) a 16-byte vector.
struct WordBlock {
  using Bits = uint64_t;
  static constexpr size_t kSize = 8;
  static Bits Load(const char* p) { return LoadWord(p); }
  static void Store(char* p, Bits b) { StoreWord(p, b); }
  static Bits Leading(size_t n) { return LeadingBytesMask(n); }
  // Index of the first byte at or after `skip` that needs an escape; kSize
  // when none does.
  static size_t FirstEscape(Bits b, size_t skip) {
    Bits m = NeedsEscapeMask(b) & ~LeadingBytesMask(skip);
    return m != 0 ? FirstMarkedByte(m) : kSize;
  }
};

#if defined(__SSE2__)
struct VectorBlock {
  using Bits = __m128i;
  static constexpr size_t kSize = 16;
  static Bits Load(const char* p) { return Load16(p); }
  static void Store(char* p, Bits b) { Store16(p, b); }
  static Bits Leading(size_t n) { return LeadingBytesMask16(n); }
  static size_t FirstEscape(Bits b, size_t skip) {
    uint32_t m = MarkedBytes(NeedsEscapeMask(b)) >> skip << skip;
    return m != 0 ? static_cast<size_t>(std::countr_zero(m)) : kSize;
  }
};
#endif

// Copies the bytes from `in` up to `end` (the string's end; the string is
// at least a block long) that need no escape to p, a block at a time, up to
// the first that does; returns how many. It stores whole blocks ahead of
// that byte, which JsonStringBound leaves room for (6 bytes for each one
// left), and never loads outside the string: the last, short block is the
// string's last block, whose bytes already passed are ignored and stored
// back as already written.
template <typename Block>
size_t CopyPlainBlocks(char* p, const char* in, const char* end) {
  const char* const from = in;
  for (; static_cast<size_t>(end - in) >= Block::kSize; in += Block::kSize, p += Block::kSize) {
    typename Block::Bits b = Block::Load(in);
    Block::Store(p, b);
    if (size_t i = Block::FirstEscape(b, 0); i < Block::kSize)
      return static_cast<size_t>(in - from) + i;
  }
  size_t left = static_cast<size_t>(end - in);
  if (left == 0) return static_cast<size_t>(in - from);
  size_t passed = Block::kSize - left;
  typename Block::Bits b = Block::Load(end - Block::kSize);
  typename Block::Bits keep = Block::Leading(passed);
  Block::Store(p - passed, (Block::Load(p - passed) & keep) | (b & ~keep));
  size_t i = Block::FirstEscape(b, passed);
  return static_cast<size_t>(in - from) + (i < Block::kSize ? i - passed : left);
}

// Copies the bytes from `in` (within s) that need no escape to p, up to the
// first that does or s's end; returns how many (see CopyPlainBlocks).
size_t CopyPlain(char* p, const char* in, std::string_view s) {
  const char* const from = in;
  const char* const end = s.data() + s.size();
#if defined(__SSE2__)
  if (s.size() >= VectorBlock::kSize) return CopyPlainBlocks<VectorBlock>(p, in, end);
#endif
  if (s.size() >= WordBlock::kSize) return CopyPlainBlocks<WordBlock>(p, in, end);
  if (s.size() >= 4 && in == s.data()) {
    // A short field that needs no escape, the usual case: its first and last
    // 4 bytes, tested together in one word (their order does not matter)
    // and copied whole.
    uint32_t head, tail;
    std::memcpy(&head, in, 4);
    std::memcpy(&tail, end - 4, 4);
    if (NeedsEscapeMask(head | uint64_t{tail} << 32) == 0) {
      std::memcpy(p, &head, 4);
      std::memcpy(p + s.size() - 4, &tail, 4);
      return s.size();
    }
  }
  while (in != end && !kNeedsEscape[static_cast<unsigned char>(*in)]) *p++ = *in++;
  return static_cast<size_t>(in - from);
}

}  // namespace

bool NeedsNoJsonEscape(std::string_view s) {
  return !AnyByteMarked(s, [](uint64_t w) { return NeedsEscapeMask(w); });
}

// Writes s as a JSON string literal at p, which has room for
// JsonStringBound(s.size()) bytes (bytes past the returned end may be
// overwritten within it); returns the end.
char* WriteJsonString(char* p, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  *p++ = '"';
  const char* in = s.data();
  const char* const end = in + s.size();
  while (true) {
    size_t plain = CopyPlain(p, in, s);
    p += plain;
    in += plain;
    if (in == end) break;
    unsigned char c = static_cast<unsigned char>(*in++);
    *p++ = '\\';
    switch (c) {
      case '"': *p++ = '"'; break;
      case '\\': *p++ = '\\'; break;
      case '\n': *p++ = 'n'; break;
      case '\r': *p++ = 'r'; break;
      case '\t': *p++ = 't'; break;
      default:
        std::memcpy(p, "u00", 3);
        p[3] = kHex[c >> 4];
        p[4] = kHex[c & 0xF];
        p += 5;
    }
  }
  *p++ = '"';
  return p;
}

void AppendJsonString(std::string& out, std::string_view s) {
  size_t at = out.size();
  out.resize(at + JsonStringBound(s.size()));
  out.resize(static_cast<size_t>(WriteJsonString(out.data() + at, s) - out.data()));
}

namespace {

// `member` is the member's whole lead-in, `,"key":`, a literal: its size is
// known here, so the copy is a few stores, not a call.
template <size_t N>
char* WriteMember(char* p, const char (&member)[N]) {
  std::memcpy(p, member, N - 1);
  return p + N - 1;
}

template <size_t N>
char* WriteStringField(char* p, const char (&member)[N], std::string_view value, bool always) {
  if (value.empty() && !always) return p;
  return WriteJsonString(WriteMember(p, member), value);
}

// The same for a value known to need no escape: copied as it is.
template <size_t N>
char* WriteStringField(char* p, const char (&member)[N], std::string_view value, bool always,
                       bool plain) {
  if (!plain) return WriteStringField(p, member, value, always);
  if (value.empty() && !always) return p;
  p = WriteMember(p, member);
  *p++ = '"';
  std::memcpy(p, value.data(), value.size());
  p += value.size();
  *p++ = '"';
  return p;
}

constexpr size_t kIntBound = 20;  // an int64_t in decimal

// "00" to "99": two decimal digits per lookup.
constexpr auto kDigitPairs = [] {
  std::array<char, 200> t{};
  for (int i = 0; i < 100; ++i) {
    t[2 * i] = static_cast<char>('0' + i / 10);
    t[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return t;
}();

// The four digits of v (< 10,000) at p, leading zeros included.
char* WriteFourDigits(char* p, uint32_t v) {
  std::memcpy(p, &kDigitPairs[2 * (v / 100)], 2);
  std::memcpy(p + 2, &kDigitPairs[2 * (v % 100)], 2);
  return p + 4;
}

// Inlined into WriteNumbers: every NFLOG event has four of these, and a
// call each cost as much as the digits.
template <size_t N>
[[gnu::always_inline]] inline char* WriteIntField(char* p, const char (&member)[N], int64_t value) {
  p = WriteMember(p, member);
  // Ports, protocols and most ids: below 100,000, written by hand.
  if (value < 0 || value >= 100000) return std::to_chars(p, p + kIntBound, value).ptr;
  uint32_t v = static_cast<uint32_t>(value);
  if (v >= 10000) {
    *p++ = static_cast<char>('0' + v / 10000);
    return WriteFourDigits(p, v % 10000);
  }
  if (v >= 1000) return WriteFourDigits(p, v);
  if (v >= 100) {
    *p = static_cast<char>('0' + v / 100);
    std::memcpy(p + 1, &kDigitPairs[2 * (v % 100)], 2);
    return p + 3;
  }
  if (v >= 10) {
    std::memcpy(p, &kDigitPairs[2 * v], 2);
    return p + 2;
  }
  *p = static_cast<char>('0' + v);
  return p + 1;
}

}  // namespace

size_t JsonBound(const EventView& ev) {
  // Every string byte escaped as \u00XX, every number at its widest.
  constexpr size_t kMembers = 160;  // braces and every member's lead-in
  size_t bound = kMembers + 6 * kIntBound;
  for (std::string_view f : {ev.ts, ev.source, ev.action, ev.container, ev.domain,
                             ev.query_type, ev.dest, ev.detail})
    bound += JsonStringBound(f.size());
  bound += ev.detail_json.size();  // copied as it is
  bound += kCursorMaxSize + 2;  // quoted; never escaped
  return bound;
}

// The lead-ins of the members JsonMemo keeps: one spelling for WriteJson
// and for where the memo finds the values in what it kept.
constexpr char kSourceMember[] = ",\"source\":";
constexpr char kActionMember[] = ",\"action\":";
constexpr char kContainerMember[] = ",\"container\":";

// Their JSON when no value needs an escape is each lead-in, then the value
// in quotes: the value of a member starts this far after the previous
// member's value ends (its closing quote, the lead-in, the opening quote).
constexpr size_t kSourceAt = sizeof kSourceMember;             // lead-in + '"'
constexpr size_t kActionAfter = 1 + sizeof kActionMember;      // '"' + lead-in + '"'
constexpr size_t kContainerAfter = 1 + sizeof kContainerMember;
constexpr size_t kMemoFixed = kSourceAt + kActionAfter + kContainerAfter + 1;

std::string_view JsonMemo::Find(const EventView& ev) const {
  for (const Entry& e : entries_) {
    if (e.json.empty() || e.source != ev.source.size() || e.action != ev.action.size() ||
        e.container != ev.container.size())
      continue;
    // Short values: compared inline (SameBytes), not by a memcmp call each.
    const char* at = e.json.data() + kSourceAt;
    if (!SameBytes(at, ev.source.data(), e.source)) continue;
    at += e.source + kActionAfter;
    if (!SameBytes(at, ev.action.data(), e.action)) continue;
    at += e.action + kContainerAfter;
    if (!SameBytes(at, ev.container.data(), e.container)) continue;
    return e.json;
  }
  return {};
}

void JsonMemo::Remember(const EventView& ev, std::string_view json) {
  size_t values = ev.source.size() + ev.action.size() + ev.container.size();
  if (json.size() != kMemoFixed + values || values > UINT32_MAX) return;  // escaped: not kept
  Entry& e = entries_[next_];
  next_ = (next_ + 1) % entries_.size();
  e.json = json;
  e.source = static_cast<uint32_t>(ev.source.size());
  e.action = static_cast<uint32_t>(ev.action.size());
  e.container = static_cast<uint32_t>(ev.container.size());
}

namespace {

// The members up to the numbers: what a run of events shares.
char* WriteStringFields(char* p, const EventView& ev, JsonMemo* memo) {
  using V = EventView;
  p = WriteStringField(p, "{\"ts\":", ev.ts, true, ev.plain & V::kPlainTs);
  // Never empty once remembered: the members are always written.
  if (std::string_view known = memo ? memo->Find(ev) : std::string_view(); !known.empty()) {
    std::memcpy(p, known.data(), known.size());
    p += known.size();
  } else {
    char* from = p;
    p = WriteStringField(p, kSourceMember, ev.source, true);
    p = WriteStringField(p, kActionMember, ev.action, true);
    p = WriteStringField(p, kContainerMember, ev.container, true);
    if (memo) memo->Remember(ev, std::string_view(from, static_cast<size_t>(p - from)));
  }
  p = WriteStringField(p, ",\"domain\":", ev.domain, false, ev.plain & V::kPlainDomain);
  p = WriteStringField(p, ",\"query_type\":", ev.query_type, false, ev.plain & V::kPlainQueryType);
  p = WriteStringField(p, ",\"dest\":", ev.dest, false, ev.plain & V::kPlainDest);
  if (!ev.detail_json.empty())
    p = WriteStringField(p, ",\"detail\":", ev.detail_json, false, true);
  else
    p = WriteStringField(p, ",\"detail\":", ev.detail, false, ev.plain & V::kPlainDetail);
  return p;
}

// The members after the port.
char* WriteIdFields(char* p, const EventView& ev) {
  if (ev.proto != 0) p = WriteIntField(p, ",\"proto\":", ev.proto);
  if (ev.uid >= 0) p = WriteIntField(p, ",\"uid\":", ev.uid);
  if (ev.gid >= 0) p = WriteIntField(p, ",\"gid\":", ev.gid);
  if (ev.icmp_type >= 0) p = WriteIntField(p, ",\"icmp_type\":", ev.icmp_type);
  return p;
}

// The same through the run's cache: copied when the values are the last
// event's (a flood's packets), written and kept when not.
char* WriteIdFields(char* p, const EventView& ev, JsonRunCache* run) {
  if (run->ids_valid && run->proto == ev.proto && run->uid == ev.uid && run->gid == ev.gid &&
      run->icmp_type == ev.icmp_type) {
    std::memcpy(p, run->ids.data(), run->ids.size());
    return p + run->ids.size();
  }
  char* const from = p;
  p = WriteIdFields(p, ev);
  run->ids.assign(from, static_cast<size_t>(p - from));
  run->proto = ev.proto;
  run->uid = ev.uid;
  run->gid = ev.gid;
  run->icmp_type = ev.icmp_type;
  run->ids_valid = true;
  return p;
}

// The numbers, the cursor and the closing brace.
char* WriteNumbers(char* p, const EventView& ev) {
  if (ev.port != 0) p = WriteIntField(p, ",\"port\":", ev.port);
  p = ev.run != nullptr ? WriteIdFields(p, ev, ev.run) : WriteIdFields(p, ev);
  if (ev.suppressed > 0) p = WriteIntField(p, ",\"suppressed\":", static_cast<int64_t>(ev.suppressed));
  if (ev.json_cursor && !ev.cursor.empty()) {
    // Hex digits, dots and a source name: nothing to escape.
    p = WriteCursor(WriteMember(p, ",\"cursor\":\""), ev.cursor);
    *p++ = '"';
  }
  *p++ = '}';
  return p;
}

}  // namespace

char* WriteJson(char* p, const EventView& ev, JsonMemo* memo) {
  if (ev.run != nullptr && ev.run->valid) {
    std::memcpy(p, ev.run->head.data(), ev.run->head.size());
    p += ev.run->head.size();
  } else {
    char* const head = p;
    p = WriteStringFields(p, ev, memo);
    if (ev.run != nullptr) {
      ev.run->head.assign(head, static_cast<size_t>(p - head));
      ev.run->valid = true;
    }
  }
  return WriteNumbers(p, ev);
}

void AppendJson(std::string& out, const EventView& ev) {
  size_t at = out.size();
  out.resize(at + JsonBound(ev));
  out.resize(static_cast<size_t>(WriteJson(out.data() + at, ev) - out.data()));
}

std::string ToJson(const EventView& ev) {
  std::string out;
  AppendJson(out, ev);
  return out;
}

EventView::EventView(const Event& ev)
    : EventNumbers(ev), ts(ev.ts), source(ev.source), action(ev.action),
      container(ev.container), domain(ev.domain), query_type(ev.query_type), dest(ev.dest),
      detail(ev.detail), member(ev.member), cursor(ev.cursor), json_cursor(ev.json_cursor) {}

Event CopyEvent(const EventView& v) {
  Event ev;
  ev.ts = v.ts;
  ev.source = v.source;
  ev.action = v.action;
  ev.container = v.container;
  ev.domain = v.domain;
  ev.query_type = v.query_type;
  ev.dest = v.dest;
  if (v.detail_json.empty()) ev.detail = v.detail;
  else DecodeJsonString(v.detail_json, &ev.detail);
  ev.member = v.member;
  static_cast<EventNumbers&>(ev) = v;
  ev.cursor = v.cursor;
  ev.json_cursor = v.json_cursor;
  return ev;
}

}  // namespace sw
