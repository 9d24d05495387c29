// Controller::StateHash: a digest of the whole state for the determinism check. FNV-1a
// over a canonical encoding: every field in a fixed order, strings length-prefixed,
// times as Unix nanoseconds, only ordered containers iterated.
#include <cstdint>
#include <string>
#include <type_traits>

#include "core/controller.h"

namespace gitdest::core {
namespace {

class Fnv {
 public:
  template <class... T>
  void operator()(const T&... values) {
    (Add(values), ...);
  }
  uint64_t value() const { return h_; }

 private:
  void Bytes(const void* data, size_t size) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < size; ++i) h_ = (h_ ^ p[i]) * 1099511628211ULL;
  }
  void Add(const std::string& s) {
    Add(static_cast<uint64_t>(s.size()));
    Bytes(s.data(), s.size());
  }
  void Add(const char* s) { Add(std::string(s)); }
  void Add(absl::Time t) {
    // Infinite times have no Unix nanos: tag them.
    const int64_t tag = t == absl::InfinitePast() ? 1 : t == absl::InfiniteFuture() ? 2 : 0;
    Add(tag);
    if (tag == 0) Add(absl::ToUnixNanos(t));
  }
  void Add(absl::Duration d) { Add(absl::ToInt64Nanoseconds(d)); }
  template <class T>
  requires std::is_integral_v<T>
  void Add(T v) {
    const auto wide = static_cast<uint64_t>(v);
    Bytes(&wide, sizeof wide);
  }

  uint64_t h_ = 14695981039346656037ULL;
};

void HashStatus(Fnv& fnv, const DestinationStatus& s) {
  fnv(s.observed_generation, s.branch_exists, s.last_commit_sha, s.last_sync_time,
      s.conditions.size());
  for (const Condition& c : s.conditions) {
    fnv(c.type, static_cast<int>(c.status), c.reason, c.message, c.observed_generation,
        c.last_transition_time);
  }
}

}  // namespace

uint64_t Controller::StateHash() const {
  Fnv fnv;
  fnv(last_now_, synced_, repo_configs_.size());
  for (const auto& [key, config] : repo_configs_) {
    fnv(key.ToString(), config.generation, config.spec.repo_url, config.spec.secret_name,
        config.spec.allowed_branches.size(), config.spec.push.interval,
        config.spec.push.max_commits, config.spec.push.max_bytes);
    for (const std::string& glob : config.spec.allowed_branches) fnv(glob);
  }
  fnv(destinations_.size());
  for (const auto& [key, rec] : destinations_) {
    const Destination& d = rec.destination;
    fnv(key.ToString(), d.generation, d.creation_time, d.spec.repo_ref.ToString(), d.spec.branch,
        d.spec.base_folder, rec.target ? rec.target->identity : "-",
        rec.lost_to ? rec.lost_to->ToString() : "-",
        rec.worker ? rec.worker->key().ToString() : "-", rec.awaiting_metadata,
        rec.written.has_value(), rec.writing, rec.resync_needed, rec.resync_in_flight,
        rec.status_request, rec.writing_since, rec.resync_request, rec.resync_since,
        rec.target_stale, rec.spec_error.ToString());
    HashStatus(fnv, rec.status);
    if (rec.written) HashStatus(fnv, *rec.written);
  }
  fnv(workers_.workers().size());
  for (const auto& [key, worker] : workers_.workers()) worker.HashInto(fnv);
  fnv(requests_.size());
  for (const auto& [id, worker] : requests_) fnv(id, worker->key().ToString());
  fnv(timers_.size(), timers_.NextAt());
  return fnv.value();
}

}  // namespace gitdest::core
