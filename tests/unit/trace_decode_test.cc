// Strict decoding of trace lines (adapters/trace/trace_file.h): a malformed line, a
// wrong field and another version are errors that name the field's path.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "adapters/trace/trace_file.h"
#include "tests/unit/trace_fixtures.h"

namespace gitdest::trace {
namespace {

struct BadLine {
  core::Input input;  // the step's input before the damage
  std::string pointer;
  Json value;            // discarded: remove the field instead
  std::string expected;  // a substring of the error
};

TEST(TraceDecodeTest, ErrorsNameTheField) {
  const core::Input observed = core::DestinationObserved{MakeDestination("a", absl::UnixEpoch())};
  const core::Input fetched = core::MetadataFetched{.request = 3, .result = core::PullReport{}};
  const core::Input pushed = core::PushCompleted{.request = 4, .result = core::PushResult{}};
  const core::Input written =
      core::StatusWritten{.request = 5,
                          .target = {core::ResourceKind::kGitDestination, {"team", "a"}},
                          .resource_version = "8"};
  const core::Input changed = core::ObjectChanged{.object = SomeConfigMap(),
                                                  .uid = "u1",
                                                  .resource_version = "5",
                                                  .op = core::ChangeOp::kUpdate,
                                                  .content = "x",
                                                  .user = "bob"};
  const core::Input rule = core::WatchRuleObserved{SomeRule()};
  const core::Input discovered = core::ResourceTypesDiscovered{
      {{.gvr = {"", "v1", "configmaps"}, .kind = "ConfigMap", .namespaced = true}}};
  const Json discarded(Json::value_t::discarded);
  const std::vector<BadLine> cases = {
      {observed, "/input/destination/spec/branch", discarded,
       "input.destination.spec.branch: missing field"},
      {observed, "/input/destination/uid", discarded, "input.destination.uid: missing field"},
      {observed, "/input/type", "DestinationExploded",
       R"(input.type: unknown type "DestinationExploded")"},
      {observed, "/input/destination/generation", "1",
       "input.destination.generation: expected integer, got string"},
      {observed, "/input/colour", "red", "input.colour: unknown field"},
      {observed, "/effects/1/status/conditions/0/status", "Maybe",
       R"(effects[1].status.conditions[0].status: unknown value "Maybe")"},
      {observed, "/effects/1/resource_version", discarded,
       "effects[1].resource_version: missing field"},
      {observed, "/effects/0/remote/secret", discarded, "effects[0].remote.secret: missing field"},
      {observed, "/effects/0/remote/worker", "x", "effects[0].remote.worker: unknown field"},
      {observed, "/effects/0/timeout", "soon",
       "effects[0].timeout: expected integer nanoseconds or"},
      {observed, "/state_hash", 42, "state_hash: expected string of 16 hex digits, got number"},
      {observed, "/state_hash", "0x00000000000002a", "state_hash: expected 16 hex digits"},
      {observed, "/at", 1.5, "at: expected integer Unix nanoseconds"},
      {observed, "/wake_at", "never", "wake_at: expected integer Unix nanoseconds"},
      {observed, "/effects/0/request", -1, "effects[0].request: integer -1 out of range"},
      {observed, "/input/destination/key/name", Json({{"b64", "!!"}}),
       "input.destination.key.name.b64: invalid base64"},
      {observed, "/input/destination/key/name", Json({{"b64", "AA"}}),
       "input.destination.key.name.b64: invalid base64"},  // unpadded: not canonical
      {observed, "/effects", Json::object(), "effects: expected array, got object"},
      {observed, "/effects/0/type", discarded, "effects[0].type: missing"},
      {fetched, "/input/result", Json({{"error", {{"code", "OK"}}}}),
       "input.result.error: an error must not be OK"},
      {fetched, "/input/result", Json({{"error", {{"code", "BOGUS"}, {"message", ""}}}}),
       R"(input.result.error.code: unknown status code "BOGUS")"},
      {fetched, "/input/result", Json({{"error", {{"code", "UNAVAILABLE"}}}}),
       "input.result.error.message: missing field"},
      {fetched, "/input/result/error", Json({{"code", "OK"}}), "input.result.error: unknown field"},
      {fetched, "/input/result/ok/history_rewritten", false,
       "input.result.ok.history_rewritten: expected string, got boolean"},
      {pushed, "/input/result/ok/outcome", "merged",
       R"(input.result.ok.outcome: unknown value "merged")"},
      {pushed, "/input/result/ok/history_rewritten", "maybe",
       R"(input.result.ok.history_rewritten: unknown value "maybe")"},
      {pushed, "/input/status", Json({{"code", "OK"}}), "input.status: unknown field"},
      {written, "/input/resource_version", "8",
       "input.resource_version: expected object, got string"},
      {written, "/input/resource_version/ok", 8,
       "input.resource_version.ok: expected string, got number"},
      {changed, "/input/uid", discarded, "input.uid: missing field"},
      {changed, "/input/author", "bob", "input.author: unknown field"},  // version 3's name
      {changed, "/input/type", "ResourceChanged", R"(input.type: unknown type "ResourceChanged")"},
      {changed, "/input/op", "patch", R"(input.op: unknown value "patch")"},
      {rule, "/input/rule/rules/0/scope", discarded, "input.rule.rules[0].scope: missing field"},
      {rule, "/input/rule/rules/0/resources", "configmaps",
       "input.rule.rules[0].resources: expected array, got string"},
      {discovered, "/input/types/0/namespaced", "yes",
       "input.types[0].namespaced: expected boolean, got string"},
      {discovered, "/input/types/0/gvr/group", discarded,
       "input.types[0].gvr.group: missing field"},
      {core::LeaseLost{}, "/input/holder", "x", "input.holder: unknown field"},
      {core::ControllerRestarted{}, "/input/epoch", uint64_t{1} << 32,
       "input.epoch: integer 4294967296 out of range"},
  };
  for (const BadLine& c : cases) {
    Json j = ValidStepJson(c.input);
    const Json::json_pointer pointer(c.pointer);
    if (c.value.is_discarded()) {
      j[pointer.parent_pointer()].erase(pointer.back());
    } else {
      j[pointer] = c.value;
    }
    const absl::StatusOr<TraceStep> decoded = DecodeStep(j.dump());
    ASSERT_FALSE(decoded.ok()) << c.pointer << ": " << j.dump();
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(Contains(decoded.status().message(), c.expected)) << c.pointer;
  }
}

TEST(TraceDecodeTest, MalformedLines) {
  const std::string line = ValidStepJson(core::TimerFired{}).dump();
  EXPECT_TRUE(DecodeStep(line).ok());
  for (const std::string& bad : {line.substr(0, line.size() - 1), std::string(""), line + "x",
                                 std::string("{\"step\":1,")}) {
    const absl::StatusOr<TraceStep> decoded = DecodeStep(bad);
    ASSERT_FALSE(decoded.ok()) << bad;
    EXPECT_TRUE(Contains(decoded.status().message(), "invalid JSON")) << bad;
  }
  EXPECT_TRUE(Contains(DecodeStep("[]").status().message(), "expected object, got array"));
  // Invalid UTF-8 inside a JSON string is refused by the parser, not mis-decoded.
  EXPECT_FALSE(DecodeStep("{\"step\":\"\xff\"}").ok());

  const std::string header = EncodeHeader(TraceHeader{});
  EXPECT_TRUE(Contains(DecodeStep(header).status().message(), "step: missing field"));
  EXPECT_TRUE(Contains(DecodeHeader(line).status().message(), "format: missing field"));
  Json j = Json::parse(header);
  j["options"].erase("resync_retry_delay");
  EXPECT_TRUE(Contains(DecodeHeader(j.dump()).status().message(),
                       "options.resync_retry_delay: missing field"));
}

// Another version is refused for what it is, before any field it may lack or spell
// differently.
TEST(TraceDecodeTest, OtherVersionsAreRefused) {
  for (const int version : {0, 1, 2, 3, kTraceVersion + 1}) {
    Json j = Json::parse(EncodeHeader(TraceHeader{}));
    j["version"] = version;
    j["options"] = Json::object();  // as if its options had other fields
    const absl::StatusOr<TraceHeader> decoded = DecodeHeader(j.dump());
    ASSERT_FALSE(decoded.ok()) << version;
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(
        Contains(decoded.status().message(),
                 absl::StrCat("version: trace version ", version,
                              " is not supported (this build reads version ", kTraceVersion, ";")));
  }
  Json j = Json::parse(EncodeHeader(TraceHeader{}));
  j["version"] = "4";
  EXPECT_TRUE(
      Contains(DecodeHeader(j.dump()).status().message(), "version: expected integer, got string"));
}

}  // namespace
}  // namespace gitdest::trace
