#include "core/naming/identity.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"

namespace gitdest::core {
namespace {

using std::string_literals::operator""s;

// FIPS 180-2 / NIST known-answer vectors.
TEST(Sha256HexTest, KnownAnswers) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256HexTest, HashesEveryByteIncludingNul) {
  EXPECT_EQ(Sha256Hex("\0"s), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  EXPECT_NE(Sha256Hex("a\0b"s), Sha256Hex("a"));
}

TEST(DestinationIdentityTest, IsTheHashOfTheNulJoinedTriple) {
  EXPECT_EQ(DestinationIdentity("https://github.com/org/repo", "main", "clusters/prod"),
            Sha256Hex("https://github.com/org/repo\0main\0clusters/prod"s));
}

TEST(DestinationIdentityTest, ConcatenationCannotCollide) {
  const std::string url = "https://h/r";
  EXPECT_NE(DestinationIdentity(url, "a/b", "c"), DestinationIdentity(url, "a", "b/c"));
  EXPECT_NE(DestinationIdentity(url, "ab", "c"), DestinationIdentity(url, "a", "bc"));
  EXPECT_NE(DestinationIdentity("https://h/r/main", "x", "f"),
            DestinationIdentity("https://h/r", "main/x", "f"));
  EXPECT_NE(DestinationIdentity(url, "main", "f"), DestinationIdentity(url, "f", "main"));
}

TEST(DestinationIdentityTest, IsDeterministic) {
  EXPECT_EQ(DestinationIdentity("u", "b", "f"), DestinationIdentity("u", "b", "f"));
}

// ---- Properties ----

bool IsLowerHex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

rc::Gen<std::string> Part() {
  // A tiny alphabet with the separators that could cause concatenation collisions.
  return rc::gen::container<std::string>(rc::gen::element('a', 'b', '/', ':', '.'));
}

RC_GTEST_PROP(IdentityProperty, DistinctTriplesHaveDistinctIdentities, ()) {
  const auto first = std::make_tuple(*Part(), *Part(), *Part());
  const auto second = std::make_tuple(*Part(), *Part(), *Part());
  RC_PRE(first != second);
  RC_ASSERT(DestinationIdentity(std::get<0>(first), std::get<1>(first), std::get<2>(first)) !=
            DestinationIdentity(std::get<0>(second), std::get<1>(second), std::get<2>(second)));
}

RC_GTEST_PROP(IdentityProperty, AlwaysLowerCaseHexOf64Digits, (const std::string& bytes)) {
  RC_ASSERT(IsLowerHex64(Sha256Hex(bytes)));
  RC_ASSERT(IsLowerHex64(DestinationIdentity(bytes, bytes, bytes)));
}

}  // namespace
}  // namespace gitdest::core
