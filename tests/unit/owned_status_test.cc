// The statuses of GitRepoConfigs, WatchRules and ClusterWatchRules: each reason and
// transition, written by the leader only, never rewritten when nothing changed, and
// retried on the version the watch reports after a conflict.
#include <gtest/gtest.h>

#include "core/conditions.h"
#include "core/owned_status.h"
#include "tests/support/harness.h"

namespace gitdest::testing {
namespace {

using core::ConditionStatus;
using core::ObjectKey;
using core::ResourceKind;
using core::StatusTarget;

const StatusTarget kConfig{ResourceKind::kGitRepoConfig, {"team", "repo"}};
const StatusTarget kRule{ResourceKind::kWatchRule, {"team", "capture-a"}};
const StatusTarget kClusterRule{ResourceKind::kClusterWatchRule, {"", "capture-a"}};

class OwnedStatusTest : public ::testing::Test {
 protected:
  void TearDown() override { EXPECT_TRUE(h.violation().ok()) << h.violation(); }

  void AddConfig(core::RepoConfig config = MakeRepoConfig("repo")) {
    config.resource_version = h.cluster.BumpResourceVersion(kConfig);
    h.Feed(core::RepoConfigObserved{config});
  }
  void AddDestination(const std::string& folder = "clusters/a") {
    h.Feed(core::DestinationObserved{MakeDestination("a", "main", folder, h.now())});
  }
  void AddRule(core::WatchRule rule = CaptureConfigMapsIn("team", "a")) {
    const StatusTarget target{
        rule.IsClusterRule() ? ResourceKind::kClusterWatchRule : ResourceKind::kWatchRule,
        rule.key};
    rule.resource_version = h.cluster.BumpResourceVersion(target);
    h.Feed(core::WatchRuleObserved{rule});
  }
  // The Ready condition of what the API holds for `target`.
  const core::Condition* Ready(const StatusTarget& target) {
    if (target.kind == ResourceKind::kGitRepoConfig) {
      const auto* status = h.cluster.StatusOf<core::RepoConfigStatus>(target);
      return status ? core::FindCondition(status->conditions, core::kConditionReady) : nullptr;
    }
    const auto* status = h.cluster.StatusOf<core::WatchRuleStatus>(target);
    return status ? core::FindCondition(status->conditions, core::kConditionReady) : nullptr;
  }
  ConditionStatus Condition(const StatusTarget& target, const char* type) {
    const auto* rule = h.cluster.StatusOf<core::WatchRuleStatus>(target);
    const auto* config = h.cluster.StatusOf<core::RepoConfigStatus>(target);
    const core::Condition* c = rule     ? core::FindCondition(rule->conditions, type)
                               : config ? core::FindCondition(config->conditions, type)
                                        : nullptr;
    return c ? c->status : ConditionStatus::kUnknown;
  }
  // Status writes addressed to `target` since the last call.
  int WritesTo(const StatusTarget& target) {
    int writes = 0;
    for (const auto& [at, effect] : h.TakeEffects()) {
      const auto* write = std::get_if<core::WriteStatus>(&effect);
      writes += write != nullptr && write->target == target ? 1 : 0;
    }
    return writes;
  }

