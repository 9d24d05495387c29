// gitdest-controller: the pure core wired to a Kubernetes API server and to Git.
// One thread owns the core; effects run on bounded pools; watches, results and the
// lease reach the core through one inbox. SIGTERM/SIGINT stop it cleanly: no new
// work starts, running Git operations finish, the lease is released.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>

#include <unistd.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/git/libgit2_remote.h"
#include "adapters/k8s/api_client.h"
#include "adapters/k8s/cluster_api.h"
#include "adapters/k8s/core_loop.h"
#include "adapters/k8s/decision_log.h"
#include "adapters/k8s/inbox.h"
#include "adapters/k8s/kube_config.h"
#include "adapters/k8s/leader_election.h"
#include "adapters/k8s/log.h"
#include "adapters/k8s/pool_executor.h"
#include "adapters/k8s/resource_watches.h"
#include "adapters/k8s/secret_credentials.h"
#include "adapters/trace/trace_file.h"

ABSL_FLAG(std::string, kubeconfig, "",
          "kubeconfig file; default $KUBECONFIG, else in-cluster, else ~/.kube/config");
ABSL_FLAG(std::string, context, "", "kubeconfig context; default its current-context");
ABSL_FLAG(std::string, namespace, "",
          "watch only this namespace (ClusterWatchRules are then ignored); default all");
ABSL_FLAG(bool, leader_elect, true,
          "elect a leader with a Lease: only the leader writes to Git or status; run 2 "
          "replicas for a standby that takes over within the lease duration");
ABSL_FLAG(std::string, leader_election_namespace, "",
          "namespace of the Lease; default the pod's namespace, else gitdest-system");
ABSL_FLAG(std::string, leader_election_id, "gitdest-controller", "name of the Lease");
ABSL_FLAG(absl::Duration, lease_duration, absl::Seconds(15),
          "a standby takes the lease after seeing no renewal for this long");
ABSL_FLAG(absl::Duration, renew_deadline, absl::Seconds(10),
          "the leader stops writing when it could not renew for this long (< lease)");
ABSL_FLAG(absl::Duration, retry_period, absl::Seconds(2), "between lease attempts");
ABSL_FLAG(std::string, identity, "",
          "this replica's name in the Lease; default $POD_NAME or the hostname, plus a "
          "random suffix");
ABSL_FLAG(std::string, cache_dir, "/var/cache/gitdest",
          "Git object caches (one bare repository per repository); disposable");
ABSL_FLAG(absl::Duration, metadata_cache_ttl, absl::Seconds(30),
          "a branch's remote read is shared by every destination on it for this long");
ABSL_FLAG(absl::Duration, requeue_interval, absl::Minutes(10),
          "periodic reconcile of a healthy destination (jittered ±10%)");
ABSL_FLAG(double, kube_api_qps, 20, "client-side rate limit of API requests (not watches)");
ABSL_FLAG(int, kube_api_burst, 30, "API requests allowed at once before the QPS applies");
ABSL_FLAG(int, git_read_workers, 8, "threads for remote reads and resync listings");
ABSL_FLAG(int, git_push_workers, 4, "threads for commits and pushes");
ABSL_FLAG(int, api_workers, 4, "threads for status writes and events");
ABSL_FLAG(std::string, trace_file, "",
          "record every input the core receives, in the simulator's trace format "
          "(`gitdest-sim replay FILE` replays it); carries no credentials");
ABSL_FLAG(std::string, log_format, "text", "text or json");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warn or error");

