#include "client/leadctl/admin_commands.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <iostream>
#include <set>
#include <sstream>
#include <string>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/strip.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "client/leadctl/cli.h"
#include "client/leadctl/render.h"
#include "client/leadctl/simulate.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"

ABSL_DECLARE_FLAG(std::string, team);
ABSL_DECLARE_FLAG(std::string, name);
ABSL_DECLARE_FLAG(int, page_size);
ABSL_DECLARE_FLAG(std::string, page_token);
ABSL_FLAG(std::string, active, "", "set-rep: true or false.");
ABSL_FLAG(std::string, capacity, "", "set-rep: open-lead capacity.");
ABSL_FLAG(bool, clear, false, "set-rep: drop the rep's override.");
ABSL_FLAG(int, fairness_days, 0,
          "reps: the fairness window in days (1 to 365; default 7).");
ABSL_FLAG(std::string, out, "",
          "set-rep: out of office FIRST..LAST, days in the rep's time zone "
          "(2026-12-21..2027-01-03, both included) or RFC 3339 instants; "
          "several comma-separated.");
ABSL_FLAG(bool, clear_out, false,
          "set-rep: drop the absences set with --out before (not the "
          "config's).");
ABSL_FLAG(std::string, principal, "", "audit: only this principal's events.");
ABSL_FLAG(std::string, subscription, "",
          "webhooks: only this subscription's dead letters.");
ABSL_FLAG(std::string, method, "",
          "audit: only this method, e.g. "
          "/leadrouter.v1.RoutingAdmin/ApplyConfig.");
ABSL_FLAG(std::string, since, "",
          "audit: events at or after; config simulate: leads that arrived at "
          "or after. An RFC 3339 time, or an age such as 30d, 12h or 90m.");
ABSL_FLAG(std::string, until, "",
          "audit: events before; config simulate: leads that arrived before "
          "(default now). An RFC 3339 time or an age.");
ABSL_FLAG(std::string, role, "",
          "token new: roles, comma-separated (router, reader, worker, admin).");
ABSL_FLAG(std::string, rep_ids, "",
          "token new: bind the worker role to these reps (comma-separated).");

namespace leadrouter::leadctl {
namespace {

bool Json() { return JsonOutput(); }

absl::Status SetTime(const char* flag, const std::string& text,
                     google::protobuf::Timestamp* out) {
  if (text.empty()) return absl::OkStatus();
  absl::StatusOr<google::protobuf::Timestamp> t =
      ParseWindowTime(flag, text, absl::Now());
  if (!t.ok()) return t.status();
  *out = *t;
  return absl::OkStatus();
}

std::string FormatTime(const google::protobuf::Timestamp& t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(t.seconds()),
                          absl::UTCTimeZone());
}

}  // namespace

int Reps(Client& client) {
  auto reps = client.ListReps(absl::GetFlag(FLAGS_team),
                              absl::GetFlag(FLAGS_fairness_days));
  if (!reps.ok()) return Fail(reps.status());
  std::cout << (Json() ? RenderJson(*reps) : RenderRepTable(*reps));
  return 0;
}

int SetRep(Client& client, const std::vector<char*>& args) {
  if (args.size() != 3) {
    std::cerr << "usage: leadctl set-rep REP_ID [--active=true|false] "
                 "[--capacity=N] [--out=FIRST..LAST] [--clear_out] "
                 "[--clear]\n";
    return kUsage;
  }
  v1::SetRepAvailabilityRequest request;
  request.set_rep_id(args[2]);
  request.set_clear(absl::GetFlag(FLAGS_clear));
  request.set_clear_out_of_office(absl::GetFlag(FLAGS_clear_out));
  if (const std::string out = absl::GetFlag(FLAGS_out); !out.empty()) {
    for (absl::string_view range : absl::StrSplit(out, ',')) {
      std::pair<std::string, std::string> ends =
          absl::StrSplit(range, absl::MaxSplits("..", 1));
      if (ends.first.empty() || ends.second.empty()) {
        return Fail(absl::InvalidArgumentError(absl::StrCat(
            "--out: \"", range, "\" is not FIRST..LAST, e.g. "
            "2026-12-21..2027-01-03")));
      }
      v1::Absence* absence = request.add_add_out_of_office();
      absence->set_start(ends.first);
      absence->set_end(ends.second);
    }
  }
  if (const std::string active = absl::GetFlag(FLAGS_active); !active.empty()) {
    bool value = false;
    if (!absl::SimpleAtob(active, &value)) {
      return Fail(absl::InvalidArgumentError("--active: must be true or false"));
    }
    request.set_active(value);
  }
  if (const std::string capacity = absl::GetFlag(FLAGS_capacity);
      !capacity.empty()) {
    int value = 0;
    if (!absl::SimpleAtoi(capacity, &value)) {
      return Fail(absl::InvalidArgumentError("--capacity: must be a number"));
    }
    request.set_capacity(value);
  }
  auto set = client.SetRepAvailability(request);
  if (!set.ok()) return Fail(set.status());
  std::cout << (Json() ? RenderJson(*set)
                       : absl::StrCat("rep ", args[2], ": ",
                                      set->override().ShortDebugString().empty()
                                          ? "as configured"
                                          : set->override().ShortDebugString(),
                                      "; running ", set->version(), "\n"));
  return 0;
}

