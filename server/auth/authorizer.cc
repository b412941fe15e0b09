// Tokens: the presented token is hashed once and compared with every
// principal's digest by CRYPTO_memcmp, without stopping at a match, so the
// time taken says nothing about which digest (or how much of it) matched.
#include "server/auth/authorizer.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "server/auth/auth_file.h"
#include "server/auth/method_roles.h"

namespace leadrouter::server {
namespace {

std::array<unsigned char, 32> Digest(absl::string_view token) {
  std::array<unsigned char, 32> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(),
         digest.data());
  return digest;
}

constexpr absl::string_view kBearer = "Bearer ";
// Longer headers are refused before hashing (gRPC caps metadata anyway).
constexpr size_t kMaxToken = 4096;

constexpr absl::string_view kSignatureVersion = "v1=";

std::array<unsigned char, 32> Hmac(absl::string_view secret,
                                   absl::string_view timestamp,
                                   absl::string_view body) {
  std::string message;
  message.reserve(timestamp.size() + 1 + body.size());
  message.append(timestamp.data(), timestamp.size());
  message += '.';
  message.append(body.data(), body.size());
  std::array<unsigned char, 32> mac{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
       mac.data(), &size);
  return mac;
}

}  // namespace

std::string SignatureHeader(absl::string_view secret, int64_t timestamp,
                            absl::string_view body) {
  const std::string t = absl::StrCat(timestamp);
  const std::array<unsigned char, 32> mac = Hmac(secret, t, body);
  return absl::StrCat(kSignatureVersion,
                      absl::BytesToHexString(absl::string_view(
                          reinterpret_cast<const char*>(mac.data()),
                          mac.size())));
}

std::string TokenDigestHex(absl::string_view token) {
  const std::array<unsigned char, 32> digest = Digest(token);
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(digest.data()), digest.size()));
}

Authorizer::Authorizer(std::optional<leadrouter::v1::AuthConfig> config)
    : enabled_(config.has_value()),
      principals_(Compile(config.value_or(leadrouter::v1::AuthConfig()))) {}

std::shared_ptr<const Authorizer::Principals> Authorizer::Compile(
    const leadrouter::v1::AuthConfig& config) {
  auto principals = std::make_shared<Principals>();
  for (const auto& p : config.principals()) {
    Known& k = principals->emplace_back();
    k.name = p.name();
    if (!p.token_sha256().empty()) {
      const std::string raw = absl::HexStringToBytes(p.token_sha256());
      if (raw.size() == k.token_digest.size()) {
        k.has_token = true;
        std::copy(raw.begin(), raw.end(), k.token_digest.begin());
      }
    }
    k.certificate_names.assign(p.certificate_names().begin(),
                               p.certificate_names().end());
    if (!p.signing_secret_file().empty()) {
      // Checked by LoadAuthFile; a file gone since then leaves the
      // principal unable to sign (its requests are refused).
      if (absl::StatusOr<std::string> secret =
              ReadSigningSecret(p.signing_secret_file());
          secret.ok()) {
        k.signing_secret = *std::move(secret);
      }
    }
    for (int r : p.roles()) {
      k.roles.push_back(static_cast<leadrouter::v1::Role>(r));
    }
    k.rep_ids.assign(p.rep_ids().begin(), p.rep_ids().end());
  }
  return principals;
}

absl::Status Authorizer::CheckSignature(const CallerCredentials& c,
                                        const Principals& principals,
                                        const Known** who) {
  int64_t timestamp = 0;
  if (!absl::SimpleAtoi(c.signature_timestamp, &timestamp)) {
    return absl::UnauthenticatedError(
        "x-leadrouter-timestamp: expected the Unix time in seconds the "
        "request was signed at");
  }
  const absl::Duration off =
      absl::AbsDuration(c.arrived_at - absl::FromUnixSeconds(timestamp));
  if (off > kSignatureWindow) {
    return absl::UnauthenticatedError(
        "x-leadrouter-timestamp: more than 5 minutes from the server's clock; "
        "sign each request when it is sent (a replayed request is refused)");
  }
  std::string presented;
  if (!absl::StartsWith(c.signature, kSignatureVersion) ||
      c.signature.size() != kSignatureVersion.size() + 64 ||
      (presented = absl::HexStringToBytes(
           absl::string_view(c.signature).substr(kSignatureVersion.size())))
              .size() != 32 ||
      !std::all_of(c.signature.begin() + kSignatureVersion.size(),
                   c.signature.end(), absl::ascii_isxdigit)) {
    return absl::UnauthenticatedError(
        "x-leadrouter-signature: expected \"v1=\" and 64 hex digits of "
        "HMAC-SHA256(secret, timestamp + \".\" + body)");
  }
  const absl::string_view body =
      c.signed_body == nullptr ? absl::string_view() : *c.signed_body;
  // Every signing principal is tried, without stopping at a match.
  for (const Known& k : principals) {
    if (k.signing_secret.empty()) continue;
    const std::array<unsigned char, 32> mac =
        Hmac(k.signing_secret, c.signature_timestamp, body);
    const bool same =
        CRYPTO_memcmp(mac.data(), presented.data(), mac.size()) == 0;
    if (same && *who == nullptr) *who = &k;
  }
  if (*who == nullptr) {
    return absl::UnauthenticatedError(
        "x-leadrouter-signature: matches no signing secret of this server "
        "for this body and timestamp");
  }
  return absl::OkStatus();
}

