// The production executor's pools: work that waited for a thread past its own timeout
// is answered at once (the core has given up on it), never started late.
#include "adapters/k8s/pool_executor.h"

#include <atomic>

#include "gtest/gtest.h"

namespace gitdest::k8s {
namespace {

TEST(PoolExecutorTest, AReadThatWaitedPastItsTimeoutIsAnsweredNotStarted) {
  core::FetchMetadata read;
  read.request = 7;
  read.timeout = absl::Seconds(20);
  EXPECT_FALSE(ExpiredInQueue(read, absl::Seconds(19)).has_value());
  auto late = ExpiredInQueue(read, absl::Seconds(21));
  ASSERT_TRUE(late.has_value());
  const auto& fetched = std::get<core::MetadataFetched>(*late);
  EXPECT_EQ(fetched.request, 7u);
  EXPECT_TRUE(absl::IsDeadlineExceeded(fetched.result.status()));
  EXPECT_NE(fetched.result.status().message().find("--git-read-workers"), std::string::npos)
      << fetched.result.status();
}

TEST(PoolExecutorTest, PushesAndListsExpireTooStatusWritesNever) {
  core::PushBatch push;
  push.request = 1;
  push.timeout = absl::Minutes(2);
  EXPECT_FALSE(ExpiredInQueue(push, absl::Minutes(1)).has_value());
  auto pushed = ExpiredInQueue(push, absl::Minutes(3));
  ASSERT_TRUE(pushed.has_value());
  EXPECT_TRUE(absl::IsDeadlineExceeded(std::get<core::PushCompleted>(*pushed).result.status()));
  core::ResyncDestination list;
  list.request = 2;
  list.destination = {"ns", "d"};
  list.timeout = absl::Seconds(30);
  auto listed = ExpiredInQueue(list, absl::Seconds(31));
  ASSERT_TRUE(listed.has_value());
  const auto& objects = std::get<core::ObjectsListed>(*listed);
  EXPECT_EQ(objects.destination, (core::ObjectKey{"ns", "d"}));
  EXPECT_FALSE(objects.objects.ok());
  EXPECT_FALSE(objects.files.ok());
  EXPECT_FALSE(ExpiredInQueue(core::WriteStatus{}, absl::Hours(1)).has_value());
}

TEST(ThreadPoolTest, RunsEveryJobAndStopWaitsForTheRunningOnes) {
  std::atomic<int> ran{0};
  {
    ThreadPool pool("test", 3);
    for (int i = 0; i < 100; ++i) pool.Post([&] { ran.fetch_add(1); });
  }  // the destructor runs what is queued
  EXPECT_EQ(ran.load(), 100);
  ThreadPool pool("test", 1);
  std::atomic<bool> started{false};
  pool.Post([&] {
    started = true;
    absl::SleepFor(absl::Milliseconds(100));
    ran.fetch_add(1);
  });
  while (!started) absl::SleepFor(absl::Milliseconds(1));
  pool.Stop();
  EXPECT_EQ(ran.load(), 101) << "Stop returned before the running job finished";
}

}  // namespace
}  // namespace gitdest::k8s
