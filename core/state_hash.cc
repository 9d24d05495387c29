// Controller::StateHash: a digest of the whole state, for the determinism check and
// trace replay. A StableHasher over a canonical encoding that is derived field by field:
// every state type has a StateFields specialization whose structured binding names all
// of its fields, so a field added and not hashed fails the build. Strings are
// length-prefixed, containers size-prefixed, times Unix nanoseconds; only ordered
// containers are iterated, and a pointer is hashed as the name of what it points at
// (a key), never as an address. Linear in the size of the state.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <ranges>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/controller.h"
#include "core/stable_hash.h"
#include "core/state_fields.h"

namespace gitdest::core {
namespace {

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};

template <class T>
struct IsVariant : std::false_type {};
template <class... T>
struct IsVariant<std::variant<T...>> : std::true_type {};

template <class T>
struct IsPair : std::false_type {};
template <class A, class B>
struct IsPair<std::pair<A, B>> : std::true_type {};

// A hash map or set: its iteration order differs between processes.
template <class T>
concept Unordered = requires {
  typename T::hasher;
};

using GroupKey = std::pair<std::string, std::string>;  // Controller::Group

// Feeds values into a StableHasher in a canonical encoding. Scalars and containers are
// encoded here; a struct or class by its StateFields specialization.
class Encoder {
 public:
  template <class... T>
  void operator()(const T&... values) {
    (Add(values), ...);
  }
  uint64_t value() const { return hasher_.Finish()[0]; }

  // A GroupState is named by its key in Controller::groups_, which it does not hold.
  void NameGroups(const std::map<GroupKey, GroupState>& groups) {
    for (const auto& [key, group] : groups) group_keys_.emplace(&group, &key);
  }

  void Add(const std::string& s) { hasher_.Add(absl::string_view(s)); }
  void Add(absl::Time t) {
    const int64_t tag = t == absl::InfinitePast() ? 1 : t == absl::InfiniteFuture() ? 2 : 0;
    Add(tag);
    if (tag == 0) Add(absl::ToUnixNanos(t));
  }
  void Add(absl::Duration d) {
    const int64_t tag = d == absl::InfiniteDuration() ? 1 : d == -absl::InfiniteDuration() ? 2 : 0;
    Add(tag);
    if (tag == 0) Add(absl::ToInt64Nanoseconds(d));
  }
  void Add(const absl::Status& s) {
    Add(static_cast<int>(s.code()));
    hasher_.Add(s.message());
  }
  template <class T>
  void Add(const T& v) {
    static_assert(!Unordered<T>, "hash an unordered container through its ordered source");
    if constexpr (std::is_enum_v<T> || std::is_integral_v<T>) {
      hasher_.Add(static_cast<uint64_t>(v));
    } else if constexpr (std::is_floating_point_v<T>) {
      hasher_.Add(std::bit_cast<uint64_t>(static_cast<double>(v)));
    } else if constexpr (std::is_pointer_v<T>) {
      AddPointee(v);
    } else if constexpr (IsOptional<T>::value) {
      Add(v.has_value());
      if (v) Add(*v);
    } else if constexpr (IsVariant<T>::value) {
      Add(v.index());
      std::visit([this](const auto& alternative) { Add(alternative); }, v);
    } else if constexpr (IsPair<T>::value) {
      Add(v.first, v.second);
    } else if constexpr (std::ranges::sized_range<T>) {  // ordered: vector, deque, set, map
      Add(std::ranges::size(v));
      for (const auto& item : v) Add(item);
    } else {
      StateFields<T>::Hash(*this, v);
    }
  }
  template <class T, class... Rest>
  requires(sizeof...(Rest) > 0) void Add(const T& first, const Rest&... rest) {
    Add(first);
    (Add(rest), ...);
  }

