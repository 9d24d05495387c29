// Small integer names for objects that live elsewhere (in map nodes, whose addresses
// are stable): the core's timers refer to destinations and workers by slot, so that
// the hot paths compare integers, not string keys. A freed slot is reused
// last-freed-first, so slots depend only on the order of inputs: same inputs, same
// slots, same tie order among timers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/check.h"
#include "core/state_fields.h"

namespace gitdest::core {

template <class T>
class Slots {
 public:
  // The slot the next Add returns: an item may need its name before its address is
  // known (it is built in place).
  uint32_t Next() const {
    return free_.empty() ? static_cast<uint32_t>(items_.size()) : free_.back();
  }
  uint32_t Add(T* item) {
    GITDEST_ASSERT(item != nullptr);
    if (free_.empty()) {
      items_.push_back(item);
      return static_cast<uint32_t>(items_.size() - 1);
    }
    const uint32_t slot = free_.back();
    free_.pop_back();
    items_[slot] = item;
    return slot;
  }
  void Remove(uint32_t slot) {
    GITDEST_ASSERT(Get(slot) != nullptr);
    items_[slot] = nullptr;
    free_.push_back(slot);
  }
  // The item in `slot`, or nullptr if the slot is free.
  T* Get(uint32_t slot) const { return slot < items_.size() ? items_[slot] : nullptr; }
  // How many slots hold an item (Remove frees a slot once: free_ lists the empty ones).
  size_t size() const { return items_.size() - free_.size(); }

 private:
  template <class U>
  friend struct StateFields;  // core/state_hash.cc hashes every field
  std::vector<T*> items_;
  std::vector<uint32_t> free_;
};

}  // namespace gitdest::core
