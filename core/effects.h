// Effects: imperatives returned by Controller::Handle. An effect with a result
// carries a request id; the result comes back only as an Input.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "absl/time/time.h"
#include "core/batch_changes.h"
#include "core/types.h"
#include "core/watch_rules.h"

namespace gitdest::core {

// Read the remote branch's metadata: a ref listing, no pack download. Answered by
// MetadataFetched.
struct FetchMetadata {
  RequestId request = 0;
  RemoteRef remote;
  // The tip the worker last knew ("" if none): the answer says whether the branch's
  // history still contains it (PullReport::history_rewritten).
  std::string known_tip;
  absl::Duration timeout;  // answer (or fail) within this; the core gives up after it
};

// Commit `changes` (one commit each, skipping ones that change no bytes) on top of
// `expected_tip` ("" = the branch does not exist yet) and push with compare-and-swap
// against that tip. Answered by PushCompleted.
struct PushBatch {
  RequestId request = 0;
  RemoteRef remote;
  std::string expected_tip;
  BatchChanges changes;  // shared with the worker that queues them again if the push fails
  absl::Duration timeout;
};

// Replace the status subresource of an object the controller owns (a GitDestination,
// GitRepoConfig, WatchRule or ClusterWatchRule), conditional on the object still being at
// `resource_version` (so two replicas can never last-writer-win a status). `status` is of
// the type of `target.kind` (StatusFitsKind). Answered by StatusWritten.
struct WriteStatus {
  RequestId request = 0;
  StatusTarget target;
  std::string resource_version;
  ResourceStatus status;
};

// The outcome of one reconcile, as controller-runtime's Result: the core itself
// schedules the next reconcile (Output::wake_at); this records the decision for
// logs, traces and tests.
struct RequeueAfter {
  ObjectKey destination;
  absl::Duration delay;
};

// List every object the destination captures, and every file in its folder on the
// branch, and report both (ObjectsListed): the level-based resync of a destination that
// was just admitted, after a restart or a conflict resolved, or whose folder moved.
// Identical content commits nothing; a file naming an object the cluster no longer has
// is deleted.
struct ResyncDestination {
  RequestId request = 0;
  ObjectKey destination;
  RemoteRef remote;  // its files are on remote.branch, under base_folder
  std::string base_folder;
  absl::Duration timeout;
  // What to list: the types its rules capture, each in one namespace or in all. The
  // core filters the answer through the rules again; the adapter decides nothing.
  std::vector<ListSelector> selectors;
};

// The resource types the adapter must watch (sorted): every discovered type some rule
// captures, and nothing else. Emitted whenever that set changes, also by a standby
// (watching is not writing: a standby's cache must be warm when it takes over).
struct EnsureWatches {
  std::vector<GroupVersionResource> types;
};

// A Kubernetes Event on an object, for changes the core refuses (e.g. a hostile
// object name) so that nothing is dropped silently.
struct RecordEvent {
  ObjectKey object;
  std::string reason;
  std::string message;
};

using Effect = std::variant<FetchMetadata, PushBatch, WriteStatus, RequeueAfter, RecordEvent,
                            ResyncDestination, EnsureWatches>;

struct Output {
  std::vector<Effect> effects;
  absl::Time wake_at = absl::InfiniteFuture();  // when to deliver the next TimerFired
};

}  // namespace gitdest::core
