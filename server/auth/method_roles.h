// Which role each RPC needs: the authorization table, kept as data so that
// a test can hold it against the service descriptors (every method of every
// leadrouter service has a role) and README.md can show it.
//
//   std::optional<leadrouter::v1::Role> role =
//       RequiredRole("/leadrouter.v1.LeadRouter/RouteLead");  // ROLE_ROUTER
#ifndef LEADROUTER_SERVER_AUTH_METHOD_ROLES_H_
#define LEADROUTER_SERVER_AUTH_METHOD_ROLES_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "leadrouter/v1/auth.pb.h"

namespace leadrouter::server {

// Full method name ("/package.Service/Method") to the role it needs.
const std::vector<std::pair<std::string, leadrouter::v1::Role>>&
MethodRoles();

// The role `method` needs; nullopt for a method not in the table (denied).
std::optional<leadrouter::v1::Role> RequiredRole(absl::string_view method);

// "router", "reader", "worker", "admin".
std::string RoleName(leadrouter::v1::Role role);

// The server reflection methods: open to any authenticated caller.
bool IsReflectionMethod(absl::string_view method);

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_AUTH_METHOD_ROLES_H_