 private:
  // Null, or the name of what the pointer points at.
  template <class T>
  void AddPointee(const T* p) {
    Add(p != nullptr);
    if (p != nullptr) Add(NameOf(*p));
  }
  static const WorkerKey& NameOf(const BranchWorker& worker) { return worker.key(); }
  static const ObjectKey& NameOf(const DestinationRecord& rec) { return rec.destination.key; }
  static RequestId NameOf(const Request& request) { return request.id; }
  std::optional<GroupKey> NameOf(const GroupState& group) const {
    auto it = group_keys_.find(&group);  // nullopt: a group the controller does not hold
    return it == group_keys_.end() ? std::nullopt : std::optional<GroupKey>(*it->second);
  }

  StableHasher hasher_;
  absl::flat_hash_map<const GroupState*, const GroupKey*> group_keys_;  // lookups only
};

}  // namespace

// Each specialization lists every field of its type, in declaration order. Types come
// before the types that contain them: a specialization must precede its first use.
#define GITDEST_STATE_FIELDS(Type, ...)                 \
  template <>                                           \
  struct StateFields<Type> {                            \
    static void Hash(Encoder& enc, const Type& value) { \
      const auto& [__VA_ARGS__] = value;                \
      enc(__VA_ARGS__);                                 \
    }                                                   \
  }

// ---- Value types (core/types.h, core/naming, core/watch_rules.h, core/effects.h) ------

GITDEST_STATE_FIELDS(ObjectKey, namespace_, name);
GITDEST_STATE_FIELDS(RequestIds, next);
GITDEST_STATE_FIELDS(PushSettings, interval, max_commits, max_bytes);
GITDEST_STATE_FIELDS(RepoConfigSpec, repo_url, repo_url_had_credentials, allowed_branches,
                     secret_name, push);
GITDEST_STATE_FIELDS(RepoConfig, key, uid, generation, resource_version, spec);
GITDEST_STATE_FIELDS(DestinationSpec, repo_ref, branch, base_folder);
GITDEST_STATE_FIELDS(Destination, key, uid, generation, resource_version, creation_time, spec);
GITDEST_STATE_FIELDS(Condition, type, status, reason, message, observed_generation,
                     last_transition_time);
GITDEST_STATE_FIELDS(DestinationStatus, conditions, observed_generation, branch_exists,
                     last_commit_sha, last_sync_time);
GITDEST_STATE_FIELDS(PullReport::Head, sha, short_name, unborn);
GITDEST_STATE_FIELDS(PullReport, exists_on_remote, head, incoming_changes, history_rewritten);
GITDEST_STATE_FIELDS(BranchInfo, report, read_at);
GITDEST_STATE_FIELDS(RemoteRef, repo_config, url, secret, branch);
GITDEST_STATE_FIELDS(WorkerKey, repo_config, branch);
GITDEST_STATE_FIELDS(FileChange, path, op, content, message, author, destination);
GITDEST_STATE_FIELDS(ResourceId, group, version, resource, namespace_, name);
GITDEST_STATE_FIELDS(GroupVersionResource, group, version, resource);
GITDEST_STATE_FIELDS(ResourceTypeInfo, gvr, kind, namespaced, preferred);
GITDEST_STATE_FIELDS(ResourceRule, operations, api_groups, api_versions, resources, scope);
GITDEST_STATE_FIELDS(WatchRule, key, uid, generation, resource_version, destination_ref, rules);
GITDEST_STATE_FIELDS(CaptureOptions, allow_secrets);
GITDEST_STATE_FIELDS(RuleMatcher, operations, all_groups, groups, versions, version_list,
                     all_resources, resources, reach, namespace_);
GITDEST_STATE_FIELDS(CompiledWatchRule, valid, destination, matchers);
GITDEST_STATE_FIELDS(PushBatch, request, remote, expected_tip, changes, timeout);
GITDEST_STATE_FIELDS(WriteTarget, repo_url, repository, branch, base_folder, identity);
GITDEST_STATE_FIELDS(ControllerOptions, metadata_cache_ttl, read_timeout, push_timeout,
                     read_retry_delay_max, requeue_interval, requeue_jitter_fraction,
                     invalid_spec_requeue, status_write_retry_delay, resync_retry_delay,
                     api_timeout, push_retry_delay_min, push_retry_delay_max, push_conflict_retries,
                     max_pending_changes, max_reads_in_flight, max_status_writes_in_flight,
                     max_lists_in_flight);

