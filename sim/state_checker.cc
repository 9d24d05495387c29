#include "sim/state_checker.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "core/conditions.h"
#include "core/naming/base_folder.h"
#include "core/naming/repo_url.h"
#include "core/overloaded.h"

namespace gitdest::sim {
namespace {

using core::ConditionStatus;

std::string RepositoryOf(const std::string& url) {
  absl::StatusOr<std::string> identity = core::RepoIdentity(url);
  return identity.ok() ? *identity : url;
}

bool IsTrue(const std::vector<core::Condition>& conditions, const char* type) {
  const core::Condition* c = core::FindCondition(conditions, type);
  return c != nullptr && c->status == ConditionStatus::kTrue;
}

// What kstatus reads into conditions, for every status of every kind: Stalled means a
// human must act, so nothing is Ready or still Reconciling then; anything not Ready says
// why; each condition type appears once, in order.
// `target` is named only in a failure: spelling it out for every status checked cost
// more than the checks.
absl::Status CheckConditionsMean(const std::vector<core::Condition>& conditions,
                                 const core::StatusTarget& target) {
  auto what = [&] { return target.ToString(); };
  for (size_t i = 1; i < conditions.size(); ++i) {
    if (!(conditions[i - 1].type < conditions[i].type)) {
      return absl::InternalError(absl::StrCat(what(), ": conditions repeat or are out of order"));
    }
  }
  const core::Condition* ready = core::FindCondition(conditions, core::kConditionReady);
  if (ready == nullptr) return absl::InternalError(absl::StrCat(what(), ": no Ready condition"));
  if (IsTrue(conditions, core::kConditionStalled) &&
      (ready->status == ConditionStatus::kTrue ||
       IsTrue(conditions, core::kConditionReconciling))) {
    return absl::InternalError(
        absl::StrCat("kstatus: ", what(), " is Stalled yet Ready or Reconciling"));
  }
  if (ready->status != ConditionStatus::kTrue &&
      (ready->reason.empty() || ready->message.empty())) {
    return absl::InternalError(
        absl::StrCat("kstatus: ", what(), " is not Ready and does not say why"));
  }
  return absl::OkStatus();
}

// Whether `text` holds a URL with a password (`scheme://user:secret@host`): what must
// never reach an effect, a status, an event or a trace.
bool CarriesCredential(absl::string_view text) {
  for (size_t at = text.find("://"); at != absl::string_view::npos; at = text.find("://", at + 3)) {
    const absl::string_view authority =
        text.substr(at + 3, text.find_first_of("/ \"'", at + 3) - at - 3);
    const size_t user_end = authority.rfind('@');
    if (user_end != absl::string_view::npos &&
        authority.substr(0, user_end).find(':') != absl::string_view::npos) {
      return true;
    }
  }
  return false;
}

absl::Status NoCredential(absl::string_view text, absl::string_view where) {
  if (!CarriesCredential(text)) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("a credential reached ", where));
}

const std::vector<core::Condition>& ConditionsOf(const core::ResourceStatus& status) {
  return std::visit(
      [](const auto& s) -> const std::vector<core::Condition>& { return s.conditions; }, status);
}

}  // namespace

absl::Status StateChecker::AtMostOneLeader(const std::vector<const core::Controller*>& replicas) {
  const auto leaders = std::count_if(replicas.begin(), replicas.end(),
                                     [](const core::Controller* c) { return c->leader(); });
  if (leaders <= 1) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat("invariant 8 (one leader): ", leaders, " replicas hold the lease at once"));
}

int StateChecker::PushAttemptsPerMinuteBound(const core::ControllerOptions& o) {
  const double doublings =
      std::ceil(std::log2(absl::FDivDuration(absl::Minutes(1), o.push_retry_delay_min) + 1));
  return o.push_conflict_retries + 1 + 2 * (static_cast<int>(doublings) + 1);
}

