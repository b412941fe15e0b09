#include "server/http/http_caller.h"

#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/api/call_guard.h"

namespace leadrouter::server {
namespace {

std::string SubjectOf(X509* certificate) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()),
                                                &BIO_free);
  if (bio == nullptr ||
      X509_NAME_print_ex(bio.get(), X509_get_subject_name(certificate), 0,
                         XN_FLAG_RFC2253) < 0) {
    return "";
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<size_t>(size)) : "";
}

void AddAlternativeNames(X509* certificate, std::vector<std::string>* names) {
  auto* sans = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  if (sans == nullptr) return;
  for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans, i);
    const ASN1_STRING* text = nullptr;
    if (name->type == GEN_DNS) text = name->d.dNSName;
    if (name->type == GEN_URI) text = name->d.uniformResourceIdentifier;
    if (name->type == GEN_EMAIL) text = name->d.rfc822Name;
    if (text != nullptr) {
      names->emplace_back(
          reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
          static_cast<size_t>(ASN1_STRING_length(text)));
    }
  }
  GENERAL_NAMES_free(sans);
}

}  // namespace

CallerCredentials HttpCredentialsOf(const httplib::Request& request,
                                    bool auth_enabled) {
  CallerCredentials c;
  if (!auth_enabled) {
    // As the gRPC port decides it, on the same peer text.
    c.loopback = IsLoopbackPeer(HttpPeerOf(request));
    return c;
  }
  if (request.has_header("Authorization")) {
    c.authorization = request.get_header_value("Authorization");
    return c;  // a token decides alone, as on gRPC
  }
  if (request.has_header("X-Leadrouter-Signature") ||
      request.has_header("X-Leadrouter-Timestamp")) {
    c.signature = request.get_header_value("X-Leadrouter-Signature");
    c.signature_timestamp = request.get_header_value("X-Leadrouter-Timestamp");
    c.signed_body = &request.body;
    c.arrived_at = absl::Now();
    return c;  // so does a signature
  }
  // Only a certificate the handshake verified against --tls_client_ca
  // counts (the server requires and verifies one when that is set).
  if (request.ssl != nullptr &&
      SSL_get_verify_result(request.ssl) == X509_V_OK) {
    X509* certificate = SSL_get1_peer_certificate(request.ssl);
    if (certificate != nullptr) {
      if (std::string subject = SubjectOf(certificate); !subject.empty()) {
        c.certificate_names.push_back(std::move(subject));
      }
      AddAlternativeNames(certificate, &c.certificate_names);
      X509_free(certificate);
    }
  }
  return c;
}

std::string HttpPeerOf(const httplib::Request& request) {
  if (absl::StrContains(request.remote_addr, ':')) {
    return absl::StrCat("ipv6:[", request.remote_addr,
                        "]:", request.remote_port);
  }
  return absl::StrCat("ipv4:", request.remote_addr, ":", request.remote_port);
}

}  // namespace leadrouter::server
