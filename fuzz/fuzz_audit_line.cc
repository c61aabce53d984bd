// Fuzzes the audit.jsonl line parser (a strict RFC 8259 reader). Its one-pass
// reading of a writer's line must agree with its general reader on every
// input: the same answer and the same values. ParseAuditLine -> ToJson must
// parse with cJSON, and every string field read back must equal the event's
// field (fuzz::CheckEventJson). Also checks what the parser promises about
// the fields: valid UTF-8, a ts that is either the writer's plain RFC 3339
// string or the library's own UTC form, the default container when none is
// given, port/proto in range; that the library's own line for the event
// reads back to the same event (escapes, NUL and all); that the fields the
// parser marks plain need no JSON escape and are written the same copied as
// they are; and that a line it accepts is valid JSON to cJSON too, with the
// same string fields whenever cJSON can represent them (no \u escapes, no
// duplicate keys).
#include <cjson/cJSON.h>

#include <chrono>
#include <string>
#include <string_view>

#include "audit_line.h"
#include "event.h"
#include "fuzz_util.h"
#include "json_object.h"
#include "packed_event.h"

namespace {

const std::string kDefaultContainer = "fuzz-default";

// The field as the parser should have taken it: the sanitized string value,
// or "" when absent or not a string.
std::string Expected(const cJSON* root, const char* key) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(root, key);
  if (!cJSON_IsString(item) || item->valuestring == nullptr) return {};
  return fuzz::RefSanitize(item->valuestring);
}

// "YYYY-MM-DDTHH:MM:SS.uuuuuu+00:00", the form the library generates.
bool IsLibraryTs(std::string_view ts) {
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.dddddd+00:00";
  if (ts.size() != kShape.size()) return false;
  for (size_t i = 0; i < ts.size(); ++i) {
    if (kShape[i] == 'd' ? (ts[i] < '0' || ts[i] > '9') : ts[i] != kShape[i]) return false;
  }
  return true;
}

// Of a ts in the library's form: a day the calendar has and no leap second,
// which the library passes on as written (it normalizes 2026-11-31 or :60).
bool IsRealInstant(std::string_view ts) {
  auto num = [&](size_t at, size_t n) {
    unsigned v = 0;
    for (size_t i = at; i < at + n; ++i) v = v * 10 + static_cast<unsigned>(ts[i] - '0');
    return v;
  };
  std::chrono::year_month_day day{std::chrono::year(static_cast<int>(num(0, 4))),
                                  std::chrono::month(num(5, 2)), std::chrono::day(num(8, 2))};
  return day.ok() && num(17, 2) < 60;
}

// True when no member key of the top-level object repeats (cJSON returns the
// first of duplicates, the library the last).
bool UniqueKeys(const cJSON* root) {
  for (const cJSON* a = root->child; a; a = a->next)
    for (const cJSON* b = a->next; b; b = b->next)
      if (a->string && b->string && std::string_view(a->string) == b->string) return false;
  return true;
}