absl::Status StateChecker::Step(absl::Time now, const core::Input& input,
                                const core::Controller& controller, const core::Output& output) {
  Observe(now, input);
  if (cadence_.Due(output)) {
    if (absl::Status s = controller.CheckInvariants(); !s.ok()) return s;
  }
  const auto writes =
      std::count_if(output.effects.begin(), output.effects.end(), [](const auto& e) {
        return !std::holds_alternative<core::EnsureWatches>(e);  // watching is not writing
      });
  if (!leader_ && writes > 0) {
    return absl::InternalError(absl::StrCat("invariant 8 (only the leader writes): ", writes,
                                            " effects emitted without the lease"));
  }
  // A reconcile finishes with a RequeueAfter. Only the state after the step is visible,
  // so a destination the step finished twice is checked once, as it was left (in key
  // order; pointers into the effects, not copies of the keys).
  absl::InlinedVector<const core::ObjectKey*, 8> finished;
  for (const core::Effect& effect : output.effects) {
    if (absl::Status s = CheckEffect(now, effect, controller); !s.ok()) return s;
    if (const auto* requeue = std::get_if<core::RequeueAfter>(&effect)) {
      finished.push_back(&requeue->destination);
    }
  }
  auto by_key = [](const core::ObjectKey* a, const core::ObjectKey* b) { return *a < *b; };
  auto same_key = [](const core::ObjectKey* a, const core::ObjectKey* b) { return *a == *b; };
  std::sort(finished.begin(), finished.end(), by_key);
  finished.erase(std::unique(finished.begin(), finished.end(), same_key), finished.end());
  for (const core::ObjectKey* key : finished) {
    auto it = controller.destinations().find(*key);
    if (it == controller.destinations().end()) continue;
    if (absl::Status s = CheckReconciled(now, it->second, controller); !s.ok()) return s;
  }
  absl::Status in_flight =
      CheckInFlight("reads", "max_reads_in_flight", reads_, controller.read_slots(), controller);
  if (in_flight.ok()) {
    in_flight = CheckInFlight("status writes", "max_status_writes_in_flight", status_writes_,
                              controller.status_write_slots(), controller);
  }
  if (in_flight.ok()) {
    in_flight =
        CheckInFlight("lists", "max_lists_in_flight", lists_, controller.list_slots(), controller);
  }
  return in_flight;
}

bool WalkCadence::Due(const core::Output& output) {
  const bool quiet = output.effects.empty() && output.wake_at == last_wake_at_;
  last_wake_at_ = output.wake_at;
  if (walk_ == InvariantWalk::kEveryStep || !quiet || ++quiet_steps_ == kMaxQuietSteps) {
    quiet_steps_ = 0;
    return true;
  }
  return false;
}

// The core bounds the requests of each kind its ports work on at once, as production runs
// that many threads: reads (max_reads_in_flight), so that no read waits for a thread and
// times out unstarted; status writes (max_status_writes_in_flight), so that no write
// times out unsent and is issued again while it still waits; resync lists
// (max_lists_in_flight). `sent` holds those the effects and answers tell are in flight,
// each with its deadline. One given up on with its owner (a retired worker, a deleted
// object, a write replaced when overdue, a destination listing anew) frees its slot at
// once; its answer, if any, is ignored.
absl::Status StateChecker::CheckInFlight(const char* what, const char* bound,
                                         std::map<core::RequestId, absl::Time>& sent, size_t slots,
                                         const core::Controller& controller) {
  std::erase_if(
      sent, [&](const auto& request) { return !controller.requests().Contains(request.first); });
  if (sent.size() > slots) {
    return absl::InternalError(absl::StrCat(what, " in flight: ", sent.size(),
                                            " sent and unanswered, above ", bound, " (", slots,
                                            ")"));
  }
  return absl::OkStatus();
}

// The term ended (the lease was lost, or the process restarted): what it sent and read is
// forgotten, by the core as here.
void StateChecker::EndTerm() {
  leader_ = false;
  last_read_start_.clear();
  reads_.clear();
  status_writes_.clear();
  lists_.clear();
  pushes_.clear();
  streaks_.clear();
}

