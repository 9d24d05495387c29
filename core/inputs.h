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
#include "core/watch_rules.h"

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

// A WatchRule (namespaced) or ClusterWatchRule (key.namespace_ == "") as the API holds it.
struct WatchRuleObserved {
  WatchRule rule;
};
struct WatchRuleDeleted {
  ObjectKey key;  // namespace "" for a ClusterWatchRule
};

// API discovery: every resource type the server serves with list and watch. Replaces
// what was discovered before (a CRD installed or removed changes it).
struct ResourceTypesDiscovered {
  std::vector<ResourceTypeInfo> types;
};

// A change of one Kubernetes object of a watched type, as the watch delivered it. The
// core decides which destinations capture it (their rules); the adapter routes nothing.
struct ObjectChanged {
  ResourceId object;
  std::string uid;               // a new one when the object is deleted and created again
  std::string resource_version;  // orders one object's versions: late events are ignored
  ChangeOp op = ChangeOp::kUpdate;
  std::string content;  // sanitized YAML; empty for deletes
  std::string user;     // the Kubernetes user who made the change ("" if unknown)
};

// The watch of one captured type listed it anew: its informer's first list, or the list
// after the watch broke (410 Gone, a failed resume). Every object of the type alive at
// `resource_version` was delivered as an ObjectChanged before this, and a delete for
// every one its store held that the list lacks. An object that only a resync list showed
// (created and deleted while the watch was away: no event ever told of it), at a version
// no newer than this one, is gone: its delete is taken from here.
struct WatchRelisted {
  GroupVersionResource gvr;
  std::string resource_version;  // the list's
};

// The initial list after a (re)start is complete: the controller now sees every
// object that exists, so it may decide (controller-runtime's WaitForCacheSync).
struct CacheSynced {};

// One object as a list returned it.
struct CapturedObject {
  ResourceId resource;
  std::string content;  // sanitized YAML
  std::string author;
  std::string uid;
  std::string resource_version;
};

// The result of a ResyncDestination effect: every object the destination captures,
// and every file path under its folder at the branch's tip (none if the branch is absent).
struct ObjectsListed {
  RequestId request = 0;
  ObjectKey destination;
  absl::StatusOr<std::vector<CapturedObject>> objects;
  absl::StatusOr<std::vector<std::string>> files = std::vector<std::string>{};
};

// The result of a FetchMetadata effect: an error means the read failed (it is never
// taken for an empty remote).
struct MetadataFetched {
  RequestId request = 0;
  absl::StatusOr<PullReport> result;
};

// The result of a PushBatch effect: pushed, or lost the compare-and-swap to another
// writer (PushResult); an error means the push failed (auth, network, timeout).
struct PushCompleted {
  RequestId request = 0;
  absl::StatusOr<PushResult> result;
};

// The result of a WriteStatus effect: the object's new resourceVersion, or the error
// (Aborted: the object changed since the version the write was conditional on).
struct StatusWritten {
  RequestId request = 0;
  StatusTarget target;
  absl::StatusOr<std::string> resource_version;
};

// Time passed: the core handles every timer due at `now`.
struct TimerFired {};

// The process (re)started with empty memory; `epoch` makes request ids of this
// incarnation distinct from those of the last one. Nothing is decided until the
// initial list has been delivered, CacheSynced arrives and the lease is held.
struct ControllerRestarted {
  uint32_t epoch = 0;
};

// This replica holds the leader lease now: it decides and writes. Until then (and
// after LeaseLost) it only observes, so that a standby is ready to take over at once.
struct LeaseAcquired {};

// This replica no longer holds the lease (it expired, or another took it): every write
// stops at once; answers to requests in flight are ignored.
struct LeaseLost {};

using Input =
    std::variant<RepoConfigObserved, RepoConfigDeleted, DestinationObserved, DestinationDeleted,
                 WatchRuleObserved, WatchRuleDeleted, ResourceTypesDiscovered, ObjectChanged,
                 WatchRelisted, MetadataFetched, PushCompleted, StatusWritten, TimerFired,
                 ControllerRestarted, CacheSynced, ObjectsListed, LeaseAcquired, LeaseLost>;

}  // namespace gitdest::core
