// The GitRemote contract (core/ports.h), case for case on every implementation: the
// simulator's SimRemote and the libgit2 adapter on real repositories (file://, and HTTPS
// and SSH when tests/git/servers.sh serves them). Where they disagree, the simulator is
// wrong: it must keep modelling the Git that users run.
#include <gtest/gtest.h>

#include "tests/git/git_world.h"

namespace gitdest::testing {
namespace {

using core::ChangeOp;
using core::FileChange;
using core::PushResult;
using core::Tristate;

constexpr absl::Duration kTimeout = absl::Seconds(20);

FileChange Write(const std::string& path, const std::string& content) {
  return FileChange{path, ChangeOp::kUpdate, content, "[UPDATE] " + path, "alice", {"ns", "d"}};
}
FileChange Delete(const std::string& path) {
  return FileChange{path, ChangeOp::kDelete, "", "[DELETE] " + path, "alice", {"ns", "d"}};
}

class GitRemoteContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    world_ = GetParam() == "sim" ? MakeSimWorld() : MakeRealWorld(GetParam());
    if (!world_) GTEST_SKIP() << GetParam() << " servers are not running (tests/git/servers.sh)";
  }
  core::GitRemote& git() { return world_->remote(); }
  core::PullReport Read(const core::RemoteRef& ref, const std::string& known = "") {
    absl::StatusOr<core::PullReport> report = git().ReadBranch(ref, known, kTimeout);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.value_or(core::PullReport{});
  }
  PushResult Push(const core::RemoteRef& ref, const std::string& expected,
                  const std::vector<FileChange>& changes) {
    absl::StatusOr<PushResult> result = git().Push(ref, expected, changes, kTimeout);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.value_or(PushResult{});
  }
  std::unique_ptr<GitWorld> world_;
};

TEST_P(GitRemoteContract, EmptyRepositoryIsUnbornAndHasNoBranch) {
  const core::RemoteRef ref = world_->NewRepository(false, "main");
  const core::PullReport report = Read(ref);
  EXPECT_FALSE(report.exists_on_remote);
  EXPECT_TRUE(report.head.unborn);
  EXPECT_EQ(report.head.sha, "");
  EXPECT_EQ(report.head.short_name, "main");
}

TEST_P(GitRemoteContract, MissingBranchOfARepositoryWithCommits) {
  const core::RemoteRef ref = world_->NewRepository(true, "dev");
  const core::PullReport report = Read(ref);
  EXPECT_FALSE(report.exists_on_remote);
  EXPECT_FALSE(report.head.unborn);
  EXPECT_EQ(report.head.sha, "");
}

TEST_P(GitRemoteContract, ReadShowsTheTipAndNoRewriteWhenItDescends) {
  const core::RemoteRef ref = world_->NewRepository(true, "main");
  const std::string first = world_->Tip(ref);
  const std::string second = world_->ExternalCommit(ref, "x", "1");
  const core::PullReport report = Read(ref, first);
  EXPECT_TRUE(report.exists_on_remote);
  EXPECT_EQ(report.head.sha, second);
  EXPECT_NE(report.history_rewritten, Tristate::kYes);
}

TEST_P(GitRemoteContract, FirstPushOnAnEmptyRepositoryCreatesTheBranch) {
  const core::RemoteRef ref = world_->NewRepository(false, "main");
  const PushResult result = Push(ref, "", {Write("apps/a.yaml", "a: 1\n")});
  EXPECT_EQ(result.outcome, PushResult::Outcome::kPushed);
  EXPECT_EQ(result.tip, world_->Tip(ref));
  EXPECT_EQ(world_->Content(ref, "apps/a.yaml"), "a: 1\n");
  EXPECT_EQ(Read(ref).head.sha, result.tip);
}

TEST_P(GitRemoteContract, PushWritesEachChangeAndKeepsOtherFiles) {
  const core::RemoteRef ref = world_->NewRepository(true, "main");
  const PushResult result =
      Push(ref, world_->Tip(ref),
           {Write("apps/a.yaml", "a"), Write("apps/b/c.yaml", "c"), Write("apps/a.yaml", "a2")});
  ASSERT_EQ(result.outcome, PushResult::Outcome::kPushed);
  EXPECT_EQ(world_->Files(ref),
            (std::vector<std::string>{"README", "apps/a.yaml", "apps/b/c.yaml"}));
  EXPECT_EQ(world_->Content(ref, "apps/a.yaml"), "a2");
  EXPECT_EQ(world_->Content(ref, "README"), "hello\n");
}

TEST_P(GitRemoteContract, LostRaceIsAConflictWithTheTipFoundAndWritesNothing) {
  const core::RemoteRef ref = world_->NewRepository(true, "main");
  const std::string read = world_->Tip(ref);
  const std::string other = world_->ExternalCommit(ref, "other.yaml", "theirs");
  const PushResult result = Push(ref, read, {Write("apps/a.yaml", "ours")});
  EXPECT_EQ(result.outcome, PushResult::Outcome::kConflict);
  EXPECT_EQ(result.tip, other);
  EXPECT_NE(result.history_rewritten, Tristate::kYes);  // it descends: an ordinary race
  EXPECT_EQ(world_->Tip(ref), other);
  // Replayed on the tip found, both sides' commits are kept.
  const PushResult replay = Push(ref, result.tip, {Write("apps/a.yaml", "ours")});
  ASSERT_EQ(replay.outcome, PushResult::Outcome::kPushed);
  EXPECT_EQ(world_->Content(ref, "other.yaml"), "theirs");
  EXPECT_EQ(world_->Content(ref, "apps/a.yaml"), "ours");
}

