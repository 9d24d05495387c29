#include "core/worker_manager.h"

namespace gitdest::core {

BranchWorker& WorkerManager::GetWorkerForDestination(const ObjectKey& destination,
                                                     const WorkerKey& key, const Remote& remote) {
  auto it = workers_.find(key);
  if (it == workers_.end()) {
    it = workers_.emplace(key, BranchWorker(key, remote, *options_)).first;
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

bool WorkerManager::RetireIfUnused(const WorkerKey& key, absl::Time now) {
  auto it = workers_.find(key);
  if (it == workers_.end() || it->second.InUse()) return false;
  std::erase_if(retired_, [&](const auto& entry) { return entry.second.read_not_before <= now; });
  BranchWorker::Memory memory = it->second.Remember();
  if (memory.read_not_before > now) retired_.insert_or_assign(key, std::move(memory));
  workers_.erase(it);
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
