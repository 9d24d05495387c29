#include "core/controller.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/check.h"
#include "core/naming/resource_path.h"
#include "core/overloaded.h"
#include "core/resource_version.h"

namespace gitdest::core {
namespace {

// Bound on reconciles within one Handle call: immediate reconciles may trigger
// others (a verdict changed), but never without end.
constexpr int kMaxStepsPerHandle = 1'000'000;

// "[UPDATE] apps/v1/deployments/ns/name": one StrCat, one allocation.
std::string CommitMessage(ChangeOp op, const ResourceId& id) {
  const absl::string_view group_slash = id.group.empty() ? "" : "/";
  const absl::string_view namespace_slash = id.namespace_.empty() ? "" : "/";
  return absl::StrCat("[", ChangeOpName(op), "] ", id.group, group_slash, id.version, "/",
                      id.resource, "/", id.namespace_, namespace_slash, id.name);
}

// The same message from the path ResourcePath made of the id: under the folder, less its
// ".yaml", the path is those segments already joined.
std::string CommitMessageOfPath(ChangeOp op, absl::string_view base_folder,
                                absl::string_view path) {
  constexpr absl::string_view kSuffix = ".yaml";
  GITDEST_ASSERT(path.size() > base_folder.size() + kSuffix.size() &&
                 absl::EndsWith(path, kSuffix));
  const size_t start = base_folder.size() + 1;
  return absl::StrCat("[", ChangeOpName(op), "] ",
                      path.substr(start, path.size() - start - kSuffix.size()));
}

// Whether two uids of one name are two objects: deleted and created again in between.
// An empty uid is unknown (a test that models none), never another object.
bool IsAnotherObject(const std::string& known, const std::string& observed) {
  return !known.empty() && !observed.empty() && known != observed;
}

}  // namespace

Controller::Controller(ControllerOptions options, uint32_t epoch)
    : options_(std::move(options)), ids_(epoch), workers_(options_) {}

ObjectKey Controller::RepoConfigKeyOf(const Destination& destination) {
  const ObjectKey& ref = destination.spec.repo_ref;
  return {ref.namespace_.empty() ? destination.key.namespace_ : ref.namespace_, ref.name};
}

Output Controller::Handle(const Input& input, absl::Time now) {
  Output out;
  Handle(input, now, out);
  return out;
}

void Controller::Handle(const Input& input, absl::Time now, Output& out) {
  GITDEST_ASSERT(now >= last_now_);  // time never runs backwards
  GITDEST_ASSERT(effects_.empty());
  last_now_ = now;
  out.effects.clear();
  effects_.swap(out.effects);  // collected in the caller's buffer, with its capacity
  const bool was_active = active();
  std::visit(Overloaded{
                 [&](const RepoConfigObserved& in) { OnRepoConfigObserved(in, now); },
                 [&](const RepoConfigDeleted& in) { OnRepoConfigDeleted(in, now); },
                 [&](const DestinationObserved& in) { OnDestinationObserved(in, now); },
                 [&](const DestinationDeleted& in) { OnDestinationDeleted(in); },
                 [&](const WatchRuleObserved& in) { OnWatchRuleObserved(in, now); },
                 [&](const WatchRuleDeleted& in) { OnWatchRuleDeleted(in); },
                 [&](const ResourceTypesDiscovered& in) { OnResourceTypesDiscovered(in); },
                 [&](const ObjectChanged& in) { OnObjectChanged(in, now); },
                 [&](const WatchRelisted& in) { OnWatchRelisted(in, now); },
                 [&](const MetadataFetched& in) { OnMetadataFetched(in, now); },
                 [&](const PushCompleted& in) { OnPushCompleted(in, now); },
                 [&](const StatusWritten& in) { OnStatusWritten(in, now); },
                 [&](const TimerFired&) {},
                 [&](const ControllerRestarted& in) { OnRestarted(in); },
                 [&](const CacheSynced&) { synced_ = true; },
                 [&](const ObjectsListed& in) { OnObjectsListed(in, now); },
                 [&](const LeaseAcquired&) { OnLeaseAcquired(now); },
                 [&](const LeaseLost&) { OnLeaseLost(now); },
             },
             input);
  if (!was_active && active()) MarkAllOwnedStatuses();  // a new leader writes every one anew
  // Until the cache is synced and the lease held nothing is decided, so nothing is due.
  if (active()) {
    RunDueTimers(now);
    // Most steps leave every line empty and no first request changed: each is asked here,
    // not in a call of its own.
    if (!reads_waiting_.empty()) SendWaitingReads(now);
    if (!statuses_due_.empty()) PublishOwnedStatuses(now);
    if (!status_writes_waiting_.empty()) SendWaitingStatusWrites(now);
    if (requests_.FirstSentId(RequestKind::kStatusWrite) != status_write_deadline_of_) {
      ScheduleDeadline(kStatusWriteTimer, RequestKind::kStatusWrite, status_write_deadline_of_);
    }
    if (!lists_waiting_.empty()) SendWaitingLists(now);
    if (requests_.FirstSentId(RequestKind::kList) != list_deadline_of_) {
      ScheduleDeadline(kListTimer, RequestKind::kList, list_deadline_of_);
    }
  }
  out.effects.swap(effects_);  // effects_ is empty again: the buffer cleared above
  out.wake_at = active() ? timers_.NextAt() : absl::InfiniteFuture();
  GITDEST_ASSERT(out.wake_at > now);  // nothing due is left behind
}

void Controller::RunDueTimers(absl::Time now) {
  for (int steps = 0;; ++steps) {
    GITDEST_ASSERT(steps < kMaxStepsPerHandle);
    std::optional<TimerId> due = timers_.PopDue(now);
    if (!due) return;
    const auto slot = static_cast<uint32_t>(*due);
    if (*due == kOwnedStatusTimer) {
      RetryOwnedStatuses();
    } else if (*due == kStatusWriteTimer) {
      status_write_deadline_of_ = 0;
      GiveUpOverdueStatusWrites(now);
    } else if (*due == kListTimer) {
      list_deadline_of_ = 0;
      GiveUpOverdueLists(now);
    } else if (*due == kTakeoverResyncTimer) {
      ResyncAfterTakeover();
    } else if (*due >> 32 == 0) {
      DestinationRecord* rec = destination_slots_.Get(slot);
      GITDEST_ASSERT(rec != nullptr);  // a deleted destination's timer is cancelled
      Reconcile(*rec, now);
    } else {
      BranchWorker* worker = workers_.AtSlot(slot);
      GITDEST_ASSERT(worker != nullptr);  // so is a retired worker's
      ServiceWorker(*worker, now);
    }
  }
}

void Controller::PrepareEmit() {
  GITDEST_ASSERT(active());  // a standby, or a replica that lost the lease, writes nothing
  // A step that emits anything mostly emits one to four: one allocation, not three.
  if (effects_.capacity() == 0) effects_.reserve(4);
}

DestinationRecord* Controller::FindRecord(const ObjectKey& key) const {
  auto it = records_by_key_.find(key);
  return it == records_by_key_.end() ? nullptr : it->second;
}

DestinationRecord& Controller::RecordOf(const ObjectKey& key) const {
  DestinationRecord* rec = FindRecord(key);
  GITDEST_ASSERT(rec != nullptr);
  return *rec;
}

DestinationRecord& Controller::RecordAt(uint32_t slot, const ObjectKey& key) const {
  DestinationRecord* rec = destination_slots_.Get(slot);
  // A record's requests are forgotten with it, so the slot its request names holds it.
  GITDEST_ASSERT(rec != nullptr && rec->destination.key == key);
  return *rec;
}

void Controller::ReconcileSoon(const ObjectKey& key, absl::Time now) {
  if (DestinationRecord* rec = FindRecord(key)) ReconcileSoon(*rec, now);
}

std::optional<absl::Time> Controller::ReconcileAt(const ObjectKey& destination) const {
  const DestinationRecord* rec = FindRecord(destination);
  if (rec == nullptr) return std::nullopt;
  return timers_.When(DestinationTimer(*rec));
}

// ---- GitRepoConfig ---------------------------------------------------------------------

void Controller::OnRepoConfigObserved(const RepoConfigObserved& in, absl::Time now) {
  if (auto known = repo_configs_.find(in.config.key); known != repo_configs_.end()) {
    // A late event (or an old list) must not undo what a newer one said.
    if (ResourceVersionOlder(in.config.resource_version, known->second.resource_version)) return;
    // Deleted and created again while the delete event was lost: another object, whose
    // status is empty whatever the old one's was.
    if (IsAnotherObject(known->second.uid, in.config.uid)) {
      EraseOwnedStatus(ResourceKind::kGitRepoConfig, in.config.key);
    }
  }
  auto [it, inserted] = repo_configs_.try_emplace(in.config.key, in.config);
  if (!inserted) {
    const bool same = it->second.spec == in.config.spec;
    ObserveConfigStatus(in.config, !same || it->second.generation != in.config.generation);
    it->second = in.config;
    if (same) return;  // a resync or a metadata-only change: nothing to decide
  } else {
    ObserveConfigStatus(in.config, true);
  }
  resolved_repos_.insert_or_assign(in.config.key, ResolveRepo(in.config));
  // Re-check every destination that refers to it: a new repoUrl may create (or end)
  // a uniqueness conflict, new allowedBranches may admit or refuse a branch.
  for (auto& [key, rec] : destinations_) {
    if (RepoConfigKeyOf(rec.destination) != in.config.key) continue;
    rec.target_stale = true;
    ReconcileSoon(rec, now);
  }
  if (!active()) return;  // a standby's workers are empty; the leader updates its own
  for (BranchWorker* worker : workers_.WorkersOf(in.config.key)) {
    worker->UpdateRemote(RemoteOf(in.config));
    ServiceWorker(*worker, now);
  }
}

void Controller::OnRepoConfigDeleted(const RepoConfigDeleted& in, absl::Time now) {
  if (repo_configs_.erase(in.key) == 0) return;
  resolved_repos_.erase(in.key);
  EraseOwnedStatus(ResourceKind::kGitRepoConfig, in.key);
  for (auto& [key, rec] : destinations_) {
    if (RepoConfigKeyOf(rec.destination) != in.key) continue;
    rec.target_stale = true;
    ReconcileSoon(rec, now);
  }
  // Workers keep their last remote: pending writes are still pushed.
}

// ---- GitDestination ----------------------------------------------------------------------

void Controller::OnDestinationObserved(const DestinationObserved& in, absl::Time now) {
  const Destination& d = in.destination;
  if (const DestinationRecord* known = FindRecord(d.key)) {
    // A late event (or an old list) must not undo what a newer one said.
    if (ResourceVersionOlder(d.resource_version, known->destination.resource_version)) return;
    // Deleted and created again while the delete event was lost: another object.
    if (IsAnotherObject(known->destination.uid, d.uid)) {
      OnDestinationDeleted(DestinationDeleted{d.key});
    }
  }
  auto [it, inserted] = destinations_.try_emplace(d.key);
  DestinationRecord& rec = it->second;
  if (inserted) {
    rec.slot = destination_slots_.Add(&rec);
    rec.requeue_interval = JitteredRequeue(d.key);
    records_by_key_.emplace(d.key, &rec);
  }
  if (inserted) MarkRulesOf(d.key);               // a rule waiting for it
  if (!inserted && rec.destination == d) return;  // duplicate event: level-based, harmless
  const bool spec_changed =
      inserted || !(rec.destination.spec == d.spec) || rec.destination.generation != d.generation;
  if (!inserted && rec.group && rec.destination.creation_time != d.creation_time) {
    rec.group->verdicts.reset();  // its claim's age changed
  }
  rec.destination = d;
  if (spec_changed) {
    rec.target_stale = true;
    ReconcileSoon(rec, now);
  }
}

void Controller::OnDestinationDeleted(const DestinationDeleted& in) {
  auto it = destinations_.find(in.key);
  if (it == destinations_.end()) return;
  DestinationRecord& rec = it->second;
  Detach(rec);
  SetTarget(rec, std::nullopt);  // reconciles the rest of its group: a loser may win now
  MarkRulesOf(in.key);           // they write to nothing now
  timers_.Cancel(DestinationTimer(rec));
  // Answers to its list and its status write find nothing: a destination created again
  // under its name is another object. A write still waiting is never sent.
  requests_.ForgetOwner(DestinationOwner(in.key));
  if (rec.status_write.waiting()) {
    std::erase(status_writes_waiting_, StatusTarget{ResourceKind::kGitDestination, in.key});
  }
  if (rec.resync.waiting()) std::erase(lists_waiting_, in.key);
  destination_slots_.Remove(rec.slot);
  records_by_key_.erase(in.key);
  destinations_.erase(it);
}

// ---- Writes ---------------------------------------------------------------------------------

void Controller::OnObjectChanged(const ObjectChanged& in, absl::Time now) {
  // Sent by an informer since stopped: what it says of the object is stale (no delete
  // will follow it), and if the type is watched again the new informer lists it anew.
  if (!Watches(in.object)) return;
  ConfirmListedAhead(in);
  if (!RecordVersion(in)) return;  // a duplicate (a relist) or a late event
  // Only discovered types are watched (WatchedTypes expands rules against discovery).
  for (const ObjectKey* destination : rules_.DestinationsRouted(in.object, in.op)) {
    Capture(*destination, in.object, in.op, in.content, in.user, now);  // changes no rule
  }
}

ResourceTypeInfo Controller::TypeOf(const ResourceId& object) const {
  if (const ResourceTypeInfo* discovered = rules_.DiscoveredType(object)) return *discovered;
  // Not (yet) discovered: its namespace tells its scope; taken as the preferred version.
  return ResourceTypeInfo{
      {object.group, object.version, object.resource}, "", !object.namespace_.empty(), true};
}

bool Controller::Captures(const ObjectKey& destination, const ResourceId& object,
                          ChangeOp op) const {
  return rules_.Captures(destination, TypeOf(object), object.namespace_, op);
}

// ---- Watch rules and discovery ---------------------------------------------------------------

void Controller::OnWatchRuleObserved(const WatchRuleObserved& in, absl::Time now) {
  const WatchRule* known = rules_.Find(in.rule.key);
  if (known != nullptr && ResourceVersionOlder(in.rule.resource_version, known->resource_version)) {
    return;
  }
  // Deleted and created again while the delete event was lost: another object, whose
  // status is empty whatever the old one's was (what was written to it is no guide).
  // The rule index takes the new spec as any update's.
  if (known != nullptr && IsAnotherObject(known->uid, in.rule.uid)) {
    EraseOwnedStatus(
        in.rule.IsClusterRule() ? ResourceKind::kClusterWatchRule : ResourceKind::kWatchRule,
        in.rule.key);
  }
  const bool captures_alike = known != nullptr && SameCapture(*known, in.rule);
  ObserveRuleStatus(in.rule, !captures_alike || known->generation != in.rule.generation);
  // A rule added or widened: objects that already exist must reach its destination
  // without waiting for a change of theirs. A resync in flight lists the old selectors.
  for (const ObjectKey& grown : rules_.Upsert(in.rule)) {
    DestinationRecord* rec = FindRecord(grown);
    if (rec == nullptr) continue;
    ResyncAnew(*rec);  // a list in flight lists by the old selectors
    ReconcileSoon(*rec, now);
  }
  if (!captures_alike) UpdateWatches();  // the types watched follow what rules capture
}

void Controller::OnWatchRuleDeleted(const WatchRuleDeleted& in) {
  // Narrowing writes nothing: files of objects no longer captured stay as they were.
  if (!rules_.Erase(in.key)) return;
  EraseOwnedStatus(
      in.key.namespace_.empty() ? ResourceKind::kClusterWatchRule : ResourceKind::kWatchRule,
      in.key);
  UpdateWatches();
}

void Controller::OnResourceTypesDiscovered(const ResourceTypesDiscovered& in) {
  rules_.Discover(in.types);
  UpdateWatches();
}

void Controller::UpdateWatches() {
  std::set<GroupVersionResource> types = rules_.WatchedTypes();
  if (watched_ == types) return;
  // A type no longer watched delivers no deletes: what is known of its objects would go
  // stale and keep their files from a later resync's cleanup. Forget it; the informer
  // lists what is alive if the type is watched again.
  const auto unwatched = [&](const auto& entry) {
    const ResourceId& id = entry.first;
    return !types.contains(GroupVersionResource{id.group, id.version, id.resource});
  };
  absl::erase_if(object_versions_, unwatched);
  std::erase_if(listed_ahead_, unwatched);
  // Not a write: a standby watches too, so that its cache is warm when it takes over.
  effects_.push_back(EnsureWatches{std::vector<GroupVersionResource>(types.begin(), types.end())});
  watched_ = std::move(types);
}

void Controller::Capture(const ObjectKey& destination, const ResourceId& resource, ChangeOp op,
                         const std::string& content, const std::string& author, absl::Time now) {
  // A standby writes nothing; the leader it may become resyncs every destination.
  if (!active()) return;
  DestinationRecord* found = FindRecord(destination);
  if (found == nullptr || !found->worker) {
    // Not admitted (missing, invalid or in conflict): the change is not accepted. The
    // resync on admission (ResyncDestination) writes the object once it is.
    Emit(RecordEvent{destination, "ChangeNotWritten",
                     absl::StrCat(CommitMessage(op, resource),
                                  ": destination is not ready; written on its next resync")});
    return;
  }
  DestinationRecord& rec = *found;
  absl::StatusOr<std::string> path = ResourcePathInNormalFolder(rec.target->base_folder, resource);
  if (!path.ok()) {
    Emit(RecordEvent{destination, "InvalidObject", std::string(path.status().message())});
    return;
  }
  const std::string& base = rec.target->base_folder;
  GITDEST_ASSERT(path->starts_with(base));
  GITDEST_ASSERT(path->size() > base.size());
  GITDEST_ASSERT((*path)[base.size()] == '/');
  std::string message = CommitMessageOfPath(op, base, *path);
  rec.worker->Enqueue(FileChange{*std::move(path), op, op == ChangeOp::kDelete ? "" : content,
                                 std::move(message), author, destination},
                      now);
  ServiceWorker(*rec.worker, now);
}

void Controller::OnObjectsListed(const ObjectsListed& in, absl::Time now) {
  const StatusTarget owner{ResourceKind::kGitDestination, in.destination};
  const std::optional<Answered> answered = requests_.Answer(in.request, RequestKind::kList, &owner);
  if (!answered) return;  // late, or given up on
  DestinationRecord& rec = RecordAt(answered->owner_slot, in.destination);
  std::set<std::string> queued = rec.resync.Answered();
  if (!in.objects.ok() || !in.files.ok()) {
    timers_.SetNoLaterThan(DestinationTimer(rec), now + options_.resync_retry_delay);
    return;  // still needed: the next reconcile asks again
  }
  if (rec.worker) {
    rec.resync.Done();
    for (const CapturedObject& object : *in.objects) {
      // Only what its rules capture; never over a newer event.
      if (!Captures(in.destination, object.resource, ChangeOp::kUpdate)) continue;
      if (NewerThanListed(object)) continue;
      NoteListedAhead(object);
      Capture(in.destination, object.resource, ChangeOp::kUpdate, object.content, object.author,
              now);
    }
    queued.insert(in.files->begin(), in.files->end());
    DeleteOrphans(rec, *in.objects, std::move(queued), now);
  }  // else: no longer admitted; its next admission resyncs it
  PruneTombstones();
}

// Files in the destination's folder that name an object the cluster does not have: its
// delete was lost (a crash drops the queue), came while the destination was not
// admitted, or the folder moved over older files. Deleting them keeps the branch true to
// the cluster; a file gitdest does not write (no object's path) is left alone, and so is
// one of an object its rules do not capture deletes of (a narrowed rule), and one the
// watch reports alive (created after the list, or its delete is still on its way).
// Writes queued or in flight when the resync was asked for land before these deletes, so
// the paths they create in the folder (another destination's, from before this one owned
// it) count as files even if the listing predates them.
void Controller::DeleteOrphans(DestinationRecord& rec, const std::vector<CapturedObject>& objects,
                               std::set<std::string> files, absl::Time now) {
  const std::string& base = rec.target->base_folder;
  std::set<std::string> live;
  for (const CapturedObject& object : objects) {
    if (absl::StatusOr<std::string> path = ResourcePathInNormalFolder(base, object.resource);
        path.ok()) {
      live.insert(*std::move(path));
    }
  }
  bool deleted = false;
  for (const std::string& file : files) {
    const std::optional<ResourceId> id = ParseResourcePath(base, file);
    if (!id) continue;
    // x.sops.yaml → x.yaml
    const absl::StatusOr<std::string> path = ResourcePathInNormalFolder(base, *id);
    if (!path.ok() || live.contains(*path)) continue;
    if (!Captures(rec.destination.key, *id, ChangeOp::kDelete)) continue;
    if (auto known = object_versions_.find(*id);
        known != object_versions_.end() && !known->second.deleted) {
      continue;
    }
    rec.worker->Enqueue(
        FileChange{file, ChangeOp::kDelete, "", CommitMessage(ChangeOp::kDelete, *id),
                   kResyncAuthor, rec.destination.key},
        now);
    deleted = true;
  }
  if (deleted) ServiceWorker(*rec.worker, now);
}

void Controller::ServiceWorker(BranchWorker& worker, absl::Time now) {
  // A port that never answers must not wedge a branch: past the deadline, fail the
  // request as its port would have. Its late answer then matches no request.
  // Found by the ids the worker knows (the registry holds the same, an invariant): no key
  // is compared on this path, which every change and answer takes.
  if (const Request* read =
          requests_.Overdue(RequestKind::kMetadataRead, worker.read_request().value_or(0), now,
                            options_.read_timeout)) {
    OnMetadataFetched(MetadataFetched{read->id, absl::DeadlineExceededError(absl::StrCat(
                                                    "no answer from the remote within ",
                                                    absl::FormatDuration(options_.read_timeout)))},
                      now);
    return;  // OnMetadataFetched serviced the worker again
  }
  if (const Request* push = requests_.Overdue(RequestKind::kPush, worker.push_request().value_or(0),
                                              now, options_.push_timeout)) {
    OnPushCompleted(PushCompleted{push->id, absl::DeadlineExceededError(absl::StrCat(
                                                "push not answered within ",
                                                absl::FormatDuration(options_.push_timeout)))},
                    now);
    return;
  }
  if (std::optional<PushStart> start = worker.MaybeStartPush(now, ids_)) {
    if (auto* push = std::get_if<PushBatch>(&*start)) {
      requests_.Sent(push->request, RequestKind::kPush, worker.key(), now, worker.slot());
      Emit(std::move(*push));
    } else {
      AskRead(worker, now);  // the tip, which the batch must be built on
    }
  }
  if (worker.TakeResyncAll()) {
    // What the branch holds under its destinations' folders may not be theirs (see
    // TakeResyncAll). Level-based recovery: each lists and writes its objects again.
    for (const ObjectKey& dest : worker.destinations()) {
      DestinationRecord& rec = RecordOf(dest);
      ResyncAnew(rec);  // a list in flight may predate what the branch holds now
      ReconcileSoon(rec, now);
    }
  }
  ScheduleWorker(worker, now);
  RetireIfUnused(worker, now);
}

void Controller::RetireIfUnused(BranchWorker& worker, absl::Time now) {
  if (worker.InUse()) return;
  // Its branch leaves its GitRepoConfig's status.
  MarkStatusDue(ResourceKind::kGitRepoConfig, worker.key().repo_config);
  // Answers to its requests will find no worker: forget them now, and a read still
  // waiting is never sent.
  requests_.ForgetOwner(worker.key());
  if (worker.read_waiting()) std::erase(reads_waiting_, worker.key());
  timers_.Cancel(WorkerTimer(worker));
  const bool retired = workers_.RetireIfUnused(worker, now);
  GITDEST_ASSERT(retired);
}

void Controller::ScheduleWorker(const BranchWorker& worker, absl::Time now) {
  if (absl::Time wake = worker.NextWakeAt(); wake != absl::InfiniteFuture()) {
    timers_.Set(WorkerTimer(worker), std::max(wake, now + absl::Nanoseconds(1)));
  } else {
    timers_.Cancel(WorkerTimer(worker));
  }
}

void Controller::AskRead(BranchWorker& worker, absl::Time now) {
  GITDEST_ASSERT(worker.read_waiting());
  if (reads_waiting_.empty() &&
      requests_.CountInFlight(RequestKind::kMetadataRead) < read_slots()) {
    return SendRead(worker, now);
  }
  // Its destinations wait with it; its TTL and deadline start when it is sent.
  reads_waiting_.push_back(worker.key());
}

void Controller::SendRead(BranchWorker& worker, absl::Time now) {
  FetchMetadata read = worker.SendRead(now, ids_);
  requests_.Sent(read.request, RequestKind::kMetadataRead, worker.key(), now, worker.slot());
  Emit(std::move(read));
  ScheduleWorker(worker, now);  // the read's deadline
}

void Controller::SendWaitingReads(absl::Time now) {
  while (!reads_waiting_.empty() &&
         requests_.CountInFlight(RequestKind::kMetadataRead) < read_slots()) {
    BranchWorker* worker = workers_.Find(reads_waiting_.front());
    reads_waiting_.pop_front();
    GITDEST_ASSERT(worker != nullptr);  // a retired worker left the queue
    SendRead(*worker, now);
  }
}

BranchWorker* Controller::TakeRequest(RequestId request, RequestKind kind) {
  const Request* in_flight = requests_.Find(request, kind);
  if (in_flight == nullptr) return nullptr;  // from an earlier incarnation or term, or duplicated
  BranchWorker* worker = workers_.AtSlot(in_flight->owner_slot);
  // A retired worker's requests are forgotten, so its slot still holds it.
  GITDEST_ASSERT(worker != nullptr && worker->key() == std::get<WorkerKey>(in_flight->owner));
  requests_.Answer(request, kind);  // no longer in flight (`in_flight` is gone with it)
  return worker;
}

void Controller::ResyncAnew(DestinationRecord& rec) {
  rec.resync.NeedAnew();
  requests_.Forget(RequestKind::kList,
                   StatusTarget{ResourceKind::kGitDestination, rec.destination.key});
}

// ---- Results --------------------------------------------------------------------------------

void Controller::OnMetadataFetched(const MetadataFetched& in, absl::Time now) {
  BranchWorker* worker = TakeRequest(in.request, RequestKind::kMetadataRead);
  if (worker == nullptr) return;
  BranchWorker::ReadOutcome outcome;
  AnsweredOn(*worker, [&] { outcome = worker->OnMetadataFetched(in.request, in.result); });
  for (const ObjectKey& waiter : outcome.waiters) {
    DestinationRecord* rec = FindRecord(waiter);
    if (rec == nullptr || rec->worker != worker) continue;
    Complete(*rec, outcome.answer, *worker, now);
  }
  ServiceWorker(*worker, now);
}

void Controller::OnPushCompleted(const PushCompleted& in, absl::Time now) {
  BranchWorker* worker = TakeRequest(in.request, RequestKind::kPush);
  if (worker == nullptr) return;
  const bool was_failing = !worker->last_push_error().ok();
  std::set<ObjectKey> touched;
  AnsweredOn(*worker, [&] { touched = worker->OnPushCompleted(in.request, in.result, now); });
  if (was_failing != !worker->last_push_error().ok()) touched = worker->destinations();
  // Show the new commit (or the push error) in the status of those it concerns; the
  // cache was refreshed by the push, so this reads nothing.
  for (const ObjectKey& dest : touched) ReconcileSoon(dest, now);
  ServiceWorker(*worker, now);
}

void Controller::OnStatusWritten(const StatusWritten& in, absl::Time now) {
  if (in.target.kind != ResourceKind::kGitDestination) return OnOwnedStatusWritten(in, now);
  // Not the write in flight (a late answer to one given up on, or of another term): ignored.
  const std::optional<Answered> answered =
      requests_.Answer(in.request, RequestKind::kStatusWrite, &in.target);
  if (!answered) return;
  DestinationRecord& rec = RecordAt(answered->owner_slot, in.target.key);
  switch (rec.status_write.OnWritten(in.resource_version, rec.destination.resource_version)) {
    case WriteAnswer::kFailed:
      // Unknown now: write again after a pause. On a conflict (409) the watch brings the
      // object's newer resourceVersion meanwhile, and the next write is conditional on it.
      timers_.SetNoLaterThan(DestinationTimer(rec), now + options_.status_write_retry_delay);
      return;
    case WriteAnswer::kConfirmed:
      return;
    case WriteAnswer::kConfirmedAskedSince:
      PublishStatus(rec);  // written again if it changed meanwhile
      return;
  }
}

void Controller::OnRestarted(const ControllerRestarted& in) {
  // Memory is lost; the adapter re-lists the cluster and everything is decided anew.
  ids_ = RequestIds(in.epoch);
  synced_ = false;
  leader_ = false;
  repo_configs_.clear();
  resolved_repos_.clear();
  rules_ = RuleIndex(rules_.options());
  watched_.reset();
  object_versions_.clear();
  listed_ahead_.clear();
  destinations_.clear();
  destination_slots_ = {};
  records_by_key_.clear();
  verdicts_serials_ = 0;
  groups_.clear();
  workers_ = WorkerManager(options_);
  requests_.Clear();
  reads_waiting_.clear();
  status_writes_waiting_.clear();
  lists_waiting_.clear();
  timers_ = TimerQueue();
  status_write_deadline_of_ = list_deadline_of_ = 0;
  config_statuses_.clear();
  rule_statuses_.clear();
  statuses_due_.clear();
  statuses_unsettled_.clear();
}

// ---- Leadership ----------------------------------------------------------------------------

void Controller::OnLeaseAcquired(absl::Time now) {
  if (leader_) return;
  leader_ = true;
  // Everything is decided anew: every destination reconciles, attaches to its worker and
  // resyncs, so whatever the previous leader had queued is written from the cluster.
  for (auto& [key, rec] : destinations_) ReconcileSoon(rec, now);
  // A push the previous leader sent before it stopped may still land, on a tip nobody
  // moved since, after the resync above listed the branch: a file it creates for an
  // object deleted meanwhile would stay. Every such push has landed or failed within
  // push_timeout of now (it was sent before the previous leader's renew deadline, which
  // passed before this replica could take the Lease): from then on, every destination
  // resyncs once more at its next reconcile.
  timers_.Set(kTakeoverResyncTimer, now + options_.push_timeout);
}

// Spread over the requeue interval, not all at once: a file left by a late push is rare,
// and a takeover of thousands of destinations would otherwise list them all twice in a row.
void Controller::ResyncAfterTakeover() {
  for (auto& [key, rec] : destinations_) ResyncAnew(rec);
}

void Controller::OnLeaseLost(absl::Time now) {
  if (!leader_) return;
  leader_ = false;
  DropWork(now);
}

void Controller::DropWork(absl::Time now) {
  for (auto& [key, rec] : destinations_) {
    rec.worker = nullptr;
    rec.awaiting_metadata = false;
    rec.status_write.Forget();  // whatever a write in flight did, the next leader writes anew
    rec.resync.Forget();
  }
  ForgetOwnedWrites();
  workers_ = WorkerManager(options_);
  requests_.Clear();  // a late answer of the lost term acts on nothing
  reads_waiting_.clear();
  status_writes_waiting_.clear();  // each one's StatusWrite and Resync forgot it waits, above
  lists_waiting_.clear();
  timers_ = TimerQueue();
  status_write_deadline_of_ = list_deadline_of_ = 0;
  for (auto& [key, rec] : destinations_) ReconcileSoon(rec, now);
}

}  // namespace gitdest::core
