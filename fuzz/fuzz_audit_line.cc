// Fuzzes the audit.jsonl line parser: ParseAuditLine -> ToJson must parse with
// cJSON, and every string field read back must equal the event's field
// (fuzz::CheckEventJson). Also checks what the parser promises about the
// fields: valid UTF-8, a ts in the library's RFC 3339 form, the default
// container when none is given, port/proto in range, and agreement with an
// independent cJSON read of the same line for the plain string fields.
#include <cjson/cJSON.h>

#include <string>
#include <string_view>

#include "audit_line.h"
#include "event.h"
#include "fuzz_util.h"

namespace {

const std::string kDefaultContainer = "fuzz-default";

// The field as the parser should have taken it: the sanitized string value,
// or "" when absent or not a string.
std::string Expected(const cJSON* root, const char* key) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(root, key);
  if (!cJSON_IsString(item) || item->valuestring == nullptr) return {};
  return fuzz::RefSanitize(item->valuestring);
}

// "YYYY-MM-DDTHH:MM:SS.uuuuuuZ", the only form the library emits.
bool IsCanonicalTs(std::string_view ts) {
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.ddddddZ";
  if (ts.size() != kShape.size()) return false;
  for (size_t i = 0; i < ts.size(); ++i) {
    if (kShape[i] == 'd' ? (ts[i] < '0' || ts[i] > '9') : ts[i] != kShape[i]) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  sw::Event ev;
  if (!sw::ParseAuditLine(line, kDefaultContainer, &ev)) return 0;

  fuzz::CheckEventJson(ev);

  FUZZ_CHECK(ev.source == "audit");
  for (const std::string* s : {&ev.ts, &ev.action, &ev.container, &ev.domain,
                               &ev.query_type, &ev.dest, &ev.detail})
    FUZZ_CHECK(fuzz::RefValidUtf8(*s), *s, line);
  FUZZ_CHECK(IsCanonicalTs(ev.ts), ev.ts, line);
  FUZZ_CHECK(sw::ParseRfc3339(ev.ts).has_value(), ev.ts, line);
  FUZZ_CHECK(!ev.container.empty(), line);
  FUZZ_CHECK(ev.port >= 0 && ev.port <= 65535, line);
  FUZZ_CHECK(ev.proto >= 0 && ev.proto <= 255, line);
  FUZZ_CHECK(ev.uid == -1 && ev.gid == -1 && ev.icmp_type == -1, line);

  // An independent read of the same line agrees on the string fields.
  cJSON* root = cJSON_ParseWithLength(line.data(), line.size());
  FUZZ_CHECK(root != nullptr && cJSON_IsObject(root), line);
  FUZZ_CHECK(ev.action == Expected(root, "action"), ev.action, line);
  FUZZ_CHECK(ev.domain == Expected(root, "domain"), ev.domain, line);
  FUZZ_CHECK(ev.dest == Expected(root, "dest"), ev.dest, line);
  FUZZ_CHECK(ev.detail == Expected(root, "detail"), ev.detail, line);
  std::string container = Expected(root, "container");
  FUZZ_CHECK(ev.container == (container.empty() ? kDefaultContainer : container),
             ev.container, line);
  // A ts that is already canonical RFC 3339 UTC is kept as is.
  std::string ts = Expected(root, "ts");
  if (IsCanonicalTs(ts) && sw::ParseRfc3339(ts))
    FUZZ_CHECK(sw::FormatRfc3339(*sw::ParseRfc3339(ts)) == ev.ts, ts, ev.ts);
  cJSON_Delete(root);
  return 0;
}