void Authorizer::Replace(const leadrouter::v1::AuthConfig& config) {
  principals_.store(Compile(config));
}

std::shared_ptr<const Authorizer::Principals> Authorizer::principals() const {
  return principals_.load();
}

Authorizer::Decision Authorizer::Authorize(
    const CallerCredentials& credentials, absl::string_view method) const {
  Decision d;
  if (!enabled_) {
    if (!credentials.loopback) {
      d.status = absl::UnauthenticatedError(
          "this leadrouterd runs without --auth_config and serves only "
          "loopback callers");
      return d;
    }
    d.caller.principal = "anonymous";
    return d;  // development: every role
  }

  std::shared_ptr<const Principals> principals = this->principals();
  const Known* who = nullptr;
  if (!credentials.authorization.empty()) {
    if (!absl::StartsWith(credentials.authorization, kBearer) ||
        credentials.authorization.size() == kBearer.size() ||
        credentials.authorization.size() > kBearer.size() + kMaxToken) {
      d.status = absl::UnauthenticatedError(
          "authorization: expected \"Bearer <token>\"");
      return d;
    }
    const std::array<unsigned char, 32> digest = Digest(
        absl::string_view(credentials.authorization).substr(kBearer.size()));
    for (const Known& k : *principals) {
      const bool same = k.has_token && CRYPTO_memcmp(k.token_digest.data(),
                                                     digest.data(),
                                                     digest.size()) == 0;
      if (same && who == nullptr) who = &k;
    }
    if (who == nullptr) {
      d.status = absl::UnauthenticatedError(
          "authorization: the bearer token is not known to this server");
      return d;
    }
  } else if (!credentials.signature.empty() ||
             !credentials.signature_timestamp.empty()) {
    absl::Status s = CheckSignature(credentials, *principals, &who);
    if (!s.ok()) {
      d.status = std::move(s);
      return d;
    }
  } else if (!credentials.certificate_names.empty()) {
    for (const Known& k : *principals) {
      for (const std::string& name : credentials.certificate_names) {
        if (std::find(k.certificate_names.begin(), k.certificate_names.end(),
                      name) != k.certificate_names.end()) {
          who = &k;
          break;
        }
      }
      if (who != nullptr) break;
    }
    if (who == nullptr) {
      d.status = absl::UnauthenticatedError(
          "the client certificate names no principal of this server");
      return d;
    }
  } else {
    d.status = absl::UnauthenticatedError(
        "no credentials: send \"authorization: Bearer <token>\" or a client "
        "certificate");
    return d;
  }

  d.caller.principal = who->name;
  if (IsReflectionMethod(method)) return d;  // any known caller
  const std::optional<leadrouter::v1::Role> needed = RequiredRole(method);
  if (!needed.has_value()) {
    d.status = absl::PermissionDeniedError(
        absl::StrCat(method.substr(0, 200), " is open to no role"));
    return d;
  }
  if (std::find(who->roles.begin(), who->roles.end(), *needed) ==
      who->roles.end()) {
    d.status = absl::PermissionDeniedError(
        absl::StrCat("principal \"", who->name, "\" may not call ", method,
                     ": it needs the ", RoleName(*needed), " role"));
    return d;
  }
  if (*needed == leadrouter::v1::ROLE_WORKER) d.caller.rep_ids = who->rep_ids;
  return d;
}

}  // namespace leadrouter::server