int Config(Client& client, const std::vector<char*>& args) {
  const std::string sub = args.size() >= 3 ? args[2] : "";
  if (sub == "get" && (args.size() == 3 || args.size() == 4)) {
    auto config = client.GetConfig(args.size() == 4 ? args[3] : "");
    if (!config.ok()) return Fail(config.status());
    if (Json()) {
      std::cout << RenderJson(*config);
    } else {
      std::cout << "version   " << config->version() << "\nsource    "
                << config->source() << "\nloaded    "
                << FormatTime(config->loaded_at()) << "\nreps      "
                << config->config().reps_size() << "\nteams     "
                << config->config().teams_size() << "\nrules     "
                << config->config().rules_size() << "\n";
      for (const auto& o : config->overrides()) {
        std::cout << "override  " << o.ShortDebugString() << "\n";
      }
    }
    return 0;
  }
  if (sub == "simulate" && args.size() == 4) {
    return SimulateConfig(client, args[3]);
  }
  if (sub == "rollback" && args.size() == 4) {
    v1::ApplyConfigRequest request;
    request.set_rollback_to_version(args[3]);
    auto applied = client.ApplyConfig(request);
    if (!applied.ok()) return Fail(applied.status());
    if (Json()) {
      std::cout << RenderJson(*applied);
    } else {
      std::cout << (applied->applied() ? "rolled back to " : "already running ")
                << applied->version() << " (was "
                << applied->previous_version() << ")\n";
      for (const std::string& c : applied->changes()) std::cout << c << "\n";
    }
    return 0;
  }
  if ((sub == "validate" || sub == "apply" || sub == "diff") &&
      args.size() == 4) {
    std::ifstream in(args[3]);
    if (!in) {
      std::cerr << "leadctl: cannot read " << args[3] << "\n";
      return kUsage;
    }
    std::stringstream yaml;
    yaml << in.rdbuf();
    v1::ApplyConfigRequest request;
    request.set_yaml(yaml.str());
    request.set_validate_only(sub != "apply");
    auto applied = client.ApplyConfig(request);
    if (!applied.ok()) return Fail(applied.status());
    if (Json()) {
      std::cout << RenderJson(*applied);
    } else if (sub == "validate") {
      std::cout << "valid: " << applied->version() << " (running "
                << applied->previous_version() << ")\n";
    } else if (sub == "diff") {
      for (const std::string& c : applied->changes()) std::cout << c << "\n";
      if (applied->changes().empty()) std::cout << "no change\n";
    } else {
      std::cout << (applied->applied() ? "applied " : "unchanged ")
                << applied->version() << " (was "
                << applied->previous_version() << ")\n";
    }
    return 0;
  }
  std::cerr << "usage: leadctl config get [VERSION] | validate FILE | "
               "diff FILE | apply FILE | rollback VERSION |\n"
               "       simulate FILE (--since 30d [--until T] | --lead_ids "
               "A,B) [--limit N] [--max_changed N]\n";
  return kUsage;
}

