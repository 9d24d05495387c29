#include "core/naming/resource_path.h"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "core/naming/base_folder.h"
#include "core/naming/path_bytes.h"
#include "core/naming/repo_url.h"

namespace gitdest::core {
namespace {

// Kubernetes names are at most 253 bytes; the file `<name>.yaml` must also fit the
// 255-byte file-name limit of common file systems, or a clone of the repository
// fails to check it out. The whole path stays within the bounds of a baseFolder,
// so every path written also passes NormalizeBaseFolder (invariant 5 checks it).
constexpr size_t kMaxSegmentBytes = 253;
constexpr size_t kMaxNameBytes = 250;
constexpr size_t kMaxPathBytes = 1024;
constexpr absl::string_view kYamlSuffix = ".yaml";
constexpr absl::string_view kSopsSuffix = ".sops";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Consumes `[0-9]+` at `i`; false when there is no digit there.
bool ConsumeDigits(absl::string_view s, size_t& i) {
  const size_t start = i;
  while (i < s.size() && IsDigit(s[i])) ++i;
  return i > start;
}

// `v\d+((alpha|beta)\d+)?`: the shape of every Kubernetes API version; a group
// (`apps`, `velero.io`) never has it, which is what makes paths parse back.
bool IsKubeVersion(absl::string_view s) {
  size_t i = 1;
  if (s.empty() || s[0] != 'v' || !ConsumeDigits(s, i)) return false;
  if (i == s.size()) return true;
  const absl::string_view rest = s.substr(i);
  if (absl::StartsWith(rest, "alpha")) {
    i += 5;
  } else if (absl::StartsWith(rest, "beta")) {
    i += 4;
  } else {
    return false;
  }
  return ConsumeDigits(s, i) && i == s.size();
}

absl::Status IdError(absl::string_view field, absl::string_view value, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, " ", QuoteForMessage(value), ": ", problem,
                   "; such an object cannot be stored as a file under the baseFolder, so it is "
                   "not written (rename it to a valid Kubernetes name)"));
}

// Every segment becomes one path component under the baseFolder, so anything that
// could climb out of it, split into two components or confuse Git is refused.
absl::Status CheckSegment(absl::string_view field, absl::string_view value,
                          size_t max_bytes = kMaxSegmentBytes) {
  if (value.empty()) return IdError(field, value, "is empty");
  if (value == "." || value == "..") return IdError(field, value, "is a relative path segment");
  if (value.size() > max_bytes) {
    return IdError(field, value,
                   absl::StrCat("is ", value.size(), " bytes long, over the limit of ", max_bytes));
  }
  if (HasControlOrSeparator(value, /*slash=*/true)) {  // which, and where, found byte by byte
    for (const char c : value) {
      if (c == '/' || c == '\\') return IdError(field, value, "contains a path separator");
      if (IsControlOrBackslash(c)) {
        return IdError(field, value, "contains NUL or a control character");
      }
    }
  }
  if (absl::EqualsIgnoreCase(value, ".git")) {
    return IdError(field, value, "would be a \".git\" folder, which Git refuses");
  }
  // Invisible in a path, and refused in a baseFolder: every path written must pass
  // NormalizeBaseFolder.
  if (absl::ascii_isspace(static_cast<unsigned char>(value.front())) ||
      absl::ascii_isspace(static_cast<unsigned char>(value.back()))) {
    return IdError(field, value, "starts or ends with whitespace");
  }
  return absl::OkStatus();
}

absl::Status CheckGroupVersion(const ResourceId& id) {
  if (!id.group.empty()) {
    if (absl::Status status = CheckSegment("group", id.group); !status.ok()) return status;
    if (IsKubeVersion(id.group)) {
      return IdError("group", id.group,
                     "has the shape of a version, so its path would be "
                     "read back as the core group");
    }
  }
  if (absl::Status status = CheckSegment("version", id.version); !status.ok()) return status;
  if (id.group.empty() && !IsKubeVersion(id.version)) {
    return IdError("version", id.version,
                   "of the core group is not a Kubernetes version "
                   "like \"v1\"");
  }
  return absl::OkStatus();
}

