#include "adapters/k8s/webhook.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "adapters/k8s/log.h"
#include "adapters/k8s/resources.h"

namespace gitdest::k8s {
namespace {

void Trouble(std::string_view what, const absl::Status& s) {
  Log(LogLevel::kWarn, "webhook", {{"what", std::string(what)}, {"error", s.ToString()}});
}

}  // namespace

Webhook::Webhook(ApiClient& client, WebhookOptions options) : options_(std::move(options)) {
  if (!options_.cert_dir.empty()) {
    cert_dir_ = std::make_unique<CertDirReader>(options_.cert_dir, certificate_);
  } else {
    self_managed_ = std::make_unique<SelfManagedCertificates>(
        client, certificate_,
        SelfManagedCertificates::Options{.namespace_ = options_.secret_namespace,
                                         .secret_name = options_.secret_name,
                                         .dns_names = options_.dns_names,
                                         .webhook_config_name = options_.webhook_config_name});
  }
}

absl::StatusOr<std::unique_ptr<Webhook>> Webhook::Start(ApiClient& client, WebhookOptions options) {
  std::unique_ptr<Webhook> webhook(new Webhook(client, std::move(options)));
  if (webhook->cert_dir_ != nullptr) {
    if (absl::StatusOr<bool> loaded = webhook->cert_dir_->Reload(); !loaded.ok()) {
      return loaded.status();
    }
  } else {
    (void)webhook->RefreshCertificate();  // else retried by the upkeep thread
  }
  webhook->StartWatches(client);
  Webhook* self = webhook.get();
  webhook->server_ = std::make_unique<WebhookServer>(
      WebhookServer::Options{.bind_address = self->options_.bind_address,
                             .port = self->options_.port},
      self->certificate_, [self](std::string_view body) {
        ReviewOutcome out = ReviewAdmission(self->index_, body);
        Log(out.allowed ? LogLevel::kInfo : LogLevel::kWarn, "admission review",
            {{"uid", out.uid},
             {"operation", out.operation},
             {"object", out.object},
             {"allowed", out.allowed ? "true" : "false"},
             {"http_status", absl::StrCat(out.reply.status)},
             {"message", out.message}});
        return std::move(out.reply);
      });
  if (absl::Status s = webhook->server_->Start(); !s.ok()) return s;
  webhook->upkeep_ = std::thread([self] { self->RunUpkeep(); });
  Log(LogLevel::kInfo, "webhook serving",
      {{"address", absl::StrCat(self->options_.bind_address, ":", self->port())},
       {"path", kWebhookPath},
       {"certificate",
        self->cert_dir_ ? "provided in " + self->options_.cert_dir
                        : absl::StrCat("self-managed in Secret ", self->options_.secret_namespace,
                                       "/", self->options_.secret_name)}});
  return webhook;
}

Webhook::~Webhook() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (upkeep_.joinable()) upkeep_.join();
  if (server_ != nullptr) server_->Stop();
  informers_.clear();  // joins the watches: no handler runs after this
}

void Webhook::StartWatches(ApiClient& client) {
  auto synced = [this](bool destinations) {
    index_.MarkSynced(destinations, !destinations);
    if (index_.synced()) {
      Log(LogLevel::kInfo, "webhook index loaded", {{"claims", absl::StrCat(index_.claims())}});
    }
  };
  informers_.push_back(std::make_unique<Informer>(
      client, CollectionPath(core::ResourceKind::kGitDestination, options_.watch_namespace),
      Informer::Handlers{
          .upsert =
              [this](const nlohmann::json& o) {
                auto d = DestinationFromJson(o);
                // A stale claim kept is a spurious denial at worst: the safe direction.
                if (!d.ok()) return Trouble("GitDestination", d.status());
                index_.UpsertDestination(*d);
              },
          .remove =
              [this](const nlohmann::json& o) {
                if (auto key = KeyOf(o); key.ok()) index_.RemoveDestination(*key);
              },
          .synced = [synced] { synced(true); },
          .trouble = [](const absl::Status& s) { Trouble("watch GitDestinations", s); }}));
  informers_.push_back(std::make_unique<Informer>(
      client, CollectionPath(core::ResourceKind::kGitRepoConfig, options_.watch_namespace),
      Informer::Handlers{
          .upsert =
              [this](const nlohmann::json& o) {
                auto c = RepoConfigFromJson(o);
                if (!c.ok()) return Trouble("GitRepoConfig", c.status());
                index_.UpsertRepoConfig(*c);
              },
          .remove =
              [this](const nlohmann::json& o) {
                if (auto key = KeyOf(o); key.ok()) index_.RemoveRepoConfig(*key);
              },
          .synced = [synced] { synced(false); },
          .trouble = [](const absl::Status& s) { Trouble("watch GitRepoConfigs", s); }}));
  for (auto& informer : informers_) informer->Start();
}

bool Webhook::RefreshCertificate() {
  if (cert_dir_ != nullptr) {
    absl::StatusOr<bool> changed = cert_dir_->Reload();
    if (!changed.ok()) {
      Trouble("reload the provided certificate (the previous one stays)", changed.status());
    } else if (*changed) {
      Log(LogLevel::kInfo, "webhook certificate reloaded", {{"dir", options_.cert_dir}});
    }
    return certificate_.loaded();
  }
  const absl::Time before = certificate_.not_after();
  if (absl::Status s = self_managed_->Sync(absl::Now()); !s.ok()) {
    Trouble("self-managed certificate", s);
  } else if (certificate_.not_after() != before) {
    Log(LogLevel::kInfo, "webhook certificate loaded",
        {{"secret", absl::StrCat(options_.secret_namespace, "/", options_.secret_name)},
         {"dns_names", absl::StrJoin(options_.dns_names, ",")},
         {"not_after", absl::FormatTime(certificate_.not_after())}});
  }
  return certificate_.loaded();
}

void Webhook::RunUpkeep() {
  bool loaded = certificate_.loaded();
  for (;;) {
    // Until a certificate exists, try again soon: the server cannot shake hands without one.
    const absl::Duration wait = loaded ? options_.cert_refresh_interval
                                       : std::min(options_.cert_refresh_interval, absl::Seconds(5));
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, absl::ToChronoMilliseconds(wait), [&] { return stop_; })) return;
    }
    loaded = RefreshCertificate();
  }
}

absl::StatusOr<std::unique_ptr<Webhook>> StartWebhook(ApiClient& client,
                                                      const ControllerFlags& flags,
                                                      const std::string& pod_namespace) {
  if (flags.webhook_port == 0) return nullptr;
  std::string ns = flags.webhook_service_namespace;
  if (ns.empty()) ns = pod_namespace.empty() ? "gitdest-system" : pod_namespace;
  const std::string service = absl::StrCat(flags.webhook_service_name, ".", ns);
  std::vector<std::string> names = {service + ".svc", service + ".svc.cluster.local", service};
  for (absl::string_view extra :
       absl::StrSplit(flags.webhook_extra_dns_names, ',', absl::SkipWhitespace())) {
    names.emplace_back(absl::StripAsciiWhitespace(extra));
  }
  return Webhook::Start(client, {.bind_address = flags.bind_address,
                                 .port = flags.webhook_port,
                                 .watch_namespace = flags.namespace_,
                                 .cert_dir = flags.webhook_cert_dir,
                                 .secret_namespace = ns,
                                 .secret_name = flags.webhook_secret_name,
                                 .dns_names = std::move(names),
                                 .webhook_config_name = flags.webhook_config_name,
                                 .cert_refresh_interval = flags.webhook_cert_refresh_interval});
}

}  // namespace gitdest::k8s
