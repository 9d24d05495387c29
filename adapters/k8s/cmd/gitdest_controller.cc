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

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/git/libgit2_remote.h"
#include "adapters/k8s/api_client.h"
#include "adapters/k8s/cluster_api.h"
#include "adapters/k8s/core_loop.h"
#include "adapters/k8s/decision_log.h"
#include "adapters/k8s/flags.h"
#include "adapters/k8s/inbox.h"
#include "adapters/k8s/kube_config.h"
#include "adapters/k8s/leader_election.h"
#include "adapters/k8s/log.h"
#include "adapters/k8s/pool_executor.h"
#include "adapters/k8s/resource_watches.h"
#include "adapters/k8s/secret_credentials.h"
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

int Run(const ControllerFlags& flags) {
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
  const std::string identity = Identity(flags);
  Log(LogLevel::kInfo, "starting",
      {{"server", config->server},
       {"via", config->origin},
       {"identity", identity},
       {"namespace", flags.namespace_}});

  SystemClock clock;
  SecretCredentials credentials(**client);
  git::Libgit2Remote git({.cache_dir = flags.cache_dir}, credentials);
  KubeClusterApi cluster(**client, {.instance = identity});
  const uint32_t epoch = static_cast<uint32_t>(absl::ToUnixSeconds(absl::Now()));
  const core::ControllerOptions options = CoreOptions(flags);
  core::Controller controller(options, epoch);
  PoolExecutor executor(git, cluster,
                        {.git_reads = flags.git_read_workers,
                         .git_pushes = flags.git_push_workers,
                         .api_calls = flags.api_workers});
  Inbox inbox;

  std::optional<trace::TraceWriter> trace;
  if (const std::string path = flags.trace_file; !path.empty()) {
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
  ResourceWatches watches(**client, inbox, flags.namespace_, trouble);
  watches.Start();

  // Every replica serves the webhook, leader or not.
  auto webhook =
      StartWebhook(**client, flags, config->origin == "in-cluster" ? config->namespace_ : "");
  if (!webhook.ok()) {
    Log(LogLevel::kError, "cannot start the admission webhook",
        {{"error", std::string(webhook.status().message())}});
    return 2;
  }

  std::unique_ptr<LeaderElector> elector;
  if (flags.leader_elect) {
    std::string lease_ns = flags.leader_election_namespace;
    if (lease_ns.empty()) lease_ns = config->origin == "in-cluster" ? config->namespace_ : "";
    if (lease_ns.empty()) lease_ns = "gitdest-system";
    elector = std::make_unique<LeaderElector>(
        **client,
        LeaderElector::Options{.namespace_ = lease_ns,
                               .name = flags.leader_election_id,
                               .identity = identity,
                               .lease_duration = flags.lease_duration,
                               .renew_deadline = flags.renew_deadline,
                               .retry_period = flags.retry_period},
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
  webhook->reset();
  signals.join();
  if (trace) (void)trace->Close();
  Log(LogLevel::kInfo, "stopped");
  return 0;
}

}  // namespace
}  // namespace gitdest::k8s

int main(int argc, char** argv) {
  auto flags = gitdest::k8s::ParseControllerFlags(std::vector<std::string>(argv + 1, argv + argc));
  if (!flags.ok()) {
    std::fprintf(stderr, "gitdest-controller: %s\n", std::string(flags.status().message()).c_str());
    return 64;
  }
  if (flags->help) {
    std::fputs(gitdest::k8s::ControllerUsage().c_str(), stdout);
    return 0;
  }
  gitdest::k8s::ConfigureLogFromFlags(*flags);
  return gitdest::k8s::Run(*flags);
}
