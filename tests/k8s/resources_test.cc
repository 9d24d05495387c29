// adapters/k8s/resources.h: gitdest's resources between the API's JSON and the core.
#include "adapters/k8s/resources.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "core/naming/repo_url.h"
#include "core/owned_status.h"
#include "core/watch_rules.h"

namespace gitdest::k8s {
namespace {

using Json = nlohmann::json;

Json RepoConfigObject() {
  return Json::parse(R"({
    "apiVersion": "gitdest.dev/v1alpha1", "kind": "GitRepoConfig",
    "metadata": {"name": "repo", "namespace": "team-a", "uid": "u-1", "generation": 3,
                 "resourceVersion": "4711", "creationTimestamp": "2024-05-01T10:00:00Z"},
    "spec": {"repoUrl": "https://github.com/org/repo.git",
             "allowedBranches": ["main", "feature/**"],
             "secretRef": {"name": "git-creds"},
             "push": {"interval": "1m30s", "maxCommits": 50, "maxBytes": 2097152}}
  })");
}

Json DestinationObject() {
  return Json::parse(R"({
    "apiVersion": "gitdest.dev/v1alpha1", "kind": "GitDestination",
    "metadata": {"name": "prod", "namespace": "team-a", "uid": "u-2", "generation": 2,
                 "resourceVersion": "99", "creationTimestamp": "2024-05-01T10:00:07Z"},
    "spec": {"repoRef": {"name": "repo"}, "branch": "main", "baseFolder": "clusters/prod"}
  })");
}

Json WatchRuleObject() {
  return Json::parse(R"({
    "apiVersion": "gitdest.dev/v1alpha1", "kind": "WatchRule",
    "metadata": {"name": "apps", "namespace": "team-a", "uid": "u-3", "generation": 1,
                 "resourceVersion": "7"},
    "spec": {"destinationRef": {"name": "prod"},
             "rules": [{"operations": ["CREATE", "UPDATE"], "apiGroups": ["apps", ""],
                        "apiVersions": ["v1"], "resources": ["deployments", "configmaps"]},
                       {"resources": ["services"]}]}
  })");
}

// The message of a translation that must fail.
template <class T>
std::string ErrorOf(const absl::StatusOr<T>& result) {
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(result.status().message());
}

// ---- GitRepoConfig -----------------------------------------------------------------------

TEST(RepoConfigFromJson, CarriesEveryField) {
  absl::StatusOr<core::RepoConfig> config = RepoConfigFromJson(RepoConfigObject());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->key, (core::ObjectKey{"team-a", "repo"}));
  EXPECT_EQ(config->uid, "u-1");
  EXPECT_EQ(config->generation, 3);
  EXPECT_EQ(config->resource_version, "4711");
  EXPECT_EQ(config->spec.repo_url, "https://github.com/org/repo.git");
  EXPECT_FALSE(config->spec.repo_url_had_credentials);
  EXPECT_EQ(config->spec.allowed_branches, (std::vector<std::string>{"main", "feature/**"}));
  EXPECT_EQ(config->spec.secret_name, "git-creds");
  EXPECT_EQ(config->spec.push.interval, absl::Seconds(90));
  EXPECT_EQ(config->spec.push.max_commits, 50);
  EXPECT_EQ(config->spec.push.max_bytes, 2097152);
}

TEST(RepoConfigFromJson, PushDefaultsAreTheCoresWhenAbsent) {
  Json object = RepoConfigObject();
  object["spec"].erase("push");
  absl::StatusOr<core::RepoConfig> config = RepoConfigFromJson(object);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->spec.push, core::PushSettings{});

  object["spec"]["push"] = Json::parse(R"({"maxCommits": 5})");
  config = RepoConfigFromJson(object);
  ASSERT_TRUE(config.ok()) << config.status();
  core::PushSettings want;
  want.max_commits = 5;
  EXPECT_EQ(config->spec.push, want);

  // JSON null is the same as absent.
  object["spec"]["push"] = Json::parse(R"({"interval": null, "maxBytes": null})");
  config = RepoConfigFromJson(object);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->spec.push, core::PushSettings{});
}

TEST(RepoConfigFromJson, MissingSpecIsLeftToTheCore) {
  Json object = RepoConfigObject();
  object.erase("spec");
  absl::StatusOr<core::RepoConfig> config = RepoConfigFromJson(object);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->spec, core::RepoConfigSpec{});
  // The core says what is wrong.
  EXPECT_FALSE(core::ValidateRepoConfig(*config).ok());
}