// What the inputs tell: the lease, the types discovered, every folder a destination was
// given, the answers to pushes. A restart or a new term starts memory afresh.
void StateChecker::Observe(absl::Time now, const core::Input& input) {
  // Past its deadline the core has given up on a read, and the port has too.
  std::erase_if(reads_, [&](const auto& read) { return now >= read.second; });
  std::erase_if(status_writes_, [&](const auto& write) { return now >= write.second; });
  std::erase_if(lists_, [&](const auto& list) { return now >= list.second; });
  for (auto it = pushes_.begin(); it != pushes_.end();) {
    if (now < it->second.deadline) {
      ++it;
      continue;
    }
    streaks_[it->second.worker].refused_for_auth = false;  // given up: a timeout, not auth
    it = pushes_.erase(it);
  }
  std::visit(core::Overloaded{
                 [&](const core::LeaseAcquired&) { leader_ = true; },
                 [&](const core::LeaseLost&) { EndTerm(); },
                 [&](const core::ControllerRestarted&) {
                   EndTerm();
                   last_finished_.clear();  // a new process reports afresh
                 },
                 [&](const core::ResourceTypesDiscovered& in) {
                   discovered_.clear();
                   for (const core::ResourceTypeInfo& type : in.types) discovered_.insert(type.gvr);
                 },
                 [&](const core::DestinationObserved& in) {
                   FoldersEver& ever = folders_ever_[in.destination.key];
                   const std::string& spelled = in.destination.spec.base_folder;
                   if (!ever.spelled.insert(spelled).second) return;  // normalized before
                   absl::StatusOr<std::string> folder = core::NormalizeBaseFolder(spelled);
                   if (folder.ok()) ever.normalized.insert(*std::move(folder));
                 },
                 [&](const core::DestinationDeleted& in) { last_finished_.erase(in.key); },
                 [&](const core::MetadataFetched& in) { reads_.erase(in.request); },
                 [&](const core::StatusWritten& in) { status_writes_.erase(in.request); },
                 [&](const core::ObjectsListed& in) { lists_.erase(in.request); },
                 [&](const core::PushCompleted& in) {
                   auto it = pushes_.find(in.request);
                   if (it == pushes_.end()) return;
                   PushStreak& streak = streaks_[it->second.worker];
                   pushes_.erase(it);
                   if (in.result.ok() && in.result->outcome == core::PushResult::Outcome::kPushed) {
                     streak = PushStreak{};
                   } else {
                     streak.refused_for_auth =
                         !in.result.ok() && core::IsAuthError(in.result.status());
                   }
                 },
                 [](const auto&) {},
             },
             input);
}

absl::Status StateChecker::CheckEffect(absl::Time now, const core::Effect& effect,
                                       const core::Controller& controller) {
  if (const auto* read = std::get_if<core::FetchMetadata>(&effect)) {
    if (absl::Status s = NoCredential(read->remote.url, "a read's URL"); !s.ok()) return s;
    return CheckRead(now, *read, controller);
  }
  if (const auto* push = std::get_if<core::PushBatch>(&effect)) {
    if (absl::Status s = NoCredential(push->remote.url, "a push's URL"); !s.ok()) return s;
    return CheckPush(now, *push, controller);
  }
  if (const auto* resync = std::get_if<core::ResyncDestination>(&effect)) {
    lists_[resync->request] = now + resync->timeout;
    return NoCredential(resync->remote.url, "a resync's URL");
  }
  if (const auto* event = std::get_if<core::RecordEvent>(&effect)) {
    return NoCredential(event->message, "an event");
  }
  if (const auto* ensure = std::get_if<core::EnsureWatches>(&effect)) return CheckWatches(*ensure);
  if (const auto* write = std::get_if<core::WriteStatus>(&effect)) {
    status_writes_[write->request] = now + controller.options().api_timeout;
    for (const core::Condition& c : ConditionsOf(write->status)) {
      if (absl::Status s = NoCredential(c.message, "a status message"); !s.ok()) return s;
    }
    return CheckConditionsMean(ConditionsOf(write->status), write->target);
  }
  if (const auto* requeue = std::get_if<core::RequeueAfter>(&effect)) {
    const core::ControllerOptions& o = controller.options();
    const absl::Duration longest =
        std::max({o.requeue_interval * (1 + o.requeue_jitter_fraction), o.invalid_spec_requeue,
                  std::max(o.read_retry_delay_max, o.metadata_cache_ttl)});
    if (requeue->delay < absl::ZeroDuration() || requeue->delay > longest) {
      return absl::InternalError(absl::StrCat(
          requeue->destination.ToString(), " requeued after ", absl::FormatDuration(requeue->delay),
          ", outside [0, ", absl::FormatDuration(longest), "]"));
    }
  }
  return absl::OkStatus();
}

