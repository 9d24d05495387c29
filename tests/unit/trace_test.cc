// Tests of the trace format (sim/trace.h): every Input and Effect round-trips exactly,
// hostile bytes included; malformed lines fail with the field's path; a trace recorded
// from a real core replays, and tampering with it fails at exactly the tampered step.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <concepts>
#include <cstdio>
#include <fstream>
#include <string>
#include <tuple>
#include <type_traits>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/controller.h"
#include "sim/trace.h"

namespace gitdest::sim {
namespace {

using Json = nlohmann::json;

// Like gmock's HasSubstr (gmock is not a dependency here), with both strings shown.
::testing::AssertionResult Contains(absl::string_view haystack, absl::string_view needle) {
  if (haystack.find(needle) != absl::string_view::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << needle << "\" not in \"" << haystack << "\"";
}

// ---- every struct's fields, unpacked --------------------------------------------------

// Members(v) ties every field of a struct. The structured binding has to name every
// field, so a field added to a core type breaks this test until its generator and
// comparison cover it.
#define GITDEST_MEMBERS(Type, ...)                             \
  template <class T>                                           \
    requires std::same_as<std::remove_const_t<T>, Type>        \
  auto Members(T& v) {                                         \
    auto& [__VA_ARGS__] = v;                                   \
    return std::tie(__VA_ARGS__);                              \
  }

GITDEST_MEMBERS(core::ObjectKey, namespace_, name)
GITDEST_MEMBERS(core::ResourceId, group, version, resource, namespace_, name)
GITDEST_MEMBERS(core::PushSettings, interval, max_commits, max_bytes)
GITDEST_MEMBERS(core::RepoConfigSpec, repo_url, allowed_branches, secret_name, push)
GITDEST_MEMBERS(core::RepoConfig, key, generation, spec)
GITDEST_MEMBERS(core::DestinationSpec, repo_ref, branch, base_folder)
GITDEST_MEMBERS(core::Destination, key, generation, creation_time, spec)
GITDEST_MEMBERS(core::Condition, type, status, reason, message, observed_generation,
                last_transition_time)
GITDEST_MEMBERS(core::DestinationStatus, conditions, observed_generation, branch_exists,
                last_commit_sha, last_sync_time)
GITDEST_MEMBERS(core::PullReport::Head, sha, short_name, unborn)
GITDEST_MEMBERS(core::PullReport, exists_on_remote, head, incoming_changes)
GITDEST_MEMBERS(core::WorkerKey, repo_config, branch)
GITDEST_MEMBERS(core::FileChange, path, op, content, message, author, destination)
GITDEST_MEMBERS(core::ControllerOptions, metadata_cache_ttl, read_timeout, push_timeout,
                read_retry_delay_max, requeue_interval, requeue_jitter_fraction,
                invalid_spec_requeue, status_write_retry_delay, resync_retry_delay,
                push_retry_delay_min, push_retry_delay_max, push_conflict_retries,
                max_pending_changes)
GITDEST_MEMBERS(core::RepoConfigObserved, config)
GITDEST_MEMBERS(core::RepoConfigDeleted, key)
GITDEST_MEMBERS(core::DestinationObserved, destination)
GITDEST_MEMBERS(core::DestinationDeleted, key)
GITDEST_MEMBERS(core::ResourceChanged, destination, resource, op, content, author)
GITDEST_MEMBERS(core::CapturedObject, resource, content, author)
GITDEST_MEMBERS(core::ObjectsListed, destination, objects)
GITDEST_MEMBERS(core::MetadataFetched, request, result)
GITDEST_MEMBERS(core::PushCompleted, request, status, tip)
GITDEST_MEMBERS(core::StatusWritten, destination, status)
GITDEST_MEMBERS(core::ControllerRestarted, epoch)
GITDEST_MEMBERS(core::FetchMetadata, request, worker, repo_url, secret_name)
GITDEST_MEMBERS(core::PushBatch, request, worker, repo_url, secret_name, expected_tip, changes)
GITDEST_MEMBERS(core::WriteStatus, destination, status)
GITDEST_MEMBERS(core::RequeueAfter, destination, delay)
GITDEST_MEMBERS(core::ResyncDestination, destination)
GITDEST_MEMBERS(core::RecordEvent, object, reason, message)
GITDEST_MEMBERS(TraceHeader, version, seed, command, options, epoch)
GITDEST_MEMBERS(TraceStep, step, at, input, effects, wake_at, state_hash)
#undef GITDEST_MEMBERS

// Structs without fields.
template <class T>
  requires std::same_as<std::remove_const_t<T>, core::TimerFired> ||
           std::same_as<std::remove_const_t<T>, core::CacheSynced>
std::tuple<> Members(T&) {
  return {};
}

template <class T>
concept HasMembers = requires(T& v) { Members(v); };

template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};
template <class T>
struct IsStatusOr : std::false_type {};
template <class T>
struct IsStatusOr<absl::StatusOr<T>> : std::true_type {};
template <class T>
struct IsVariant : std::false_type {};
template <class... T>
struct IsVariant<std::variant<T...>> : std::true_type {};

// ---- generators --------------------------------------------------------------------------

// Pieces that break naive encoders: NUL, invalid UTF-8 (lone continuation, overlong
// NUL, surrogate, > U+10FFFF, truncated sequence), quotes, newlines, U+2028, emoji,
// and strings that look like this format's own encodings.
const std::vector<std::string> kFragments = {
    std::string("\0", 1), "\xff", "\x80", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
    "\xe2\x82",           "\"",   "\\",   "\n",       "\r\n",         "\u2028",
    "\xf0\x9f\x92\xa5",   "é",    "+inf", "{\"b64\":\"AA==\"}",       "a",
    "main",               "/",    "",     "\t"};

rc::Gen<std::string> Bytes() {
  return rc::gen::container<std::string>(rc::gen::cast<char>(rc::gen::inRange(0, 256)));
}

rc::Gen<std::string> Text() {
  return rc::gen::weightedOneOf<std::string>(
      {{3, rc::gen::arbitrary<std::string>()},
       {2, Bytes()},
       {4, rc::gen::map(rc::gen::container<std::vector<std::string>>(
                            rc::gen::elementOf(kFragments)),
                        [](const std::vector<std::string>& parts) {
                          return absl::StrJoin(parts, "");
                        })}});
}

absl::Time AnyTime() {
  return *rc::gen::weightedOneOf<absl::Time>(
      {{1, rc::gen::just(absl::InfinitePast())},
       {1, rc::gen::just(absl::InfiniteFuture())},
       {8, rc::gen::map(rc::gen::arbitrary<int64_t>(), absl::FromUnixNanos)}});
}

absl::Duration AnyDuration() {
  return *rc::gen::weightedOneOf<absl::Duration>(
      {{1, rc::gen::just(absl::InfiniteDuration())},
       {1, rc::gen::just(-absl::InfiniteDuration())},
       {8, rc::gen::map(rc::gen::arbitrary<int64_t>(),
                        [](int64_t ns) { return absl::Nanoseconds(ns); })}});
}

absl::Status AnyErrorStatus() {
  const auto code = static_cast<absl::StatusCode>(*rc::gen::inRange(1, 17));
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
    v = static_cast<T>(*rc::gen::inRange(0, 3));
  } else if constexpr (std::is_same_v<T, absl::Time>) {
    v = AnyTime();
  } else if constexpr (std::is_same_v<T, absl::Duration>) {
    v = AnyDuration();
  } else if constexpr (std::is_same_v<T, absl::Status>) {
    v = *rc::gen::arbitrary<bool>() ? absl::OkStatus() : AnyErrorStatus();
  } else if constexpr (IsVector<T>::value) {
    v.resize(*rc::gen::inRange<size_t>(0, 4));
    for (auto& element : v) Fill(element);
  } else if constexpr (IsStatusOr<T>::value) {
    typename T::value_type value;
    Fill(value);
    v = *rc::gen::arbitrary<bool>() ? T(std::move(value)) : T(AnyErrorStatus());
  } else if constexpr (IsVariant<T>::value) {
    FillAlternative(v, *rc::gen::inRange<size_t>(0, std::variant_size_v<T>));
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

core::FileChange HostileChange() {
  return {.path = "clusters/a/v1/configmaps/team/x.yaml",
          .op = core::ChangeOp::kCreate,
          .content = std::string("data: \"\xff\xfe\0\n\"", 14),
          .message = std::string("nul\0inside", 10),
          .author = "system:serviceaccount:team:\xc0\x80",
          .destination = {"team", "a"}};
}

TEST(TraceCodecTest, InvalidUtf8IsBase64AndValidUtf8IsAString) {
  const core::FileChange change = HostileChange();
  const TraceStep step{.step = 3,
                       .at = absl::FromUnixSeconds(1),
                       .input = core::TimerFired{},
                       .effects = {core::PushBatch{.request = 9, .changes = {change}}},
                       .wake_at = absl::InfiniteFuture(),
                       .state_hash = 0xfedcba9876543210};
  const std::string line = EncodeStep(step);
  const Json j = Json::parse(line);
  const Json& encoded = j["effects"][0]["changes"][0];
  EXPECT_EQ(encoded["content"], Json({{"b64", "ZGF0YTogIv/+AAoi"}}));
  EXPECT_EQ(encoded["author"], Json({{"b64", "c3lzdGVtOnNlcnZpY2VhY2NvdW50OnRlYW06wIA="}}));
  EXPECT_EQ(encoded["message"], std::string("nul\0inside", 10));  // NUL is valid UTF-8
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

TEST(TraceCodecTest, GoldenHeader) {
  const TraceHeader header{.seed = 7, .command = "gitdest-sim run --seed=7"};
  const std::string line = EncodeHeader(header);
  EXPECT_TRUE(line.starts_with(R"({"command":"gitdest-sim run --seed=7","epoch":0,)"
                              R"("format":"gitdest-trace","options":{"invalid_spec_requeue":)"
                              R"(120000000000,)"))
      << line;
  EXPECT_TRUE(Contains(line, R"("requeue_jitter_fraction":0.1,)"));
  EXPECT_TRUE(Contains(line, R"("max_pending_changes":10000,)"));
  EXPECT_TRUE(Contains(line, R"(},"seed":7,"version":1})"));
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

}  // namespace
}  // namespace gitdest::sim