TEST(RepoConfigFromJson, InvalidSpecValuesAreCarriedAsWritten) {
  Json object = RepoConfigObject();
  object["spec"]["repoUrl"] = "not a url";
  object["spec"]["allowedBranches"] = Json::array({"[z-a]", ""});
  object["spec"]["push"]["maxCommits"] = -3;
  absl::StatusOr<core::RepoConfig> config = RepoConfigFromJson(object);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->spec.repo_url, "not a url");
  EXPECT_EQ(config->spec.allowed_branches, (std::vector<std::string>{"[z-a]", ""}));
  EXPECT_EQ(config->spec.push.max_commits, -3);
}

TEST(RepoConfigFromJson, PasswordInUrlIsRedactedAndFlagged) {
  Json object = RepoConfigObject();
  object["spec"]["repoUrl"] = "https://x-access-token:ghp_s3cr3t@github.com/org/repo.git";
  absl::StatusOr<core::RepoConfig> config = RepoConfigFromJson(object);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->spec.repo_url_had_credentials);
  EXPECT_FALSE(absl::StrContains(config->spec.repo_url, "ghp_s3cr3t")) << config->spec.repo_url;
  EXPECT_EQ(config->spec.repo_url, "https://x-access-token@github.com/org/repo.git");
  // The core refuses it, names the Secret, and repeats no secret.
  absl::Status valid = core::ValidateRepoConfig(*config);
  EXPECT_FALSE(valid.ok());
  EXPECT_TRUE(absl::StrContains(valid.message(), "spec.secretRef")) << valid;
  EXPECT_FALSE(absl::StrContains(valid.message(), "ghp_s3cr3t")) << valid;
}

TEST(RepoConfigFromJson, BareTokenInHttpsUrlIsRedactedAndFlagged) {
  Json object = RepoConfigObject();
  object["spec"]["repoUrl"] = "https://ghp_tokenonly@github.com/org/repo";
  absl::StatusOr<core::RepoConfig> config = RepoConfigFromJson(object);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->spec.repo_url, "https://github.com/org/repo");
  EXPECT_TRUE(config->spec.repo_url_had_credentials);
  EXPECT_FALSE(core::ValidateRepoConfig(*config).ok());
}

TEST(RepoConfigFromJson, SshLoginIsNoCredential) {
  Json object = RepoConfigObject();
  for (const char* url : {"git@github.com:org/repo.git", "ssh://git@github.com/org/repo"}) {
    object["spec"]["repoUrl"] = url;
    absl::StatusOr<core::RepoConfig> config = RepoConfigFromJson(object);
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ(config->spec.repo_url, url);
    EXPECT_FALSE(config->spec.repo_url_had_credentials) << url;
  }
  object["spec"]["repoUrl"] = "ssh://git:hunter2@github.com/org/repo";
  absl::StatusOr<core::RepoConfig> config = RepoConfigFromJson(object);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->spec.repo_url_had_credentials);
  EXPECT_FALSE(absl::StrContains(config->spec.repo_url, "hunter2"));
}

TEST(RepoConfigFromJson, PushIntervalIsAGoDuration) {
  Json object = RepoConfigObject();
  for (const auto& [text, want] :
       std::vector<std::pair<std::string, absl::Duration>>{{"10s", absl::Seconds(10)},
                                                           {"1m30s", absl::Seconds(90)},
                                                           {"500ms", absl::Milliseconds(500)},
                                                           {"0", absl::ZeroDuration()}}) {
    object["spec"]["push"]["interval"] = text;
    absl::StatusOr<core::RepoConfig> config = RepoConfigFromJson(object);
    ASSERT_TRUE(config.ok()) << text << ": " << config.status();
    EXPECT_EQ(config->spec.push.interval, want) << text;
  }
  object["spec"]["push"]["interval"] = "ten seconds";
  const std::string error = ErrorOf(RepoConfigFromJson(object));
  EXPECT_TRUE(absl::StartsWith(error, "spec.push.interval: expected a duration")) << error;
  EXPECT_TRUE(absl::StrContains(error, "\"ten seconds\"")) << error;
}

// ---- Wrong JSON types --------------------------------------------------------------------

struct Mutation {
  std::string json_pointer;
  Json value;
  std::string want;  // the whole message
};

