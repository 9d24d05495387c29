// Objects a resync list showed before the watch did. Normally the event follows within
// moments; an object created and deleted while the watch was away is never reported at
// all, and the informer's relist that ends the gap (WatchRelisted) is what tells that it
// is gone: its file, written from the list, is deleted then. Nothing a list shows may
// keep the watch's own event from any destination.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "tests/support/harness.h"

namespace gitdest::testing {
namespace {

using core::ChangeOp;

const core::GroupVersionResource kConfigMaps{"", "v1", "configmaps"};

class RelistTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h.Feed(core::RepoConfigObserved{MakeRepoConfig("repo")});
    h.Feed(core::ResourceTypesDiscovered{{ConfigMapType()}});
  }
  void TearDown() override { EXPECT_TRUE(h.violation().ok()) << h.violation(); }

  // A destination writing every ConfigMap to folder <name> on main; admitted, resynced
  // and what its list showed pushed before this returns.
  void AddDestination(const std::string& name) {
    h.Feed(core::WatchRuleObserved{CaptureConfigMaps(name)});
    h.Feed(core::DestinationObserved{MakeDestination(name, "main", name, h.now())});
    ASSERT_TRUE(h.AdvanceSettling(absl::Seconds(10)));
  }
  // A change the cluster made whose event has not reached the controller (yet).
  core::ObjectChanged Unseen(ChangeOp op, const std::string& content = "") {
    return h.Changed(ConfigMap("prod", "cm"), op, content);
  }
  void Relisted(const core::GroupVersionResource& type, const std::string& version) {
    h.Feed(core::WatchRelisted{type, version});
    ASSERT_TRUE(h.AdvanceSettling(absl::Seconds(10)));
  }
  std::optional<std::string> File(const std::string& folder) const {
    const sim::Tree tree = h.remote.TreeAt(kRepoUrl, "main");
    auto it = tree.find(folder + "/v1/configmaps/prod/cm.yaml");
    if (it == tree.end()) return std::nullopt;
    return it->second;
  }

  Harness h;
};

TEST_F(RelistTest, AnObjectOnlyAListShowedIsDeletedByTheRelistThatLacksIt) {
  h.remote.ExternalCommit(kRepoUrl, "main", "README.md", "hi");
  Unseen(ChangeOp::kCreate, "1");  // the watch is away: created unseen
  AddDestination("a");             // its resync lists it
  ASSERT_EQ(File("a"), "1");
  Unseen(ChangeOp::kDelete);  // deleted unseen: no event will ever say so
  const std::string version = h.cluster.Revision();
  Relisted(core::GroupVersionResource{"apps", "v1", "deployments"}, version);
  EXPECT_EQ(File("a"), "1") << "a relist of another type says nothing of ConfigMaps";
  Relisted(kConfigMaps, version);
  EXPECT_EQ(File("a"), std::nullopt);
  Relisted(kConfigMaps, version);  // once: nothing is left to delete
  EXPECT_EQ(File("a"), std::nullopt);
}

TEST_F(RelistTest, AnObjectTheRelistDeliversKeepsItsFile) {
  h.remote.ExternalCommit(kRepoUrl, "main", "README.md", "hi");
  const core::ObjectChanged created = Unseen(ChangeOp::kCreate, "1");
  AddDestination("a");
  h.Feed(created);  // the relist delivers it: the watch caught up
  Relisted(kConfigMaps, h.cluster.Revision());
  EXPECT_EQ(File("a"), "1");
}

// The list was taken after the relist's version: the relist could not have shown it.
TEST_F(RelistTest, ARelistOlderThanTheListKeepsTheFile) {
  h.remote.ExternalCommit(kRepoUrl, "main", "README.md", "hi");
  const std::string before = h.cluster.Revision();
  Unseen(ChangeOp::kCreate, "1");
  AddDestination("a");
  Relisted(kConfigMaps, before);
  EXPECT_EQ(File("a"), "1");
}

// The event of a version a list already wrote for one destination still reaches the others.
TEST_F(RelistTest, WhatAListShowedDoesNotHideTheEventFromOtherDestinations) {
  h.remote.ExternalCommit(kRepoUrl, "main", "README.md", "hi");
  AddDestination("b");
  const core::ObjectChanged created = Unseen(ChangeOp::kCreate, "1");
  AddDestination("a");  // its list shows the object before the event arrives
  ASSERT_EQ(File("a"), "1");
  ASSERT_EQ(File("b"), std::nullopt);
  h.Feed(created);
  ASSERT_TRUE(h.AdvanceSettling(absl::Seconds(10)));
  EXPECT_EQ(File("b"), "1");
}

// The watch reports the object deleted after the list showed it: deleted once, and the
// relist after finds nothing more to do.
TEST_F(RelistTest, ADeleteEventSettlesWhatAListShowed) {
  h.remote.ExternalCommit(kRepoUrl, "main", "README.md", "hi");
  Unseen(ChangeOp::kCreate, "1");
  AddDestination("a");
  h.Feed(Unseen(ChangeOp::kDelete));
  ASSERT_TRUE(h.AdvanceSettling(absl::Seconds(10)));
  ASSERT_EQ(File("a"), std::nullopt);
  const std::string tip = h.remote.Tip(kRepoUrl, "main");
  Relisted(kConfigMaps, h.cluster.Revision());
  EXPECT_EQ(h.remote.Tip(kRepoUrl, "main"), tip);
}

// The last rule capturing ConfigMaps goes: their informer stops, and an event it sent
// before it stopped arrives late. It must not count the object alive: deleted while
// nothing watched, the object is reported by no event, and the resync that follows the
// rule's return deletes its file only if nothing holds the object alive.
TEST_F(RelistTest, AnEventOfATypeNoLongerWatchedIsIgnored) {
  h.remote.ExternalCommit(kRepoUrl, "main", "README.md", "hi");
  AddDestination("a");
  h.Feed(Unseen(ChangeOp::kCreate, "1"));
  ASSERT_TRUE(h.AdvanceSettling(absl::Seconds(10)));
  ASSERT_EQ(File("a"), "1");
  h.Feed(core::WatchRuleDeleted{CaptureConfigMaps("a").key});
  h.Feed(Unseen(ChangeOp::kUpdate, "2"));  // late: its informer has stopped
  Unseen(ChangeOp::kDelete);               // nothing watches: no event says so
  h.Feed(core::WatchRuleObserved{CaptureConfigMaps("a")});
  Relisted(kConfigMaps, h.cluster.Revision());  // the new informer's list: no cm
  EXPECT_EQ(File("a"), std::nullopt);
}

}  // namespace
}  // namespace gitdest::testing
