// BranchWorker: the state of one (GitRepoConfig, branch), shared by every destination
// writing to that branch. It owns the branch's metadata cache (read at most once per
// cache TTL, single-flight) and its write queue (batched, compare-and-swap pushes,
// never dropping a change). Pure: every method takes `now`; effects are returned.
#pragma once

#include <deque>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/effects.h"
#include "core/inputs.h"
#include "core/options.h"
#include "core/state_fields.h"
#include "core/types.h"

namespace gitdest::core {

// What SyncAndGetMetadata answers a reconciling destination.
struct MetadataReady {
  BranchInfo info;
};
struct MetadataFailed {
  absl::Status error;
  absl::Time retry_at;  // the earliest the worker will read again
};
struct MetadataPending {
  bool asked = false;  // this call asked for the read: the controller sends it (SendRead)
  absl::Time ready_at = absl::InfinitePast();  // set when the read must wait for the TTL
};
using MetadataAnswer = std::variant<MetadataReady, MetadataFailed, MetadataPending>;

// What MaybeStartPush starts: the batch, or the read that must learn the remote tip first
// (asked, as by SyncAndGetMetadata: the controller sends it).
struct ReadAsked {};
using PushStart = std::variant<PushBatch, ReadAsked>;

// What a worker knows of its GitRepoConfig.
struct Remote {
  std::string url;  // spec.repoUrl, credentials redacted: the adapter resolves `secret`
  ObjectKey secret;
  PushSettings push;
  friend bool operator==(const Remote&, const Remote&) = default;
};

// The remote a GitRepoConfig names: the Secret is looked up in the GitRepoConfig's own
// namespace, whichever namespace a destination refers to it from.
Remote RemoteOf(const RepoConfig& config);

class BranchWorker {
 public:
  BranchWorker(WorkerKey key, uint32_t slot, Remote remote, const ControllerOptions& options);

  const WorkerKey& key() const { return key_; }
  // Its small integer name while it lives (see Slots): its timer's id.
  uint32_t slot() const { return slot_; }
  const Remote& remote() const { return remote_; }
  // Where its Git effects go.
  RemoteRef Ref() const {
    return RemoteRef{key_.repo_config, remote_.url, remote_.secret, key_.branch};
  }
  // A new remote URL invalidates what the worker knows about the branch.
  void UpdateRemote(const Remote& remote);

  // ---- destinations --------------------------------------------------------------
  void Attach(const ObjectKey& destination) { destinations_.insert(destination); }
  void Detach(const ObjectKey& destination);
  const std::set<ObjectKey>& destinations() const { return destinations_; }
  // True while it has destinations or writes to push: otherwise it may be retired.
  bool InUse() const;

  // ---- metadata ------------------------------------------------------------------
  // The seed's SyncAndGetMetadata: the cached report if it is younger than the TTL,
  // else one remote read shared by every destination that asks while it is asked for
  // or in flight (the caller gets MetadataPending and is completed by OnMetadataFetched).
  // A read is asked first and sent later (SendRead), when the controller has a slot
  // for it (ControllerOptions::max_reads_in_flight); until then it waits, and so do its
  // destinations.
  MetadataAnswer SyncAndGetMetadata(const ObjectKey& destination, absl::Time now);
  // Sends the read asked for: the TTL and the read's deadline run from `now`.
  FetchMetadata SendRead(absl::Time now, RequestIds& ids);
  // The seed's GetBranchMetadata: the last successful read, whatever its age.
  const std::optional<BranchInfo>& GetBranchMetadata() const { return cache_; }
  // Applies a read's result. Its waiters are answered by this read itself, not by
  // the cache: a read that took longer than the TTL must not start another one.
  struct ReadOutcome {
    std::set<ObjectKey> waiters;
    MetadataAnswer answer;
  };
  ReadOutcome OnMetadataFetched(RequestId request, const absl::StatusOr<PullReport>& result);
  // A read is asked for: waiting to be sent, or in flight.
  bool read_pending() const { return read_.has_value(); }
  // A read is asked for and waits to be sent.
  bool read_waiting() const { return read_ && !read_->sent; }
  // The request of the read in flight, if any. (The controller's registry of requests
  // finds one overdue and fails it as if its port had answered DeadlineExceeded.)
  std::optional<RequestId> read_request() const {
    return read_ && read_->sent ? std::optional(read_->sent->request) : std::nullopt;
  }
  const absl::Status& last_read_error() const { return last_read_error_; }

