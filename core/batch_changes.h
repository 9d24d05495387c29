// BatchChanges: the changes of one push batch, built once and shared, never copied. The
// branch worker holds them while the push is in flight (to queue them again if it fails
// or loses a race) and the PushBatch effect carries the same ones to the executor, so a
// batch of up to maxBytes is not copied on its way out. Immutable once built (shared
// across the executor's threads, which only read it); compares by content.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <utility>
#include <vector>

#include "core/types.h"

namespace gitdest::core {

class BatchChanges {
 public:
  using value_type = FileChange;

  BatchChanges() = default;
  // Implicit, as the vector it wraps: `PushBatch{.changes = {change}}` reads as before.
  BatchChanges(std::vector<FileChange> changes)
      : changes_(std::make_shared<std::vector<FileChange>>(std::move(changes))) {}
  BatchChanges(std::initializer_list<FileChange> changes)
      : BatchChanges(std::vector<FileChange>(changes)) {}

  const std::vector<FileChange>& vector() const { return changes_ ? *changes_ : Empty(); }
  auto begin() const { return vector().begin(); }
  auto end() const { return vector().end(); }
  size_t size() const { return vector().size(); }
  bool empty() const { return vector().empty(); }
  const FileChange& operator[](size_t i) const { return vector()[i]; }

  // The changes as a vector of their own: moved out when nothing else holds them (the
  // effect was consumed), copied otherwise. Leaves this empty.
  std::vector<FileChange> Take() && {
    std::shared_ptr<std::vector<FileChange>> changes = std::exchange(changes_, nullptr);
    if (!changes) return {};
    if (changes.use_count() == 1) return std::move(*changes);
    return *changes;
  }

  friend bool operator==(const BatchChanges& a, const BatchChanges& b) {
    return a.changes_ == b.changes_ || a.vector() == b.vector();
  }

 private:
  static const std::vector<FileChange>& Empty() {
    static const std::vector<FileChange> empty;
    return empty;
  }
  // Not const inside, so that Take can move out of what it alone holds; nothing else
  // ever changes it.
  std::shared_ptr<std::vector<FileChange>> changes_;
};

}  // namespace gitdest::core
