#include "timestamp_cache.h"

#include <ctime>

#include "event.h"

namespace sw {

namespace {
constexpr size_t kMicros = 20;  // "YYYY-MM-DDTHH:MM:SS." precedes them
}  // namespace

std::string_view TimestampCache::Now() {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return At(static_cast<int64_t>(now.tv_sec) * 1000000 + now.tv_nsec / 1000);
}

std::string_view TimestampCache::At(int64_t unix_micros) {
  int64_t second = unix_micros / 1000000;
  int64_t micros = unix_micros % 1000000;
  if (micros < 0) {
    micros += 1000000;
    second -= 1;
  }
  if (second != second_) {
    second_ = second;
    FormatRfc3339(second * 1000000, &text_);
    // Years outside 0..9999 or another layout: no patching, format in full.
    patchable_ = text_.size() >= kMicros + 6 && text_[kMicros - 1] == '.' &&
                 text_.compare(kMicros, 6, "000000") == 0;
  }
  if (!patchable_) {
    FormatRfc3339(unix_micros, &unpatchable_);
    return unpatchable_;
  }
  unsigned us = static_cast<unsigned>(micros);
  for (size_t i = kMicros + 6; i-- > kMicros;) {
    text_[i] = static_cast<char>('0' + us % 10);
    us /= 10;
  }
  return text_;
}

}  // namespace sw
