#include "core/worker_manager.h"

#include <algorithm>

#include "core/check.h"

namespace gitdest::core {

BranchWorker& WorkerManager::GetWorkerForDestination(const ObjectKey& destination,
                                                     const WorkerKey& key, const Remote& remote) {
  BranchWorker* worker = Find(key);
  if (worker == nullptr) {
    worker = &workers_.try_emplace(key, key, slots_.Next(), remote, *options_).first->second;
    const uint32_t slot = slots_.Add(worker);
    GITDEST_ASSERT(slot == worker->slot());
    by_key_.emplace(key, worker);
    if (auto memory = retired_.find(key); memory != retired_.end()) {
      worker->Restore(memory->second);
      retired_.erase(memory);
    }
  } else if (!(worker->remote() == remote)) {
    worker->UpdateRemote(remote);
  }
  worker->Attach(destination);
  return *worker;
}

bool WorkerManager::RetireIfUnused(BranchWorker& worker, absl::Time now) {
  if (worker.InUse()) return false;
  std::erase_if(retired_, [&](const auto& entry) { return entry.second.read_not_before <= now; });
  BranchWorker::Memory memory = worker.Remember();
  if (memory.read_not_before > now) retired_.insert_or_assign(worker.key(), std::move(memory));
  slots_.Remove(worker.slot());
  by_key_.erase(worker.key());
  workers_.erase(workers_.find(worker.key()));
  return true;
}

BranchWorker* WorkerManager::Find(const WorkerKey& key) {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : it->second;
}

const BranchWorker* WorkerManager::Find(const WorkerKey& key) const {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : it->second;
}

std::vector<BranchWorker*> WorkerManager::WorkersOf(const ObjectKey& repo_config) {
  std::vector<BranchWorker*> result;
  for (auto it = workers_.lower_bound(WorkerKey{repo_config, ""});
       it != workers_.end() && it->first.repo_config == repo_config; ++it) {
    result.push_back(&it->second);
  }
  return result;
}

bool WorkerManager::IndexHolds() const {
  if (by_key_.size() != workers_.size()) return false;
  return std::all_of(workers_.begin(), workers_.end(),
                     [&](const auto& entry) { return Find(entry.first) == &entry.second; });
}

}  // namespace gitdest::core
