// The identity of a write target: no two GitDestinations may share one.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace gitdest::core {

// Lower-case hex SHA-256 of `repository` (a RepoIdentity), `branch` and
// `normalized_base_folder` joined by NUL bytes: NUL can occur in none of them, so
// distinct triples never collide by concatenation ("a/b"+"c" vs "a"+"b/c").
std::string DestinationIdentity(absl::string_view repository, absl::string_view branch,
                                absl::string_view normalized_base_folder);

// Lower-case hex SHA-256 of arbitrary bytes (libcrypto).
std::string Sha256Hex(absl::string_view bytes);

}  // namespace gitdest::core