  Harness h;
};

#define EXPECT_READY(target, status_, reason_)      \
  do {                                              \
    const core::Condition* ready = Ready(target);   \
    ASSERT_NE(ready, nullptr) << target.ToString(); \
    EXPECT_EQ(ready->status, status_);              \
    EXPECT_EQ(ready->reason, reason_);              \
  } while (false)

// ---- WatchRule ----------------------------------------------------------------------

TEST_F(OwnedStatusTest, RuleIsReadyWhenItsDestinationIsAdmitted) {
  AddConfig();
  AddDestination();
  AddRule();
  h.Settle();
  EXPECT_READY(kRule, ConditionStatus::kTrue, core::kRuleReasonReady);
  EXPECT_EQ(Condition(kRule, core::kConditionStalled), ConditionStatus::kFalse);
}

TEST_F(OwnedStatusTest, RuleWhoseDestinationIsMissingIsStalledWithDestinationNotFound) {
  AddRule();
  h.Settle();
  EXPECT_READY(kRule, ConditionStatus::kFalse, core::kRuleReasonDestinationNotFound);
  EXPECT_EQ(Condition(kRule, core::kConditionStalled), ConditionStatus::kTrue);
}

TEST_F(OwnedStatusTest, RuleBecomesReadyWhenItsDestinationIsCreatedAndNotWhenItIsDeleted) {
  AddConfig();
  AddRule();
  h.Settle();
  AddDestination();
  h.Settle();
  EXPECT_READY(kRule, ConditionStatus::kTrue, core::kRuleReasonReady);
  h.Feed(core::DestinationDeleted{{"team", "a"}});
  h.Settle();
  EXPECT_READY(kRule, ConditionStatus::kFalse, core::kRuleReasonDestinationNotFound);
}

TEST_F(OwnedStatusTest, RuleWhoseDestinationIsNotAdmittedIsNotReadyUntilItIs) {
  AddConfig();
  AddDestination("../escape");  // invalid: exists, writes nowhere
  AddRule();
  h.Settle();
  EXPECT_READY(kRule, ConditionStatus::kFalse, core::kRuleReasonDestinationNotReady);
  EXPECT_EQ(Condition(kRule, core::kConditionReconciling), ConditionStatus::kTrue);
  h.Feed(core::DestinationObserved{MakeDestination("a", "main", "clusters/a", h.now())});
  h.Settle();
  EXPECT_READY(kRule, ConditionStatus::kTrue, core::kRuleReasonReady);
}

TEST_F(OwnedStatusTest, InvalidRuleIsStalledAndItsMessageNamesTheField) {
  core::WatchRule rule = CaptureConfigMapsIn("team", "a");
  rule.rules[0].resources = {"configmaps/status"};
  AddConfig();
  AddDestination();
  AddRule(rule);
  h.Settle();
  EXPECT_READY(kRule, ConditionStatus::kFalse, core::kRuleReasonInvalidSpec);
  EXPECT_NE(Ready(kRule)->message.find("spec.rules[0].resources[0]"), std::string::npos)
      << Ready(kRule)->message;
  EXPECT_EQ(Condition(kRule, core::kConditionStalled), ConditionStatus::kTrue);
}

TEST_F(OwnedStatusTest, ClusterWatchRuleStatusIsWrittenUnderItsOwnKind) {
  AddConfig();
  AddDestination();
  AddRule(CaptureConfigMaps("a"));
  h.Settle();
  EXPECT_READY(kClusterRule, ConditionStatus::kTrue, core::kRuleReasonReady);
  EXPECT_EQ(Ready(StatusTarget{ResourceKind::kWatchRule, kClusterRule.key}), nullptr);
}

TEST_F(OwnedStatusTest, RuleStatusObservesTheRulesGeneration) {
  AddRule();
  core::WatchRule rule = CaptureConfigMapsIn("team", "a");
  rule.generation = 4;
  AddRule(rule);  // the first write conflicts: it is retried on this version
  h.AdvanceSettling(absl::Seconds(10));
  const auto* status = h.cluster.StatusOf<core::WatchRuleStatus>(kRule);
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(status->observed_generation, 4);
  EXPECT_EQ(Ready(kRule)->observed_generation, 4);
}

TEST_F(OwnedStatusTest, StatusesAreNotRewrittenWhenNothingChanged) {
  AddConfig();
  AddDestination();
  AddRule();
  h.AdvanceSettling(absl::Minutes(1));
  h.TakeEffects();
  AddRule();                          // a resync of the watch: the same rule at a newer version
  h.AdvanceSettling(absl::Hours(2));  // periodic reconciles, reads every 10 minutes
  const int rule_writes = WritesTo(kRule);
  EXPECT_EQ(rule_writes, 0);
  h.AdvanceSettling(absl::Hours(2));
  EXPECT_EQ(WritesTo(kConfig), 0);
}

TEST_F(OwnedStatusTest, ConflictIsRetriedOnTheVersionTheWatchReports) {
  AddRule();
  h.TakeEffects();
  h.cluster.FailNextStatusWrites(1, absl::AbortedError("409 Conflict"));
  h.DeliverStatusWrites();
  EXPECT_EQ(Ready(kRule), nullptr);
  AddRule();  // the watch reports the rule's newer version
  h.Advance(h.controller().options().status_write_retry_delay);
  const auto effects = h.TakeEffects();
  ASSERT_EQ(effects.size(), 1u);
  const auto& write = std::get<core::WriteStatus>(effects[0].effect);
  EXPECT_EQ(write.target, kRule);
  EXPECT_EQ(write.resource_version, h.cluster.ResourceVersion(kRule));
  h.Settle();
  EXPECT_READY(kRule, ConditionStatus::kFalse, core::kRuleReasonDestinationNotFound);
}

TEST_F(OwnedStatusTest, UnansweredWriteIsIssuedAgainAfterTheApiTimeout) {
  AddRule();
  EXPECT_EQ(WritesTo(kRule), 1);
  h.Advance(h.controller().options().api_timeout);
  EXPECT_EQ(WritesTo(kRule), 1);  // the first one's answer is ignored if it comes
}

TEST_F(OwnedStatusTest, AStandbyWritesNoStatusAndANewLeaderWritesEveryOne) {
  AddConfig();
  AddRule();
  h.Settle();
  h.TakeEffects();
  h.Feed(core::LeaseLost{});
  AddDestination();
  h.Advance(absl::Minutes(1));
  EXPECT_EQ(WritesTo(kRule), 0);
  EXPECT_READY(kRule, ConditionStatus::kFalse, core::kRuleReasonDestinationNotFound);
  h.Feed(core::LeaseAcquired{});
  h.AdvanceSettling(absl::Seconds(5));
  EXPECT_READY(kRule, ConditionStatus::kTrue, core::kRuleReasonReady);
}

TEST_F(OwnedStatusTest, ADeletedRuleLeavesNoStatusRecordAndItsLateAnswerIsIgnored) {
  AddRule();
  h.Feed(core::WatchRuleDeleted{kRule.key});
  h.Settle();
  EXPECT_FALSE(h.controller().rule_statuses().contains(kRule.key));
}

// The delete event of a rule is lost (the watch broke; its relist finds the rule created
// again under the same name): the new object has no status, however equal its spec and
// generation are to the old one's, and the controller writes it again.
TEST_F(OwnedStatusTest, RuleCreatedAgainWhileItsDeleteWasLostGetsItsStatusWrittenAgain) {
  core::WatchRule rule = CaptureConfigMapsIn("team", "a");
  rule.uid = "rule-uid-1";
  AddRule(rule);
  h.Settle();
  EXPECT_READY(kRule, ConditionStatus::kFalse, core::kRuleReasonDestinationNotFound);
  h.cluster.ForgetResourceVersion(kRule);  // deleted, and its status with it
  rule.uid = "rule-uid-2";
  AddRule(rule);  // created again: generation 1, the same spec
  h.Settle();
  EXPECT_READY(kRule, ConditionStatus::kFalse, core::kRuleReasonDestinationNotFound);
  EXPECT_EQ(*h.cluster.StatusOf<core::WatchRuleStatus>(kRule),
            h.controller().rule_statuses().at(kRule.key).status);
}

// The answer of a write to the old object, late, changes nothing of the new one's.
TEST_F(OwnedStatusTest, LateAnswerOfAWriteToTheDeletedRuleIsIgnoredByTheNewOne) {
  core::WatchRule rule = CaptureConfigMapsIn("team", "a");
  rule.uid = "rule-uid-1";
  AddRule(rule);  // its write is held in flight
  rule.uid = "rule-uid-2";
  h.cluster.ForgetResourceVersion(kRule);
  AddRule(rule);  // created again before the first write was answered
  h.Settle();
  EXPECT_READY(kRule, ConditionStatus::kFalse, core::kRuleReasonDestinationNotFound);
  const auto& owned = h.controller().rule_statuses().at(kRule.key);
  EXPECT_EQ(h.controller().requests().InFlight(core::RequestKind::kStatusWrite, kRule), nullptr);
  EXPECT_EQ(*h.cluster.StatusOf<core::WatchRuleStatus>(kRule), owned.status);
}

// ---- GitRepoConfig -------------------------------------------------------------------

TEST_F(OwnedStatusTest, ConfigCreatedAgainWhileItsDeleteWasLostGetsItsStatusWrittenAgain) {
  core::RepoConfig config = MakeRepoConfig("repo");
  config.uid = "config-uid-1";
  AddConfig(config);
  h.Settle();
  EXPECT_READY(kConfig, ConditionStatus::kUnknown, core::kReasonChecking);
  h.cluster.ForgetResourceVersion(kConfig);  // deleted, and its status with it
  config.uid = "config-uid-2";
  AddConfig(config);  // created again: generation 1, the same spec
  h.Settle();
  EXPECT_READY(kConfig, ConditionStatus::kUnknown, core::kReasonChecking);
  EXPECT_EQ(*h.cluster.StatusOf<core::RepoConfigStatus>(kConfig),
            h.controller().config_statuses().at(kConfig.key).status);
}

TEST_F(OwnedStatusTest, ConfigWithCredentialsInItsUrlIsStalledAndNamesTheSecretRef) {
  core::RepoConfig config = MakeRepoConfig("repo", "https://bob@git.example.com/org/repo.git");
  config.spec.repo_url_had_credentials = true;
  AddConfig(config);
  h.Settle();
  EXPECT_READY(kConfig, ConditionStatus::kFalse, core::kReasonInvalidSpec);
  EXPECT_NE(Ready(kConfig)->message.find("spec.secretRef"), std::string::npos);
  EXPECT_EQ(Condition(kConfig, core::kConditionStalled), ConditionStatus::kTrue);
}

TEST_F(OwnedStatusTest, ConfigWithAnInvalidUrlIsInvalidSpec) {
  AddConfig(MakeRepoConfig("repo", "not a url"));
  h.Settle();
  EXPECT_READY(kConfig, ConditionStatus::kFalse, core::kReasonInvalidSpec);
  EXPECT_NE(Ready(kConfig)->message.find("spec.repoUrl"), std::string::npos);
}

TEST_F(OwnedStatusTest, ConfigNoDestinationUsesIsCheckingWithReadyUnknown) {
  AddConfig();
  h.Settle();
  EXPECT_READY(kConfig, ConditionStatus::kUnknown, core::kReasonChecking);
  EXPECT_EQ(Condition(kConfig, core::kConditionStalled), ConditionStatus::kFalse);
}

TEST_F(OwnedStatusTest, ConfigIsConnectedOnceABranchWasReadAndCountsItsBranches) {
  AddConfig();
  AddDestination();
  h.Settle();
  EXPECT_READY(kConfig, ConditionStatus::kTrue, core::kReasonConnected);
  const auto* status = h.cluster.StatusOf<core::RepoConfigStatus>(kConfig);
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(status->branches_read, 1);
  EXPECT_EQ(status->branches_existing, 0);  // the first push creates it
  AddRule();
  h.Feed(h.Changed(ConfigMap("team", "cm"), core::ChangeOp::kUpdate, "v"));
  h.AdvanceSettling(absl::Seconds(30));
  status = h.cluster.StatusOf<core::RepoConfigStatus>(kConfig);
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(status->branches_existing, 1);
}

TEST_F(OwnedStatusTest, ConfigWhoseReadFailsForAuthIsStalledWithConnectionFailed) {
  AddConfig();
  h.remote.FailNextReads(1, absl::UnauthenticatedError("401 Unauthorized"));
  AddDestination();
  h.Settle();
  EXPECT_READY(kConfig, ConditionStatus::kFalse, core::kReasonConnectionFailed);
  EXPECT_EQ(Condition(kConfig, core::kConditionStalled), ConditionStatus::kTrue);
  EXPECT_NE(Ready(kConfig)->message.find("401"), std::string::npos);
}

TEST_F(OwnedStatusTest, ConfigWhoseReadFailsForTheNetworkIsReconcilingThenConnected) {
  AddConfig();
  h.remote.FailNextReads(1, absl::UnavailableError("connection reset"));
  AddDestination();
  h.Settle();
  EXPECT_READY(kConfig, ConditionStatus::kFalse, core::kReasonConnectionFailed);
  EXPECT_EQ(Condition(kConfig, core::kConditionReconciling), ConditionStatus::kTrue);
  EXPECT_EQ(Condition(kConfig, core::kConditionStalled), ConditionStatus::kFalse);
  h.AdvanceSettling(absl::Minutes(2));  // the read is retried after its backoff
  EXPECT_READY(kConfig, ConditionStatus::kTrue, core::kReasonConnected);
}

TEST_F(OwnedStatusTest, ConfigIsNotWrittenAsCheckingWhileItsFirstReadIsInFlight) {
  AddConfig();
  h.Settle();
  h.TakeEffects();
  AddDestination();  // its read starts
  EXPECT_EQ(WritesTo(kConfig), 0);
  h.Settle();
  EXPECT_READY(kConfig, ConditionStatus::kTrue, core::kReasonConnected);
}

TEST_F(OwnedStatusTest, ConfigIsCheckingAgainWhenItsLastBranchRetiresAfterItsPush) {
  AddConfig();
  AddDestination();
  AddRule();
  h.Feed(h.Changed(ConfigMap("team", "cm"), core::ChangeOp::kUpdate, "v1"));
  h.AdvanceSettling(absl::Seconds(30));  // the branch exists now
  EXPECT_READY(kConfig, ConditionStatus::kTrue, core::kReasonConnected);
  h.Feed(h.Changed(ConfigMap("team", "cm"), core::ChangeOp::kUpdate, "v2"));
  h.Advance(absl::Seconds(10));  // the push leaves
  h.Feed(core::DestinationDeleted{{"team", "a"}});
  h.Settle();  // it lands, showing nothing new: the worker has nothing left and retires
  EXPECT_EQ(h.controller().workers().size(), 0u);
  EXPECT_READY(kConfig, ConditionStatus::kUnknown, core::kReasonChecking);
}

TEST(RepoConfigVerdictTest, ABranchChangesTheVerdictOnlyThroughWhatItShows) {
  const core::BranchReadState read{"main", true, true, absl::OkStatus(), false};
  core::BranchReadState reading = read;
  reading.in_flight = true;
  EXPECT_FALSE(core::VerdictMayChange(reading, read));  // a read branch read again
  core::BranchReadState gone = read;
  gone.exists = false;
  EXPECT_TRUE(core::VerdictMayChange(read, gone));
  core::BranchReadState failing = read;
  failing.last_error = absl::UnavailableError("connection reset");
  EXPECT_TRUE(core::VerdictMayChange(read, failing));
  core::BranchReadState failing_otherwise = failing;
  failing_otherwise.last_error = absl::UnauthenticatedError("401");
  EXPECT_TRUE(core::VerdictMayChange(failing, failing_otherwise));
  // Nothing shown yet: the first read's end matters even when it leaves nothing (it
  // described a repository the GitRepoConfig no longer names).
  const core::BranchReadState first{"main", false, false, absl::OkStatus(), true};
  core::BranchReadState unanswered = first;
  unanswered.in_flight = false;
  EXPECT_TRUE(core::VerdictMayChange(first, unanswered));
}

}  // namespace
}  // namespace gitdest::testing
