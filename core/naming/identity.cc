#include "core/naming/identity.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace gitdest::core {
namespace {

// SHA-256 looked up once: given EVP_sha256(), EVP_Digest looks the algorithm up in the
// providers on every call, which costs ten times hashing a short input. Null if libcrypto
// lacks it (Sha256Hex then stops).
const EVP_MD* Sha256() {
  static const EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

}  // namespace

std::string Sha256Hex(absl::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  const EVP_MD* sha256 = Sha256();
  const int ok = sha256 != nullptr &&
                 EVP_Digest(bytes.data(), bytes.size(), digest, &digest_size, sha256, nullptr) == 1;
  // EVP_Digest fails only when libcrypto cannot allocate or lacks SHA-256, i.e. a
  // broken process; an identity must never silently be empty, so stop here.
  if (!ok || digest_size != 32) std::abort();
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), digest_size));
}

std::string DestinationIdentity(absl::string_view repository, absl::string_view branch,
                                absl::string_view normalized_base_folder) {
  // NUL cannot occur in a repository identity, a valid branch or a normalized folder,
  // so the joined string determines the triple and different triples hash apart.
  return Sha256Hex(absl::StrCat(repository, absl::string_view("\0", 1), branch,
                                absl::string_view("\0", 1), normalized_base_folder));
}

}  // namespace gitdest::core
