// Example tests of the core's reconcile: the seed's four scenarios and the rules
// around them. Properties over random interleavings live in tests/property/.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/conditions.h"
#include "tests/support/harness.h"

namespace gitdest::testing {
namespace {

using core::ConditionStatus;
using core::DestinationStatus;
using core::ObjectKey;

class ReconcileTest : public ::testing::Test {
 protected:
  void SetUp() override { h.Feed(core::RepoConfigObserved{MakeRepoConfig("repo")}); }
  void TearDown() override { EXPECT_TRUE(h.violation().ok()) << h.violation(); }

  void AddDestination(const std::string& name, const std::string& folder,
                      const std::string& branch = "main") {
    h.Feed(core::WatchRuleObserved{CaptureConfigMaps(name)});
    h.Feed(core::DestinationObserved{MakeDestination(name, branch, folder, h.now())});
  }
  const DestinationStatus& Status(const std::string& name) {
    return h.controller().destinations().at(ObjectKey{"team", name}).status;
  }
  ConditionStatus Ready(const std::string& name) {
    const core::Condition* c = core::FindCondition(Status(name), core::kConditionReady);
    return c == nullptr ? ConditionStatus::kUnknown : c->status;
  }
  std::string ReadyReason(const std::string& name) {
    return core::FindCondition(Status(name), core::kConditionReady)->reason;
  }

