// leadctl: route, explain and look up leads from a shell.
//
//   leadctl route --id=L-1001 --country=DE --postal=80331
//       --products=insights --score=85 --stage=sql
//   leadctl explain --json='{"id":"L-1","country_code":"GB","stage":"STAGE_SQL"}'
//   leadctl get L-1001
//   leadctl list --team=dach --state=assigned --page_size=20
//   leadctl accept L-1001 --etag=1
//   leadctl close L-1001 --outcome=won --note="signed for 40 seats"
//   leadctl watch --rep=jonas.weber
//
//   leadctl --ca_file=ca.pem --token_file=t config apply routing.yaml
//   leadctl token new --name=crm-sync --role=router
//
// Exit codes: see cli.h. Admin commands (reps, set-rep, config, audit,
// token) are in admin_commands.cc, connection flags in connection.cc.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/client.h"
#include "client/leadctl/admin_commands.h"
#include "client/leadctl/cli.h"
#include "client/leadctl/connection.h"
#include "client/leadctl/import.h"
#include "client/leadctl/render.h"
#include "google/protobuf/util/json_util.h"

// The lead, for route and explain: either --json or the field flags.
ABSL_FLAG(std::string, json, "", "The lead as JSON (proto3 JSON mapping).");
ABSL_FLAG(std::string, id, "", "Lead id (the idempotency key).");
ABSL_FLAG(std::string, email, "", "Contact e-mail.");
ABSL_FLAG(std::string, name, "",
          "Contact full name; token new: the principal's name.");
ABSL_FLAG(std::string, company, "", "Company name.");
ABSL_FLAG(std::string, domain, "", "Company web domain.");
ABSL_FLAG(std::string, country, "", "ISO 3166-1 alpha-2 country, e.g. DE.");
ABSL_FLAG(std::string, region, "", "ISO 3166-2 region, e.g. DE-BY.");
ABSL_FLAG(std::string, postal, "", "Postal code.");
ABSL_FLAG(std::string, language, "", "BCP 47 language, e.g. de.");
ABSL_FLAG(std::string, products, "", "Product interests, comma-separated.");
ABSL_FLAG(int, score, 0, "Marketing score 0-100.");
ABSL_FLAG(std::string, stage, "sql", "mql or sql.");
ABSL_FLAG(std::string, source, "", "Lead source, e.g. webinar.");
ABSL_FLAG(std::string, industry, "", "Industry.");
ABSL_FLAG(int, employees, 0, "Employee count.");
// For list.
ABSL_FLAG(std::string, rep, "", "list: only this rep's assignments.");
ABSL_FLAG(std::string, team, "",
          "list, queues: only this team's assignments or queue.");
ABSL_FLAG(int, page_size, 50, "list: assignments per page.");
ABSL_FLAG(std::string, page_token, "", "list: continue from this token.");
ABSL_FLAG(std::string, state, "",
          "list: only assignments in this state (assigned, queued, accepted, "
          "closed).");
// For the state machine and watch.
ABSL_FLAG(std::string, etag, "",
          "accept, reject, close: the etag last read; a stale one is refused.");
ABSL_FLAG(std::string, note, "", "reject, close: a note for the record.");
ABSL_FLAG(std::string, outcome, "", "close: won, lost or other.");
ABSL_FLAG(std::string, cursor, "",
          "watch: continue after this cursor (printed with every event).");
ABSL_FLAG(bool, from_start, false, "watch: every stored event from the first.");

