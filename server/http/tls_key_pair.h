// The HTTP port's certificate and key, re-read from their files while it
// serves, as the gRPC port does (FileWatcherCertificateProvider): a
// replaced pair (rename or symlink swap) is served from the next handshake
// once the refresh interval has passed. A pair that does not load keeps
// the one before it (logged).
//
//   TlsKeyPair pair(cert_path, key_path, absl::Seconds(60));
//   if (!pair.Load().ok()) ...        // at start: refuse to serve
//   pair.InstallOn(ssl_ctx);          // every handshake asks it
#ifndef LEADROUTER_SERVER_HTTP_TLS_KEY_PAIR_H_
#define LEADROUTER_SERVER_HTTP_TLS_KEY_PAIR_H_

#include <openssl/ssl.h>

#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace leadrouter::server {

class TlsKeyPair {
 public:
  TlsKeyPair(std::string cert_path, std::string key_path,
             absl::Duration refresh_interval)
      : cert_path_(std::move(cert_path)),
        key_path_(std::move(key_path)),
        refresh_interval_(refresh_interval) {}

  // Reads both files now; INVALID_ARGUMENT when they do not make a pair.
  absl::Status Load();

  // Makes every handshake on `ctx` present the current pair (this object
  // must outlive the context).
  void InstallOn(SSL_CTX& ctx);

 private:
  struct Pair;
  static int OnHandshake(SSL* ssl, void* self);
  std::shared_ptr<const Pair> Current();

  const std::string cert_path_, key_path_;
  const absl::Duration refresh_interval_;
  std::mutex mu_;
  std::shared_ptr<const Pair> pair_;          // mu_
  std::string loaded_text_;                   // mu_: both files as read
  absl::Time checked_at_ = absl::InfinitePast();  // mu_
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_HTTP_TLS_KEY_PAIR_H_
