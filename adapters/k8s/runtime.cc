#include "adapters/k8s/runtime.h"

#include <csignal>
#include <cstdlib>
#include <optional>
#include <random>
#include <thread>

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/git/libgit2_remote.h"
#include "adapters/k8s/api_client.h"
#include "adapters/k8s/capture_watches.h"
#include "adapters/k8s/cluster_api.h"
#include "adapters/k8s/core_loop.h"
#include "adapters/k8s/decision_log.h"
#include "adapters/k8s/inbox.h"
#include "adapters/k8s/kube_config.h"
#include "adapters/k8s/leader_election.h"
#include "adapters/k8s/log.h"
#include "adapters/k8s/metrics.h"
#include "adapters/k8s/pool_executor.h"
#include "adapters/k8s/resource_watches.h"
#include "adapters/k8s/secret_credentials.h"
#include "adapters/k8s/servers.h"
#include "adapters/k8s/step_metrics.h"
#include "adapters/k8s/transition_events.h"
#include "adapters/k8s/webhook.h"
#include "adapters/trace/trace_file.h"

namespace gitdest::k8s {
namespace {

class SystemClock final : public core::Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
};

std::string Identity(const ControllerFlags& flags) {
  std::string base = flags.identity;
  if (!base.empty()) return base;
  if (const char* pod = std::getenv("POD_NAME"); pod != nullptr && *pod != '\0') {
    base = pod;
  } else {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    base = host;
  }
  std::random_device rd;
  return absl::StrCat(base, "_", absl::Hex(rd(), absl::kZeroPad8));
}

core::ControllerOptions CoreOptions(const ControllerFlags& flags) {
  core::ControllerOptions options;
  options.metadata_cache_ttl = flags.metadata_cache_ttl;
  options.read_timeout = std::min(options.read_timeout, options.metadata_cache_ttl * 2 / 3);
  options.requeue_interval = flags.requeue_interval;
  // As many reads in flight as there are threads to run them: none waits for a thread,
  // so none times out unstarted (the rest wait in the core, their timeout not running).
  options.max_reads_in_flight = static_cast<size_t>(flags.git_read_workers);
  // Likewise status writes and the API threads: a write that waited for a thread past
  // api_timeout would be issued again while the first still waits.
  options.max_status_writes_in_flight = static_cast<size_t>(flags.api_workers);
  // And resync lists and the listing threads: a list that timed out unstarted fails its
  // resync, and its destination reconciles again to ask anew.
  options.max_lists_in_flight = static_cast<size_t>(flags.git_list_workers);
  return options;
}

void ConfigureLogFromFlags(const ControllerFlags& flags) {
  const LogLevel level = flags.log_level == "debug"   ? LogLevel::kDebug
                         : flags.log_level == "warn"  ? LogLevel::kWarn
                         : flags.log_level == "error" ? LogLevel::kError
                                                      : LogLevel::kInfo;
  ConfigureLog(flags.log_format == "json" ? LogFormat::kJson : LogFormat::kText, level);
}

// Blocks SIGTERM and SIGINT in every thread (call before any starts); WaitForSignal takes
// them on the calling thread.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

absl::StatusOr<trace::TraceWriter> OpenTrace(const ControllerFlags& flags,
                                             const core::ControllerOptions& options,
                                             uint32_t epoch) {
  trace::TraceHeader header;
  header.command = "gitdest-controller";
  header.options = options;
  header.epochs = {epoch};  // one replica: this process
  return trace::TraceWriter::Open(flags.trace_file, header);
}

std::string LeaseNamespace(const ControllerFlags& flags, const KubeConfig& config) {
  if (!flags.leader_election_namespace.empty()) return flags.leader_election_namespace;
  if (config.origin == "in-cluster" && !config.namespace_.empty()) return config.namespace_;
  return "gitdest-system";
}

void Warn(const char* what, const absl::Status& s) {
  Log(LogLevel::kWarn, what, {{"error", std::string(s.ToString())}});
}

// Everything the process runs, in the order it is built; destroyed in reverse, which
// is the order of an orderly stop: servers, lease (released last among writers' ends),
// watches, pools (running work finishes), the core.
class Process {
 public:
  Process(const ControllerFlags& flags, KubeConfig config, std::unique_ptr<ApiClient> client)
      : flags_(flags),
        config_(std::move(config)),
        client_(std::move(client)),
        identity_(Identity(flags)),
        credentials_(*client_),
        git_({.cache_dir = flags.cache_dir}, credentials_),
        cluster_(*client_, {.instance = identity_}),
        epoch_(static_cast<uint32_t>(absl::ToUnixSeconds(absl::Now()))),
        options_(CoreOptions(flags)),
        controller_(options_, epoch_),
        executor_(git_, cluster_,
                  {.git_reads = flags.git_read_workers,
                   .git_lists = flags.git_list_workers,
                   .git_pushes = flags.git_push_workers,
                   .api_calls = flags.api_workers},
                  [this] { metrics_.Add("gitdest_events_dropped_total", {}); }),
        step_metrics_(metrics_,
                      [this] { return static_cast<double>(inbox_.depth() + executor_.queued()); }),
        events_([this](ReadyEvent e) {
          executor_.PostEvent([this, e = std::move(e)] {
            absl::Status s = cluster_.RecordEventOn(e.target, e.warning, e.reason, e.message);
            if (!s.ok()) Warn("event", s);
          });
        }) {}

