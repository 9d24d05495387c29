// EventQueue: the simulated world's events in simulated time, earliest first and, at one
// time, in the order they were scheduled — so a seed replays byte for byte.
//
// A binary heap of small handles (time, insertion number, slot) over a slab of events:
// scheduling or taking an event moves a 32-byte handle along the heap, never the event
// (an input with its strings and vectors). An event is moved once, into its slot, and
// handled where it lies (PopInto); a slot freed is reused, so a run that keeps a few
// hundred events pending allocates nothing for the queue once warmed up.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace gitdest::sim {

template <class Event>
class EventQueue {
 public:
  // `event` is an Event or one of its alternatives, moved once, straight into its slot.
  template <class E>
  void Push(absl::Time at, E&& event) {
    uint32_t slot;
    if (free_.empty()) {
      slot = static_cast<uint32_t>(slab_.size());
      slab_.emplace_back(std::forward<E>(event));
    } else {
      slot = free_.back();
      free_.pop_back();
      slab_[slot] = std::forward<E>(event);
    }
    heap_.push_back(Handle{at, next_seq_++, slot});
    std::push_heap(heap_.begin(), heap_.end(), Later);
  }

  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }

  // When the first event is due. Not on an empty queue.
  absl::Time NextAt() const { return heap_.front().at; }

  // Takes the first event out. Not on an empty queue.
  Event Pop() {
    Event event;
    PopInto([&](Event& first) { event = std::move(first); });
    return event;
  }
  // Takes the first event out and hands it to `handle(event)` where it lies, not moved: handling
  // may schedule more (the slab is a deque, so the event stays put), and its slot is
  // reused only once `handle` returns. Not on an empty queue.
  template <class F>
  void PopInto(F&& handle) {
    std::pop_heap(heap_.begin(), heap_.end(), Later);
    const uint32_t slot = heap_.back().slot;
    heap_.pop_back();
    handle(slab_[slot]);
    free_.push_back(slot);
  }

 private:
  struct Handle {
    absl::Time at;
    uint64_t seq;  // insertion number: ties in time leave in the order they came
    uint32_t slot;
  };
  // The std heap algorithms keep the greatest element at the front; under Later, the
  // greatest is the earliest (time, insertion).
  static bool Later(const Handle& a, const Handle& b) {
    return a.at != b.at ? a.at > b.at : a.seq > b.seq;
  }

  std::vector<Handle> heap_;
  std::deque<Event> slab_;  // a deque: an event being handled stays where it is
  std::vector<uint32_t> free_;
  uint64_t next_seq_ = 0;
};

}  // namespace gitdest::sim
