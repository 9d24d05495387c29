#include "adapters/k8s/pool_executor.h"

#include <pthread.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/overloaded.h"

namespace gitdest::k8s {

ThreadPool::ThreadPool(std::string name, int threads) : name_(std::move(name)) {
  for (int i = 0; i < std::max(threads, 1); ++i) {
    threads_.emplace_back([this] { Work(); });
    pthread_setname_np(threads_.back().native_handle(), name_.substr(0, 15).c_str());
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void ThreadPool::Stop() {
  {
    std::lock_guard lock(mu_);
    jobs_.clear();
    stop_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void ThreadPool::Post(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
}

bool ThreadPool::TryPost(std::function<void()> job, size_t max_queued) {
  {
    std::lock_guard lock(mu_);
    if (stop_) return true;  // shutting down: nothing runs, nothing to count as dropped
    if (jobs_.size() >= max_queued) return false;
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

size_t ThreadPool::queued() const {
  std::lock_guard lock(mu_);
  return jobs_.size();
}

void ThreadPool::Work() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

std::optional<core::Input> ExpiredInQueue(const core::Effect& effect, absl::Duration waited) {
  auto late = [&](absl::Duration timeout, const char* flag) {
    return absl::DeadlineExceededError(absl::StrCat(
        "not started: waited ", absl::FormatDuration(absl::Trunc(waited, absl::Milliseconds(1))),
        " for a free thread, past its ", absl::FormatDuration(timeout), " timeout (raise ", flag,
        ")"));
  };
  return std::visit(
      core::Overloaded{
          [&](const core::FetchMetadata& f) -> std::optional<core::Input> {
            if (waited < f.timeout) return std::nullopt;
            return core::MetadataFetched{f.request, late(f.timeout, "--git-read-workers")};
          },
          [&](const core::PushBatch& p) -> std::optional<core::Input> {
            if (waited < p.timeout) return std::nullopt;
            return core::PushCompleted{p.request, late(p.timeout, "--git-push-workers")};
          },
          [&](const core::ResyncDestination& r) -> std::optional<core::Input> {
            if (waited < r.timeout) return std::nullopt;
            const absl::Status s = late(r.timeout, "--git-list-workers");
            return core::ObjectsListed{r.request, r.destination, s, s};
          },
          [](const auto&) -> std::optional<core::Input> { return std::nullopt; }},
      effect);
}

PoolExecutor::PoolExecutor(core::GitRemote& git, core::ClusterApi& cluster, Sizes sizes,
                           std::function<void()> event_dropped)
    : runner_(git, cluster),
      event_dropped_(std::move(event_dropped)),
      events_queued_max_(sizes.events_queued_max),
      reads_("git-read", sizes.git_reads),
      lists_("git-list", sizes.git_lists),
      pushes_("git-push", sizes.git_pushes),
      api_("api-call", sizes.api_calls),
      events_("api-event", sizes.events) {}

void PoolExecutor::Execute(const core::Effect& effect, core::Done done) {
  if (const auto* write = std::get_if<core::WriteStatus>(&effect)) {
    return ExecuteWrite(*write, std::move(done));
  }
  if (std::holds_alternative<core::RecordEvent>(effect)) {
    return PostEvent([this, effect, done = std::move(done)] { runner_.Run(effect, done); });
  }
  ThreadPool& pool = std::visit(
      core::Overloaded{[&](const core::FetchMetadata&) -> ThreadPool& { return reads_; },
                       [&](const core::PushBatch&) -> ThreadPool& { return pushes_; },
                       [&](const core::ResyncDestination&) -> ThreadPool& { return lists_; },
                       [&](const auto&) -> ThreadPool& { return api_; }},
      effect);
  const absl::Time queued_at = absl::Now();
  pool.Post([this, effect, queued_at, done = std::move(done)] {
    if (auto expired = ExpiredInQueue(effect, absl::Now() - queued_at)) {
      done(*std::move(expired));
      return;
    }
    runner_.Run(effect, done);
  });
}

void PoolExecutor::PostEvent(std::function<void()> call) {
  if (!events_.TryPost(std::move(call), events_queued_max_) && event_dropped_) event_dropped_();
}

void PoolExecutor::ExecuteWrite(const core::WriteStatus& write, core::Done done) {
  std::unique_lock lock(writes_mu_);
  auto [it, fresh] = waiting_writes_.try_emplace(write.target);
  if (fresh) {
    it->second = std::make_shared<WaitingWrite>(WaitingWrite{write, std::move(done)});
    lock.unlock();
    api_.Post([this, waiting = it->second] { RunWrite(waiting); });
    return;
  }
  // Takes the place of the one that waits: the core gave up on that one.
  const core::RequestId replaced = it->second->write.request;
  core::Done replaced_done = std::exchange(it->second->done, std::move(done));
  it->second->write = write;
  lock.unlock();
  replaced_done(core::StatusWritten{
      replaced, write.target,
      absl::CancelledError("not sent: a newer write of the same status took its place")});
}

void PoolExecutor::RunWrite(const std::shared_ptr<WaitingWrite>& waiting) {
  WaitingWrite taken;
  {
    std::lock_guard lock(writes_mu_);
    taken = std::move(*waiting);
    auto it = waiting_writes_.find(taken.write.target);
    if (it != waiting_writes_.end() && it->second == waiting) waiting_writes_.erase(it);
  }
  runner_.Run(taken.write, taken.done);
}

void PoolExecutor::Stop() {
  reads_.Stop();
  lists_.Stop();
  pushes_.Stop();
  api_.Stop();
  events_.Stop();
}

}  // namespace gitdest::k8s