int Backup(Client& client, const std::vector<char*>& args) {
  if (args.size() != 3) {
    std::cerr << "usage: leadctl backup FILE\n";
    return kUsage;
  }
  const std::filesystem::path file = args[2];
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) {
    return Fail(absl::AlreadyExistsError(
        absl::StrCat("backup: ", file.string(), " already exists")));
  }
  // Written beside the target and renamed once whole and checked, so FILE
  // is either a complete backup or absent. Owner-only: it holds personal
  // data.
  const std::filesystem::path partial = file.string() + ".partial";
  std::ofstream out(partial, std::ios::binary | std::ios::trunc);
  std::filesystem::permissions(partial,
                               std::filesystem::perms::owner_read |
                                   std::filesystem::perms::owner_write,
                               ec);
  if (!out) {
    return Fail(absl::UnavailableError(
        absl::StrCat("backup: cannot write ", partial.string())));
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> sha(
      EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_DigestInit_ex(sha.get(), EVP_sha256(), nullptr);
  int64_t received = 0;
  int64_t total = 0;
  std::string expected_sha;
  absl::Status status = client.Backup([&](const v1::BackupChunk& chunk) {
    out.write(chunk.data().data(),
              static_cast<std::streamsize>(chunk.data().size()));
    EVP_DigestUpdate(sha.get(), chunk.data().data(), chunk.data().size());
    received += static_cast<int64_t>(chunk.data().size());
    total = chunk.total_bytes();
    if (!chunk.sha256().empty()) expected_sha = chunk.sha256();
    return static_cast<bool>(out);
  });
  out.close();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  EVP_DigestFinal_ex(sha.get(), digest, &digest_size);
  const std::string got_sha = absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(digest), digest_size));
  if (status.ok() && (!out || received != total || expected_sha != got_sha)) {
    status = absl::DataLossError(absl::StrCat(
        "backup: the copy arrived damaged (", received, " of ", total,
        " bytes, checksum ", expected_sha == got_sha ? "ok" : "mismatch",
        "); run it again"));
  }
  if (status.ok()) {
    std::filesystem::rename(partial, file, ec);
    if (ec) {
      status = absl::UnavailableError(absl::StrCat(
          "backup: cannot rename to ", file.string(), ": ", ec.message()));
    }
  }
  if (!status.ok()) {
    std::filesystem::remove(partial, ec);
    return Fail(status);
  }
  std::cout << "backup " << file.string() << ": " << received
            << " bytes, sha256 " << got_sha << "\n";
  return 0;
}

int Audit(Client& client) {
  v1::ListAuditEventsRequest request;
  request.set_principal(absl::GetFlag(FLAGS_principal));
  request.set_method(absl::GetFlag(FLAGS_method));
  request.set_page_size(absl::GetFlag(FLAGS_page_size));
  request.set_page_token(absl::GetFlag(FLAGS_page_token));
  if (auto s = SetTime("since", absl::GetFlag(FLAGS_since),
                       request.mutable_since());
      !s.ok()) {
    return Fail(s);
  }
  if (auto s = SetTime("until", absl::GetFlag(FLAGS_until),
                       request.mutable_until());
      !s.ok()) {
    return Fail(s);
  }
  auto page = client.ListAuditEvents(request);
  if (!page.ok()) return Fail(page.status());
  if (Json()) {
    std::cout << RenderJson(*page);
    return 0;
  }
  for (const v1::AuditEvent& e : page->events()) {
    std::cout << FormatTime(e.at()) << "  " << e.principal() << "  "
              << e.peer() << "  " << e.method();
    if (!e.targets().empty()) {
      std::cout << "  " << absl::StrJoin(e.targets(), ",");
    }
    std::cout << "  "
              << (e.code() == 0 ? "OK"
                                : absl::StatusCodeToString(
                                      static_cast<absl::StatusCode>(e.code())));
    if (e.version_before() != e.version_after()) {
      std::cout << "  " << e.version_before() << " -> " << e.version_after();
    }
    if (!e.detail().empty()) std::cout << "  (" << e.detail() << ")";
    std::cout << "\n";
    for (const std::string& c : e.changes()) std::cout << "    " << c << "\n";
  }
  if (!page->next_page_token().empty()) {
    std::cout << "more: --page_token=" << page->next_page_token() << "\n";
  }
  return 0;
}

