// The controller's metrics, read off the core's steps on the core's thread: what each
// reconcile decided and how long it took, whether its branch's metadata came from the
// worker's cache or a remote read, reads, pushes and status writes by result, and the
// gauges (leader, workers, destinations and how many are Ready, reads, status writes and
// resync lists in flight and waiting for a slot, queue depth).
#pragma once

#include <functional>
#include <map>

#include "absl/container/flat_hash_set.h"

#include "absl/time/time.h"
#include "adapters/k8s/metrics.h"
#include "core/controller.h"

namespace gitdest::k8s {

class StepMetrics {
 public:
  // Declares its families in `metrics`; `queued` says how much waits (inbox + pools).
  StepMetrics(Metrics& metrics, std::function<double()> queued);
  void Step(const core::Controller& controller, const core::Input& input, absl::Time now,
            const core::Output& output);

 private:
  void Input(const core::Input& input, absl::Time now);
  void Reconciled(const core::Controller& controller, const core::RequeueAfter& done,
                  const core::Input& input, absl::Time now, absl::Duration step_time);

  Metrics* metrics_;
  std::function<double()> queued_;
  std::map<core::RequestId, absl::Time> started_;  // reads and pushes in flight
  std::map<core::RequestId, size_t> batch_sizes_;  // pushes in flight: their changes
  // The destinations whose last reconcile left them Ready=True (lookups only).
  absl::flat_hash_set<core::ObjectKey> ready_;
};

}  // namespace gitdest::k8s
