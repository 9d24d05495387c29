// Tests of the trace format (adapters/trace/trace_file.h) and its replay (replay.h):
// every Input and Effect round-trips exactly, hostile bytes included; malformed lines
// and other versions fail with the field's path; a trace recorded from a real core
// replays, and tampering with it fails at exactly the tampered step.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <concepts>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/trace/replay.h"
#include "adapters/trace/trace_file.h"
#include "adapters/trace/type_traits.h"
#include "adapters/trace/utf8.h"
#include "core/controller.h"

namespace gitdest::trace {
namespace {

using Json = nlohmann::json;
using std::string_literals::operator""s;

constexpr char kUrl[] = "https://git.example.com/org/repo.git";

// Like gmock's HasSubstr (gmock is not a dependency here), with both strings shown.
::testing::AssertionResult Contains(absl::string_view haystack, absl::string_view needle) {
  if (haystack.find(needle) != absl::string_view::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << needle << "\" not in \"" << haystack << "\"";
}

// ---- every struct's fields, unpacked --------------------------------------------------

// Members(v) ties every field of a struct. The structured binding has to name every
// field, so a field added to a core type breaks this test until its generator and
// comparison cover it. Kept apart from the codec's own field lists, so that the test
// does not take the codec's word for what a type holds.
#define GITDEST_MEMBERS(Type, ...)                    \
  template <class T>                                  \
  requires std::same_as<std::remove_const_t<T>, Type> \
  auto Members(T& v) {                                \
    auto& [__VA_ARGS__] = v;                          \
    return std::tie(__VA_ARGS__);                     \
  }

GITDEST_MEMBERS(core::ObjectKey, namespace_, name)
GITDEST_MEMBERS(core::ResourceId, group, version, resource, namespace_, name)
GITDEST_MEMBERS(core::PushSettings, interval, max_commits, max_bytes)
GITDEST_MEMBERS(core::RepoConfigSpec, repo_url, repo_url_had_credentials, allowed_branches,
                secret_name, push)
GITDEST_MEMBERS(core::RepoConfig, key, generation, resource_version, spec)
GITDEST_MEMBERS(core::DestinationSpec, repo_ref, branch, base_folder)
GITDEST_MEMBERS(core::Destination, key, uid, generation, resource_version, creation_time, spec)
GITDEST_MEMBERS(core::Condition, type, status, reason, message, observed_generation,
                last_transition_time)
GITDEST_MEMBERS(core::DestinationStatus, conditions, observed_generation, branch_exists,
                last_commit_sha, last_sync_time)
GITDEST_MEMBERS(core::RepoConfigStatus, conditions, observed_generation, branches_read,
                branches_existing)
GITDEST_MEMBERS(core::WatchRuleStatus, conditions, observed_generation)
GITDEST_MEMBERS(core::StatusTarget, kind, key)
GITDEST_MEMBERS(core::PullReport::Head, sha, short_name, unborn)
GITDEST_MEMBERS(core::PullReport, exists_on_remote, head, incoming_changes, history_rewritten)
GITDEST_MEMBERS(core::PushResult, outcome, tip, history_rewritten)
GITDEST_MEMBERS(core::RemoteRef, repo_config, url, secret, branch)
GITDEST_MEMBERS(core::FileChange, path, op, content, message, author, destination)
GITDEST_MEMBERS(core::ControllerOptions, metadata_cache_ttl, read_timeout, push_timeout,
                read_retry_delay_max, requeue_interval, requeue_jitter_fraction,
                invalid_spec_requeue, status_write_retry_delay, resync_retry_delay, api_timeout,
                push_retry_delay_min, push_retry_delay_max, push_conflict_retries,
                max_pending_changes)
GITDEST_MEMBERS(core::RepoConfigObserved, config)
GITDEST_MEMBERS(core::RepoConfigDeleted, key)
GITDEST_MEMBERS(core::DestinationObserved, destination)
GITDEST_MEMBERS(core::DestinationDeleted, key)
GITDEST_MEMBERS(core::GroupVersionResource, group, version, resource)
GITDEST_MEMBERS(core::ResourceTypeInfo, gvr, kind, namespaced, preferred)
GITDEST_MEMBERS(core::ListSelector, gvr, namespace_)
GITDEST_MEMBERS(core::ResourceRule, operations, api_groups, api_versions, resources, scope)
GITDEST_MEMBERS(core::WatchRule, key, generation, resource_version, destination_ref, rules)
GITDEST_MEMBERS(core::WatchRuleObserved, rule)
GITDEST_MEMBERS(core::WatchRuleDeleted, key)
GITDEST_MEMBERS(core::ResourceTypesDiscovered, types)
GITDEST_MEMBERS(core::ObjectChanged, object, uid, resource_version, op, content, user)
GITDEST_MEMBERS(core::CapturedObject, resource, content, author, uid, resource_version)
GITDEST_MEMBERS(core::ObjectsListed, request, destination, objects, files)
GITDEST_MEMBERS(core::MetadataFetched, request, result)
GITDEST_MEMBERS(core::PushCompleted, request, result)
GITDEST_MEMBERS(core::StatusWritten, request, target, resource_version)
GITDEST_MEMBERS(core::ControllerRestarted, epoch)
GITDEST_MEMBERS(core::FetchMetadata, request, remote, known_tip, timeout)
GITDEST_MEMBERS(core::PushBatch, request, remote, expected_tip, changes, timeout)
GITDEST_MEMBERS(core::WriteStatus, request, target, resource_version, status)
GITDEST_MEMBERS(core::RequeueAfter, destination, delay)
GITDEST_MEMBERS(core::ResyncDestination, request, destination, remote, base_folder, timeout,
                selectors)
GITDEST_MEMBERS(core::EnsureWatches, types)
GITDEST_MEMBERS(core::RecordEvent, object, reason, message)
GITDEST_MEMBERS(TraceHeader, version, seed, command, options, epoch)
GITDEST_MEMBERS(TraceStep, step, at, input, effects, wake_at, state_hash)
#undef GITDEST_MEMBERS

// Structs without fields (TimerFired, CacheSynced, LeaseAcquired, LeaseLost).
template <class T>
requires std::is_empty_v<std::remove_const_t<T>> std::tuple<> Members(T&) { return {}; }

template <class T>
concept HasMembers = requires(T& v) {
  Members(v);
};

// How many enumerators each enum has, so that generated values stay inside it.
template <class E>
constexpr int kEnumSize = 0;
template <>
constexpr int kEnumSize<core::ChangeOp> = 3;
template <>
constexpr int kEnumSize<core::ConditionStatus> = 3;
template <>
constexpr int kEnumSize<core::Tristate> = 3;
template <>
constexpr int kEnumSize<core::PushResult::Outcome> = 2;
template <>
constexpr int kEnumSize<core::ResourceKind> = 4;

// ---- generators --------------------------------------------------------------------------

// Pieces that break naive encoders: NUL, invalid UTF-8 (lone continuation, overlong
// NUL, surrogate, > U+10FFFF, truncated sequence), quotes, newlines, U+2028, emoji,
// and strings that look like this format's own encodings.
const std::vector<std::string> kFragments = {std::string("\0", 1),
                                             "\xff",
                                             "\x80",
                                             "\xc0\x80",
                                             "\xed\xa0\x80",
                                             "\xf4\x90\x80\x80",
                                             "\xe2\x82",
                                             "\"",
                                             "\\",
                                             "\n",
                                             "\r\n",
                                             "\u2028",
                                             "\xf0\x9f\x92\xa5",
                                             "é",
                                             "+inf",
                                             "{\"b64\":\"AA==\"}",
                                             "a",
                                             "main",
                                             "/",
                                             "",
                                             "\t"};

rc::Gen<std::string> Bytes() {
  return rc::gen::container<std::string>(rc::gen::cast<char>(rc::gen::inRange(0, 256)));
}

rc::Gen<std::string> Text() {
  return rc::gen::weightedOneOf<std::string>(
      {{3, rc::gen::arbitrary<std::string>()},
       {2, Bytes()},
       {4, rc::gen::map(
               rc::gen::container<std::vector<std::string>>(rc::gen::elementOf(kFragments)),
               [](const std::vector<std::string>& parts) { return absl::StrJoin(parts, ""); })}});
}

// One of n choices, uniform at every size: rc::gen::inRange and arbitrary<bool> scale
// with the size, which would leave a variant's last alternatives and an enum's last
// values untried in most runs.
size_t AnyIndex(size_t n) {
  return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange<size_t>(0, n));
}

// A time or duration: mostly any int64 nanoseconds, sometimes one of the infinities.
template <class T, class FromNanos>
T FiniteOrInfinite(T minus_infinity, T plus_infinity, FromNanos from_nanos) {
  return *rc::gen::weightedOneOf<T>({{1, rc::gen::just(minus_infinity)},
                                     {1, rc::gen::just(plus_infinity)},
                                     {8, rc::gen::map(rc::gen::arbitrary<int64_t>(), from_nanos)}});
}

// `ok` half the time, otherwise an error of any code (a Status or a StatusOr).
template <class S>
S OkOrError(S ok) {
  if (AnyIndex(2) == 0) return ok;
  const auto code = static_cast<absl::StatusCode>(1 + AnyIndex(16));
  return absl::Status(code, *Text());
}

template <class T>
void Fill(T& v);

template <class V, size_t I = 0>
void FillAlternative(V& v, size_t index) {
  if constexpr (I < std::variant_size_v<V>) {
    if (index == I) {
      Fill(v.template emplace<I>());
      return;
    }
    FillAlternative<V, I + 1>(v, index);
  }
}

// Sets every field of `v` to a generated value (NaN excluded: it equals nothing).
template <class T>
void Fill(T& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    v = *Text();
  } else if constexpr (std::is_same_v<T, bool> || std::is_integral_v<T>) {
    v = *rc::gen::arbitrary<T>();
  } else if constexpr (std::is_same_v<T, double>) {
    v = *rc::gen::weightedOneOf<double>({{1, rc::gen::just(HUGE_VAL)},
                                         {1, rc::gen::just(-HUGE_VAL)},
                                         {1, rc::gen::just(-0.0)},
                                         {6, rc::gen::arbitrary<double>()}});
  } else if constexpr (std::is_enum_v<T>) {
    static_assert(kEnumSize<T> > 0, "list the enum in kEnumSize");
    v = static_cast<T>(AnyIndex(kEnumSize<T>));
  } else if constexpr (std::is_same_v<T, absl::Time>) {
    v = FiniteOrInfinite(absl::InfinitePast(), absl::InfiniteFuture(),
                         [](int64_t ns) { return absl::FromUnixNanos(ns); });
  } else if constexpr (std::is_same_v<T, absl::Duration>) {
    v = FiniteOrInfinite(-absl::InfiniteDuration(), absl::InfiniteDuration(),
                         [](int64_t ns) { return absl::Nanoseconds(ns); });
  } else if constexpr (std::is_same_v<T, absl::Status>) {
    v = OkOrError(absl::OkStatus());
  } else if constexpr (IsVector<T>::value) {
    v.resize(AnyIndex(4));
    for (auto& element : v) Fill(element);
  } else if constexpr (IsStatusOr<T>::value) {
    typename T::value_type value;
    Fill(value);
    v = OkOrError(T(std::move(value)));
  } else if constexpr (IsVariant<T>::value) {
    FillAlternative(v, AnyIndex(std::variant_size_v<T>));
  } else {
    static_assert(HasMembers<T>);
    std::apply([](auto&... field) { (Fill(field), ...); }, Members(v));
  }
}

template <class T>
T Any() {
  T v{};
  Fill(v);
  return v;
}

// ---- field-by-field equality (Input and Effect structs have no operator==) ------------

template <class T>
bool Same(const T& a, const T& b);

template <class Tuple, size_t... I>
bool SameFields(const Tuple& a, const Tuple& b, std::index_sequence<I...>) {
  return (Same(std::get<I>(a), std::get<I>(b)) && ...);
}

template <class T>
bool Same(const T& a, const T& b) {
  if constexpr (IsVector<T>::value) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!Same(a[i], b[i])) return false;
    }
    return true;
  } else if constexpr (IsStatusOr<T>::value) {
    if (a.status() != b.status()) return false;
    return !a.ok() || Same(*a, *b);
  } else if constexpr (IsVariant<T>::value) {
    if (a.index() != b.index()) return false;
    return std::visit(
        [&](const auto& x) { return Same(x, std::get<std::decay_t<decltype(x)>>(b)); }, a);
  } else if constexpr (HasMembers<const T>) {
    const auto fa = Members(a);
    const auto fb = Members(b);
    return SameFields(fa, fb, std::make_index_sequence<std::tuple_size_v<decltype(fa)>>());
  } else if constexpr (std::is_same_v<T, double>) {
    return a == b && std::signbit(a) == std::signbit(b);
  } else {
    return a == b;
  }
}

