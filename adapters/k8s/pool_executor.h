// The production executor: effects run on bounded thread pools, one per kind of work
// (remote reads, resync listings, pushes, status writes, Events), so that a slow Git
// server, a two-minute push, a wave of resyncs or a storm of Events never delays reads
// of other branches or status writes; results go to the inbox. The core bounds what it
// has in flight (one read and one push per branch, one write per status, one list per
// destination; reads, status writes and lists to as many as their pools have threads, as
// the binary sets its options), so those queues need no bound of their own. An effect that
// waited longer than its own timeout for a thread is not started: it is answered
// DeadlineExceeded at once, as the core has given up on it. A status write that waits
// for a thread is replaced in its place by a newer write of the same object (the core
// sends the newer one only when it gave up on the older): the older is answered
// Cancelled, never sent, so it cannot move the object's resourceVersion under the newer
// one (a 409 Conflict). Events are best effort, as client-go's recorder: at most
// `events_queued_max` wait; more are dropped and counted.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
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
  // Post unless `max_queued` jobs already wait; false (and nothing posted) if they do.
  bool TryPost(std::function<void()> job, size_t max_queued);
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
    int git_reads = 16;
    int git_lists = 4;
    int git_pushes = 4;
    int api_calls = 4;
    int events = 1;
    size_t events_queued_max = 1000;  // client-go's recorder keeps as many
  };
  // `git` and `cluster` must outlive this; `event_dropped` (may be empty) is called, on
  // the caller's thread, for each Event dropped because too many wait.
  PoolExecutor(core::GitRemote& git, core::ClusterApi& cluster, Sizes sizes,
               std::function<void()> event_dropped = {});
  void Execute(const core::Effect& effect, core::Done done) override;
  // Runs an Event of the adapter's own on the Events' pool, unless too many wait.
  void PostEvent(std::function<void()> call);
  // Drops what waits for a thread; returns when what runs has finished (shutdown).
  void Stop();
  size_t queued() const {
    return reads_.queued() + lists_.queued() + pushes_.queued() + api_.queued() + events_.queued();
  }

 private:
  // A status write waiting for a thread (taken by the job that runs it).
  struct WaitingWrite {
    core::WriteStatus write;
    core::Done done;
  };
  void ExecuteWrite(const core::WriteStatus& write, core::Done done);
  void RunWrite(const std::shared_ptr<WaitingWrite>& waiting);

  core::EffectRunner runner_;
  std::function<void()> event_dropped_;
  size_t events_queued_max_;
  std::mutex writes_mu_;
  std::map<core::StatusTarget, std::shared_ptr<WaitingWrite>> waiting_writes_;
  ThreadPool reads_;
  ThreadPool lists_;
  ThreadPool pushes_;
  ThreadPool api_;
  ThreadPool events_;
};

}  // namespace gitdest::k8s
