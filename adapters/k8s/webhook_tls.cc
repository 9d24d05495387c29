#include "adapters/k8s/webhook_tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace gitdest::k8s {

struct ServingCertificate::Pair {
  std::vector<X509*> chain;  // leaf first
  EVP_PKEY* key = nullptr;
  ~Pair() {
    for (X509* c : chain) X509_free(c);
    EVP_PKEY_free(key);
  }
};

namespace {

using Pair = ServingCertificate::Pair;

absl::StatusOr<std::shared_ptr<Pair>> ParsePair(std::string_view cert_pem,
                                                std::string_view key_pem) {
  auto pair = std::make_shared<Pair>();
  BIO* certs = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  while (X509* c = PEM_read_bio_X509(certs, nullptr, nullptr, nullptr)) pair->chain.push_back(c);
  BIO_free(certs);
  BIO* key = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  pair->key = PEM_read_bio_PrivateKey(key, nullptr, nullptr, nullptr);
  BIO_free(key);
  ERR_clear_error();  // the end of the certificate list is reported as an error
  if (pair->chain.empty()) return absl::InvalidArgumentError("no PEM certificate in tls.crt");
  if (pair->key == nullptr) return absl::InvalidArgumentError("no PEM private key in tls.key");
  if (X509_check_private_key(pair->chain.front(), pair->key) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("tls.key is not the private key of tls.crt's certificate");
  }
  return pair;
}

// Sets `pair` on one connection: 1 on success, 0 fails the handshake.
int UsePair(SSL* ssl, const Pair* pair) {
  if (pair == nullptr) return 0;  // no certificate yet
  if (SSL_use_certificate(ssl, pair->chain.front()) != 1) return 0;
  if (SSL_use_PrivateKey(ssl, pair->key) != 1) return 0;
  STACK_OF(X509)* rest = sk_X509_new_null();
  for (size_t i = 1; i < pair->chain.size(); ++i) sk_X509_push(rest, pair->chain[i]);
  const long ok = SSL_set1_chain(ssl, rest);  // takes its own references
  sk_X509_free(rest);
  return ok == 1 ? 1 : 0;
}

}  // namespace

ServingCertificate::ServingCertificate() = default;
ServingCertificate::~ServingCertificate() = default;

absl::Status ServingCertificate::Set(std::string_view cert_pem, std::string_view key_pem) {
  absl::StatusOr<std::shared_ptr<Pair>> pair = ParsePair(cert_pem, key_pem);
  if (!pair.ok()) return pair.status();
  std::lock_guard lock(mu_);
  current_ = *std::move(pair);
  return absl::OkStatus();
}

bool ServingCertificate::loaded() const { return Current() != nullptr; }

absl::Time ServingCertificate::not_after() const {
  std::shared_ptr<const Pair> pair = Current();
  if (pair == nullptr) return absl::InfinitePast();
  ASN1_TIME* epoch = ASN1_TIME_set(nullptr, 0);
  int days = 0;
  int seconds = 0;
  ASN1_TIME_diff(&days, &seconds, epoch, X509_get0_notAfter(pair->chain.front()));
  ASN1_TIME_free(epoch);
  return absl::FromUnixSeconds(int64_t{days} * 86400 + seconds);
}

std::shared_ptr<const Pair> ServingCertificate::Current() const {
  std::lock_guard lock(mu_);
  return current_;
}

void ServingCertificate::InstallOn(SSL_CTX& ctx) {
  SSL_CTX_set_cert_cb(
      &ctx,
      [](SSL* ssl, void* arg) {
        // The connection keeps its own references: a later Set frees nothing it uses.
        std::shared_ptr<const Pair> pair = static_cast<ServingCertificate*>(arg)->Current();
        return UsePair(ssl, pair.get());
      },
      this);
}

absl::StatusOr<bool> CertDirReader::Reload() {
  std::string files[2];
  const char* names[2] = {"tls.crt", "tls.key"};
  for (int i = 0; i < 2; ++i) {
    const std::string path = dir_ + "/" + names[i];
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
    std::ostringstream text;
    text << in.rdbuf();
    files[i] = text.str();
  }
  const std::string both = files[0] + '\0' + files[1];
  if (both == loaded_) return false;
  if (absl::Status s = certificate_->Set(files[0], files[1]); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(dir_, ": ", s.message()));
  }
  loaded_ = both;
  return true;
}

}  // namespace gitdest::k8s
