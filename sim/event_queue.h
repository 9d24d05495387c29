// EventQueue: the simulated world's events in simulated time, earliest first and, at one
// time, in the order they were scheduled — so a seed replays byte for byte.
//
// A binary heap of small handles (time, insertion number, slot) over a slab of events:
// scheduling or taking an event moves a 32-byte handle along the heap, never the event
// (an input with its strings and vectors), and a slot freed is reused, so a run that
// keeps a few hundred events pending allocates nothing for the queue once warmed up.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace gitdest::sim {

template <class Event>
class EventQueue {
 public:
  void Push(absl::Time at, Event event) {
    uint32_t slot;
    if (free_.empty()) {
      slot = static_cast<uint32_t>(slab_.size());
      slab_.push_back(std::move(event));
    } else {
      slot = free_.back();
      free_.pop_back();
      slab_[slot] = std::move(event);
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
    std::pop_heap(heap_.begin(), heap_.end(), Later);
    const uint32_t slot = heap_.back().slot;
    heap_.pop_back();
    free_.push_back(slot);
    return std::move(slab_[slot]);
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
  std::vector<Event> slab_;
  std::vector<uint32_t> free_;
  uint64_t next_seq_ = 0;
};

}  // namespace gitdest::sim
