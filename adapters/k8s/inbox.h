// The one queue every fact reaches the core through: watches, effect results, the
// lease, signals. Many threads push; one thread (the core's) pops.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/inputs.h"

namespace gitdest::k8s {

class Inbox {
 public:
  void Push(core::Input input) {
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      queue_.push_back(std::move(input));
    }
    cv_.notify_one();
  }
  // The next input; nullopt once `deadline` passes first, or when closed and empty.
  std::optional<core::Input> Pop(absl::Time deadline) {
    std::unique_lock lock(mu_);
    const auto until = [&] { return closed_ || !queue_.empty(); };
    if (deadline == absl::InfiniteFuture()) {
      cv_.wait(lock, until);
    } else {
      cv_.wait_until(lock, absl::ToChronoTime(deadline), until);
    }
    if (queue_.empty()) return std::nullopt;
    core::Input input = std::move(queue_.front());
    queue_.pop_front();
    return input;
  }
  void Close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }
  bool closed() const {
    std::lock_guard lock(mu_);
    return closed_;
  }
  // Drops every queued input `stale` picks (the events of an informer just stopped);
  // returns how many.
  template <class Pred>
  size_t EraseIf(Pred stale) {
    std::lock_guard lock(mu_);
    return std::erase_if(queue_, stale);
  }
  size_t depth() const {
    std::lock_guard lock(mu_);
    return queue_.size();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<core::Input> queue_;
  bool closed_ = false;
};

}  // namespace gitdest::k8s