// ---- round trips -----------------------------------------------------------------------

RC_GTEST_PROP(TraceCodecTest, StepRoundTripsExactly, ()) {
  const auto step = Any<TraceStep>();
  const std::string line = EncodeStep(step);
  RC_ASSERT(line.find('\n') == std::string::npos);
  const absl::StatusOr<TraceStep> decoded = DecodeStep(line);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(Same(*decoded, step));
  RC_ASSERT(EncodeStep(*decoded) == line);
}

RC_GTEST_PROP(TraceCodecTest, HeaderRoundTripsExactly, ()) {
  auto header = Any<TraceHeader>();
  header.version = kTraceVersion;
  const std::string line = EncodeHeader(header);
  RC_ASSERT(line.find('\n') == std::string::npos);
  const absl::StatusOr<TraceHeader> decoded = DecodeHeader(line);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(Same(*decoded, header));
  RC_ASSERT(EncodeHeader(*decoded) == line);
}

// The b64 fallback is needed exactly when nlohmann refuses the bytes; were our check
// laxer than nlohmann's, Encode would meet an exception.
RC_GTEST_PROP(TraceCodecTest, Utf8CheckAgreesWithNlohmann, ()) {
  const std::string s = *rc::gen::oneOf(Bytes(), Text());
  bool dumps = true;
  try {
    (void)Json(s).dump();
  } catch (const Json::type_error&) {
    dumps = false;
  }
  RC_ASSERT(IsValidUtf8(s) == dumps);
}