  Harness h;
};

// Seed scenario 1: a stale (here: empty) cache triggers one read, and the status gets
// the remote's metadata with the time it was read.
TEST_F(ReconcileTest, StaleCacheTriggersReadAndReturnsMetadata) {
  const std::string sha = h.remote.ExternalCommit(kRepoUrl, "main", "README.md", "hi");
  const absl::Time created = h.now();
  AddDestination("a", "clusters/a");
  ASSERT_EQ(h.reads_issued().size(), 1u);
  EXPECT_EQ(Ready("a"), ConditionStatus::kUnknown);  // nothing known until the read lands
  h.Advance(absl::Milliseconds(200));
  ASSERT_EQ(h.DeliverReads(), 1);
  EXPECT_EQ(Ready("a"), ConditionStatus::kTrue);
  EXPECT_TRUE(Status("a").branch_exists);
  EXPECT_EQ(Status("a").last_commit_sha, sha);
  EXPECT_EQ(Status("a").last_sync_time, created);
  EXPECT_GE(h.DeliverStatusWrites(), 1);  // its own, its GitRepoConfig's, its rule's
  EXPECT_EQ(h.cluster.statuses().at({"team", "a"}), Status("a"));

  // Once the cache is older than the TTL, the next (requeued) reconcile reads again.
  const absl::Time requeue = *h.controller().ReconcileAt(ObjectKey{"team", "a"});
  EXPECT_GE(requeue - created, absl::Minutes(9));
  h.Advance(requeue - h.now());
  EXPECT_EQ(h.reads_issued().size(), 2u);
}

// Seed scenario 2: two reconciles within 30 s — the second reads nothing.
TEST_F(ReconcileTest, SecondReconcileWithinTtlUsesCache) {
  AddDestination("a", "clusters/a");
  h.Settle();
  h.Advance(absl::Seconds(29));
  AddDestination("b", "clusters/b");  // a new destination reconciles at once
  EXPECT_EQ(h.reads_issued().size(), 1u);
  EXPECT_EQ(Ready("b"), ConditionStatus::kTrue);
  EXPECT_EQ(Status("b").last_sync_time, Status("a").last_sync_time);
  h.Advance(absl::Seconds(2));  // 31 s: the cache is stale now
  AddDestination("c", "clusters/c");
  EXPECT_EQ(h.reads_issued().size(), 2u);
}

// Seed scenario 3: many destinations on one branch reconciling within the window
// cause exactly one remote read, and all get the same metadata.
TEST_F(ReconcileTest, ManyDestinationsShareOneRead) {
  const std::string sha = h.remote.ExternalCommit(kRepoUrl, "main", "x", "1");
  for (int i = 0; i < 50; ++i) AddDestination("d" + std::to_string(i), "f/" + std::to_string(i));
  EXPECT_EQ(h.reads_issued().size(), 1u);  // single flight: 49 joined the first read
  h.DeliverReads();
  const core::BranchWorker* worker =
      h.controller().workers().Find(core::WorkerKey{{"team", "repo"}, "main"});
  ASSERT_NE(worker, nullptr);
  ASSERT_TRUE(worker->GetBranchMetadata().has_value());  // the seed's GetBranchMetadata
  EXPECT_EQ(worker->GetBranchMetadata()->report.head.sha, sha);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(Status("d" + std::to_string(i)).last_commit_sha, sha);
    EXPECT_EQ(Ready("d" + std::to_string(i)), ConditionStatus::kTrue);
  }
  EXPECT_EQ(h.remote.reads(), 1);
}

// Seed scenario 4: a read failure is returned and surfaced; previous values stay,
// the retry backs off, and other branches are unaffected.
TEST_F(ReconcileTest, ReadFailureIsSurfacedAndKeepsPreviousValues) {
  const std::string sha = h.remote.ExternalCommit(kRepoUrl, "main", "x", "1");
  AddDestination("a", "clusters/a");
  AddDestination("other", "clusters/other", "dev");
  h.Settle();
  // Past the takeover's second resync (whose listing would fail with the reads below and
  // be retried on its own schedule).
  h.AdvanceSettling(h.controller().options().push_timeout +
                    h.controller().options().requeue_interval * 1.25);
  const DestinationStatus before = Status("a");
  auto main_reads = [&] {
    return std::count_if(h.reads_issued().begin(), h.reads_issued().end(),
                         [](const core::FetchMetadata& r) { return r.remote.branch == "main"; });
  };
  h.remote.FailNextReads(100, absl::UnavailableError("connection refused"), "main");
  h.AdvanceSettling(absl::Minutes(11));  // both requeue: reads of main keep failing
  EXPECT_EQ(Ready("a"), ConditionStatus::kFalse);
  EXPECT_EQ(ReadyReason("a"), core::kReasonFetchFailed);
  EXPECT_NE(
      core::FindCondition(Status("a"), core::kConditionReady)->message.find("connection refused"),
      std::string::npos);
  EXPECT_EQ(Status("a").last_commit_sha, before.last_commit_sha);
  EXPECT_EQ(Status("a").branch_exists, before.branch_exists);
  EXPECT_EQ(Status("a").last_sync_time, before.last_sync_time);
  EXPECT_EQ(Ready("other"), ConditionStatus::kTrue);  // the other branch read fine

  // The retry waits for the backoff (≥ the TTL, counted from the failed read's start).
  h.remote.ClearFaults();
  const absl::Time retry = *h.controller().ReconcileAt(ObjectKey{"team", "a"});
  const auto reads = main_reads();
  h.Advance(retry - h.now() - absl::Milliseconds(1));
  EXPECT_EQ(main_reads(), reads);
  h.Advance(absl::Milliseconds(1));
  EXPECT_EQ(main_reads(), reads + 1);
  h.DeliverReads();
  EXPECT_EQ(Ready("a"), ConditionStatus::kTrue);
  EXPECT_EQ(Status("a").last_commit_sha, sha);
}

// A retry cap set below the TTL does not make failed reads come faster than one per TTL.
TEST(ReadRetryTest, RetryCapBelowTheTtlStillWaitsTheTtl) {
  core::ControllerOptions options = TestOptions();
  options.metadata_cache_ttl = absl::Minutes(2);
  options.read_timeout = absl::Minutes(1);
  options.read_retry_delay_max = absl::Seconds(30);
  Harness h(options);
  h.Feed(core::RepoConfigObserved{MakeRepoConfig("repo")});
  h.Feed(core::WatchRuleObserved{CaptureConfigMaps("a")});
  h.Feed(core::DestinationObserved{MakeDestination("a", "main", "clusters/a", h.now())});
  ASSERT_EQ(h.reads_issued().size(), 1u);
  const absl::Time first = h.now();
  h.Advance(absl::Minutes(1));  // unanswered: the read times out
  h.Advance(absl::Seconds(59));
  EXPECT_EQ(h.reads_issued().size(), 1u) << "read again " << (h.now() - first) << " after";
  h.Advance(absl::Seconds(1));
  EXPECT_EQ(h.reads_issued().size(), 2u);
  EXPECT_TRUE(h.violation().ok()) << h.violation();
}

TEST_F(ReconcileTest, UnansweredReadTimesOutAndItsLateAnswerIsIgnored) {
  AddDestination("a", "clusters/a");
  h.Advance(absl::Seconds(20));  // the port never answered: the core fails the read
  EXPECT_EQ(ReadyReason("a"), core::kReasonFetchFailed);
  EXPECT_NE(core::FindCondition(Status("a"), core::kConditionReady)->message.find("20s"),
            std::string::npos);
  h.remote.ExternalCommit(kRepoUrl, "main", "x", "1");
  h.DeliverReads();  // the late answer matches no request any more
  EXPECT_EQ(ReadyReason("a"), core::kReasonFetchFailed);
  h.AdvanceSettling(absl::Seconds(10));  // retried once the TTL since the first read passed
  EXPECT_EQ(Ready("a"), ConditionStatus::kTrue);
  EXPECT_EQ(Status("a").last_commit_sha, h.remote.Tip(kRepoUrl, "main"));
}

// A destination waiting for a read that a landed push answers first (the push refreshed
// the cache) keeps that answer: the read failing afterwards no longer speaks for it.
TEST_F(ReconcileTest, AnswerFromALandedPushIsNotUndoneByTheReadItWaitedFor) {
  AddDestination("a", "clusters/a");
  ASSERT_TRUE(h.Settle());
  const absl::Time requeue = *h.controller().ReconcileAt(ObjectKey{"team", "a"});
  h.Advance(requeue - h.now() - absl::Seconds(11));
  h.Feed(h.Changed(ConfigMap("team", "cm"), core::ChangeOp::kCreate, "v: 1"));
  h.Advance(absl::Seconds(11));  // the push (after the 10 s commit window), then the read
  const std::vector<core::FetchMetadata> reads = h.reads_issued();
  ASSERT_EQ(reads.size(), 2u);  // a waits for the second read: held unanswered
  ASSERT_EQ(h.DeliverPushes(), 1);
  h.Advance(absl::Milliseconds(1));  // the push touched a: it reconciles from the cache
  ASSERT_EQ(Ready("a"), ConditionStatus::kTrue);
  const std::string pushed = h.remote.Tip(kRepoUrl, "main");
  ASSERT_EQ(Status("a").last_commit_sha, pushed);
  h.Advance(h.controller().options().read_timeout);  // the read is given up
  EXPECT_EQ(Ready("a"), ConditionStatus::kTrue);
  EXPECT_EQ(Status("a").last_commit_sha, pushed);
}

// Every read refreshes the cache, not only the first, so a reconcile within the TTL of
// the latest read is answered at once, from it.
TEST_F(ReconcileTest, EveryReadRefreshesTheCache) {
  AddDestination("a", "fa");
  ASSERT_TRUE(h.Settle());
  h.Advance(absl::Seconds(31));  // the first read is stale now
  AddDestination("b", "fb");
  ASSERT_EQ(h.reads_issued().size(), 2u);
  ASSERT_TRUE(h.Settle());
  const absl::Time second_read = Status("b").last_sync_time;
  h.Advance(absl::Seconds(10));
  AddDestination("c", "fc");  // 10 s after the second read: a cache hit
  EXPECT_EQ(h.reads_issued().size(), 2u);
  EXPECT_EQ(Ready("c"), ConditionStatus::kTrue);
  EXPECT_EQ(Status("c").last_sync_time, second_read);
}

// Failed reads back off 30 s, 60 s, ... and never wait longer than read_retry_delay_max.
TEST_F(ReconcileTest, ReadRetriesBackOffUpToTheCap) {
  h.remote.FailNextReads(1000, absl::UnavailableError("connection refused"), "main");
  AddDestination("a", "fa");
  ASSERT_TRUE(h.AdvanceSettling(absl::Hours(1)));
  const std::vector<absl::Duration> gaps = Gaps(TimesOf<core::FetchMetadata>(h.TakeEffects()));
  const absl::Duration cap = h.controller().options().read_retry_delay_max;
  ASSERT_GE(gaps.size(), 8u);
  EXPECT_EQ(gaps[0], h.controller().options().metadata_cache_ttl);
  EXPECT_EQ(gaps[1], 2 * gaps[0]);
  for (absl::Duration gap : gaps) EXPECT_LE(gap, cap);
  EXPECT_EQ(gaps.back(), cap);  // it reached the cap and stayed there
}

TEST_F(ReconcileTest, RecreatedDestinationReusesTheBranchReadWindow) {
  AddDestination("a", "clusters/a");
  h.Settle();
  h.Feed(core::DestinationDeleted{{"team", "a"}});
  EXPECT_TRUE(h.controller().workers().workers().empty());
  h.Advance(absl::Seconds(5));
  AddDestination("a", "clusters/a");  // kubectl replace: the worker comes back
  EXPECT_EQ(h.reads_issued().size(), 1u);
  EXPECT_EQ(Ready("a"), ConditionStatus::kTrue);
}

// A destination may use a GitRepoConfig of another namespace: every Git effect names the
// Secret in the GitRepoConfig's namespace, where the adapter must look it up.
TEST_F(ReconcileTest, CrossNamespaceRepoRefCarriesTheSecretsNamespace) {
  core::RepoConfig shared = MakeRepoConfig("shared");
  shared.key.namespace_ = "infra";
  shared.spec.secret_name = "git-creds";
  h.Feed(core::RepoConfigObserved{shared});
  core::Destination d = MakeDestination("a", "main", "clusters/a", h.now());
  d.spec.repo_ref = {"infra", "shared"};
  h.Feed(core::WatchRuleObserved{CaptureConfigMaps("a")});
  h.Feed(core::DestinationObserved{d});
  const ObjectKey secret{"infra", "git-creds"};
  ASSERT_EQ(h.reads_issued().size(), 1u);
  EXPECT_EQ(h.reads_issued()[0].remote.secret, secret);
  EXPECT_EQ(h.reads_issued()[0].remote.repo_config, (ObjectKey{"infra", "shared"}));
  int resyncs = 0;
  for (const core::Effect& effect : h.held()) {
    if (const auto* resync = std::get_if<core::ResyncDestination>(&effect)) {
      EXPECT_EQ(resync->remote.secret, secret);
      ++resyncs;
    }
  }
  EXPECT_EQ(resyncs, 1);
  h.Settle();
  h.Feed(h.Changed(ConfigMap("prod", "cm"), core::ChangeOp::kUpdate, "v"));
  h.Advance(absl::Seconds(10));
  ASSERT_EQ(h.held().size(), 1u);
  EXPECT_EQ(std::get<core::PushBatch>(h.held().front()).remote.secret, secret);
}

// Defence in depth: should an adapter hand over a URL with its password, no Git effect
// carries it — not even the push of writes queued before the URL changed.
TEST_F(ReconcileTest, NoGitEffectCarriesACredentialEvenIfOneEnters) {
  AddDestination("a", "clusters/a");
  h.Settle();
  h.Feed(h.Changed(ConfigMap("prod", "cm"), core::ChangeOp::kUpdate, "v"));
  h.Feed(core::RepoConfigObserved{
      MakeRepoConfig("repo", "https://bob:s3cret@git.example.com/org/repo.git")});
  h.Advance(absl::Seconds(10));
  int pushes = 0;
  for (const auto& [at, effect] : h.TakeEffects()) {
    if (const auto* push = std::get_if<core::PushBatch>(&effect)) {
      EXPECT_EQ(push->remote.url.find("s3cret"), std::string::npos) << push->remote.url;
      ++pushes;
    }
    if (const auto* write = std::get_if<core::WriteStatus>(&effect)) {  // of every kind
      std::visit(
          [](const auto& status) {
            for (const core::Condition& c : status.conditions) {
              EXPECT_EQ(c.message.find("s3cret"), std::string::npos) << c.message;
            }
          },
          write->status);
    }
  }
  EXPECT_EQ(pushes, 1);
}

TEST_F(ReconcileTest, AuthFailureStalls) {
  h.remote.FailNextReads(1, absl::UnauthenticatedError("bad credentials"));
  AddDestination("a", "clusters/a");
  h.DeliverReads();
  const core::Condition* stalled = core::FindCondition(Status("a"), core::kConditionStalled);
  EXPECT_EQ(stalled->status, ConditionStatus::kTrue);
  EXPECT_FALSE(Status("a").branch_exists);  // an error is never read as an empty remote
  EXPECT_EQ(Status("a").last_sync_time, absl::InfinitePast());
}

TEST_F(ReconcileTest, StatusIsWrittenOnlyWhenItChanges) {
  AddDestination("a", "clusters/a");
  h.Settle();
  const int64_t writes = h.cluster.status_writes();
  h.AdvanceSettling(absl::Minutes(11));  // requeue: a new read, same tip, new lastSyncTime
  EXPECT_EQ(h.cluster.status_writes(), writes + 1);
  // A duplicate watch event changes nothing and writes nothing.
  h.Feed(core::DestinationObserved{h.controller().destinations().at({"team", "a"}).destination});
  h.Settle();
  EXPECT_EQ(h.cluster.status_writes(), writes + 1);
}

// One write at a time: a status that changes while its write flies is written once that
// write lands, not left as it was sent.
TEST_F(ReconcileTest, StatusChangedWhileItsWriteFliesIsWrittenWhenItLands) {
  AddDestination("a", "clusters/a");
  h.Settle();
  core::Destination a = h.controller().destinations().at({"team", "a"}).destination;
  a.generation = 2;
  h.Feed(core::DestinationObserved{a});  // reconciled: a write of generation 2 flies
  ASSERT_EQ(h.controller().requests().CountInFlight(core::RequestKind::kStatusWrite), 1u);
  a.generation = 3;
  h.Feed(core::DestinationObserved{a});  // reconciled again while it flies: it waits
  ASSERT_EQ(h.controller().requests().CountInFlight(core::RequestKind::kStatusWrite), 1u);
  ASSERT_EQ(h.DeliverStatusWrites(), 1);
  EXPECT_EQ(h.cluster.statuses().at({"team", "a"}).observed_generation, 2);
  ASSERT_TRUE(h.Settle());
  EXPECT_EQ(h.cluster.statuses().at({"team", "a"}).observed_generation, 3);
  // Nothing is asked while the second flies: its answer writes nothing more.
  const int64_t writes = h.cluster.status_writes();
  ASSERT_TRUE(h.Settle());
  EXPECT_EQ(h.cluster.status_writes(), writes);
}

TEST_F(ReconcileTest, FailedStatusWriteIsRetried) {
  h.cluster.FailNextStatusWrites(1, absl::AbortedError("409 conflict"),
                                 core::ResourceKind::kGitDestination);
  AddDestination("a", "clusters/a");
  h.Settle();
  EXPECT_FALSE(h.cluster.statuses().contains({"team", "a"}));
  h.Advance(absl::Seconds(6));
  h.Settle();
  EXPECT_EQ(h.cluster.statuses().at({"team", "a"}), Status("a"));
}

TEST_F(ReconcileTest, RequeueIsJitteredPerKeyAndDeterministic) {
  AddDestination("a", "clusters/a");
  AddDestination("b", "clusters/b");
  h.Settle();
  const auto when_a = h.controller().ReconcileAt(ObjectKey{"team", "a"});
  const auto when_b = h.controller().ReconcileAt(ObjectKey{"team", "b"});
  ASSERT_TRUE(when_a && when_b);
  EXPECT_NE(*when_a, *when_b);
  for (auto when : {*when_a, *when_b}) {
    EXPECT_GE(when - h.now(), absl::Minutes(9));
    EXPECT_LE(when - h.now(), absl::Minutes(11));
  }
  Harness again;
  again.Feed(core::RepoConfigObserved{MakeRepoConfig("repo")});
  again.Feed(core::DestinationObserved{MakeDestination("a", "main", "clusters/a", again.now())});
  again.Settle();
  EXPECT_EQ(again.controller().ReconcileAt(ObjectKey{"team", "a"}), when_a);
}

TEST_F(ReconcileTest, InvalidSpecIsStalledAndRequeuedInTwoMinutes) {
  AddDestination("bad", "../escape");
  EXPECT_EQ(ReadyReason("bad"), core::kReasonInvalidSpec);
  EXPECT_NE(
      core::FindCondition(Status("bad"), core::kConditionReady)->message.find("spec.baseFolder"),
      std::string::npos);
  EXPECT_EQ(h.controller().ReconcileAt(ObjectKey{"team", "bad"}), h.now() + absl::Minutes(2));
  EXPECT_TRUE(h.reads_issued().empty());
  EXPECT_TRUE(h.controller().workers().workers().empty());
}

TEST_F(ReconcileTest, MissingRepoConfigAndDisallowedBranch) {
  h.Feed(core::DestinationObserved{MakeDestination("x", "main", "f", h.now(), "nope")});
  EXPECT_EQ(ReadyReason("x"), core::kReasonRepoConfigNotFound);
  h.Feed(core::RepoConfigObserved{MakeRepoConfig("strict", kRepoUrl, {"release/*"})});
  h.Feed(core::DestinationObserved{MakeDestination("y", "main", "g", h.now(), "strict")});
  EXPECT_EQ(ReadyReason("y"), core::kReasonBranchNotAllowed);
  EXPECT_NE(
      core::FindCondition(Status("y"), core::kConditionReady)->message.find("allowedBranches"),
      std::string::npos);
}

TEST_F(ReconcileTest, CredentialsInRepoUrlAreAnInvalidSpecThatDoesNotRepeatThem) {
  h.Feed(core::RepoConfigObserved{
      MakeRepoConfig("leaky", "https://bot:s3cretTOKEN@git.example.com/org/repo.git")});
  h.Feed(core::DestinationObserved{MakeDestination("x", "main", "f", h.now(), "leaky")});
  ASSERT_EQ(Ready("x"), ConditionStatus::kFalse);
  EXPECT_EQ(ReadyReason("x"), core::kReasonInvalidSpec);
  const std::string& message = core::FindCondition(Status("x"), core::kConditionReady)->message;
  EXPECT_NE(message.find("spec.secretRef"), std::string::npos) << message;
  EXPECT_EQ(message.find("s3cretTOKEN"), std::string::npos) << message;
  EXPECT_TRUE(h.reads_issued().empty());  // nothing reached the remote with that URL
}

// allowedBranches narrowed under a synced destination: it may no longer use its branch,
// so its status must stop showing what it read there; widened again, it syncs again.
TEST_F(ReconcileTest, NarrowedAllowedBranchesClearWhatTheBranchRevealed) {
  h.remote.ExternalCommit(kRepoUrl, "env/prod", "README.md", "hi");
  h.Feed(core::RepoConfigObserved{MakeRepoConfig("repo", kRepoUrl, {"main", "env/*"})});
  AddDestination("a", "apps", "env/prod");
  ASSERT_TRUE(h.Settle());
  ASSERT_EQ(Ready("a"), ConditionStatus::kTrue);
  ASSERT_TRUE(Status("a").branch_exists);
  h.Advance(absl::Seconds(5));
  h.Feed(core::RepoConfigObserved{MakeRepoConfig("repo", kRepoUrl, {"main"})});
  ASSERT_TRUE(h.Settle());
  ASSERT_EQ(Ready("a"), ConditionStatus::kFalse);
  EXPECT_EQ(ReadyReason("a"), core::kReasonBranchNotAllowed);
  const core::Condition* stalled = core::FindCondition(Status("a"), core::kConditionStalled);
  ASSERT_NE(stalled, nullptr);
  EXPECT_EQ(stalled->status, ConditionStatus::kTrue);
  EXPECT_FALSE(Status("a").branch_exists);
  EXPECT_EQ(Status("a").last_commit_sha, "");
  EXPECT_EQ(Status("a").last_sync_time, absl::InfinitePast());
  EXPECT_EQ(h.cluster.statuses().at({"team", "a"}), Status("a"));  // the API holds it too
  h.Feed(core::RepoConfigObserved{MakeRepoConfig("repo", kRepoUrl, {"main", "env/*"})});
  ASSERT_TRUE(h.Settle());
  EXPECT_EQ(Ready("a"), ConditionStatus::kTrue);
  EXPECT_EQ(Status("a").last_commit_sha, h.remote.Tip(kRepoUrl, "env/prod"));
}

TEST_F(ReconcileTest, OldestDestinationWinsAConflictAndTheLoserFollowsOnDelete) {
  AddDestination("first", "clusters/prod");
  h.Advance(absl::Seconds(1));
  AddDestination("nested", "clusters/prod/apps");
  AddDestination("sibling", "clusters/production");  // a prefix, not a parent: fine
  h.Settle();
  EXPECT_EQ(Ready("first"), ConditionStatus::kTrue);
  EXPECT_EQ(ReadyReason("nested"), core::kReasonConflict);
  EXPECT_NE(
      core::FindCondition(Status("nested"), core::kConditionReady)->message.find("team/first"),
      std::string::npos);
  EXPECT_EQ(Ready("sibling"), ConditionStatus::kTrue);
  h.Feed(core::DestinationDeleted{{"team", "first"}});
  h.Settle();
  EXPECT_EQ(Ready("nested"), ConditionStatus::kTrue);
}

TEST_F(ReconcileTest, SameSecondTieIsBrokenByName) {
  AddDestination("zeta", "shared");
  AddDestination("alpha", "shared");  // same creation second, created later, sorts first
  h.Settle();
  EXPECT_EQ(Ready("alpha"), ConditionStatus::kTrue);
  EXPECT_EQ(ReadyReason("zeta"), core::kReasonConflict);
}

TEST_F(ReconcileTest, RepoUrlChangeRechecksUniqueness) {
  h.remote.CreateRepository("https://git.example.com/org/other");
  h.Feed(core::RepoConfigObserved{MakeRepoConfig("other", "https://git.example.com/org/other")});
  AddDestination("a", "shared");
  h.Advance(absl::Seconds(1));
  h.Feed(core::DestinationObserved{MakeDestination("b", "main", "shared", h.now(), "other")});
  h.Settle();
  EXPECT_EQ(Ready("a"), ConditionStatus::kTrue);
  EXPECT_EQ(Ready("b"), ConditionStatus::kTrue);
  // Point "other" at the same repository (spelled differently): b now collides.
  h.Feed(core::RepoConfigObserved{MakeRepoConfig("other", "https://GIT.example.com/org/repo/")});
  h.Settle();
  EXPECT_EQ(ReadyReason("b"), core::kReasonConflict);
  EXPECT_EQ(Ready("a"), ConditionStatus::kTrue);
}

// One repository reached over ssh by one GitRepoConfig and over https by another: the
// destinations share (repository, branch, folder), so the newer one loses.
TEST_F(ReconcileTest, SshAndHttpsSpellingsThroughTwoConfigsConflict) {
  h.Feed(core::RepoConfigObserved{MakeRepoConfig("mirror", "git@GIT.example.com:Org/Repo")});
  AddDestination("a", "shared");
  h.Advance(absl::Seconds(1));
  h.Feed(core::DestinationObserved{MakeDestination("b", "main", "shared/x", h.now(), "mirror")});
  h.Settle();
  EXPECT_EQ(Ready("a"), ConditionStatus::kTrue);
  EXPECT_EQ(ReadyReason("b"), core::kReasonConflict);
  EXPECT_NE(core::FindCondition(Status("b"), core::kConditionReady)->message.find("team/a"),
            std::string::npos);
}

TEST_F(ReconcileTest, RespelledRepoUrlKeepsTheCacheAndAdmission) {
  AddDestination("a", "apps");
  h.Settle();
  h.Advance(absl::Seconds(5));
  h.Feed(core::RepoConfigObserved{MakeRepoConfig("repo", "https://GIT.example.com/org/repo/")});
  h.Settle();
  EXPECT_EQ(h.reads_issued().size(), 1u);  // the same repository: nothing new to read
  EXPECT_EQ(Ready("a"), ConditionStatus::kTrue);
}

TEST_F(ReconcileTest, WorkerIsSharedPerBranchAndRetiredWithItsLastDestination) {
  AddDestination("a", "fa");
  AddDestination("b", "fb");
  AddDestination("c", "fc", "dev");
  h.Settle();
  EXPECT_EQ(h.controller().workers().workers().size(), 2u);
  h.Feed(core::DestinationDeleted{{"team", "a"}});
  EXPECT_EQ(h.controller().workers().workers().size(), 2u);
  h.Feed(core::DestinationDeleted{{"team", "b"}});
  EXPECT_EQ(h.controller().workers().workers().size(), 1u);
}

}  // namespace
}  // namespace gitdest::testing
