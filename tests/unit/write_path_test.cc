// The write path: captured changes become commits, batched per branch and pushed with
// compare-and-swap; conflicts replay, outages back off, nothing is ever dropped.
#include <gtest/gtest.h>

#include "core/conditions.h"
#include "tests/support/harness.h"

namespace gitdest::testing {
namespace {

using core::ChangeOp;
using core::ObjectKey;

core::ControllerOptions SmallQueue() {
  core::ControllerOptions options;
  options.max_pending_changes = 4;
  return options;
}

core::FileChange FileNamed(const std::string& path) {
  core::FileChange change;
  change.path = path;
  change.content = std::string(64, 'x');  // on the heap: a move keeps its buffer
  return change;
}

// A batch leaves as the worker's and the effect's at once; a failed push takes its
// changes back, moved once the effect is gone and copied while it is still held.
TEST(BatchChangesTest, ChangesTakenBackAreMovedOnlyWhenNoEffectHoldsThem) {
  core::BatchChanges worker({FileNamed("a/one.yaml"), FileNamed("a/two.yaml")});
  const char* buffer = worker[0].content.data();
  core::BatchChanges effect = worker;  // the PushBatch effect: the same changes, not a copy
  EXPECT_EQ(&effect[0], &worker[0]);
  std::vector<core::FileChange> copied = core::BatchChanges(worker).Take();
  EXPECT_NE(copied[0].content.data(), buffer);  // another still holds them: copied
  EXPECT_EQ(effect.size(), 2u);
  effect = {};  // the executor lets go of the effect
  std::vector<core::FileChange> moved = std::move(worker).Take();
  ASSERT_EQ(moved.size(), 2u);
  EXPECT_EQ(moved[0].content.data(), buffer);  // the only holder: moved
  EXPECT_TRUE(worker.empty());
}

TEST(BatchChangesTest, BatchesCompareByContent) {
  const core::BatchChanges a({FileNamed("a/one.yaml")});
  const core::BatchChanges b({FileNamed("a/one.yaml")});
  EXPECT_EQ(a, b);
  EXPECT_NE(a, core::BatchChanges({FileNamed("a/two.yaml")}));
  EXPECT_NE(a, core::BatchChanges());
  EXPECT_EQ(core::BatchChanges(), core::BatchChanges(std::vector<core::FileChange>{}));
}

class WritePathTest : public ::testing::Test {
 protected:
  explicit WritePathTest(core::ControllerOptions options = {}) : h(options) {}
  void SetUp() override {
    h.Feed(core::RepoConfigObserved{MakeRepoConfig("repo")});
    AddDestination("a", "clusters/a");
    h.Settle();
  }
  void TearDown() override { EXPECT_TRUE(h.violation().ok()) << h.violation(); }

  // Every destination captures every ConfigMap (CaptureConfigMaps).
  void AddDestination(const std::string& name, const std::string& folder,
                      const std::string& branch = "main", int64_t generation = 1) {
    h.Feed(core::WatchRuleObserved{CaptureConfigMaps(name)});
    core::Destination d = MakeDestination(name, branch, folder, h.now());
    d.generation = generation;
    h.Feed(core::DestinationObserved{d});
  }
  // A change of the ConfigMap prod/<name>, as the cluster and then its watch see it.
  core::ObjectChanged Change(const std::string& name, const std::string& content,
                             ChangeOp op = ChangeOp::kUpdate) {
    core::ObjectChanged change = h.Changed(ConfigMap("prod", name), op, content);
    h.Feed(change);
    return change;
  }
  sim::Tree Tree() const { return h.remote.TreeAt(kRepoUrl, "main"); }
  int Pushes() const {
    int n = 0;
    for (const auto& e : h.held()) n += std::holds_alternative<core::PushBatch>(e);
    return n;
  }

