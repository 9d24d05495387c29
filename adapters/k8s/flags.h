// gitdest-controller's configuration: flags in Kubernetes' spelling (--leader-elect,
// --metrics-port=8080, --cache-dir DIR), each also settable from the environment as
// GITDEST_<NAME> (GITDEST_LOG_FORMAT=json); a flag wins over the environment.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gitdest::k8s {

struct ControllerFlags {
  std::string kubeconfig;
  std::string context;
  std::string namespace_;  // "" = every namespace
  bool leader_elect = true;
  std::string leader_election_namespace;
  std::string leader_election_id = "gitdest-controller";
  absl::Duration lease_duration = absl::Seconds(15);
  absl::Duration renew_deadline = absl::Seconds(10);
  absl::Duration retry_period = absl::Seconds(2);
  std::string identity;
  std::string cache_dir = "/var/cache/gitdest";
  absl::Duration metadata_cache_ttl = absl::Seconds(30);
  absl::Duration requeue_interval = absl::Minutes(10);
  absl::Duration discovery_interval = absl::Minutes(5);
  double kube_api_qps = 20;
  int kube_api_burst = 30;
  int git_read_workers = 16;
  int git_list_workers = 4;
  int git_push_workers = 4;
  int api_workers = 4;
  int health_port = 8081;   // gRPC health + reflection; 0 = off
  int metrics_port = 8080;  // Prometheus /metrics; 0 = off
  std::string bind_address = "0.0.0.0";
  std::string trace_file;
  std::string log_format = "text";
  std::string log_level = "info";
  // The validating admission webhook (docs/webhook.md), served by every replica.
  int webhook_port = 9443;       // 0 = off
  std::string webhook_cert_dir;  // tls.crt + tls.key provided (cert-manager); "" = self-managed
  std::string webhook_service_name = "gitdest-webhook";
  std::string webhook_service_namespace;  // "" = the Pod's namespace, else gitdest-system
  std::string webhook_secret_name = "gitdest-webhook-tls";
  std::string webhook_config_name = "gitdest-validating-webhook";
  std::string webhook_extra_dns_names;  // comma-separated, e.g. localhost
  absl::Duration webhook_cert_refresh_interval = absl::Minutes(1);
  bool help = false;
};

// The flags of `args` (without the program name) over the environment's GITDEST_*
// values over the defaults. An unknown flag, a missing or malformed value, or values
// that contradict each other (renew deadline ≥ lease duration) are InvalidArgument
// naming the flag and what it takes.
absl::StatusOr<ControllerFlags> ParseControllerFlags(const std::vector<std::string>& args);

// Every flag, its meaning and default: what --help prints.
std::string ControllerUsage();

}  // namespace gitdest::k8s