// Invariant 2: one read per branch per TTL, per repository the worker reads (a
// GitRepoConfig re-pointed names another branch, which must be read anew).
absl::Status StateChecker::CheckRead(absl::Time now, const core::FetchMetadata& read,
                                     const core::Controller& controller) {
  const std::pair<core::WorkerKey, std::string> branch{
      {read.remote.repo_config, read.remote.branch}, RepositoryOf(read.remote.url)};
  auto last = last_read_start_.find(branch);
  if (last != last_read_start_.end() &&
      now - last->second < controller.options().metadata_cache_ttl) {
    return absl::InternalError(absl::StrCat(
        "invariant 2 (one read per TTL): ", branch.first.ToString(), " (", branch.second,
        ") read again after ", absl::FormatDuration(now - last->second)));
  }
  last_read_start_[branch] = now;
  reads_[read.request] = now + read.timeout;
  return absl::OkStatus();
}

// Invariant 5 (only its own folders), batch limits, and a bounded push rate while no push
// lands.
absl::Status StateChecker::CheckPush(absl::Time now, const core::PushBatch& push,
                                     const core::Controller& controller) {
  for (const core::FileChange& change : push.changes) {
    bool inside = false;
    for (const std::string& folder : folders_ever_[change.destination].normalized) {
      inside |= change.path.size() > folder.size() && change.path.starts_with(folder) &&
                change.path[folder.size()] == '/';
    }
    if (!inside) {
      return absl::InternalError(absl::StrCat("invariant 5 (own folder): ", change.path,
                                              " pushed for ", change.destination.ToString()));
    }
  }
  const core::WorkerKey key{push.remote.repo_config, push.remote.branch};
  if (const core::BranchWorker* worker = controller.workers().Find(key)) {
    const core::PushSettings& limits = worker->remote().push;
    int64_t bytes = 0;
    for (const core::FileChange& c : push.changes) bytes += c.content.size() + c.path.size();
    const int64_t count = static_cast<int64_t>(push.changes.size());
    if (count > limits.max_commits || (count > 1 && bytes > limits.max_bytes)) {
      return absl::InternalError(absl::StrCat(
          "batch limits: a push of ", count, " changes, ", bytes, " bytes, on ", key.ToString(),
          " (spec.push.maxCommits ", limits.max_commits, ", maxBytes ", limits.max_bytes, ")"));
    }
  }
  pushes_[push.request] = PushInFlight{key, now + push.timeout};
  std::deque<absl::Time>& attempts = streaks_[key].attempts;
  attempts.push_back(now);
  while (attempts.front() <= now - absl::Minutes(1)) attempts.pop_front();
  const int bound = PushAttemptsPerMinuteBound(controller.options());
  if (static_cast<int>(attempts.size()) > bound) {
    return absl::InternalError(absl::StrCat("push rate: ", attempts.size(), " pushes of ",
                                            key.ToString(), " within a minute without one landing",
                                            " (at most ", bound, ")"));
  }
  return absl::OkStatus();
}

absl::Status StateChecker::CheckWatches(const core::EnsureWatches& ensure) const {
  const bool sorted =
      std::is_sorted(ensure.types.begin(), ensure.types.end()) &&
      std::adjacent_find(ensure.types.begin(), ensure.types.end()) == ensure.types.end();
  const bool known = std::all_of(ensure.types.begin(), ensure.types.end(),
                                 [&](const auto& gvr) { return discovered_.contains(gvr); });
  if (!sorted || !known) {
    return absl::InternalError(
        "EnsureWatches names a type twice, out of order, or one not discovered");
  }
  return absl::OkStatus();
}

}  // namespace gitdest::sim
