// WorkerManager: one BranchWorker per (GitRepoConfig, branch), created on first use
// and retired once no destination uses it and its writes are pushed.
#pragma once

#include <map>
#include <vector>

#include "core/branch_worker.h"
#include "core/options.h"
#include "core/types.h"

namespace gitdest::core {

class WorkerManager {
 public:
  explicit WorkerManager(const ControllerOptions& options) : options_(&options) {}

  // The worker of `key`, created if needed, with `destination` attached and its
  // remote brought up to date.
  BranchWorker& GetWorkerForDestination(const ObjectKey& destination, const WorkerKey& key,
                                        const Remote& remote);
  // Detaches `destination`; retires the worker if nothing keeps it.
  void Release(const ObjectKey& destination, const WorkerKey& key);
  // Retires the worker if no destination uses it and it has nothing to push.
  void RetireIfUnused(const WorkerKey& key);

  BranchWorker* Find(const WorkerKey& key);
  const BranchWorker* Find(const WorkerKey& key) const;
  // Every worker of one GitRepoConfig, in key order.
  std::vector<BranchWorker*> WorkersOf(const ObjectKey& repo_config);
  const std::map<WorkerKey, BranchWorker>& workers() const { return workers_; }

 private:
  const ControllerOptions* options_;
  std::map<WorkerKey, BranchWorker> workers_;
};

}  // namespace gitdest::core
