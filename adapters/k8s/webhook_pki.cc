#include "adapters/k8s/webhook_pki.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace gitdest::k8s {
namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;

absl::Status OpenSslError(absl::string_view what) {
  char buf[256] = {};
  ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
  ERR_clear_error();
  return absl::InternalError(absl::StrCat(what, ": ", buf));
}

std::string ToPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

std::string ToPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

CertPtr ParseCert(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  CertPtr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return cert;
}

KeyPtr ParseKey(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  KeyPtr key(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return key;
}

absl::Time FromAsn1(const ASN1_TIME* t) {
  ASN1_TIME* epoch = ASN1_TIME_set(nullptr, 0);
  int days = 0;
  int seconds = 0;
  ASN1_TIME_diff(&days, &seconds, epoch, t);
  ASN1_TIME_free(epoch);
  return absl::FromUnixSeconds(int64_t{days} * 86400 + seconds);
}

// A certificate with `key`'s public half, a random serial, CN and validity; unsigned.
absl::StatusOr<CertPtr> NewCert(EVP_PKEY* key, std::string_view cn, absl::Time now,
                                absl::Duration validity) {
  CertPtr cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof(serial)) != 1) return OpenSslError("random serial");
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), absl::ToTimeT(now - absl::Hours(1)));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), absl::ToTimeT(now + validity));
  X509_NAME* name = X509_get_subject_name(cert.get());
  const std::string cn_text(cn);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn_text.c_str()), -1, -1, 0);
  X509_set_pubkey(cert.get(), key);
  return cert;
}

absl::Status AddExtensions(X509* cert, X509* issuer, const std::vector<std::string>& exts) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  for (const std::string& e : exts) {
    const size_t eq = e.find('=');
    X509_EXTENSION* ext =
        X509V3_EXT_conf(nullptr, &ctx, e.substr(0, eq).c_str(), e.substr(eq + 1).c_str());
    if (ext == nullptr) return OpenSslError("extension " + e);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PemPair> GenerateCa(std::string_view common_name, absl::Time now,
                                   absl::Duration validity) {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (key == nullptr) return OpenSslError("generate CA key");
  absl::StatusOr<CertPtr> cert = NewCert(key.get(), common_name, now, validity);
  if (!cert.ok()) return cert.status();
  X509* c = cert->get();
  X509_set_issuer_name(c, X509_get_subject_name(c));
  if (absl::Status s =
          AddExtensions(c, c,
                        {"basicConstraints=critical,CA:TRUE,pathlen:0",
                         "keyUsage=critical,keyCertSign,cRLSign", "subjectKeyIdentifier=hash"});
      !s.ok()) {
    return s;
  }
  if (X509_sign(c, key.get(), EVP_sha256()) == 0) return OpenSslError("sign CA");
  return PemPair{ToPem(c), ToPem(key.get())};
}

absl::StatusOr<PemPair> GenerateServing(const PemPair& ca,
                                        const std::vector<std::string>& dns_names, absl::Time now,
                                        absl::Duration validity) {
  if (dns_names.empty()) return absl::InvalidArgumentError("no DNS name to certify");
  CertPtr ca_cert = ParseCert(ca.cert_pem);
  KeyPtr ca_key = ParseKey(ca.key_pem);
  if (ca_cert == nullptr || ca_key == nullptr) return OpenSslError("read the CA");
  KeyPtr key(EVP_EC_gen("P-256"));
  if (key == nullptr) return OpenSslError("generate serving key");
  absl::StatusOr<CertPtr> cert = NewCert(key.get(), dns_names.front(), now, validity);
  if (!cert.ok()) return cert.status();
  X509* c = cert->get();
  X509_set_issuer_name(c, X509_get_subject_name(ca_cert.get()));
  const std::string sans = "subjectAltName=DNS:" + absl::StrJoin(dns_names, ",DNS:");
  if (absl::Status s =
          AddExtensions(c, ca_cert.get(),
                        {"basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature",
                         "extendedKeyUsage=serverAuth", sans, "authorityKeyIdentifier=keyid"});
      !s.ok()) {
    return s;
  }
  if (X509_sign(c, ca_key.get(), EVP_sha256()) == 0) return OpenSslError("sign serving cert");
  return PemPair{ToPem(c), ToPem(key.get())};
}

absl::StatusOr<CertificateFacts> ReadCertificate(std::string_view cert_pem) {
  CertPtr cert = ParseCert(cert_pem);
  if (cert == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError("not a PEM certificate");
  }
  CertificateFacts facts{
      FromAsn1(X509_get0_notBefore(cert.get())), FromAsn1(X509_get0_notAfter(cert.get())), {}};
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    if (n->type != GEN_DNS) continue;
    const ASN1_IA5STRING* dns = n->d.dNSName;
    facts.dns_names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                                 static_cast<size_t>(ASN1_STRING_length(dns)));
  }
  GENERAL_NAMES_free(names);
  return facts;
}

absl::Status VerifySignedBy(std::string_view cert_pem, std::string_view ca_pem) {
  CertPtr cert = ParseCert(cert_pem);
  CertPtr ca = ParseCert(ca_pem);
  if (cert == nullptr || ca == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError("not a PEM certificate");
  }
  EVP_PKEY* ca_key = X509_get0_pubkey(ca.get());
  if (ca_key == nullptr || X509_verify(cert.get(), ca_key) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("the certificate is not signed by the CA");
  }
  return absl::OkStatus();
}

}  // namespace gitdest::k8s
