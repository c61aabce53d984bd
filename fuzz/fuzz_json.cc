// Fuzzes the JSON serializer and the UTF-8 sanitizer: arbitrary bytes ->
// SanitizeUtf8 -> Event fields -> ToJson -> cJSON, which must give back every
// field unchanged (fuzz::CheckEventJson).
//
// SanitizeUtf8 is also checked against an independent reference (fuzz.h's
// RefSanitize, which decodes code points instead of using a byte table):
// equal output, valid input returned unchanged, idempotent. AppendJsonString
// is checked on its own: the quoted string parses back to its input.
#include <fuzzer/FuzzedDataProvider.h>

#include <string>

#include "event.h"
#include "fuzz_util.h"

namespace {

std::string SanitizedField(FuzzedDataProvider& in) {
  std::string raw = in.ConsumeRandomLengthString(512);
  std::string clean = sw::SanitizeUtf8(raw);
  FUZZ_CHECK(clean == fuzz::RefSanitize(raw), raw, clean);
  FUZZ_CHECK(fuzz::RefValidUtf8(clean), clean);
  if (fuzz::RefValidUtf8(raw)) FUZZ_CHECK(clean == raw, raw, clean);
  FUZZ_CHECK(sw::SanitizeUtf8(clean) == clean, clean);
  return clean;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  sw::Event ev;
  ev.ts = SanitizedField(in);
  ev.source = SanitizedField(in);
  ev.action = SanitizedField(in);
  ev.container = SanitizedField(in);
  ev.domain = SanitizedField(in);
  ev.query_type = SanitizedField(in);
  ev.dest = SanitizedField(in);
  ev.detail = SanitizedField(in);
  ev.port = in.ConsumeIntegral<int>();
  ev.proto = in.ConsumeIntegral<int>();
  ev.uid = in.ConsumeIntegral<int64_t>();
  ev.gid = in.ConsumeIntegral<int64_t>();
  ev.icmp_type = in.ConsumeIntegral<int>();
  fuzz::CheckEventJson(ev);

  // AppendJsonString alone: a JSON string literal equal to its input.
  std::string s = sw::SanitizeUtf8(in.ConsumeRemainingBytesAsString());
  std::string quoted = "[";
  sw::AppendJsonString(quoted, s);
  quoted += ']';
  cJSON* arr = cJSON_Parse(quoted.c_str());
  FUZZ_CHECK(arr != nullptr && cJSON_IsArray(arr), quoted);
  const cJSON* str = cJSON_GetArrayItem(arr, 0);
  FUZZ_CHECK(cJSON_IsString(str) && str->valuestring != nullptr, quoted);
  FUZZ_CHECK(std::string_view(str->valuestring) == fuzz::UpToNul(s), s, str->valuestring);
  cJSON_Delete(arr);
  return 0;
}
