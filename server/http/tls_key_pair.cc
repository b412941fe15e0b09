#include "server/http/tls_key_pair.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/log.h"

namespace leadrouter::server {

struct TlsKeyPair::Pair {
  X509* cert = nullptr;
  STACK_OF(X509)* chain = nullptr;  // the intermediates after the leaf
  EVP_PKEY* key = nullptr;
  ~Pair() {
    X509_free(cert);
    sk_X509_pop_free(chain, X509_free);
    EVP_PKEY_free(key);
  }
};

namespace {

bool ReadAll(const std::string& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream s;
  s << in.rdbuf();
  *text = s.str();
  return true;
}

}  // namespace

absl::Status TlsKeyPair::Load() {
  std::string cert_pem, key_pem;
  if (!ReadAll(cert_path_, &cert_pem) || !ReadAll(key_path_, &key_pem)) {
    return absl::InvalidArgumentError(
        "--tls_cert or --tls_key cannot be read");
  }
  const std::string text = cert_pem + key_pem;
  {
    std::lock_guard lock(mu_);
    checked_at_ = absl::Now();
    if (pair_ != nullptr && text == loaded_text_) return absl::OkStatus();
  }
  auto pair = std::make_shared<Pair>();
  std::unique_ptr<BIO, decltype(&BIO_free)> certs(
      BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())),
      &BIO_free);
  pair->cert = PEM_read_bio_X509(certs.get(), nullptr, nullptr, nullptr);
  pair->chain = sk_X509_new_null();
  while (X509* more = PEM_read_bio_X509(certs.get(), nullptr, nullptr, nullptr)) {
    sk_X509_push(pair->chain, more);
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> key(
      BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())),
      &BIO_free);
  pair->key = PEM_read_bio_PrivateKey(key.get(), nullptr, nullptr, nullptr);
  ERR_clear_error();
  if (pair->cert == nullptr || pair->key == nullptr ||
      X509_check_private_key(pair->cert, pair->key) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        "--tls_cert and --tls_key do not hold a certificate and its key");
  }
  std::lock_guard lock(mu_);
  pair_ = std::move(pair);
  loaded_text_ = text;
  return absl::OkStatus();
}

std::shared_ptr<const TlsKeyPair::Pair> TlsKeyPair::Current() {
  bool due = false;
  {
    std::lock_guard lock(mu_);
    due = absl::Now() - checked_at_ >= refresh_interval_;
  }
  if (due) {
    if (absl::Status s = Load(); !s.ok()) {
      LogError("tls_reload_failed", {{"port", "http"},
                                     {"error", std::string(s.message())}});
    }
  }
  std::lock_guard lock(mu_);
  return pair_;
}

int TlsKeyPair::OnHandshake(SSL* ssl, void* self) {
  std::shared_ptr<const Pair> pair = static_cast<TlsKeyPair*>(self)->Current();
  if (pair == nullptr) return 0;
  // Copies the references: the SSL keeps them past a later reload.
  return SSL_use_cert_and_key(ssl, pair->cert, pair->key, pair->chain, 1) ==
                 1
             ? 1
             : 0;
}

void TlsKeyPair::InstallOn(SSL_CTX& ctx) {
  SSL_CTX_set_cert_cb(&ctx, &TlsKeyPair::OnHandshake, this);
}

}  // namespace leadrouter::server