absl::Status CheckId(const ResourceId& id) {
  if (absl::Status status = CheckGroupVersion(id); !status.ok()) return status;
  if (absl::Status status = CheckSegment("resource", id.resource); !status.ok()) return status;
  if (!id.namespace_.empty()) {
    if (absl::Status status = CheckSegment("namespace", id.namespace_); !status.ok()) {
      return status;
    }
  }
  if (absl::Status status = CheckSegment("name", id.name, kMaxNameBytes); !status.ok()) {
    return status;
  }
  if (absl::EndsWith(id.name, kSopsSuffix)) {
    // `<n>.sops.yaml` is read back as the SOPS-encrypted object `<n>`.
    return IdError("name", id.name, "ends with \".sops\", which marks SOPS-encrypted files");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ResourcePath(absl::string_view base_folder, const ResourceId& id) {
  if (!IsNormalFolder(base_folder)) {
    absl::StatusOr<std::string> normalized = NormalizeBaseFolder(base_folder);
    if (!normalized.ok()) return normalized.status();
    return absl::InvalidArgumentError(
        absl::StrCat("spec.baseFolder ", QuoteForMessage(base_folder),
                     ": is not normalized; pass the result of NormalizeBaseFolder, ",
                     QuoteForMessage(*normalized)));
  }
  return ResourcePathInNormalFolder(base_folder, id);
}

absl::StatusOr<std::string> ResourcePathInNormalFolder(absl::string_view base_folder,
                                                       const ResourceId& id) {
  if (absl::Status status = CheckId(id); !status.ok()) return status;
  // One StrCat: one allocation. An empty group or namespace has no segment.
  const absl::string_view group_slash = id.group.empty() ? "" : "/";
  const absl::string_view namespace_slash = id.namespace_.empty() ? "" : "/";
  std::string path =
      absl::StrCat(base_folder, "/", id.group, group_slash, id.version, "/", id.resource, "/",
                   id.namespace_, namespace_slash, id.name, kYamlSuffix);
  if (path.size() > kMaxPathBytes) {
    return IdError(
        "name", id.name,
        absl::StrCat("would be stored at a path of ", path.size(), " bytes, over the limit of ",
                     kMaxPathBytes, " (a shorter spec.baseFolder leaves more room)"));
  }
  return path;
}

std::optional<ResourceId> ParseResourcePath(absl::string_view base_folder, absl::string_view path) {
  if (base_folder.empty() || path.size() <= base_folder.size() + 1 ||
      !absl::StartsWith(path, base_folder) || path[base_folder.size()] != '/' ||
      !absl::EndsWith(path, kYamlSuffix)) {
    return std::nullopt;
  }
  const absl::string_view relative = path.substr(base_folder.size() + 1);
  const std::vector<absl::string_view> segments = absl::StrSplit(relative, '/');
  if (segments.size() < 3 || segments.size() > 5) return std::nullopt;
  absl::string_view stem = segments.back();
  stem.remove_suffix(kYamlSuffix.size());
  const bool sops = absl::ConsumeSuffix(&stem, kSopsSuffix);
  ResourceId id;
  id.name = std::string(stem);
  size_t next = 0;
  // Four segments are either `<version>/<resource>/<ns>/` of the core group or
  // `<group>/<version>/<resource>/` of a cluster-scoped named-group object.
  const bool has_group =
      segments.size() == 5 || (segments.size() == 4 && !IsKubeVersion(segments[0]));
  if (has_group) id.group = std::string(segments[next++]);
  id.version = std::string(segments[next++]);
  id.resource = std::string(segments[next++]);
  if (next + 1 < segments.size()) id.namespace_ = std::string(segments[next++]);
  // Accept only what ResourcePath itself writes: this rejects hostile or foreign
  // files (`..`, `.git`, a core path whose version is not a version) in one place.
  absl::StatusOr<std::string> rendered = ResourcePath(base_folder, id);
  const std::string expected =
      sops ? absl::StrCat(path.substr(0, path.size() - kSopsSuffix.size() - kYamlSuffix.size()),
                          kYamlSuffix)
           : std::string(path);
  if (!rendered.ok() || *rendered != expected) return std::nullopt;
  return id;
}

}  // namespace gitdest::core