TEST(TraceCodecTest, Utf8EdgeCases) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"", true},
      {"\0"s, true},
      {"\x7f", true},
      {"\xc2\x80", true},               // U+0080, the first 2-byte code point
      {"\xc1\xbf", false},              // overlong U+007F
      {"\xe0\x9f\xbf", false},          // overlong U+07FF
      {"\xed\x9f\xbf", true},           // U+D7FF, just below the surrogates
      {"\xed\xa0\x80", false},          // U+D800, a surrogate
      {"\xed\xbf\xbf", false},          // U+DFFF
      {"\xee\x80\x80", true},           // U+E000
      {"\xf0\x8f\xbf\xbf", false},      // overlong U+FFFF
      {"\xf4\x8f\xbf\xbf", true},       // U+10FFFF
      {"\xf4\x90\x80\x80", false},      // above U+10FFFF
      {"\xf8\x88\x80\x80\x80", false},  // 5-byte form
      {"\xe2\x82", false},              // truncated
      {"\x80", false},                  // lone continuation
      {"\xe2\x82\xac", true},           // €
  };
  for (const auto& [bytes, valid] : cases) {
    EXPECT_EQ(IsValidUtf8(bytes), valid) << absl::CEscape(bytes);
    bool dumps = true;
    try {
      (void)Json(bytes).dump();
    } catch (const Json::type_error&) {
      dumps = false;
    }
    EXPECT_EQ(dumps, valid) << absl::CEscape(bytes);
  }
}

