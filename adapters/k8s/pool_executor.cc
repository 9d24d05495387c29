#include "adapters/k8s/pool_executor.h"

#include <pthread.h>

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

PoolExecutor::PoolExecutor(core::GitRemote& git, core::ClusterApi& cluster, Sizes sizes)
    : runner_(git, cluster),
      reads_("git-read", sizes.git_reads),
      pushes_("git-push", sizes.git_pushes),
      api_("api-call", sizes.api_calls) {}

void PoolExecutor::Execute(const core::Effect& effect, core::Done done) {
  ThreadPool& pool = std::visit(
      core::Overloaded{[&](const core::FetchMetadata&) -> ThreadPool& { return reads_; },
                       [&](const core::PushBatch&) -> ThreadPool& { return pushes_; },
                       [&](const core::ResyncDestination&) -> ThreadPool& { return reads_; },
                       [&](const auto&) -> ThreadPool& { return api_; }},
      effect);
  pool.Post([this, effect, done = std::move(done)] { runner_.Run(effect, done); });
}

void PoolExecutor::Stop() {
  reads_.Stop();
  pushes_.Stop();
  api_.Stop();
}

}  // namespace gitdest::k8s
