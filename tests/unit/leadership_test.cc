// Leadership and the API's optimistic concurrency: only the holder of the lease decides
// and writes, and status writes are conditional on the object's resourceVersion, so two
// replicas can never last-writer-win a status.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/conditions.h"
#include "tests/support/harness.h"

namespace gitdest::testing {
namespace {

using core::ObjectKey;

class LeadershipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h.Feed(core::RepoConfigObserved{MakeRepoConfig("repo")});
    h.Feed(core::WatchRuleObserved{CaptureConfigMaps("a")});
    Observe(MakeDestination("a", "main", "clusters/a", h.now()));
    h.Settle();
  }
  void TearDown() override { EXPECT_TRUE(h.violation().ok()) << h.violation(); }

  // The destination as the API server holds it, with its resourceVersion.
  void Observe(core::Destination d) {
    d.resource_version = h.cluster.BumpResourceVersion(d.key);
    h.Feed(core::DestinationObserved{d});
  }
  const core::Destination& Known(const std::string& name) {
    return h.controller().destinations().at(ObjectKey{"team", name}).destination;
  }
  void Change(const std::string& object, const std::string& content) {
    h.Feed(h.Changed(ConfigMap("prod", object), core::ChangeOp::kUpdate, content));
  }
  sim::Tree Tree() const { return h.remote.TreeAt(kRepoUrl, "main"); }

  Harness h;
};

TEST_F(LeadershipTest, LosingTheLeaseStopsEveryWriteAtOnce) {
  Change("one", "1");
  h.Advance(absl::Seconds(10));
  ASSERT_EQ(h.held().size(), 1u);  // the push is in flight
  h.TakeEffects();
  h.Feed(core::LeaseLost{});
  EXPECT_FALSE(h.controller().leader());
  h.Settle();  // the push lands, but its answer belongs to the lost term
  Change("two", "2");
  h.Advance(absl::Minutes(30));
  EXPECT_TRUE(h.TakeEffects().empty());  // no read, push, status write or event
  EXPECT_FALSE(Tree().contains("clusters/a/v1/configmaps/prod/two.yaml"));
}

TEST_F(LeadershipTest, ANewLeaderWritesWhatTheCaptureOfTheLastOneLeftOut) {
  h.Feed(core::LeaseLost{});
  Change("one", "1");  // seen only by the leader to be: nothing is written now
  h.Advance(absl::Minutes(1));
  EXPECT_TRUE(h.held().empty());
  h.Feed(core::LeaseAcquired{});  // resyncs every destination from the cluster
  h.AdvanceSettling(absl::Seconds(30));
  EXPECT_EQ(Tree().at("clusters/a/v1/configmaps/prod/one.yaml"), "1");
  EXPECT_EQ(h.cluster.statuses().at({"team", "a"}).last_commit_sha, h.remote.Tip(kRepoUrl, "main"));
}

TEST_F(LeadershipTest, APushOfThePreviousTermLandingAfterTheTakeoverResyncIsUndone) {
  Change("one", "1");
  h.Advance(absl::Seconds(10));
  ASSERT_EQ(h.held().size(), 1u);  // the push is in flight...
  h.Feed(core::LeaseLost{});       // ...when its sender stops leading
  h.Feed(h.Changed(ConfigMap("prod", "one"), core::ChangeOp::kDelete, ""));
  h.Feed(core::LeaseAcquired{});  // this replica leads: it resyncs from the cluster
  for (int i = 0; i < 10; ++i) {  // everything but the old push lands
    h.DeliverReads();
    h.DeliverResyncs();
    h.DeliverStatusWrites();
    h.Advance(absl::Seconds(1));
  }
  ASSERT_FALSE(Tree().contains("clusters/a/v1/configmaps/prod/one.yaml"));
  ASSERT_EQ(h.DeliverPushes(), 1);  // late, on a tip nobody moved: it lands
  ASSERT_TRUE(Tree().contains("clusters/a/v1/configmaps/prod/one.yaml"));
  // The next reconcile after push_timeout lists the folder again.
  h.AdvanceSettling(h.controller().options().push_timeout +
                    h.controller().options().requeue_interval * 1.25);
  EXPECT_FALSE(Tree().contains("clusters/a/v1/configmaps/prod/one.yaml"))
      << "a file of an object the cluster no longer has outlived the takeover";
}

