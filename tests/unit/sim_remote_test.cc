// The simulated remote's own contract, which the simulator's checks rely on: commits
// store one change each, a branch's tree moves with its tip (also backwards), and
// commit ids are content-addressed and deterministic.
#include "sim/sim_remote.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace gitdest::sim {
namespace {

constexpr char kUrl[] = "https://git.example.com/org/repo.git";

core::FileChange Update(std::string path, std::string content, std::string message = "m") {
  return {
      std::move(path), core::ChangeOp::kUpdate, std::move(content), std::move(message), "bob", {}};
}

core::FileChange Delete(std::string path) {
  return {std::move(path), core::ChangeOp::kDelete, "", "m", "bob", {}};
}

core::RemoteRef Ref(const std::string& branch = "main") {
  return core::RemoteRef{{"team", "repo"}, kUrl, {"team", ""}, branch};
}

// Pushes `changes` onto the branch's current tip; returns the new tip.
std::string Push(SimRemote& remote, std::vector<core::FileChange> changes,
                 const std::string& branch = "main") {
  absl::StatusOr<core::PushResult> result =
      remote.Push(Ref(branch), remote.Tip(kUrl, branch), changes, absl::Seconds(1));
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(result->outcome, core::PushResult::Outcome::kPushed);
  return result->tip;
}

SimRemote MakeRemote() {
  SimRemote remote;
  remote.CreateRepository(kUrl);
  return remote;
}

TEST(SimRemoteTest, ForceMoveBackRestoresEachParentsTreeExactly) {
  SimRemote remote = MakeRemote();
  std::vector<std::pair<std::string, Tree>> states;  // (tip, tree) after each commit
  for (const core::FileChange& change :
       {Update("a", "1"), Update("b", "2"), Update("a", "3"), Delete("b"), Update("b", "4")}) {
    Push(remote, {change});
    states.emplace_back(remote.Tip(kUrl, "main"), remote.TreeAt(kUrl, "main"));
  }
  ASSERT_EQ(remote.commits(), 5);
  ASSERT_EQ(states.back().second, (Tree{{"a", "3"}, {"b", "4"}}));
  for (size_t i = states.size() - 1; i > 0; --i) {
    remote.ForceMoveBack(kUrl, "main");
    EXPECT_EQ(remote.Tip(kUrl, "main"), states[i - 1].first);
    EXPECT_EQ(remote.TreeAt(kUrl, "main"), states[i - 1].second);
  }
  // Moving back from the root commit leaves no branch at all.
  remote.ForceMoveBack(kUrl, "main");
  EXPECT_EQ(remote.Tip(kUrl, "main"), "");
  EXPECT_TRUE(remote.TreeAt(kUrl, "main").empty());
  EXPECT_TRUE(remote.Branches(kUrl).empty());
}

// The tip histories skip recording while tip_changes() stands still: every way a tip
// appears, moves or vanishes must move it, and nothing else may.
TEST(SimRemoteTest, EveryChangeOfATipIsCounted) {
  SimRemote remote = MakeRemote();
  uint64_t seen = remote.tip_changes();
  auto moved = [&] {
    const bool changed = remote.tip_changes() != seen;
    seen = remote.tip_changes();
    return changed;
  };
  Push(remote, {Update("a", "1")});
  EXPECT_TRUE(moved());
  Push(remote, {}, "env/1");  // created at main's tip, with no commit of its own
  EXPECT_TRUE(moved());
  Push(remote, {Update("a", "1")});  // no byte changes: no commit
  EXPECT_FALSE(moved());
  remote.ExternalCommit(kUrl, "env/2", "b", "2");
  EXPECT_TRUE(moved());
  remote.ForceMoveBack(kUrl, "env/2");  // its only commit: the branch is gone
  EXPECT_TRUE(moved());
  remote.DeleteBranch(kUrl, "env/1");
  EXPECT_TRUE(moved());
  remote.DeleteBranch(kUrl, "env/1");  // already gone
  EXPECT_FALSE(moved());
  EXPECT_TRUE(remote.ReadBranch(Ref(), "", absl::Seconds(1)).ok());
  EXPECT_FALSE(moved());
}

TEST(SimRemoteTest, ABranchRecreatedAfterADeleteStartsFromAnEmptyTree) {
  SimRemote remote = MakeRemote();
  Push(remote, {Update("old", "x"), Update("older", "y")});
  remote.DeleteBranch(kUrl, "main");
  ASSERT_EQ(remote.Tip(kUrl, "main"), "");
  const std::string sha = remote.ExternalCommit(kUrl, "main", "new", "z");
  EXPECT_EQ(remote.TreeAt(kUrl, "main"), (Tree{{"new", "z"}}));
  // The same root commit as on a remote that never had the branch.
  SimRemote fresh = MakeRemote();
  EXPECT_EQ(fresh.ExternalCommit(kUrl, "main", "new", "z"), sha);
  // A push to the deleted branch also starts from nothing.
  remote.DeleteBranch(kUrl, "main");
  Push(remote, {Update("pushed", "p")});
  EXPECT_EQ(remote.TreeAt(kUrl, "main"), (Tree{{"pushed", "p"}}));
}

TEST(SimRemoteTest, EqualHistoriesGiveEqualShas) {
  SimRemote one = MakeRemote();
  SimRemote two = MakeRemote();
  const std::vector<core::FileChange> changes = {Update("a", "1"), Update("b", "2"), Delete("a")};
  EXPECT_EQ(Push(one, changes), Push(two, changes));
  // On another branch of a remote without `main` too, and through any spelling of the URL.
  SimRemote three = MakeRemote();
  EXPECT_EQ(Push(three, changes, "other"), one.Tip(kUrl, "main"));
  EXPECT_EQ(three.Tip("https://GIT.example.com/org/repo/", "other"), one.Tip(kUrl, "main"));
}

// As Git: a push that creates a branch starts from the default branch, keeps its files
// and history, and adds its own commits on top.
TEST(SimRemoteTest, APushCreatingABranchStartsFromTheDefaultBranch) {
  SimRemote remote = MakeRemote();
  const std::string main_tip = Push(remote, {Update("shared/a", "1")});
  const std::string tip = Push(remote, {Update("env/b", "2")}, "env");
  EXPECT_EQ(remote.TreeAt(kUrl, "env"), (Tree{{"env/b", "2"}, {"shared/a", "1"}}));
  EXPECT_TRUE(remote.IsAncestor(main_tip, tip));
  // No change changes a byte: the branch is created at the default branch's tip.
  EXPECT_EQ(Push(remote, {Update("shared/a", "1")}, "same"), main_tip);
  EXPECT_EQ(remote.Tip(kUrl, "same"), main_tip);
}

TEST(SimRemoteTest, ADifferenceAnywhereInTheHistoryGivesADifferentSha) {
  const auto sha_of = [](std::vector<core::FileChange> changes) {
    SimRemote remote = MakeRemote();
    return Push(remote, std::move(changes));
  };
  const std::string base = sha_of({Update("a", "1")});
  EXPECT_NE(sha_of({Update("a", "2")}), base);                   // content
  EXPECT_NE(sha_of({Update("b", "1")}), base);                   // path
  EXPECT_NE(sha_of({Update("a", "1", "other message")}), base);  // message
  // The same final tree reached in another order: other parents, other shas.
  EXPECT_NE(sha_of({Update("a", "1"), Update("b", "2")}),
            sha_of({Update("b", "2"), Update("a", "1")}));
  // Content and path do not blur into each other.
  EXPECT_NE(sha_of({Update("ab", "c")}), sha_of({Update("a", "bc")}));
}

TEST(SimRemoteTest, ShasLookLikeGitsAndAreTheSameOnEveryPlatform) {
  SimRemote remote = MakeRemote();
  const std::string sha = remote.ExternalCommit(kUrl, "main", "f", "x");
  ASSERT_EQ(sha.size(), 40u);
  EXPECT_EQ(sha.find_first_not_of("0123456789abcdef"), std::string::npos);
  // A golden value: the corpus traces record shas, so a change here must re-record them.
  EXPECT_EQ(sha, "ffdbe20f3ab0c6cefec73e11e077ee05314cf8ef");
  EXPECT_NE(HashBytes("a"), HashBytes(std::string("a\0", 2)));
}

TEST(SimRemoteTest, AChangeThatChangesNoBytesMakesNoCommit) {
  SimRemote remote = MakeRemote();
  const std::string tip = Push(remote, {Update("a", "1")});
  EXPECT_EQ(Push(remote, {Update("a", "1"), Delete("absent")}), tip);
  EXPECT_EQ(remote.commits(), 1);
  // Nor does such a push create a branch in an empty repository.
  SimRemote empty = MakeRemote();
  EXPECT_EQ(Push(empty, {Delete("absent")}, "new"), "");
  EXPECT_EQ(empty.Tip(kUrl, "new"), "");
}

TEST(SimRemoteTest, AStaleExpectedTipIsRejectedAndRewrittenHistoryIsNamed) {
  SimRemote remote = MakeRemote();
  const std::string first = Push(remote, {Update("a", "1")});
  const std::string second = Push(remote, {Update("a", "2")});
  const std::vector<core::FileChange> changes = {Update("a", "3")};
  // Behind, but still in the branch's history: an ordinary lost race.
  absl::StatusOr<core::PushResult> outcome = remote.Push(Ref(), first, changes, absl::Seconds(1));
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->outcome, core::PushResult::Outcome::kConflict);
  EXPECT_EQ(outcome->tip, second);
  EXPECT_EQ(outcome->history_rewritten, core::Tristate::kNo);
  EXPECT_EQ(remote.TreeAt(kUrl, "main"), (Tree{{"a", "2"}}));

  remote.ForceMoveBack(kUrl, "main");
  // Gone from the branch's history.
  outcome = remote.Push(Ref(), second, changes, absl::Seconds(1));
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->outcome, core::PushResult::Outcome::kConflict);
  EXPECT_EQ(outcome->tip, first);
  EXPECT_EQ(outcome->history_rewritten, core::Tristate::kYes);
  // An adapter that does not hold the new tip's history says so.
  remote.AnswerAncestryUnknown(1);
  outcome = remote.Push(Ref(), second, changes, absl::Seconds(1));
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->history_rewritten, core::Tristate::kUnknown);
  EXPECT_TRUE(remote.IsAncestor(first, first));
  EXPECT_FALSE(remote.IsAncestor(second, first));
  EXPECT_FALSE(remote.IsAncestor("not a sha", first));
}

}  // namespace
}  // namespace gitdest::sim