TEST(RepoConfigFromJson, WrongJsonTypesNameTheField) {
  const std::vector<Mutation> cases = {
      {"/spec/push/maxCommits", "20", "spec.push.maxCommits: expected an integer"},
      {"/spec/push/maxCommits", 1.5, "spec.push.maxCommits: expected an integer"},
      {"/spec/push/maxBytes", true, "spec.push.maxBytes: expected an integer"},
      {"/spec/push/maxBytes", Json(18446744073709551615ULL),
       "spec.push.maxBytes: integer out of range (at most 2^63-1)"},
      {"/spec/push/interval", 10, "spec.push.interval: expected a string"},
      {"/spec/push", "fast", "spec.push: expected an object"},
      {"/spec/repoUrl", Json::object(), "spec.repoUrl: expected a string"},
      {"/spec/allowedBranches", "main", "spec.allowedBranches: expected an array of strings"},
      {"/spec/allowedBranches/1", 7, "spec.allowedBranches[1]: expected a string"},
      {"/spec/secretRef", "git-creds", "spec.secretRef: expected an object"},
      {"/spec/secretRef/name", Json::array(), "spec.secretRef.name: expected a string"},
      {"/spec", Json::array(), "spec: expected an object"},
      {"/metadata/generation", "3", "metadata.generation: expected an integer"},
      {"/metadata/uid", 1, "metadata.uid: expected a string"},
      {"/metadata/resourceVersion", 4711, "metadata.resourceVersion: expected a string"},
      {"/metadata/name", 1, "metadata.name: expected a string"},
      {"/metadata/name", "", "metadata.name: required"},
      {"/metadata/namespace", false, "metadata.namespace: expected a string"},
      {"/metadata", "repo", "metadata: expected an object"},
      {"/kind", "GitDestination", "kind: expected GitRepoConfig, got \"GitDestination\""},
      {"/apiVersion", "gitops-reverser.configbutler.ai/v1alpha1",
       "apiVersion: expected gitdest.dev/v1alpha1, got "
       "\"gitops-reverser.configbutler.ai/v1alpha1\""},
  };
  for (const Mutation& m : cases) {
    Json object = RepoConfigObject();
    object[Json::json_pointer(m.json_pointer)] = m.value;
    EXPECT_EQ(ErrorOf(RepoConfigFromJson(object)), m.want) << m.json_pointer;
  }
}

TEST(RepoConfigFromJson, NotAnObjectOrNoName) {
  EXPECT_EQ(ErrorOf(RepoConfigFromJson(Json::array())), "object: expected a JSON object");
  EXPECT_EQ(ErrorOf(RepoConfigFromJson(Json("x"))), "object: expected a JSON object");
  Json object = RepoConfigObject();
  object.erase("metadata");
  EXPECT_EQ(ErrorOf(RepoConfigFromJson(object)), "metadata: required");
  object = RepoConfigObject();
  object["metadata"].erase("name");
  EXPECT_EQ(ErrorOf(RepoConfigFromJson(object)), "metadata.name: required");
}

TEST(DestinationFromJson, WrongJsonTypesNameTheField) {
  const std::vector<Mutation> cases = {
      {"/spec/branch", 1, "spec.branch: expected a string"},
      {"/spec/baseFolder", Json::array({"a"}), "spec.baseFolder: expected a string"},
      {"/spec/repoRef", "repo", "spec.repoRef: expected an object"},
      {"/spec/repoRef/name", 3, "spec.repoRef.name: expected a string"},
      {"/spec/repoRef/namespace", 3, "spec.repoRef.namespace: expected a string"},
      {"/metadata/creationTimestamp", "yesterday",
       "metadata.creationTimestamp: expected an RFC 3339 time such as "
       "\"2024-01-31T12:00:00Z\", got \"yesterday\""},
      {"/metadata/creationTimestamp", 1714557607, "metadata.creationTimestamp: expected a string"},
  };
  for (const Mutation& m : cases) {
    Json object = DestinationObject();
    object[Json::json_pointer(m.json_pointer)] = m.value;
    EXPECT_EQ(ErrorOf(DestinationFromJson(object)), m.want) << m.json_pointer;
  }
}

TEST(WatchRuleFromJson, WrongJsonTypesNameTheField) {
  const std::vector<Mutation> cases = {
      {"/spec/rules", Json::object(), "spec.rules: expected an array"},
      {"/spec/rules/1", "services", "spec.rules[1]: expected an object"},
      {"/spec/rules/0/operations/1", 3, "spec.rules[0].operations[1]: expected a string"},
      {"/spec/rules/1/resources", "services",
       "spec.rules[1].resources: expected an array of strings"},
      {"/spec/rules/0/apiGroups", 1, "spec.rules[0].apiGroups: expected an array of strings"},
      {"/spec/rules/0/apiVersions/0", nullptr, "spec.rules[0].apiVersions[0]: expected a string"},
      {"/spec/rules/0/scope", 1, "spec.rules[0].scope: expected a string"},
      {"/spec/destinationRef", "prod", "spec.destinationRef: expected an object"},
      {"/spec/destinationRef/namespace", 1, "spec.destinationRef.namespace: expected a string"},
      {"/kind", "Deployment", "kind: expected WatchRule or ClusterWatchRule, got \"Deployment\""},
  };
  for (const Mutation& m : cases) {
    Json object = WatchRuleObject();
    object[Json::json_pointer(m.json_pointer)] = m.value;
    EXPECT_EQ(ErrorOf(WatchRuleFromJson(object)), m.want) << m.json_pointer;
  }
}