  absl::Status Start();
  void Run(const sigset_t& stop_signals);

 private:
  void Step(const core::Input& input, absl::Time now, const core::Output& out);
  absl::Status StartServers();
  void StartLease();

  const ControllerFlags& flags_;
  KubeConfig config_;
  std::unique_ptr<ApiClient> client_;
  std::string identity_;
  SecretCredentials credentials_;
  git::Libgit2Remote git_;
  KubeClusterApi cluster_;
  SystemClock clock_;
  uint32_t epoch_;
  core::ControllerOptions options_;
  core::Controller controller_;
  Inbox inbox_;
  PoolExecutor executor_;
  Metrics metrics_;
  StepMetrics step_metrics_;
  DecisionLog decisions_;
  TransitionEvents events_;
  std::optional<trace::TraceWriter> trace_;
  int64_t steps_ = 0;
  std::unique_ptr<ResourceWatches> watches_;
  std::unique_ptr<CaptureWatches> capture_;
  std::unique_ptr<LeaderElector> elector_;
  std::unique_ptr<MetricsServer> metrics_server_;
  std::unique_ptr<HealthServer> health_server_;
  std::unique_ptr<Webhook> webhook_;  // on every replica, leader or not
};

absl::Status Process::Start() {
  Log(LogLevel::kInfo, "starting",
      {{"server", config_.server},
       {"via", config_.origin},
       {"identity", identity_},
       {"namespace", flags_.namespace_}});
  if (!flags_.trace_file.empty()) {
    auto writer = OpenTrace(flags_, options_, epoch_);
    if (!writer.ok()) return writer.status();
    trace_.emplace(*std::move(writer));
  }
  if (absl::Status s = StartServers(); !s.ok()) return s;
  auto webhook =
      StartWebhook(*client_, flags_, config_.origin == "in-cluster" ? config_.namespace_ : "");
  if (!webhook.ok()) return webhook.status();
  webhook_ = *std::move(webhook);
  inbox_.Push(core::ControllerRestarted{epoch_});
  watches_ = std::make_unique<ResourceWatches>(*client_, inbox_, flags_.namespace_,
                                               [](const absl::Status& s) { Warn("watch", s); });
  capture_ = std::make_unique<CaptureWatches>(
      *client_, inbox_,
      CaptureWatches::Options{.namespace_ = flags_.namespace_,
                              .rediscover_every = flags_.discovery_interval},
      [](const absl::Status& s) { Warn("capture", s); });
  // The served types reach the core before CacheSynced can: a resync decided without
  // them would list no object and take every captured file for an orphan.
  capture_->Start([this] { watches_->Start(); });
  StartLease();
  return absl::OkStatus();
}

absl::Status Process::StartServers() {
  if (flags_.metrics_port != 0) {
    auto server = MetricsServer::Start(flags_.bind_address, flags_.metrics_port, metrics_,
                                       [this] { return watches_ && watches_->synced(); });
    if (!server.ok()) return server.status();
    metrics_server_ = *std::move(server);
  }
  if (flags_.health_port != 0) {
    auto server = HealthServer::Start(flags_.bind_address, flags_.health_port);
    if (!server.ok()) return server.status();
    health_server_ = *std::move(server);
  }
  return absl::OkStatus();
}

void Process::StartLease() {
  if (!flags_.leader_elect) {
    inbox_.Push(core::LeaseAcquired{});
    return;
  }
  elector_ = std::make_unique<LeaderElector>(
      *client_,
      LeaderElector::Options{.namespace_ = LeaseNamespace(flags_, config_),
                             .name = flags_.leader_election_id,
                             .identity = identity_,
                             .lease_duration = flags_.lease_duration,
                             .renew_deadline = flags_.renew_deadline,
                             .retry_period = flags_.retry_period},
      LeaderElector::Callbacks{
          .acquired = [this] { inbox_.Push(core::LeaseAcquired{}); },
          .lost = [this] { inbox_.Push(core::LeaseLost{}); },
          .trouble = [](const absl::Status& s) { Warn("leader election", s); }});
  elector_->Start();
}

void Process::Step(const core::Input& input, absl::Time now, const core::Output& out) {
  for (const core::Effect& effect : out.effects) {
    if (const auto* watch = std::get_if<core::EnsureWatches>(&effect))
      capture_->Ensure(watch->types);
  }
  decisions_.Step(input, out);
  step_metrics_.Step(controller_, input, now, out);
  events_.Step(out);
  if (health_server_ && std::holds_alternative<core::CacheSynced>(input)) {
    health_server_->SetReady(true);
  }
  if (!trace_) return;
  absl::Status written = trace_->Write({.step = ++steps_,
                                        .at = now,
                                        .input = input,
                                        .effects = out.effects,
                                        .wake_at = out.wake_at,
                                        .state_hash = controller_.StateHash()});
  if (!written.ok()) {
    Warn("trace file: recording stopped", written);
    trace_.reset();
  }
}

void Process::Run(const sigset_t& stop_signals) {
  CoreLoop loop(controller_, executor_, inbox_, clock_,
                {.step = [this](const core::Input& input, absl::Time now, const core::Output& out) {
                  Step(input, now, out);
                }});
  std::thread signals([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    Log(LogLevel::kInfo, "stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    inbox_.Close();
  });
  loop.Run();
  // No new effect starts; what runs finishes (a push is all or nothing on the server),
  // and only then is the lease released, so no write follows the release.
  executor_.Stop();
  elector_.reset();
  webhook_.reset();
  capture_.reset();
  watches_.reset();
  signals.join();
  if (trace_) (void)trace_->Close();
  Log(LogLevel::kInfo, "stopped");
}

}  // namespace

int RunController(const ControllerFlags& flags) {
  ConfigureLogFromFlags(flags);
  const sigset_t stop_signals = BlockStopSignals();
  auto config = ResolveKubeConfig(flags.kubeconfig, flags.context);
  if (!config.ok()) {
    Log(LogLevel::kError, "cannot find the API server",
        {{"error", std::string(config.status().message())}});
    return 2;
  }
  auto client =
      ApiClient::Create(*config, {.qps = flags.kube_api_qps, .burst = flags.kube_api_burst});
  if (!client.ok()) {
    Log(LogLevel::kError, "bad API server address",
        {{"error", std::string(client.status().message())}});
    return 2;
  }
  Process process(flags, *config, *std::move(client));
  if (absl::Status s = process.Start(); !s.ok()) {
    Log(LogLevel::kError, "cannot start", {{"error", std::string(s.message())}});
    return 2;
  }
  process.Run(stop_signals);
  return 0;
}

}  // namespace gitdest::k8s