// Damaged lines are errors, never exceptions or crashes.
RC_GTEST_PROP(TraceCodecTest, DamagedLinesNeverThrow, ()) {
  const std::string line = EncodeStep(Any<TraceStep>());
  std::string damaged = line.substr(0, *rc::gen::inRange<size_t>(0, line.size()));
  RC_ASSERT(!DecodeStep(damaged).ok());  // any proper prefix is incomplete JSON
  damaged = line;
  const size_t at = *rc::gen::inRange<size_t>(0, line.size());
  damaged[at] = *rc::gen::cast<char>(rc::gen::inRange(0, 256));
  (void)DecodeStep(damaged);  // ok or not, but returns
  (void)DecodeHeader(damaged);
}

// ---- fixtures ----------------------------------------------------------------------------

core::RemoteRef Remote() {
  return {
      .repo_config = {"team", "repo"}, .url = kUrl, .secret = {"team", "creds"}, .branch = "main"};
}

core::FileChange HostileChange() {
  return {.path = "clusters/a/v1/configmaps/team/x.yaml",
          .op = core::ChangeOp::kCreate,
          .content = "data: \"\xff\xfe\0\n\""s,
          .message = "nul\0inside"s,
          .author = "system:serviceaccount:team:\xc0\x80",
          .destination = {"team", "a"}};
}