// ---- GitDestination ----------------------------------------------------------------------

TEST(DestinationFromJson, CarriesEveryField) {
  absl::StatusOr<core::Destination> d = DestinationFromJson(DestinationObject());
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->key, (core::ObjectKey{"team-a", "prod"}));
  EXPECT_EQ(d->uid, "u-2");
  EXPECT_EQ(d->generation, 2);
  EXPECT_EQ(d->resource_version, "99");
  EXPECT_EQ(d->creation_time, absl::FromUnixSeconds(1714557607));
  // repoRef.namespace defaults to the destination's own.
  EXPECT_EQ(d->spec.repo_ref, (core::ObjectKey{"team-a", "repo"}));
  EXPECT_EQ(d->spec.branch, "main");
  EXPECT_EQ(d->spec.base_folder, "clusters/prod");
}

TEST(DestinationFromJson, RepoRefNamespaceAsWritten) {
  Json object = DestinationObject();
  object["spec"]["repoRef"]["namespace"] = "shared";
  absl::StatusOr<core::Destination> d = DestinationFromJson(object);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->spec.repo_ref, (core::ObjectKey{"shared", "repo"}));
}

TEST(DestinationFromJson, UnsafeValuesAreCarriedAsWritten) {
  Json object = DestinationObject();
  object["spec"]["branch"] = "-evil..branch";
  object["spec"]["baseFolder"] = "../../etc";
  absl::StatusOr<core::Destination> d = DestinationFromJson(object);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->spec.branch, "-evil..branch");
  EXPECT_EQ(d->spec.base_folder, "../../etc");
}

TEST(DestinationFromJson, MissingSpecAndDefaults) {
  Json object = Json::parse(R"({"metadata": {"name": "bare", "namespace": "ns"}})");
  absl::StatusOr<core::Destination> d = DestinationFromJson(object);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->generation, 1);
  EXPECT_EQ(d->creation_time, absl::UnixEpoch());
  EXPECT_EQ(d->spec.repo_ref, (core::ObjectKey{"ns", ""}));
  EXPECT_EQ(d->spec.branch, "");
}

TEST(DestinationFromJson, HostileValues) {
  Json object = DestinationObject();
  const std::string huge(4 << 20, 'a');  // 4 MiB
  const std::string non_ascii = "zweig/\xC3\xBC\xC3\x9F/\xE5\x88\x86\xE6\x94\xAF/\xF0\x9F\x8C\xB2";
  object["spec"]["branch"] = huge;
  object["spec"]["baseFolder"] = non_ascii;
  object["metadata"]["name"] = non_ascii;
  // Through text, as the API server delivers it.
  absl::StatusOr<core::Destination> d = DestinationFromJson(Json::parse(object.dump()));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->spec.branch, huge);
  EXPECT_EQ(d->spec.base_folder, non_ascii);
  EXPECT_EQ(d->key.name, non_ascii);

  // An error quoting a hostile value stays short and ASCII.
  object["kind"] = std::string(1 << 20, 'k') + non_ascii;
  const std::string error = ErrorOf(DestinationFromJson(object));
  EXPECT_LT(error.size(), 400u) << error;
  for (char c : error) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << error;
}

// ---- WatchRule and ClusterWatchRule --------------------------------------------------------

TEST(WatchRuleFromJson, CarriesEveryField) {
  absl::StatusOr<core::WatchRule> rule = WatchRuleFromJson(WatchRuleObject());
  ASSERT_TRUE(rule.ok()) << rule.status();
  EXPECT_EQ(rule->key, (core::ObjectKey{"team-a", "apps"}));
  EXPECT_FALSE(rule->IsClusterRule());
  EXPECT_EQ(rule->uid, "u-3");
  EXPECT_EQ(rule->resource_version, "7");
  // The namespace is left empty as written: the core fills in the rule's own.
  EXPECT_EQ(rule->destination_ref, (core::ObjectKey{"", "prod"}));
  ASSERT_EQ(rule->rules.size(), 2u);
  EXPECT_EQ(rule->rules[0].operations, (std::vector<std::string>{"CREATE", "UPDATE"}));
  EXPECT_EQ(rule->rules[0].api_groups, (std::vector<std::string>{"apps", ""}));
  EXPECT_EQ(rule->rules[0].api_versions, (std::vector<std::string>{"v1"}));
  EXPECT_EQ(rule->rules[0].resources, (std::vector<std::string>{"deployments", "configmaps"}));
  core::ResourceRule services;
  services.resources = {"services"};
  EXPECT_EQ(rule->rules[1], services);
  EXPECT_TRUE(core::ValidateWatchRule(*rule).ok());
  EXPECT_EQ(core::DestinationOf(*rule), (core::ObjectKey{"team-a", "prod"}));
}

