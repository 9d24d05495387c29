// WorkerManager: one BranchWorker per (GitRepoConfig, branch), created on first use
// and retired once no destination uses it and its writes are pushed.
#pragma once

#include <map>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/branch_worker.h"
#include "core/options.h"
#include "core/slots.h"
#include "core/state_fields.h"
#include "core/types.h"

namespace gitdest::core {

class WorkerManager {
 public:
  explicit WorkerManager(const ControllerOptions& options) : options_(&options) {}

  // The worker of `key`, created if needed, with `destination` attached and its
  // remote brought up to date.
  BranchWorker& GetWorkerForDestination(const ObjectKey& destination, const WorkerKey& key,
                                        const Remote& remote);
  // Retires the worker if no destination uses it and it has nothing to push. Its
  // metadata memory is kept until its read window closes. True if retired: `worker`
  // is gone.
  bool RetireIfUnused(BranchWorker& worker, absl::Time now);

  BranchWorker* Find(const WorkerKey& key);
  const BranchWorker* Find(const WorkerKey& key) const;
  // The live worker in `slot`, or nullptr.
  BranchWorker* AtSlot(uint32_t slot) const { return slots_.Get(slot); }
  // Every worker of one GitRepoConfig, in key order.
  std::vector<BranchWorker*> WorkersOf(const ObjectKey& repo_config);
  // Calls f(worker) for every worker of one GitRepoConfig, in key order, without
  // collecting them first (a GitRepoConfig's status reads every one after each read
  // and push). f must not create or retire workers.
  template <class F>
  void ForEachWorkerOf(const ObjectKey& repo_config, F&& f) const {
    // Keys order by (repo_config, branch), and name + '\0' is the least name after
    // `name`: the range ends at that key, found once instead of comparing every key.
    const ObjectKey next{repo_config.namespace_, repo_config.name + '\0'};
    const auto end = workers_.lower_bound(WorkerKey{next, ""});
    for (auto it = workers_.lower_bound(WorkerKey{repo_config, ""}); it != end; ++it) {
      f(it->second);
    }
  }
  size_t size() const { return workers_.size(); }
  // Whether Find's index holds exactly the workers of workers() (CheckInvariants).
  bool IndexHolds() const;
  const std::map<WorkerKey, BranchWorker>& workers() const { return workers_; }

 private:
  template <class T>
  friend struct StateFields;  // core/state_hash.cc hashes every field
  const ControllerOptions* options_;
  std::map<WorkerKey, BranchWorker> workers_;  // nodes are stable: slots_ points into them
  // The same workers by key, for Find: one hash and one comparison instead of a walk down
  // the tree comparing keys (a result of a read or push finds its worker by key). Derived
  // from workers_ (not hashed); never iterated.
  absl::flat_hash_map<WorkerKey, BranchWorker*> by_key_;
  Slots<BranchWorker> slots_;
  std::map<WorkerKey, BranchWorker::Memory> retired_;  // pruned once read_not_before passed
};

}  // namespace gitdest::core
