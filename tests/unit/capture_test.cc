// Capture: which destinations a change of one object reaches (their WatchRules and
// ClusterWatchRules), what a rule added or widened resyncs, which types are watched, and
// how resourceVersions order one object's changes against late events and old lists.
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "tests/support/harness.h"

namespace gitdest::testing {
namespace {

using core::ChangeOp;
using core::GroupVersionResource;
using core::ObjectKey;

core::ResourceTypeInfo DeploymentType() {
  return core::ResourceTypeInfo{{"apps", "v1", "deployments"},
                                "Deployment",
                                /*namespaced=*/true,
                                /*preferred=*/true};
}

core::WatchRule CaptureDeployments(const std::string& destination) {
  core::WatchRule rule = CaptureConfigMaps(destination);
  rule.key.name = "deployments-" + destination;
  rule.rules[0].resources = {"deployments"};
  return rule;
}

class CaptureTest : public ::testing::Test {
 protected:
  void SetUp() override { h.Feed(core::RepoConfigObserved{MakeRepoConfig("repo")}); }
  void TearDown() override { EXPECT_TRUE(h.violation().ok()) << h.violation(); }

  // A destination writing to folder <name> on main, fed by `rule`.
  void AddDestination(const std::string& name, const core::WatchRule& rule) {
    h.Feed(core::WatchRuleObserved{rule});
    h.Feed(core::DestinationObserved{MakeDestination(name, "main", name, h.now())});
  }
  core::ObjectChanged Change(const core::ResourceId& object, const std::string& content,
                             ChangeOp op = ChangeOp::kUpdate) {
    core::ObjectChanged change = h.Changed(object, op, content);
    h.Feed(change);
    return change;
  }
  sim::Tree Tree() const { return h.remote.TreeAt(kRepoUrl, "main"); }
  // The file of ConfigMap ns/name in `folder`, or nullopt.
  std::optional<std::string> File(const std::string& folder, const std::string& ns,
                                  const std::string& name) const {
    const sim::Tree tree = Tree();
    auto it = tree.find(folder + "/v1/configmaps/" + ns + "/" + name + ".yaml");
    if (it == tree.end()) return std::nullopt;
    return it->second;
  }
  // The ResyncDestination effects emitted since the last TakeEffects, in order.
  std::vector<core::ResyncDestination> Resyncs() {
    std::vector<core::ResyncDestination> out;
    for (auto& [at, effect] : h.TakeEffects()) {
      if (auto* resync = std::get_if<core::ResyncDestination>(&effect)) out.push_back(*resync);
    }
    return out;
  }
  // The EnsureWatches effects emitted since the last TakeEffects.
  std::vector<std::vector<GroupVersionResource>> Watches() {
    std::vector<std::vector<GroupVersionResource>> out;
    for (auto& [at, effect] : h.TakeEffects()) {
      if (auto* watches = std::get_if<core::EnsureWatches>(&effect)) out.push_back(watches->types);
    }
    return out;
  }