TEST(WatchRuleFromJson, InvalidRulesAreLeftToTheCore) {
  Json object = WatchRuleObject();
  object["spec"]["rules"][0]["operations"] = Json::array({"create"});
  object["spec"]["rules"][1]["resources"] = Json::array({"pods/status"});
  absl::StatusOr<core::WatchRule> rule = WatchRuleFromJson(object);
  ASSERT_TRUE(rule.ok()) << rule.status();
  EXPECT_EQ(rule->rules[0].operations, (std::vector<std::string>{"create"}));
  absl::Status valid = core::ValidateWatchRule(*rule);
  EXPECT_TRUE(absl::StrContains(valid.message(), "spec.rules[0].operations[0]")) << valid;
  EXPECT_TRUE(absl::StrContains(valid.message(), "spec.rules[1].resources[0]")) << valid;

  object.erase("spec");
  rule = WatchRuleFromJson(object);
  ASSERT_TRUE(rule.ok()) << rule.status();
  EXPECT_TRUE(rule->rules.empty());
  EXPECT_FALSE(core::ValidateWatchRule(*rule).ok());
}

TEST(WatchRuleFromJson, ClusterWatchRule) {
  Json object = Json::parse(R"({
    "apiVersion": "gitdest.dev/v1alpha1", "kind": "ClusterWatchRule",
    "metadata": {"name": "rbac", "uid": "u-4", "generation": 5, "resourceVersion": "8"},
    "spec": {"destinationRef": {"name": "prod", "namespace": "team-a"},
             "rules": [{"apiGroups": ["rbac.authorization.k8s.io"],
                        "resources": ["clusterroles"], "scope": "Cluster"}]}
  })");
  absl::StatusOr<core::WatchRule> rule = WatchRuleFromJson(object);
  ASSERT_TRUE(rule.ok()) << rule.status();
  EXPECT_TRUE(rule->IsClusterRule());
  EXPECT_EQ(rule->key, (core::ObjectKey{"", "rbac"}));
  EXPECT_EQ(rule->generation, 5);
  EXPECT_EQ(rule->destination_ref, (core::ObjectKey{"team-a", "prod"}));
  EXPECT_EQ(rule->rules[0].scope, "Cluster");
  EXPECT_TRUE(core::ValidateWatchRule(*rule).ok());

  // Without a kind, the missing namespace says which.
  object.erase("kind");
  rule = WatchRuleFromJson(object);
  ASSERT_TRUE(rule.ok()) << rule.status();
  EXPECT_TRUE(rule->IsClusterRule());

  object["kind"] = "ClusterWatchRule";
  object["metadata"]["namespace"] = "team-a";
  EXPECT_EQ(ErrorOf(WatchRuleFromJson(object)),
            "metadata.namespace: a ClusterWatchRule is cluster-scoped and has none");
  Json namespaced = WatchRuleObject();
  namespaced["metadata"].erase("namespace");
  EXPECT_EQ(ErrorOf(WatchRuleFromJson(namespaced)), "metadata.namespace: required for a WatchRule");
}

// ---- Paths -------------------------------------------------------------------------------

TEST(Paths, CollectionObjectAndStatus) {
  using core::ResourceKind;
  EXPECT_EQ(CollectionPath(ResourceKind::kGitDestination, "team-a"),
            "/apis/gitdest.dev/v1alpha1/namespaces/team-a/gitdestinations");
  EXPECT_EQ(CollectionPath(ResourceKind::kGitRepoConfig, ""),
            "/apis/gitdest.dev/v1alpha1/gitrepoconfigs");
  EXPECT_EQ(CollectionPath(ResourceKind::kWatchRule, "x"),
            "/apis/gitdest.dev/v1alpha1/namespaces/x/watchrules");
  EXPECT_EQ(CollectionPath(ResourceKind::kClusterWatchRule, "ignored"),
            "/apis/gitdest.dev/v1alpha1/clusterwatchrules");
  EXPECT_EQ(StatusPath({ResourceKind::kClusterWatchRule, {"", "rbac"}}),
            "/apis/gitdest.dev/v1alpha1/clusterwatchrules/rbac/status");
  EXPECT_EQ(ObjectPath({ResourceKind::kGitDestination, {"ns", "d"}}),
            "/apis/gitdest.dev/v1alpha1/namespaces/ns/gitdestinations/d");
  EXPECT_EQ(PluralOf(ResourceKind::kWatchRule), "watchrules");
  EXPECT_EQ(KindOf(ResourceKind::kGitRepoConfig), "GitRepoConfig");
}

