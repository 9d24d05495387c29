#include "core/naming/base_folder.h"

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "core/naming/path_bytes.h"
#include "core/naming/repo_url.h"

namespace gitdest::core {
namespace {

constexpr size_t kMaxFolderBytes = 1024;
constexpr size_t kMaxSegmentBytes = 255;
constexpr absl::string_view kFix = "use a path inside the repository such as \"clusters/prod\"";

absl::Status FolderError(absl::string_view base_folder, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("spec.baseFolder ", QuoteForMessage(base_folder), ": ", problem, "; ", kFix));
}

absl::Status CheckFolderCharacters(absl::string_view base_folder) {
  for (const char c : base_folder) {
    if (c == '\\') {
      return FolderError(base_folder, "backslash is not allowed (the separator is \"/\")");
    }
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      return FolderError(base_folder, "NUL and control characters are not allowed");
    }
  }
  return absl::OkStatus();
}

bool IsAsciiSpace(char c) { return absl::ascii_isspace(static_cast<unsigned char>(c)); }

absl::Status CheckSegment(absl::string_view base_folder, absl::string_view segment) {
  if (segment == "..") return FolderError(base_folder, "segment \"..\" is not allowed");
  if (IsAsciiSpace(segment.front()) || IsAsciiSpace(segment.back())) {
    // Invisible in a YAML file and in most UIs: "prod " would be a second folder that
    // looks like the first, and a stray space around "/" a silently different path.
    return FolderError(base_folder, absl::StrCat("segment ", QuoteForMessage(segment),
                                                 " starts or ends with whitespace"));
  }
  if (absl::EqualsIgnoreCase(segment, ".git")) {
    // Git refuses such paths; writing there would corrupt the working copy.
    return FolderError(base_folder, "segment \".git\" is not allowed");
  }
  if (segment.size() > kMaxSegmentBytes) {
    return FolderError(base_folder,
                       absl::StrCat("a segment is ", segment.size(),
                                    " bytes long, over the limit of ", kMaxSegmentBytes));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> NormalizeBaseFolder(absl::string_view base_folder) {
  if (base_folder.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("spec.baseFolder is empty; the repository root is not allowed, ", kFix));
  }
  if (base_folder.size() > kMaxFolderBytes) {
    return FolderError(base_folder,
                       absl::StrCat("is ", base_folder.size(), " bytes long, over the limit of ",
                                    kMaxFolderBytes));
  }
  if (absl::Status status = CheckFolderCharacters(base_folder); !status.ok()) return status;
  if (base_folder.front() == '/') {
    return FolderError(base_folder,
                       "absolute paths are not allowed (it is relative to the "
                       "repository root)");
  }
  const std::vector<absl::string_view> segments = absl::StrSplit(base_folder, '/');
  std::string normalized;
  for (size_t i = 0; i < segments.size(); ++i) {
    const absl::string_view segment = segments[i];
    if (segment.empty()) {
      if (i + 1 == segments.size()) break;  // one trailing '/' is harmless
      return FolderError(base_folder, "empty segment (\"//\") is not allowed");
    }
    if (segment == ".") continue;
    if (absl::Status status = CheckSegment(base_folder, segment); !status.ok()) return status;
    absl::StrAppend(&normalized, normalized.empty() ? "" : "/", segment);
  }
  if (normalized.empty()) {
    return FolderError(base_folder, "names the repository root, which is not allowed");
  }
  return normalized;
}

namespace {

// CheckSegment's verdict without its message, for a segment that holds no control
// character or backslash (checked by the caller).
bool IsNormalSegment(absl::string_view segment) {
  if (segment.empty() || segment.size() > kMaxSegmentBytes) return false;
  if (segment.size() <= 2 && (segment == "." || segment == "..")) return false;
  if (segment.size() == 4 && absl::EqualsIgnoreCase(segment, ".git")) return false;
  return !IsAsciiSpace(segment.front()) && !IsAsciiSpace(segment.back());
}

}  // namespace

// What NormalizeBaseFolder checks, with no Status built: the bytes first, a word at a
// time, then each segment between two slashes.
bool IsNormalFolder(absl::string_view path) {
  if (path.empty() || path.size() > kMaxFolderBytes ||
      HasControlOrSeparator(path, /*slash=*/false)) {
    return false;
  }
  for (absl::string_view rest = path;;) {
    const size_t slash = rest.find('/');
    if (!IsNormalSegment(rest.substr(0, slash))) return false;
    if (slash == absl::string_view::npos) return true;
    rest.remove_prefix(slash + 1);
  }
}

bool FoldersOverlap(absl::string_view a, absl::string_view b) {
  if (a.size() > b.size()) std::swap(a, b);
  if (a.empty()) return true;  // the root contains every folder
  return absl::StartsWith(b, a) && (b.size() == a.size() || b[a.size()] == '/');
}

}  // namespace gitdest::core
