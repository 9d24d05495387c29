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

PoolExecutor::PoolExecutor(core::GitRemote& git, core::ClusterApi& cluster, Sizes sizes)
    : runner_(git, cluster),
      reads_("git-read", sizes.git_reads),
      lists_("git-list", sizes.git_lists),
      pushes_("git-push", sizes.git_pushes),
      api_("api-call", sizes.api_calls) {}

void PoolExecutor::Execute(const core::Effect& effect, core::Done done) {
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

void PoolExecutor::Stop() {
  reads_.Stop();
  lists_.Stop();
  pushes_.Stop();
  api_.Stop();
}

}  // namespace gitdest::k8s
