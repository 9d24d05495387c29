#include "core/naming/base_folder.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/naming/path_bytes.h"

namespace gitdest::core {
namespace {

struct FolderCase {
  std::string input;
  std::string want;
};

TEST(NormalizeBaseFolderTest, CanonicalForms) {
  const std::vector<FolderCase> cases = {
      {"clusters/prod", "clusters/prod"},
      {"clusters/prod/", "clusters/prod"},
      {"clusters/./prod", "clusters/prod"},
      {"./clusters/prod", "clusters/prod"},
      {"clusters/prod/.", "clusters/prod"},
      {"./././clusters/./././prod/./", "clusters/prod"},
      {"foo..bar", "foo..bar"},
      {"a/foo..bar/b", "a/foo..bar/b"},
      {"...", "..."},
      {"..a/b..", "..a/b.."},
      {".hidden/.config", ".hidden/.config"},
      {".gitignore-like/.github", ".gitignore-like/.github"},
      {"Clusters/Prod", "Clusters/Prod"},
      {"clusters/pr\xc3\xb6"
       "d",
       "clusters/pr\xc3\xb6"
       "d"},
      {"with space/x", "with space/x"},
      {std::string(255, 'a'), std::string(255, 'a')},
  };
  for (const FolderCase& c : cases) {
    SCOPED_TRACE(c.input);
    const absl::StatusOr<std::string> got = NormalizeBaseFolder(c.input);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, c.want);
    EXPECT_EQ(IsNormalFolder(c.input), c.input == c.want);
    EXPECT_TRUE(IsNormalFolder(c.want));
  }
}

TEST(NormalizeBaseFolderTest, DotSpellingsShareOneIdentity) {
  EXPECT_EQ(NormalizeBaseFolder("clusters/./prod").value_or("<error>"),
            NormalizeBaseFolder("clusters/prod").value_or("<other error>"));
}

TEST(NormalizeBaseFolderTest, MessageNamesFieldAndFix) {
  EXPECT_EQ(NormalizeBaseFolder("../x").status().message(),
            "spec.baseFolder \"../x\": segment \"..\" is not allowed; use a path inside the "
            "repository such as \"clusters/prod\"");
}

struct RejectCase {
  std::string input;
  std::string problem;  // a substring the message must contain
};

TEST(NormalizeBaseFolderTest, RejectsUnsafeFolders) {
  const std::vector<RejectCase> cases = {
      {"", "spec.baseFolder is empty; the repository root is not allowed"},
      {".", "names the repository root"},
      {"./", "names the repository root"},
      {"./.", "names the repository root"},
      {"/abs", "absolute paths are not allowed"},
      {"/", "absolute paths are not allowed"},
      {"..", "segment \"..\" is not allowed"},
      {"../x", "segment \"..\" is not allowed"},
      {"a/../b", "segment \"..\" is not allowed"},
      {"a/..", "segment \"..\" is not allowed"},
      {"a//b", "empty segment"},
      {"a//", "empty segment"},
      {".//a", "empty segment"},
      {"a\\b", "backslash"},
      {"..\\x", "backslash"},
      {std::string("a\0b", 3), "control characters"},
      {"a\nb", "control characters"},
      {"a\x7f", "control characters"},
      {".git", "segment \".git\""},
      {"a/.GIT/b", "segment \".git\""},
      {"a/.Git", "segment \".git\""},
      {"  clusters/prod  ", "segment \"  clusters\" starts or ends with whitespace"},
      {"clusters/prod ", "segment \"prod \" starts or ends with whitespace"},
      {"clusters /prod", "segment \"clusters \" starts or ends with whitespace"},
      {"a/ /b", "segment \" \" starts or ends with whitespace"},
      {" /x", "segment \" \" starts or ends with whitespace"},
      {"x/ ", "segment \" \" starts or ends with whitespace"},
      {"a/\tb", "control characters"},
      {std::string(256, 'a'), "256 bytes long, over the limit of 255"},
      {std::string(1025, 'a'), "1025 bytes long, over the limit of 1024"},
  };
  for (const RejectCase& c : cases) {
    SCOPED_TRACE(c.input);
    const absl::StatusOr<std::string> got = NormalizeBaseFolder(c.input);
    ASSERT_FALSE(got.ok()) << *got;
    EXPECT_FALSE(IsNormalFolder(c.input));
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    const std::string message(got.status().message());
    EXPECT_TRUE(absl::StartsWith(message, "spec.baseFolder")) << message;
    EXPECT_TRUE(absl::StrContains(message, c.problem)) << message;
    EXPECT_TRUE(
        absl::EndsWith(message, "use a path inside the repository such as \"clusters/prod\""))
        << message;
    EXPECT_LT(message.size(), 400u);
  }
}

struct OverlapCase {
  std::string a;
  std::string b;
  bool want;
};

TEST(FoldersOverlapTest, WholeSegmentsOnly) {
  const std::vector<OverlapCase> cases = {
      {"a/b", "a/bc", false},
      {"a/b", "a/b/c", true},
      {"a/b", "a/b", true},
      {"a", "b", false},
      {"a", "ab", false},
      {"a/b/c", "a/b", true},
      {"clusters/prod", "clusters/prod-eu", false},
      {"clusters/prod", "clusters/prod/eu", true},
      {"clusters", "clusters/prod/eu", true},
      {"b/a", "a", false},
      {"", "x", true},
      {"", "", true},
  };
  for (const OverlapCase& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.a, " vs ", c.b));
    EXPECT_EQ(FoldersOverlap(c.a, c.b), c.want);
    EXPECT_EQ(FoldersOverlap(c.b, c.a), c.want);
  }
}

