// The gRPC side of authorization: turns a call into CallerCredentials
// (the authorization header, the verified client certificate, the peer),
// asks the Authorizer, and records every refusal in the audit trail.
// Each service method starts with it:
//
//   absl::StatusOr<Caller> caller = guard_.Admit(context, kMethod);
//   if (!caller.ok()) { reactor->Finish(ToGrpcStatus(caller.status())); ... }
//
// ReflectionGuardFactory does the same for the server reflection service,
// which is not ours to edit: an interceptor that, for a refused caller,
// empties every request before the service sees it and ends the call with
// the refusal.
#ifndef LEADROUTER_SERVER_API_CALL_GUARD_H_
#define LEADROUTER_SERVER_API_CALL_GUARD_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/server_interceptor.h"
#include "server/audit/audit_trail.h"
#include "server/auth/authorizer.h"

namespace leadrouter::server {

// What the call presents: its authorization header, its verified
// certificate's names, whether the peer is a loopback address. Only what
// the authorizer will look at is read (`auth_enabled`: principals are
// known; otherwise only the peer counts), since this runs on every call.
CallerCredentials CredentialsOf(const grpc::ServerContextBase& context,
                                bool auth_enabled);

// True for "ipv4:127.x.x.x:port" and "ipv6:[::1]:port" (also %-encoded).
bool IsLoopbackPeer(absl::string_view peer);

// Thread-safe.
class CallGuard {
 public:
  // `audit` may be null (tests without a store).
  CallGuard(const Authorizer& authorizer, AuditTrail* audit)
      : authorizer_(authorizer), audit_(audit) {}

  // The caller, or UNAUTHENTICATED / PERMISSION_DENIED (recorded).
  absl::StatusOr<Caller> Admit(const grpc::ServerContextBase& context,
                               absl::string_view method) const;
  // The same for any transport: what the caller presents and its address
  // (as the audit trail records it). `method` is the gRPC method name the
  // request stands for, since roles are granted by it.
  absl::StatusOr<Caller> Admit(const CallerCredentials& credentials,
                               const std::string& peer,
                               absl::string_view method) const;

  // For a worker bound to reps: PERMISSION_DENIED (recorded) unless
  // `rep_id` is one of them.
  absl::Status CheckRep(const std::string& peer, absl::string_view method, const Caller& caller,
                        const std::string& rep_id,
                        const std::string& lead_id) const;

 private:
  void RecordDenied(const std::string& peer, absl::string_view method, const std::string& principal,
                    const absl::Status& status,
                    std::vector<std::string> targets = {}) const;

  const Authorizer& authorizer_;
  AuditTrail* audit_;
};

// For unary methods: the caller, or nullopt after finishing `reactor` with
// the refusal.
std::optional<Caller> AdmitOrFinish(const CallGuard& guard,
                                    const grpc::ServerContextBase& context,
                                    absl::string_view method,
                                    grpc::ServerUnaryReactor* reactor);

class ReflectionGuardFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit ReflectionGuardFactory(const CallGuard& guard) : guard_(guard) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  const CallGuard& guard_;
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_API_CALL_GUARD_H_
