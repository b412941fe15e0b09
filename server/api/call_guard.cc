// Denied calls are recorded with who tried (a principal's name, or
// "unauthenticated"), the method, the peer and the reason; the reason texts
// come from the Authorizer and never hold a token.
#include "server/api/call_guard.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/message.h"
#include "server/api/status.h"
#include "server/auth/method_roles.h"

namespace leadrouter::server {

bool IsLoopbackPeer(absl::string_view peer) {
  const std::string p =
      absl::StrReplaceAll(peer, {{"%5B", "["}, {"%5D", "]"}});
  return absl::StartsWith(p, "ipv4:127.") || absl::StartsWith(p, "ipv6:[::1]") ||
         absl::StartsWith(p, "ipv6:[::ffff:127.");
}

CallerCredentials CredentialsOf(const grpc::ServerContextBase& context,
                                bool auth_enabled) {
  CallerCredentials c;
  if (!auth_enabled) {
    c.loopback = IsLoopbackPeer(context.peer());
    return c;
  }
  const auto& metadata = context.client_metadata();
  if (auto it = metadata.find("authorization"); it != metadata.end()) {
    c.authorization.assign(it->second.data(), it->second.size());
    return c;  // a token decides alone
  }
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  // Certificate properties are only there when the handshake verified the
  // client's certificate against --tls_client_ca.
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    for (const char* property :
         {GRPC_X509_SUBJECT_PROPERTY_NAME, GRPC_X509_SAN_PROPERTY_NAME}) {
      for (const grpc::string_ref& v : auth->FindPropertyValues(property)) {
        c.certificate_names.emplace_back(v.data(), v.size());
      }
    }
  }
  return c;
}

void CallGuard::RecordDenied(const std::string& peer, absl::string_view method,
                             const std::string& principal,
                             const absl::Status& status,
                             std::vector<std::string> targets) const {
  if (audit_ == nullptr) return;
  leadrouter::v1::AuditEvent e;
  e.set_principal(principal);
  e.set_peer(peer);
  e.set_method(std::string(method.substr(0, 200)));
  for (std::string& t : targets) e.add_targets(std::move(t));
  e.set_code(static_cast<int>(status.code()));
  e.set_detail(std::string(status.message()));
  audit_->RecordDenied(std::move(e));
}

absl::StatusOr<Caller> CallGuard::Admit(const grpc::ServerContextBase& context,
                                        absl::string_view method) const {
  return Admit(CredentialsOf(context, authorizer_.enabled()), context.peer(),
               method);
}

absl::StatusOr<Caller> CallGuard::Admit(const CallerCredentials& credentials,
                                        const std::string& peer,
                                        absl::string_view method) const {
  Authorizer::Decision d = authorizer_.Authorize(credentials, method);
  if (!d.status.ok()) {
    RecordDenied(peer, method, d.caller.principal, d.status);
    return d.status;
  }
  return std::move(d.caller);
}

absl::Status CallGuard::CheckRep(const std::string& peer,
                                 absl::string_view method, const Caller& caller,
                                 const std::string& rep_id,
                                 const std::string& lead_id) const {
  if (caller.rep_ids.empty() ||
      std::find(caller.rep_ids.begin(), caller.rep_ids.end(), rep_id) !=
          caller.rep_ids.end()) {
    return absl::OkStatus();
  }
  absl::Status denied = absl::PermissionDeniedError(absl::StrCat(
      "principal \"", caller.principal, "\" works only the leads of its reps; "
      "lead ", lead_id, " is not one of them"));
  RecordDenied(peer, method, caller.principal, denied,
               {absl::StrCat("lead:", lead_id)});
  return denied;
}

std::optional<Caller> AdmitOrFinish(const CallGuard& guard,
                                    const grpc::ServerContextBase& context,
                                    absl::string_view method,
                                    grpc::ServerUnaryReactor* reactor) {
  absl::StatusOr<Caller> caller = guard.Admit(context, method);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return std::nullopt;
  }
  return *std::move(caller);
}

namespace {

// Lets the reflection service run for admitted callers only; see the header.
class ReflectionGuard final : public grpc::experimental::Interceptor {
 public:
  ReflectionGuard(const CallGuard& guard, grpc::experimental::ServerRpcInfo* info)
      : guard_(guard), info_(info) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      absl::StatusOr<Caller> caller =
          guard_.Admit(*info_->server_context(), info_->method());
      if (!caller.ok()) refused_ = ToGrpcStatus(caller.status());
    }
    if (!refused_.ok() && methods->QueryInterceptionHookPoint(
                              InterceptionHookPoints::POST_RECV_MESSAGE)) {
      // Generated request messages are protobuf messages: an empty request
      // asks nothing and gets nothing but an error reply.
      if (void* m = methods->GetRecvMessage(); m != nullptr) {
        static_cast<google::protobuf::Message*>(m)->Clear();
      }
    }
    if (!refused_.ok() && methods->QueryInterceptionHookPoint(
                              InterceptionHookPoints::PRE_SEND_STATUS)) {
      methods->ModifySendStatus(refused_);
    }
    methods->Proceed();
  }

 private:
  const CallGuard& guard_;
  grpc::experimental::ServerRpcInfo* info_;
  grpc::Status refused_;
};

}  // namespace

grpc::experimental::Interceptor* ReflectionGuardFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  if (!IsReflectionMethod(info->method())) return nullptr;
  return new ReflectionGuard(guard_, info);
}

}  // namespace leadrouter::server
