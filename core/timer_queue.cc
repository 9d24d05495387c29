#include "core/timer_queue.h"

#include <algorithm>

#include "core/check.h"

namespace gitdest::core {

void TimerQueue::EnsurePosition(TimerId id) {
  const uint64_t kind = id >> 32;
  GITDEST_ASSERT(kind < kKinds);
  std::vector<uint32_t>& positions = positions_[kind];
  const auto slot = static_cast<uint32_t>(id);
  if (slot >= positions.size()) positions.resize(size_t{slot} + 1, kAbsent);
}

uint32_t TimerQueue::PositionOf(TimerId id) const {
  const uint64_t kind = id >> 32;
  const auto slot = static_cast<uint32_t>(id);
  if (kind >= kKinds || slot >= positions_[kind].size()) return kAbsent;
  return positions_[kind][slot];
}

void TimerQueue::Set(TimerId id, absl::Time at) {
  const uint32_t i = PositionOf(id);
  if (i == kAbsent) {
    EnsurePosition(id);
    heap_.push_back({at, id});
    SiftUp(static_cast<uint32_t>(heap_.size() - 1));
    return;
  }
  if (at == heap_[i].at) return;  // already there: no sift
  const bool earlier = at < heap_[i].at;
  heap_[i].at = at;
  if (earlier) {
    SiftUp(i);
  } else {
    SiftDown(i);
  }
}

void TimerQueue::SetNoLaterThan(TimerId id, absl::Time at) {
  const uint32_t i = PositionOf(id);
  if (i == kAbsent || heap_[i].at > at) Set(id, at);
}

void TimerQueue::Cancel(TimerId id) {
  const uint32_t i = PositionOf(id);
  if (i != kAbsent) RemoveAt(i);
}

std::optional<absl::Time> TimerQueue::When(TimerId id) const {
  const uint32_t i = PositionOf(id);
  if (i == kAbsent) return std::nullopt;
  return heap_[i].at;
}

absl::Time TimerQueue::NextAt() const {
  return heap_.empty() ? absl::InfiniteFuture() : heap_.front().at;
}

std::optional<TimerId> TimerQueue::PopDue(absl::Time now) {
  if (heap_.empty() || heap_.front().at > now) return std::nullopt;
  const TimerId id = heap_.front().id;
  RemoveAt(0);
  return id;
}

// Takes the timer in slot i out: the last entry moves there and the heap order is
// restored around it.
void TimerQueue::RemoveAt(uint32_t i) {
  Position(heap_[i].id) = kAbsent;
  const Entry last = heap_.back();
  heap_.pop_back();
  if (i == heap_.size()) return;
  Place(i, last);
  SiftUp(i);
  SiftDown(Position(last.id));
}

void TimerQueue::Place(uint32_t i, Entry entry) {
  heap_[i] = entry;
  Position(entry.id) = i;
}

void TimerQueue::SiftUp(uint32_t i) {
  const Entry entry = heap_[i];
  while (i > 0) {
    const uint32_t parent = (i - 1) / kArity;
    if (!(entry < heap_[parent])) break;
    Place(i, heap_[parent]);
    i = parent;
  }
  Place(i, entry);
}

void TimerQueue::SiftDown(uint32_t i) {
  const Entry entry = heap_[i];
  const auto n = static_cast<uint32_t>(heap_.size());
  for (;;) {
    const uint32_t first = kArity * i + 1;
    if (first >= n) break;
    uint32_t child = first;  // the earliest of the children
    for (uint32_t c = first + 1; c < std::min(first + kArity, n); ++c) {
      if (heap_[c] < heap_[child]) child = c;
    }
    if (!(heap_[child] < entry)) break;
    Place(i, heap_[child]);
    i = child;
  }
  Place(i, entry);
}

}  // namespace gitdest::core
