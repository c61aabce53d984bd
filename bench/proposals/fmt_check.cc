// Check of lib's FormatRfc3339/ParseRfc3339 (civil-date arithmetic, commit
// 9c8b2c3) against the gmtime_r + snprintf formatter they replaced, over 2M
// random timestamps (parse round trip for years 0000-9999).
//   g++ -std=c++20 -O2 -Ilib -Iinclude bench/proposals/fmt_check.cc lib/event.cc \
//       lib/audit_line.cc -lcjson -o /tmp/fmt_check && /tmp/fmt_check
#include <cstdio>
#include <ctime>
#include <random>
#include <string>
#include "event.h"
#include "audit_line.h"
static std::string Old(int64_t us) {  // HEAD's FormatRfc3339
  int64_t secs = us / 1000000, micros = us % 1000000;
  if (micros < 0) { micros += 1000000; secs -= 1; }
  time_t t = secs; struct tm tm; gmtime_r(&t, &tm);
  char buf[64];
  int n = snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02d.%06lldZ",
                   (long long)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)micros);
  return std::string(buf, n);
}
int main() {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 2000000; ++i) {
    int64_t us = (int64_t)(rng() % 353402300800000000ULL) - (i % 2 ? 82135596800000000LL : 0);
    if (sw::FormatRfc3339(us) != Old(us)) { printf("fmt mismatch %lld %s %s\n", (long long)us, sw::FormatRfc3339(us).c_str(), Old(us).c_str()); return 1; }
    if (us < -62167219200000000LL || us > 253402300799999999LL) continue;  // not four digits
    auto back = sw::ParseRfc3339(Old(us));
    if (!back || *back != us) { printf("parse mismatch %lld\n", (long long)us); return 1; }
  }
  printf("format/parse check ok\n");
}
