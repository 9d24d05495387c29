#include "core/naming/branch_name.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gitdest::core {
namespace {

// Every row was checked against `git check-ref-format --branch` (git 2.39).
TEST(ValidateBranchNameTest, AcceptsWhatGitAccepts) {
  const std::vector<std::string> valid = {
      "main",
      "a.b",
      "a/b/c",
      "v1.0",
      "@foo",
      "a@b",
      "x@",
      "fix#12",
      "a{b}",
      "a]b",
      "a}b",
      "lock",
      "HEAD/x",
      "x/HEAD",
      "@/x",
      "a/@",
      "a.lock.b",
      "refs/heads/x",
      "release/1.2",
      "\xc3\xbcn\xc3\xaf",
      "a-b",
      "HEADS",
      std::string(255, 'b'),
      absl::StrCat(std::string(255, 'a'), "/", std::string(255, 'b')),
  };
  for (const std::string& branch : valid) {
    SCOPED_TRACE(branch);
    EXPECT_TRUE(ValidateBranchName(branch).ok()) << ValidateBranchName(branch);
  }
}

struct RejectCase {
  std::string branch;
  std::string rule;  // a substring the message must contain
};

TEST(ValidateBranchNameTest, RejectsWhatGitRejectsAndSaysWhy) {
  const std::vector<RejectCase> cases = {
      {"@", "\"@\" alone"},
      {"HEAD", "\"HEAD\" is not a branch"},
      {"-x", "cannot start with \"-\""},
      {"-", "cannot start with \"-\""},
      {".hidden", "starts with \".\""},
      {"a/.b", "component \".b\" starts with \".\""},
      {"...", "\"..\" is not allowed"},
      {"a..b", "\"..\" is not allowed"},
      {"a/..", "\"..\" is not allowed"},
      {"a/b.lock", "ends with \".lock\""},
      {"x.lock", "ends with \".lock\""},
      {".lock", "starts with \".\""},
      {"a.lock/b", "ends with \".lock\""},
      {"a/", "empty path component"},
      {"/a", "empty path component"},
      {"a//b", "empty path component"},
      {"a.", "cannot end with \".\""},
      {"a b", "\" \" is not allowed"},
      {"a~b", "\"~\" is not allowed"},
      {"a^b", "\"^\" is not allowed"},
      {"a:b", "\":\" is not allowed"},
      {"a?b", "\"?\" is not allowed"},
      {"a*b", "\"*\" is not allowed"},
      {"a[b", "\"[\" is not allowed"},
      {"a\\b", "\"\\\\\" is not allowed"},
      {"a\tb", "control character"},
      {"a\x7f", "control character"},
      {std::string("a\0b", 3), "control character"},
      {"a@{b", "\"@{\" is not allowed"},
      {std::string(256, 'a'), "256 bytes long, over the limit of 255"},
      {std::string(1025, 'a'), "over the limit of 1024"},
  };
  for (const RejectCase& c : cases) {
    SCOPED_TRACE(c.branch);
    const absl::Status status = ValidateBranchName(c.branch);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StartsWith(status.message(), "spec.branch \"")) << status.message();
    EXPECT_TRUE(absl::StrContains(status.message(), c.rule)) << status.message();
    EXPECT_TRUE(absl::StrContains(status.message(), "such as \"main\"")) << status.message();
  }
}

TEST(ValidateBranchNameTest, EmptyNameSaysWhatToSet) {
  const absl::Status status = ValidateBranchName("");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "spec.branch is empty; set it to the branch to write, such as \"main\"");
}

TEST(ValidateBranchNameTest, QuotesTheNameReadably) {
  EXPECT_EQ(ValidateBranchName("feature..x").message(),
            "spec.branch \"feature..x\": \"..\" is not allowed; use a name that `git "
            "check-ref-format --branch` accepts, such as \"main\" or \"clusters/prod\"");
  EXPECT_TRUE(absl::StrContains(ValidateBranchName("a\nb").message(), "\"a\\nb\""));
}

struct GlobCase {
  std::string branch;
  std::string pattern;
  bool want;
};

