// The core's timers: one per destination (its next reconcile), one per branch worker
// (its next push or retry), and one for the retries of the other statuses it owns. Ordered by
// (time, id), so equal times fire in a deterministic order. An indexed 4-ary heap: every operation
// is O(log n) without allocating once the heap has grown.
//
// A TimerId is a kind (0, 1 or 2, above bit 32) and a small dense index (the low 32 bits, a
// Slots slot): the heap positions are kept in one array per kind, indexed by slot.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "core/state_fields.h"

namespace gitdest::core {

using TimerId = uint64_t;  // (kind << 32) | slot, kind 0, 1 or 2

class TimerQueue {
 public:
  // Sets (replaces) the timer `id` to fire at `at`.
  void Set(TimerId id, absl::Time at);
  // Sets the timer unless it is already due no later than `at`.
  void SetNoLaterThan(TimerId id, absl::Time at);
  void Cancel(TimerId id);
  std::optional<absl::Time> When(TimerId id) const;

  // When the earliest timer fires; InfiniteFuture when there is none.
  absl::Time NextAt() const;
  // Removes and returns the earliest timer due at or before `now`.
  std::optional<TimerId> PopDue(absl::Time now);
  size_t size() const { return heap_.size(); }

 private:
  template <class T>
  friend struct StateFields;  // core/state_hash.cc hashes every field
  struct Entry {
    absl::Time at;
    TimerId id;
    bool operator<(const Entry& o) const { return at != o.at ? at < o.at : id < o.id; }
  };
  static constexpr uint32_t kAbsent = UINT32_MAX;
  static constexpr uint64_t kKinds = 3;
  // A 4-ary heap: half the depth of a binary one, so half the moves per sift for
  // about the same comparisons.
  static constexpr uint32_t kArity = 4;
  // Where the timer sits in heap_; kAbsent when it is not set.
  uint32_t PositionOf(TimerId id) const;
  // Its position slot, which exists once the timer was ever set (EnsurePosition).
  uint32_t& Position(TimerId id) { return positions_[id >> 32][static_cast<uint32_t>(id)]; }
  void EnsurePosition(TimerId id);
  void Place(uint32_t i, Entry entry);  // heap_[i] = entry, and its position
  void SiftUp(uint32_t i);
  void SiftDown(uint32_t i);
  void RemoveAt(uint32_t i);

  std::vector<Entry> heap_;
  std::vector<uint32_t> positions_[kKinds];  // per kind, by slot: where the timer sits in heap_
};

}  // namespace gitdest::core
