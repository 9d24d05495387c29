#include "adapters/k8s/leader_election.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"

namespace gitdest::k8s {
namespace {

std::string MicroTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

}  // namespace

LeaderElector::LeaderElector(ApiClient& client, Options options, Callbacks callbacks)
    : client_(&client), options_(std::move(options)), callbacks_(std::move(callbacks)) {}

LeaderElector::~LeaderElector() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LeaderElector::Start() {
  thread_ = std::thread([this] { Run(); });
}

bool LeaderElector::SleepUnlessStopped(absl::Duration d) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, absl::ToChronoMilliseconds(d), [&] { return stop_; });
}

void LeaderElector::Run() {
  absl::Time last_renew = absl::InfinitePast();
  for (;;) {
    const absl::Time now = absl::Now();
    // A leader's attempt may take no longer than what is left of its renew deadline.
    const absl::Duration timeout =
        leading_ ? std::max(absl::Milliseconds(100), last_renew + options_.renew_deadline - now)
                 : options_.retry_period * 2;
    const bool held = TryAcquireOrRenew(timeout);
    if (held) {
      last_renew = now;
      if (!leading_.exchange(true) && callbacks_.acquired) callbacks_.acquired();
    } else if (leading_ && absl::Now() - last_renew >= options_.renew_deadline) {
      leading_ = false;
      if (callbacks_.lost) callbacks_.lost();
    }
    if (!SleepUnlessStopped(options_.retry_period)) break;
  }
  if (leading_.exchange(false)) {
    Release();
    if (callbacks_.lost) callbacks_.lost();
  }
}

bool LeaderElector::TryAcquireOrRenew(absl::Duration timeout) {
  const std::string path =
      absl::StrCat("/apis/coordination.k8s.io/v1/namespaces/", options_.namespace_, "/leases");
  const std::string what = absl::StrCat("Lease ", options_.namespace_, "/", options_.name);
  auto trouble = [&](const absl::Status& s) {
    if (callbacks_.trouble) callbacks_.trouble(s);
    return false;
  };
  const absl::Time now = absl::Now();
  auto got = client_->Call({.path = absl::StrCat(path, "/", options_.name)}, timeout);
  if (!got.ok()) return trouble(got.status());
  nlohmann::json lease;
  if (got->status == 404) {
    lease = {{"apiVersion", "coordination.k8s.io/v1"},
             {"kind", "Lease"},
             {"metadata", {{"name", options_.name}, {"namespace", options_.namespace_}}},
             {"spec", {{"leaseTransitions", 0}}}};
  } else if (auto s = StatusFromResponse(*got, absl::StrCat("read ", what)); !s.ok()) {
    return trouble(s);
  } else {
    lease = nlohmann::json::parse(got->body, nullptr, false);
    if (!lease.is_object()) return trouble(absl::UnavailableError(what + ": not JSON"));
  }
  nlohmann::json& spec = lease["spec"];
  if (!spec.is_object()) spec = nlohmann::json::object();
  const std::string holder = spec.value("holderIdentity", "");
  const std::string record = holder + "@" + spec.value("renewTime", "");
  if (record != observed_record_) {
    observed_record_ = record;
    observed_at_ = now;
  }
  const int64_t duration_s = spec.value("leaseDurationSeconds", int64_t{0});
  const bool expired = now >= observed_at_ + absl::Seconds(duration_s);
  if (!holder.empty() && holder != options_.identity && !expired) return false;
  if (holder != options_.identity) {
    spec["acquireTime"] = MicroTime(now);
    spec["leaseTransitions"] =
        spec.value("leaseTransitions", int64_t{0}) + (holder.empty() ? 0 : 1);
  }
  spec["holderIdentity"] = options_.identity;
  spec["leaseDurationSeconds"] = absl::ToInt64Seconds(options_.lease_duration);
  spec["renewTime"] = MicroTime(now);
  const bool create = got->status == 404;
  auto put = client_->Call({.method = create ? "POST" : "PUT",
                            .path = create ? path : absl::StrCat(path, "/", options_.name),
                            .body = lease.dump()},
                           timeout);
  if (!put.ok()) return trouble(put.status());
  if (put->status == 409) return false;  // another replica wrote first
  if (auto s = StatusFromResponse(*put, absl::StrCat("update ", what)); !s.ok()) return trouble(s);
  observed_record_ = options_.identity + "@" + MicroTime(now);
  observed_at_ = now;
  return true;
}

void LeaderElector::Release() {
  const std::string path = absl::StrCat("/apis/coordination.k8s.io/v1/namespaces/",
                                        options_.namespace_, "/leases/", options_.name);
  auto got = client_->Call({.path = path}, absl::Seconds(2));
  if (!got.ok() || got->status != 200) return;
  nlohmann::json lease = nlohmann::json::parse(got->body, nullptr, false);
  if (!lease.is_object() || lease["spec"].value("holderIdentity", "") != options_.identity) return;
  lease["spec"]["holderIdentity"] = "";
  lease["spec"]["leaseDurationSeconds"] = 1;
  lease["spec"]["renewTime"] = MicroTime(absl::Now());
  (void)client_->Call({.method = "PUT", .path = path, .body = lease.dump()}, absl::Seconds(2));
}

}  // namespace gitdest::k8s
