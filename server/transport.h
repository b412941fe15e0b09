// How leadrouterd's gRPC port is exposed: TLS (with certificate files that
// are re-read when replaced, and optional mutual TLS) or plaintext for
// development, and the hard limits every connection lives under.
//
//   TransportOptions transport;  // from flags
//   absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
//       ServerCredentialsFor(listen_address, transport);
//   ApplyLimits(transport.limits, builder);
#ifndef LEADROUTER_SERVER_TRANSPORT_H_
#define LEADROUTER_SERVER_TRANSPORT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace leadrouter::server {

// Limits against misbehaving or hostile clients (see deploy/README.md for
// which known gRPC 1.51 issues each one answers).
struct ConnectionLimits {
  // HTTP/2 streams (calls) open at once on one connection.
  int max_concurrent_streams = 100;
  // Request metadata (headers) per call; larger calls are refused.
  int max_metadata_bytes = 16 * 1024;
  // One request message; larger ones get RESOURCE_EXHAUSTED.
  int max_receive_message_bytes = 8 * 1024 * 1024;
  // Keepalive enforcement: pings closer together than this are strikes;
  // after max_ping_strikes the connection is closed (GOAWAY).
  absl::Duration min_ping_interval = absl::Seconds(60);
  int max_ping_strikes = 2;
  // Connections without calls are closed after max_connection_idle; every
  // connection is asked to go away after max_connection_age, and calls
  // still open then get max_connection_age_grace to finish.
  absl::Duration max_connection_idle = absl::Minutes(30);
  absl::Duration max_connection_age = absl::Hours(2);
  absl::Duration max_connection_age_grace = absl::Seconds(30);
  // A connection must finish its TLS handshake within this.
  absl::Duration handshake_timeout = absl::Seconds(10);
  // Memory all connections' buffers may use together.
  int64_t memory_quota_bytes = 512LL * 1024 * 1024;
  // WatchAssignments streams open at once on one connection.
  int max_watches_per_connection = 16;
};

struct TransportOptions {
  // PEM files; both or neither. Replaced files (rename or symlink swap) are
  // served from the next handshake, checked every tls_refresh_interval.
  std::string tls_cert;
  std::string tls_key;
  // PEM CA bundle: clients must present a certificate it signed (mTLS).
  std::string tls_client_ca;
  absl::Duration tls_refresh_interval = absl::Seconds(60);
  // Plaintext on a non-loopback address (development only).
  bool insecure_plaintext = false;
  ConnectionLimits limits;
};

// The host of "host:port" is 127.0.0.0/8, ::1 or localhost.
bool IsLoopbackListenAddress(absl::string_view address);

// TLS credentials, or insecure ones where plaintext is allowed.
// INVALID_ARGUMENT for a half-given key pair, a client CA without TLS,
// unreadable files, or plaintext on a non-loopback address without
// insecure_plaintext.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const std::string& listen_address, const TransportOptions& options);

// Sets every limit on the builder.
void ApplyLimits(const ConnectionLimits& limits, grpc::ServerBuilder& builder);

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_TRANSPORT_H_