  Harness h;
};

// ---- routing -------------------------------------------------------------------------------

TEST_F(CaptureTest, AChangeReachesEveryDestinationWhoseRulesCaptureItAndNoOther) {
  AddDestination("a", CaptureConfigMaps("a"));
  AddDestination("b", CaptureConfigMaps("b"));
  AddDestination("c", CaptureDeployments("c"));                                   // another type
  h.Feed(core::DestinationObserved{MakeDestination("d", "main", "d", h.now())});  // no rule
  ASSERT_TRUE(h.Settle());
  Change(ConfigMap("prod", "cm"), "v");
  ASSERT_TRUE(h.AdvanceSettling(absl::Seconds(10)));
  EXPECT_EQ(File("a", "prod", "cm"), "v");
  EXPECT_EQ(File("b", "prod", "cm"), "v");
  EXPECT_EQ(File("c", "prod", "cm"), std::nullopt);
  EXPECT_EQ(File("d", "prod", "cm"), std::nullopt);
  for (const auto& [path, content] : Tree()) {
    EXPECT_TRUE(path.starts_with("a/") || path.starts_with("b/")) << path;
  }
  EXPECT_TRUE(h.cluster.events().empty());  // not captured is not refused
}

TEST_F(CaptureTest, AWatchRuleCapturesItsOwnNamespaceOnly) {
  AddDestination("a", CaptureConfigMapsIn("team", "a"));
  ASSERT_TRUE(h.Settle());
  Change(ConfigMap("prod", "cm"), "prod's");
  Change(ConfigMap("team", "cm"), "team's");
  ASSERT_TRUE(h.AdvanceSettling(absl::Seconds(10)));
  EXPECT_EQ(File("a", "team", "cm"), "team's");
  EXPECT_EQ(File("a", "prod", "cm"), std::nullopt);
}

TEST_F(CaptureTest, ADeletedRuleCapturesNothingMore) {
  AddDestination("a", CaptureConfigMaps("a"));
  ASSERT_TRUE(h.Settle());
  Change(ConfigMap("prod", "one"), "1");
  h.Feed(core::WatchRuleDeleted{CaptureConfigMaps("a").key});
  Change(ConfigMap("prod", "two"), "2");
  ASSERT_TRUE(h.AdvanceSettling(absl::Seconds(10)));
  EXPECT_EQ(File("a", "prod", "one"), "1");
  EXPECT_EQ(File("a", "prod", "two"), std::nullopt);
}

// ---- rules added or widened ------------------------------------------------------------------

// Objects that existed before the rule are written at once, not at their next change.
TEST_F(CaptureTest, ARuleAddedResyncsItsDestination) {
  Change(ConfigMap("prod", "cm"), "old");  // captured by nobody yet
  h.Feed(core::DestinationObserved{MakeDestination("a", "main", "a", h.now())});
  ASSERT_TRUE(h.Settle());
  Resyncs();
  h.Feed(core::WatchRuleObserved{CaptureConfigMaps("a")});
  const std::vector<core::ResyncDestination> resyncs = Resyncs();
  ASSERT_EQ(resyncs.size(), 1u);
  EXPECT_EQ(resyncs[0].destination, (ObjectKey{"team", "a"}));
  EXPECT_EQ(resyncs[0].selectors,
            (std::vector<core::ListSelector>{{ConfigMapType().gvr, ""}}));  // every namespace
  ASSERT_TRUE(h.AdvanceSettling(absl::Seconds(10)));
  EXPECT_EQ(File("a", "prod", "cm"), "old");
}

// A commit's message names the object as its file does: group (none for the core group),
// version, resource, namespace (none for a cluster-scoped type) and name.
TEST_F(CaptureTest, ACommitMessageNamesTheObjectAsItsFileDoes) {
  const core::ResourceTypeInfo cluster_roles{
      {"rbac.authorization.k8s.io", "v1", "clusterroles"}, "ClusterRole", false, true};
  h.Feed(core::ResourceTypesDiscovered{{ConfigMapType(), DeploymentType(), cluster_roles}});
  core::WatchRule rule = CaptureConfigMaps("a");
  rule.rules[0].resources = {"configmaps", "deployments"};
  core::ResourceRule cluster_scoped;
  cluster_scoped.resources = {"clusterroles"};
  cluster_scoped.scope = core::kScopeCluster;
  rule.rules.push_back(cluster_scoped);
  AddDestination("a", rule);
  ASSERT_TRUE(h.Settle());
  h.TakeEffects();
  Change(ConfigMap("team", "cm"), "v", ChangeOp::kCreate);
  Change(core::ResourceId{"apps", "v1", "deployments", "team", "web"}, "v");
  Change(core::ResourceId{"rbac.authorization.k8s.io", "v1", "clusterroles", "", "admin"}, "",
         ChangeOp::kDelete);
  ASSERT_TRUE(h.AdvanceSettling(absl::Seconds(10)));
  std::vector<std::pair<std::string, std::string>> written;  // path, message
  for (const auto& [at, effect] : h.TakeEffects()) {
    if (const auto* push = std::get_if<core::PushBatch>(&effect)) {
      for (const core::FileChange& change : push->changes) {
        written.emplace_back(change.path, change.message);
      }
    }
  }
  EXPECT_EQ(written,
            (std::vector<std::pair<std::string, std::string>>{
                {"a/v1/configmaps/team/cm.yaml", "[CREATE] v1/configmaps/team/cm"},
                {"a/apps/v1/deployments/team/web.yaml", "[UPDATE] apps/v1/deployments/team/web"},
                {"a/rbac.authorization.k8s.io/v1/clusterroles/admin.yaml",
                 "[DELETE] rbac.authorization.k8s.io/v1/clusterroles/admin"},
            }));
}

TEST_F(CaptureTest, ARuleWidenedResyncsItsDestinationAndANarrowedOneDoesNot) {
  core::WatchRule rule = CaptureConfigMapsIn("team", "a");
  rule.rules[0].resources = {"deployments"};
  h.Feed(core::ResourceTypesDiscovered{{ConfigMapType(), DeploymentType()}});
  AddDestination("a", rule);
  Change(ConfigMap("team", "cm"), "v");
  ASSERT_TRUE(h.AdvanceSettling(absl::Seconds(10)));
  ASSERT_EQ(File("a", "team", "cm"), std::nullopt);
  Resyncs();
  rule.generation = 2;
  rule.rules[0].resources = {"deployments", "configmaps"};
  h.Feed(core::WatchRuleObserved{rule});
  const std::vector<core::ResyncDestination> resyncs = Resyncs();
  ASSERT_EQ(resyncs.size(), 1u);
  EXPECT_EQ(resyncs[0].selectors,
            (std::vector<core::ListSelector>{{ConfigMapType().gvr, "team"},
                                             {DeploymentType().gvr, "team"}}));
  ASSERT_TRUE(h.AdvanceSettling(absl::Seconds(10)));
  EXPECT_EQ(File("a", "team", "cm"), "v");
  Resyncs();
  rule.generation = 3;
  rule.rules[0].resources = {"configmaps"};
  h.Feed(core::WatchRuleObserved{rule});
  EXPECT_TRUE(Resyncs().empty());
}

// A rule's own status write comes back as a new resourceVersion of an unchanged spec: no
// resync, no watch change, yet the new version orders what comes after it.
TEST_F(CaptureTest, ARuleSeenAgainWithOnlyNewMetadataCapturesAsBeforeAndKeepsItsVersion) {
  core::WatchRule rule = CaptureConfigMaps("a");
  rule.resource_version = "10";
  AddDestination("a", rule);
  ASSERT_TRUE(h.Settle());
  h.TakeEffects();
  rule.resource_version = "11";
  h.Feed(core::WatchRuleObserved{rule});
  for (const auto& [at, effect] : h.TakeEffects()) {
    EXPECT_FALSE(std::holds_alternative<core::ResyncDestination>(effect));
    EXPECT_FALSE(std::holds_alternative<core::EnsureWatches>(effect));
  }
  ASSERT_NE(h.controller().rules().Find(rule.key), nullptr);
  EXPECT_EQ(h.controller().rules().Find(rule.key)->resource_version, "11");
  core::WatchRule stale = rule;  // an older spelling arriving late: ignored
  stale.resource_version = "10";
  stale.generation = 2;
  stale.rules[0].resources = {"configmaps", "deployments"};
  h.Feed(core::WatchRuleObserved{stale});
  EXPECT_EQ(h.controller().rules().Find(rule.key)->rules, rule.rules);
}

// ---- watches -----------------------------------------------------------------------------

TEST_F(CaptureTest, WatchesAreEnsuredWhenTheWatchedSetChangesAndOnlyThen) {
  using Types = std::vector<GroupVersionResource>;
  const GroupVersionResource configmaps = ConfigMapType().gvr;
  const GroupVersionResource deployments = DeploymentType().gvr;
  h.TakeEffects();
  h.Feed(core::WatchRuleObserved{CaptureConfigMaps("a")});
  EXPECT_EQ(Watches(), std::vector<Types>{{configmaps}});
  h.Feed(core::WatchRuleObserved{CaptureConfigMaps("b")});   // the same type
  h.Feed(core::WatchRuleObserved{CaptureConfigMaps("a")});   // the same rule
  h.Feed(core::WatchRuleObserved{CaptureDeployments("a")});  // a type not discovered
  EXPECT_TRUE(Watches().empty());
  h.Feed(core::ResourceTypesDiscovered{{ConfigMapType(), DeploymentType()}});
  EXPECT_EQ(Watches(), (std::vector<Types>{{configmaps, deployments}}));
  EXPECT_EQ(h.watched(), (Types{configmaps, deployments}));
  h.Feed(core::ResourceTypesDiscovered{{DeploymentType(), ConfigMapType()}});  // same, reordered
  EXPECT_TRUE(Watches().empty());
  h.Feed(core::WatchRuleDeleted{CaptureDeployments("a").key});
  EXPECT_EQ(Watches(), std::vector<Types>{{configmaps}});
  h.Feed(core::WatchRuleDeleted{CaptureConfigMaps("a").key});  // b still needs it
  EXPECT_TRUE(Watches().empty());
  h.Feed(core::WatchRuleDeleted{CaptureConfigMaps("b").key});
  EXPECT_EQ(Watches(), std::vector<Types>{{}});
  EXPECT_TRUE(h.watched().empty());
}

// ---- resourceVersions ----------------------------------------------------------------------

TEST_F(CaptureTest, ADuplicateOrLateChangeIsIgnored) {
  AddDestination("a", CaptureConfigMaps("a"));
  ASSERT_TRUE(h.Settle());
  const core::ObjectChanged first = h.Changed(ConfigMap("prod", "cm"), ChangeOp::kUpdate, "1");
  const core::ObjectChanged second = h.Changed(ConfigMap("prod", "cm"), ChangeOp::kUpdate, "2");
  h.Feed(first);
  h.Feed(second);
  h.Feed(second);  // a duplicate (a watch restarted from an older bookmark)
  h.Feed(first);   // a late one
  const auto& workers = h.controller().workers().workers();
  ASSERT_EQ(workers.size(), 1u);
  const auto& pending = workers.begin()->second.pending();
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].content, "1");
  EXPECT_EQ(pending[1].content, "2");
  ASSERT_TRUE(h.AdvanceSettling(absl::Seconds(10)));
  EXPECT_EQ(File("a", "prod", "cm"), "2");
}