  // What a retired worker leaves behind so that a worker created again for the same
  // branch within the TTL reads nothing new (one read per TTL survives churn).
  struct Memory {
    std::string url;
    std::optional<BranchInfo> cache;
    absl::Time read_not_before;
    absl::Status last_read_error;
    int read_failures;
  };
  Memory Remember() const;
  void Restore(const Memory& memory);

  // ---- writes --------------------------------------------------------------------
  void Enqueue(FileChange change, absl::Time now);
  // Starts a batch if one is due and none is in flight. Needs the remote tip: if it
  // is unknown the worker asks for a metadata read first (ReadAsked instead).
  std::optional<PushStart> MaybeStartPush(absl::Time now, RequestIds& ids);
  // Applies a push result; returns the destinations whose changes were pushed.
  std::set<ObjectKey> OnPushCompleted(RequestId request, const absl::StatusOr<PushResult>& result,
                                      absl::Time now);
  // When this worker next needs TimerFired (a push due or a retry); InfiniteFuture if never.
  absl::Time NextWakeAt() const;

  const std::deque<FileChange>& pending() const { return pending_; }
  const std::optional<PushBatch>& batch() const { return batch_; }
  // The request of the push in flight, if any (see read_request).
  std::optional<RequestId> push_request() const {
    return batch_ ? std::optional(batch_->request) : std::nullopt;
  }
  // Paths under `folder` that the queued and in-flight writes create (deletes excluded).
  std::set<std::string> QueuedWritesUnder(const std::string& folder) const;
  const absl::Status& last_push_error() const { return last_push_error_; }
  // True once after the worker learned that the branch's files under its destinations'
  // folders may not be theirs: what it had written is gone (the branch was deleted, or
  // its history rewritten by someone else), or its push created the branch from the
  // default branch, whose files came along. Every destination lists its folder and
  // writes its objects again (deleting files that name no object of it).
  bool TakeResyncAll() { return std::exchange(resync_all_, false); }

 private:
  template <class T>
  friend struct StateFields;  // core/state_hash.cc hashes every field
  bool PushDue(absl::Time now) const;
  void AskRead(absl::Time now);
  PushBatch TakeBatch(absl::Time now, RequestIds& ids);
  void Requeue(std::vector<FileChange> changes);
  void CoalesceIfFull();
  absl::Duration ReadRetryDelay() const;
  absl::Duration PushRetryDelay() const;

  WorkerKey key_;
  uint32_t slot_;
  Remote remote_;
  const ControllerOptions* options_;
  std::set<ObjectKey> destinations_;

  // Metadata. read_not_before_ enforces one remote read per TTL, backoff included.
  std::optional<BranchInfo> cache_;
  struct Sent {
    RequestId request;
    absl::Time at;
  };
  struct Read {
    std::optional<Sent> sent;  // nullopt while it waits for a free slot
    std::set<ObjectKey> waiters;
    bool cacheable;  // false once a URL change made its answer describe another remote
  };
  std::optional<Read> read_;
  absl::Time read_not_before_ = absl::InfinitePast();
  absl::Status last_read_error_;
  int read_failures_ = 0;

  // Writes. The tip is what the next batch is built on: "" = branch absent.
  std::optional<std::string> tip_;
  std::deque<FileChange> pending_;
  int64_t pending_bytes_ = 0;
  // The queue coalesces once it is longer than this and max_pending_changes: twice
  // what the last coalescing left (see CoalesceIfFull), lowered as batches drain it.
  size_t coalesce_above_ = 0;
  absl::Time first_pending_at_ = absl::InfiniteFuture();
  std::optional<PushBatch> batch_;
  absl::Time batch_started_at_;
  absl::Time batch_first_pending_at_;  // when the oldest change of the batch was queued
  absl::Time push_not_before_ = absl::InfinitePast();
  absl::Status last_push_error_;
  int push_failures_ = 0;
  int push_conflicts_ = 0;
  bool resync_all_ = false;
  void LearnTip(const std::string& tip);
  void OnPushed(const PushBatch& batch, const PushResult& result, std::set<ObjectKey>& written);
};

}  // namespace gitdest::core