// ---- Status ------------------------------------------------------------------------------

core::DestinationStatus SampleDestinationStatus() {
  core::DestinationStatus s;
  s.observed_generation = 2;
  s.branch_exists = true;
  s.last_commit_sha = "0123456789abcdef0123456789abcdef01234567";
  s.last_sync_time = absl::FromUnixSeconds(1714557667) + absl::Milliseconds(250);
  s.conditions = {
      {"Ready", core::ConditionStatus::kTrue, "Synced", "branch main read", 2,
       absl::FromUnixSeconds(1714557660)},
      {"Reconciling", core::ConditionStatus::kFalse, "Synced", "", 2,
       absl::FromUnixSeconds(1714557660)},
      {"Stalled", core::ConditionStatus::kUnknown, "Checking", "", 1, absl::InfinitePast()},
  };
  return s;
}

TEST(StatusToJson, Destination) {
  EXPECT_EQ(StatusToJson(SampleDestinationStatus()), Json::parse(R"({
    "conditions": [
      {"type": "Ready", "status": "True", "reason": "Synced", "message": "branch main read",
       "observedGeneration": 2, "lastTransitionTime": "2024-05-01T10:01:00Z"},
      {"type": "Reconciling", "status": "False", "reason": "Synced", "message": "",
       "observedGeneration": 2, "lastTransitionTime": "2024-05-01T10:01:00Z"},
      {"type": "Stalled", "status": "Unknown", "reason": "Checking", "message": "",
       "observedGeneration": 1}
    ],
    "observedGeneration": 2, "branchExists": true,
    "lastCommitSHA": "0123456789abcdef0123456789abcdef01234567",
    "lastSyncTime": "2024-05-01T10:01:07Z"
  })"));
}

TEST(StatusToJson, NeverReadOmitsLastSyncTime) {
  Json j = StatusToJson(core::DestinationStatus{});
  EXPECT_EQ(j, Json::parse(R"({"conditions": [], "observedGeneration": 0,
                               "branchExists": false, "lastCommitSHA": ""})"));
}

TEST(StatusToJson, RepoConfigAndRules) {
  core::RepoConfigStatus repo;
  repo.observed_generation = 4;
  repo.branches_read = 3;
  repo.branches_existing = 2;
  EXPECT_EQ(StatusToJson(repo), Json::parse(R"({"conditions": [], "observedGeneration": 4,
                                                "branchesRead": 3, "branchesExisting": 2})"));
  core::WatchRuleStatus rule;
  rule.observed_generation = 7;
  rule.conditions = {{"Ready", core::ConditionStatus::kFalse, "DestinationNotFound",
                      "GitDestination team-a/prod not found", 7, absl::FromUnixSeconds(0)}};
  EXPECT_EQ(StatusToJson(rule), Json::parse(R"({"observedGeneration": 7, "conditions": [
      {"type": "Ready", "status": "False", "reason": "DestinationNotFound",
       "message": "GitDestination team-a/prod not found", "observedGeneration": 7,
       "lastTransitionTime": "1970-01-01T00:00:00Z"}]})"));
}

TEST(StatusToJson, InvalidUtf8AndHugeMessagesStillSerialise) {
  core::WatchRuleStatus rule;
  rule.conditions = {{"Ready", core::ConditionStatus::kFalse, "InvalidSpec",
                      "bad byte \xFF here, cut \xE2\x82 there", 1, absl::FromUnixSeconds(0)}};
  Json j = StatusToJson(rule);
  EXPECT_EQ(j["conditions"][0]["message"],
            "bad byte \xEF\xBF\xBD here, cut \xEF\xBF\xBD\xEF\xBF\xBD there");
  EXPECT_NO_THROW((void)j.dump());

  // A message beyond metav1.Condition's 32768 is cut at a character boundary.
  rule.conditions[0].message = std::string(40000, 'x');
  rule.conditions[0].message.replace(32767, 2, "\xC3\xA9");  // é across the limit
  j = StatusToJson(rule);
  const std::string message = j["conditions"][0]["message"];
  EXPECT_EQ(message, std::string(32767, 'x'));
}

