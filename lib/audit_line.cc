#include "audit_line.h"

#include <cjson/cJSON.h>

#include <charconv>
#include <cmath>
#include <ctime>
#include <memory>

namespace sw {

namespace {

struct CJsonDeleter {
  void operator()(cJSON* j) const { cJSON_Delete(j); }
};
using CJsonPtr = std::unique_ptr<cJSON, CJsonDeleter>;

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

std::string StringField(const cJSON* obj, const char* key) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!cJSON_IsString(item) || item->valuestring == nullptr) return {};
  return SanitizeUtf8(item->valuestring);
}

// An integer from a JSON number or a numeric string, within [0, max].
int IntField(const cJSON* item, int max) {
  if (cJSON_IsNumber(item)) {
    double v = item->valuedouble;
    return (v >= 0 && v <= max && v == std::floor(v)) ? static_cast<int>(v) : 0;
  }
  if (cJSON_IsString(item) && item->valuestring != nullptr) {
    std::string_view s(item->valuestring);
    int v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && end == s.data() + s.size() && v >= 0 && v <= max)
      return v;
  }
  return 0;
}

// What RFC 3339 can write: 0000-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999Z.
constexpr int64_t kMinMicros = -62167219200LL * 1000000;
constexpr int64_t kMaxMicros = 253402300800LL * 1000000 - 1;

std::string TimestampField(const cJSON* obj) {
  const cJSON* ts = cJSON_GetObjectItemCaseSensitive(obj, "ts");
  std::optional<int64_t> micros;
  if (cJSON_IsString(ts) && ts->valuestring != nullptr) {
    micros = ParseRfc3339(ts->valuestring);
  } else if (cJSON_IsNumber(ts) && std::isfinite(ts->valuedouble) &&
             std::fabs(ts->valuedouble) < 1e11) {
    micros = std::llround(ts->valuedouble * 1e6);
  }
  // Out of range (e.g. 9999-12-31T23:59:59-01:00): unreadable, like garbage.
  if (micros && *micros >= kMinMicros && *micros <= kMaxMicros)
    return FormatRfc3339(*micros);
  return NowRfc3339();
}

}  // namespace

std::optional<int64_t> ParseRfc3339(std::string_view s) {
  int year, mon, day, hour, min, sec;
  if (!ParseDigits(s, 0, 4, &year) || s.size() < 19 || s[4] != '-' ||
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
  size_t i = 19;
  int64_t micros = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int64_t scale = 100000;
    size_t digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      micros += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
      ++digits;
    }
    if (digits == 0) return std::nullopt;
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
  // days_from_civil (H. Hinnant): timegm() without its tz lock; out-of-range
  // days and a leap second carry over the same way.
  int64_t y = year - (mon <= 2);
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (mon > 2 ? mon - 3 : mon + 9) + 2) / 5 + day - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = era * 146097 + doe - 719468;
  int64_t secs = days * 86400 + hour * 3600 + min * 60 + sec - offset_min * 60;
  return secs * 1000000 + micros;
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

bool ParseAuditLine(std::string_view line, const std::string& default_container,
                    Event* out) {
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return false;
  CJsonPtr root(cJSON_ParseWithLength(line.data(), line.size()));
  if (!root || !cJSON_IsObject(root.get())) return false;
  const cJSON* obj = root.get();
  Event ev;
  ev.source = "audit";
  ev.ts = TimestampField(obj);
  ev.action = StringField(obj, "action");
  ev.container = StringField(obj, "container");
  if (ev.container.empty()) ev.container = default_container;
  ev.domain = StringField(obj, "domain");
  ev.dest = StringField(obj, "dest");
  ev.detail = StringField(obj, "detail");
  ev.port = IntField(cJSON_GetObjectItemCaseSensitive(obj, "port"), 65535);
  const cJSON* proto = cJSON_GetObjectItemCaseSensitive(obj, "proto");
  if (cJSON_IsString(proto) && proto->valuestring != nullptr)
    ev.proto = ProtoNumber(proto->valuestring);
  else
    ev.proto = IntField(proto, 255);
  *out = std::move(ev);
  return true;
}

}  // namespace sw
