#include "core/worker_manager.h"

#include <algorithm>

#include "absl/container/inlined_vector.h"
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

// Without hashing a key (the invariant walks call it after most steps): every entry
// points to a worker of workers_ whose key is the entry's. Keys are distinct, so the
// entries point to distinct workers, and as many as there are: all of them.
bool WorkerManager::IndexHolds() const {
  if (by_key_.size() != workers_.size()) return false;
  absl::InlinedVector<const BranchWorker*, 16> live;
  for (const auto& [key, worker] : workers_) live.push_back(&worker);
  std::sort(live.begin(), live.end());
  return std::all_of(by_key_.begin(), by_key_.end(), [&](const auto& entry) {
    // Membership first: only a live worker's key may be read.
    return std::binary_search(live.begin(), live.end(), entry.second) &&
           entry.second->key() == entry.first;
  });
}

}  // namespace gitdest::core
