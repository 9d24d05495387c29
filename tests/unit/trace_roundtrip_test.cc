// The trace codec (adapters/trace/trace_file.h) round-trips every Input, Effect and header
// exactly, hostile bytes and special values included; damaged lines are errors, never
// crashes.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <string>

#include "absl/strings/escaping.h"
#include "adapters/trace/trace_file.h"
#include "adapters/trace/utf8.h"
#include "tests/unit/trace_fixtures.h"
#include "tests/unit/trace_generators.h"

namespace gitdest::trace {
namespace {

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
  if (header.epochs.empty()) header.epochs = {0};  // a trace has one replica at least
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

TEST(TraceCodecTest, SpecialValuesRoundTrip) {
  TraceHeader header;
  header.options.requeue_jitter_fraction = std::nan("");
  header.options.read_timeout = absl::InfiniteDuration();
  header.options.push_timeout = absl::Nanoseconds(-1);
  header.seed = ~uint64_t{0};  // beyond 2^53: exact only as an integer token
  header.epochs = {~uint32_t{0}, 1};
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
  EXPECT_EQ(decoded->epochs, (std::vector<uint32_t>{~uint32_t{0}, 1}));
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

}  // namespace
}  // namespace gitdest::trace
