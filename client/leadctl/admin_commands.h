// leadctl's admin commands: reps and their overrides, the routing config
// (get, validate, diff, apply, rollback), the audit trail, and new tokens.
//
//   leadctl reps --team=dach
//   leadctl set-rep anna --active=false
//   leadctl config get [VERSION] | validate F | diff F | apply F | rollback V
//   leadctl audit --principal=crm-sync --since=2026-11-01T00:00:00Z
//   leadctl backup leadrouter-2026-11-23.db
//   leadctl token new --name=crm-sync --role=router
//   leadctl --server=127.0.0.1:8081 health      (exit 0 when SERVING)
#ifndef LEADROUTER_CLIENT_LEADCTL_ADMIN_COMMANDS_H_
#define LEADROUTER_CLIENT_LEADCTL_ADMIN_COMMANDS_H_

#include <vector>

#include "client/client.h"

namespace leadrouter::leadctl {

// Each returns the exit code; `args` are the positional arguments with
// args[1] the command.
int Reps(Client& client);
int SetRep(Client& client, const std::vector<char*>& args);
int Config(Client& client, const std::vector<char*>& args);
int Audit(Client& client);
// webhooks: the dead letters (--subscription); webhooks retry SUB [CURSOR]:
// another delivery of one or all of them.
int Webhooks(Client& client, const std::vector<char*>& args);
// Writes a consistent copy of the server's embedded store to FILE (new),
// checked against its SHA-256; `leadrouterd --restore=FILE` starts from it.
int Backup(Client& client, const std::vector<char*>& args);
// Needs no server: prints a fresh random token once, and the auth config
// entry holding only its SHA-256.
int Token(const std::vector<char*>& args);
// grpc.health.v1 Check: prints SERVING or NOT_SERVING; exit 0 only when
// serving (8 when not, 5 when unreachable). Needs no token.
int Health(const ClientOptions& options);

}  // namespace leadrouter::leadctl

#endif  // LEADROUTER_CLIENT_LEADCTL_ADMIN_COMMANDS_H_
