#include "core/naming/branch_name.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "core/naming/repo_url.h"

namespace gitdest::core {
namespace {

constexpr size_t kNpos = absl::string_view::npos;
constexpr size_t kMaxBranchBytes = 1024;
constexpr size_t kMaxComponentBytes = 255;
constexpr size_t kMaxGlobBytes = 1024;

absl::Status BranchError(absl::string_view branch, absl::string_view rule) {
  return absl::InvalidArgumentError(
      absl::StrCat("spec.branch ", QuoteForMessage(branch), ": ", rule,
                   "; use a name that `git check-ref-format --branch` accepts, such as "
                   "\"main\" or \"clusters/prod\""));
}

// The characters git forbids anywhere in a ref name (besides `..`, `@{`, `//`).
absl::Status CheckBranchCharacters(absl::string_view branch) {
  for (const char c : branch) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      return BranchError(branch, "a control character is not allowed");
    }
    if (c == ' ' || c == '~' || c == '^' || c == ':' || c == '?' || c == '*' || c == '[' ||
        c == '\\') {
      return BranchError(branch, absl::StrCat(QuoteForMessage(absl::string_view(&c, 1)),
                                              " is not allowed in a branch name"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckBranchComponents(absl::string_view branch) {
  for (const absl::string_view component : absl::StrSplit(branch, '/')) {
    if (component.empty()) {
      return BranchError(branch, "empty path component (leading, trailing or double \"/\")");
    }
    if (component.front() == '.') {
      return BranchError(
          branch, absl::StrCat("component ", QuoteForMessage(component), " starts with \".\""));
    }
    if (absl::EndsWith(component, ".lock")) {
      return BranchError(
          branch, absl::StrCat("component ", QuoteForMessage(component), " ends with \".lock\""));
    }
    if (component.size() > kMaxComponentBytes) {
      return BranchError(branch,
                         absl::StrCat("a component is ", component.size(),
                                      " bytes long, over the limit of ", kMaxComponentBytes));
    }
  }
  return absl::OkStatus();
}

// A `[` opening a class at `open`: the index just past its closing `]`, or npos.
// `]` right after `[`, `[!` or `[^` is a literal member, as in fnmatch.
size_t ClassEnd(absl::string_view pattern, size_t open) {
  size_t i = open + 1;
  if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) ++i;
  if (i < pattern.size() && pattern[i] == ']') ++i;
  const size_t close = pattern.find(']', i);
  return close == kNpos ? kNpos : close + 1;
}

// Calls `visit(lo, hi)` for every member range of a whole class text `[...]`.
template <typename Visit>
void ForEachClassRange(absl::string_view text, Visit visit) {
  size_t i = 1;
  if (text[i] == '!' || text[i] == '^') ++i;
  const size_t end = text.size() - 1;  // the closing ']'
  while (i < end) {
    const auto lo = static_cast<unsigned char>(text[i]);
    if (i + 2 < end && text[i + 1] == '-') {
      visit(lo, static_cast<unsigned char>(text[i + 2]));
      i += 3;
    } else {
      visit(lo, lo);
      i += 1;
    }
  }
}

bool ClassMatches(absl::string_view text, char c) {
  if (c == '/') return false;
  const bool negated = text[1] == '!' || text[1] == '^';
  const auto byte = static_cast<unsigned char>(c);
  bool member = false;
  ForEachClassRange(text, [&](unsigned char lo, unsigned char hi) {
    member = member || (lo <= byte && byte <= hi);
  });
  return member != negated;
}

enum class GlobKind { kLiteral, kAnyChar, kClass, kStar, kDoubleStar, kDoubleStarSlash };

struct GlobToken {
  GlobKind kind;
  absl::string_view text;  // the literal character or the whole class `[...]`
};

std::vector<GlobToken> Tokenize(absl::string_view pattern) {
  std::vector<GlobToken> tokens;
  size_t i = 0;
  while (i < pattern.size()) {
    const char c = pattern[i];
    if (c == '*') {
      const size_t run_end = std::min(pattern.find_first_not_of('*', i), pattern.size());
      const bool double_star = run_end - i >= 2;
      const bool slash_follows = run_end < pattern.size() && pattern[run_end] == '/';
      if (!double_star) {
        tokens.push_back({GlobKind::kStar, {}});
      } else if (slash_follows) {
        tokens.push_back({GlobKind::kDoubleStarSlash, {}});
      } else {
        tokens.push_back({GlobKind::kDoubleStar, {}});
      }
      i = double_star && slash_follows ? run_end + 1 : run_end;
      continue;
    }
    const size_t class_end = c == '[' ? ClassEnd(pattern, i) : kNpos;
    if (class_end != kNpos) {
      tokens.push_back({GlobKind::kClass, pattern.substr(i, class_end - i)});
      i = class_end;
      continue;
    }
    tokens.push_back({c == '?' ? GlobKind::kAnyChar : GlobKind::kLiteral, pattern.substr(i, 1)});
    ++i;
  }
  return tokens;
}

bool TokenMatchesChar(const GlobToken& token, char c) {
  switch (token.kind) {
    case GlobKind::kLiteral:
      return token.text.front() == c;
    case GlobKind::kAnyChar:
      return c != '/';
    case GlobKind::kClass:
      return ClassMatches(token.text, c);
    default:
      return false;
  }
}

// One row of the match table: `cur[j]` is whether `token` followed by the rest of
// the pattern (whose row is `next`) matches `branch[j..]`.
void MatchRow(const GlobToken& token, absl::string_view branch, const std::vector<char>& next,
              std::vector<char>& cur) {
  const size_t m = branch.size();
  switch (token.kind) {
    case GlobKind::kStar:
    case GlobKind::kDoubleStar:
      cur[m] = next[m];
      for (size_t j = m; j-- > 0;) {
        const bool may_consume = token.kind == GlobKind::kDoubleStar || branch[j] != '/';
        cur[j] = static_cast<char>(next[j] || (may_consume && cur[j + 1]));
      }
      return;
    case GlobKind::kDoubleStarSlash: {
      // Matches nothing, or any run of characters that ends with '/'.
      bool through_slash = false;
      cur[m] = next[m];
      for (size_t j = m; j-- > 0;) {
        through_slash = through_slash || (branch[j] == '/' && next[j + 1]);
        cur[j] = static_cast<char>(next[j] || through_slash);
      }
      return;
    }
    default:
      cur[m] = 0;
      for (size_t j = 0; j < m; ++j) {
        cur[j] = static_cast<char>(TokenMatchesChar(token, branch[j]) && next[j + 1]);
      }
      return;
  }
}

absl::Status GlobError(absl::string_view pattern, int index, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(
      "spec.allowedBranches[", index, "] ", QuoteForMessage(pattern), ": ", problem,
      "; write a branch name or a glob such as \"main\", \"release/*\" or \"feature/**\""));
}

}  // namespace

absl::Status ValidateBranchName(absl::string_view branch) {
  if (branch.empty()) {
    return absl::InvalidArgumentError(
        "spec.branch is empty; set it to the branch to write, such as \"main\"");
  }
  if (branch.size() > kMaxBranchBytes) {
    return BranchError(branch, absl::StrCat("is ", branch.size(), " bytes long, over the limit of ",
                                            kMaxBranchBytes));
  }
  if (branch == "@") return BranchError(branch, "\"@\" alone means HEAD to git");
  if (branch == "HEAD") return BranchError(branch, "\"HEAD\" is not a branch");
  if (branch.front() == '-') {
    return BranchError(branch, "a branch name cannot start with \"-\"");
  }
  if (absl::Status status = CheckBranchCharacters(branch); !status.ok()) return status;
  if (absl::StrContains(branch, "..")) return BranchError(branch, "\"..\" is not allowed");
  if (absl::StrContains(branch, "@{")) return BranchError(branch, "\"@{\" is not allowed");
  if (branch.back() == '.') return BranchError(branch, "a branch name cannot end with \".\"");
  return CheckBranchComponents(branch);
}

bool BranchMatchesGlob(absl::string_view branch, absl::string_view pattern) {
  if (pattern.find_first_of("*?[") == kNpos) return branch == pattern;
  const std::vector<GlobToken> tokens = Tokenize(pattern);
  std::vector<char> next(branch.size() + 1, 0);
  std::vector<char> cur(branch.size() + 1, 0);
  next[branch.size()] = 1;  // the empty pattern matches only the empty rest
  for (size_t t = tokens.size(); t-- > 0;) {
    MatchRow(tokens[t], branch, next, cur);
    std::swap(next, cur);
  }
  return next[0] != 0;
}

absl::Status ValidateBranchGlob(absl::string_view pattern, int index) {
  if (pattern.empty()) return GlobError(pattern, index, "the pattern is empty");
  if (pattern.size() > kMaxGlobBytes) {
    return GlobError(
        pattern, index,
        absl::StrCat("is ", pattern.size(), " bytes long, over the limit of ", kMaxGlobBytes));
  }
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '[') continue;
    const size_t end = ClassEnd(pattern, i);
    if (end == kNpos) {
      return GlobError(pattern, index, absl::StrCat("\"[\" at byte ", i, " has no closing \"]\""));
    }
    bool reversed = false;
    ForEachClassRange(pattern.substr(i, end - i),
                      [&](unsigned char lo, unsigned char hi) { reversed = reversed || lo > hi; });
    if (reversed) {
      return GlobError(pattern, index,
                       absl::StrCat("character class ", QuoteForMessage(pattern.substr(i, end - i)),
                                    " has a range that runs backwards"));
    }
    i = end - 1;
  }
  return absl::OkStatus();
}

}  // namespace gitdest::core
