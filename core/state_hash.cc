// Controller::StateHash: a digest of the whole state for the determinism check. A
// StableHasher over a canonical encoding: every field in a fixed order, strings
// length-prefixed, times as Unix nanoseconds, only ordered containers iterated. Word at
// a time: the simulator hashes the whole state after every step.
#include <cstdint>
#include <string>
#include <type_traits>

#include "core/controller.h"
#include "core/stable_hash.h"

namespace gitdest::core {
namespace {

// Feeds values into a StableHasher in a canonical encoding: integers as 64-bit words,
// strings length-prefixed, times as Unix nanoseconds (infinite ones tagged).
class Encoder {
 public:
  template <class... T>
  void operator()(const T&... values) {
    (Add(values), ...);
  }
  uint64_t value() const { return hasher_.Finish()[0]; }

 private:
  void Add(const std::string& s) { hasher_.Add(absl::string_view(s)); }
  void Add(const char* s) { hasher_.Add(absl::string_view(s)); }
  void Add(absl::Time t) {
    const int64_t tag = t == absl::InfinitePast() ? 1 : t == absl::InfiniteFuture() ? 2 : 0;
    Add(tag);
    if (tag == 0) Add(absl::ToUnixNanos(t));
  }
  void Add(absl::Duration d) { Add(absl::ToInt64Nanoseconds(d)); }
  template <class T>
  requires std::is_integral_v<T>
  void Add(T v) { hasher_.Add(static_cast<uint64_t>(v)); }

  StableHasher hasher_;
};

void HashConditions(Encoder& enc, const std::vector<Condition>& conditions) {
  enc(conditions.size());
  for (const Condition& c : conditions) {
    enc(c.type, static_cast<int>(c.status), c.reason, c.message, c.observed_generation,
        c.last_transition_time);
  }
}

void HashStatus(Encoder& enc, const DestinationStatus& s) {
  enc(s.observed_generation, s.branch_exists, s.last_commit_sha, s.last_sync_time);
  HashConditions(enc, s.conditions);
}

void HashStatus(Encoder& enc, const RepoConfigStatus& s) {
  enc(s.observed_generation, s.branches_read, s.branches_existing);
  HashConditions(enc, s.conditions);
}

void HashStatus(Encoder& enc, const WatchRuleStatus& s) {
  enc(s.observed_generation);
  HashConditions(enc, s.conditions);
}

template <class Status>
void HashWrite(Encoder& enc, const StatusWrite<Status>& write) {
  enc(write.written().has_value(), write.in_flight().has_value());
  if (write.written()) HashStatus(enc, *write.written());
  if (const auto& f = write.in_flight()) enc(f->request, f->since, f->resource_version);
}

template <class Status>
void HashOwned(Encoder& enc, const std::map<ObjectKey, OwnedStatus<Status>>& statuses) {
  enc(statuses.size());
  for (const auto& [key, owned] : statuses) {
    enc(key.ToString(), owned.generation, owned.resource_version);
    HashStatus(enc, owned.status);
    HashWrite(enc, owned.write);
  }
}

}  // namespace

uint64_t Controller::StateHash() const {
  Encoder enc;
  enc(last_now_, synced_, repo_configs_.size());
  for (const auto& [key, config] : repo_configs_) {
    enc(key.ToString(), config.generation, config.spec.repo_url, config.spec.secret_name,
        config.spec.allowed_branches.size(), config.spec.push.interval,
        config.spec.push.max_commits, config.spec.push.max_bytes);
    for (const std::string& glob : config.spec.allowed_branches) enc(glob);
  }
  enc(leader_, rules_.size(), discovered_.size(), watched_.has_value(), object_versions_.size());
  rules_.ForEach([&](const WatchRule& rule) {
    enc(rule.key.ToString(), rule.generation, rule.resource_version,
        rule.destination_ref.ToString(), rule.rules.size());
    for (const ResourceRule& r : rule.rules) {
      enc(r.scope, r.operations.size(), r.api_groups.size(), r.api_versions.size(),
          r.resources.size());
      for (const auto* list : {&r.operations, &r.api_groups, &r.api_versions, &r.resources}) {
        for (const std::string& item : *list) enc(item);
      }
    }
  });
  for (const ResourceTypeInfo& type : discovered_) {
    enc(type.gvr.ToString(), type.kind, type.namespaced, type.preferred);
  }
  if (watched_) {
    for (const GroupVersionResource& gvr : *watched_) enc(gvr.ToString());
  }
  for (const auto& [id, version] : object_versions_) {
    enc(id.group, id.version, id.resource, id.namespace_, id.name, version.uid,
        version.resource_version, version.deleted);
  }
  enc(destinations_.size());
  for (const auto& [key, rec] : destinations_) {
    const Destination& d = rec.destination;
    enc(d.uid, d.resource_version, rec.queued_at_resync.size());
    for (const std::string& path : rec.queued_at_resync) enc(path);
    enc(key.ToString(), d.generation, d.creation_time, d.spec.repo_ref.ToString(), d.spec.branch,
        d.spec.base_folder, rec.target ? rec.target->identity : "-",
        rec.lost_to ? rec.lost_to->ToString() : "-",
        rec.worker ? rec.worker->key().ToString() : "-", rec.awaiting_metadata, rec.resync_needed,
        rec.resync_in_flight, rec.resync_request, rec.resync_since, rec.target_stale,
        rec.spec_error.ToString());
    HashStatus(enc, rec.status);
    HashWrite(enc, rec.status_write);
  }
  HashOwned(enc, config_statuses_);
  HashOwned(enc, rule_statuses_);
  enc(statuses_due_.size());
  for (const StatusTarget& target : statuses_due_) enc(target.ToString());
  enc(statuses_unsettled_.size());
  for (const StatusTarget& target : statuses_unsettled_) enc(target.ToString());
  enc(workers_.workers().size());
  for (const auto& [key, worker] : workers_.workers()) worker.HashInto(enc);
  enc(requests_.size());
  for (const auto& [id, worker] : requests_) enc(id, worker->key().ToString());
  enc(timers_.size(), timers_.NextAt());
  return enc.value();
}

}  // namespace gitdest::core
