// Trace replay (adapters/trace/replay.h): a trace recorded from a real core replays to
// the same effects and state hashes, and tampering with it fails at exactly the tampered
// step.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/trace/replay.h"
#include "adapters/trace/trace_file.h"
#include "core/controller.h"
#include "tests/unit/trace_fixtures.h"

namespace gitdest::trace {
namespace {

// Drives a real core through a small scenario and records every Handle call, as the
// simulator does. Answers to WriteStatus and ResyncDestination ("chores") are fed
// back by AnswerChores; the scenario answers reads and pushes itself.
class Recorder {
 public:
  explicit Recorder(core::ControllerOptions options = {})
      : header_{.seed = 1, .command = "trace_test", .options = options},
        controller_(options, header_.epochs[0]) {
    lines_.push_back(EncodeHeader(header_));
  }

  core::Output Feed(const core::Input& input) {
    core::Output out = controller_.Handle(input, now_);
    EXPECT_TRUE(controller_.CheckInvariants().ok()) << controller_.CheckInvariants();
    steps_.push_back({.step = static_cast<int64_t>(steps_.size()) + 1,
                      .at = now_,
                      .input = input,
                      .effects = out.effects,
                      .wake_at = out.wake_at,
                      .state_hash = controller_.StateHash()});
    lines_.push_back(EncodeStep(steps_.back()));
    for (const core::Effect& e : out.effects) {
      if (std::holds_alternative<core::WriteStatus>(e) ||
          std::holds_alternative<core::ResyncDestination>(e)) {
        chores_.push_back(e);
      }
    }
    return out;
  }

  void AnswerChores() {
    while (!chores_.empty()) {
      const core::Effect e = chores_.front();
      chores_.erase(chores_.begin());
      if (const auto* w = std::get_if<core::WriteStatus>(&e)) {
        Feed(core::StatusWritten{.request = w->request,
                                 .target = w->target,
                                 .resource_version = absl::StrCat(++resource_version_)});
      } else if (const auto* r = std::get_if<core::ResyncDestination>(&e)) {
        Feed(core::ObjectsListed{.request = r->request,
                                 .destination = r->destination,
                                 .objects = std::vector<core::CapturedObject>{},
                                 .files = std::vector<std::string>{}});
      }
    }
  }

  void Advance(absl::Duration d) { now_ += d; }
  absl::Time now() const { return now_; }
  int64_t last_step() const { return static_cast<int64_t>(steps_.size()); }
  const std::vector<std::string>& lines() const { return lines_; }
  const TraceHeader& header() const { return header_; }
  const std::vector<TraceStep>& steps() const { return steps_; }

 private:
  TraceHeader header_;
  core::Controller controller_;
  absl::Time now_ = absl::FromUnixSeconds(1'700'000'000);
  std::vector<TraceStep> steps_;
  std::vector<std::string> lines_;
  std::vector<core::Effect> chores_;
  int64_t resource_version_ = 100;  // the API server's, for status writes
};

template <class E>
const E* FindEffect(const core::Output& out) {
  for (const core::Effect& e : out.effects) {
    if (const auto* found = std::get_if<E>(&e)) return found;
  }
  return nullptr;
}

class ReplayTest : public ::testing::Test {
 protected:
  // The lease, discovery, a RepoConfig, a rule capturing ConfigMaps for "a", two
  // destinations sharing one read, the read's answer, a captured change, the push timer
  // 10 s later and the push's success, with every status write and resync answered.
  void SetUp() override {
    r.Feed(core::LeaseAcquired{});
    r.Feed(core::ResourceTypesDiscovered{{{.gvr = {"", "v1", "configmaps"},
                                           .kind = "ConfigMap",
                                           .namespaced = true,
                                           .preferred = true}}});
    r.Feed(core::RepoConfigObserved{MakeRepoConfig()});
    r.Feed(core::WatchRuleObserved{SomeRule()});
    const core::Output first = r.Feed(core::DestinationObserved{MakeDestination("a", r.now())});
    const auto* fetch = FindEffect<core::FetchMetadata>(first);
    ASSERT_NE(fetch, nullptr);
    const core::RequestId read = fetch->request;
    r.Feed(core::DestinationObserved{MakeDestination("b", r.now())});
    r.Advance(absl::Milliseconds(200));
    const core::PullReport report{.exists_on_remote = true,
                                  .head = {.sha = std::string(40, '1'), .short_name = "main"}};
    metadata_step = r.last_step() + 1;
    const core::Output answered = r.Feed(core::MetadataFetched{read, report});
    ASSERT_NE(FindEffect<core::WriteStatus>(answered), nullptr);
    r.AnswerChores();
    r.Advance(absl::Seconds(1));
    change_step = r.last_step() + 1;
    r.Feed(core::ObjectChanged{.object = SomeConfigMap(),
                               .uid = "u1",
                               .resource_version = "5",
                               .op = core::ChangeOp::kCreate,
                               .content = "data:\n  k: v\n",
                               .user = "alice"});
    r.Advance(absl::Seconds(10));
    timer_step = r.last_step() + 1;
    const core::Output timer = r.Feed(core::TimerFired{});
    const auto* push = FindEffect<core::PushBatch>(timer);
    ASSERT_NE(push, nullptr);
    ASSERT_EQ(push->changes.size(), 1u);
    r.Advance(absl::Milliseconds(300));
    push_step = r.last_step() + 1;
    r.Feed(core::PushCompleted{.request = push->request,
                               .result = core::PushResult{.tip = std::string(40, '2')}});
    r.AnswerChores();
  }

