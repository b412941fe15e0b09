// What every leadctl command shares: the output format and how errors
// become messages and exit codes.
//
// Exit codes: 0 ok; 1 other error; 2 usage; 3 invalid input
// (INVALID_ARGUMENT); 4 not found; 5 server unavailable or too slow;
// 6 conflict (the state does not allow it, or the etag is stale);
// 7 not allowed (UNAUTHENTICATED, PERMISSION_DENIED); 8 health check:
// not serving.
#ifndef LEADROUTER_CLIENT_LEADCTL_CLI_H_
#define LEADROUTER_CLIENT_LEADCTL_CLI_H_

#include "absl/status/status.h"

namespace leadrouter::leadctl {

inline constexpr int kUsage = 2;

int ExitCodeFor(const absl::Status& status);

// Prints "leadctl: CODE: message" to stderr; returns ExitCodeFor(status).
int Fail(const absl::Status& status);

// --output=json.
bool JsonOutput();
// --output is text or json.
bool OutputFlagValid();

}  // namespace leadrouter::leadctl

#endif  // LEADROUTER_CLIENT_LEADCTL_CLI_H_
