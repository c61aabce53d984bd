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
  ++pushed_;
  if (!json_stream_) {
    PackedEventPtr packed(PackedEvent::Make(ev, &json_scratch_, &memo_, &arena_));
    bytes_ += packed->bytes();
    packed_.push_back(std::move(packed));
    return;
  }
  const size_t bound = JsonBound(ev) + 1;
  if (bytes_ == 0 && static_cast<size_t>(direct_end_ - direct_) >= bound) {
    direct_ = WriteJson(direct_, ev, &memo_);
    *direct_++ = '\n';
    return;
  }
  if (capacity_ - tail_ < bound) Reserve(bound);
  char* end = WriteJson(stream_.get() + tail_, ev, &memo_);
  *end++ = '\n';
  size_t line = static_cast<size_t>(end - (stream_.get() + tail_));
  tail_ += line;
  bytes_ += line;
  ++lines_;
}

void EventQueue::Reserve(size_t more) {
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

size_t EventQueue::Undo(const Mark& m) {
  if (direct_ != nullptr && m.direct != nullptr) direct_ = m.direct;
  TruncateTo(m.events);
  const size_t dropped = static_cast<size_t>(pushed_ - m.pushed);
  pushed_ = m.pushed;
  return dropped;
}

void EventQueue::BeginDirect(char* buf, size_t len) {
  direct_from_ = direct_ = buf;
  direct_end_ = buf + len;
}

size_t EventQueue::EndDirect() {
  const size_t n = static_cast<size_t>(direct_ - direct_from_);
  direct_from_ = direct_ = direct_end_ = nullptr;
  return n;
}

void EventQueue::TruncateTo(size_t events) {
  if (!json_stream_) {
    while (packed_.size() > events) {
      bytes_ -= packed_.back()->bytes();
      packed_.pop_back();
    }
    return;
  }
  // Rare (a failed sw_host_add): found by their newlines, from the end.
  for (; lines_ > events; --lines_) {
    const char* unread = stream_.get() + head_;
    const void* nl = lines_ > 1 ? memrchr(unread, '\n', tail_ - head_ - 1) : nullptr;
    tail_ = nl != nullptr ? static_cast<size_t>(static_cast<const char*>(nl) + 1 - stream_.get()) : head_;
  }
  bytes_ = tail_ - head_;
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
  if (bytes_ == 0) {
    lines_ = 0;
    head_ = tail_ = 0;
    if (capacity_ > kKeptStreamBytes) {
      stream_.reset();
      capacity_ = 0;
    }
  } else {
    // Most reads take all: only a partial one counts the lines it ended
    // (memchr: a line is some 200 bytes, found in a few vector steps).
    for (const char *at = buf, *end = buf + n;
         (at = static_cast<const char*>(std::memchr(at, '\n', static_cast<size_t>(end - at)))); ++at)
      --lines_;
  }
  return n;
}

}  // namespace sw
