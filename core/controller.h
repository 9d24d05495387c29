// The gitdest core: a pure, deterministic state machine. Inputs (facts, each with the
// time it happened) go in; Effects (things to do) and the next wake-up time come out.
// No I/O, no clock, no threads, no randomness: the same inputs at the same times give
// the same effects, byte for byte.
#pragma once

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/effects.h"
#include "core/inputs.h"
#include "core/options.h"
#include "core/requests.h"
#include "core/resync.h"
#include "core/slots.h"
#include "core/stable_hash.h"
#include "core/status_write.h"
#include "core/timer_queue.h"
#include "core/types.h"
#include "core/uniqueness.h"
#include "core/watch_rules.h"
#include "core/worker_manager.h"

namespace gitdest::core {

struct GroupState;

// What the controller knows of one GitDestination. A periodic reconcile and a captured
// change read and write the fields before `destination` (of `target`, the branch, the
// folder and whether it is set) and that struct's head (key, generation,
// resourceVersion), nothing else: they come first, together, so that a reconcile touches
// a few adjacent cache lines of the record instead of most of its fifteen. The state hash
// encodes the fields in the order of their meaning, not of this layout.
struct DestinationRecord {
  uint32_t slot = 0;         // its small integer name (see Slots): its timer's id
  bool target_stale = true;  // the spec or its GitRepoConfig changed since it was resolved
  bool awaiting_metadata = false;
  absl::Duration requeue_interval;   // the jittered periodic requeue, fixed by its key
  GroupState* group = nullptr;       // the group of its target's (repository, branch), while valid
  BranchWorker* worker = nullptr;    // set while admitted: attached to this worker
  uint64_t verdict_serial = 0;       // the group verdicts lost_to was read from
  std::optional<ObjectKey> lost_to;  // set while it loses a uniqueness conflict
  DestinationStatus status;          // the latest computed status
  // What the API holds (or will); its write in flight is in Controller::requests().
  StatusWrite<DestinationStatus> status_write;
  Resync resync;  // the level-based list of its objects and files (core/resync.h)
  std::optional<WriteTarget> target;  // set while the spec is valid
  Destination destination;
  WorkerKey worker_key;     // the worker its target writes through, while valid
  absl::Status spec_error;  // why it is not, otherwise
};

// The status the controller owns on a GitRepoConfig or a (Cluster)WatchRule: the object's
// generation and newest known resourceVersion, the status last computed, and its write.
template <class Status>
struct OwnedStatus {
  int64_t generation = 1;
  // From the watch, or a status write's answer, whichever is newer: writes are
  // conditional on it.
  std::string resource_version;
  Status status;
  StatusWrite<Status> write;
};

// The last version the watch reported of one object: a late event, a duplicate from a
// relist, or a list older than an event is recognised by it (resourceVersion order).
struct ObjectVersion {
  std::string uid;
  std::string resource_version;
  bool deleted = false;  // a tombstone, kept while a list that may predate it is in flight
  friend bool operator==(const ObjectVersion&, const ObjectVersion&) = default;
};

// The author of deletes gitdest decides itself, not a Kubernetes user: a resync's orphans,
// and objects a relist shows gone.
inline constexpr char kResyncAuthor[] = "gitdest-resync";

// The destinations claiming targets on one (repository, branch), and their verdicts
// (nullopt: not computed since the claims last changed).
struct GroupState {
  // Each member's record (a node of Controller::destinations_, removed from here first):
  // the checks and the verdicts read every member's claim, without looking it up by key.
  std::map<ObjectKey, DestinationRecord*> members;
  std::optional<std::map<ObjectKey, std::optional<ObjectKey>>> verdicts;
  uint64_t verdicts_serial = 0;  // names this computation of verdicts, controller-wide
  Digest verdicts_claims{};      // ClaimsDigest of the claims `verdicts` were computed from
};

class Controller {
 public:
  explicit Controller(ControllerOptions options = {}, uint32_t epoch = 0);
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Applies one input at time `now` (never earlier than the previous call's).
  Output Handle(const Input& input, absl::Time now);
  // The same, into `out`, whose effects it replaces: a loop that handles input after input
  // passes one Output back each time and allocates no effect buffer once it is warm.
  void Handle(const Input& input, absl::Time now, Output& out);

  // OK, or the first broken invariant with what broke. The simulator calls it after
  // every step; it never changes state.
  absl::Status CheckInvariants() const;

  // A digest of the whole state (a StableHasher over a canonical encoding, stable across
  // processes and platforms): two runs of one seed must agree on it after every step.
  uint64_t StateHash() const;

  const ControllerOptions& options() const { return options_; }
  const std::map<ObjectKey, DestinationRecord>& destinations() const { return destinations_; }
  const std::map<ObjectKey, RepoConfig>& repo_configs() const { return repo_configs_; }
  const RuleIndex& rules() const { return rules_; }
  bool leader() const { return leader_; }
  const WorkerManager& workers() const { return workers_; }
  // Every request sent and not yet answered (or given up on).
  const Requests& requests() const { return requests_; }
  // The workers whose read is asked but not sent, first asked first: they wait until
  // fewer than max_reads_in_flight reads are in flight.
  const std::deque<WorkerKey>& reads_waiting() const { return reads_waiting_; }
  // The bound on reads in flight (max_reads_in_flight, at least 1).
  size_t read_slots() const { return std::max<size_t>(options_.max_reads_in_flight, 1); }
  // The objects whose status write is due but not sent, first due first: they wait until
  // fewer than max_status_writes_in_flight writes are in flight.
  const std::deque<StatusTarget>& status_writes_waiting() const { return status_writes_waiting_; }
  // The bound on status writes in flight (max_status_writes_in_flight, at least 1).
  size_t status_write_slots() const {
    return std::max<size_t>(options_.max_status_writes_in_flight, 1);
  }
  // The destinations whose resync list is due but not sent, first asked first: they wait
  // until fewer than max_lists_in_flight lists are in flight.
  const std::deque<ObjectKey>& lists_waiting() const { return lists_waiting_; }
  // The bound on resync lists in flight (max_lists_in_flight, at least 1).
  size_t list_slots() const { return std::max<size_t>(options_.max_lists_in_flight, 1); }
  const std::map<ObjectKey, OwnedStatus<RepoConfigStatus>>& config_statuses() const {
    return config_statuses_;
  }
  // WatchRules, and ClusterWatchRules under namespace "".
  const std::map<ObjectKey, OwnedStatus<WatchRuleStatus>>& rule_statuses() const {
    return rule_statuses_;
  }
  // When the destination's next reconcile is due; nullopt if none is scheduled (it
  // awaits a metadata read) or the destination is unknown.
  std::optional<absl::Time> ReconcileAt(const ObjectKey& destination) const;
  // The key of the GitRepoConfig a destination refers to (namespace defaulted).
  static ObjectKey RepoConfigKeyOf(const Destination& destination);

 private:
  using Group = std::pair<std::string, std::string>;  // (repository identity, branch)
  static Group GroupOf(const WriteTarget& t) { return {t.repository, t.branch}; }
  // Timer ids: a destination's is its slot, a worker's its slot with bit 32 set.
  static TimerId DestinationTimer(const DestinationRecord& rec) { return rec.slot; }
  static TimerId WorkerTimer(const BranchWorker& worker) {
    return (TimerId{1} << 32) | worker.slot();
  }
  // Controller-wide timers, with bit 33 set. The retries of GitRepoConfig and WatchRule
  // statuses (failed writes):
  static constexpr TimerId kOwnedStatusTimer = TimerId{2} << 32;
  // A new leader's second resync, once the previous leader's last push has landed or
  // failed (see OnLeaseAcquired):
  static constexpr TimerId kTakeoverResyncTimer = (TimerId{2} << 32) | 1;
  // The first deadline of a status write in flight (see ScheduleDeadline):
  static constexpr TimerId kStatusWriteTimer = (TimerId{2} << 32) | 2;
  // The first deadline of a resync list in flight (see ScheduleDeadline):
  static constexpr TimerId kListTimer = (TimerId{2} << 32) | 3;
  // Sets `timer` to the first deadline (sent + api_timeout) of a request of `kind` in
  // flight, or cancels it if none is: kStatusWriteTimer and kListTimer, at the end of each
  // Handle.
  // Moves a timer only when its kind's first request in flight changed (`set_for`).
  void ScheduleDeadline(TimerId timer, RequestKind kind, RequestId& set_for);
  // The first deadline of `kind` in flight (InfiniteFuture if none), found the long way:
  // what the invariants hold ScheduleDeadline's timers to.
  absl::Time EarliestDeadline(RequestKind kind) const;

  // Input handlers.
  void OnRepoConfigObserved(const RepoConfigObserved& in, absl::Time now);
  void OnRepoConfigDeleted(const RepoConfigDeleted& in, absl::Time now);
  void OnDestinationObserved(const DestinationObserved& in, absl::Time now);
  void OnDestinationDeleted(const DestinationDeleted& in);
  void OnWatchRuleObserved(const WatchRuleObserved& in, absl::Time now);
  void OnWatchRuleDeleted(const WatchRuleDeleted& in);
  void OnResourceTypesDiscovered(const ResourceTypesDiscovered& in);
  void OnObjectChanged(const ObjectChanged& in, absl::Time now);
  // Whether the object's type is among those last asked to be watched (EnsureWatches).
  bool Watches(const ResourceId& object) const;
  // Records the version an event reports; false when it is not newer than the one known
  // (a duplicate, or a late event): then it changes nothing.
  bool RecordVersion(const ObjectChanged& in);
  // Whether the watch reported a newer version of the object than a list did.
  bool NewerThanListed(const CapturedObject& listed) const;
  // A resync list wrote `listed` at a version the watch has not reported: remembered
  // until the watch reports it (or newer), or a relist shows it gone.
  void NoteListedAhead(const CapturedObject& listed);
  void ConfirmListedAhead(const ObjectChanged& in);
  void OnWatchRelisted(const WatchRelisted& in, absl::Time now);
  // The discovered type of an object, or one inferred from its namespace if undiscovered.
  ResourceTypeInfo TypeOf(const ResourceId& object) const;
  bool Captures(const ObjectKey& destination, const ResourceId& object, ChangeOp op) const;
  // Emits EnsureWatches when the set of types to watch changed.
  void UpdateWatches();
  void OnMetadataFetched(const MetadataFetched& in, absl::Time now);
  void OnPushCompleted(const PushCompleted& in, absl::Time now);
  void OnStatusWritten(const StatusWritten& in, absl::Time now);
  void OnRestarted(const ControllerRestarted& in);
  void OnLeaseAcquired(absl::Time now);
  void OnLeaseLost(absl::Time now);
  void ResyncAfterTakeover();
  // Deciding and writing: the cache is synced and the lease is held.
  bool active() const { return synced_ && leader_; }
  // Forgets everything in flight and every worker (their queues are rebuilt by resyncs).
  void DropWork(absl::Time now);
  void OnObjectsListed(const ObjectsListed& in, absl::Time now);
  void PruneTombstones();
  // `files`: what the list found in the folder and the paths queued when it was asked.
  void DeleteOrphans(DestinationRecord& rec, const std::vector<CapturedObject>& objects,
                     std::set<std::string> files, absl::Time now);
  // Queues one object's change on the destination's worker, or says why not.
  void Capture(const ObjectKey& destination, const ResourceId& resource, ChangeOp op,
               const std::string& content, const std::string& author, absl::Time now);

  // Reconcile (reconcile.cc).
  void Reconcile(DestinationRecord& rec, absl::Time now);
  // Whether its resync must list now (none waiting or in flight, or the one in flight
  // overdue).
  bool ResyncDue(const DestinationRecord& rec, absl::Time now) const;
  // Resync lists (resync_lists.cc): at most max_lists_in_flight in flight; a destination
  // whose list is due beyond it waits in lists_waiting_, first asked first sent, and what
  // it lists is decided when it is sent. `rec` is admitted and its list due: it is sent at
  // once if a slot is free and none waits before it, else it waits. One in flight and
  // overdue is given up on first.
  void AskList(DestinationRecord& rec, absl::Time now);
  void SendList(DestinationRecord& rec, absl::Time now);
  // Sends the waiting lists of destinations still admitted, oldest first, while slots are
  // free (at the end of each Handle: an answer, a list given up on or a destination gone
  // freed one).
  void SendWaitingLists(absl::Time now);
  // kListTimer: set to the first deadline of a list in flight, none if none is (at the end
  // of each Handle). When it fires, lists in flight for api_timeout are given up on,
  // freeing their slots, and asked again.
  void GiveUpOverdueLists(absl::Time now);
  bool Admit(DestinationRecord& rec, absl::Time now);
  // Sets rec.lost_to from its group's verdicts, computing them if its claims changed.
  void RefreshVerdict(DestinationRecord& rec, absl::Time now);
  void Complete(DestinationRecord& rec, const MetadataAnswer& answer, const BranchWorker& worker,
                absl::Time now);
  void FinishInvalid(DestinationRecord& rec, const absl::Status& error, absl::Time now);
  void FinishConflict(DestinationRecord& rec, absl::Time now);
  void FinishSynced(DestinationRecord& rec, const BranchInfo& info, const BranchWorker& worker,
                    absl::Time now);
  void FinishFetchFailed(DestinationRecord& rec, const absl::Status& error, absl::Time retry_at,
                         absl::Time now);
  // Writes rec.status to the API unless it is what the API holds (or will hold).
  void PublishStatus(DestinationRecord& rec);
  void Requeue(DestinationRecord& rec, absl::Duration delay, absl::Time now);

  // The statuses of GitRepoConfigs and WatchRules (owned_status_records.cc): marked due
  // when something they summarize changed, computed and written at the end of Handle.
  void MarkStatusDue(ResourceKind kind, const ObjectKey& key);
  // Applies a read's or push's answer to `worker`, and marks its GitRepoConfig's status
  // due if what it shows of the branch may change the verdict.
  void AnsweredOn(BranchWorker& worker, absl::FunctionRef<void()> apply);
  void MarkRulesOf(const ObjectKey& destination);  // the rules writing to it
  void MarkAllOwnedStatuses();
  void ObserveConfigStatus(const RepoConfig& config, bool changed);
  void ObserveRuleStatus(const WatchRule& rule, bool changed);
  void EraseOwnedStatus(ResourceKind kind, const ObjectKey& key);
  void PublishOwnedStatuses(absl::Time now);
  void PublishConfigStatus(const ObjectKey& key, OwnedStatus<RepoConfigStatus>& owned,
                           absl::Time now);
  void PublishRuleStatus(const ObjectKey& key, OwnedStatus<WatchRuleStatus>& owned, absl::Time now);
  template <class Status>
  void WriteOwned(const StatusTarget& target, OwnedStatus<Status>& owned, absl::Time now);
  void OnOwnedStatusWritten(const StatusWritten& in, absl::Time now);
  void RetryOwnedStatuses();
  void ForgetOwnedWrites();
  void Settled(const StatusTarget& target);  // its write landed, or it is gone
  absl::Duration JitteredRequeue(const ObjectKey& key) const;

  // Status writes of every kind (status_writes.cc): at most max_status_writes_in_flight in
  // flight; an object whose write is due beyond it waits in status_writes_waiting_, first
  // due first sent, and its status as it is when a slot frees is sent. `target` has a
  // write due and not waiting: it is sent at once if a slot is free and none waits before
  // it, else it waits. `in_flight`, the target's write in flight if any, is overdue (the
  // caller asked StatusWrite::Ask): it is given up on first.
  // The caller passes the target's own parts (StatusWriteOf), so nothing is looked up again.
  template <class Status>
  void AskStatusWrite(const StatusTarget& target, StatusWriteOf<Status> of,
                      const Request* in_flight, absl::Time now);
  template <class Status>
  void SendStatusWrite(const StatusTarget& target, StatusWriteOf<Status> of, absl::Time now);
  // Sends the waiting writes that are still due, oldest first, while slots are free (at
  // the end of each Handle: an answer, a write given up on or an object gone freed one).
  void SendWaitingStatusWrites(absl::Time now);
  // kStatusWriteTimer: set to the first deadline of a write in flight, none if none is (at
  // the end of each Handle: an answer, a send or an object gone may change it). When it
  // fires, writes in flight for api_timeout are given up on, freeing their slots, and their
  // objects' statuses are written again.
  void GiveUpOverdueStatusWrites(absl::Time now);
  template <class Status>
  void GiveUpStatusWrite(const StatusTarget& target, StatusWrite<Status>& write);
  // Calls fn(StatusWriteOf<S>{...}) with the target's StatusWrite, its status as computed
  // last, and the resourceVersion a write is conditional on; the target exists.
  template <class Fn>
  decltype(auto) WithStatusWrite(const StatusTarget& target, Fn&& fn);

  // Groups: which destinations claim targets on one (URL, branch).
  // True when the target changed (and so did the claims of its groups).
  bool SetTarget(DestinationRecord& rec, std::optional<WriteTarget> target);
  std::vector<ClaimRef> ClaimsOf(const GroupState& group) const;
  // What the verdicts of a group depend on: each member's key, age and folder.
  Digest ClaimsDigest(const GroupState& group) const;
  static void AddClaim(StableHasher& hasher, const ObjectKey& key, const DestinationRecord& rec);
  void Detach(DestinationRecord& rec);
  void ReconcileSoon(const DestinationRecord& rec, absl::Time now) {
    timers_.SetNoLaterThan(DestinationTimer(rec), now);
  }
  void ReconcileSoon(const ObjectKey& key, absl::Time now);  // if it exists
  void ReconcileGroup(const GroupState& group, absl::Time now);

  // Workers.
  // May retire the worker: `worker` must not be used after.
  void ServiceWorker(BranchWorker& worker, absl::Time now);
  void ScheduleWorker(const BranchWorker& worker, absl::Time now);
  void RetireIfUnused(BranchWorker& worker, absl::Time now);
  // Remote reads: bounded in flight (max_reads_in_flight), the rest wait in
  // reads_waiting_, first asked first sent. A read the worker asked for is sent at once
  // if a slot is free and none waits before it, else it waits.
  void AskRead(BranchWorker& worker, absl::Time now);
  void SendRead(BranchWorker& worker, absl::Time now);
  // Sends waiting reads, oldest first, while slots are free (at the end of each Handle:
  // a read answered, given up or forgotten freed one).
  void SendWaitingReads(absl::Time now);
  // The worker whose read or push `request` was, now answered; nullptr if it is not in
  // flight (late, duplicated, of another incarnation or term) or its worker is gone.
  BranchWorker* TakeRequest(RequestId request, RequestKind kind);
  // The destination's list in flight (if any) was for what came before: it lists anew,
  // and the old list's answer is ignored.
  void ResyncAnew(DestinationRecord& rec);
  // A decision: only while active(). Built in its slot of the effect buffer: one move.
  template <class E>
  void Emit(E&& effect) {
    PrepareEmit();
    effects_.emplace_back(std::in_place_type<std::remove_cvref_t<E>>, std::forward<E>(effect));
  }
  void PrepareEmit();
  // The record of `key` (a hash lookup), or nullptr; RecordOf when it must exist.
  DestinationRecord* FindRecord(const ObjectKey& key) const;
  DestinationRecord& RecordOf(const ObjectKey& key) const;
  // The record in `slot`, which must be that of `key`: where an answer finds the record
  // its request names (Request::owner_slot), without a lookup.
  DestinationRecord& RecordAt(uint32_t slot, const ObjectKey& key) const;
  void RunDueTimers(absl::Time now);

  absl::Status CheckAdmitted() const;
  absl::Status CheckWorkers() const;
  absl::Status CheckDestinations() const;
  absl::Status CheckRequests() const;
  absl::Status CheckReadsWaiting() const;
  absl::Status CheckStatusWritesWaiting() const;
  absl::Status CheckListsWaiting() const;
  absl::Status CheckListedAhead() const;
  bool StatusWriteWaits(const StatusTarget& target) const;  // false if the object is gone
  bool OwnerExists(const RequestOwner& owner) const;
  bool SlotNamesOwner(const Request& request) const;
  bool RecordIndexHolds() const;
  bool WorkersAndDestinationsHold() const;

  ControllerOptions options_;
  RequestIds ids_;
  absl::Time last_now_ = absl::InfinitePast();
  bool synced_ = true;  // false from a restart until CacheSynced: decide nothing half-seen
  // Holds the leader lease: only then does it decide and write. A new controller (and
  // one restarted) waits for LeaseAcquired; a standby keeps observing meanwhile.
  bool leader_ = false;
  std::map<ObjectKey, RepoConfig> repo_configs_;
  // ResolveRepo of each, resolved once per spec for all the destinations that use it.
  // Derived from repo_configs_: not hashed.
  std::map<ObjectKey, absl::StatusOr<ResolvedRepo>> resolved_repos_;
  RuleIndex rules_;                                        // and the types discovery reports
  std::optional<std::set<GroupVersionResource>> watched_;  // as last emitted
  // Looked up on every ObjectChanged: a hash map, as five string compares per level of an
  // ordered map cost more than the rest of routing a change. Never iterated in its own
  // order where that could be seen: StateHash hashes it in key order.
  absl::flat_hash_map<ResourceId, ObjectVersion> object_versions_;
  // Objects resync lists wrote at versions the watch has not reported yet (deleted is
  // never set): normally for moments, until the event arrives. One the watch never
  // reports was created and deleted while the watch was away; the next WatchRelisted of
  // its type deletes it (no event ever will).
  std::map<ResourceId, ObjectVersion> listed_ahead_;
  std::map<ObjectKey, DestinationRecord> destinations_;  // nodes are stable: slots point in
  Slots<DestinationRecord> destination_slots_;
  absl::flat_hash_map<ObjectKey, DestinationRecord*> records_by_key_;  // lookups only
  uint64_t verdicts_serials_ = 0;
  std::map<Group, GroupState> groups_;
  WorkerManager workers_;
  Requests requests_;                    // every request in flight, of every kind (core/requests.h)
  std::deque<WorkerKey> reads_waiting_;  // reads asked and not yet sent, oldest first
  std::deque<StatusTarget> status_writes_waiting_;  // writes due and not yet sent, oldest first
  std::deque<ObjectKey> lists_waiting_;  // resync lists due and not yet sent, oldest first
  std::map<ObjectKey, OwnedStatus<RepoConfigStatus>> config_statuses_;
  std::map<ObjectKey, OwnedStatus<WatchRuleStatus>> rule_statuses_;
  std::set<StatusTarget> statuses_due_;  // ordered: written in this order
  // Owned statuses whose write is in flight, failed or given up on: what kOwnedStatusTimer
  // watches.
  std::set<StatusTarget> statuses_unsettled_;
  TimerQueue timers_;
  // The request whose deadline kStatusWriteTimer and kListTimer are set to; 0 while the
  // timer is not set. Derived from requests_ and timers_, which the invariants check.
  RequestId status_write_deadline_of_ = 0;
  RequestId list_deadline_of_ = 0;
  std::vector<Effect> effects_;  // collected during one Handle call
};

// Inline, so that the hasher's lanes stay in registers: CheckInvariants hashes every
// member's claim after every step of the simulator.
inline void Controller::AddClaim(StableHasher& hasher, const ObjectKey& key,
                                 const DestinationRecord& rec) {
  // Repository and branch are the group's own: only the folder tells members apart.
  hasher.Add(key.namespace_).Add(key.name);
  hasher.Add(static_cast<uint64_t>(absl::ToUnixNanos(rec.destination.creation_time)));
  hasher.Add(rec.target ? absl::string_view(rec.target->base_folder) : absl::string_view());
}

}  // namespace gitdest::core