// The list of a resync may come from a cache behind the watch: an object it carries at an
// older resourceVersion than an event already delivered (here before the resync was even
// asked for) is not written back.
TEST_F(CaptureTest, AResyncListNeverOverwritesANewerEvent) {
  h.Feed(core::ResourceTypesDiscovered{{ConfigMapType(), DeploymentType()}});
  AddDestination("a", CaptureConfigMaps("a"));
  ASSERT_TRUE(h.Settle());
  const core::ObjectChanged older = Change(ConfigMap("prod", "cm"), "older");
  Change(ConfigMap("prod", "cm"), "newer");
  ASSERT_TRUE(h.AdvanceSettling(absl::Seconds(10)));
  ASSERT_EQ(File("a", "prod", "cm"), "newer");
  Resyncs();
  h.Feed(core::WatchRuleObserved{CaptureDeployments("a")});  // widens what "a" captures
  ASSERT_EQ(Resyncs().size(), 1u);
  ASSERT_EQ(h.DeliverResyncsListing({Listed(older)}), 1);
  ASSERT_TRUE(h.AdvanceSettling(absl::Seconds(10)));
  EXPECT_EQ(File("a", "prod", "cm"), "newer");
}

// The list's version of an object is as new as the event of that version: written (the
// standby that saw the event wrote nothing; see leadership_test).
TEST_F(CaptureTest, AResyncListAtTheSameVersionIsWritten) {
  h.Feed(core::DestinationObserved{MakeDestination("a", "main", "a", h.now())});
  ASSERT_TRUE(h.Settle());
  Change(ConfigMap("prod", "cm"), "v");  // seen, routed to nobody
  h.Feed(core::WatchRuleObserved{CaptureConfigMaps("a")});
  ASSERT_TRUE(h.AdvanceSettling(absl::Seconds(10)));
  EXPECT_EQ(File("a", "prod", "cm"), "v");
}

