// What gitdest-controller serves besides the webhook: Prometheus metrics over HTTP
// (/metrics, with /healthz and /readyz for HTTP probes) and the standard gRPC health
// service (grpc.health.v1, for Kubernetes gRPC probes: service "liveness" serves once
// the process runs, "readiness" and "" once the caches are synced) with reflection.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "adapters/k8s/metrics.h"

namespace httplib {
class Server;
}
namespace grpc {
class Server;
}

namespace gitdest::k8s {

class MetricsServer {
 public:
  // Listens on address:port (port 0 = a free one); serves until destroyed.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(const std::string& address, int port,
                                                              const Metrics& metrics,
                                                              std::function<bool()> ready);
  ~MetricsServer();
  int port() const { return port_; }

 private:
  MetricsServer() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

class HealthServer {
 public:
  static absl::StatusOr<std::unique_ptr<HealthServer>> Start(const std::string& address, int port);
  ~HealthServer();
  // Readiness: the caches are synced (and stay so).
  void SetReady(bool ready);
  int port() const { return port_; }

 private:
  HealthServer() = default;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace gitdest::k8s
