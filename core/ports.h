// Ports: the core's only view of the outside world. Small abstract interfaces with plain
// arguments that return absl::Status / StatusOr and never throw (LevelDB's Env, RocksDB's
// SystemClock). The simulator and the production adapters implement them; the Executor
// turns their answers into Inputs.
//
// Errors follow one mapping everywhere: auth → Unauthenticated / PermissionDenied,
// network or server trouble → Unavailable, past the timeout → DeadlineExceeded, a missing
// repository or object → NotFound, a conditional write that lost → Aborted. An outcome
// that is not a failure (a push that lost its compare-and-swap) is data, not an error.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/inputs.h"
#include "core/types.h"

namespace gitdest::core {

class Clock {
 public:
  virtual ~Clock() = default;
  // The current time. Thread-safe; never blocks.
  virtual absl::Time Now() = 0;
};

class GitRemote {
 public:
  virtual ~GitRemote() = default;
  // The branch's metadata from a ref listing (no pack download), and whether its history
  // still contains `known_tip` ("" = none known: kNo). Blocks up to `timeout`.
  // Thread-safe: calls for different branches (also of one repository) may run at once.
  virtual absl::StatusOr<PullReport> ReadBranch(const RemoteRef& remote,
                                                const std::string& known_tip,
                                                absl::Duration timeout) = 0;
  // Commits each change that changes bytes on `expected_tip` ("" = the branch is absent)
  // and pushes with compare-and-swap against it, never forcing. Blocks up to `timeout`.
  // Thread-safe as ReadBranch; one push per branch at a time (the core never overlaps).
  virtual absl::StatusOr<PushResult> Push(const RemoteRef& remote, const std::string& expected_tip,
                                          const std::vector<FileChange>& changes,
                                          absl::Duration timeout) = 0;
  // Every file path under `folder` at the branch's tip, sorted; none when the branch does
  // not exist. Blocks up to `timeout`; thread-safe as ReadBranch.
  virtual absl::StatusOr<std::vector<std::string>> ListFiles(const RemoteRef& remote,
                                                             const std::string& folder,
                                                             absl::Duration timeout) = 0;
};

class ClusterApi {
 public:
  virtual ~ClusterApi() = default;
  // Replaces the status subresource of `target` (of its kind's type) if the object is
  // still at `resource_version`; returns its new resourceVersion. Aborted (409) when it
  // changed, NotFound (404) when it is gone. Blocking; thread-safe.
  virtual absl::StatusOr<std::string> WriteStatus(const StatusTarget& target,
                                                  const std::string& resource_version,
                                                  const ResourceStatus& status) = 0;
  // Records a Kubernetes Event on the object; best effort. Blocking; thread-safe.
  virtual absl::Status RecordEvent(const ObjectKey& object, const std::string& reason,
                                   const std::string& message) = 0;
  // Every object the selectors name, sanitized, as the cluster holds it now, each with
  // its uid and resourceVersion. Blocking; thread-safe.
  virtual absl::StatusOr<std::vector<CapturedObject>> ListObjects(
      const std::vector<ListSelector>& selectors) = 0;
};

}  // namespace gitdest::core
