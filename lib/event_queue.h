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

  // Where the queue stands, to drop what is pushed after (Undo).
  struct Mark {
    size_t events;
    uint64_t pushed;
    char* direct;
  };
  Mark Here() const { return {size(), pushed_, direct_}; }
  // Drops every event pushed since `m`, none of which may have been read
  // from yet; returns how many.
  size_t Undo(const Mark& m);

  // JSON stream only: until EndDirect(), a line goes straight to
  // [buf, buf + len), the caller's read buffer, when it fits and nothing is
  // queued before it, so most lines are written once, where the caller
  // wants them. EndDirect() returns the bytes written there.
  void BeginDirect(char* buf, size_t len);
  size_t EndDirect();

  // Packed form only: the oldest event, null when none is queued.
  PackedEventPtr Next();
  // JSON stream only: moves up to `len` of the oldest queued bytes to
  // `buf` and returns how many (a line may be split between two calls).
  size_t Read(char* buf, size_t len);

 private:
  // Room for `more` bytes after the stream's last one.
  void Reserve(size_t more);

  // Drops the newest queued events until `events` are left.
  void TruncateTo(size_t events);

  const bool json_stream_;
  size_t bytes_ = 0;
  uint64_t pushed_ = 0;  // events ever pushed, for Undo
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
  // The caller's buffer while a direct read lasts: from, next free byte, end.
  char *direct_from_ = nullptr, *direct_ = nullptr, *direct_end_ = nullptr;
};

}  // namespace sw
