// The production executor: effects run on bounded thread pools, one per kind of work
// (remote reads, resync listings, pushes, API calls), so that a slow Git server, a
// two-minute push or a wave of resyncs never delays reads of other branches or the API;
// results go to the inbox. A pool's queue is unbounded: the core bounds what it has in
// flight (one read and one push per branch, one write per status, one list per
// destination). An effect that waited longer than its own timeout for a thread is not
// started: it is answered DeadlineExceeded at once, as the core has given up on it.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/executor.h"

namespace gitdest::k8s {

class ThreadPool {
 public:
  ThreadPool(std::string name, int threads);
  ~ThreadPool();  // runs what is queued, then joins
  void Post(std::function<void()> job);
  size_t queued() const;
  void Stop();  // drops queued jobs; returns when running ones have finished

 private:
  void Work();
  std::string name_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

// The answer to an effect that waited `waited` for a thread when its timeout is shorter
// (DeadlineExceeded, naming the pool's flag); nullopt when it may still run.
std::optional<core::Input> ExpiredInQueue(const core::Effect& effect, absl::Duration waited);

class PoolExecutor final : public core::Executor {
 public:
  struct Sizes {
    int git_reads = 8;
    int git_lists = 4;
    int git_pushes = 4;
    int api_calls = 4;
  };
  // `git` and `cluster` must outlive this.
  PoolExecutor(core::GitRemote& git, core::ClusterApi& cluster, Sizes sizes);
  void Execute(const core::Effect& effect, core::Done done) override;
  // Runs an API call of the adapter's own (an Event) on the API pool.
  void PostApiCall(std::function<void()> call) { api_.Post(std::move(call)); }
  // Drops what waits for a thread; returns when what runs has finished (shutdown).
  void Stop();
  size_t queued() const {
    return reads_.queued() + lists_.queued() + pushes_.queued() + api_.queued();
  }

 private:
  core::EffectRunner runner_;
  ThreadPool reads_;
  ThreadPool lists_;
  ThreadPool pushes_;
  ThreadPool api_;
};

}  // namespace gitdest::k8s
