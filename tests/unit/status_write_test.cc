// StatusWrite: one object's status write as a value — written only when it differs from
// what the API holds, one write in flight (the registry's, core/requests.h, which also
// ignores late answers: requests_test.cc), resourceVersions never moving backwards.
#include "core/status_write.h"

#include <gtest/gtest.h>

namespace gitdest::core {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);
const absl::Duration kTimeout = absl::Seconds(30);

const StatusTarget kTarget{ResourceKind::kWatchRule, {"team", "rule"}};

Request WriteSentAt(absl::Time at) { return Request{7, RequestKind::kStatusWrite, kTarget, at}; }

WatchRuleStatus Status(int64_t generation) {
  WatchRuleStatus status;
  status.observed_generation = generation;
  return status;
}

TEST(StatusWriteTest, WritesWhatTheApiIsNotKnownToHold) {
  StatusWrite<WatchRuleStatus> write;
  EXPECT_TRUE(write.Ask(Status(1), nullptr, kT0, kTimeout));
}

TEST(StatusWriteTest, DoesNotRewriteWhatTheApiHolds) {
  StatusWrite<WatchRuleStatus> write;
  std::string version = "3";
  write.Start(Status(1));
  EXPECT_EQ(write.OnWritten(std::string("4"), version), WriteAnswer::kConfirmed);
  EXPECT_FALSE(write.Ask(Status(1), nullptr, kT0 + absl::Hours(1), kTimeout));
  EXPECT_TRUE(write.Ask(Status(2), nullptr, kT0, kTimeout));
}

TEST(StatusWriteTest, OneWriteInFlightUntilItIsOverdue) {
  StatusWrite<WatchRuleStatus> write;
  write.Start(Status(1));
  const Request in_flight = WriteSentAt(kT0);
  EXPECT_FALSE(write.Ask(Status(2), &in_flight, kT0 + kTimeout - absl::Seconds(1), kTimeout));
  EXPECT_TRUE(write.Ask(Status(1), &in_flight, kT0 + kTimeout, kTimeout));  // given up on
}

TEST(StatusWriteTest, AnAnswerSaysWhetherAWriteWasAskedWhileItFlew) {
  StatusWrite<WatchRuleStatus> write;
  std::string version = "3";
  write.Start(Status(1));
  const Request in_flight = WriteSentAt(kT0);
  EXPECT_EQ(write.OnWritten(std::string("4"), version), WriteAnswer::kConfirmed);
  write.Start(Status(2));
  EXPECT_FALSE(write.Ask(Status(3), &in_flight, kT0 + absl::Seconds(1), kTimeout));
  EXPECT_EQ(write.OnWritten(std::string("5"), version), WriteAnswer::kConfirmedAskedSince);
  EXPECT_TRUE(write.Ask(Status(3), nullptr, kT0 + absl::Seconds(2), kTimeout));
  // Answered once: the next write starts with nothing asked.
  write.Start(Status(3));
  EXPECT_EQ(write.OnWritten(std::string("6"), version), WriteAnswer::kConfirmed);
}

// What was asked while a write flew goes with its answer: a failed or forgotten write
// leaves the same state whether or not anything was asked meanwhile.
TEST(StatusWriteTest, AFailedOrForgottenWriteForgetsWhatWasAsked) {
  const Request in_flight = WriteSentAt(kT0);
  for (const bool forget : {false, true}) {
    StatusWrite<WatchRuleStatus> asked;
    StatusWrite<WatchRuleStatus> not_asked;
    for (auto* write : {&asked, &not_asked}) write->Start(Status(1));
    EXPECT_FALSE(asked.Ask(Status(2), &in_flight, kT0, kTimeout));
    EXPECT_NE(asked, not_asked);
    for (auto* write : {&asked, &not_asked}) {
      std::string version = "3";
      if (forget) {
        write->Forget();
      } else {
        EXPECT_EQ(write->OnWritten(absl::AbortedError("409"), version), WriteAnswer::kFailed);
      }
    }
    EXPECT_EQ(asked, not_asked) << (forget ? "forgotten" : "failed");
  }
}

TEST(StatusWriteTest, StartRecordsWhatTheApiWillHold) {
  StatusWrite<WatchRuleStatus> write;
  write.Start(Status(1));
  EXPECT_EQ(write.written(), Status(1));
}

TEST(StatusWriteTest, ConfirmedWriteAdvancesTheVersion) {
  StatusWrite<WatchRuleStatus> write;
  std::string version = "3";
  write.Start(Status(1));
  write.OnWritten(std::string("4"), version);
  EXPECT_EQ(version, "4");
}

TEST(StatusWriteTest, LateConfirmationNeverMovesTheVersionBackwards) {
  StatusWrite<WatchRuleStatus> write;
  std::string version = "3";
  write.Start(Status(1));
  std::string newer = "9";  // the watch reported a newer version meanwhile
  version.swap(newer);
  EXPECT_EQ(write.OnWritten(std::string("4"), version), WriteAnswer::kConfirmed);
  EXPECT_EQ(version, "9");
}

TEST(StatusWriteTest, FailedWriteMakesWhatTheApiHoldsUnknown) {
  StatusWrite<WatchRuleStatus> write;
  std::string version = "3";
  write.Start(Status(1));
  EXPECT_EQ(write.OnWritten(absl::AbortedError("409"), version), WriteAnswer::kFailed);
  EXPECT_EQ(version, "3");
  EXPECT_FALSE(write.written().has_value());
  EXPECT_TRUE(write.Ask(Status(1), nullptr, kT0, kTimeout));  // the same status, again
}

TEST(StatusWriteTest, ForgetMakesTheNextLeaderWriteAnew) {
  StatusWrite<WatchRuleStatus> write;
  write.Start(Status(1));
  write.Forget();
  EXPECT_FALSE(write.written().has_value());
  EXPECT_TRUE(write.Ask(Status(1), nullptr, kT0, kTimeout));
}

}  // namespace
}  // namespace gitdest::core
