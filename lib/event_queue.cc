#include "event_queue.h"

#include <algorithm>
#include <cstring>

namespace sw {

namespace {

// A drained stream buffer larger than this is freed: a host that fell
// behind once (up to the host's 16 MiB bound) does not keep it for life.
// Smaller ones are kept: a flood fills the queue to its 4096-event bound
// (about 1 MiB of NFLOG lines) each poll, and growing the buffer again by
// doubling would copy each line once more.
constexpr size_t kKeptStreamBytes = 4 << 20;

}  // namespace

void EventQueue::Push(const EventView& ev) {
  if (!json_stream_) {
    PackedEventPtr packed(PackedEvent::Make(ev, &json_scratch_, &memo_, &arena_));
    bytes_ += packed->bytes();
    packed_.push_back(std::move(packed));
    return;
  }
  Reserve(JsonBound(ev) + 1);
  char* end = WriteJson(stream_.get() + tail_, ev, &memo_);
  *end++ = '\n';
  size_t line = static_cast<size_t>(end - (stream_.get() + tail_));
  line_ends_.push_back((line_ends_.empty() ? read_ + bytes_ : line_ends_.back()) + line);
  tail_ += line;
  bytes_ += line;
}

void EventQueue::Reserve(size_t more) {
  if (capacity_ - tail_ >= more) return;
  const size_t unread = tail_ - head_;
  if (capacity_ - unread >= more && unread <= capacity_ / 2) {
    // Moving the unread half down is cheaper than a larger buffer.
    std::memmove(stream_.get(), stream_.get() + head_, unread);
  } else {
    size_t capacity = std::max<size_t>(capacity_ * 2, 64 * 1024);
    while (capacity - unread < more) capacity *= 2;
    auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
    if (unread > 0) std::memcpy(bigger.get(), stream_.get() + head_, unread);
    stream_ = std::move(bigger);
    capacity_ = capacity;
  }
  head_ = 0;
  tail_ = unread;
}

void EventQueue::TruncateTo(size_t events) {
  if (!json_stream_) {
    while (packed_.size() > events) {
      bytes_ -= packed_.back()->bytes();
      packed_.pop_back();
    }
    return;
  }
  while (line_ends_.size() > events) line_ends_.pop_back();
  const uint64_t end = line_ends_.empty() ? read_ : line_ends_.back();
  bytes_ = static_cast<size_t>(end - read_);
  tail_ = head_ + bytes_;
}

PackedEventPtr EventQueue::Next() {
  if (packed_.empty()) return nullptr;
  PackedEventPtr ev = std::move(packed_.front());
  packed_.pop_front();
  bytes_ -= ev->bytes();
  return ev;
}

size_t EventQueue::Read(char* buf, size_t len) {
  const size_t n = std::min(len, bytes_);
  if (n == 0) return 0;
  std::memcpy(buf, stream_.get() + head_, n);
  head_ += n;
  bytes_ -= n;
  read_ += n;
  while (!line_ends_.empty() && line_ends_.front() <= read_) line_ends_.pop_front();
  if (bytes_ == 0) {
    head_ = tail_ = 0;
    if (capacity_ > kKeptStreamBytes) {
      stream_.reset();
      capacity_ = 0;
    }
  }
  return n;
}

}  // namespace sw