  // Replays r's lines with line `step` (a step number) changed by `edit`.
  ReplayResult ReplayTampered(int64_t step, const std::function<void(Json&)>& edit) {
    std::vector<std::string> lines = r.lines();
    Json j = Json::parse(lines.at(step));
    edit(j);
    lines[step] = j.dump();
    return ReplayLines(lines);
  }

  Recorder r;
  int64_t metadata_step = 0;
  int64_t change_step = 0;
  int64_t timer_step = 0;
  int64_t push_step = 0;
};

TEST_F(ReplayTest, RecordedScenarioReplays) {
  ASSERT_GE(r.last_step(), 11);
  const ReplayResult result = ReplayLines(r.lines());
  EXPECT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.steps, r.last_step());
}

// Losing the lease drops all work; taking it again reconciles and resyncs everything.
TEST_F(ReplayTest, LeaseLostAndRegainedReplays) {
  r.Advance(absl::Seconds(1));
  r.Feed(core::LeaseLost{});
  r.Advance(absl::Seconds(1));
  const core::Output regained = r.Feed(core::LeaseAcquired{});
  EXPECT_LT(regained.wake_at, absl::InfiniteFuture());
  r.Advance(absl::Seconds(1));
  r.Feed(core::TimerFired{});
  r.AnswerChores();
  const ReplayResult result = ReplayLines(r.lines());
  EXPECT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.steps, r.last_step());
}

// Rules and discovery change under a running core, also while it is a standby (which
// still plans its watches).
TEST_F(ReplayTest, RuleAndDiscoveryChangesReplay) {
  r.Advance(absl::Seconds(1));
  r.Feed(core::WatchRuleDeleted{SomeRule().key});
  r.Feed(core::LeaseLost{});
  r.Feed(core::ResourceTypesDiscovered{});
  r.Feed(core::WatchRuleObserved{SomeRule()});
  r.Feed(core::ResourceTypesDiscovered{{{.gvr = {"", "v1", "configmaps"},
                                         .kind = "ConfigMap",
                                         .namespaced = true,
                                         .preferred = true}}});
  r.Advance(absl::Seconds(1));
  r.Feed(core::LeaseAcquired{});
  r.Advance(absl::Seconds(1));
  r.Feed(core::TimerFired{});
  r.AnswerChores();
  const ReplayResult result = ReplayLines(r.lines());
  EXPECT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.steps, r.last_step());
}

TEST_F(ReplayTest, FileWrittenByTraceWriterReplays) {
  const std::string path = ::testing::TempDir() + "/trace_test_replay.jsonl";
  absl::StatusOr<TraceWriter> writer = TraceWriter::Open(path, r.header());
  ASSERT_TRUE(writer.ok()) << writer.status();
  for (const TraceStep& step : r.steps()) ASSERT_TRUE(writer->Write(step).ok());
  ASSERT_TRUE(writer->Close().ok());
  EXPECT_TRUE(writer->Close().ok());  // idempotent
  EXPECT_EQ(writer->Write(r.steps()[0]).code(), absl::StatusCode::kFailedPrecondition);

  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  EXPECT_EQ(content.str(), absl::StrJoin(r.lines(), "\n") + "\n");
  const ReplayResult result = Replay(path);
  EXPECT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.steps, r.last_step());
  std::remove(path.c_str());
}