// Another incarnation (uid) of the same name: written again, and a list that still shows
// the first one does not bring it back.
TEST_F(CaptureTest, AnObjectDeletedAndCreatedAgainIsWrittenAgain) {
  h.Feed(core::ResourceTypesDiscovered{{ConfigMapType(), DeploymentType()}});
  AddDestination("a", CaptureConfigMaps("a"));
  ASSERT_TRUE(h.Settle());
  const core::ObjectChanged created = Change(ConfigMap("prod", "cm"), "1", ChangeOp::kCreate);
  ASSERT_TRUE(h.AdvanceSettling(absl::Seconds(10)));
  ASSERT_EQ(File("a", "prod", "cm"), "1");
  const core::ObjectChanged deleted = Change(ConfigMap("prod", "cm"), "", ChangeOp::kDelete);
  EXPECT_EQ(deleted.uid, created.uid);
  ASSERT_TRUE(h.AdvanceSettling(absl::Seconds(10)));
  ASSERT_EQ(File("a", "prod", "cm"), std::nullopt);
  const core::ObjectChanged again = Change(ConfigMap("prod", "cm"), "2", ChangeOp::kCreate);
  EXPECT_NE(again.uid, created.uid);
  ASSERT_TRUE(h.AdvanceSettling(absl::Seconds(10)));
  EXPECT_EQ(File("a", "prod", "cm"), "2");
  h.Feed(core::WatchRuleObserved{CaptureDeployments("a")});  // widened: a resync
  ASSERT_EQ(h.DeliverResyncsListing({Listed(created)}), 1);
  ASSERT_TRUE(h.AdvanceSettling(absl::Seconds(10)));
  EXPECT_EQ(File("a", "prod", "cm"), "2");
}

}  // namespace
}  // namespace gitdest::testing
