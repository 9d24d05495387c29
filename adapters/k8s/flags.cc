#include "adapters/k8s/flags.h"

#include <cstdlib>
#include <functional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "adapters/k8s/resources.h"

namespace gitdest::k8s {
namespace {

struct Flag {
  const char* name;
  const char* help;
  // Parses a value into the flags; the error says what the flag takes.
  std::function<absl::Status(ControllerFlags&, const std::string&)> set;
  std::function<std::string(const ControllerFlags&)> show;  // the default, for --help
  bool boolean = false;
};

absl::Status Bad(const char* takes) { return absl::InvalidArgumentError(takes); }

template <class Field>
Flag String(const char* name, const char* help, Field field) {
  return {name, help,
          [field](ControllerFlags& f, const std::string& v) {
            f.*field = v;
            return absl::OkStatus();
          },
          [field](const ControllerFlags& f) { return absl::StrCat("\"", f.*field, "\""); }};
}

template <class Field>
Flag Int(const char* name, const char* help, Field field, int min) {
  return {name, help,
          [field, min](ControllerFlags& f, const std::string& v) {
            int n = 0;
            if (!absl::SimpleAtoi(v, &n) || n < min) {
              return absl::InvalidArgumentError(absl::StrCat("takes an integer ≥ ", min));
            }
            f.*field = n;
            return absl::OkStatus();
          },
          [field](const ControllerFlags& f) { return absl::StrCat(f.*field); }};
}

template <class Field>
Flag Duration(const char* name, const char* help, Field field) {
  return {name, help,
          [field](ControllerFlags& f, const std::string& v) {
            auto d = ParseGoDuration(v);
            if (!d.ok() || *d <= absl::ZeroDuration()) {
              return Bad("takes a positive duration such as 30s, 2m or 1h30m");
            }
            f.*field = *d;
            return absl::OkStatus();
          },
          [field](const ControllerFlags& f) { return FormatGoDuration(f.*field); }};
}

template <class Field>
Flag Bool(const char* name, const char* help, Field field) {
  return {name, help,
          [field](ControllerFlags& f, const std::string& v) {
            if (v != "true" && v != "false") return Bad("takes true or false");
            f.*field = v == "true";
            return absl::OkStatus();
          },
          [field](const ControllerFlags& f) { return f.*field ? "true" : "false"; }, true};
}

template <class Field>
Flag OneOf(const char* name, const char* help, Field field, std::vector<std::string> values,
           const char* takes) {
  return {name, help,
          [field, values, takes](ControllerFlags& f, const std::string& v) {
            for (const std::string& ok : values) {
              if (v == ok) {
                f.*field = v;
                return absl::OkStatus();
              }
            }
            return Bad(takes);
          },
          [field](const ControllerFlags& f) { return f.*field; }};
}

const std::vector<Flag>& Flags() {
  using F = ControllerFlags;
  static const std::vector<Flag> flags = {
      String("kubeconfig",
             "kubeconfig file; default $KUBECONFIG, else the Pod's "
             "ServiceAccount, else ~/.kube/config",
             &F::kubeconfig),
      String("context", "kubeconfig context; default its current-context", &F::context),
      String("namespace",
             "watch only this namespace (ClusterWatchRules are then "
             "ignored); default every namespace",
             &F::namespace_),
      Bool("leader-elect",
           "elect a leader with a Lease: only the leader writes to Git "
           "or status; a standby takes over within --lease-duration",
           &F::leader_elect),
      String("leader-election-namespace",
             "namespace of the Lease; default the Pod's, "
             "else gitdest-system",
             &F::leader_election_namespace),
      String("leader-election-id", "name of the Lease", &F::leader_election_id),
      Duration("lease-duration",
               "a standby takes the lease after seeing no renewal "
               "for this long",
               &F::lease_duration),
      Duration("renew-deadline",
               "the leader stops writing when it could not renew for "
               "this long; less than --lease-duration",
               &F::renew_deadline),
      Duration("retry-period", "between attempts to take or renew the lease", &F::retry_period),
      String("identity",
             "this replica's name in the Lease; default $POD_NAME or the "
             "hostname, plus a random suffix",
             &F::identity),
      String("cache-dir",
             "Git object caches, one bare repository per repository; "
             "disposable (an emptyDir)",
             &F::cache_dir),
      Duration("metadata-cache-ttl",
               "one remote read of a branch serves every "
               "destination on it for this long",
               &F::metadata_cache_ttl),
      Duration("requeue-interval",
               "periodic reconcile of a healthy destination "
               "(spread ±10%)",
               &F::requeue_interval),
      Duration("discovery-interval",
               "how often the API's resource types are discovered again (a CRD installed "
               "later is captured once it is served)",
               &F::discovery_interval),
      {"kube-api-qps",
       "client-side rate limit of API requests per second (watches "
       "are not limited)",
       [](F& f, const std::string& v) {
         double q = 0;
         if (!absl::SimpleAtod(v, &q) || q <= 0) return Bad("takes a positive number");
         f.kube_api_qps = q;
         return absl::OkStatus();
       },
       [](const F& f) { return absl::StrCat(f.kube_api_qps); }},
      Int("kube-api-burst", "API requests allowed at once before the QPS applies",
          &F::kube_api_burst, 1),
      Int("git-read-workers",
          "threads for remote branch reads; also the most reads in flight at once (more wait "
          "their turn in the controller)",
          &F::git_read_workers, 1),
      Int("git-list-workers",
          "threads for resync listings (the cluster's objects and the folder's files); also the "
          "most listings in flight at once (more wait their turn in the controller)",
          &F::git_list_workers, 1),
      Int("git-push-workers", "threads for commits and pushes", &F::git_push_workers, 1),
      Int("api-workers",
          "threads for status writes (Events have one of their own); also the most status "
          "writes in flight at once (more wait their turn in the controller)",
          &F::api_workers, 1),
      Int("health-port", "gRPC health (grpc.health.v1) and reflection; 0 = off", &F::health_port,
          0),
      Int("metrics-port", "Prometheus text metrics at /metrics; 0 = off", &F::metrics_port, 0),
      String("bind-address", "address the health and metrics servers listen on", &F::bind_address),
      String("trace-file",
             "record every input the core receives, in the simulator's "
             "trace format (`gitdest-sim replay FILE` replays it); no credentials",
             &F::trace_file),
      OneOf("log-format", "text or json", &F::log_format, {"text", "json"}, "takes text or json"),
      OneOf("log-level", "debug, info, warn or error", &F::log_level,
            {"debug", "info", "warn", "error"}, "takes debug, info, warn or error"),
      Int("webhook-port",
          "HTTPS port of the validating admission webhook (path "
          "/validate-gitdestination), served by every replica; 0 = off",
          &F::webhook_port, 0),
      String("webhook-cert-dir",
             "directory with the webhook's tls.crt and tls.key (e.g. a cert-manager "
             "Secret mounted), re-read when they change; empty = self-managed: the "
             "controller makes a CA and certificate, keeps them in --webhook-secret-name "
             "and writes the CA into --webhook-config-name's caBundle",
             &F::webhook_cert_dir),
      String("webhook-service-name",
             "Service in front of the webhook: the self-managed certificate is for "
             "NAME.NAMESPACE.svc (and .svc.cluster.local)",
             &F::webhook_service_name),
      String("webhook-service-namespace",
             "namespace of that Service and of the self-managed Secret; default the "
             "Pod's, else gitdest-system",
             &F::webhook_service_namespace),
      String("webhook-secret-name", "Secret holding the self-managed CA and certificate",
             &F::webhook_secret_name),
      String("webhook-config-name",
             "ValidatingWebhookConfiguration whose caBundle the self-managed CA is "
             "written into; empty = none",
             &F::webhook_config_name),
      String("webhook-extra-dns-names",
             "more DNS names for the self-managed certificate, comma-separated (e.g. "
             "localhost)",
             &F::webhook_extra_dns_names),
      Duration("webhook-cert-refresh-interval",
               "how often the webhook's certificate is re-read (provided) or checked "
               "for renewal (self-managed)",
               &F::webhook_cert_refresh_interval),
  };
  return flags;
}

const Flag* Find(const std::string& name) {
  for (const Flag& flag : Flags()) {
    if (name == flag.name) return &flag;
  }
  return nullptr;
}

absl::Status Set(const Flag& flag, ControllerFlags& f, const std::string& value,
                 const std::string& source) {
  absl::Status s = flag.set(f, value);
  if (s.ok()) return s;
  return absl::InvalidArgumentError(
      absl::StrCat(source, ": ", s.message(), " (got \"", value, "\")"));
}

std::string EnvName(const char* flag) {
  return absl::StrCat("GITDEST_", absl::AsciiStrToUpper(absl::StrReplaceAll(flag, {{"-", "_"}})));
}

}  // namespace

absl::StatusOr<ControllerFlags> ParseControllerFlags(const std::vector<std::string>& args) {
  ControllerFlags f;
  for (const Flag& flag : Flags()) {
    const std::string env = EnvName(flag.name);
    if (const char* v = std::getenv(env.c_str()); v != nullptr) {
      if (absl::Status s = Set(flag, f, v, env); !s.ok()) return s;
    }
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      f.help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument \"", arg, "\"; flags look like --name=value"));
    }
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    const Flag* flag = Find(name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, "; --help lists them"));
    }
    std::string value;
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
    } else if (flag->boolean) {
      value = "true";
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
    }
    if (absl::Status s = Set(*flag, f, value, "--" + name); !s.ok()) return s;
  }
  if (f.webhook_port > 65535) {
    return absl::InvalidArgumentError("--webhook-port takes a TCP port, 0 to 65535");
  }
  if (f.renew_deadline >= f.lease_duration) {
    return absl::InvalidArgumentError(
        "--renew-deadline must be shorter than --lease-duration, or a leader that cannot "
        "renew could still write after a standby took over");
  }
  return f;
}

std::string ControllerUsage() {
  std::string out =
      "gitdest-controller: writes Kubernetes objects into Git as the cluster's "
      "GitRepoConfigs,\nGitDestinations and WatchRules say. See docs/operations.md.\n\n"
      "Usage: gitdest-controller [--flag=value ...]\n"
      "Every flag can also be set in the environment: --log-format → GITDEST_LOG_FORMAT.\n\n";
  const ControllerFlags defaults;
  for (const Flag& flag : Flags()) {
    absl::StrAppend(&out, "  --", flag.name, flag.boolean ? "" : "=VALUE", "\n      ", flag.help,
                    " (default ", flag.show(defaults), ")\n");
  }
  return out;
}

}  // namespace gitdest::k8s
