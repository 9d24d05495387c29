#include "core/worker_manager.h"

namespace gitdest::core {

BranchWorker& WorkerManager::GetWorkerForDestination(const ObjectKey& destination,
                                                     const WorkerKey& key,
                                                     const Remote& remote) {
  auto it = workers_.find(key);
  if (it == workers_.end()) {
    it = workers_.emplace(key, BranchWorker(key, remote, *options_)).first;
  } else if (!(it->second.remote() == remote)) {
    it->second.UpdateRemote(remote);
  }
  it->second.Attach(destination);
  return it->second;
}

void WorkerManager::Release(const ObjectKey& destination, const WorkerKey& key) {
  if (BranchWorker* worker = Find(key)) {
    worker->Detach(destination);
    RetireIfUnused(key);
  }
}

void WorkerManager::RetireIfUnused(const WorkerKey& key) {
  auto it = workers_.find(key);
  if (it != workers_.end() && !it->second.InUse()) workers_.erase(it);
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