core::RepoConfig MakeRepoConfig() {
  return {.key = {"team", "repo"},
          .generation = 1,
          .resource_version = "1",
          .spec = {.repo_url = kUrl,
                   .repo_url_had_credentials = false,
                   .allowed_branches = {"*"},
                   .secret_name = "",
                   .push = {}}};
}

core::Destination MakeDestination(const std::string& name, absl::Time created) {
  return {.key = {"team", name},
          .uid = "uid-" + name,
          .generation = 1,
          .resource_version = "1",
          .creation_time = created,
          .spec = {.repo_ref = {"", "repo"}, .branch = "main", .base_folder = "clusters/" + name}};
}

core::DestinationStatus SomeStatus() {
  return {.conditions = {{.type = "Ready",
                          .status = core::ConditionStatus::kTrue,
                          .reason = "Synced",
                          .message = "ok",
                          .observed_generation = 1,
                          .last_transition_time = absl::FromUnixSeconds(5)}},
          .observed_generation = 1,
          .branch_exists = true,
          .last_commit_sha = "abc",
          .last_sync_time = absl::FromUnixSeconds(5)};
}

// A step around `input` with one FetchMetadata and one WriteStatus effect.
TraceStep StepWith(core::Input input) {
  return {.step = 1,
          .at = absl::FromUnixSeconds(10),
          .input = std::move(input),
          .effects =
              {core::FetchMetadata{
                   .request = 1, .remote = Remote(), .known_tip = "", .timeout = absl::Seconds(20)},
               core::WriteStatus{.request = 2,
                                 .target = {core::ResourceKind::kGitDestination, {"team", "a"}},
                                 .resource_version = "7",
                                 .status = SomeStatus()}},
          .wake_at = absl::FromUnixSeconds(20),
          .state_hash = 1};
}

// ---- encodings ---------------------------------------------------------------------------