TEST_F(LeadershipTest, StatusWritesAreConditionalOnTheObservedVersion) {
  // Someone else changed the object since: the write conflicts (409) and is retried on
  // the version the watch reports.
  const std::string seen = Known("a").resource_version;
  h.cluster.BumpResourceVersion({"team", "a"});
  Change("one", "1");
  h.Advance(absl::Seconds(10));
  h.Settle();
  EXPECT_NE(h.cluster.statuses().at({"team", "a"}).last_commit_sha,
            h.remote.Tip(kRepoUrl, "main"));  // refused: written on a stale version
  EXPECT_EQ(Known("a").resource_version, seen);
  core::Destination now = Known("a");
  now.resource_version = h.cluster.ResourceVersion({"team", "a"});
  h.Feed(core::DestinationObserved{now});  // the watch catches up
  h.AdvanceSettling(absl::Seconds(10));
  EXPECT_EQ(h.cluster.statuses().at({"team", "a"}).last_commit_sha, h.remote.Tip(kRepoUrl, "main"));
}

TEST_F(LeadershipTest, ALateAnswerOrEventNeverMovesTheVersionBackwards) {
  const core::Destination old = Known("a");
  Observe(Known("a"));  // a newer version (a label changed, say)
  const std::string newer = Known("a").resource_version;
  h.Feed(core::DestinationObserved{old});  // a late event of the old version
  EXPECT_EQ(Known("a").resource_version, newer);
  // A status write answered with an older version than the watch already reported.
  Change("one", "1");
  h.Advance(absl::Seconds(10));
  h.DeliverPushes();
  h.Advance(absl::Seconds(1));
  ASSERT_TRUE(std::any_of(h.held().begin(), h.held().end(), [](const core::Effect& e) {
    const auto* write = std::get_if<core::WriteStatus>(&e);
    return write != nullptr && write->target.kind == core::ResourceKind::kGitDestination;
  }));  // its status write (and its GitRepoConfig's: the branch exists now)
  h.Feed(core::DestinationObserved{[&] {
    core::Destination d = Known("a");
    d.resource_version = "999999";
    return d;
  }()});
  h.DeliverStatusWrites();
  EXPECT_EQ(Known("a").resource_version, "999999");
}

TEST_F(LeadershipTest, ADestinationRecreatedUnderItsNameIsANewObject) {
  // Its delete event was lost; a relist shows the new incarnation (new uid, new time).
  core::Destination again = MakeDestination("a", "main", "clusters/a", h.now() + absl::Hours(1));
  again.uid = "new-uid";
  core::Destination first = Known("a");
  first.uid = "old-uid";
  h.Feed(core::DestinationObserved{first});
  h.Settle();
  const uint32_t epoch_slots = static_cast<uint32_t>(h.controller().destinations().size());
  h.Feed(core::DestinationObserved{again});
  h.Settle();
  EXPECT_EQ(h.controller().destinations().size(), epoch_slots);
  EXPECT_EQ(Known("a").uid, "new-uid");
  EXPECT_EQ(Known("a").creation_time, again.creation_time);
}

// Watching is not writing: a standby keeps its watches current (its cache must be warm
// when it takes over) and emits nothing else.
TEST_F(LeadershipTest, AStandbyKeepsItsWatchesCurrentAndWritesNothing) {
  h.Feed(core::LeaseLost{});
  h.TakeEffects();
  const core::ResourceTypeInfo deployments{{"apps", "v1", "deployments"}, "Deployment", true, true};
  h.Feed(core::ResourceTypesDiscovered{{ConfigMapType(), deployments}});
  core::WatchRule rule = CaptureConfigMaps("a");
  rule.key.name = "capture-deployments";
  rule.rules[0].resources = {"deployments"};
  h.Feed(core::WatchRuleObserved{rule});  // widens what "a" captures: no resync by a standby
  std::vector<Harness::TimedEffect> effects = h.TakeEffects();
  ASSERT_EQ(effects.size(), 1u);
  const auto* watches = std::get_if<core::EnsureWatches>(&effects[0].effect);
  ASSERT_NE(watches, nullptr);
  EXPECT_EQ(watches->types,
            (std::vector<core::GroupVersionResource>{ConfigMapType().gvr, deployments.gvr}));
  Change("one", "1");
  h.Advance(absl::Minutes(30));
  EXPECT_TRUE(h.TakeEffects().empty());
}

}  // namespace
}  // namespace gitdest::testing
