// A FIFO in one growable circular buffer: unlike std::deque, which
// allocates and frees a block every few dozen elements as a queue moves,
// pushing and popping allocate nothing once it has grown to its high water.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace sw {

template <typename T>
class RingQueue {
 public:
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }

  T& front() { return slots_[head_]; }
  T& back() { return slots_[Index(size_ - 1)]; }

  void push_back(T value) {
    if (size_ == slots_.size()) Grow();
    slots_[Index(size_)] = std::move(value);
    ++size_;
  }
  // Leaves a moved-from (or reset) element behind in the slot.
  void pop_front() {
    slots_[head_] = T();
    head_ = Index(1);
    --size_;
  }
  void pop_back() {
    slots_[Index(size_ - 1)] = T();
    --size_;
  }

 private:
  // Capacity is a power of two: wrapping is a mask.
  size_t Index(size_t i) const { return (head_ + i) & (slots_.size() - 1); }
  void Grow() {
    std::vector<T> bigger(slots_.empty() ? 16 : slots_.size() * 2);
    for (size_t i = 0; i < size_; ++i) bigger[i] = std::move(slots_[Index(i)]);
    slots_ = std::move(bigger);
    head_ = 0;
  }

  std::vector<T> slots_;
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace sw
