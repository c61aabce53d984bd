// Counted deduplication of events by key.
//
// The key of an event is (container, source, action, domain, query_type,
// dest, port, proto). Repeats of a key are held back and counted; when the
// key's window closes holding N > 0 of them, one event stands for them all:
// the last one held (all its fields, its own ts) with `suppressed = N - 1`
// (0, i.e. absent, when N == 1). So every event emitted stands for
// 1 + suppressed occurrences, and over the stream sum(1 + suppressed) equals
// the occurrences offered, exactly.
//
// Window mode: the first occurrence of a key is emitted at once and opens a
// window of `window_ms`; repeats inside it are held and reported when it
// closes. The next occurrence opens a new window.
// Once mode: only the first occurrence of a key is emitted at once; later
// repeats are held, and reported `window_ms` after the first of them, so a
// notification-style host hears of a key once, then at most one count per
// period while it keeps recurring.
//
// Memory is bounded by max_keys: when full, the oldest window (window mode)
// or least recently seen key (once mode) is dropped, what it holds reported
// at once, so the identity above still holds.
#pragma once

#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "event.h"
#include "status.h"
#include "unique_fd.h"

namespace sw {

enum class DedupMode { kWindow, kOnce };

class Dedup {
 public:
  // The default bound on keys held.
  static constexpr size_t kDefaultMaxKeys = 1 << 16;
  // Once mode's report period when window_ms is 0.
  static constexpr uint32_t kDefaultOncePeriodMs = 60000;

  // Window mode with window_ms == 0 is disabled (every event is emitted).
  Dedup(DedupMode mode, uint32_t window_ms, size_t max_keys = kDefaultMaxKeys);

  bool enabled() const { return window_ms_ > 0; }

  // Offers one occurrence at monotonic time now_ms. Appends to *out what the
  // windows closed by now_ms held, then ev unless it is held back.
  // Returns true when ev was appended. Source "watch" is never held.
  bool Offer(Event ev, int64_t now_ms, std::deque<Event>* out);

  // Appends what the windows closed by now_ms held.
  void Expire(int64_t now_ms, std::deque<Event>* out);

  // When the next window holding repeats closes (monotonic ms); nullopt
  // while nothing is held, so a timer need not be armed.
  std::optional<int64_t> NextDeadline() const;

  // Reports and forgets every key of `container` (it is leaving the
  // stream): what they hold comes before whatever the caller appends next.
  // Costs the number of that container's keys.
  void Flush(const std::string& container, std::deque<Event>* out);

  size_t keys() const { return index_.size(); }

 private:
  struct Entry;
  using List = std::list<Entry>;
  using Members = std::list<List::iterator>;  // one container's entries
  struct Entry {
    std::string key_bytes;  // index key
    std::string container;  // its by_container_ key
    Members::iterator member;  // its place there
    Event last;             // the last repeat held
    uint64_t held = 0;      // repeats held since the last report
    int64_t deadline = 0;   // window close (window mode) / report time (once)
    uint64_t seq = 0;       // tie-break for equal deadlines
  };
  using DueKey = std::pair<int64_t, uint64_t>;  // (deadline, seq)

  void Report(Entry& e, std::deque<Event>* out);
  void Drop(List::iterator it, std::deque<Event>* out);

  const DedupMode mode_;
  const int64_t window_ms_;
  const size_t max_keys_;
  uint64_t next_seq_ = 0;
  // Window mode: in order of window opening (== deadline order). Once mode:
  // least recently seen first.
  List entries_;
  // Views into the entries' key_bytes (list nodes never move).
  std::unordered_map<std::string_view, List::iterator> index_;
  // Entries with held > 0, by deadline: the only ones the timer needs.
  std::map<DueKey, List::iterator> due_;
  // Entries by container, so a leaving container is flushed without a scan.
  std::unordered_map<std::string, Members> by_container_;
};

// The timerfd that closes a Dedup's windows (CLOCK_MONOTONIC, in the
// watcher's epoll set), armed only while something is held: with nothing
// held there are no wakeups.
class DedupTimer {
 public:
  Status Open();
  int fd() const { return fd_.get(); }
  // Consumes an expiry, appends to *out what the windows closed by now held,
  // then arms the timer for the next deadline or disarms it. Returns the
  // number of events appended. A no-op before Open().
  size_t Service(Dedup& dedup, std::deque<Event>* out);

 private:
  UniqueFd fd_;
  int64_t armed_ = -1;  // deadline armed (monotonic ms), -1: disarmed
};

}  // namespace sw
