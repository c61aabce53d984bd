// Where a host's events wait for its caller, in one of two forms chosen at
// open: packed events (sw_next_event), or, for a caller that asked for a
// JSON stream, their JSON lines back to back in one buffer (sw_read_json),
// which skips packing each field and handing out an object per event.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "event.h"
#include "packed_event.h"
#include "ring_queue.h"

namespace sw {

class EventQueue {
 public:
  explicit EventQueue(bool json_stream) : json_stream_(json_stream) {}
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  bool json_stream() const { return json_stream_; }
  // Queues `ev` (taking what it needs: its fields may be reused after).
  // Throws std::bad_alloc.
  void Push(const EventView& ev);
  // Events queued: in a JSON stream, lines not wholly read yet.
  size_t size() const { return json_stream_ ? lines_ : packed_.size(); }
  bool empty() const { return size() == 0; }
  // Bytes queued, for the host's bound.
  size_t bytes() const { return bytes_; }
  // Drops the newest events until `events` are left; none of those dropped
  // may have been read from yet.
  void TruncateTo(size_t events);

  // Packed form only: the oldest event, null when none is queued.
  PackedEventPtr Next();
  // JSON stream only: moves up to `len` of the oldest queued bytes to
  // `buf` and returns how many (a line may be split between two calls).
  size_t Read(char* buf, size_t len);

 private:
  // Room for `more` bytes after the stream's last one.
  void Reserve(size_t more);

  const bool json_stream_;
  size_t bytes_ = 0;
  JsonMemo memo_;  // what the JSON writer keeps between events, either form

  // Packed form.
  RingQueue<PackedEventPtr> packed_;
  std::string json_scratch_;  // PackedEvent::Make's buffer, reused
  EventArena arena_;          // and the slabs it packs events into

  // JSON stream: unread bytes are stream_[head_, tail_), lines_ lines
  // (the first maybe partly read already).
  std::unique_ptr<char[]> stream_;
  size_t capacity_ = 0, head_ = 0, tail_ = 0;
  size_t lines_ = 0;
};

}  // namespace sw
