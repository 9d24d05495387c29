#include "adapters/k8s/servers.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <httplib.h>

#include "absl/strings/str_cat.h"

namespace gitdest::k8s {
namespace {

constexpr size_t kMetricsThreads = 2;

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& address,
                                                                    int port,
                                                                    const Metrics& metrics,
                                                                    std::function<bool()> ready) {
  std::unique_ptr<MetricsServer> s(new MetricsServer());
  s->server_ = std::make_unique<httplib::Server>();
  // A scrape or a probe at a time: not httplib's default of a thread per core (at least 8).
  s->server_->new_task_queue = [] { return new httplib::ThreadPool(kMetricsThreads); };
  s->server_->Get("/metrics", [&metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  s->server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  s->server_->Get("/readyz", [ready](const httplib::Request&, httplib::Response& res) {
    const bool ok = !ready || ready();
    res.status = ok ? 200 : 503;
    res.set_content(ok ? "ok\n" : "caches not synced\n", "text/plain");
  });
  s->port_ = port == 0 ? s->server_->bind_to_any_port(address)
                       : (s->server_->bind_to_port(address, port) ? port : -1);
  if (s->port_ < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, ":", port, " for metrics (--metrics-port)"));
  }
  httplib::Server* server = s->server_.get();
  s->thread_ = std::thread([server] { server->listen_after_bind(); });
  return s;
}

MetricsServer::~MetricsServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<std::unique_ptr<HealthServer>> HealthServer::Start(const std::string& address,
                                                                  int port) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::unique_ptr<HealthServer> s(new HealthServer());
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat(address, ":", port), grpc::InsecureServerCredentials(),
                           &s->port_);
  s->server_ = builder.BuildAndStart();
  if (!s->server_ || s->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, ":", port, " for gRPC health (--health-port)"));
  }
  grpc::HealthCheckServiceInterface* health = s->server_->GetHealthCheckService();
  health->SetServingStatus("", false);
  health->SetServingStatus("liveness", true);
  health->SetServingStatus("readiness", false);
  return s;
}

void HealthServer::SetReady(bool ready) {
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  health->SetServingStatus("readiness", ready);
  health->SetServingStatus("", ready);
}

HealthServer::~HealthServer() {
  server_->GetHealthCheckService()->Shutdown();
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

}  // namespace gitdest::k8s