TEST(TraceCodecTest, InvalidUtf8IsBase64AndValidUtf8IsAString) {
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
TEST(TraceCodecTest, GoldenStep) {
  const TraceStep step{
      .step = 17,
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
            R"("type":"MetadataFetched"},)"
            R"("state_hash":"000000000000002a","step":17,"wake_at":"+inf"})");
}

// Where a Git effect goes, what a push and a status write answer, and the lease.
TEST(TraceCodecTest, GoldenRemotesOutcomesAndLeases) {
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

core::ResourceId SomeConfigMap() {
  return {
      .group = "", .version = "v1", .resource = "configmaps", .namespace_ = "prod", .name = "cm"};
}

core::WatchRule SomeRule() {
  return {.key = {"", "capture-a"},
          .generation = 2,
          .resource_version = "9",
          .destination_ref = {"team", "a"},
          .rules = {{.operations = {"*"},
                     .api_groups = {""},
                     .api_versions = {},
                     .resources = {"configmaps"},
                     .scope = "Namespaced"}}};
}

// Version 4: object changes as the watch delivers them, watch rules, discovery, watches,
// and what a resync lists.
TEST(TraceCodecTest, GoldenObjectChangesRulesDiscoveryAndWatches) {
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
            R"("resources":["configmaps"],"scope":"Namespaced"}]},"type":"WatchRuleObserved"})");
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

TEST(TraceCodecTest, GoldenHeader) {
  TraceHeader header;
  header.seed = 7;
  header.command = "gitdest-sim run --seed=7";
  const std::string line = EncodeHeader(header);
  EXPECT_TRUE(line.starts_with(R"({"command":"gitdest-sim run --seed=7","epoch":0,)"
                               R"("format":"gitdest-trace","options":{)"))
      << line;
  EXPECT_TRUE(Contains(line, R"("invalid_spec_requeue":120000000000,)"));
  EXPECT_TRUE(Contains(line, R"("requeue_jitter_fraction":0.1,)"));
  EXPECT_TRUE(Contains(line, R"("max_pending_changes":10000,)"));
  EXPECT_TRUE(Contains(line, R"(},"seed":7,"version":5})"));
}

TEST(TraceCodecTest, SpecialValuesRoundTrip) {
  TraceHeader header;
  header.options.requeue_jitter_fraction = std::nan("");
  header.options.read_timeout = absl::InfiniteDuration();
  header.options.push_timeout = absl::Nanoseconds(-1);
  header.seed = ~uint64_t{0};  // beyond 2^53: exact only as an integer token
  header.epoch = ~uint32_t{0};
  const std::string line = EncodeHeader(header);
  EXPECT_TRUE(Contains(line, R"("requeue_jitter_fraction":"nan")"));
  EXPECT_TRUE(Contains(line, R"("read_timeout":"+inf")"));
  EXPECT_TRUE(Contains(line, R"("seed":18446744073709551615)"));
  const absl::StatusOr<TraceHeader> decoded = DecodeHeader(line);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(std::isnan(decoded->options.requeue_jitter_fraction));
  EXPECT_EQ(decoded->options.read_timeout, absl::InfiniteDuration());
  EXPECT_EQ(decoded->options.push_timeout, absl::Nanoseconds(-1));
  EXPECT_EQ(decoded->seed, ~uint64_t{0});
  EXPECT_EQ(decoded->epoch, ~uint32_t{0});
}

// A value outside its enum (memory gone wrong) neither crashes the encoder nor decodes.
TEST(TraceCodecTest, EnumOutsideItsRangeDoesNotDecode) {
  core::PushResult result;
  result.outcome = static_cast<core::PushResult::Outcome>(7);
  const std::string line =
      EncodeStep(StepWith(core::PushCompleted{.request = 1, .result = result}));
  EXPECT_TRUE(Contains(line, R"("outcome":"invalid enumerator 7")"));
  EXPECT_TRUE(Contains(DecodeStep(line).status().message(),
                       R"(input.result.ok.outcome: unknown value "invalid enumerator 7")"));
}

// ---- strict decoding ---------------------------------------------------------------------

Json ValidStepJson(core::Input input) {
  return Json::parse(EncodeStep(StepWith(std::move(input))));
}

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

// ---- replay ------------------------------------------------------------------------------

// Drives a real core through a small scenario and records every Handle call, as the
// simulator does. Answers to WriteStatus and ResyncDestination ("chores") are fed
// back by AnswerChores; the scenario answers reads and pushes itself.
class Recorder {
 public:
  explicit Recorder(core::ControllerOptions options = {})
      : header_{.seed = 1, .command = "trace_test", .options = options},
        controller_(options, header_.epoch) {
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

}  // namespace
}  // namespace gitdest::trace
