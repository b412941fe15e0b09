// Decides who a caller is and whether they may call a method, for every
// transport: the gRPC services turn a call into CallerCredentials and ask
// here (server/api/call_guard.h); nothing in this file knows gRPC.
//
// A caller is a principal of the auth config, known by its bearer token
// (compared as a SHA-256 digest, in constant time), by an HMAC-SHA256
// signature of an HTTP request under its signing secret (compared in
// constant time; refused when the signed timestamp is more than 5 minutes
// off), or by a verified client certificate's subject or subject
// alternative name. Deny by default: no
// credentials is UNAUTHENTICATED, a method the principal's roles do not
// cover (or one missing from the method table) is PERMISSION_DENIED naming
// the method and the role it needs. Messages never echo a token.
//
// Without an auth config (development), loopback callers are "anonymous"
// with every role and everyone else is UNAUTHENTICATED.
//
//   Authorizer authorizer(*LoadAuthFile(path));
//   Authorizer::Decision d = authorizer.Authorize(credentials, method);
//   if (!d.status.ok()) ... // refuse; d.caller.principal says who tried
#ifndef LEADROUTER_SERVER_AUTH_AUTHORIZER_H_
#define LEADROUTER_SERVER_AUTH_AUTHORIZER_H_

#include <array>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "leadrouter/v1/auth.pb.h"

namespace leadrouter::server {

// What a transport knows about a caller.
struct CallerCredentials {
  // The "authorization" header as sent (empty: none).
  std::string authorization;
  // Subject and subject alternative names of a client certificate that
  // the TLS handshake verified (empty: none).
  std::vector<std::string> certificate_names;
  // The peer address is 127.0.0.0/8 or ::1.
  bool loopback = false;
  // A signed request (HTTP only): the X-Leadrouter-Timestamp header (Unix
  // seconds), the X-Leadrouter-Signature header ("v1=" and the hex
  // HMAC-SHA256 of "<timestamp>.<body>" under a principal's signing
  // secret), the body as received, and the time it arrived.
  std::string signature_timestamp;
  std::string signature;
  const std::string* signed_body = nullptr;
  absl::Time arrived_at;
};

// How far a signed request's timestamp may be from the server's clock.
inline constexpr absl::Duration kSignatureWindow = absl::Minutes(5);

// "v1=<hex>" for `body` signed at `timestamp` (Unix seconds) with
// `secret`: what a sender puts in X-Leadrouter-Signature.
std::string SignatureHeader(absl::string_view secret, int64_t timestamp,
                            absl::string_view body);

// Who is calling.
struct Caller {
  // The principal's name, "anonymous" (no auth config, loopback) or
  // "unauthenticated".
  std::string principal = "unauthenticated";
  // For workers bound to reps: only these reps' leads. Empty: every rep.
  std::vector<std::string> rep_ids;
};

// The lower-case hex SHA-256 of `token`, as token_sha256 holds it.
std::string TokenDigestHex(absl::string_view token);

// Thread-safe; Replace swaps the principals atomically for new calls.
class Authorizer {
 public:
  struct Decision {
    absl::Status status;  // OK, UNAUTHENTICATED or PERMISSION_DENIED
    Caller caller;
  };

  // nullopt: no auth config (development mode, loopback only).
  explicit Authorizer(std::optional<leadrouter::v1::AuthConfig> config);

  // Takes a new, already validated config (SIGHUP).
  void Replace(const leadrouter::v1::AuthConfig& config);

  bool enabled() const { return enabled_; }

  Decision Authorize(const CallerCredentials& credentials,
                     absl::string_view method) const;

 private:
  struct Known {
    std::string name;
    bool has_token = false;
    std::array<unsigned char, 32> token_digest{};
    std::vector<std::string> certificate_names;
    // Empty: the principal does not sign requests.
    std::string signing_secret;
    std::vector<leadrouter::v1::Role> roles;
    std::vector<std::string> rep_ids;
  };
  using Principals = std::vector<Known>;

  // Sets `who` to the principal whose secret signed the request.
  static absl::Status CheckSignature(const CallerCredentials& credentials,
                                     const Principals& principals,
                                     const Known** who);
  static std::shared_ptr<const Principals> Compile(
      const leadrouter::v1::AuthConfig& config);
  std::shared_ptr<const Principals> principals() const;

  const bool enabled_;
  // Read on every call, swapped on SIGHUP.
  std::atomic<std::shared_ptr<const Principals>> principals_;
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_AUTH_AUTHORIZER_H_
