// Where a Kubernetes object lives in the repository, and back.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gitdest::core {

// The identity of one captured Kubernetes object.
struct ResourceId {
  std::string group;       // "" for the core group
  std::string version;     // "v1"
  std::string resource;    // plural, lower-case: "configmaps"
  std::string namespace_;  // "" for cluster-scoped objects
  std::string name;

  friend bool operator==(const ResourceId&, const ResourceId&) = default;
  friend auto operator<=>(const ResourceId&, const ResourceId&) = default;
  // The name, namespace and resource tell objects apart almost always (a group or version
  // alone seldom does): hashing only them is less work for every change, and a map
  // still compares whole ids.
  template <class H>
  friend H AbslHashValue(H h, const ResourceId& id) {
    return H::combine(std::move(h), id.name, id.namespace_, id.resource);
  }
};

// `<baseFolder>/<group/>?<version>/<resource>/<namespace/>?<name>.yaml`; the core
// group and cluster scope drop their segment. `base_folder` must be normalized (an
// unnormalized one is an error, not silently fixed). Hostile input is rejected,
// never mapped elsewhere: every segment must be a non-empty, non-`.`/`..` name
// without `/`, `\`, NUL, control characters or leading/trailing whitespace, at most 253 bytes (the
// name at most 250, so that `<name>.yaml` fits a 255-byte file name), and no directory segment may
// be `.git` (any case); version and resource must be present; the whole path is at most 1024 bytes.
// Every path returned therefore passes NormalizeBaseFolder. So that every accepted id parses back
// to itself (ParseResourcePath is its exact inverse), three more ids are refused: a core-group
// version that is not shaped `v\d+((alpha|beta)\d+)?`, a group with that shape, and a name ending
// in `.sops` (its file `<n>.sops.yaml` would read back as the SOPS-encrypted object `<n>`).
// InvalidArgument names the field (`group`, `version`, `resource`, `namespace`,
// `name` or `spec.baseFolder`).
absl::StatusOr<std::string> ResourcePath(absl::string_view base_folder, const ResourceId& id);

// The same for a folder already known to be normalized (a WriteTarget's base_folder, which
// NormalizeBaseFolder produced): the folder is not checked again, the id is. Every captured
// change takes this path; anything else takes ResourcePath.
absl::StatusOr<std::string> ResourcePathInNormalFolder(absl::string_view base_folder,
                                                       const ResourceId& id);

// The inverse, for reading files back on resync: `path` relative to the repository
// root, `base_folder` normalized. Returns nullopt for files that are not an object
// of this destination (outside the folder, not `.yaml`, wrong depth, any path that
// ResourcePath would not write). Relative to the folder, 3 segments are a core
// cluster-scoped object, 5 a named-group namespaced one, and 4 are core namespaced
// when the first segment is a version (`v1`, `v2beta1`), else named-group
// cluster-scoped: `velero.io` or `apps` is a group, never a version.
// `x.sops.yaml` is the object `x`. For every id ResourcePath accepts,
// ParseResourcePath(b, *ResourcePath(b, id)) == id.
std::optional<ResourceId> ParseResourcePath(absl::string_view base_folder, absl::string_view path);

}  // namespace gitdest::core
