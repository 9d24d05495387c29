// StatusWrite: one object's status write as a value — written only when it differs from
// what the API holds, one write in flight, resourceVersions never moving backwards.
#include "core/status_write.h"

#include <gtest/gtest.h>

namespace gitdest::core {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);
const absl::Duration kTimeout = absl::Seconds(30);

WatchRuleStatus Status(int64_t generation) {
  WatchRuleStatus status;
  status.observed_generation = generation;
  return status;
}

TEST(StatusWriteTest, WritesWhatTheApiIsNotKnownToHold) {
  StatusWrite<WatchRuleStatus> write;
  EXPECT_TRUE(write.NeedsWrite(Status(1), kT0, kTimeout));
}

TEST(StatusWriteTest, DoesNotRewriteWhatTheApiHolds) {
  StatusWrite<WatchRuleStatus> write;
  std::string version = "3";
  write.Start(Status(1), 7, version, kT0);
  EXPECT_EQ(write.OnWritten(7, std::string("4"), version), WriteAnswer::kConfirmed);
  EXPECT_FALSE(write.NeedsWrite(Status(1), kT0 + absl::Hours(1), kTimeout));
  EXPECT_TRUE(write.NeedsWrite(Status(2), kT0, kTimeout));
}

TEST(StatusWriteTest, OneWriteInFlightUntilItIsOverdue) {
  StatusWrite<WatchRuleStatus> write;
  write.Start(Status(1), 7, "3", kT0);
  EXPECT_FALSE(write.NeedsWrite(Status(2), kT0 + kTimeout - absl::Seconds(1), kTimeout));
  EXPECT_TRUE(write.NeedsWrite(Status(1), kT0 + kTimeout, kTimeout));  // given up on
}

TEST(StatusWriteTest, InFlightRecordsTheRequestAndTheVersionWrittenAgainst) {
  StatusWrite<WatchRuleStatus> write;
  write.Start(Status(1), 7, "3", kT0);
  ASSERT_TRUE(write.in_flight().has_value());
  EXPECT_EQ(write.in_flight()->request, 7u);
  EXPECT_EQ(write.in_flight()->resource_version, "3");
  EXPECT_EQ(write.in_flight()->since, kT0);
  EXPECT_EQ(write.written(), Status(1));  // what the API will hold
}

TEST(StatusWriteTest, ConfirmedWriteAdvancesTheVersion) {
  StatusWrite<WatchRuleStatus> write;
  std::string version = "3";
  write.Start(Status(1), 7, version, kT0);
  write.OnWritten(7, std::string("4"), version);
  EXPECT_EQ(version, "4");
  EXPECT_FALSE(write.in_flight().has_value());
}

TEST(StatusWriteTest, LateConfirmationNeverMovesTheVersionBackwards) {
  StatusWrite<WatchRuleStatus> write;
  std::string version = "3";
  write.Start(Status(1), 7, version, kT0);
  version = "9";  // the watch reported a newer version meanwhile
  EXPECT_EQ(write.OnWritten(7, std::string("4"), version), WriteAnswer::kConfirmed);
  EXPECT_EQ(version, "9");
}

TEST(StatusWriteTest, FailedWriteMakesWhatTheApiHoldsUnknown) {
  StatusWrite<WatchRuleStatus> write;
  std::string version = "3";
  write.Start(Status(1), 7, version, kT0);
  EXPECT_EQ(write.OnWritten(7, absl::AbortedError("409"), version), WriteAnswer::kFailed);
  EXPECT_EQ(version, "3");
  EXPECT_FALSE(write.written().has_value());
  EXPECT_TRUE(write.NeedsWrite(Status(1), kT0, kTimeout));  // the same status, again
}

TEST(StatusWriteTest, AnswerToAWriteGivenUpOnIsIgnored) {
  StatusWrite<WatchRuleStatus> write;
  std::string version = "3";
  write.Start(Status(1), 7, version, kT0);
  write.Start(Status(1), 8, version, kT0 + kTimeout);  // reissued
  EXPECT_EQ(write.OnWritten(7, std::string("4"), version), WriteAnswer::kIgnored);
  EXPECT_EQ(version, "3");
  ASSERT_TRUE(write.in_flight().has_value());
  EXPECT_EQ(write.in_flight()->request, 8u);
}

TEST(StatusWriteTest, ForgetMakesTheNextLeaderWriteAnew) {
  StatusWrite<WatchRuleStatus> write;
  std::string version = "3";
  write.Start(Status(1), 7, version, kT0);
  write.Forget();
  EXPECT_FALSE(write.in_flight().has_value());  // its answer matches nothing
  EXPECT_FALSE(write.written().has_value());
  EXPECT_TRUE(write.NeedsWrite(Status(1), kT0, kTimeout));
}

}  // namespace
}  // namespace gitdest::core
