#include "core/watch_rules.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"

namespace gitdest::core {

// Readable failures in both GoogleTest and RapidCheck.
std::ostream& operator<<(std::ostream& os, const ObjectKey& key) { return os << key.ToString(); }
std::ostream& operator<<(std::ostream& os, const GroupVersionResource& gvr) {
  return os << "\"" << gvr.group << "/" << gvr.version << "/" << gvr.resource << "\"";
}
std::ostream& operator<<(std::ostream& os, const ResourceTypeInfo& type) {
  return os << "{" << type.gvr << (type.namespaced ? " namespaced" : " cluster")
            << (type.preferred ? " preferred" : "") << "}";
}
std::ostream& operator<<(std::ostream& os, const ResourceRule& rule) {
  const auto list = [](const std::vector<std::string>& v) {
    return v.empty() ? std::string("[]") : "[\"" + absl::StrJoin(v, "\",\"") + "\"]";
  };
  return os << "{ops=" << list(rule.operations) << " groups=" << list(rule.api_groups)
            << " versions=" << list(rule.api_versions) << " resources=" << list(rule.resources)
            << " scope=\"" << rule.scope << "\"}";
}
std::ostream& operator<<(std::ostream& os, const RuleVerdict& verdict) {
  return os << "{ready=" << verdict.ready << " reason=" << verdict.reason << " message=\""
            << verdict.message << "\"}";
}
std::ostream& operator<<(std::ostream& os, const WatchRule& rule) {
  os << (rule.IsClusterRule() ? "ClusterWatchRule " : "WatchRule ") << rule.key << " -> "
     << rule.destination_ref << " [";
  for (const ResourceRule& r : rule.rules) os << r << " ";
  return os << "]";
}

namespace {

// Like gmock's HasSubstr (gmock is not a dependency here), with both strings shown.
::testing::AssertionResult HasSubstr(absl::string_view text, absl::string_view part) {
  if (absl::StrContains(text, part)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" lacks \"" << part << "\"";
}

// ---- Fixtures: a small cluster's discovery ------------------------------------------------

ResourceTypeInfo Type(std::string group, std::string version, std::string resource,
                      std::string kind, bool namespaced, bool preferred = true) {
  return {{std::move(group), std::move(version), std::move(resource)},
          std::move(kind),
          namespaced,
          preferred};
}

const ResourceTypeInfo kConfigMaps = Type("", "v1", "configmaps", "ConfigMap", true);
const ResourceTypeInfo kSecrets = Type("", "v1", "secrets", "Secret", true);
const ResourceTypeInfo kNamespaces = Type("", "v1", "namespaces", "Namespace", false);
const ResourceTypeInfo kPodStatus = Type("", "v1", "pods/status", "Pod", true);
const ResourceTypeInfo kCoreEvents = Type("", "v1", "events", "Event", true);
const ResourceTypeInfo kEvents = Type("events.k8s.io", "v1", "events", "Event", true);
const ResourceTypeInfo kDeployments = Type("apps", "v1", "deployments", "Deployment", true);
const ResourceTypeInfo kDeploymentsBeta =
    Type("apps", "v1beta1", "deployments", "Deployment", true, false);
const ResourceTypeInfo kWidgetsV1 = Type("example.com", "v1", "widgets", "Widget", true, false);
const ResourceTypeInfo kWidgetsV2 = Type("example.com", "v2", "widgets", "Widget", true);
const ResourceTypeInfo kClusterWidgets =
    Type("example.com", "v1", "clusterwidgets", "ClusterWidget", false);
const ResourceTypeInfo kOtherSecrets = Type("example.com", "v1", "secrets", "Secret", true);
const ResourceTypeInfo kClusterRoles =
    Type("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false);

std::vector<ResourceTypeInfo> Discovery() {
  return {kConfigMaps,     kSecrets,      kNamespaces,      kPodStatus, kCoreEvents,
          kEvents,         kDeployments,  kDeploymentsBeta, kWidgetsV1, kWidgetsV2,
          kClusterWidgets, kOtherSecrets, kClusterRoles};
}

const std::vector<ChangeOp> kOps = {ChangeOp::kCreate, ChangeOp::kUpdate, ChangeOp::kDelete};

// Every (type, namespace, op) a test looks at: namespaced types in three namespaces.
struct Change {
  ResourceTypeInfo type;
  std::string namespace_;
  ChangeOp op;
};
std::vector<Change> Changes() {
  std::vector<Change> out;
  for (const ResourceTypeInfo& type : Discovery()) {
    const std::vector<std::string> namespaces =
        type.namespaced ? std::vector<std::string>{"a", "b", "c"} : std::vector<std::string>{""};
    for (const std::string& ns : namespaces) {
      for (ChangeOp op : kOps) out.push_back({type, ns, op});
    }
  }
  return out;
}

ResourceRule Rule(std::vector<std::string> resources, std::vector<std::string> groups = {},
                  std::vector<std::string> versions = {}, std::vector<std::string> ops = {},
                  std::string scope = "") {
  return {.operations = std::move(ops),
          .api_groups = std::move(groups),
          .api_versions = std::move(versions),
          .resources = std::move(resources),
          .scope = std::move(scope)};
}

WatchRule Namespaced(std::string ns, std::vector<ResourceRule> rules, std::string dest = "dest") {
  return {.key = {std::move(ns), "rule"},
          .uid = "",
          .generation = 1,
          .resource_version = "1",
          .destination_ref = {"", std::move(dest)},
          .rules = std::move(rules)};
}

WatchRule Cluster(std::vector<ResourceRule> rules, ObjectKey dest = {"infra", "dest"}) {
  return {.key = {"", "cluster-rule"},
          .uid = "",
          .generation = 1,
          .resource_version = "1",
          .destination_ref = std::move(dest),
          .rules = std::move(rules)};
}

bool Captures(const WatchRule& rule, const ResourceTypeInfo& type, absl::string_view ns,
              ChangeOp op = ChangeOp::kUpdate, CaptureOptions options = {}) {
  return RuleCaptures(rule, type, ns, op, options);
}

std::string ErrorOf(const WatchRule& rule) {
  const absl::Status status = ValidateWatchRule(rule);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  return std::string(status.message());
}

// ---- Matching ------------------------------------------------------------------------------

TEST(WatchRuleMatchingTest, EmptyOrStarOperationsMatchEveryOperation) {
  for (const auto& ops : {std::vector<std::string>{}, std::vector<std::string>{"*"},
                          std::vector<std::string>{"CREATE", "*"}}) {
    const WatchRule rule = Namespaced("a", {Rule({"configmaps"}, {}, {}, ops)});
    for (ChangeOp op : kOps) EXPECT_TRUE(Captures(rule, kConfigMaps, "a", op));
  }
}

TEST(WatchRuleMatchingTest, ListedOperationsMatchOnlyThose) {
  const WatchRule rule = Namespaced("a", {Rule({"configmaps"}, {}, {}, {"CREATE", "DELETE"})});
  EXPECT_TRUE(Captures(rule, kConfigMaps, "a", ChangeOp::kCreate));
  EXPECT_FALSE(Captures(rule, kConfigMaps, "a", ChangeOp::kUpdate));
  EXPECT_TRUE(Captures(rule, kConfigMaps, "a", ChangeOp::kDelete));
}

TEST(WatchRuleMatchingTest, EmptyOrStarGroupsMatchEveryGroup) {
  for (const auto& groups : {std::vector<std::string>{}, std::vector<std::string>{"*"}}) {
    const WatchRule rule = Namespaced("a", {Rule({"events"}, groups)});
    EXPECT_TRUE(Captures(rule, kCoreEvents, "a"));
    EXPECT_TRUE(Captures(rule, kEvents, "a"));
  }
}

TEST(WatchRuleMatchingTest, EmptyStringGroupIsTheCoreGroup) {
  const WatchRule rule = Namespaced("a", {Rule({"events", "deployments"}, {""})});
  EXPECT_TRUE(Captures(rule, kCoreEvents, "a"));
  EXPECT_FALSE(Captures(rule, kEvents, "a"));
  EXPECT_FALSE(Captures(rule, kDeployments, "a"));
  const WatchRule apps = Namespaced("a", {Rule({"deployments"}, {"apps"})});
  EXPECT_TRUE(Captures(apps, kDeployments, "a"));
}

TEST(WatchRuleMatchingTest, OmittedVersionsMeanThePreferredVersion) {
  const WatchRule rule = Namespaced("a", {Rule({"deployments", "widgets"})});
  EXPECT_TRUE(Captures(rule, kDeployments, "a"));
  EXPECT_FALSE(Captures(rule, kDeploymentsBeta, "a"));
  EXPECT_FALSE(Captures(rule, kWidgetsV1, "a"));
  EXPECT_TRUE(Captures(rule, kWidgetsV2, "a"));
}

TEST(WatchRuleMatchingTest, StarVersionsMeanEveryServedVersion) {
  const WatchRule rule = Namespaced("a", {Rule({"deployments"}, {}, {"*"})});
  EXPECT_TRUE(Captures(rule, kDeployments, "a"));
  EXPECT_TRUE(Captures(rule, kDeploymentsBeta, "a"));
}

TEST(WatchRuleMatchingTest, ListedVersionsMatchOnlyThose) {
  const WatchRule rule = Namespaced("a", {Rule({"widgets", "deployments"}, {}, {"v1"})});
  EXPECT_TRUE(Captures(rule, kWidgetsV1, "a"));  // listed, though not preferred
  EXPECT_FALSE(Captures(rule, kWidgetsV2, "a"));
  EXPECT_TRUE(Captures(rule, kDeployments, "a"));
  EXPECT_FALSE(Captures(rule, kDeploymentsBeta, "a"));
}

TEST(WatchRuleMatchingTest, ResourcesMatchPluralsIgnoringCase) {
  const WatchRule rule = Namespaced("a", {Rule({"ConfigMaps", "DEPLOYMENTS"})});
  EXPECT_TRUE(Captures(rule, kConfigMaps, "a"));
  EXPECT_TRUE(Captures(rule, kDeployments, "a"));
  EXPECT_FALSE(Captures(rule, kWidgetsV2, "a"));
  // Discovery reports lower-case plurals; a type that did not would still match.
  EXPECT_TRUE(Captures(rule, Type("", "v1", "ConfigMaps", "ConfigMap", true), "a"));
}

TEST(WatchRuleMatchingTest, KindsAndSingularsAreNotResources) {
  const WatchRule rule = Namespaced("a", {Rule({"ConfigMap", "deployment"})});
  EXPECT_FALSE(Captures(rule, kConfigMaps, "a"));
  EXPECT_FALSE(Captures(rule, kDeployments, "a"));
}

TEST(WatchRuleMatchingTest, StarResourceMatchesEveryResource) {
  const WatchRule rule = Namespaced("a", {Rule({"*"})});
  for (const ResourceTypeInfo& type : {kConfigMaps, kDeployments, kWidgetsV2, kEvents}) {
    EXPECT_TRUE(Captures(rule, type, "a")) << type;
  }
}

TEST(WatchRuleMatchingTest, SubresourceTypesAreNeverCaptured) {
  const WatchRule all = Cluster({Rule({"*"}, {"*"}, {"*"}, {}, "Namespaced")});
  EXPECT_FALSE(Captures(all, kPodStatus, "a"));
  EXPECT_FALSE(Captures(Namespaced("a", {Rule({"pods"})}), kPodStatus, "a"));
}

TEST(WatchRuleMatchingTest, WatchRuleCapturesOnlyItsOwnNamespace) {
  const WatchRule rule = Namespaced("a", {Rule({"configmaps"})});
  EXPECT_TRUE(Captures(rule, kConfigMaps, "a"));
  EXPECT_FALSE(Captures(rule, kConfigMaps, "b"));
  EXPECT_FALSE(Captures(rule, kConfigMaps, "ab"));
}

TEST(WatchRuleMatchingTest, WatchRuleNeverCapturesClusterScopedObjects) {
  const WatchRule rule = Namespaced("a", {Rule({"*"}, {"*"}, {"*"})});
  EXPECT_FALSE(Captures(rule, kNamespaces, ""));
  EXPECT_FALSE(Captures(rule, kClusterRoles, ""));
  EXPECT_FALSE(Captures(rule, kClusterWidgets, ""));
}

TEST(WatchRuleMatchingTest, ClusterScopeCapturesOnlyClusterScopedTypes) {
  const WatchRule rule = Cluster({Rule({"*"}, {}, {}, {}, "Cluster")});
  EXPECT_TRUE(Captures(rule, kNamespaces, ""));
  EXPECT_TRUE(Captures(rule, kClusterRoles, ""));
  EXPECT_FALSE(Captures(rule, kConfigMaps, "a"));
}

TEST(WatchRuleMatchingTest, NamespacedScopeCapturesEveryNamespace) {
  const WatchRule rule = Cluster({Rule({"configmaps", "namespaces"}, {}, {}, {}, "Namespaced")});
  EXPECT_TRUE(Captures(rule, kConfigMaps, "a"));
  EXPECT_TRUE(Captures(rule, kConfigMaps, "kube-system"));
  EXPECT_FALSE(Captures(rule, kNamespaces, ""));
}

TEST(WatchRuleMatchingTest, ChangesWhoseNamespaceContradictsTheirTypeAreNotCaptured) {
  const WatchRule rule = Cluster({Rule({"*"}, {}, {}, {}, "Namespaced"),  //
                                  Rule({"*"}, {}, {}, {}, "Cluster")});
  EXPECT_FALSE(Captures(rule, kConfigMaps, ""));
  EXPECT_FALSE(Captures(rule, kNamespaces, "a"));
}

TEST(WatchRuleMatchingTest, RulesAreOred) {
  const WatchRule rule = Namespaced(
      "a", {Rule({"configmaps"}, {}, {}, {"CREATE"}), Rule({"configmaps"}, {}, {}, {"DELETE"})});
  EXPECT_TRUE(Captures(rule, kConfigMaps, "a", ChangeOp::kCreate));
  EXPECT_FALSE(Captures(rule, kConfigMaps, "a", ChangeOp::kUpdate));
  EXPECT_TRUE(Captures(rule, kConfigMaps, "a", ChangeOp::kDelete));
}

TEST(WatchRuleMatchingTest, InvalidRuleCapturesNothing) {
  const WatchRule rule = Namespaced("a", {Rule({"configmaps"}, {}, {}, {"create"})});
  ASSERT_FALSE(ValidateWatchRule(rule).ok());
  EXPECT_FALSE(Captures(rule, kConfigMaps, "a", ChangeOp::kCreate));
}

// ---- Secrets -------------------------------------------------------------------------------

TEST(WatchRuleSecretsTest, WildcardsNeverCaptureSecrets) {
  const WatchRule ns = Namespaced("a", {Rule({"*"}, {"*"}, {"*"})});
  const WatchRule cluster = Cluster({Rule({"*"}, {"*"}, {"*"}, {"*"}, "Namespaced")});
  for (const bool allow : {false, true}) {
    EXPECT_FALSE(Captures(ns, kSecrets, "a", ChangeOp::kCreate, {.allow_secrets = allow}));
    EXPECT_FALSE(Captures(cluster, kSecrets, "a", ChangeOp::kCreate, {.allow_secrets = allow}));
    EXPECT_FALSE(Captures(ns, Type("", "v1", "Secrets", "Secret", true), "a", ChangeOp::kCreate,
                          {.allow_secrets = allow}));
  }
}

TEST(WatchRuleSecretsTest, NamedSecretsNeedAllowSecrets) {
  const WatchRule rule = Namespaced("a", {Rule({"Secrets"}, {""})});
  EXPECT_FALSE(Captures(rule, kSecrets, "a"));
  EXPECT_TRUE(Captures(rule, kSecrets, "a", ChangeOp::kUpdate, {.allow_secrets = true}));
  EXPECT_FALSE(Captures(rule, kSecrets, "b", ChangeOp::kUpdate, {.allow_secrets = true}));
  const WatchRule with_star = Namespaced("a", {Rule({"*", "secrets"})});
  EXPECT_TRUE(Captures(with_star, kSecrets, "a", ChangeOp::kUpdate, {.allow_secrets = true}));
}

TEST(WatchRuleSecretsTest, OtherGroupsMayNameTheirResourcesSecrets) {
  const WatchRule rule = Namespaced("a", {Rule({"*"})});
  EXPECT_TRUE(Captures(rule, kOtherSecrets, "a"));
  EXPECT_FALSE(Captures(rule, kSecrets, "a"));
}

// ---- Validation ----------------------------------------------------------------------------

TEST(ValidateWatchRuleTest, AcceptsWellFormedRules) {
  EXPECT_TRUE(ValidateWatchRule(Namespaced("a", {Rule({"configmaps"})})).ok());
  EXPECT_TRUE(
      ValidateWatchRule(
          Namespaced("a", {Rule({"*", "Deployments"}, {"", "apps", "*"}, {"v1", "v2beta1", "*"},
                                {"CREATE", "UPDATE", "DELETE", "*"}, "Namespaced")}))
          .ok());
  WatchRule own = Namespaced("a", {Rule({"configmaps"})});
  own.destination_ref.namespace_ = "a";
  EXPECT_TRUE(ValidateWatchRule(own).ok());
  EXPECT_TRUE(ValidateWatchRule(Cluster({Rule({"nodes"}, {}, {}, {}, "Cluster"),
                                         Rule({"*"}, {}, {}, {}, "Namespaced")}))
                  .ok());
}

TEST(ValidateWatchRuleTest, UnknownOperationNamesItsIndex) {
  const WatchRule rule = Namespaced(
      "a", {Rule({"x"}), Rule({"x"}), Rule({"configmaps"}, {}, {}, {"create", "UPDATE"})});
  EXPECT_EQ(ErrorOf(rule),
            "spec.rules[2].operations[0]: unknown operation \"create\" "
            "(use CREATE, UPDATE, DELETE or \"*\")");
}

TEST(ValidateWatchRuleTest, RulesAreRequired) {
  EXPECT_TRUE(HasSubstr(ErrorOf(Namespaced("a", {})), "spec.rules: required (add at least one"));
}

TEST(ValidateWatchRuleTest, ResourcesAreRequired) {
  EXPECT_TRUE(HasSubstr(ErrorOf(Namespaced("a", {Rule({})})),
                        "spec.rules[0].resources: required (name plural resources"));
  EXPECT_TRUE(HasSubstr(ErrorOf(Namespaced("a", {Rule({"configmaps", ""})})),
                        "spec.rules[0].resources[1]: empty resource name"));
}

TEST(ValidateWatchRuleTest, SubresourcesAreRefusedWithTheirParentAsTheFix) {
  EXPECT_EQ(ErrorOf(Namespaced("a", {Rule({"pods/status"})})),
            "spec.rules[0].resources[0]: \"pods/status\" names a subresource, which is not "
            "watched (name the resource \"pods\"; its whole object is written)");
  EXPECT_TRUE(HasSubstr(ErrorOf(Namespaced("a", {Rule({"pods/*"})})), "resource \"pods\""));
  EXPECT_TRUE(HasSubstr(ErrorOf(Namespaced("a", {Rule({"*/scale"})})), "resource \"*\""));
}

TEST(ValidateWatchRuleTest, PartialWildcardsAreRefused) {
  EXPECT_TRUE(HasSubstr(ErrorOf(Namespaced("a", {Rule({"pod*"})})),
                        "spec.rules[0].resources[0]: \"pod*\": only a lone \"*\" is a wildcard"));
  EXPECT_TRUE(HasSubstr(ErrorOf(Namespaced("a", {Rule({"x"}, {"*.example.com"})})),
                        "spec.rules[0].apiGroups[0]: \"*.example.com\": only a lone"));
  EXPECT_TRUE(HasSubstr(ErrorOf(Namespaced("a", {Rule({"x"}, {}, {"v1*"})})),
                        "spec.rules[0].apiVersions[0]: \"v1*\": only a lone"));
}

TEST(ValidateWatchRuleTest, GroupVersionMixUpsAreExplained) {
  EXPECT_EQ(ErrorOf(Namespaced("a", {Rule({"deployments"}, {"apps/v1"})})),
            "spec.rules[0].apiGroups[0]: \"apps/v1\" mixes group and version (write the group "
            "in apiGroups and the version in apiVersions)");
  EXPECT_TRUE(HasSubstr(ErrorOf(Namespaced("a", {Rule({"deployments"}, {}, {"apps/v1"})})),
                        "spec.rules[0].apiVersions[0]: \"apps/v1\" mixes group and version"));
}

TEST(ValidateWatchRuleTest, NamesMustBeLowerCase) {
  EXPECT_EQ(ErrorOf(Namespaced("a", {Rule({"x"}, {"Apps"})})),
            "spec.rules[0].apiGroups[0]: \"Apps\": API groups are lower-case (write \"apps\")");
  EXPECT_TRUE(HasSubstr(ErrorOf(Namespaced("a", {Rule({"x"}, {}, {"V1"})})),
                        "API versions are lower-case (write \"v1\")"));
}

TEST(ValidateWatchRuleTest, BadNamesAreRefused) {
  EXPECT_TRUE(HasSubstr(ErrorOf(Namespaced("a", {Rule({"x"}, {"ex ample"})})),
                        "\"ex ample\" is not an API group"));
  EXPECT_TRUE(HasSubstr(ErrorOf(Namespaced("a", {Rule({"x"}, {}, {"v1.0"})})),
                        "\"v1.0\" is not an API version"));
  EXPECT_TRUE(HasSubstr(ErrorOf(Namespaced("a", {Rule({"x"}, {}, {""})})),
                        "spec.rules[0].apiVersions[0]: an empty version matches nothing"));
  EXPECT_TRUE(HasSubstr(ErrorOf(Namespaced("a", {Rule({"config maps"})})),
                        "\"config maps\" is not a resource name"));
}

TEST(ValidateWatchRuleTest, WatchRuleMayNotAskForClusterScope) {
  EXPECT_EQ(ErrorOf(Namespaced("a", {Rule({"nodes"}, {}, {}, {}, "Cluster")})),
            "spec.rules[0].scope: a WatchRule captures only its own namespace (leave scope out, "
            "or use a ClusterWatchRule for cluster-scoped resources)");
  EXPECT_TRUE(HasSubstr(ErrorOf(Namespaced("a", {Rule({"x"}, {}, {}, {}, "namespaced")})),
                        "spec.rules[0].scope: unknown scope \"namespaced\""));
}

TEST(ValidateWatchRuleTest, ClusterRuleNeedsAKnownScope) {
  EXPECT_TRUE(HasSubstr(ErrorOf(Cluster({Rule({"nodes"})})),
                        "spec.rules[0].scope: required for a ClusterWatchRule (write \"Cluster\""));
  EXPECT_TRUE(HasSubstr(ErrorOf(Cluster({Rule({"nodes"}, {}, {}, {}, "cluster")})),
                        "spec.rules[0].scope: unknown scope \"cluster\" (write \"Cluster\" or"));
}

TEST(ValidateWatchRuleTest, DestinationRefIsChecked) {
  EXPECT_EQ(ErrorOf(Namespaced("a", {Rule({"x"})}, "")),
            "spec.destinationRef.name: required (name the GitDestination to write to)");
  EXPECT_TRUE(HasSubstr(ErrorOf(Cluster({Rule({"x"}, {}, {}, {}, "Cluster")}, {"", "dest"})),
                        "spec.destinationRef.namespace: required for a ClusterWatchRule"));
  WatchRule other = Namespaced("a", {Rule({"x"})});
  other.destination_ref.namespace_ = "b";
  EXPECT_TRUE(HasSubstr(ErrorOf(other),
                        "spec.destinationRef.namespace: \"b\" is not this WatchRule's namespace "
                        "\"a\" (a WatchRule writes only to a GitDestination in its own namespace"));
}

TEST(ValidateWatchRuleTest, ListsEveryProblemUpToTen) {
  EXPECT_EQ(ErrorOf(Namespaced("a", {Rule({""}, {}, {}, {"GET"})}, "")),
            "spec.destinationRef.name: required (name the GitDestination to write to); "
            "spec.rules[0].operations[0]: unknown operation \"GET\" (use CREATE, UPDATE, "
            "DELETE or \"*\"); spec.rules[0].resources[0]: empty resource name (name a plural "
            "resource such as \"configmaps\", or \"*\")");
  const WatchRule many = Namespaced("a", {Rule({"x"}, {}, {}, std::vector<std::string>(25, "x"))});
  const std::string message = ErrorOf(many);
  EXPECT_TRUE(HasSubstr(message, "operations[9]"));
  EXPECT_FALSE(HasSubstr(message, "operations[10]"));
  EXPECT_TRUE(absl::EndsWith(message, "; and 15 more")) << message;
}

TEST(ValidateWatchRuleTest, UserTextIsEscapedAndBounded) {
  const std::string message =
      ErrorOf(Namespaced("a", {Rule({"x"}, {}, {}, {"\n\x1b[31m" + std::string(500, 'A')})}));
  EXPECT_TRUE(HasSubstr(message, "\"\\n\\x1b[31mAAAA"));
  EXPECT_TRUE(HasSubstr(message, "AAA...\""));
  EXPECT_LT(message.size(), 200u);
}

// ---- DestinationOf and Classify ---------------------------------------------------------------

TEST(DestinationOfTest, WatchRuleWritesInItsOwnNamespace) {
  EXPECT_EQ(DestinationOf(Namespaced("a", {Rule({"x"})}, "d")), (ObjectKey{"a", "d"}));
}

TEST(DestinationOfTest, ClusterWatchRuleNamesItsNamespace) {
  EXPECT_EQ(DestinationOf(Cluster({Rule({"x"}, {}, {}, {}, "Cluster")}, {"infra", "d"})),
            (ObjectKey{"infra", "d"}));
}

TEST(ClassifyTest, InvalidSpecComesFirst) {
  const RuleVerdict verdict = Classify(Namespaced("a", {}), false);
  EXPECT_FALSE(verdict.ready);
  EXPECT_EQ(verdict.reason, kRuleReasonInvalidSpec);
  EXPECT_EQ(verdict.message, ValidateWatchRule(Namespaced("a", {})).message());
}

TEST(ClassifyTest, MissingDestination) {
  EXPECT_EQ(Classify(Namespaced("a", {Rule({"x"})}, "d"), false),
            (RuleVerdict{false, kRuleReasonDestinationNotFound,
                         "GitDestination \"a/d\" not found (create it, or point "
                         "spec.destinationRef at an existing one)"}));
}

TEST(ClassifyTest, Ready) {
  EXPECT_EQ(Classify(Namespaced("a", {Rule({"x"})}, "d"), true),
            (RuleVerdict{true, kRuleReasonReady, "writing to GitDestination \"a/d\""}));
}

// ---- WatchedTypes ---------------------------------------------------------------------------

std::set<GroupVersionResource> Watched(const std::vector<WatchRule>& rules,
                                       CaptureOptions options = {}) {
  std::vector<const WatchRule*> pointers;
  for (const WatchRule& r : rules) pointers.push_back(&r);
  return WatchedTypes(pointers, Discovery(), options);
}

TEST(WatchedTypesTest, GroupVersionResourceToString) {
  EXPECT_EQ(kDeployments.gvr.ToString(), "apps/v1/deployments");
  EXPECT_EQ(kConfigMaps.gvr.ToString(), "v1/configmaps");
}

TEST(WatchedTypesTest, ExpandsWildcardsAgainstDiscovery) {
  EXPECT_EQ(Watched({Namespaced("a", {Rule({"*"}, {"apps", "example.com"}, {"*"})})}),
            (std::set<GroupVersionResource>{kDeployments.gvr, kDeploymentsBeta.gvr, kWidgetsV1.gvr,
                                            kWidgetsV2.gvr, kOtherSecrets.gvr}));
}

TEST(WatchedTypesTest, OnlyDiscoveredTypesAreWatched) {
  EXPECT_EQ(Watched({Namespaced("a", {Rule({"configmaps", "gadgets"}, {}, {"v1", "v9"})})}),
            (std::set<GroupVersionResource>{kConfigMaps.gvr}));
}

TEST(WatchedTypesTest, PreferredVersionByDefault) {
  EXPECT_EQ(Watched({Namespaced("a", {Rule({"deployments", "widgets"})})}),
            (std::set<GroupVersionResource>{kDeployments.gvr, kWidgetsV2.gvr}));
}

TEST(WatchedTypesTest, ScopeDecidesWhichTypes) {
  EXPECT_EQ(
      Watched({Cluster({Rule({"*"}, {}, {}, {}, "Cluster")})}),
      (std::set<GroupVersionResource>{kNamespaces.gvr, kClusterWidgets.gvr, kClusterRoles.gvr}));
  EXPECT_EQ(Watched({Namespaced("a", {Rule({"namespaces", "clusterroles", "configmaps"})})}),
            (std::set<GroupVersionResource>{kConfigMaps.gvr}));
}

TEST(WatchedTypesTest, SecretsAndSubresourcesAreNotWatched) {
  const std::vector<WatchRule> rules = {Namespaced("a", {Rule({"*", "pods"}, {""}, {"*"})})};
  EXPECT_EQ(Watched(rules), (std::set<GroupVersionResource>{kConfigMaps.gvr, kCoreEvents.gvr}));
  const std::vector<WatchRule> named = {Namespaced("a", {Rule({"secrets"}, {""})})};
  EXPECT_TRUE(Watched(named).empty());
  EXPECT_EQ(Watched(named, {.allow_secrets = true}),
            (std::set<GroupVersionResource>{kSecrets.gvr}));
}

TEST(WatchedTypesTest, InvalidRulesWatchNothing) {
  EXPECT_TRUE(Watched({Namespaced("a", {Rule({"configmaps"}, {}, {}, {"create"})})}).empty());
}

// ---- RuleIndex ------------------------------------------------------------------------------

WatchRule Named(WatchRule rule, std::string name) {
  rule.key.name = std::move(name);
  return rule;
}

// Every case routes alike whether the types are discovered (routed by lookup) or not
// (matched rule by rule), and whether discovery came before the rules or after.
enum class Discovered { kNever, kBefore, kAfter };
const Discovered kDiscoveries[] = {Discovered::kNever, Discovered::kBefore, Discovered::kAfter};

TEST(RuleIndexTest, RoutesAChangeToEveryCapturingDestination) {
  for (Discovered discovered : kDiscoveries) {
    SCOPED_TRACE(static_cast<int>(discovered));
    RuleIndex index;
    if (discovered == Discovered::kBefore) index.Discover(Discovery());
    index.Upsert(Named(Namespaced("a", {Rule({"configmaps"})}, "d1"), "r1"));
    index.Upsert(Named(Namespaced("a", {Rule({"*"})}, "d2"), "r2"));
    index.Upsert(Named(Namespaced("b", {Rule({"configmaps"})}, "d1"), "r3"));
    index.Upsert(Cluster({Rule({"configmaps"}, {}, {}, {}, "Namespaced")}, {"infra", "d"}));
    index.Upsert(
        Named(Namespaced("b", {Rule({"deployments"}, {"apps"}, {}, {"DELETE"})}, "d3"), "r4"));
    if (discovered == Discovered::kAfter) index.Discover(Discovery());
    EXPECT_TRUE(index.IndexesHold());
    EXPECT_EQ(index.DestinationsCapturing(kConfigMaps, "a", ChangeOp::kUpdate),
              (std::set<ObjectKey>{{"a", "d1"}, {"a", "d2"}, {"infra", "d"}}));
    EXPECT_EQ(index.DestinationsCapturing(kConfigMaps, "b", ChangeOp::kUpdate),
              (std::set<ObjectKey>{{"b", "d1"}, {"infra", "d"}}));
    EXPECT_EQ(index.DestinationsCapturing(kDeployments, "a", ChangeOp::kUpdate),
              (std::set<ObjectKey>{{"a", "d2"}}));
    EXPECT_TRUE(index.DestinationsCapturing(kDeployments, "b", ChangeOp::kUpdate).empty());
    EXPECT_EQ(index.DestinationsCapturing(kDeployments, "b", ChangeOp::kDelete),
              (std::set<ObjectKey>{{"b", "d3"}}));
    EXPECT_TRUE(index.DestinationsCapturing(kSecrets, "a", ChangeOp::kUpdate).empty());
    EXPECT_TRUE(index.DestinationsCapturing(kConfigMaps, "", ChangeOp::kUpdate).empty());
  }
}

TEST(RuleIndexTest, DiscoveryDecidesTheWatchedTypes) {
  RuleIndex index;
  index.Upsert(
      Named(Namespaced("a", {Rule({"configmaps", "widgets"}, {"", "example.com"})}, "d"), "r1"));
  EXPECT_TRUE(index.WatchedTypes().empty());  // nothing discovered: nothing to watch
  index.Discover({kDeployments, kConfigMaps, kWidgetsV2, kWidgetsV1, kConfigMaps});
  EXPECT_EQ(std::vector<ResourceTypeInfo>(index.discovered().begin(), index.discovered().end()),
            (std::vector<ResourceTypeInfo>{kConfigMaps, kDeployments, kWidgetsV1, kWidgetsV2}));
  EXPECT_EQ(index.WatchedTypes(),
            (std::set<GroupVersionResource>{kConfigMaps.gvr, kWidgetsV2.gvr}));
  index.Discover({kDeployments});  // configmaps and widgets are no longer served
  EXPECT_TRUE(index.WatchedTypes().empty());
  EXPECT_TRUE(index.IndexesHold());
  // A type no longer discovered is still matched, rule by rule, when asked.
  EXPECT_EQ(index.DestinationsCapturing(kConfigMaps, "a", ChangeOp::kUpdate),
            (std::set<ObjectKey>{{"a", "d"}}));
  EXPECT_EQ(index.DiscoveredType(ResourceId{"", "v1", "configmaps", "a", "x"}), nullptr);
  ASSERT_NE(index.DiscoveredType(ResourceId{"apps", "v1", "deployments", "a", "x"}), nullptr);
  EXPECT_EQ(*index.DiscoveredType(ResourceId{"apps", "v1", "deployments", "a", "x"}), kDeployments);
}

TEST(RuleIndexTest, ACopyRoutesByItsOwnIndex) {
  RuleIndex copy;
  {
    RuleIndex index;
    index.Discover(Discovery());
    index.Upsert(Named(Namespaced("a", {Rule({"configmaps"})}, "d1"), "r1"));
    index.Upsert(Cluster({Rule({"configmaps"}, {}, {}, {}, "Namespaced")}, {"infra", "d"}));
    copy = index;
    index.Erase({"a", "r1"});
  }  // the original, and the rules its index pointed to, are gone
  EXPECT_TRUE(copy.IndexesHold());
  EXPECT_EQ(copy.DestinationsCapturing(kConfigMaps, "a", ChangeOp::kUpdate),
            (std::set<ObjectKey>{{"a", "d1"}, {"infra", "d"}}));
  RuleIndex moved = std::move(copy);
  EXPECT_TRUE(moved.IndexesHold());
  EXPECT_EQ(moved.DestinationsCapturing(kConfigMaps, "b", ChangeOp::kUpdate),
            (std::set<ObjectKey>{{"infra", "d"}}));
}

TEST(RuleIndexTest, RulesFeedingListsValidRulesOfADestination) {
  RuleIndex index;
  index.Upsert(Named(Namespaced("a", {Rule({"configmaps"})}, "d"), "r1"));
  index.Upsert(Named(Namespaced("a", {Rule({"*"})}, "d"), "r2"));
  index.Upsert(Named(Namespaced("a", {Rule({"x"}, {}, {}, {"bad"})}, "d"), "r3"));
  EXPECT_EQ(index.RulesFeeding({"a", "d"}), (std::set<ObjectKey>{{"a", "r1"}, {"a", "r2"}}));
  EXPECT_TRUE(index.RulesFeeding({"b", "d"}).empty());
  EXPECT_EQ(index.size(), 3u);  // the invalid rule is kept, to be re-validated on update
  ASSERT_NE(index.Find({"a", "r3"}), nullptr);
}

TEST(RuleIndexTest, UpsertReportsDestinationsThatMayHaveGrown) {
  RuleIndex index;
  const WatchRule rule = Namespaced("a", {Rule({"configmaps"}, {}, {}, {"CREATE"})}, "d");
  EXPECT_EQ(index.Upsert(rule), (std::set<ObjectKey>{{"a", "d"}}));  // new
  EXPECT_TRUE(index.Upsert(rule).empty());                           // unchanged
  WatchRule bumped = rule;
  bumped.generation = 2;
  bumped.resource_version = "2";
  EXPECT_TRUE(index.Upsert(bumped).empty());  // metadata only
  WatchRule wider = rule;
  wider.rules[0].operations.clear();
  EXPECT_EQ(index.Upsert(wider), (std::set<ObjectKey>{{"a", "d"}}));  // widened
  EXPECT_TRUE(index.Upsert(rule).empty());                            // narrowed
  WatchRule moved = rule;
  moved.destination_ref.name = "e";
  EXPECT_EQ(index.Upsert(moved), (std::set<ObjectKey>{{"a", "e"}}));  // moved
}

TEST(RuleIndexTest, RuleCoveredByASiblingReportsNothing) {
  RuleIndex index;
  index.Upsert(Named(Namespaced("a", {Rule({"*"})}, "d"), "broad"));
  EXPECT_TRUE(index.Upsert(Named(Namespaced("a", {Rule({"configmaps"})}, "d"), "narrow")).empty());
  // Another destination captures nothing yet.
  EXPECT_EQ(index.Upsert(Named(Namespaced("a", {Rule({"configmaps"})}, "e"), "other")),
            (std::set<ObjectKey>{{"a", "e"}}));
}

// A new rule is covered only if every field is: one field wider means growth.
TEST(RuleIndexTest, CoverageIsCheckedFieldByField) {
  const ObjectKey dest = {"infra", "d"};
  const ResourceRule broad = Rule({"*"}, {}, {"*"}, {}, kScopeNamespaced);
  const std::vector<std::pair<ResourceRule, ResourceRule>> cases = {
      {Rule({"configmaps"}, {}, {}, {"CREATE"}, kScopeNamespaced),
       Rule({"configmaps"}, {}, {}, {"UPDATE"}, kScopeNamespaced)},
      {Rule({"configmaps"}, {""}, {}, {}, kScopeNamespaced),
       Rule({"configmaps"}, {}, {}, {}, kScopeNamespaced)},
      {Rule({"*"}, {}, {"v1"}, {}, kScopeNamespaced),
       Rule({"widgets"}, {}, {}, {}, kScopeNamespaced)},  // the preferred version is v2
      {Rule({"*"}, {}, {}, {}, kScopeNamespaced),
       Rule({"widgets"}, {}, {"v1"}, {}, kScopeNamespaced)},
      {broad, Rule({"namespaces"}, {}, {}, {}, kScopeCluster)},
      {Rule({"configmaps"}, {}, {}, {}, kScopeNamespaced),
       Rule({"configmaps", "widgets"}, {}, {}, {}, kScopeNamespaced)},
  };
  for (const auto& [existing, added] : cases) {
    SCOPED_TRACE(::testing::PrintToString(added));
    RuleIndex index;
    index.Upsert(Named(Cluster({existing}, dest), "existing"));
    EXPECT_EQ(index.Upsert(Named(Cluster({added}, dest), "added")), std::set<ObjectKey>{dest});
    RuleIndex covered;
    covered.Upsert(Named(Cluster({added}, dest), "existing"));
    EXPECT_TRUE(covered.Upsert(Named(Cluster({added}, dest), "same")).empty());
  }
}

TEST(RuleIndexTest, ExplicitSecretsWidenAWildcardOnlyWhenAllowed) {
  for (const bool allow : {false, true}) {
    RuleIndex index({.allow_secrets = allow});
    index.Upsert(Named(Namespaced("a", {Rule({"*"})}, "d"), "broad"));
    const std::set<ObjectKey> grown =
        index.Upsert(Named(Namespaced("a", {Rule({"secrets"}, {""})}, "d"), "secrets"));
    EXPECT_EQ(grown.empty(), !allow);
  }
}

TEST(RuleIndexTest, InvalidRuleRoutesNothingAndReportsNothing) {
  RuleIndex index;
  const WatchRule good = Namespaced("a", {Rule({"configmaps"})}, "d");
  index.Upsert(good);
  WatchRule bad = good;
  bad.rules[0].operations = {"create"};
  EXPECT_TRUE(index.Upsert(bad).empty());
  EXPECT_TRUE(index.DestinationsCapturing(kConfigMaps, "a", ChangeOp::kCreate).empty());
  EXPECT_TRUE(index.RulesFeeding({"a", "d"}).empty());
  EXPECT_EQ(index.Upsert(good), (std::set<ObjectKey>{{"a", "d"}}));  // fixed: resync
}

TEST(RuleIndexTest, EraseRemovesTheRule) {
  RuleIndex index;
  const WatchRule rule = Namespaced("a", {Rule({"configmaps"})}, "d");
  index.Upsert(rule);
  EXPECT_TRUE(index.Erase(rule.key));
  EXPECT_FALSE(index.Erase(rule.key));
  EXPECT_EQ(index, RuleIndex());
  EXPECT_EQ(index.Find(rule.key), nullptr);
  EXPECT_TRUE(index.DestinationsCapturing(kConfigMaps, "a", ChangeOp::kCreate).empty());
}

// ---- Properties -----------------------------------------------------------------------------

template <class T>
rc::Gen<std::vector<T>> ListOf(rc::Gen<T> gen, int min, int max) {
  return rc::gen::mapcat(rc::gen::inRange(min, max + 1), [gen](int n) {
    return rc::gen::container<std::vector<T>>(static_cast<size_t>(n), gen);
  });
}

rc::Gen<std::string> Op() {
  return rc::gen::element<std::string>("CREATE", "UPDATE", "DELETE", "*");
}
rc::Gen<std::string> Group() {
  return rc::gen::element<std::string>("", "apps", "example.com", "events.k8s.io", "*");
}
rc::Gen<std::string> Version() { return rc::gen::element<std::string>("v1", "v2", "v1beta1", "*"); }
rc::Gen<std::string> Resource() {
  return rc::gen::element<std::string>("configmaps", "secrets", "Secrets", "deployments", "widgets",
                                       "clusterwidgets", "namespaces", "events", "clusterroles",
                                       "Pods", "*");
}

rc::Gen<ResourceRule> GenResourceRule(bool cluster) {
  return rc::gen::exec([cluster] {
    ResourceRule r;
    // A third of the rules are broad, so that rules often cover one another and the
    // index's subsumption check meets both its answers.
    if (*rc::gen::inRange(0, 3) == 0) {
      using List = std::vector<std::string>;
      const List none, all = {"*"};
      r.operations = *rc::gen::element(none, all);
      r.api_groups = *rc::gen::element(none, all);
      r.api_versions = *rc::gen::element(none, all);
      r.resources = *rc::gen::element(all, List{"*", "secrets"}, List{"*", "namespaces"});
    } else {
      r.operations = *ListOf(Op(), 0, 2);
      r.api_groups = *ListOf(Group(), 0, 2);
      r.api_versions = *ListOf(Version(), 0, 2);
      r.resources = *ListOf(Resource(), 1, 3);
    }
    r.scope = cluster ? *rc::gen::element<std::string>(kScopeCluster, kScopeNamespaced)
                      : *rc::gen::element<std::string>("", kScopeNamespaced);
    return r;
  });
}

// Valid rules over a small alphabet, so that keys, namespaces and destinations collide.
rc::Gen<WatchRule> GenRule() {
  return rc::gen::exec([] {
    WatchRule r;
    const bool cluster = *rc::gen::arbitrary<bool>();
    r.key.namespace_ = cluster ? "" : *rc::gen::element<std::string>("a", "b");
    r.key.name = *rc::gen::element<std::string>("r1", "r2", "r3");
    r.generation = *rc::gen::inRange<int64_t>(1, 4);
    r.destination_ref.name = *rc::gen::element<std::string>("d1", "d2");
    r.destination_ref.namespace_ = cluster ? *rc::gen::element<std::string>("a", "b")
                                           : *rc::gen::element<std::string>("", r.key.namespace_);
    r.rules = *ListOf(GenResourceRule(cluster), 1, 3);
    return r;
  });
}

// The rules upserted in order, and `discovered` reported before, between or after them.
RuleIndex IndexOf(const std::vector<WatchRule>& rules, CaptureOptions options,
                  const std::vector<ResourceTypeInfo>& discovered) {
  RuleIndex index(options);
  const size_t discovered_at = *rc::gen::inRange<size_t>(0, rules.size() + 1);
  for (size_t i = 0; i <= rules.size(); ++i) {
    if (i == discovered_at) index.Discover(discovered);
    if (i < rules.size()) index.Upsert(rules[i]);
  }
  return index;
}

// The same with some of Discovery() discovered: changes of those types are routed by
// lookup, the others' matched rule by rule.
RuleIndex IndexOf(const std::vector<WatchRule>& rules, CaptureOptions options) {
  std::vector<ResourceTypeInfo> discovered;
  for (const ResourceTypeInfo& type : Discovery()) {
    if (*rc::gen::arbitrary<bool>()) discovered.push_back(type);
  }
  return IndexOf(rules, options, discovered);
}

// For each destination, the indices into Changes() routed to it.
std::map<ObjectKey, std::set<size_t>> Routing(const RuleIndex& index) {
  std::map<ObjectKey, std::set<size_t>> out;
  const std::vector<Change> changes = Changes();
  for (size_t i = 0; i < changes.size(); ++i) {
    const Change& c = changes[i];
    for (const ObjectKey& d : index.DestinationsCapturing(c.type, c.namespace_, c.op)) {
      out[d].insert(i);
    }
  }
  return out;
}

// A rule that captures at least what `rule` does: lists grow, never shrink in meaning.
WatchRule Widen(WatchRule rule) {
  const size_t i = *rc::gen::inRange<size_t>(0, rule.rules.size());
  ResourceRule& r = rule.rules[i];
  switch (*rc::gen::inRange(0, 5)) {
    case 0:  // an empty operation list means every operation
      if (r.operations.empty() || *rc::gen::arbitrary<bool>()) {
        r.operations.clear();
      } else {
        r.operations.push_back(*Op());
      }
      break;
    case 1:
      if (!r.api_groups.empty()) r.api_groups.push_back(*Group());
      break;
    case 2:  // appending to an empty list would narrow "preferred" to the ones listed
      r.api_versions.push_back(r.api_versions.empty() ? "*" : *Version());
      break;
    case 3:
      r.resources.push_back(*Resource());
      break;
    default:
      rule.rules.push_back(*GenResourceRule(rule.IsClusterRule()));
      break;
  }
  return rule;
}

template <class T>
std::vector<T> Shuffled(std::vector<T> v) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[*rc::gen::inRange<size_t>(0, i)]);
  return v;
}

bool IsCoreSecrets(const ResourceTypeInfo& type) {
  return type.gvr.group.empty() && type.gvr.resource == "secrets";
}

RC_GTEST_PROP(WatchRuleProperties, AllWildcardsCaptureEverythingButSecretsAndSubresources,
              (bool allow_secrets)) {
  const CaptureOptions options{.allow_secrets = allow_secrets};
  const std::vector<std::string> all = {"*"};
  const WatchRule cluster = Cluster(
      {Rule(all, all, all, all, kScopeCluster), Rule(all, all, all, all, kScopeNamespaced)});
  const std::string own = *rc::gen::element<std::string>("a", "b");
  const WatchRule ns = Namespaced(own, {Rule(all, all, all, all)});
  for (const Change& c : Changes()) {
    const bool capturable = !IsCoreSecrets(c.type) && c.type.gvr.resource != "pods/status";
    RC_ASSERT(RuleCaptures(cluster, c.type, c.namespace_, c.op, options) == capturable);
    RC_ASSERT(RuleCaptures(ns, c.type, c.namespace_, c.op, options) ==
              (capturable && c.namespace_ == own));
  }
}

RC_GTEST_PROP(WatchRuleProperties, SecretsAreNeverCapturedByDefault, ()) {
  const WatchRule rule = *GenRule();
  for (const char* ns : {"a", "b", "c"}) {
    for (ChangeOp op : kOps) RC_ASSERT(!RuleCaptures(rule, kSecrets, ns, op));
  }
}

RC_GTEST_PROP(WatchRuleProperties, AWatchRuleStaysInItsNamespace, (bool allow_secrets)) {
  const WatchRule rule = *GenRule();
  RC_PRE(!rule.IsClusterRule());
  for (const Change& c : Changes()) {
    if (c.namespace_ == rule.key.namespace_) continue;
    RC_ASSERT(!RuleCaptures(rule, c.type, c.namespace_, c.op, {.allow_secrets = allow_secrets}));
  }
}

RC_GTEST_PROP(WatchRuleProperties, IndexAgreesWithRuleCaptures, (bool allow_secrets)) {
  const CaptureOptions options{.allow_secrets = allow_secrets};
  const std::vector<WatchRule> rules = *ListOf(GenRule(), 0, 6);
  const RuleIndex index = IndexOf(rules, options);
  std::map<ObjectKey, WatchRule> stored;  // the last upsert per key wins
  for (const WatchRule& r : rules) {
    RC_ASSERT(ValidateWatchRule(r).ok());
    stored.insert_or_assign(r.key, r);
  }
  for (const Change& c : Changes()) {
    std::set<ObjectKey> expected;
    for (const auto& [key, r] : stored) {
      if (RuleCaptures(r, c.type, c.namespace_, c.op, options)) expected.insert(DestinationOf(r));
    }
    RC_ASSERT(index.DestinationsCapturing(c.type, c.namespace_, c.op) == expected);
    // An object change is routed by its type if it is discovered, and nowhere otherwise;
    // in key order, each destination once.
    const ResourceId object{c.type.gvr.group, c.type.gvr.version, c.type.gvr.resource, c.namespace_,
                            "x"};
    std::vector<ObjectKey> routed;
    for (const ObjectKey* d : index.DestinationsRouted(object, c.op)) routed.push_back(*d);
    RC_ASSERT(std::adjacent_find(routed.begin(), routed.end(), std::greater_equal<>()) ==
              routed.end());
    const bool discovered = index.DiscoveredType(object) != nullptr;
    RC_ASSERT(std::set<ObjectKey>(routed.begin(), routed.end()) ==
              (discovered ? expected : std::set<ObjectKey>{}));
    // A type asked as it was not discovered (another preferred version) is matched as asked.
    ResourceTypeInfo respelled = c.type;
    respelled.preferred = !respelled.preferred;
    std::set<ObjectKey> expected_respelled;
    for (const auto& [key, r] : stored) {
      if (RuleCaptures(r, respelled, c.namespace_, c.op, options)) {
        expected_respelled.insert(DestinationOf(r));
      }
    }
    RC_ASSERT(index.DestinationsCapturing(respelled, c.namespace_, c.op) == expected_respelled);
    for (const auto& [key, r] : stored) {
      const ObjectKey destination = DestinationOf(r);
      RC_ASSERT(index.Captures(destination, c.type, c.namespace_, c.op) ==
                expected.contains(destination));
    }
    RC_ASSERT(!index.Captures({"nowhere", "none"}, c.type, c.namespace_, c.op));
  }
  for (const auto& [key, r] : stored) {
    RC_ASSERT(index.RulesFeeding(DestinationOf(r)).contains(key));
  }
}

RC_GTEST_PROP(WatchRuleProperties, WideningNeverShrinksDestinationsCapturing,
              (bool allow_secrets)) {
  const CaptureOptions options{.allow_secrets = allow_secrets};
  const std::vector<WatchRule> rules = *ListOf(GenRule(), 1, 5);
  RuleIndex index = IndexOf(rules, options);
  const auto before = Routing(index);
  const WatchRule wider = Widen(*index.Find((*rc::gen::elementOf(rules)).key));
  RC_ASSERT(ValidateWatchRule(wider).ok());
  const std::set<ObjectKey> grown = index.Upsert(wider);
  const auto after = Routing(index);
  for (const auto& [destination, changes] : before) {
    RC_ASSERT(after.contains(destination));
    RC_ASSERT(std::includes(after.at(destination).begin(), after.at(destination).end(),
                            changes.begin(), changes.end()));
  }
  RC_ASSERT(grown.size() <= 1u);
}

RC_GTEST_PROP(WatchRuleProperties, UpsertReportsEveryDestinationThatGrew, (bool allow_secrets)) {
  const CaptureOptions options{.allow_secrets = allow_secrets};
  RuleIndex index = IndexOf(*ListOf(GenRule(), 0, 5), options);
  const auto before = Routing(index);
  const WatchRule next = *GenRule();
  const std::set<ObjectKey> grown = index.Upsert(next);
  const auto after = Routing(index);
  for (const auto& [destination, changes] : after) {
    const auto old = before.find(destination);
    const bool grew = old == before.end() || !std::includes(old->second.begin(), old->second.end(),
                                                            changes.begin(), changes.end());
    if (grew) RC_ASSERT(grown.contains(destination));
  }
  for (const ObjectKey& d : grown) RC_ASSERT(d == DestinationOf(next));
}

RC_GTEST_PROP(WatchRuleProperties, UpsertThenEraseRestoresTheIndex, (bool allow_secrets)) {
  const CaptureOptions options{.allow_secrets = allow_secrets};
  RuleIndex index = IndexOf(*ListOf(GenRule(), 0, 5), options);
  const RuleIndex original = index;
  WatchRule fresh = *GenRule();
  fresh.key.name = "fresh";
  index.Upsert(fresh);
  RC_ASSERT(index.IndexesHold());
  RC_ASSERT(index.Erase(fresh.key));
  RC_ASSERT(index == original);
  // The namespace index routes as the rules say, in the copy and after the round trip.
  RC_ASSERT(index.IndexesHold());
  RC_ASSERT(original.IndexesHold());
  RC_ASSERT(Routing(index) == Routing(original));
  // Replacing a rule and putting the old one back restores it too.
  const WatchRule replacement = *GenRule();
  if (const WatchRule* old = index.Find(replacement.key); old != nullptr) {
    const WatchRule saved = *old;
    index.Upsert(replacement);
    RC_ASSERT(index.IndexesHold());
    index.Upsert(saved);
    RC_ASSERT(index == original);
    RC_ASSERT(index.IndexesHold());
    RC_ASSERT(Routing(index) == Routing(original));
  }
}

RC_GTEST_PROP(WatchRuleProperties, WatchedTypesIgnoresInputOrder, (bool allow_secrets)) {
  const CaptureOptions options{.allow_secrets = allow_secrets};
  const std::vector<WatchRule> rules = *ListOf(GenRule(), 0, 6);
  std::vector<const WatchRule*> pointers;
  for (const WatchRule& r : rules) pointers.push_back(&r);
  const std::vector<ResourceTypeInfo> discovered = Discovery();
  const auto expected = WatchedTypes(pointers, discovered, options);
  RC_ASSERT(WatchedTypes(Shuffled(pointers), Shuffled(discovered), options) == expected);
  // The index keeps the last rule per key: the order of rules with distinct keys is free.
  std::map<ObjectKey, WatchRule> by_key;
  for (const WatchRule& r : rules) by_key.insert_or_assign(r.key, r);
  std::vector<WatchRule> distinct;
  for (const auto& [key, r] : by_key) distinct.push_back(r);
  RC_ASSERT(IndexOf(Shuffled(distinct), options, Shuffled(discovered)).WatchedTypes() ==
            IndexOf(distinct, options, discovered).WatchedTypes());
  std::vector<const WatchRule*> last;
  for (const WatchRule& r : distinct) last.push_back(&r);
  RC_ASSERT(IndexOf(distinct, options, discovered).WatchedTypes() ==
            WatchedTypes(last, discovered, options));
}

RC_GTEST_PROP(WatchRuleProperties, WatchedTypesAreTheTypesSomeChangeIsCapturedOf,
              (bool allow_secrets)) {
  const CaptureOptions options{.allow_secrets = allow_secrets};
  const std::vector<WatchRule> rules = *ListOf(GenRule(), 0, 4);
  std::vector<const WatchRule*> pointers;
  for (const WatchRule& r : rules) pointers.push_back(&r);
  std::set<GroupVersionResource> captured;
  for (const Change& c : Changes()) {
    for (const WatchRule& r : rules) {
      if (RuleCaptures(r, c.type, c.namespace_, c.op, options)) captured.insert(c.type.gvr);
    }
  }
  RC_ASSERT(WatchedTypes(pointers, Discovery(), options) == captured);
}

RC_GTEST_PROP(WatchRuleProperties, ABadOperationIsNamedAndCapturesNothing, ()) {
  WatchRule rule = *GenRule();
  const size_t i = *rc::gen::inRange<size_t>(0, rule.rules.size());
  std::vector<std::string>& ops = rule.rules[i].operations;
  const size_t j = *rc::gen::inRange<size_t>(0, ops.size() + 1);
  ops.insert(ops.begin() + static_cast<std::ptrdiff_t>(j), "PATCH");
  const absl::Status status = ValidateWatchRule(rule);
  RC_ASSERT(status.code() == absl::StatusCode::kInvalidArgument);
  RC_ASSERT(absl::StrContains(status.message(), "spec.rules[" + std::to_string(i) +
                                                    "].operations[" + std::to_string(j) +
                                                    "]: unknown operation \"PATCH\""));
  for (const Change& c : Changes()) {
    RC_ASSERT(!RuleCaptures(rule, c.type, c.namespace_, c.op, {.allow_secrets = true}));
  }
}

RC_GTEST_PROP(WatchRuleProperties, ArbitrarySpecsGetPrintableBoundedVerdicts,
              (std::string ns, std::string dest, std::vector<std::string> ops,
               std::vector<std::string> groups, std::vector<std::string> resources,
               std::string scope, bool destination_exists)) {
  const WatchRule rule = Namespaced(ns, {Rule(resources, groups, {}, ops, scope)}, dest);
  const absl::Status status = ValidateWatchRule(rule);
  const RuleVerdict verdict = Classify(rule, destination_exists);
  RC_ASSERT(verdict.ready == (status.ok() && destination_exists));
  RC_ASSERT(std::all_of(verdict.message.begin(), verdict.message.end(),
                        [](char c) { return c >= ' ' && c <= '~'; }));
  RC_ASSERT(status.message().size() <= 8000u);
}

}  // namespace
}  // namespace gitdest::core
