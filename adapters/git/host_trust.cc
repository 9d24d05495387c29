#include "adapters/git/host_trust.h"

#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace gitdest::git {
namespace {

template <class T, void (*Free)(T*)>
struct SslDeleter {
  void operator()(T* p) const { Free(p); }
};
using X509Ptr = std::unique_ptr<X509, SslDeleter<X509, X509_free>>;
using StorePtr = std::unique_ptr<X509_STORE, SslDeleter<X509_STORE, X509_STORE_free>>;
using StoreCtxPtr =
    std::unique_ptr<X509_STORE_CTX, SslDeleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, SslDeleter<BIO, BIO_free_all>>;

// `*` and `?` of an OpenSSH host pattern, case-insensitively.
bool GlobMatch(absl::string_view pattern, absl::string_view text) {
  if (pattern.empty()) return text.empty();
  if (pattern[0] == '*') {
    for (size_t i = 0; i <= text.size(); ++i) {
      if (GlobMatch(pattern.substr(1), text.substr(i))) return true;
    }
    return false;
  }
  return !text.empty() &&
         (pattern[0] == '?' || absl::ascii_tolower(static_cast<unsigned char>(pattern[0])) ==
                                   absl::ascii_tolower(static_cast<unsigned char>(text[0]))) &&
         GlobMatch(pattern.substr(1), text.substr(1));
}

// `|1|salt|hash`: HMAC-SHA1 of the host name keyed with the salt.
bool HashedMatch(absl::string_view entry, const std::string& name) {
  std::vector<absl::string_view> parts = absl::StrSplit(entry, '|');
  std::string salt, hash;
  if (parts.size() != 4 || parts[1] != "1" || !absl::Base64Unescape(parts[2], &salt) ||
      !absl::Base64Unescape(parts[3], &hash)) {
    return false;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), salt.data(), static_cast<int>(salt.size()),
       reinterpret_cast<const unsigned char*>(name.data()), name.size(), mac, &len);
  return hash == absl::string_view(reinterpret_cast<const char*>(mac), len);
}

// Whether the hosts field of a known_hosts line names `name` (negations win).
bool HostsMatch(absl::string_view hosts, const std::string& name) {
  if (absl::StartsWith(hosts, "|1|")) return HashedMatch(hosts, name);
  bool matched = false;
  for (absl::string_view pattern : absl::StrSplit(hosts, ',')) {
    const bool negated = absl::ConsumePrefix(&pattern, "!");
    if (GlobMatch(pattern, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

}  // namespace

absl::Status VerifyCertificate(absl::string_view der, absl::string_view ca_bundle,
                               const std::string& host) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr leaf(d2i_X509(nullptr, &bytes, static_cast<long>(der.size())));
  if (!leaf) return absl::UnavailableError("the server sent a certificate that cannot be read");
  StorePtr store(X509_STORE_new());
  BioPtr bio(BIO_new_mem_buf(ca_bundle.data(), static_cast<int>(ca_bundle.size())));
  int loaded = 0;
  while (X509* ca = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store.get(), ca);
    X509_free(ca);
    ++loaded;
  }
  if (loaded == 0) {
    return absl::InvalidArgumentError("the Secret's ca.crt holds no PEM certificate");
  }
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr);
  if (X509_verify_cert(ctx.get()) != 1) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the server's certificate for ", host, " is not signed by the Secret's ca.crt (",
        X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())), ")"));
  }
  if (X509_check_host(leaf.get(), host.data(), host.size(), 0, nullptr) != 1 &&
      X509_check_ip_asc(leaf.get(), host.c_str(), 0) != 1) {
    return absl::PermissionDeniedError(
        absl::StrCat("the server's certificate is not valid for the name ", host));
  }
  return absl::OkStatus();
}

absl::Status CheckKnownHost(absl::string_view known_hosts, const std::string& host, int port,
                            absl::string_view host_key) {
  const std::string name = port == 22 ? host : absl::StrCat("[", host, "]:", port);
  bool listed = false;
  for (absl::string_view line : absl::StrSplit(known_hosts, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    const bool revoked = fields[0] == "@revoked";
    if (fields[0] == "@cert-authority") continue;
    if (revoked) fields.erase(fields.begin());
    std::string key;
    if (fields.size() < 3 || !HostsMatch(fields[0], name) ||
        !absl::Base64Unescape(fields[2], &key) || key != host_key) {
      continue;
    }
    if (revoked) {
      return absl::PermissionDeniedError(absl::StrCat(
          "the host key of ", name, " is marked @revoked in the Secret's known_hosts"));
    }
    listed = true;
  }
  if (listed) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "the host key of ", name, " is not in the Secret's known_hosts: add it (ssh-keyscan",
      port == 22 ? "" : absl::StrCat(" -p ", port), " ", host, ", checked out of band)"));
}

absl::StatusOr<std::string> PublicKeyLine(absl::string_view pem) {
  constexpr absl::string_view kBegin = "-----BEGIN OPENSSH PRIVATE KEY-----";
  constexpr absl::string_view kEnd = "-----END OPENSSH PRIVATE KEY-----";
  const size_t begin = pem.find(kBegin);
  const size_t end = pem.find(kEnd);
  std::string body;
  if (begin == absl::string_view::npos || end == absl::string_view::npos || end < begin) {
    return absl::InvalidArgumentError(
        "the Secret's ssh-privatekey is not an OpenSSH private key (ssh-keygen writes one)");
  }
  for (char c : pem.substr(begin + kBegin.size(), end - begin - kBegin.size())) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) body += c;
  }
  std::string raw;
  absl::string_view rest;
  // "openssh-key-v1\0", then string cipher, string kdf, string kdf options, uint32 count,
  // string public key.
  auto take_string = [&rest](absl::string_view* out) {
    if (rest.size() < 4) return false;
    const uint32_t n = (uint32_t{static_cast<unsigned char>(rest[0])} << 24) |
                       (uint32_t{static_cast<unsigned char>(rest[1])} << 16) |
                       (uint32_t{static_cast<unsigned char>(rest[2])} << 8) |
                       uint32_t{static_cast<unsigned char>(rest[3])};
    if (rest.size() - 4 < n) return false;
    *out = rest.substr(4, n);
    rest.remove_prefix(4 + n);
    return true;
  };
  absl::string_view cipher, kdf, kdf_options, key, type;
  constexpr absl::string_view kMagic("openssh-key-v1\0", 15);
  if (!absl::Base64Unescape(body, &raw) || !absl::StartsWith(raw, kMagic)) {
    return absl::InvalidArgumentError("the Secret's ssh-privatekey cannot be decoded");
  }
  rest = absl::string_view(raw).substr(kMagic.size());
  if (!take_string(&cipher) || !take_string(&kdf) || !take_string(&kdf_options) ||
      rest.size() < 4) {
    return absl::InvalidArgumentError("the Secret's ssh-privatekey is truncated");
  }
  rest.remove_prefix(4);  // the number of keys: the first is used
  if (!take_string(&key)) {
    return absl::InvalidArgumentError("the Secret's ssh-privatekey is truncated");
  }
  rest = key;
  if (!take_string(&type)) {
    return absl::InvalidArgumentError("the Secret's ssh-privatekey holds no key type");
  }
  return absl::StrCat(type, " ", absl::Base64Escape(key));
}

}  // namespace gitdest::git
