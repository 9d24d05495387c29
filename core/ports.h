// Ports: the core's only view of the outside world. Small abstract interfaces that
// return absl::Status and never throw (LevelDB's Env, RocksDB's SystemClock). The
// simulator and the production adapters implement them.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/effects.h"
#include "core/inputs.h"
#include "core/types.h"

namespace gitdest::core {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() = 0;
};

struct PushOutcome {
  std::string tip;
  bool history_rewritten = false;
};

// Errors follow one mapping everywhere: auth → Unauthenticated/PermissionDenied,
// network or server trouble → Unavailable (or DeadlineExceeded), lost
// compare-and-swap → FailedPrecondition.
class GitRemote {
 public:
  virtual ~GitRemote() = default;
  // Lists the branch's ref on the remote (no pack download): the cheapest read.
  virtual absl::StatusOr<PullReport> ReadBranchMetadata(const FetchMetadata& request) = 0;
  // Commits the batch on `expected_tip` and pushes with compare-and-swap. Sets
  // `outcome.tip` to the new remote tip on success, and on FailedPrecondition to the tip
  // found, with `history_rewritten` when that tip does not descend from `expected_tip`.
  virtual absl::Status PushBatch(const PushBatch& batch, PushOutcome& outcome) = 0;
  // Every file path under `request.base_folder` on the branch's tip, sorted; none when
  // the branch does not exist.
  virtual absl::StatusOr<std::vector<std::string>> ListFiles(const ResyncDestination& request) = 0;
};

class ClusterApi {
 public:
  virtual ~ClusterApi() = default;
  // Replaces the status subresource. 409 → Aborted, 404 → NotFound.
  virtual absl::Status WriteDestinationStatus(const ObjectKey& destination,
                                              const DestinationStatus& status) = 0;
  virtual absl::Status RecordEvent(const RecordEvent& event) = 0;
  // Every object the destination's watch rules capture, sanitized, as the cluster
  // holds it now.
  virtual absl::StatusOr<std::vector<CapturedObject>> ListCapturedObjects(
      const ObjectKey& destination) = 0;
};

}  // namespace gitdest::core