TEST(BranchMatchesGlobTest, Table) {
  const std::vector<GlobCase> cases = {
      {"main", "main", true},
      {"main", "mainx", false},
      {"mainx", "main", false},
      {"main", "MAIN", false},
      {"feature/x", "feature/*", true},
      {"feature/", "feature/*", true},
      {"feature/x/y", "feature/*", false},
      {"feature/x/y", "feature/**", true},
      {"feature", "feature/**", false},
      {"x", "*", true},
      {"", "*", true},
      {"x/y", "*", false},
      {"x/y", "**", true},
      {"x/y", "*/*", true},
      {"a/b", "a/**/b", true},
      {"a/x/y/b", "a/**/b", true},
      {"a/xb", "a/**/b", false},
      {"a/b", "**/b", true},
      {"b", "**/b", true},
      {"xb", "**/b", false},
      {"a/b", "a***b", true},
      {"release-1", "release-?", true},
      {"release-12", "release-?", false},
      {"release/1", "release?1", false},
      {"v1", "v[0-9]", true},
      {"va", "v[0-9]", false},
      {"v1", "v[!0-9]", false},
      {"va", "v[!0-9]", true},
      {"va", "v[^0-9]", true},
      {"]", "[]]", true},
      {"a", "[]a]", true},
      {"]", "[!]]", false},
      {"x", "[!]]", true},
      {"-", "[a-]", true},
      {"b", "[a-]", false},
      {"[", "[", true},
      {"a[b", "a[b", true},
      {"a/b", "a[/]b", false},
      {"a/b", "a?b", false},
      {"a/b", "a[!x]b", false},
      {"rel/v2", "rel/v[12]*", true},
  };
  for (const GlobCase& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.branch, " ~ ", c.pattern));
    EXPECT_EQ(BranchMatchesGlob(c.branch, c.pattern), c.want);
  }
}

// Where the reference controller's matcher (Go's filepath.Match) differs, these pin
// what we chose and why (core/naming/branch_name.h).
TEST(BranchMatchesGlobTest, DecisionsWhereTheReferenceMatcherDiffers) {
  const std::vector<GlobCase> cases = {
      // `*` stays within a segment, as in the reference.
      {"release-1", "release-*", true},
      {"release-1/x", "release-*", false},
      {"feature/a/b", "feature/*", false},
      // `**` crosses `/`: "any depth under feature/" (the reference reads it as `*`).
      {"feature/a", "feature/**", true},
      {"feature/a/b", "feature/**", true},
      {"feature/a/b/c", "feature/**", true},
      {"release/v1/hotfix", "release/**/hotfix", true},
      {"featurex/a", "feature/**", false},
      // `[!...]` negates as `[^...]` does (the reference reads `!` as a member).
      {"bcd", "[!a]*", true},
      {"abc", "[!a]*", false},
      {"bcd", "[^a]*", true},
      {"abc", "[^a]*", false},
      {"env/prod", "env/[!d]*", true},
      {"env/dev", "env/[!d]*", false},
      // A class, negated too, never matches `/` (the reference's `[^a]` does).
      {"x/y", "x[^a]y", false},
      {"x/y", "x[!a]y", false},
      // No escapes: `\` is literal, and no branch contains it (the reference escapes).
      {"main", "ma\\in", false},
  };
  for (const GlobCase& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.branch, " ~ ", c.pattern));
    EXPECT_EQ(BranchMatchesGlob(c.branch, c.pattern), c.want);
  }
}

TEST(BranchMatchesGlobTest, NoExponentialBacktracking) {
  const std::string branch(2000, 'a');
  std::string pattern;
  for (int i = 0; i < 100; ++i) absl::StrAppend(&pattern, "*a**");
  absl::StrAppend(&pattern, "b");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(BranchMatchesGlob(branch, pattern));
  EXPECT_TRUE(BranchMatchesGlob(absl::StrCat(branch, "b"), pattern));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(ValidateBranchGlobTest, AcceptsWellFormedPatterns) {
  for (const std::string pattern :
       {"main", "release/*", "feature/**", "[a-z]*", "[]]", "[!]]", "v[0-9]", "[a-]", "?"}) {
    SCOPED_TRACE(pattern);
    EXPECT_TRUE(ValidateBranchGlob(pattern, 0).ok()) << ValidateBranchGlob(pattern, 0);
  }
}

TEST(ValidateBranchGlobTest, RejectsMalformedPatternsNamingTheIndex) {
  const std::vector<RejectCase> cases = {
      {"", "the pattern is empty"},
      {"release/[", "\"[\" at byte 8 has no closing \"]\""},
      {"[]", "has no closing"},
      {"[!]", "has no closing"},
      {"ok[a]x[", "at byte 6"},
      {"[z-a]", "runs backwards"},
      {std::string(1025, '*'), "over the limit of 1024"},
  };
  for (const RejectCase& c : cases) {
    SCOPED_TRACE(c.branch);
    const absl::Status status = ValidateBranchGlob(c.branch, 3);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StartsWith(status.message(), "spec.allowedBranches[3] ")) << status.message();
    EXPECT_TRUE(absl::StrContains(status.message(), c.rule)) << status.message();
    EXPECT_TRUE(absl::StrContains(status.message(), "\"release/*\"")) << status.message();
  }
}

// ---- Properties ----

