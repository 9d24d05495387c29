// Leader election with a coordination.k8s.io/v1 Lease, as client-go's: the holder
// renews every retry period; another replica takes the lease once it has seen no
// renewal for the lease duration; a holder that has not renewed within the renew
// deadline (shorter than the lease duration) gives up leadership first, so two
// replicas never write at once. A clean stop releases the lease so a standby takes
// over at once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "adapters/k8s/api_client.h"

namespace gitdest::k8s {

class LeaderElector {
 public:
  struct Options {
    std::string namespace_ = "gitdest-system";
    std::string name = "gitdest-controller";
    std::string identity{};  // unique per replica: the pod name (+ a random suffix)
    absl::Duration lease_duration = absl::Seconds(15);
    absl::Duration renew_deadline = absl::Seconds(10);
    absl::Duration retry_period = absl::Seconds(2);
  };
  struct Callbacks {
    std::function<void()> acquired{};                    // now the leader
    std::function<void()> lost{};                        // no longer: stop writing at once
    std::function<void(const absl::Status&)> trouble{};  // for logs; may be empty
  };

  LeaderElector(ApiClient& client, Options options, Callbacks callbacks);
  ~LeaderElector();  // stops; releases the lease if held
  void Start();
  bool leading() const { return leading_.load(); }

 private:
  void Run();
  // One attempt to take or renew the lease; true when this replica holds it now.
  bool TryAcquireOrRenew(absl::Duration timeout);
  void Release();
  bool SleepUnlessStopped(absl::Duration d);

  ApiClient* client_;
  Options options_;
  Callbacks callbacks_;
  std::atomic<bool> leading_{false};
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  // The record last seen (holder + renewTime) and when it was first seen locally: a
  // lease expires by this replica's clock, never by comparing clocks across machines.
  std::string observed_record_;
  absl::Time observed_at_ = absl::InfinitePast();
};

}  // namespace gitdest::k8s
