#include "audit_line.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "json_object.h"

namespace sw {

namespace {

bool ParseDigits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// A JSON number's text as a double (the grammar is already checked).
std::optional<double> NumberValue(const JsonValue& v) {
  if (v.type != JsonValue::Type::kNumber) return std::nullopt;
  double d = 0;
  auto [end, ec] = std::from_chars(v.raw.data(), v.raw.data() + v.raw.size(), d);
  if (ec != std::errc() || end != v.raw.data() + v.raw.size()) return std::nullopt;
  return d;
}

// A string member's text: the line's own bytes when they hold no escape
// and are printable ASCII (then they need no JSON escape either: *plain,
// when asked), else decoded into *buf. Empty for a member of another type
// or none.
std::string_view StringText(const JsonValue& v, std::string* buf, bool* plain = nullptr) {
  bool own = v.type != JsonValue::Type::kString || (!v.escaped && v.printable);
  if (plain != nullptr) *plain = own;
  if (v.type != JsonValue::Type::kString) return {};
  if (own) return v.raw;
  DecodeJsonString(v, buf);
  return *buf;
}

// An integer from a JSON number or a numeric string, within [0, max].
int IntField(const JsonValue& v, int max) {
  // Plain digits (the usual port) without a detour through double; up to
  // 9 of them (no overflow) by ParseDigits, as from_chars would read them.
  int n = 0;
  auto whole_int = [&](std::string_view text) {
    if (!text.empty() && text.size() <= 9 && ParseDigits(text, 0, text.size(), &n)) return true;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    return ec == std::errc() && end == text.data() + text.size();
  };
  if (v.type == JsonValue::Type::kNumber && whole_int(v.raw)) return n >= 0 && n <= max ? n : 0;
  if (auto d = NumberValue(v))
    return (*d >= 0 && *d <= max && *d == std::floor(*d)) ? static_cast<int>(*d) : 0;
  if (v.type == JsonValue::Type::kString) {
    std::string decoded;
    if (whole_int(JsonMatchText(v.raw, v.escaped, &decoded)) && n >= 0 && n <= max) return n;
  }
  return 0;
}

// What RFC 3339 can write: 0000-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999Z.
constexpr int64_t kMinMicros = -62167219200LL * 1000000;
constexpr int64_t kMaxMicros = 253402300800LL * 1000000 - 1;

bool IsLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// Of a text ParseRfc3339 accepted: whether it is exactly as RFC 3339
// section 5.6 writes it, with uppercase 'T' and 'Z', a real calendar day and
// no leap second. Any RFC 3339 reader (and the shield tool's own consumers)
// takes that, so it is passed on verbatim. (Accepted, a 't' can only be the
// separator and a 'z' only the last byte.)
bool IsPlainRfc3339(std::string_view s) {
  if (s.size() < 20 || s[10] != 'T' || s.back() == 'z') return false;
  auto num = [&](size_t at) { return (s[at] - '0') * 10 + (s[at + 1] - '0'); };
  int year = num(0) * 100 + num(2), mon = num(5), day = num(8);
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (day > kDays[mon - 1] || (mon == 2 && day == 29 && !IsLeapYear(year))) return false;
  return num(17) < 60;
}

// The writer's ts when it is plain RFC 3339; other readable forms (lowercase,
// a space separator, epoch seconds) normalized to UTC into *buf; else now.
// Any of them is plain text for JSON.
std::string_view TimestampField(const JsonValue& v, std::string* buf, DateTimeCache* cache) {
  // A plain value and flag, not an optional: the range test below reads
  // the value only once it is known to be set.
  int64_t micros = 0;
  bool readable = false;
  std::string_view text;
  if (v.type == JsonValue::Type::kString) {
    text = StringText(v, buf);
    if (std::optional<int64_t> parsed = ParseRfc3339(text, cache)) {
      micros = *parsed;
      readable = true;
    }
  } else if (auto d = NumberValue(v); d && std::isfinite(*d) && std::fabs(*d) < 1e11) {
    micros = std::llround(*d * 1e6);
    readable = true;
  }
  // Out of range (e.g. 9999-12-31T23:59:59-01:00): unreadable, like garbage.
  if (!readable || micros < kMinMicros || micros > kMaxMicros) *buf = NowRfc3339();
  else if (text.empty() || !IsPlainRfc3339(text)) FormatRfc3339(micros, buf);
  else return text;
  return *buf;
}

// The seconds since the epoch of s, 19 bytes "YYYY-MM-DDTHH:MM:SS"
// (separator 'T', 't' or ' '): RFC 3339's date and time of day, without
// fraction or zone.
std::optional<int64_t> DateTimeSeconds(std::string_view s) {
  int year, mon, day, hour, min, sec;
  if (!ParseDigits(s, 0, 4, &year) || s[4] != '-' ||
      !ParseDigits(s, 5, 2, &mon) || s[7] != '-' ||
      !ParseDigits(s, 8, 2, &day) ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !ParseDigits(s, 11, 2, &hour) || s[13] != ':' ||
      !ParseDigits(s, 14, 2, &min) || s[16] != ':' ||
      !ParseDigits(s, 17, 2, &sec))
    return std::nullopt;
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 ||
      sec > 60)
    return std::nullopt;
  // days_from_civil (H. Hinnant): timegm() without its tz lock; out-of-range
  // days and a leap second carry over the same way.
  int64_t y = year - (mon <= 2);
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (mon > 2 ? mon - 3 : mon + 9) + 2) / 5 + day - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = era * 146097 + doe - 719468;
  return days * 86400 + hour * 3600 + min * 60 + sec;
}

