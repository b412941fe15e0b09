// How leadctl reaches leadrouterd: address, deadline, TLS files and the
// bearer token, from flags and the environment.
//
//   --server=host:port  --timeout=10s
//   --ca_file=ca.pem                      TLS, trusting this CA
//   --cert_file=me.pem --key_file=me.key  a client certificate (mutual TLS)
//   --token=...  | --token_file=FILE | LEADROUTER_TOKEN=...   bearer token
//
//   absl::StatusOr<ClientOptions> options = ConnectionFromFlags();
#ifndef LEADROUTER_CLIENT_LEADCTL_CONNECTION_H_
#define LEADROUTER_CLIENT_LEADCTL_CONNECTION_H_

#include "absl/status/statusor.h"
#include "client/client.h"

namespace leadrouter::leadctl {

// INVALID_ARGUMENT naming the flag for unreadable files, a certificate
// without its key, or more than one token source.
absl::StatusOr<ClientOptions> ConnectionFromFlags();

}  // namespace leadrouter::leadctl

#endif  // LEADROUTER_CLIENT_LEADCTL_CONNECTION_H_