namespace {

using leadrouter::leadctl::Fail;
using leadrouter::leadctl::kUsage;
using leadrouter::v1::Lead;

bool Json() { return leadrouter::leadctl::JsonOutput(); }

absl::StatusOr<Lead> LeadFromFlags() {
  Lead lead;
  if (const std::string json = absl::GetFlag(FLAGS_json); !json.empty()) {
    auto status = google::protobuf::util::JsonStringToMessage(json, &lead);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          "--json: " + std::string(status.message()));
    }
    return lead;
  }
  lead.set_id(absl::GetFlag(FLAGS_id));
  lead.set_email(absl::GetFlag(FLAGS_email));
  lead.set_full_name(absl::GetFlag(FLAGS_name));
  lead.set_company_name(absl::GetFlag(FLAGS_company));
  lead.set_company_domain(absl::GetFlag(FLAGS_domain));
  lead.set_country_code(absl::GetFlag(FLAGS_country));
  lead.set_region_code(absl::GetFlag(FLAGS_region));
  lead.set_postal_code(absl::GetFlag(FLAGS_postal));
  lead.set_language(absl::GetFlag(FLAGS_language));
  for (absl::string_view p :
       absl::StrSplit(absl::GetFlag(FLAGS_products), ',', absl::SkipEmpty())) {
    lead.add_product_interests(std::string(p));
  }
  lead.set_score(absl::GetFlag(FLAGS_score));
  const std::string stage = absl::GetFlag(FLAGS_stage);
  if (stage == "sql") {
    lead.set_stage(leadrouter::v1::STAGE_SQL);
  } else if (stage == "mql") {
    lead.set_stage(leadrouter::v1::STAGE_MQL);
  } else {
    return absl::InvalidArgumentError("--stage: must be mql or sql");
  }
  lead.set_source(absl::GetFlag(FLAGS_source));
  lead.set_industry(absl::GetFlag(FLAGS_industry));
  lead.set_employee_count(absl::GetFlag(FLAGS_employees));
  return lead;
}

int Route(leadrouter::Client& client) {
  absl::StatusOr<Lead> lead = LeadFromFlags();
  if (!lead.ok()) return Fail(lead.status());
  auto routed = client.Route(*lead);
  if (!routed.ok()) return Fail(routed.status());
  std::cout << (Json() ? leadrouter::leadctl::RenderJson(*routed)
                       : leadrouter::leadctl::RenderAssignment(
                             routed->assignment(), routed->replayed()));
  return 0;
}

int Explain(leadrouter::Client& client) {
  absl::StatusOr<Lead> lead = LeadFromFlags();
  if (!lead.ok()) return Fail(lead.status());
  auto assignment = client.Explain(*lead);
  if (!assignment.ok()) return Fail(assignment.status());
  std::cout << (Json() ? leadrouter::leadctl::RenderJson(*assignment)
                       : "dry run, nothing stored:\n" +
                             leadrouter::leadctl::RenderAssignment(
                                 *assignment, false));
  return 0;
}

int Get(leadrouter::Client& client, const std::vector<char*>& args) {
  if (args.size() != 3) {
    std::cerr << "usage: leadctl get LEAD_ID\n";
    return kUsage;
  }
  auto assignment = client.GetAssignment(args[2]);
  if (!assignment.ok()) return Fail(assignment.status());
  std::cout << (Json() ? leadrouter::leadctl::RenderJson(*assignment)
                       : leadrouter::leadctl::RenderAssignment(*assignment,
                                                               false));
  return 0;
}

// "accepted" -> ASSIGNMENT_STATE_ACCEPTED; "" -> unspecified.
template <typename Enum>
absl::StatusOr<Enum> ParseEnum(const std::string& flag, const std::string& text,
                               const std::string& prefix,
                               bool (*parse)(const std::string&, Enum*)) {
  Enum value{};
  if (text.empty()) return value;
  if (!parse(prefix + absl::AsciiStrToUpper(text), &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": unknown value \"", text, "\""));
  }
  return value;
}