int Webhooks(Client& client, const std::vector<char*>& args) {
  if (args.size() >= 3 && std::string(args[2]) == "retry") {
    if (args.size() < 4 || args.size() > 5) {
      std::cerr << "usage: leadctl webhooks retry SUBSCRIPTION [CURSOR]\n";
      return kUsage;
    }
    v1::RetryDeadLettersRequest request;
    request.set_subscription(args[3]);
    if (args.size() == 5) request.set_cursor(args[4]);
    auto marked = client.RetryDeadLetters(request);
    if (!marked.ok()) return Fail(marked.status());
    if (Json()) {
      std::cout << RenderJson(*marked);
      return 0;
    }
    std::cout << marked->marked() << " dead letters of " << args[3]
              << " will be sent again\n";
    return 0;
  }
  if (args.size() != 2) {
    std::cerr << "usage: leadctl webhooks [--subscription=ID] | webhooks "
                 "retry SUBSCRIPTION [CURSOR]\n";
    return kUsage;
  }
  v1::ListDeadLettersRequest request;
  request.set_subscription(absl::GetFlag(FLAGS_subscription));
  request.set_limit(1000);
  auto letters = client.ListDeadLetters(request);
  if (!letters.ok()) return Fail(letters.status());
  if (Json()) {
    std::cout << RenderJson(*letters);
    return 0;
  }
  if (letters->dead_letters().empty()) {
    std::cout << "no dead letters\n";
    return 0;
  }
  for (const v1::WebhookDeadLetter& d : letters->dead_letters()) {
    std::cout << d.subscription() << "  cursor " << d.event().cursor() << "  "
              << absl::AsciiStrToLower(absl::StripPrefix(
                     v1::AssignmentEventType_Name(d.event().type()),
                     "ASSIGNMENT_EVENT_TYPE_"))
              << "  lead "
              << d.event().lead_id() << "  gave up " << FormatTime(d.failed_at())
              << " after " << d.attempts() << " attempts: " << d.error();
    if (d.retry_requested()) std::cout << "  (retry requested)";
    std::cout << "\n";
  }
  return 0;
}

int Token(const std::vector<char*>& args) {
  const std::string name = absl::GetFlag(FLAGS_name);
  std::vector<std::string> roles =
      absl::StrSplit(absl::GetFlag(FLAGS_role), ',', absl::SkipWhitespace());
  if (args.size() != 3 || std::string(args[2]) != "new" || name.empty() ||
      roles.empty()) {
    std::cerr << "usage: leadctl token new --name=NAME "
                 "--role=router|reader|worker|admin[,...] [--rep_ids=a,b]\n";
    return kUsage;
  }
  static const std::set<std::string> kRoles = {"router", "reader", "worker",
                                               "admin"};
  for (std::string& r : roles) {
    r = absl::AsciiStrToLower(absl::StripAsciiWhitespace(r));
    if (!kRoles.contains(r)) {
      return Fail(absl::InvalidArgumentError(absl::StrCat(
          "--role: \"", r, "\" is not router, reader, worker or admin")));
    }
  }
  const std::string rep_ids = absl::GetFlag(FLAGS_rep_ids);
  // 32 random bytes from the system's CSPRNG: 256 bits, as a URL-safe
  // string that survives shells and HTTP headers.
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) {
    return Fail(absl::InternalError("no random bytes from the system"));
  }
  const std::string token = absl::StrCat(
      "lrt_", absl::WebSafeBase64Escape(absl::string_view(
                  reinterpret_cast<const char*>(raw), sizeof raw)));
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(),
         digest);
  const std::string hex = absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(digest), sizeof digest));
  std::cout << "token (shown once; give it to the caller and keep no copy):\n"
            << "  " << token << "\n\n"
            << "auth config entry (add it to the --auth_config file, then "
               "kill -HUP leadrouterd):\n"
            << "  - name: " << name << "\n"
            << "    token_sha256: " << hex << "\n"
            << "    roles: [" << absl::StrJoin(roles, ", ") << "]\n";
  if (!rep_ids.empty()) {
    std::vector<std::string> reps =
        absl::StrSplit(rep_ids, ',', absl::SkipWhitespace());
    std::cout << "    rep_ids: [" << absl::StrJoin(reps, ", ") << "]\n";
  }
  return 0;
}

int Health(const ClientOptions& options) {
  auto channel = CreateLeadrouterChannel(options.address, options);
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + options.timeout));
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status s = health->Check(&context, {}, &response);
  if (!s.ok()) {
    return Fail(absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                             s.error_message()));
  }
  const bool serving =
      response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  std::cout << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
                   response.status())
            << "\n";
  return serving ? 0 : 8;
}

}  // namespace leadrouter::leadctl
