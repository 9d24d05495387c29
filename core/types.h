// Value types of the gitdest core: the resources it reads, the status it writes and
// the branch metadata it caches. Plain data, ordered and comparable, no behaviour.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/time/time.h"
#include "core/state_fields.h"

namespace gitdest::core {

// namespace/name of a Kubernetes object. Ordered, so containers keyed by it iterate
// deterministically.
struct ObjectKey {
  std::string namespace_;
  std::string name;

  std::string ToString() const { return namespace_ + "/" + name; }
  // For hash-map lookups only: never iterate a hash map where order reaches an effect.
  template <class H>
  friend H AbslHashValue(H h, const ObjectKey& key) {
    return H::combine(std::move(h), key.namespace_, key.name);
  }
  friend bool operator==(const ObjectKey&, const ObjectKey&) = default;
  friend auto operator<=>(const ObjectKey&, const ObjectKey&) = default;
};

// ---- GitRepoConfig ---------------------------------------------------------------

struct PushSettings {
  absl::Duration interval = absl::Seconds(10);  // commit window
  int64_t max_commits = 20;
  int64_t max_bytes = 1 << 20;
  friend bool operator==(const PushSettings&, const PushSettings&) = default;
};

struct RepoConfigSpec {
  // spec.repoUrl with its credentials redacted (RedactUrl) where it entered: by the
  // adapter that translated the object, before any input, trace or log could carry it.
  std::string repo_url;
  // The configured URL carried a password (`user:token@`): refused, credentials come
  // only from the Secret. Set where the URL was redacted.
  bool repo_url_had_credentials = false;
  std::vector<std::string> allowed_branches;  // globs, at least one
  std::string secret_name;                    // spec.secretRef.name; "" = anonymous
  PushSettings push;
  friend bool operator==(const RepoConfigSpec&, const RepoConfigSpec&) = default;
};

struct RepoConfig {
  ObjectKey key;
  // metadata.uid: a config deleted and created again by name has a new one (and no status).
  std::string uid;
  int64_t generation = 1;
  std::string resource_version;  // metadata.resourceVersion: opaque, orders one object's versions
  RepoConfigSpec spec;
  friend bool operator==(const RepoConfig&, const RepoConfig&) = default;
};

// ---- GitDestination ----------------------------------------------------------------

struct DestinationSpec {
  ObjectKey repo_ref;  // namespace defaults to the destination's own
  std::string branch;
  std::string base_folder;
  friend bool operator==(const DestinationSpec&, const DestinationSpec&) = default;
};

struct Destination {
  ObjectKey key;
  std::string uid;  // metadata.uid: a destination deleted and recreated by name has a new one
  int64_t generation = 1;
  std::string resource_version;  // metadata.resourceVersion: status writes are conditional on it
  absl::Time creation_time;      // one-second precision in Kubernetes: ties are common
  DestinationSpec spec;
  friend bool operator==(const Destination&, const Destination&) = default;
};

enum class ConditionStatus { kTrue, kFalse, kUnknown };

// kstatus-style condition. last_transition_time changes only when status changes.
struct Condition {
  std::string type;  // "Ready", "Reconciling", "Stalled"
  ConditionStatus status = ConditionStatus::kUnknown;
  std::string reason;
  std::string message;
  int64_t observed_generation = 0;
  absl::Time last_transition_time;
  friend bool operator==(const Condition&, const Condition&) = default;
};

inline constexpr char kConditionReady[] = "Ready";
inline constexpr char kConditionReconciling[] = "Reconciling";
inline constexpr char kConditionStalled[] = "Stalled";

struct DestinationStatus {
  std::vector<Condition> conditions;  // sorted by type
  int64_t observed_generation = 0;
  bool branch_exists = false;
  std::string last_commit_sha;
  absl::Time last_sync_time = absl::InfinitePast();  // InfinitePast = never read

