// What SIGHUP does: re-reads the routing config file and the auth file,
// each all or nothing (a broken file is refused, logged, and what runs
// stays), and records both in the audit trail as principal "sighup".
//
//   ReloadOnSignal(running_config, auth_path, authorizer, audit);
#ifndef LEADROUTER_SERVER_SIGHUP_RELOAD_H_
#define LEADROUTER_SERVER_SIGHUP_RELOAD_H_

#include <string>

#include "server/audit/audit_trail.h"
#include "server/auth/authorizer.h"
#include "server/config/running_config.h"

namespace leadrouter::server {

// `auth_config_path` empty: only the routing config.
void ReloadOnSignal(RunningConfig& running_config,
                    const std::string& auth_config_path,
                    Authorizer& authorizer, AuditTrail& audit);

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_SIGHUP_RELOAD_H_