int List(leadrouter::Client& client) {
  leadrouter::v1::ListAssignmentsRequest request;
  auto state = ParseEnum<leadrouter::v1::AssignmentState>(
      "state", absl::GetFlag(FLAGS_state), "ASSIGNMENT_STATE_",
      &leadrouter::v1::AssignmentState_Parse);
  if (!state.ok()) return Fail(state.status());
  request.set_state(*state);
  request.set_rep_id(absl::GetFlag(FLAGS_rep));
  request.set_team_id(absl::GetFlag(FLAGS_team));
  request.set_page_size(absl::GetFlag(FLAGS_page_size));
  request.set_page_token(absl::GetFlag(FLAGS_page_token));
  auto page = client.ListAssignments(request);
  if (!page.ok()) return Fail(page.status());
  if (Json()) {
    std::cout << leadrouter::leadctl::RenderJson(*page);
    return 0;
  }
  std::cout << leadrouter::leadctl::RenderAssignmentTable(*page);
  if (!page->next_page_token().empty()) {
    std::cout << "more: --page_token=" << page->next_page_token() << "\n";
  }
  return 0;
}

int Queues(leadrouter::Client& client) {
  auto queues = client.ListQueues(absl::GetFlag(FLAGS_team));
  if (!queues.ok()) return Fail(queues.status());
  std::cout << (Json() ? leadrouter::leadctl::RenderJson(*queues)
                       : leadrouter::leadctl::RenderQueueTable(*queues));
  return 0;
}

int PrintAssignment(const absl::StatusOr<leadrouter::v1::Assignment>& a) {
  if (!a.ok()) return Fail(a.status());
  std::cout << (Json() ? leadrouter::leadctl::RenderJson(*a)
                       : leadrouter::leadctl::RenderAssignment(*a, false));
  return 0;
}

// accept, reject, close, erase: LEAD_ID is the one argument.
int Change(leadrouter::Client& client, const std::string& command,
           const std::vector<char*>& args) {
  if (args.size() != 3) {
    std::cerr << "usage: leadctl " << command << " LEAD_ID\n";
    return kUsage;
  }
  const std::string lead_id = args[2];
  const std::string etag = absl::GetFlag(FLAGS_etag);
  if (command == "accept") {
    leadrouter::v1::AcceptAssignmentRequest request;
    request.set_lead_id(lead_id);
    request.set_etag(etag);
    return PrintAssignment(client.Accept(request));
  }
  if (command == "reject") {
    leadrouter::v1::RejectAssignmentRequest request;
    request.set_lead_id(lead_id);
    request.set_etag(etag);
    request.set_note(absl::GetFlag(FLAGS_note));
    return PrintAssignment(client.Reject(request));
  }
  if (command == "close") {
    auto outcome = ParseEnum<leadrouter::v1::CloseOutcome>(
        "outcome", absl::GetFlag(FLAGS_outcome), "CLOSE_OUTCOME_",
        &leadrouter::v1::CloseOutcome_Parse);
    if (!outcome.ok()) return Fail(outcome.status());
    leadrouter::v1::CloseAssignmentRequest request;
    request.set_lead_id(lead_id);
    request.set_etag(etag);
    request.set_outcome(*outcome);
    request.set_note(absl::GetFlag(FLAGS_note));
    return PrintAssignment(client.Close(request));
  }
  return PrintAssignment(client.Erase(lead_id));
}

