#include "core/worker_manager.h"

#include "core/check.h"

namespace gitdest::core {

BranchWorker& WorkerManager::GetWorkerForDestination(const ObjectKey& destination,
                                                     const WorkerKey& key, const Remote& remote) {
  auto it = workers_.find(key);
  if (it == workers_.end()) {
    it = workers_.try_emplace(key, key, slots_.Next(), remote, *options_).first;
    const uint32_t slot = slots_.Add(&it->second);
    GITDEST_ASSERT(slot == it->second.slot());
    if (auto memory = retired_.find(key); memory != retired_.end()) {
      it->second.Restore(memory->second);
      retired_.erase(memory);
    }
  } else if (!(it->second.remote() == remote)) {
    it->second.UpdateRemote(remote);
  }
  it->second.Attach(destination);
  return it->second;
}

bool WorkerManager::RetireIfUnused(BranchWorker& worker, absl::Time now) {
  if (worker.InUse()) return false;
  std::erase_if(retired_, [&](const auto& entry) { return entry.second.read_not_before <= now; });
  BranchWorker::Memory memory = worker.Remember();
  if (memory.read_not_before > now) retired_.insert_or_assign(worker.key(), std::move(memory));
  slots_.Remove(worker.slot());
  workers_.erase(workers_.find(worker.key()));
  return true;
}

BranchWorker* WorkerManager::Find(const WorkerKey& key) {
  auto it = workers_.find(key);
  return it == workers_.end() ? nullptr : &it->second;
}

const BranchWorker* WorkerManager::Find(const WorkerKey& key) const {
  auto it = workers_.find(key);
  return it == workers_.end() ? nullptr : &it->second;
}

std::vector<BranchWorker*> WorkerManager::WorkersOf(const ObjectKey& repo_config) {
  std::vector<BranchWorker*> result;
  for (auto it = workers_.lower_bound(WorkerKey{repo_config, ""});
       it != workers_.end() && it->first.repo_config == repo_config; ++it) {
    result.push_back(&it->second);
  }
  return result;
}

}  // namespace gitdest::core
