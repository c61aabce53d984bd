// What sources report into: the host's queue and counters.
#pragma once

#include <cstddef>
#include <cstdint>

#include "event.h"

namespace sw {

struct Stats {
  uint64_t events = 0;
  uint64_t dns_lines = 0;
  uint64_t audit_lines = 0;
  uint64_t audit_skipped = 0;
  uint64_t lines_too_long = 0;
  uint64_t nflog_packets = 0;
  uint64_t nflog_lost = 0;
  uint64_t deduped = 0;
  uint64_t rescans = 0;
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  // Takes what it needs from `ev` before returning: its fields point into
  // the source's buffers, which the source reuses for its next line.
  virtual void Emit(const EventView& ev) = 0;
  virtual Stats& stats() = 0;
};

// The watch event for a dropped over-long line of `file` and `unreported`
// more dropped since the previous such event.
Event LineTooLongEvent(const std::string& container, const std::string& file,
                       uint64_t bytes, uint64_t unreported, uint32_t limit);

}  // namespace sw
