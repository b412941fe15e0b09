// Deny by default: a method missing here is refused for everyone, and
// tests/server/method_roles_test.cc fails for it.
#include "server/auth/method_roles.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace leadrouter::server {

using leadrouter::v1::Role;

const std::vector<std::pair<std::string, Role>>& MethodRoles() {
  static const auto* table = new std::vector<std::pair<std::string, Role>>{
      {"/leadrouter.v1.LeadRouter/RouteLead", leadrouter::v1::ROLE_ROUTER},
      {"/leadrouter.v1.LeadRouter/RouteLeads", leadrouter::v1::ROLE_ROUTER},
      {"/leadrouter.v1.LeadRouter/ExplainRoute", leadrouter::v1::ROLE_ROUTER},
      {"/leadrouter.v1.AssignmentService/GetAssignment",
       leadrouter::v1::ROLE_READER},
      {"/leadrouter.v1.AssignmentService/ListAssignments",
       leadrouter::v1::ROLE_READER},
      {"/leadrouter.v1.AssignmentService/WatchAssignments",
       leadrouter::v1::ROLE_READER},
      {"/leadrouter.v1.AssignmentService/ListQueues",
       leadrouter::v1::ROLE_READER},
      {"/leadrouter.v1.AssignmentService/AcceptAssignment",
       leadrouter::v1::ROLE_WORKER},
      {"/leadrouter.v1.AssignmentService/RejectAssignment",
       leadrouter::v1::ROLE_WORKER},
      {"/leadrouter.v1.AssignmentService/CloseAssignment",
       leadrouter::v1::ROLE_WORKER},
      {"/leadrouter.v1.AssignmentService/EraseLead",
       leadrouter::v1::ROLE_ADMIN},
      {"/leadrouter.v1.RoutingAdmin/GetConfig", leadrouter::v1::ROLE_READER},
      {"/leadrouter.v1.RoutingAdmin/ListReps", leadrouter::v1::ROLE_READER},
      {"/leadrouter.v1.RoutingAdmin/ApplyConfig", leadrouter::v1::ROLE_ADMIN},
      {"/leadrouter.v1.RoutingAdmin/SetRepAvailability",
       leadrouter::v1::ROLE_ADMIN},
      {"/leadrouter.v1.RoutingAdmin/ListAuditEvents",
       leadrouter::v1::ROLE_ADMIN},
      {"/leadrouter.v1.RoutingAdmin/Backup", leadrouter::v1::ROLE_ADMIN},
      // Drafts and stored traces (company domains): admins only.
      {"/leadrouter.v1.RoutingAdmin/SimulateConfig",
       leadrouter::v1::ROLE_ADMIN},
      // Dead letters hold events (lead ids, reps, notes): admins only.
      {"/leadrouter.v1.RoutingAdmin/ListDeadLetters",
       leadrouter::v1::ROLE_ADMIN},
      {"/leadrouter.v1.RoutingAdmin/RetryDeadLetters",
       leadrouter::v1::ROLE_ADMIN},
  };
  return *table;
}

std::optional<Role> RequiredRole(absl::string_view method) {
  for (const auto& [name, role] : MethodRoles()) {
    if (name == method) return role;
  }
  return std::nullopt;
}

std::string RoleName(Role role) {
  std::string name = leadrouter::v1::Role_Name(role);
  if (absl::StartsWith(name, "ROLE_")) name = name.substr(5);
  return absl::AsciiStrToLower(name);
}

bool IsReflectionMethod(absl::string_view method) {
  return absl::StartsWith(method, "/grpc.reflection.v1alpha.ServerReflection/");
}

}  // namespace leadrouter::server