TEST_F(ReplayTest, TamperedEffectFailsAtThatStep) {
  const ReplayResult result = ReplayTampered(metadata_step, [](Json& j) {
    for (Json& e : j["effects"]) {
      if (e["type"] == "WriteStatus" && e["target"]["kind"] == "GitDestination") {
        e["status"]["last_commit_sha"] = "tampered";
        return;
      }
    }
    FAIL() << "no WriteStatus at the metadata step";
  });
  EXPECT_EQ(result.steps, metadata_step - 1);
  EXPECT_TRUE(Contains(result.status.message(),
                       absl::StrCat("step ", metadata_step, ": effects differ at effect ")));
  EXPECT_TRUE(Contains(result.status.message(), R"(recorded {"request")"));
  EXPECT_TRUE(Contains(result.status.message(), "tampered"));
}

TEST_F(ReplayTest, DroppedEffectFailsAtThatStep) {
  const ReplayResult result = ReplayTampered(timer_step, [](Json& j) { j["effects"].clear(); });
  EXPECT_EQ(result.steps, timer_step - 1);
  EXPECT_TRUE(Contains(result.status.message(),
                       absl::StrCat("step ", timer_step, ": effects differ at effect 0")));
  EXPECT_TRUE(Contains(result.status.message(), "recorded (none), replayed {"));
}

TEST_F(ReplayTest, TamperedHashFailsAtThatStep) {
  std::string recorded;
  const ReplayResult result = ReplayTampered(timer_step, [&](Json& j) {
    recorded = j["state_hash"];
    j["state_hash"] = "0123456789abcdef";
  });
  EXPECT_EQ(result.steps, timer_step - 1);
  EXPECT_EQ(result.status.message(),
            absl::StrCat("step ", timer_step,
                         ": state hash differs: recorded 0123456789abcdef, replayed ", recorded));
}

TEST_F(ReplayTest, TamperedInputFailsAtThatStep) {
  // A different captured content changes the queued write: the state differs at once.
  ReplayResult result = ReplayTampered(
      change_step, [](Json& j) { j["input"]["content"] = "data:\n  k: tampered\n"; });
  EXPECT_EQ(result.steps, change_step - 1);
  EXPECT_TRUE(Contains(result.status.message(),
                       absl::StrCat("step ", change_step, ": state hash differs")));

  // An answer to a request nobody made is ignored: the statuses are not written.
  result = ReplayTampered(metadata_step, [](Json& j) { j["input"]["request"] = 999; });
  EXPECT_EQ(result.steps, metadata_step - 1);
  EXPECT_TRUE(
      Contains(result.status.message(), absl::StrCat("step ", metadata_step, ": effects differ")));
}

TEST_F(ReplayTest, TamperedWakeAtFailsAtThatStep) {
  const ReplayResult result =
      ReplayTampered(change_step, [](Json& j) { j["wake_at"] = int64_t{1}; });
  EXPECT_EQ(result.steps, change_step - 1);
  EXPECT_TRUE(Contains(
      result.status.message(),
      absl::StrCat(
          "step ", change_step,
          ": wake_at differs: recorded 1970-01-01T00:00:00.000000001+00:00 (1), replayed ")));
}