// ---- The rule index (core/watch_rules.h) ------------------------------------------------

GITDEST_STATE_FIELDS(RuleIndex::Entry, rule, compiled);
template <>
struct StateFields<RuleIndex> {
  static void Hash(Encoder& enc, const RuleIndex& index) {
    const auto& [options, rules, by_destination, discovered, routes, held] = index;
    // `routes` follow from `rules` and `discovered` (derived; the invariants check that
    // they do); `held` remembers that check.
    enc(options, rules, by_destination, discovered);
  }
};

// ---- Timers and slots ------------------------------------------------------------------

GITDEST_STATE_FIELDS(TimerQueue::Entry, at, id);
// The heap in array order: the same inputs build the same heap.
GITDEST_STATE_FIELDS(TimerQueue, heap, positions);

// Items by the name of what they point at, and the free list in its order (it decides
// the slot the next item gets).
template <class T>
struct StateFields<Slots<T>> {
  static void Hash(Encoder& enc, const Slots<T>& slots) {
    const auto& [items, free] = slots;
    enc(items, free);
  }
};

// ---- Branch workers (core/branch_worker.h, core/worker_manager.h) ----------------------

GITDEST_STATE_FIELDS(Remote, url, secret, push);
GITDEST_STATE_FIELDS(BranchWorker::Sent, request, at);
GITDEST_STATE_FIELDS(BranchWorker::Read, sent, waiters, cacheable);
GITDEST_STATE_FIELDS(BranchWorker::Memory, url, cache, read_not_before, last_read_error,
                     read_failures);

template <>
struct StateFields<BranchWorker> {
  static void Hash(Encoder& enc, const BranchWorker& worker) {
    const auto& [key, slot, remote, options, destinations, cache, read, read_not_before,
                 last_read_error, read_failures, tip, pending, pending_bytes, coalesce_above,
                 first_pending_at, batch, batch_started_at, batch_first_pending_at, push_not_before,
                 last_push_error, push_failures, push_conflicts, resync_all] = worker;
    static_assert(std::is_same_v<decltype(options), const ControllerOptions* const>);
    // `options` points at the controller's own options, hashed with the controller.
    enc(key, slot, remote, destinations, cache, read, read_not_before, last_read_error,
        read_failures);
    enc(tip, pending, pending_bytes, coalesce_above, first_pending_at, batch, batch_started_at,
        batch_first_pending_at, push_not_before, last_push_error, push_failures, push_conflicts,
        resync_all);
  }
};

template <>
struct StateFields<WorkerManager> {
  static void Hash(Encoder& enc, const WorkerManager& manager) {
    const auto& [options, workers, by_key, slots, retired] = manager;
    static_assert(std::is_same_v<decltype(options), const ControllerOptions* const>);
    // `options`: the controller's own, as above; `by_key` indexes `workers` (derived; the
    // invariants check that it does).
    enc(workers, slots, retired);
  }
};

// ---- The controller's records (core/controller.h) --------------------------------------

// Laid out hot fields first (core/controller.h); encoded in the order of their meaning.
template <>
struct StateFields<DestinationRecord> {
  static void Hash(Encoder& enc, const DestinationRecord& rec) {
    const auto& [slot, target_stale, awaiting_metadata, requeue_interval, group, worker,
                 verdict_serial, lost_to, status, status_write, resync, target, destination,
                 worker_key, spec_error] = rec;
    enc(destination, slot, requeue_interval, target, worker_key, group, spec_error, target_stale,
        lost_to, verdict_serial, worker, status, status_write, awaiting_metadata, resync);
  }
};
GITDEST_STATE_FIELDS(Resync, needed_, queued_, waiting_);
GITDEST_STATE_FIELDS(ObjectVersion, uid, resource_version, deleted);
// Members are named by key: each one's record pointer says no more than its key.
template <>
struct StateFields<GroupState> {
  static void Hash(Encoder& enc, const GroupState& value) {
    const auto& [members, verdicts, verdicts_serial, verdicts_claims] = value;
    enc(std::views::keys(members), verdicts, verdicts_serial, verdicts_claims);
  }
};