// DateTimeSeconds of the 19 bytes at the start of a timestamp, through the
// caller's cache when it has one.
std::optional<int64_t> CachedDateTimeSeconds(std::string_view s19, DateTimeCache* cache) {
  if (cache == nullptr) return DateTimeSeconds(s19);
  if (cache->valid && std::memcmp(cache->text, s19.data(), sizeof cache->text) == 0)
    return cache->seconds;
  std::optional<int64_t> secs = DateTimeSeconds(s19);
  if (secs) {
    std::memcpy(cache->text, s19.data(), sizeof cache->text);
    cache->seconds = *secs;
    cache->valid = true;
  }
  return secs;
}

}  // namespace

std::optional<int64_t> ParseRfc3339(std::string_view s, DateTimeCache* cache) {
  if (s.size() < 19) return std::nullopt;
  std::optional<int64_t> secs = CachedDateTimeSeconds(s.substr(0, 19), cache);
  if (!secs) return std::nullopt;
  size_t i = 19;
  int64_t micros = 0;
  if (i < s.size() && s[i] == '.') {
    // The first six digits, scaled to microseconds; any further ones dropped.
    size_t first = ++i;
    int six = 0;
    if (s.size() - first > 6 && ParseDigits(s, first, 6, &six) &&
        (s[first + 6] < '0' || s[first + 6] > '9')) {
      micros = six;  // the usual fraction, microseconds exactly: one pass
      i = first + 6;
    } else {
      for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i)
        if (i - first < 6) micros = micros * 10 + (s[i] - '0');
      if (i == first) return std::nullopt;
      for (size_t digits = i - first; digits < 6; ++digits) micros *= 10;
    }
  }
  int offset_min = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!ParseDigits(s, i + 1, 2, &oh) || i + 3 >= s.size() || s[i + 3] != ':' ||
        !ParseDigits(s, i + 4, 2, &om) || oh > 23 || om > 59)
      return std::nullopt;
    offset_min = (s[i] == '-' ? -1 : 1) * (oh * 60 + om);
    i += 6;
  } else {
    return std::nullopt;  // RFC 3339 requires a zone
  }
  if (i != s.size()) return std::nullopt;
  return (*secs - offset_min * 60) * 1000000 + micros;
}

int ProtoNumber(std::string_view name) {
  static constexpr std::pair<std::string_view, int> kNames[] = {
      {"icmp", 1},  {"igmp", 2},     {"tcp", 6},   {"udp", 17},
      {"gre", 47},  {"esp", 50},     {"ah", 51},   {"icmpv6", 58},
      {"ipv6-icmp", 58}, {"sctp", 132}, {"udplite", 136}};
  for (auto [n, number] : kNames)
    if (n == name) return number;
  int v = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), v);
  if (ec == std::errc() && end == name.data() + name.size() && v > 0 && v < 256)
    return v;
  return 0;
}

namespace {

enum { kTs, kAction, kContainer, kDomain, kDest, kDetail, kPort, kProto, kFields };
constexpr std::string_view kAuditNames[kFields] = {
    "ts", "action", "container", "domain", "dest", "detail", "port", "proto"};
constexpr JsonKeys kAuditKeys(kAuditNames, kFields);

}  // namespace

bool ParseAuditLine(std::string_view line, std::string_view default_container,
                    EventView* out, AuditText* text, DateTimeCache* cache) {
  JsonValue v[kFields];
  if (!ParseJsonObject(line, kAuditKeys, v)) return false;
  EventView& ev = *out;
  ev.source = "audit";
  ev.ts = TimestampField(v[kTs], &text->ts, cache);
  // Like the shield tool: an entry without an action is still reported.
  if (v[kAction].type == JsonValue::Type::kString) ev.action = StringText(v[kAction], &text->action);
  else ev.action = "unknown";
  ev.container = StringText(v[kContainer], &text->container);
  if (ev.container.empty()) ev.container = default_container;
  uint8_t plain_bits = EventView::kPlainTs;
  auto text_field = [&](const JsonValue& value, std::string* buf, uint8_t bit) {
    bool plain;
    std::string_view t = StringText(value, buf, &plain);
    if (plain) plain_bits |= bit;
    return t;
  };
  ev.domain = text_field(v[kDomain], &text->domain, EventView::kPlainDomain);
  ev.dest = text_field(v[kDest], &text->dest, EventView::kPlainDest);
  // An escaped detail (a quote in it is usual) written as the writer would
  // write it goes into the JSON as it came, and is decoded only if read.
  const JsonValue& detail = v[kDetail];
  if (detail.escaped && detail.printable && detail.short_escapes)
    ev.detail_json = detail.raw;
  else
    ev.detail = text_field(detail, &text->detail, EventView::kPlainDetail);
  ev.plain = plain_bits;
  ev.port = IntField(v[kPort], 65535);
  if (v[kProto].type == JsonValue::Type::kString) {
    std::string decoded;
    ev.proto = ProtoNumber(JsonMatchText(v[kProto].raw, v[kProto].escaped, &decoded));
  } else {
    ev.proto = IntField(v[kProto], 255);
  }
  return true;
}

bool ParseAuditLine(std::string_view line, const std::string& default_container,
                    Event* out, DateTimeCache* cache) {
  AuditText text;
  EventView view;
  if (!ParseAuditLine(line, default_container, &view, &text, cache)) return false;
  *out = CopyEvent(view);
  return true;
}

}  // namespace sw
