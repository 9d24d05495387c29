// A token bucket, as client-go's: `burst` requests at once, then `qps` per second.
// Thread-safe; Wait blocks the caller.
#pragma once

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include "absl/time/time.h"

namespace gitdest::k8s {

class RateLimiter {
 public:
  RateLimiter(double qps, int burst) : qps_(qps), burst_(std::max(burst, 1)), tokens_(burst_) {}

  // Takes a token, waiting up to `timeout` for one; false if none came in time (and
  // nothing is taken). A qps of 0 or less means no limit.
  bool Wait(absl::Duration timeout) {
    if (qps_ <= 0) return true;
    std::unique_lock lock(mu_);
    Refill();
    const double wait_s = tokens_ >= 1 ? 0 : (1 - tokens_) / qps_;
    if (wait_s > absl::ToDoubleSeconds(timeout)) return false;
    tokens_ -= 1;  // may go negative: later callers queue behind this one
    lock.unlock();
    if (wait_s > 0) std::this_thread::sleep_for(std::chrono::duration<double>(wait_s));
    return true;
  }

 private:
  using Clock = std::chrono::steady_clock;
  void Refill() {
    const Clock::time_point now = Clock::now();
    tokens_ = std::min<double>(burst_,
                               tokens_ + std::chrono::duration<double>(now - last_).count() * qps_);
    last_ = now;
  }

  std::mutex mu_;
  double qps_;
  int burst_;
  double tokens_;
  Clock::time_point last_ = Clock::now();
};

}  // namespace gitdest::k8s