TEST_P(GitRemoteContract, PushExpectingAnAbsentBranchConflictsWhenItExists) {
  const core::RemoteRef ref = world_->NewRepository(true, "main");
  const PushResult result = Push(ref, "", {Write("apps/a.yaml", "a")});
  EXPECT_EQ(result.outcome, PushResult::Outcome::kConflict);
  EXPECT_EQ(result.tip, world_->Tip(ref));
}

TEST_P(GitRemoteContract, ForcePushedBranchIsRewritten) {
  const core::RemoteRef ref = world_->NewRepository(true, "main");
  const PushResult ours = Push(ref, world_->Tip(ref), {Write("apps/a.yaml", "a")});
  world_->ForceMoveBack(ref);
  EXPECT_NE(Read(ref, ours.tip).history_rewritten, Tristate::kNo);
  const PushResult result = Push(ref, ours.tip, {Write("apps/b.yaml", "b")});
  EXPECT_EQ(result.outcome, PushResult::Outcome::kConflict);
  EXPECT_EQ(result.tip, world_->Tip(ref));
  EXPECT_NE(result.history_rewritten, Tristate::kNo);
}

TEST_P(GitRemoteContract, DeletedBranchIsAbsentAndAPushOnItConflicts) {
  const core::RemoteRef ref = world_->NewRepository(true, "main");
  const std::string tip = world_->Tip(ref);
  world_->DeleteBranch(ref);
  EXPECT_FALSE(Read(ref, tip).exists_on_remote);
  const PushResult result = Push(ref, tip, {Write("apps/a.yaml", "a")});
  EXPECT_EQ(result.outcome, PushResult::Outcome::kConflict);
  EXPECT_EQ(result.tip, "");
  EXPECT_EQ(result.history_rewritten, Tristate::kYes);
}

TEST_P(GitRemoteContract, IdenticalContentAndDeletingAMissingFileMakeNoCommit) {
  const core::RemoteRef ref = world_->NewRepository(true, "main");
  const PushResult first = Push(ref, world_->Tip(ref), {Write("apps/a.yaml", "a")});
  const PushResult again =
      Push(ref, first.tip, {Write("apps/a.yaml", "a"), Delete("apps/none.yaml")});
  EXPECT_EQ(again.outcome, PushResult::Outcome::kPushed);
  EXPECT_EQ(again.tip, first.tip);
  EXPECT_EQ(world_->Tip(ref), first.tip);
}

TEST_P(GitRemoteContract, NothingToCommitOnAnEmptyRepositoryCreatesNothing) {
  const core::RemoteRef ref = world_->NewRepository(false, "main");
  const PushResult result = Push(ref, "", {Delete("apps/none.yaml")});
  EXPECT_EQ(result.outcome, PushResult::Outcome::kPushed);
  EXPECT_EQ(result.tip, "");
  EXPECT_EQ(world_->Tip(ref), "");
}

// As Git: a new branch starts from the default branch, with its files and history; it is
// created even when no change changes a byte (the branch itself is the change).
TEST_P(GitRemoteContract, ANewBranchStartsFromTheDefaultBranch) {
  const core::RemoteRef ref = world_->NewRepository(true, "dev");
  core::RemoteRef main = ref;
  main.branch = "main";
  const PushResult result = Push(ref, "", {Write("apps/a.yaml", "a")});
  ASSERT_EQ(result.outcome, PushResult::Outcome::kPushed);
  EXPECT_EQ(world_->Files(ref), (std::vector<std::string>{"README", "apps/a.yaml"}));
  core::RemoteRef same = ref;
  same.branch = "same";
  const PushResult unchanged = Push(same, "", {Write("README", "hello\n")});
  EXPECT_EQ(unchanged.outcome, PushResult::Outcome::kPushed);
  EXPECT_EQ(unchanged.tip, world_->Tip(main));
  EXPECT_EQ(world_->Tip(same), world_->Tip(main));
}

TEST_P(GitRemoteContract, DeleteRemovesTheFile) {
  const core::RemoteRef ref = world_->NewRepository(true, "main");
  const PushResult first = Push(ref, world_->Tip(ref), {Write("apps/a.yaml", "a")});
  const PushResult second = Push(ref, first.tip, {Delete("apps/a.yaml")});
  EXPECT_NE(second.tip, first.tip);
  EXPECT_EQ(world_->Files(ref), std::vector<std::string>{"README"});
}

TEST_P(GitRemoteContract, ListFilesNamesEveryFileUnderTheFolderOnly) {
  const core::RemoteRef ref = world_->NewRepository(true, "main");
  Push(ref, world_->Tip(ref),
       {Write("apps/b.yaml", "b"), Write("apps/x/a.yaml", "a"), Write("apps2/c.yaml", "c"),
        Write("appsx", "d")});
  absl::StatusOr<std::vector<std::string>> files = git().ListFiles(ref, "apps", kTimeout);
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ(*files, (std::vector<std::string>{"apps/b.yaml", "apps/x/a.yaml"}));
  files = git().ListFiles(ref, "none", kTimeout);
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_TRUE(files->empty());
  core::RemoteRef absent = ref;
  absent.branch = "absent";
  files = git().ListFiles(absent, "apps", kTimeout);
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_TRUE(files->empty());
}

TEST_P(GitRemoteContract, MissingRepositoryIsNotFoundOrUnavailable) {
  core::RemoteRef ref = world_->NewRepository(false, "main");
  ref.url += "-missing";
  absl::StatusOr<core::PullReport> report = git().ReadBranch(ref, "", kTimeout);
  ASSERT_FALSE(report.ok());
  EXPECT_TRUE(absl::IsNotFound(report.status()) || absl::IsUnavailable(report.status()))
      << report.status();
}

INSTANTIATE_TEST_SUITE_P(Implementations, GitRemoteContract,
                         ::testing::Values("sim", "file", "https", "ssh"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace gitdest::testing