// Prints events as they come until interrupted or the stream ends.
int Watch(leadrouter::Client& client) {
  leadrouter::v1::WatchAssignmentsRequest request;
  request.set_rep_id(absl::GetFlag(FLAGS_rep));
  request.set_team_id(absl::GetFlag(FLAGS_team));
  request.set_cursor(absl::GetFlag(FLAGS_cursor));
  request.set_from_start(absl::GetFlag(FLAGS_from_start));
  absl::Status status =
      client.Watch(request, [](const leadrouter::v1::AssignmentEvent& e) {
        std::cout << (Json() ? leadrouter::leadctl::RenderJson(e)
                             : leadrouter::leadctl::RenderEvent(e))
                  << std::flush;
        return true;
      });
  return status.ok() ? 0 : Fail(status);
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "leadctl COMMAND [flags]\n"
      "  route    route a lead (--id, --country, ... or --json)\n"
      "  explain  show where a lead would go, storing nothing\n"
      "  get ID   show a lead's assignment\n"
      "  list     list assignments (--rep, --team, --state, --page_size)\n"
      "  queues   leads waiting per queue (--team)\n"
      "  accept ID           the rep takes the lead on (--etag)\n"
      "  reject ID           the rep declines; routed again (--note, --etag)\n"
      "  close ID            --outcome=won|lost|other (--note, --etag)\n"
      "  erase ID            erase the lead's personal data (GDPR)\n"
      "  watch    follow changes (--rep, --team, --cursor, --from_start)\n"
      "  import FILE         route every lead of a .jsonl or .csv file;\n"
      "                      resumes after an interruption\n"
      "  reps     reps with load, caps and availability (--team)\n"
      "  set-rep ID          --active=false, --capacity=N, --out=FIRST..LAST,\n"
      "                      --clear_out, or --clear\n"
      "  config get [VERSION] | validate FILE | diff FILE | apply FILE |\n"
      "         rollback VERSION\n"
      "  config simulate FILE --since 30d [--until T] | --lead_ids A,B\n"
      "                      what the draft would have done to stored leads\n"
      "                      (--limit, --max_changed)\n"
      "  audit    the audit trail (--principal, --method, --since, --until)\n"
      "  webhooks [--subscription=ID]   dead letters of outbound webhooks\n"
      "  webhooks retry SUBSCRIPTION [CURSOR]   send them (or one) again\n"
      "  backup FILE         a consistent copy of the store, while it serves\n"
      "  token new --name=NAME --role=ROLE[,ROLE] [--rep_ids=a,b]\n"
      "           a fresh token and its auth config entry\n"
      "  health   grpc.health.v1 check (exit 0 SERVING, 8 NOT_SERVING)\n"
      "Connection: --server, --ca_file (TLS), --cert_file/--key_file "
      "(mutual TLS),\n--token_file or LEADROUTER_TOKEN (bearer token).\n"
      "Exit codes: 0 ok, 1 error, 2 usage, 3 invalid input, 4 not found, "
      "5 unavailable, 6 conflict (state or stale etag), 7 not allowed, "
      "8 not serving.");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2 || !leadrouter::leadctl::OutputFlagValid()) {
    std::cerr << absl::ProgramUsageMessage() << "\n";
    return kUsage;
  }
  const std::string command = args[1];
  if (command == "token") return leadrouter::leadctl::Token(args);
  absl::StatusOr<leadrouter::ClientOptions> options =
      leadrouter::leadctl::ConnectionFromFlags();
  if (!options.ok()) return Fail(options.status());
  if (command == "health") return leadrouter::leadctl::Health(*options);
  leadrouter::Client client(*options);

  if (command == "route") return Route(client);
  if (command == "explain") return Explain(client);
  if (command == "get") return Get(client, args);
  if (command == "list") return List(client);
  if (command == "queues") return Queues(client);
  if (command == "accept" || command == "reject" || command == "close" ||
      command == "erase") {
    return Change(client, command, args);
  }
  if (command == "watch") return Watch(client);
  if (command == "reps") return leadrouter::leadctl::Reps(client);
  if (command == "set-rep") return leadrouter::leadctl::SetRep(client, args);
  if (command == "config") return leadrouter::leadctl::Config(client, args);
  if (command == "audit") return leadrouter::leadctl::Audit(client);
  if (command == "webhooks") {
    return leadrouter::leadctl::Webhooks(client, args);
  }
  if (command == "backup") return leadrouter::leadctl::Backup(client, args);
  if (command == "import") {
    if (args.size() != 3) {
      std::cerr << "usage: leadctl import FILE.jsonl|FILE.csv\n";
      return kUsage;
    }
    return leadrouter::leadctl::RunImport(client, args[2], Json(), std::cout);
  }
  std::cerr << "leadctl: unknown command \"" << command << "\"\n"
            << absl::ProgramUsageMessage() << "\n";
  return kUsage;
}
