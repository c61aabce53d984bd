// Event timestamps for sources that stamp many events a second.
#pragma once

#include <cstdint>
#include <string>

namespace sw {

// Formats like FormatRfc3339 (event.h), but the text up to the seconds is
// built once per second and only the six microsecond digits are patched in,
// into the caller's string (its buffer is reused). Not thread-safe: one per
// source.
class TimestampCache {
 public:
  // *out = the current wall-clock time.
  void Now(std::string* out);
  // *out = FormatRfc3339(unix_micros).
  void At(int64_t unix_micros, std::string* out);

 private:
  int64_t second_ = INT64_MIN;
  std::string text_;        // FormatRfc3339(second_ * 1000000)
  bool patchable_ = false;  // text_ holds the microseconds at [20, 26)
};

}  // namespace sw