// A straightforward recursive matcher: exponential, but obviously right on small
// inputs, and written independently of the table-driven implementation.
bool ReferenceMatch(const std::string& s, size_t si, const std::string& p, size_t pi) {
  if (pi == p.size()) return si == s.size();
  if (p.compare(pi, 3, "**/") == 0) {
    if (ReferenceMatch(s, si, p, pi + 3)) return true;  // no directory at all
    for (size_t k = si; k < s.size(); ++k) {
      if (s[k] == '/' && ReferenceMatch(s, k + 1, p, pi + 3)) return true;
    }
    return false;
  }
  if (p.compare(pi, 2, "**") == 0) {
    for (size_t k = si; k <= s.size(); ++k) {
      if (ReferenceMatch(s, k, p, pi + 2)) return true;
    }
    return false;
  }
  if (p[pi] == '*') {
    for (size_t k = si; k <= s.size(); ++k) {
      if (ReferenceMatch(s, k, p, pi + 1)) return true;
      if (k < s.size() && s[k] == '/') break;
    }
    return false;
  }
  if (si == s.size()) return false;
  if (p[pi] == '?') return s[si] != '/' && ReferenceMatch(s, si + 1, p, pi + 1);
  if (p.compare(pi, 4, "[ab]") == 0) {
    return (s[si] == 'a' || s[si] == 'b') && ReferenceMatch(s, si + 1, p, pi + 4);
  }
  if (p.compare(pi, 4, "[!a]") == 0) {
    return s[si] != 'a' && s[si] != '/' && ReferenceMatch(s, si + 1, p, pi + 4);
  }
  return s[si] == p[pi] && ReferenceMatch(s, si + 1, p, pi + 1);
}

// The documented rule the reference does not model: a run of two or more stars is `**`.
std::string CollapseStars(const std::string& pattern) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const bool third_star =
        pattern[i] == '*' && out.size() >= 2 && out.compare(out.size() - 2, 2, "**") == 0;
    if (!third_star) out.push_back(pattern[i]);
  }
  return out;
}

RC_GTEST_PROP(BranchGlobProperty, AgreesWithReferenceMatcher, ()) {
  const std::string branch =
      *rc::gen::resize(10, rc::gen::container<std::string>(rc::gen::element('a', 'b', 'c', '/')));
  const std::vector<std::string> pieces = *rc::gen::resize(
      8, rc::gen::container<std::vector<std::string>>(
             rc::gen::element<std::string>("a", "b", "/", "*", "**", "**/", "?", "[ab]", "[!a]")));
  const std::string pattern = absl::StrJoin(pieces, "");
  RC_ASSERT(BranchMatchesGlob(branch, pattern) ==
            ReferenceMatch(branch, 0, CollapseStars(pattern), 0));
}

rc::Gen<std::string> BranchLike() {
  const std::vector<std::string> pieces = {"a",  "b",  "Z",  "0",  "-",     "_",    "/", ".",
                                           "..", "@",  "{",  "@{", ".lock", " ",    "~", ":",
                                           "[",  "\\", "\n", "*",  "?",     "HEAD", "-"};
  return rc::gen::oneOf(
      rc::gen::map(rc::gen::container<std::vector<std::string>>(rc::gen::elementOf(pieces)),
                   [](const std::vector<std::string>& p) { return absl::StrJoin(p, ""); }),
      rc::gen::arbitrary<std::string>());
}

RC_GTEST_PROP(BranchNameProperty, EveryErrorNamesTheField, ()) {
  const absl::Status status = ValidateBranchName(*BranchLike());
  if (status.ok()) return;
  RC_ASSERT(status.code() == absl::StatusCode::kInvalidArgument);
  RC_ASSERT(absl::StartsWith(status.message(), "spec.branch "));
}

// Names git accepts: components of safe characters, joined by `/`.
rc::Gen<std::string> ValidBranch() {
  const rc::Gen<std::string> component = rc::gen::map(
      rc::gen::nonEmpty(
          rc::gen::container<std::string>(rc::gen::elementOf(std::string("abcXYZ019-_.@{}#+=,]")))),
      [](std::string c) {
        c.insert(c.begin(), 'c');  // never starts with `.` or `-`
        return c;
      });
  return rc::gen::map(rc::gen::nonEmpty(rc::gen::container<std::vector<std::string>>(component)),
                      [](const std::vector<std::string>& c) { return absl::StrJoin(c, "/"); });
}

RC_GTEST_PROP(BranchNameProperty, ValidNamesMatchThemselvesAndDoubleStar, ()) {
  const std::string branch = *ValidBranch();
  RC_PRE(ValidateBranchName(branch).ok());  // rare `..`, `@{`, `.lock` or trailing `.`
  RC_ASSERT(BranchMatchesGlob(branch, branch));
  RC_ASSERT(BranchMatchesGlob(branch, "**"));
  RC_ASSERT(BranchMatchesGlob(branch, "*") == !absl::StrContains(branch, '/'));
}

RC_GTEST_PROP(BranchGlobProperty, EveryErrorNamesTheIndexedField, (int index)) {
  const std::string pattern = *BranchLike();
  const absl::Status status = ValidateBranchGlob(pattern, index);
  if (status.ok()) return;
  RC_ASSERT(absl::StartsWith(status.message(), absl::StrCat("spec.allowedBranches[", index, "] ")));
}

}  // namespace
}  // namespace gitdest::core