namespace gitdest::k8s {
namespace {

class SystemClock final : public core::Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
};

std::string Identity() {
  std::string base = absl::GetFlag(FLAGS_identity);
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

core::ControllerOptions CoreOptions() {
  core::ControllerOptions options;
  options.metadata_cache_ttl = absl::GetFlag(FLAGS_metadata_cache_ttl);
  options.read_timeout = std::min(options.read_timeout, options.metadata_cache_ttl * 2 / 3);
  options.requeue_interval = absl::GetFlag(FLAGS_requeue_interval);
  return options;
}

bool ParseLogFlags() {
  const std::string format = absl::GetFlag(FLAGS_log_format);
  const std::string level = absl::GetFlag(FLAGS_log_level);
  const LogLevel levels[] = {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError};
  const char* names[] = {"debug", "info", "warn", "error"};
  int found = -1;
  for (int i = 0; i < 4; ++i) {
    if (level == names[i]) found = i;
  }
  if ((format != "text" && format != "json") || found < 0) {
    std::fprintf(stderr,
                 "gitdest-controller: --log-format is text or json, --log-level is "
                 "debug, info, warn or error\n");
    return false;
  }
  ConfigureLog(format == "json" ? LogFormat::kJson : LogFormat::kText, levels[found]);
  return true;
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

int Run() {
  const sigset_t stop_signals = BlockStopSignals();
  auto config = ResolveKubeConfig(absl::GetFlag(FLAGS_kubeconfig), absl::GetFlag(FLAGS_context));
  if (!config.ok()) {
    Log(LogLevel::kError, "cannot find the API server",
        {{"error", std::string(config.status().message())}});
    return 2;
  }
  auto client = ApiClient::Create(*config, {.qps = absl::GetFlag(FLAGS_kube_api_qps),
                                            .burst = absl::GetFlag(FLAGS_kube_api_burst)});
  if (!client.ok()) {
    Log(LogLevel::kError, "bad API server address",
        {{"error", std::string(client.status().message())}});
    return 2;
  }
  const std::string identity = Identity();
  Log(LogLevel::kInfo, "starting",
      {{"server", config->server},
       {"via", config->origin},
       {"identity", identity},
       {"namespace", absl::GetFlag(FLAGS_namespace)}});

  SystemClock clock;
  SecretCredentials credentials(**client);
  git::Libgit2Remote git({.cache_dir = absl::GetFlag(FLAGS_cache_dir)}, credentials);
  KubeClusterApi cluster(**client, {.instance = identity});
  const uint32_t epoch = static_cast<uint32_t>(absl::ToUnixSeconds(absl::Now()));
  const core::ControllerOptions options = CoreOptions();
  core::Controller controller(options, epoch);
  PoolExecutor executor(git, cluster,
                        {.git_reads = absl::GetFlag(FLAGS_git_read_workers),
                         .git_pushes = absl::GetFlag(FLAGS_git_push_workers),
                         .api_calls = absl::GetFlag(FLAGS_api_workers)});
  Inbox inbox;

  std::optional<trace::TraceWriter> trace;
  if (const std::string path = absl::GetFlag(FLAGS_trace_file); !path.empty()) {
    auto writer = trace::TraceWriter::Open(
        path, {.command = "gitdest-controller", .options = options, .epoch = epoch});
    if (!writer.ok()) {
      Log(LogLevel::kError, "cannot write the trace file",
          {{"error", std::string(writer.status().message())}});
      return 2;
    }
    trace.emplace(*std::move(writer));
  }
  DecisionLog decisions;
  int64_t steps = 0;
  CoreLoop loop(controller, executor, inbox, clock,
                {.step = [&](const core::Input& input, absl::Time now, const core::Output& out) {
                  decisions.Step(input, out);
                  if (!trace) return;
                  (void)trace->Write({.step = ++steps,
                                      .at = now,
                                      .input = input,
                                      .effects = out.effects,
                                      .wake_at = out.wake_at,
                                      .state_hash = controller.StateHash()});
                }});

  inbox.Push(core::ControllerRestarted{epoch});
  auto trouble = [](const absl::Status& s) {
    Log(LogLevel::kWarn, "watch", {{"error", std::string(s.ToString())}});
  };
  ResourceWatches watches(**client, inbox, absl::GetFlag(FLAGS_namespace), trouble);
  watches.Start();

  std::unique_ptr<LeaderElector> elector;
  if (absl::GetFlag(FLAGS_leader_elect)) {
    std::string lease_ns = absl::GetFlag(FLAGS_leader_election_namespace);
    if (lease_ns.empty()) lease_ns = config->origin == "in-cluster" ? config->namespace_ : "";
    if (lease_ns.empty()) lease_ns = "gitdest-system";
    elector = std::make_unique<LeaderElector>(
        **client,
        LeaderElector::Options{.namespace_ = lease_ns,
                               .name = absl::GetFlag(FLAGS_leader_election_id),
                               .identity = identity,
                               .lease_duration = absl::GetFlag(FLAGS_lease_duration),
                               .renew_deadline = absl::GetFlag(FLAGS_renew_deadline),
                               .retry_period = absl::GetFlag(FLAGS_retry_period)},
        LeaderElector::Callbacks{
            .acquired = [&] { inbox.Push(core::LeaseAcquired{}); },
            .lost = [&] { inbox.Push(core::LeaseLost{}); },
            .trouble =
                [](const absl::Status& s) {
                  Log(LogLevel::kWarn, "leader election", {{"error", std::string(s.ToString())}});
                }});
    elector->Start();
  } else {
    inbox.Push(core::LeaseAcquired{});
  }

  std::thread signals([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    Log(LogLevel::kInfo, "stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    inbox.Close();
  });
  loop.Run();
  // No new effect starts; what runs finishes (a push is all or nothing on the server).
  executor.Stop();
  elector.reset();  // releases the lease: a standby takes over at once
  signals.join();
  if (trace) (void)trace->Close();
  Log(LogLevel::kInfo, "stopped");
  return 0;
}

}  // namespace
}  // namespace gitdest::k8s

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "gitdest-controller: writes Kubernetes objects into Git as the GitDestinations, "
      "GitRepoConfigs and WatchRules of the cluster say (see docs/operations.md).\n"
      "Usage: gitdest-controller [--flag=value ...]");
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::StrContains(file, "gitdest_controller");
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  usage.normalize_filename = [](absl::string_view file) { return std::string(file); };
  absl::SetFlagsUsageConfig(usage);
  absl::ParseCommandLine(argc, argv);
  if (!gitdest::k8s::ParseLogFlags()) return 64;
  return gitdest::k8s::Run();
}
