// The production executor's pools: work that waited for a thread past its own timeout
// is answered at once (the core has given up on it), never started late; a status write
// that waits is replaced by a newer one of the same object; Events are bounded.
#include "adapters/k8s/pool_executor.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "absl/strings/str_cat.h"
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

// A ClusterApi whose calls block until released, recording what reached it.
class GatedCluster final : public core::ClusterApi {
 public:
  absl::StatusOr<std::string> WriteStatus(const core::StatusTarget& target,
                                          const std::string& resource_version,
                                          const core::ResourceStatus&) override {
    Enter(absl::StrCat(target.key.name, "@", resource_version));
    return std::string("2");
  }
  absl::Status RecordEvent(const core::ObjectKey& object, const std::string&,
                           const std::string&) override {
    Enter(absl::StrCat("event ", object.name));
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<core::CapturedObject>> ListObjects(
      const std::vector<core::ListSelector>&) override {
    return std::vector<core::CapturedObject>{};
  }
  void WaitForCalls(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return calls_.size() >= n; });
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  std::vector<std::string> calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  void Enter(std::string call) {
    std::unique_lock lock(mu_);
    calls_.push_back(std::move(call));
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> calls_;
  bool open_ = false;
};

class NoGit final : public core::GitRemote {
 public:
  absl::StatusOr<core::PullReport> ReadBranch(const core::RemoteRef&, const std::string&,
                                              absl::Duration) override {
    return absl::UnimplementedError("no git");
  }
  absl::StatusOr<core::PushResult> Push(const core::RemoteRef&, const std::string&,
                                        const std::vector<core::FileChange>&,
                                        absl::Duration) override {
    return absl::UnimplementedError("no git");
  }
  absl::StatusOr<std::vector<std::string>> ListFiles(const core::RemoteRef&, const std::string&,
                                                     absl::Duration) override {
    return absl::UnimplementedError("no git");
  }
};

core::WriteStatus Write(core::RequestId request, const std::string& name,
                        const std::string& version) {
  return core::WriteStatus{request,
                           {core::ResourceKind::kGitDestination, {"ns", name}},
                           version,
                           core::DestinationStatus{}};
}

TEST(PoolExecutorTest, AWaitingStatusWriteIsReplacedByANewerOneOfTheSameObject) {
  GatedCluster cluster;
  NoGit git;
  std::mutex mu;
  std::vector<std::pair<core::RequestId, absl::StatusCode>> answers;
  auto done = [&](core::Input in) {
    const auto& written = std::get<core::StatusWritten>(in);
    std::lock_guard lock(mu);
    answers.emplace_back(written.request, written.resource_version.status().code());
  };
  {
    PoolExecutor executor(git, cluster, {.api_calls = 1});
    executor.Execute(Write(1, "busy", "5"), done);
    cluster.WaitForCalls(1);  // the one thread is taken: the next writes wait
    executor.Execute(Write(2, "d", "7"), done);
    executor.Execute(Write(3, "d", "8"), done);  // the core gave up on 2
    {
      std::lock_guard lock(mu);
      ASSERT_EQ(answers.size(), 1u) << "the replaced write is answered at once";
      EXPECT_EQ(answers[0], std::make_pair(core::RequestId{2}, absl::StatusCode::kCancelled));
    }
    cluster.Open();
  }  // the destructor runs what waits
  EXPECT_EQ(cluster.calls(), (std::vector<std::string>{"busy@5", "d@8"}))
      << "the replaced write never reached the API server";
  std::lock_guard lock(mu);
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers[2], std::make_pair(core::RequestId{3}, absl::StatusCode::kOk));
}

TEST(PoolExecutorTest, EventsBeyondTheBoundAreDroppedAndCounted) {
  GatedCluster cluster;
  NoGit git;
  int dropped = 0;
  {
    PoolExecutor executor(git, cluster, {.events = 1, .events_queued_max = 2}, [&] { ++dropped; });
    const core::Done ignored = [](core::Input) {};
    executor.Execute(core::RecordEvent{{"ns", "e0"}, "R", "m"}, ignored);
    cluster.WaitForCalls(1);  // the Events' thread is busy: the next ones wait
    for (int i = 1; i <= 4; ++i) {
      executor.Execute(core::RecordEvent{{"ns", absl::StrCat("e", i)}, "R", "m"}, ignored);
    }
    EXPECT_EQ(dropped, 2);
    EXPECT_EQ(executor.queued(), 2u);
    cluster.Open();
  }
  EXPECT_EQ(cluster.calls(), (std::vector<std::string>{"event e0", "event e1", "event e2"}));
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