// ---- Properties ----

rc::Gen<std::string> FolderLike() {
  const std::vector<std::string> pieces = {"a",    "b",  "clusters", "prod", "/",        "//",
                                           ".",    "..", "./",       "../",  "foo..bar", ".git",
                                           ".GIT", "\\", " ",        "\n",   "x.y",      "-"};
  return rc::gen::oneOf(
      rc::gen::map(rc::gen::container<std::vector<std::string>>(rc::gen::elementOf(pieces)),
                   [](const std::vector<std::string>& p) { return absl::StrJoin(p, ""); }),
      rc::gen::arbitrary<std::string>());
}

rc::Gen<std::string> ValidFolder() {
  return rc::gen::map(
      rc::gen::nonEmpty(rc::gen::container<std::vector<std::string>>(
          rc::gen::element<std::string>("a", "clusters", "prod", "foo..bar", "x.y", "-", "..."))),
      [](const std::vector<std::string>& p) { return absl::StrJoin(p, "/"); });
}

RC_GTEST_PROP(BaseFolderProperty, NormalizationIsIdempotentAndSafe, ()) {
  const std::string input = *FolderLike();
  const absl::StatusOr<std::string> once = NormalizeBaseFolder(input);
  RC_CLASSIFY(once.ok());
  if (!once.ok()) return;
  const absl::StatusOr<std::string> twice = NormalizeBaseFolder(*once);
  RC_ASSERT(twice.ok());
  RC_ASSERT(*twice == *once);
  RC_ASSERT(!once->empty());
  RC_ASSERT(once->front() != '/');
  for (const absl::string_view segment : absl::StrSplit(*once, '/')) {
    RC_ASSERT(!segment.empty());
    RC_ASSERT(segment != ".");
    RC_ASSERT(segment != "..");
    RC_ASSERT(!absl::ascii_isspace(static_cast<unsigned char>(segment.front())));
    RC_ASSERT(!absl::ascii_isspace(static_cast<unsigned char>(segment.back())));
  }
}

RC_GTEST_PROP(BaseFolderProperty, IsNormalFolderExactlyWhenNormalizationKeepsIt, ()) {
  const std::string input = *rc::gen::oneOf(FolderLike(), ValidFolder());
  const absl::StatusOr<std::string> normalized = NormalizeBaseFolder(input);
  RC_CLASSIFY(normalized.ok() && *normalized == input);
  RC_ASSERT(IsNormalFolder(input) == (normalized.ok() && *normalized == input));
}

RC_GTEST_PROP(BaseFolderProperty, EveryErrorNamesTheField, ()) {
  const absl::StatusOr<std::string> result = NormalizeBaseFolder(*FolderLike());
  if (result.ok()) return;
  RC_ASSERT(result.status().code() == absl::StatusCode::kInvalidArgument);
  RC_ASSERT(absl::StartsWith(result.status().message(), "spec.baseFolder "));
}

RC_GTEST_PROP(BaseFolderProperty, OverlapIsSymmetricAndReflexive, ()) {
  const std::string a = *FolderLike();
  const std::string b =
      *rc::gen::oneOf(FolderLike(), rc::gen::just(a + "/x"), rc::gen::just(a + "x"));
  RC_ASSERT(FoldersOverlap(a, b) == FoldersOverlap(b, a));
  RC_ASSERT(FoldersOverlap(a, a));
}

RC_GTEST_PROP(BaseFolderProperty, ChildOverlapsButSiblingWithSamePrefixDoesNot, ()) {
  const absl::StatusOr<std::string> parent = NormalizeBaseFolder(*ValidFolder());
  RC_ASSERT(parent.ok());
  const std::string tail = *rc::gen::nonEmpty(
      rc::gen::container<std::string>(rc::gen::element('a', 'b', '-', '.', '_')));
  RC_ASSERT(FoldersOverlap(*parent, absl::StrCat(*parent, "/", tail)));
  RC_ASSERT(!FoldersOverlap(*parent, absl::StrCat(*parent, tail)));
}

}  // namespace
}  // namespace gitdest::core

namespace gitdest::core {
namespace {

// The word-at-a-time scan against a byte-at-a-time one, over every byte value (the high
// ones of UTF-8 and the bytes next to the bad ones too) at every offset of a word.
RC_GTEST_PROP(PathBytesProperty, FindsExactlyWhatAByteScanFinds, ()) {
  const auto byte = rc::gen::oneOf(
      rc::gen::arbitrary<char>(),
      rc::gen::element('\x1f', '\x20', '\x7e', '\x7f', '\x80', '\\', '/', '.', 'a', '\xff'));
  const std::string s = *rc::gen::container<std::string>(
      rc::gen::weightedOneOf<char>({{8, rc::gen::element('a', 'z', '0', '-', '.')}, {1, byte}}));
  const bool slash = *rc::gen::arbitrary<bool>();
  bool expected = false;
  for (const char c : s) expected |= IsControlOrBackslash(c) || (slash && c == '/');
  RC_CLASSIFY(expected);
  RC_ASSERT(HasControlOrSeparator(s, slash) == expected);
}

}  // namespace
}  // namespace gitdest::core
