// The trace format pinned (adapters/trace/trace_file.h): golden lines for each kind of
// Input, Effect and the header, so that the simulator and the production binary agree,
// and a change of meaning needs a new version.
#include <gtest/gtest.h>

#include <string>

#include "adapters/trace/trace_file.h"
#include "tests/unit/trace_fixtures.h"

namespace gitdest::trace {
namespace {

TEST(TraceFormatTest, InvalidUtf8IsBase64AndValidUtf8IsAString) {
  const core::FileChange change = HostileChange();
  const TraceStep step{.step = 3,
                       .at = absl::FromUnixSeconds(1),
                       .input = core::TimerFired{},
                       .effects = {core::PushBatch{.request = 9,
                                                   .remote = Remote(),
                                                   .expected_tip = "",
                                                   .changes = {change},
                                                   .timeout = absl::Minutes(2)}},
                       .wake_at = absl::InfiniteFuture(),
                       .state_hash = 0xfedcba9876543210};
  const std::string line = EncodeStep(step);
  const Json j = Json::parse(line);
  const Json& encoded = j["effects"][0]["changes"][0];
  EXPECT_EQ(encoded["content"], Json({{"b64", "ZGF0YTogIv/+AAoi"}}));
  EXPECT_EQ(encoded["author"], Json({{"b64", "c3lzdGVtOnNlcnZpY2VhY2NvdW50OnRlYW06wIA="}}));
  EXPECT_EQ(encoded["message"], "nul\0inside"s);  // NUL is valid UTF-8
  EXPECT_TRUE(Contains(line, R"("message":"nul\u0000inside")"));
  EXPECT_EQ(j["state_hash"], "fedcba9876543210");
  const absl::StatusOr<TraceStep> decoded = DecodeStep(line);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(std::get<core::PushBatch>(decoded->effects[0]).changes[0], change);
}

// Pins the format: the simulator and the production binary must agree on it, and a
// change of meaning needs a new version.
TEST(TraceFormatTest, GoldenStep) {
  const TraceStep step{
      .step = 17,
      .replica = 1,
      .at = absl::FromUnixNanos(1'700'000'000'123'456'789),
      .input = core::MetadataFetched{.request = (uint64_t{7} << 32) + 1,
                                     .result = absl::UnavailableError("refused")},
      .effects = {core::RequeueAfter{.destination = {"team", "a"}, .delay = absl::Seconds(30)},
                  core::RecordEvent{.object = {"team", "a"}, .reason = "R", .message = "m"}},
      .wake_at = absl::InfiniteFuture(),
      .state_hash = 42};
  EXPECT_EQ(EncodeStep(step),
            R"({"at":1700000000123456789,"effects":[)"
            R"({"delay":30000000000,"destination":{"name":"a","namespace":"team"},)"
            R"("type":"RequeueAfter"},)"
            R"({"message":"m","object":{"name":"a","namespace":"team"},"reason":"R",)"
            R"("type":"RecordEvent"}],)"
            R"("input":{"request":30064771073,)"
            R"("result":{"error":{"code":"UNAVAILABLE","message":"refused"}},)"
            R"("type":"MetadataFetched"},"replica":1,)"
            R"("state_hash":"000000000000002a","step":17,"wake_at":"+inf"})");
}

// Where a Git effect goes, what a push and a status write answer, and the lease.
TEST(TraceFormatTest, GoldenRemotesOutcomesAndLeases) {
  EXPECT_EQ(EncodeEffect(core::FetchMetadata{
                .request = 1, .remote = Remote(), .known_tip = "", .timeout = absl::Seconds(20)}),
            R"({"known_tip":"","remote":{"branch":"main",)"
            R"("repo_config":{"name":"repo","namespace":"team"},)"
            R"("secret":{"name":"creds","namespace":"team"},)"
            R"("url":"https://git.example.com/org/repo.git"},)"
            R"("request":1,"timeout":20000000000,"type":"FetchMetadata"})");
  EXPECT_EQ(EncodeInput(core::PushCompleted{
                .request = 5,
                .result = core::PushResult{.outcome = core::PushResult::Outcome::kConflict,
                                           .tip = "abc",
                                           .history_rewritten = core::Tristate::kUnknown}}),
            R"({"request":5,"result":{"ok":{"history_rewritten":"unknown",)"
            R"("outcome":"conflict","tip":"abc"}},"type":"PushCompleted"})");
  core::PullReport rewritten;
  rewritten.history_rewritten = core::Tristate::kYes;
  EXPECT_EQ(EncodeInput(core::MetadataFetched{.request = 6, .result = rewritten}),
            R"({"request":6,"result":{"ok":{"exists_on_remote":false,"head":{"sha":"",)"
            R"("short_name":"","unborn":false},"history_rewritten":"yes","incoming_changes":0}},)"
            R"("type":"MetadataFetched"})");
  EXPECT_EQ(
      EncodeInput(core::StatusWritten{.request = 7,
                                      .target = {core::ResourceKind::kWatchRule, {"team", "a"}},
                                      .resource_version = absl::AbortedError("changed")}),
      R"({"request":7,)"
      R"("resource_version":{"error":{"code":"ABORTED","message":"changed"}},)"
      R"("target":{"key":{"name":"a","namespace":"team"},"kind":"WatchRule"},)"
      R"("type":"StatusWritten"})");
  EXPECT_TRUE(Contains(EncodeEffect(StepWith(core::TimerFired{}).effects[1]),
                       R"("request":2,"resource_version":"7","status":{)"));
  EXPECT_TRUE(Contains(EncodeEffect(StepWith(core::TimerFired{}).effects[1]),
                       R"("type":"DestinationStatus"},"target":{)"));
  EXPECT_EQ(EncodeInput(core::LeaseAcquired{}), R"({"type":"LeaseAcquired"})");
  EXPECT_EQ(EncodeInput(core::LeaseLost{}), R"({"type":"LeaseLost"})");

  const std::string observed =
      EncodeInput(core::DestinationObserved{MakeDestination("a", absl::UnixEpoch())});
  EXPECT_TRUE(Contains(observed, R"("resource_version":"1",)"));
  EXPECT_TRUE(Contains(observed, R"("uid":"uid-a"})"));
  EXPECT_TRUE(Contains(EncodeInput(core::RepoConfigObserved{MakeRepoConfig()}),
                       R"("repo_url":"https://git.example.com/org/repo.git",)"
                       R"("repo_url_had_credentials":false,)"));
}

// Version 4: object changes as the watch delivers them, watch rules, discovery, watches,
// and what a resync lists.
TEST(TraceFormatTest, GoldenObjectChangesRulesDiscoveryAndWatches) {
  EXPECT_EQ(EncodeInput(core::ObjectChanged{.object = SomeConfigMap(),
                                            .uid = "u1",
                                            .resource_version = "42",
                                            .op = core::ChangeOp::kDelete,
                                            .content = "",
                                            .user = "alice"}),
            R"({"content":"","object":{"group":"","name":"cm","namespace":"prod",)"
            R"("resource":"configmaps","version":"v1"},"op":"delete","resource_version":"42",)"
            R"("type":"ObjectChanged","uid":"u1","user":"alice"})");
  EXPECT_EQ(EncodeInput(core::WatchRuleObserved{SomeRule()}),
            R"({"rule":{"destination_ref":{"name":"a","namespace":"team"},"generation":2,)"
            R"("key":{"name":"capture-a","namespace":""},"resource_version":"9",)"
            R"("rules":[{"api_groups":[""],"api_versions":[],"operations":["*"],)"
            R"("resources":["configmaps"],"scope":"Namespaced"}],"uid":"r1"},)"
            R"("type":"WatchRuleObserved"})");
  EXPECT_EQ(EncodeInput(core::WatchRuleDeleted{{"team", "rule"}}),
            R"({"key":{"name":"rule","namespace":"team"},"type":"WatchRuleDeleted"})");
  const core::GroupVersionResource configmaps{
      .group = "", .version = "v1", .resource = "configmaps"};
  EXPECT_EQ(EncodeInput(core::ResourceTypesDiscovered{
                {{.gvr = configmaps, .kind = "ConfigMap", .namespaced = true, .preferred = true}}}),
            R"({"type":"ResourceTypesDiscovered","types":[{"gvr":{"group":"",)"
            R"("resource":"configmaps","version":"v1"},"kind":"ConfigMap","namespaced":true,)"
            R"("preferred":true}]})");
  EXPECT_EQ(EncodeEffect(core::EnsureWatches{{configmaps}}),
            R"({"type":"EnsureWatches","types":[{"group":"","resource":"configmaps",)"
            R"("version":"v1"}]})");
  EXPECT_EQ(EncodeEffect(core::ResyncDestination{.request = 3,
                                                 .destination = {"team", "a"},
                                                 .remote = Remote(),
                                                 .base_folder = "clusters/a",
                                                 .timeout = absl::Seconds(30),
                                                 .selectors = {{configmaps, "prod"}}}),
            R"({"base_folder":"clusters/a","destination":{"name":"a","namespace":"team"},)"
            R"("remote":{"branch":"main","repo_config":{"name":"repo","namespace":"team"},)"
            R"("secret":{"name":"creds","namespace":"team"},)"
            R"("url":"https://git.example.com/org/repo.git"},"request":3,)"
            R"("selectors":[{"gvr":{"group":"","resource":"configmaps","version":"v1"},)"
            R"("namespace":"prod"}],"timeout":30000000000,"type":"ResyncDestination"})");
  const core::CapturedObject listed{.resource = SomeConfigMap(),
                                    .content = "k: v\n",
                                    .author = "bob",
                                    .uid = "u1",
                                    .resource_version = "41"};
  EXPECT_TRUE(
      Contains(EncodeInput(core::ObjectsListed{.request = 3,
                                               .destination = {"team", "a"},
                                               .objects = std::vector<core::CapturedObject>{listed},
                                               .files = std::vector<std::string>{}}),
               R"("objects":{"ok":[{"author":"bob","content":"k: v\n","resource":{"group":"",)"
               R"("name":"cm","namespace":"prod","resource":"configmaps","version":"v1"},)"
               R"("resource_version":"41","uid":"u1"}]})"));
}

TEST(TraceFormatTest, GoldenHeader) {
  TraceHeader header;
  header.seed = 7;
  header.command = "gitdest-sim run --seed=7";
  const std::string line = EncodeHeader(header);
  EXPECT_TRUE(line.starts_with(R"({"command":"gitdest-sim run --seed=7","epochs":[0],)"
                               R"("format":"gitdest-trace","options":{)"))
      << line;
  EXPECT_TRUE(Contains(line, R"("invalid_spec_requeue":120000000000,)"));
  EXPECT_TRUE(Contains(line, R"("requeue_jitter_fraction":0.1,)"));
  EXPECT_TRUE(Contains(line, R"("max_pending_changes":10000,"max_reads_in_flight":16,)"
                             R"("max_status_writes_in_flight":4,)"));
  EXPECT_TRUE(Contains(line, R"("max_lists_in_flight":4,)"));
  EXPECT_TRUE(Contains(line, R"(},"seed":7,"version":11})"));
}

}  // namespace
}  // namespace gitdest::trace
