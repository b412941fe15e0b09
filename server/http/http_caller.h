// Who sends an HTTP request, in the terms the Authorizer uses: the
// Authorization header, the names of a client certificate the TLS
// handshake verified (the subject as RFC 2253 and the subject alternative
// names, as gRPC reports them), a signature of the request
// (X-Leadrouter-Timestamp and X-Leadrouter-Signature over the body), and
// whether the peer is a loopback address. `request` must outlive the
// credentials (they point at its body). The HTTP twin of CredentialsOf in server/api/call_guard.h.
#ifndef LEADROUTER_SERVER_HTTP_HTTP_CALLER_H_
#define LEADROUTER_SERVER_HTTP_HTTP_CALLER_H_

#include <string>

#include "httplib.h"
#include "server/auth/authorizer.h"

namespace leadrouter::server {

CallerCredentials HttpCredentialsOf(const httplib::Request& request,
                                    bool auth_enabled);

// "ipv4:127.0.0.1:5000" or "ipv6:[::1]:5000", as gRPC writes peers, for
// the audit trail.
std::string HttpPeerOf(const httplib::Request& request);

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_HTTP_HTTP_CALLER_H_