// The one-pass reading of a writer's line (ParseJsonObject) and the general
// reader alone accept the same texts, with the same values.
void CheckOnePassReading(std::string_view line) {
  static constexpr std::string_view kNames[] = {"ts", "action", "container", "domain", "dest",
                                                "detail", "port", "proto"};
  static const sw::JsonKeys keys(kNames, std::size(kNames));
  sw::JsonValue fast[std::size(kNames)], general[std::size(kNames)];
  bool fast_ok = sw::ParseJsonObject(line, keys, fast);
  FUZZ_CHECK(fast_ok == sw::ParseJsonObjectGeneral(line, keys, general), line);
  if (!fast_ok) return;
  for (size_t i = 0; i < std::size(kNames); ++i)
    FUZZ_CHECK(fast[i].type == general[i].type && fast[i].raw.data() == general[i].raw.data() &&
                   fast[i].raw.size() == general[i].raw.size() &&
                   fast[i].escaped == general[i].escaped &&
                   fast[i].printable == general[i].printable &&
                   fast[i].short_escapes == general[i].short_escapes,
               kNames[i], line);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  CheckOnePassReading(line);
  sw::Event ev;
  if (!sw::ParseAuditLine(line, kDefaultContainer, &ev)) return 0;

  fuzz::CheckEventJson(ev);

  FUZZ_CHECK(ev.source == "audit");
  for (const std::string* s : {&ev.ts, &ev.action, &ev.container, &ev.domain,
                               &ev.query_type, &ev.dest, &ev.detail})
    FUZZ_CHECK(fuzz::RefValidUtf8(*s), *s, line);
  FUZZ_CHECK(sw::ParseRfc3339(ev.ts).has_value(), ev.ts, line);
  // Verbatim from the line, or generated.
  FUZZ_CHECK(IsLibraryTs(ev.ts) || line.find(ev.ts) != std::string_view::npos ||
                 line.find('\\') != std::string_view::npos,
             ev.ts, line);
  FUZZ_CHECK(ev.ts.find_first_of("tz ") == std::string::npos, ev.ts, line);
  FUZZ_CHECK(!ev.container.empty(), line);
  FUZZ_CHECK(ev.port >= 0 && ev.port <= 65535, line);
  FUZZ_CHECK(ev.proto >= 0 && ev.proto <= 255, line);
  FUZZ_CHECK(ev.uid == -1 && ev.gid == -1 && ev.icmp_type == -1, line);

  // The library's own line for the event reads back to the same fields.
  std::string json = sw::ToJson(ev);
  // A JSON memo kept across inputs (mutations of one another, so often the
  // same source, action and container) never changes the line.
  static sw::JsonMemo memo;
  std::string with_memo(sw::JsonBound(ev), '\0');
  with_memo.resize(static_cast<size_t>(sw::WriteJson(with_memo.data(), ev, &memo) - with_memo.data()));
  FUZZ_CHECK(with_memo == json, with_memo, json);
  // The parser's own form, views with plain bits: a field marked plain
  // needs no escape, and the line written copying those as they are equals
  // the line written from copies that are all checked.
  sw::AuditText text;
  sw::EventView view;
  FUZZ_CHECK(sw::ParseAuditLine(line, kDefaultContainer, &view, &text), line);
  using V = sw::EventView;
  for (auto [bit, field] : {std::pair{V::kPlainTs, view.ts}, std::pair{V::kPlainDomain, view.domain},
                            std::pair{V::kPlainDest, view.dest}, std::pair{V::kPlainDetail, view.detail}})
    if (view.plain & bit) FUZZ_CHECK(sw::NeedsNoJsonEscape(field), field, line);
  sw::Event copied = sw::CopyEvent(view);
  FUZZ_CHECK(sw::ToJson(view) == sw::ToJson(copied), sw::ToJson(view), line);
  // Packed, the event reads back the same detail (decoded on its first read
  // when the view kept it as JSON text) and the same line.
  std::string scratch;
  sw::PackedEventPtr packed(sw::PackedEvent::Make(view, &scratch));
  FUZZ_CHECK(packed->view(sw::PackedEvent::kJson) == sw::ToJson(copied), line);
  FUZZ_CHECK(std::string_view(packed->detail()) ==
                 copied.detail.substr(0, copied.detail.find('\0')),
             line);
  using F = sw::PackedEvent;
  for (auto [f, want] : {std::pair{F::kTs, &copied.ts}, std::pair{F::kSource, &copied.source},
                         std::pair{F::kAction, &copied.action},
                         std::pair{F::kContainer, &copied.container},
                         std::pair{F::kDomain, &copied.domain}, std::pair{F::kDest, &copied.dest}})
    FUZZ_CHECK(packed->view(f) == *want, *want, line);
  sw::Event again;
  FUZZ_CHECK(sw::ParseAuditLine(json, "other-default", &again), json);
  FUZZ_CHECK(again.ts == ev.ts && again.action == ev.action && again.container == ev.container &&
                 again.domain == ev.domain && again.dest == ev.dest &&
                 again.detail == ev.detail && again.port == ev.port,
             json, line);

  // cJSON (with trailing bytes refused) accepts what the strict reader does.
  std::string copy(line);
  const char* end = nullptr;
  cJSON* root = cJSON_ParseWithOpts(copy.c_str(), &end, /*require_null_terminated=*/1);
  bool plain = line.find("\\u") == std::string_view::npos &&
               line.find('\0') == std::string_view::npos;
  if (plain) FUZZ_CHECK(root != nullptr && cJSON_IsObject(root), line);
  if (root != nullptr && plain && UniqueKeys(root)) {
    FUZZ_CHECK(ev.action == (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(root, "action"))
                                 ? Expected(root, "action")
                                 : std::string("unknown")),
               ev.action, line);
    FUZZ_CHECK(ev.domain == Expected(root, "domain"), ev.domain, line);
    FUZZ_CHECK(ev.dest == Expected(root, "dest"), ev.dest, line);
    FUZZ_CHECK(ev.detail == Expected(root, "detail"), ev.detail, line);
    std::string container = Expected(root, "container");
    FUZZ_CHECK(ev.container == (container.empty() ? kDefaultContainer : container),
               ev.container, line);
    // A ts that is the library's own form is kept as is.
    std::string ts = Expected(root, "ts");
    // A date cache kept across inputs (mutations of one another) never
    // changes an answer.
    static sw::DateTimeCache date_cache;
    FUZZ_CHECK(sw::ParseRfc3339(ts, &date_cache) == sw::ParseRfc3339(ts), ts);
    if (IsLibraryTs(ts) && IsRealInstant(ts) && sw::ParseRfc3339(ts))
      FUZZ_CHECK(ts == ev.ts, ts, ev.ts);
  }
  cJSON_Delete(root);
  return 0;
}