  // Every field, the cheap ones first, since a periodic reconcile mostly changes only
  // last_sync_time and the controller compares statuses on every reconcile. The
  // bindings name every field: one added and not compared fails the build.
  friend bool operator==(const DestinationStatus& a, const DestinationStatus& b) {
    const auto& [conditions, observed_generation, branch_exists, last_commit_sha, last_sync_time] =
        a;
    const auto& [b_conditions, b_observed_generation, b_branch_exists, b_last_commit_sha,
                 b_last_sync_time] = b;
    return last_sync_time == b_last_sync_time && observed_generation == b_observed_generation &&
           branch_exists == b_branch_exists && last_commit_sha == b_last_commit_sha &&
           conditions == b_conditions;
  }
};

// ---- Status of the other resources the controller owns -------------------------------

// A GitRepoConfig's status: what the reads of the branches its GitDestinations use found.
// No time moves it: a read time here would make every read (one per branch per TTL) a
// status write; the Ready condition's lastTransitionTime says since when it holds, and
// each GitDestination's lastSyncTime when its branch was read.
struct RepoConfigStatus {
  std::vector<Condition> conditions;  // sorted by type
  int64_t observed_generation = 0;
  // Of the branches its admitted GitDestinations use (one BranchWorker each), how many a
  // read has answered, and how many of those exist on the remote.
  int64_t branches_read = 0;
  int64_t branches_existing = 0;
  friend bool operator==(const RepoConfigStatus&, const RepoConfigStatus&) = default;
};

// A WatchRule's or ClusterWatchRule's status.
struct WatchRuleStatus {
  std::vector<Condition> conditions;  // sorted by type
  int64_t observed_generation = 0;
  friend bool operator==(const WatchRuleStatus&, const WatchRuleStatus&) = default;
};

// The kinds whose status subresource the controller writes.
enum class ResourceKind : uint8_t {
  kGitDestination,
  kGitRepoConfig,
  kWatchRule,
  kClusterWatchRule
};

// The object a status write is for.
struct StatusTarget {
  ResourceKind kind = ResourceKind::kGitDestination;
  ObjectKey key;  // namespace "" for a ClusterWatchRule
  std::string ToString() const;
  friend bool operator==(const StatusTarget&, const StatusTarget&) = default;
  friend auto operator<=>(const StatusTarget&, const StatusTarget&) = default;
};

// One object's status, of the type its kind has (StatusFitsKind).
using ResourceStatus = std::variant<DestinationStatus, RepoConfigStatus, WatchRuleStatus>;

inline bool StatusFitsKind(ResourceKind kind, const ResourceStatus& status) {
  switch (kind) {
    case ResourceKind::kGitDestination:
      return std::holds_alternative<DestinationStatus>(status);
    case ResourceKind::kGitRepoConfig:
      return std::holds_alternative<RepoConfigStatus>(status);
    case ResourceKind::kWatchRule:
    case ResourceKind::kClusterWatchRule:
      return std::holds_alternative<WatchRuleStatus>(status);
  }
  return false;
}

inline std::string StatusTarget::ToString() const {
  static constexpr const char* kNames[] = {"GitDestination", "GitRepoConfig", "WatchRule",
                                           "ClusterWatchRule"};
  return std::string(kNames[static_cast<size_t>(kind)]) + " " + key.ToString();
}

// ---- Branch metadata -------------------------------------------------------------------

// Yes, no, or not known: an answer that may cost more than the question is worth.
enum class Tristate : uint8_t { kNo, kYes, kUnknown };

// What one remote read says about a branch (the seed's PullReport).
struct PullReport {
  struct Head {
    std::string sha;         // "" when the branch does not exist or is unborn
    std::string short_name;  // the branch name
    bool unborn = false;     // the repository is empty: HEAD names no commit
    friend bool operator==(const Head&, const Head&) = default;
  };
  bool exists_on_remote = false;
  Head head;
  int64_t incoming_changes = 0;  // commits on the remote this worker has not seen
  // Whether the branch no longer descends from the tip the reader last knew (someone
  // force-pushed, and what gitdest wrote may be gone). A ref listing cannot tell: the
  // adapter answers kUnknown unless it holds the new tip's history, and the core then
  // treats a moved tip as possibly rewritten (BranchWorker::OnMetadataFetched).
  Tristate history_rewritten = Tristate::kNo;
  friend bool operator==(const PullReport&, const PullReport&) = default;
};

// A BranchWorker's answer to GetBranchMetadata: the last report and when it was read.
struct BranchInfo {
  PullReport report;
  absl::Time read_at = absl::InfinitePast();  // when the read that produced it started
  friend bool operator==(const BranchInfo&, const BranchInfo&) = default;
};

// What a compare-and-swap push did. An operation that failed (auth, network, timeout)
// is an error status instead, never a PushResult.
struct PushResult {
  enum class Outcome : uint8_t { kPushed, kConflict };
  Outcome outcome = Outcome::kPushed;
  // kPushed: the new remote tip ("" if the batch changed no bytes on an absent branch).
  // kConflict: the tip found instead of the expected one ("" = the branch is gone).
  std::string tip;
  // kConflict: whether the tip found descends from the expected one (kNo: an ordinary
  // lost race; kYes or kUnknown: a force-push may have dropped what gitdest wrote).
  Tristate history_rewritten = Tristate::kNo;
  friend bool operator==(const PushResult&, const PushResult&) = default;
};

// Where a Git operation goes: all an adapter needs to reach one remote branch, and no
// secret. Every Git effect and port call carries one.
struct RemoteRef {
  ObjectKey repo_config;  // the GitRepoConfig, namespace included
  std::string url;        // its spec.repoUrl, credentials redacted
  // The Secret with the credentials: in the GitRepoConfig's namespace, which may differ
  // from a destination's (spec.repoRef.namespace). Name "" = anonymous.
  ObjectKey secret;
  std::string branch;
  friend bool operator==(const RemoteRef&, const RemoteRef&) = default;
};

// One BranchWorker per (GitRepoConfig, branch).
struct WorkerKey {
  ObjectKey repo_config;
  std::string branch;
  std::string ToString() const { return repo_config.ToString() + "@" + branch; }
  // For hash-map lookups only, as ObjectKey's.
  template <class H>
  friend H AbslHashValue(H h, const WorkerKey& key) {
    return H::combine(std::move(h), key.repo_config, key.branch);
  }
  friend bool operator==(const WorkerKey&, const WorkerKey&) = default;
  friend auto operator<=>(const WorkerKey&, const WorkerKey&) = default;
};

// ---- Writes --------------------------------------------------------------------------

enum class ChangeOp { kCreate, kUpdate, kDelete };

// "CREATE", "UPDATE" or "DELETE", as admission and WatchRule operations spell them.
inline const char* ChangeOpName(ChangeOp op) {
  switch (op) {
    case ChangeOp::kCreate:
      return "CREATE";
    case ChangeOp::kDelete:
      return "DELETE";
    case ChangeOp::kUpdate:
      break;
  }
  return "UPDATE";
}

// One file change in a branch: the unit of the write queue and of a commit.
struct FileChange {
  std::string path;  // repository-relative, inside the destination's baseFolder
  ChangeOp op = ChangeOp::kUpdate;
  std::string content;  // YAML; empty for deletes
  std::string message;  // "[UPDATE] apps/v1/deployments/ns/name"
  std::string author;   // Kubernetes user that made the change
  ObjectKey destination;
  friend bool operator==(const FileChange&, const FileChange&) = default;
};

using RequestId = uint64_t;

// Request ids: the process epoch in the high half, so a result addressed to an
// earlier incarnation of the controller can never match a request of this one.
class RequestIds {
 public:
  explicit RequestIds(uint32_t epoch) : next_((static_cast<uint64_t>(epoch) << 32) + 1) {}
  RequestId Next() { return next_++; }

 private:
  template <class T>
  friend struct StateFields;  // core/state_hash.cc hashes every field
  uint64_t next_;
};

}  // namespace gitdest::core
