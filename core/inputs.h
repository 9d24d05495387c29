// Inputs: past-tense facts delivered to Controller::Handle together with the time
// they happened. Everything non-deterministic reaches the core only through these.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/naming/resource_path.h"
#include "core/types.h"

namespace gitdest::core {

struct RepoConfigObserved {
  RepoConfig config;
};
struct RepoConfigDeleted {
  ObjectKey key;
};
struct DestinationObserved {
  Destination destination;
};
struct DestinationDeleted {
  ObjectKey key;
};

// A captured change of one Kubernetes object, routed to one destination.
struct ResourceChanged {
  ObjectKey destination;
  ResourceId resource;
  ChangeOp op = ChangeOp::kUpdate;
  std::string content;  // sanitized YAML; empty for deletes
  std::string author;
};

// The initial list after a (re)start is complete: the controller now sees every
// object that exists, so it may decide (controller-runtime's WaitForCacheSync).
struct CacheSynced {};

// One object a destination captures, as the cluster holds it now.
struct CapturedObject {
  ResourceId resource;
  std::string content;  // sanitized YAML
  std::string author;
};

// The result of a ResyncDestination effect: every object the destination captures,
// and every file path under its folder at the branch's tip (none if the branch is absent).
struct ObjectsListed {
  ObjectKey destination;
  absl::StatusOr<std::vector<CapturedObject>> objects;
  RequestId request = 0;
  absl::StatusOr<std::vector<std::string>> files = std::vector<std::string>{};
};

// The result of a FetchMetadata effect.
struct MetadataFetched {
  RequestId request = 0;
  absl::StatusOr<PullReport> result;
};

// The result of a PushBatch effect. On success `tip` is the new remote tip; on a
// compare-and-swap conflict (status FailedPrecondition) it is the tip found instead.
struct PushCompleted {
  RequestId request = 0;
  absl::Status status;
  std::string tip;
  // On a conflict: the tip found does not descend from the expected one (the branch was
  // force-pushed), so commits this worker pushed may be gone.
  bool history_rewritten = false;
};

struct StatusWritten {
  ObjectKey destination;
  absl::Status status;
  RequestId request = 0;
};

// Time passed: the core handles every timer due at `now`.
struct TimerFired {};

// The process (re)started with empty memory; `epoch` makes request ids of this
// incarnation distinct from those of the last one. Nothing is decided until the
// initial list has been delivered and CacheSynced arrives.
struct ControllerRestarted {
  uint32_t epoch = 0;
};

using Input =
    std::variant<RepoConfigObserved, RepoConfigDeleted, DestinationObserved, DestinationDeleted,
                 ResourceChanged, MetadataFetched, PushCompleted, StatusWritten, TimerFired,
                 ControllerRestarted, CacheSynced, ObjectsListed>;

}  // namespace gitdest::core