  Harness h;
};

TEST_F(WritePathTest, ChangesAreBatchedUntilTheCommitWindowCloses) {
  Change("one", "data: 1\n");
  Change("two", "data: 2\n");
  h.Advance(absl::Seconds(9));
  EXPECT_EQ(Pushes(), 0);
  h.Advance(absl::Seconds(1));
  ASSERT_EQ(Pushes(), 1);
  const auto& batch = std::get<core::PushBatch>(h.held().front());
  EXPECT_EQ(batch.changes.size(), 2u);
  EXPECT_EQ(batch.changes[0].message, "[UPDATE] v1/configmaps/prod/one");
  EXPECT_EQ(batch.changes[0].author, "alice");
  h.Settle();
  EXPECT_EQ(Tree().at("clusters/a/v1/configmaps/prod/one.yaml"), "data: 1\n");
  EXPECT_EQ(Tree().at("clusters/a/v1/configmaps/prod/two.yaml"), "data: 2\n");
}

TEST_F(WritePathTest, MaxCommitsPushesAtOnce) {
  for (int i = 0; i < 20; ++i) Change("cm" + std::to_string(i), "v");
  EXPECT_EQ(Pushes(), 1);
}

TEST_F(WritePathTest, SuccessfulPushRefreshesTheCacheAndStatus) {
  Change("one", "data: 1\n");
  h.Advance(absl::Seconds(10));
  const size_t reads = h.reads_issued().size();
  h.Settle();
  const std::string tip = h.remote.Tip(kRepoUrl, "main");
  const auto& status = h.controller().destinations().at({"team", "a"}).status;
  EXPECT_EQ(status.last_commit_sha, tip);
  EXPECT_TRUE(status.branch_exists);
  EXPECT_EQ(h.reads_issued().size(), reads);  // no extra remote read
}

TEST_F(WritePathTest, ConflictReplaysTheBatchOnTheNewTip) {
  Change("one", "data: 1\n");
  h.Advance(absl::Seconds(10));
  ASSERT_EQ(Pushes(), 1);
  h.remote.ExternalCommit(kRepoUrl, "main", "other/file", "theirs");  // wins the race
  h.DeliverPushes();       // rejected: compare-and-swap lost
  ASSERT_EQ(Pushes(), 1);  // replayed at once on the tip found
  EXPECT_EQ(std::get<core::PushBatch>(h.held().front()).expected_tip,
            h.remote.Tip(kRepoUrl, "main"));
  h.Settle();
  EXPECT_EQ(Tree().at("other/file"), "theirs");
  EXPECT_EQ(Tree().at("clusters/a/v1/configmaps/prod/one.yaml"), "data: 1\n");
}

TEST_F(WritePathTest, OutageBacksOffAndKeepsAccumulating) {
  h.remote.FailNextPushes(3, absl::UnavailableError("503"));
  Change("one", "1");
  h.Advance(absl::Seconds(10));
  h.DeliverPushes();
  Change("two", "2");
  for (int i = 0; i < 3; ++i) {
    h.Advance(absl::Seconds(30));
    h.Settle();
  }
  EXPECT_EQ(Tree().at("clusters/a/v1/configmaps/prod/one.yaml"), "1");
  EXPECT_EQ(Tree().at("clusters/a/v1/configmaps/prod/two.yaml"), "2");
  const auto& status = h.controller().destinations().at({"team", "a"}).status;
  EXPECT_EQ(core::FindCondition(status, core::kConditionReconciling)->status,
            core::ConditionStatus::kFalse);
}

// A push that keeps failing is retried after 1 s, 2 s, 4 s, ... and never later than
// push_retry_delay_max.
TEST_F(WritePathTest, PushRetriesBackOffUpToTheCap) {
  h.remote.FailNextPushes(1000, absl::UnavailableError("503"));
  Change("one", "1");
  ASSERT_TRUE(h.AdvanceSettling(absl::Hours(1)));
  const std::vector<absl::Duration> gaps = Gaps(TimesOf<core::PushBatch>(h.TakeEffects()));
  const absl::Duration cap = h.controller().options().push_retry_delay_max;
  ASSERT_GE(gaps.size(), 12u);
  EXPECT_EQ(gaps[0], h.controller().options().push_retry_delay_min);
  for (absl::Duration gap : gaps) EXPECT_LE(gap, cap);
  EXPECT_EQ(gaps.back(), cap);
}

TEST_F(WritePathTest, UnansweredPushIsRetriedAndAReplayOfALandedPushIsHarmless) {
  Change("one", "1");
  h.Advance(absl::Seconds(10));
  ASSERT_EQ(Pushes(), 1);
  // The push lands but its answer is lost; after the deadline the core retries it.
  const auto& push = std::get<core::PushBatch>(h.held().front());
  absl::StatusOr<core::PushResult> landed =
      h.remote.Push(push.remote, push.expected_tip, push.changes.vector(), push.timeout);
  ASSERT_TRUE(landed.ok());
  ASSERT_EQ(landed->outcome, core::PushResult::Outcome::kPushed);
  const std::string tip = landed->tip;
  h.Advance(absl::Minutes(2));
  h.Settle();  // the stale answer is ignored; the retry conflicts, then replays as a no-op
  h.AdvanceSettling(absl::Seconds(5));
  EXPECT_EQ(h.remote.Tip(kRepoUrl, "main"), tip);
  EXPECT_TRUE(h.controller().workers().workers().begin()->second.pending().empty());
  EXPECT_EQ(h.controller().destinations().at({"team", "a"}).status.last_commit_sha, tip);
}

TEST_F(WritePathTest, AuthFailureOnPushStallsUntilFixed) {
  h.remote.FailNextPushes(1, absl::PermissionDeniedError("403"));
  Change("one", "1");
  h.Advance(absl::Seconds(10));
  h.Settle();
  const auto& rec = h.controller().destinations().at({"team", "a"});
  EXPECT_EQ(core::FindCondition(rec.status, core::kConditionReady)->reason,
            core::kReasonPushFailed);
  EXPECT_EQ(core::FindCondition(rec.status, core::kConditionStalled)->status,
            core::ConditionStatus::kTrue);
  h.Advance(absl::Seconds(2));
  h.Settle();
  EXPECT_EQ(Tree().at("clusters/a/v1/configmaps/prod/one.yaml"), "1");
  EXPECT_EQ(core::FindCondition(rec.status, core::kConditionReady)->status,
            core::ConditionStatus::kTrue);
}

TEST_F(WritePathTest, DeleteRemovesTheFileAndIdenticalContentCommitsNothing) {
  Change("one", "1");
  h.Advance(absl::Seconds(10));
  h.Settle();
  const std::string tip = h.remote.Tip(kRepoUrl, "main");
  Change("one", "1");
  h.Advance(absl::Seconds(10));
  h.Settle();
  EXPECT_EQ(h.remote.Tip(kRepoUrl, "main"), tip);
  Change("one", "", ChangeOp::kDelete);
  h.Advance(absl::Seconds(10));
  h.Settle();
  EXPECT_FALSE(Tree().contains("clusters/a/v1/configmaps/prod/one.yaml"));
}

TEST_F(WritePathTest, HostileNamesAreRefusedWithAnEvent) {
  h.Feed(h.Changed(ConfigMap("prod", "../../../etc/passwd"), ChangeOp::kCreate, "x", "mallory"));
  h.Advance(absl::Seconds(10));
  EXPECT_EQ(Pushes(), 0);
  ASSERT_FALSE(h.cluster.events().empty());
  EXPECT_EQ(h.cluster.events().back().reason, "InvalidObject");
}

TEST_F(WritePathTest, ChangesForAnUnreadyDestinationAreRefusedWithAnEvent) {
  AddDestination("unready", "../escape");  // an invalid spec: never admitted
  h.Settle();
  Change("one", "1", ChangeOp::kCreate);
  ASSERT_FALSE(h.cluster.events().empty());
  EXPECT_EQ(h.cluster.events().back().object, (ObjectKey{"team", "unready"}));
  EXPECT_EQ(h.cluster.events().back().reason, "ChangeNotWritten");
  h.AdvanceSettling(absl::Seconds(10));
  EXPECT_EQ(Tree().at("clusters/a/v1/configmaps/prod/one.yaml"), "1");  // the ready one writes
}

TEST_F(WritePathTest, WorkerOutlivesItsLastDestinationUntilWritesArePushed) {
  Change("one", "1");
  h.Feed(core::DestinationDeleted{{"team", "a"}});
  EXPECT_EQ(h.controller().workers().workers().size(), 1u);
  h.Advance(absl::Seconds(10));
  h.Settle();
  EXPECT_TRUE(h.controller().workers().workers().empty());
  EXPECT_EQ(Tree().at("clusters/a/v1/configmaps/prod/one.yaml"), "1");
}

TEST_F(WritePathTest, DeletedBranchIsRewrittenFromTheCluster) {
  Change("one", "1");
  h.AdvanceSettling(absl::Seconds(10));
  ASSERT_TRUE(Tree().contains("clusters/a/v1/configmaps/prod/one.yaml"));
  h.remote.DeleteBranch(kRepoUrl, "main");  // someone else deletes the branch
  Change("two", "2");                       // its push conflicts: the branch is gone
  h.AdvanceSettling(absl::Seconds(30));
  EXPECT_EQ(Tree().at("clusters/a/v1/configmaps/prod/one.yaml"), "1");  // written again
  EXPECT_EQ(Tree().at("clusters/a/v1/configmaps/prod/two.yaml"), "2");
}

// Found by the property test: a destination moved to another branch while the list of
// its first resync was in flight must be resynced on the new branch in full.
TEST_F(WritePathTest, RetargetDuringAResyncListsAgainForTheNewTarget) {
  AddDestination("b", "c/d");
  h.DeliverStatusWrites();       // its rule's: Ready now
  ASSERT_EQ(h.in_flight(), 2u);  // its read and its resync
  Change("cm0", "v0");
  AddDestination("b", "c/d", "dev", /*generation=*/2);
  h.AdvanceSettling(absl::Minutes(1));
  EXPECT_EQ(h.remote.TreeAt(kRepoUrl, "dev").at("c/d/v1/configmaps/prod/cm0.yaml"), "v0");
}

// A branch gitdest creates starts from the default branch, files and all: those under
// the destination's folder that name no object of it are deleted, as a resync does.
TEST_F(WritePathTest, ANewBranchDropsInheritedFilesThatNameNoObject) {
  h.remote.ExternalCommit(kRepoUrl, "main", "README.md", "hi");
  h.remote.ExternalCommit(kRepoUrl, "main", "c/d/v1/configmaps/prod/gone.yaml", "old");
  Change("cm0", "v0");
  AddDestination("b", "c/d", "dev");
  h.AdvanceSettling(absl::Minutes(1));
  const sim::Tree dev = h.remote.TreeAt(kRepoUrl, "dev");
  EXPECT_EQ(dev.at("c/d/v1/configmaps/prod/cm0.yaml"), "v0");
  EXPECT_FALSE(dev.contains("c/d/v1/configmaps/prod/gone.yaml"));
  EXPECT_EQ(dev.at("README.md"), "hi");  // not its folder: kept
}

// Found by the simulator: the push that created the branch landed but its answer was
// lost. The retry's conflict is how the core learns the branch exists now, and that is
// enough to resync: the branch started from the default branch, files and all.
TEST_F(WritePathTest, ABranchCreatedByAPushWhoseAnswerWasLostDropsInheritedFilesToo) {
  ASSERT_TRUE(h.AdvanceSettling(absl::Minutes(3)));  // past the new leader's second resync
  h.remote.ExternalCommit(kRepoUrl, "main", "README.md", "hi");
  h.remote.ExternalCommit(kRepoUrl, "main", "c/d/v1/configmaps/prod/gone.yaml", "old");
  Change("cm0", "v0");
  AddDestination("b", "c/d", "dev");
  h.DeliverReads();    // dev does not exist
  h.DeliverResyncs();  // nothing in its folder: cm0 is queued
  h.Advance(absl::Seconds(10));
  const core::PushBatch* create = nullptr;
  for (const core::Effect& e : h.held()) {
    const auto* push = std::get_if<core::PushBatch>(&e);
    if (push != nullptr && push->remote.branch == "dev") create = push;
  }
  ASSERT_NE(create, nullptr);
  ASSERT_EQ(create->expected_tip, "");
  ASSERT_TRUE(h.remote.Push(create->remote, "", create->changes.vector(), create->timeout).ok());
  ASSERT_TRUE(h.remote.TreeAt(kRepoUrl, "dev").contains("c/d/v1/configmaps/prod/gone.yaml"));
  h.Advance(absl::Minutes(2));  // its answer never comes: given up on, sent again
  ASSERT_TRUE(h.AdvanceSettling(absl::Minutes(1)));
  const sim::Tree dev = h.remote.TreeAt(kRepoUrl, "dev");
  EXPECT_EQ(dev.at("c/d/v1/configmaps/prod/cm0.yaml"), "v0");
  EXPECT_FALSE(dev.contains("c/d/v1/configmaps/prod/gone.yaml"));
}

// Found by the simulator: a resync's list may be older than a watch event that
// arrived while it was in flight; the newer event wins.
TEST_F(WritePathTest, AResyncListNeverOverwritesANewerEvent) {
  Change("cm0", "old");
  AddDestination("b", "x");
  h.Settle();
  const core::ObjectChanged late = h.Changed(ConfigMap("prod", "cm0"), ChangeOp::kUpdate, "new");
  AddDestination("b", "y", "main", /*generation=*/2);     // resync #2: its list will say "new"…
  Change("cm0", "newer");                                 // …but this event is newer
  ASSERT_EQ(h.DeliverResyncsListing({Listed(late)}), 1);  // a cache behind the watch
  h.Feed(late);  // and the event of "new" arrives last of all
  h.AdvanceSettling(absl::Minutes(1));
  EXPECT_EQ(Tree().at("y/v1/configmaps/prod/cm0.yaml"), "newer");
  EXPECT_EQ(Tree().at("clusters/a/v1/configmaps/prod/cm0.yaml"), "newer");
}

TEST_F(WritePathTest, ForcePushedBranchIsRewrittenFromTheCluster) {
  h.remote.ExternalCommit(kRepoUrl, "main", "other/file", "x");
  Change("one", "1");
  h.AdvanceSettling(absl::Seconds(40));  // read the tip, then push "one" on it
  ASSERT_TRUE(Tree().contains("clusters/a/v1/configmaps/prod/one.yaml"));
  h.remote.ForceMoveBack(kRepoUrl, "main");  // someone force-pushes our commit away
  ASSERT_FALSE(Tree().contains("clusters/a/v1/configmaps/prod/one.yaml"));
  ASSERT_TRUE(Tree().contains("other/file"));
  Change("two", "2");  // its push conflicts, and the tip found lacks our commit
  h.AdvanceSettling(absl::Seconds(30));
  EXPECT_EQ(Tree().at("clusters/a/v1/configmaps/prod/one.yaml"), "1");
  EXPECT_EQ(Tree().at("clusters/a/v1/configmaps/prod/two.yaml"), "2");
}

TEST_F(WritePathTest, ForcePushIsDetectedByAReadWithoutAPush) {
  h.remote.ExternalCommit(kRepoUrl, "main", "other/file", "x");  // the branch outlives the push
  Change("one", "1");
  h.AdvanceSettling(absl::Seconds(40));
  ASSERT_TRUE(Tree().contains("clusters/a/v1/configmaps/prod/one.yaml"));
  h.remote.ForceMoveBack(kRepoUrl, "main");  // nothing more to push: only reads notice
  ASSERT_FALSE(Tree().contains("clusters/a/v1/configmaps/prod/one.yaml"));
  ASSERT_TRUE(Tree().contains("other/file"));
  h.AdvanceSettling(absl::Minutes(12));  // the periodic reconcile reads the branch
  EXPECT_EQ(h.reads_issued().back().known_tip.size(), 40u);
  EXPECT_EQ(Tree().at("clusters/a/v1/configmaps/prod/one.yaml"), "1");
}

// A ref listing cannot tell whether the branch still holds our commit; an adapter that
// has not fetched the new tip answers "unknown", and a moved tip is then taken as
// possibly rewritten: the destination writes again (identical content commits nothing).
TEST_F(WritePathTest, ForcePushBehindAnUnknownAncestryIsRewrittenToo) {
  h.remote.ExternalCommit(kRepoUrl, "main", "other/file", "x");
  Change("one", "1");
  h.AdvanceSettling(absl::Seconds(40));
  ASSERT_TRUE(Tree().contains("clusters/a/v1/configmaps/prod/one.yaml"));
  h.remote.ForceMoveBack(kRepoUrl, "main");
  h.remote.AnswerAncestryUnknown(1000);
  h.AdvanceSettling(absl::Minutes(12));
  EXPECT_EQ(Tree().at("clusters/a/v1/configmaps/prod/one.yaml"), "1");
}

// A resync lists the folder too: a file naming an object the cluster no longer has (its
// delete was lost, e.g. with a crash) is deleted; foreign files and live objects stay,
// and so does a path a newer watch event wrote.
TEST(ResyncTest, DeletesFilesOfObjectsTheClusterNoLongerHas) {
  Harness h;
  h.remote.ExternalCommit(kRepoUrl, "main", "clusters/a/v1/configmaps/prod/gone.yaml", "old");
  h.remote.ExternalCommit(kRepoUrl, "main", "clusters/a/v1/configmaps/prod/live.yaml", "old");
  h.remote.ExternalCommit(kRepoUrl, "main", "clusters/a/v1/configmaps/prod/newer.yaml", "old");
  h.remote.ExternalCommit(kRepoUrl, "main", "clusters/a/README.md", "notes");
  h.remote.ExternalCommit(kRepoUrl, "main", "clusters/b/v1/configmaps/prod/gone.yaml", "b's");
  h.Feed(h.Changed(ConfigMap("prod", "live"), ChangeOp::kUpdate, "now"));  // before any rule
  h.Feed(core::RepoConfigObserved{MakeRepoConfig("repo")});
  h.Feed(core::WatchRuleObserved{CaptureConfigMaps("a")});
  h.Feed(core::DestinationObserved{MakeDestination("a", "main", "clusters/a", h.now())});
  int resyncs = 0;
  for (const auto& e : h.held()) resyncs += std::holds_alternative<core::ResyncDestination>(e);
  ASSERT_EQ(resyncs, 1);  // held: a watch event comes first, while the list is asked for
  h.Feed(h.Changed(ConfigMap("prod", "newer"), ChangeOp::kUpdate, "event", "bob"));
  const core::CapturedObject live = *h.cluster.FindObject(ConfigMap("prod", "live"));
  ASSERT_EQ(h.DeliverResyncsListing({live}), 1);  // the list predates the event
  h.AdvanceSettling(absl::Minutes(1));
  const sim::Tree tree = h.remote.TreeAt(kRepoUrl, "main");
  EXPECT_FALSE(tree.contains("clusters/a/v1/configmaps/prod/gone.yaml"));
  EXPECT_EQ(tree.at("clusters/a/v1/configmaps/prod/live.yaml"), "now");
  EXPECT_EQ(tree.at("clusters/a/v1/configmaps/prod/newer.yaml"), "event");
  EXPECT_EQ(tree.at("clusters/a/README.md"), "notes");
  EXPECT_EQ(tree.at("clusters/b/v1/configmaps/prod/gone.yaml"), "b's");  // not its folder
  EXPECT_TRUE(h.violation().ok()) << h.violation();
}

class CoalescingTest : public WritePathTest {
 protected:
  CoalescingTest() : WritePathTest(SmallQueue()) {}
};

TEST_F(CoalescingTest, FullQueueCoalescesToTheLatestContentPerPath) {
  h.remote.FailNextPushes(1, absl::UnavailableError("down"));
  for (int i = 0; i < 10; ++i) Change(i % 2 ? "odd" : "even", "v" + std::to_string(i));
  const auto& worker = h.controller().workers().workers().begin()->second;
  EXPECT_LE(worker.pending().size(), 4u);
  h.Advance(absl::Seconds(10));
  h.Settle();
  h.Advance(absl::Seconds(30));
  h.Settle();
  EXPECT_EQ(Tree().at("clusters/a/v1/configmaps/prod/even.yaml"), "v8");
  EXPECT_EQ(Tree().at("clusters/a/v1/configmaps/prod/odd.yaml"), "v9");
}

// More distinct paths than the bound: there is nothing to fold, so every change stays,
// and the queue is not rescanned for each new one. It coalesces again once it has
// doubled, to the latest content per path in the order of those latest changes.
TEST_F(CoalescingTest, DistinctPathsBeyondTheBoundStayAndCoalesceAgainOnceDoubled) {
  for (int i = 0; i < 6; ++i) Change("cm-" + std::to_string(i), "v0");
  const auto& pending = h.controller().workers().workers().begin()->second.pending();
  EXPECT_EQ(pending.size(), 6u);  // coalesced at 5, with nothing to fold
  for (int v = 1; v <= 4; ++v) Change("cm-0", "v" + std::to_string(v));
  EXPECT_EQ(pending.size(), 10u);  // twice the 5 that coalescing left
  Change("cm-1", "v1");
  ASSERT_EQ(pending.size(), 6u);
  EXPECT_EQ(pending[0].path, "clusters/a/v1/configmaps/prod/cm-2.yaml");
  EXPECT_EQ(pending[4].content, "v4");
  EXPECT_EQ(pending[5].content, "v1");
  ASSERT_TRUE(h.AdvanceSettling(absl::Seconds(10)));
  EXPECT_EQ(Tree().at("clusters/a/v1/configmaps/prod/cm-0.yaml"), "v4");
  EXPECT_EQ(Tree().at("clusters/a/v1/configmaps/prod/cm-1.yaml"), "v1");
  EXPECT_EQ(Tree().at("clusters/a/v1/configmaps/prod/cm-5.yaml"), "v0");
}

// When the very last change overflows the queue, the coalesced queue holds the latest
// content of each path, in the order of those latest changes: the final state is what
// the cluster holds.
TEST_F(CoalescingTest, OverflowOnTheLastChangeKeepsTheLatestContentPerPath) {
  for (const char* content : {"x1", "y1", "x2", "y2", "x3"}) {
    Change(std::string("cm-") + content[0], content);
  }
  const auto& workers = h.controller().workers().workers();
  ASSERT_EQ(workers.size(), 1u);
  const auto& pending = workers.begin()->second.pending();
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].content, "y2");
  EXPECT_EQ(pending[1].content, "x3");
  ASSERT_TRUE(h.AdvanceSettling(absl::Seconds(10)));
  EXPECT_EQ(Tree().at("clusters/a/v1/configmaps/prod/cm-x.yaml"), "x3");
  EXPECT_EQ(Tree().at("clusters/a/v1/configmaps/prod/cm-y.yaml"), "y2");
}

}  // namespace
}  // namespace gitdest::testing
