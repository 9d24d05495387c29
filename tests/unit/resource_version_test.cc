// Ordering an object's versions (core/resource_version.h): etcd's plain revisions are
// read without the general parser, and must order exactly as it orders them.
#include "core/resource_version.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "gtest/gtest.h"

namespace gitdest::core {
namespace {

bool OlderAsParsed(absl::string_view a, absl::string_view b) {
  uint64_t x = 0;
  uint64_t y = 0;
  return absl::SimpleAtoi(a, &x) && absl::SimpleAtoi(b, &y) && x < y;
}

TEST(ResourceVersionOlder, RevisionsOrderByValueNotSpelling) {
  EXPECT_TRUE(ResourceVersionOlder("9", "10"));
  EXPECT_FALSE(ResourceVersionOlder("10", "9"));
  EXPECT_FALSE(ResourceVersionOlder("42", "42"));
  EXPECT_TRUE(ResourceVersionOlder("007", "8"));  // leading zeros: the same number
  EXPECT_TRUE(ResourceVersionOlder("9999999999999999999", "18446744073709551615"));
}

TEST(ResourceVersionOlder, AnOpaqueOrEmptyVersionIsNeverOlder) {
  for (const char* opaque : {"", "abc", "12a", "-1", "18446744073709551616"}) {
    EXPECT_FALSE(ResourceVersionOlder(opaque, "5")) << opaque;
    EXPECT_FALSE(ResourceVersionOlder("5", opaque)) << opaque;
  }
}

// Every pair of a set of spellings (plain, padded, signed, spaced, at and past the
// limits of 19 and 20 digits) orders as absl::SimpleAtoi's values order.
TEST(ResourceVersionOlder, AgreesWithTheGeneralParserOnEveryPair) {
  const std::vector<std::string> spellings = {"",
                                              "0",
                                              "1",
                                              "9",
                                              "10",
                                              "01",
                                              "+5",
                                              " 5",
                                              "5 ",
                                              "-0",
                                              "1e3",
                                              "0x10",
                                              "99",
                                              "100",
                                              "4294967296",
                                              "9999999999999999999",
                                              "10000000000000000000",
                                              "18446744073709551615",
                                              "18446744073709551616",
                                              "00000000000000000001",
                                              "abc"};
  for (const std::string& a : spellings) {
    for (const std::string& b : spellings) {
      EXPECT_EQ(ResourceVersionOlder(a, b), OlderAsParsed(a, b)) << "'" << a << "' < '" << b << "'";
    }
  }
}

}  // namespace
}  // namespace gitdest::core
