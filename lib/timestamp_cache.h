// Event timestamps for sources that stamp many events a second.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sw {

// Formats like FormatRfc3339 (event.h), but the text up to the seconds is
// built once per second and only the six microsecond digits are patched in.
// The text is the cache's own: valid until the next call. Not thread-safe:
// one per source.
class TimestampCache {
 public:
  // The current wall-clock time.
  std::string_view Now();
  // FormatRfc3339(unix_micros).
  std::string_view At(int64_t unix_micros);

 private:
  int64_t second_ = INT64_MIN;
  std::string text_;        // FormatRfc3339(second_ * 1000000), microseconds patched
  bool patchable_ = false;  // text_ holds the microseconds at [20, 26)
  std::string unpatchable_;  // a time whose text is laid out otherwise
};

}  // namespace sw