TEST_F(ReplayTest, DamagedTraceFailsWithoutCrashing) {
  ReplayResult result =
      ReplayTampered(push_step, [](Json& j) { j["at"] = j["at"].get<int64_t>() - 10'000'000'000; });
  EXPECT_EQ(result.steps, push_step - 1);
  EXPECT_TRUE(Contains(result.status.message(), "time runs backwards"));

  result = ReplayTampered(push_step, [](Json& j) { j["at"] = "+inf"; });
  EXPECT_TRUE(Contains(result.status.message(), "not finite"));

  std::vector<std::string> lines = r.lines();
  lines.erase(lines.begin() + timer_step);
  result = ReplayLines(lines);
  EXPECT_EQ(result.steps, timer_step - 1);
  EXPECT_TRUE(
      Contains(result.status.message(),
               absl::StrCat("step ", timer_step + 1,
                            ": step numbers must be consecutive, previous was ", timer_step - 1)));

  lines = r.lines();
  lines[4] = lines[4].substr(0, 20);
  result = ReplayLines(lines);
  EXPECT_EQ(result.steps, 3);
  EXPECT_TRUE(absl::StartsWith(result.status.message(), "line 5: invalid JSON")) << result.status;
}

TEST_F(ReplayTest, HeaderOptionsAreUsed) {
  core::ControllerOptions other = r.header().options;
  other.requeue_interval = absl::Minutes(3);
  std::vector<std::string> lines = r.lines();
  TraceHeader header = r.header();
  header.options = other;
  lines[0] = EncodeHeader(header);
  const ReplayResult result = ReplayLines(lines);
  EXPECT_FALSE(result.status.ok());
  EXPECT_LT(result.steps, r.last_step());
}

TEST(ReplayErrorsTest, MissingOrBadHeaderAndFiles) {
  ReplayResult result = ReplayLines({});
  EXPECT_EQ(result.status.message(), "line 1: missing trace header");
  result = ReplayLines({"{}"});
  EXPECT_EQ(result.status.message(), "line 1: format: missing field");
  result = ReplayLines({EncodeHeader({})});
  EXPECT_TRUE(result.status.ok());
  EXPECT_EQ(result.steps, 0);
  TraceHeader old;
  old.version = 2;
  result = ReplayLines({EncodeHeader(old), EncodeStep(StepWith(core::TimerFired{}))});
  EXPECT_EQ(result.steps, 0);
  EXPECT_TRUE(absl::StartsWith(result.status.message(),
                               "line 1: version: trace version 2 is not supported"))
      << result.status;

  result = Replay(::testing::TempDir() + "/no/such/trace.jsonl");
  EXPECT_EQ(result.status.code(), absl::StatusCode::kNotFound) << result.status;
  EXPECT_FALSE(TraceWriter::Open(::testing::TempDir() + "/no/such/dir/t.jsonl", {}).ok());
}

// Two replicas, as the simulator runs them: both observe, the first leads; each step names
// the replica whose controller handled it. `second_leads_too`: the second is told it holds
// the lease as well, which no replay may accept.
std::vector<std::string> TwoReplicaTrace(bool second_leads_too) {
  const core::ControllerOptions options;
  const TraceHeader header{
      .seed = 1, .command = "trace_test", .options = options, .epochs = {0, 1}};
  std::vector<std::string> lines{EncodeHeader(header)};
  core::Controller first(options, 0), second(options, 1);
  const absl::Time now = absl::FromUnixSeconds(1'700'000'000);
  auto feed = [&](uint32_t replica, const core::Input& input) {
    core::Controller& c = replica == 0 ? first : second;
    const core::Output out = c.Handle(input, now);
    lines.push_back(EncodeStep({.step = static_cast<int64_t>(lines.size()),
                                .replica = replica,
                                .at = now,
                                .input = input,
                                .effects = out.effects,
                                .wake_at = out.wake_at,
                                .state_hash = c.StateHash()}));
  };
  feed(0, core::LeaseAcquired{});
  for (uint32_t replica : {0u, 1u}) {
    feed(replica, core::RepoConfigObserved{MakeRepoConfig()});
    feed(replica, core::DestinationObserved{MakeDestination("a", now)});
  }
  if (second_leads_too) feed(1, core::LeaseAcquired{});
  return lines;
}

TEST(ReplayReplicasTest, EachStepReplaysOnItsOwnReplica) {
  const std::vector<std::string> lines = TwoReplicaTrace(false);
  const ReplayResult result = ReplayLines(lines);
  EXPECT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.steps, 5);
  // The leader's step fed to the standby instead: its effects (a read) are not the standby's.
  std::vector<std::string> swapped = lines;
  Json j = Json::parse(swapped[3]);
  j["replica"] = 1;
  swapped[3] = j.dump();
  EXPECT_FALSE(ReplayLines(swapped).status.ok());
}

TEST(ReplayReplicasTest, AReplicaTheHeaderDoesNotNameFails) {
  std::vector<std::string> lines = TwoReplicaTrace(false);
  Json j = Json::parse(lines[2]);
  j["replica"] = 2;
  lines[2] = j.dump();
  const ReplayResult result = ReplayLines(lines);
  EXPECT_TRUE(absl::StrContains(result.status.message(), "replica 2 is not one of the header's 2"))
      << result.status;
}

TEST(ReplayReplicasTest, TwoLeadersAtOnceFail) {
  const ReplayResult result = ReplayLines(TwoReplicaTrace(true));
  EXPECT_EQ(result.steps, 5);
  EXPECT_TRUE(absl::StrContains(result.status.message(), "2 replicas hold the lease at once"))
      << result.status;
}

}  // namespace
}  // namespace gitdest::trace