// ---- Statuses the controller owns (core/status_write.h) --------------------------------

GITDEST_STATE_FIELDS(RepoConfigStatus, conditions, observed_generation, branches_read,
                     branches_existing);
GITDEST_STATE_FIELDS(WatchRuleStatus, conditions, observed_generation);
GITDEST_STATE_FIELDS(StatusTarget, kind, key);

template <class Status>
struct StateFields<StatusWrite<Status>> {
  static void Hash(Encoder& enc, const StatusWrite<Status>& write) {
    const auto& [written, waiting, asked_in_flight] = write;
    enc(written, waiting, asked_in_flight);
  }
};

template <class Status>
struct StateFields<OwnedStatus<Status>> {
  static void Hash(Encoder& enc, const OwnedStatus<Status>& owned) {
    const auto& [generation, resource_version, status, write] = owned;
    enc(generation, resource_version, status, write);
  }
};

// ---- Requests in flight (core/requests.h) ----------------------------------------------

template <>
struct StateFields<Request> {
  static void Hash(Encoder& enc, const Request& request) {
    const auto& [id, kind, owner, sent_at, owner_slot] = request;
    enc(id, kind, owner, sent_at);  // owner_slot follows from owner (the slots are hashed)
  }
};
template <>
struct StateFields<Requests> {
  static void Hash(Encoder& enc, const Requests& requests) {
    const auto& [by_id, by_owner, spares] = requests;
    // Each kind's requests by id, then the owner index (in its order) as names. Spare
    // nodes are no request's: not state.
    for (const auto& of_kind : by_id) {
      enc(of_kind.size());
      for (const auto& [id, request] : of_kind) enc(id, request);
    }
    enc(by_owner);
  }
};

#undef GITDEST_STATE_FIELDS

uint64_t Controller::StateHash() const {
  const auto& [options, ids, last_now, synced, leader, repo_configs, resolved_repos, rules, watched,
               object_versions, listed_ahead, destinations, destination_slots, records_by_key,
               verdicts_serials, groups, workers, requests, reads_waiting, status_writes_waiting,
               lists_waiting, config_statuses, rule_statuses, statuses_due, statuses_unsettled,
               timers, status_write_deadline_of, list_deadline_of, effects] = *this;
  Encoder enc;
  enc.NameGroups(groups);
  enc(options, ids, last_now, synced, leader, repo_configs, rules, watched);
  // A hash map: hashed in key order, encoded as the ordered map it replaced.
  std::vector<const std::pair<const ResourceId, ObjectVersion>*> versions;
  versions.reserve(object_versions.size());
  for (const auto& entry : object_versions) versions.push_back(&entry);
  std::sort(versions.begin(), versions.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  enc(versions.size());
  for (const auto* entry : versions) enc(entry->first, entry->second);
  enc(listed_ahead, destinations, destination_slots);
  // records_by_key indexes `destinations`: hashed in their order, so that its own
  // (per-process) order never reaches the digest.
  enc(records_by_key.size());
  for (const auto& [key, rec] : destinations) {
    auto it = records_by_key.find(key);
    enc(it == records_by_key.end() ? nullptr : it->second);
  }
  enc(verdicts_serials, groups, workers, requests, reads_waiting, status_writes_waiting,
      lists_waiting, config_statuses, rule_statuses, statuses_due, statuses_unsettled, timers);
  // resolved_repos follows from repo_configs, status_write_deadline_of and
  // list_deadline_of follow from requests and timers: not
  // hashed. Effects are collected within one Handle call and handed out at its end: between
  // calls, when the state is hashed, there are none.
  enc(effects.size());
  return enc.value();
}

}  // namespace gitdest::core