TEST(ToValidUtf8, KeepsWellFormedTextAndReplacesTheRest) {
  const std::string ok = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x8C\xB2";
  EXPECT_EQ(ToValidUtf8(ok, 100), ok);
  EXPECT_EQ(ToValidUtf8("\xC0\xAF", 100), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong
  EXPECT_EQ(ToValidUtf8("\xED\xA0\x80", 100), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(ToValidUtf8("\xF4\x90\x80\x80", 100).size(), 12u);  // above U+10FFFF
  EXPECT_EQ(ToValidUtf8(ok, 3), "a\xC3\xA9");
  EXPECT_EQ(ToValidUtf8(ok, 2), "a");
}

TEST(StatusWriteBody, NamespacedAndClusterScoped) {
  Json body = StatusWriteBody({core::ResourceKind::kGitDestination, {"team-a", "prod"}}, "99",
                              SampleDestinationStatus());
  EXPECT_EQ(body["apiVersion"], "gitdest.dev/v1alpha1");
  EXPECT_EQ(body["kind"], "GitDestination");
  EXPECT_EQ(body["metadata"],
            Json::parse(R"({"name": "prod", "namespace": "team-a", "resourceVersion": "99"})"));
  EXPECT_EQ(body["status"], StatusToJson(SampleDestinationStatus()));
  EXPECT_FALSE(body.contains("spec"));

  body = StatusWriteBody({core::ResourceKind::kClusterWatchRule, {"", "rbac"}}, "8",
                         core::WatchRuleStatus{});
  EXPECT_EQ(body["kind"], "ClusterWatchRule");
  EXPECT_EQ(body["metadata"], Json::parse(R"({"name": "rbac", "resourceVersion": "8"})"));
}

// The body deploy.sh PUTs to a real API server (tests/e2e/deploy/testdata/): the e2e
// suite proves the CRD's status schema accepts exactly what this function writes.
TEST(StatusWriteBody, MatchesTheE2eFixture) {
  std::ifstream in(std::string(GITDEST_SOURCE_DIR) +
                   "/tests/e2e/deploy/testdata/gitdestination-status.json");
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  Json want = Json::parse(text.str());
  EXPECT_EQ(StatusWriteBody({core::ResourceKind::kGitDestination, {"NAMESPACE", "status-put"}},
                            "RESOURCE_VERSION", SampleDestinationStatus()),
            want);
}

// ---- Times -------------------------------------------------------------------------------

TEST(FormatTime, SecondsAndZ) {
  EXPECT_EQ(k8s::FormatTime(absl::UnixEpoch()), "1970-01-01T00:00:00Z");
  EXPECT_EQ(k8s::FormatTime(absl::FromUnixSeconds(1714557607)), "2024-05-01T10:00:07Z");
  // A fraction is dropped toward the past, also before the epoch.
  EXPECT_EQ(k8s::FormatTime(absl::FromUnixSeconds(1714557607) + absl::Milliseconds(999)),
            "2024-05-01T10:00:07Z");
  EXPECT_EQ(k8s::FormatTime(absl::UnixEpoch() - absl::Milliseconds(1)), "1969-12-31T23:59:59Z");
  EXPECT_EQ(k8s::FormatTime(absl::InfinitePast()), "");
  EXPECT_EQ(k8s::FormatTime(absl::InfiniteFuture()), "");
}

TEST(ParseTime, Rfc3339Forms) {
  const absl::Time t = absl::FromUnixSeconds(1714557607);
  EXPECT_EQ(*ParseTime("2024-05-01T10:00:07Z"), t);
  EXPECT_EQ(*ParseTime("2024-05-01t10:00:07z"), t);
  EXPECT_EQ(*ParseTime("2024-05-01T10:00:07.5Z"), t + absl::Milliseconds(500));
  EXPECT_EQ(*ParseTime("2024-05-01T10:00:07.123456789Z"), t + absl::Nanoseconds(123456789));
  EXPECT_EQ(*ParseTime("2024-05-01T10:00:07.1234567891234Z"), t + absl::Nanoseconds(123456789));
  EXPECT_EQ(*ParseTime("2024-05-01T12:00:07+02:00"), t);
  EXPECT_EQ(*ParseTime("2024-05-01T04:30:07.000-05:30"), t);
  EXPECT_EQ(*ParseTime("2024-02-29T00:00:00Z"), absl::FromUnixSeconds(1709164800));
  EXPECT_EQ(*ParseTime("0001-01-01T00:00:00Z"),
            absl::FromCivil(absl::CivilSecond(1, 1, 1, 0, 0, 0), absl::UTCTimeZone()));
}

TEST(ParseTime, RefusesWhatIsNotRfc3339) {
  for (const char* bad :
       {"", "2024-05-01", "2024-05-01T10:00:07", "2024-05-01 10:00:07Z", "2024-05-01T10:00Z",
        "2024-5-01T10:00:07Z", "2024-05-01T10:00:07.Z", "2024-05-01T10:00:07+0200",
        "2024-05-01T10:00:07+24:00", "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
        "2024-05-01T24:00:00Z", "2024-05-01T10:60:00Z", "2024-05-01T10:00:60Z",
        "2024-05-01T10:00:07Zx", " 2024-05-01T10:00:07Z", "infinite-future",
        "-2024-05-01T10:00:07Z", "2024-05-01T10:00:07\xC3\xBC"}) {
    absl::StatusOr<absl::Time> t = ParseTime(bad);
    EXPECT_FALSE(t.ok()) << bad;
    if (!t.ok()) {
      EXPECT_TRUE(absl::StartsWith(t.status().message(), "expected an RFC 3339 time")) << bad;
    }
  }
}

TEST(Times, RoundTripWholeSeconds) {
  // Every second's worth of shape: across years, leap days, before the epoch.
  for (int64_t s = -62135596800; s < 253402300800; s += 86400 * 97 + 3671) {
    const absl::Time t = absl::FromUnixSeconds(s);
    absl::StatusOr<absl::Time> back = ParseTime(k8s::FormatTime(t));
    ASSERT_TRUE(back.ok()) << k8s::FormatTime(t);
    ASSERT_EQ(*back, t) << k8s::FormatTime(t);
  }
}

// ---- Go durations ------------------------------------------------------------------------

TEST(ParseGoDuration, AcceptsWhatGoAccepts) {
  const std::vector<std::pair<std::string, absl::Duration>> cases = {
      {"0", absl::ZeroDuration()},
      {"+0", absl::ZeroDuration()},
      {"-0", absl::ZeroDuration()},
      {"0s", absl::ZeroDuration()},
      {"10s", absl::Seconds(10)},
      {"1m30s", absl::Seconds(90)},
      {"1h2m3s4ms5us6ns", absl::Hours(1) + absl::Minutes(2) + absl::Seconds(3) +
                              absl::Milliseconds(4) + absl::Microseconds(5) + absl::Nanoseconds(6)},
      {"1.5h", absl::Minutes(90)},
      {".5s", absl::Milliseconds(500)},
      {"5.s", absl::Seconds(5)},
      {"-1.25m", -absl::Seconds(75)},
      {"1\xC2\xB5s", absl::Microseconds(1)},
      {"1\xCE\xBCs", absl::Microseconds(1)},
      {"000000000000000000000001s", absl::Seconds(1)},
      {"1.0000000001s", absl::Seconds(1)},
      {"2562047h47m16.854775807s", absl::Nanoseconds(std::numeric_limits<int64_t>::max())},
      {"9223372036854775807ns", absl::Nanoseconds(std::numeric_limits<int64_t>::max())},
  };
  for (const auto& [text, want] : cases) {
    absl::StatusOr<absl::Duration> d = ParseGoDuration(text);
    ASSERT_TRUE(d.ok()) << text << ": " << d.status();
    EXPECT_EQ(*d, want) << text;
  }
}

TEST(ParseGoDuration, RefusesWhatGoRefuses) {
  for (const char* bad : {"",         "-",
                          "+",        "s",
                          "10",       "1d",
                          "1w",       "1.s.s",
                          "..5s",     "1 s",
                          " 1s",      "1s ",
                          "inf",      "-inf",
                          "1e3s",     "1S",
                          "1H",       "9223372036854775808ns",
                          "2562048h", "2562047h47m16.854775808s",
                          "1m-5s"}) {
    absl::StatusOr<absl::Duration> d = ParseGoDuration(bad);
    EXPECT_FALSE(d.ok()) << bad << " = " << (d.ok() ? absl::FormatDuration(*d) : "");
  }
}

TEST(FormatGoDuration, RoundTrips) {
  for (absl::Duration d :
       {absl::ZeroDuration(), absl::Seconds(10), absl::Seconds(90), absl::Milliseconds(1500),
        absl::Hours(25) + absl::Nanoseconds(7), -absl::Minutes(3)}) {
    absl::StatusOr<absl::Duration> back = ParseGoDuration(FormatGoDuration(d));
    ASSERT_TRUE(back.ok()) << FormatGoDuration(d);
    EXPECT_EQ(*back, d);
  }
}

}  // namespace
}  // namespace gitdest::k8s
