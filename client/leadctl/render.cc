// Text output names enum values without their prefixes ("ASSIGNED", not
// "ASSIGNMENT_STATE_ASSIGNED") because people read it.
#include "client/leadctl/render.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"

namespace leadrouter::leadctl {
namespace {

std::string StateName(v1::AssignmentState state) {
  switch (state) {
    case v1::ASSIGNMENT_STATE_ASSIGNED:
      return "ASSIGNED";
    case v1::ASSIGNMENT_STATE_QUEUED:
      return "QUEUED";
    default:
      return "UNSPECIFIED";
  }
}

std::string Destination(const v1::Assignment& a) {
  if (a.state() == v1::ASSIGNMENT_STATE_ASSIGNED) {
    return a.team_id().empty()
               ? absl::StrCat("rep ", a.rep_id())
               : absl::StrCat("rep ", a.rep_id(), " (team ", a.team_id(), ")");
  }
  return absl::StrCat("queue ", a.queue());
}

std::string Time(const google::protobuf::Timestamp& t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC",
                          absl::FromUnixSeconds(t.seconds()),
                          absl::UTCTimeZone());
}

}  // namespace

std::string RenderAssignment(const v1::Assignment& a, bool replayed) {
  std::string out = absl::StrCat("lead ", a.lead_id(), " -> ", Destination(a),
                                 replayed ? "   (already routed; stored "
                                            "decision)"
                                          : "",
                                 "\n");
  const v1::RoutingTrace& trace = a.trace();
  absl::StrAppend(&out, "  state      ", StateName(a.state()), "\n");
  absl::StrAppend(&out, "  rule       ",
                  a.rule_id().empty()
                      ? std::string("(none matched)")
                      : absl::StrCat(a.rule_id(), " (#", trace.rule_index() + 1,
                                     " in the config)"),
                  "\n");
  absl::StrAppend(&out, "  config     ", a.config_version(), "\n");
  absl::StrAppend(&out, "  routed at  ", Time(a.routed_at()), "\n");
  if (a.has_queued_at()) {
    absl::StrAppend(&out, "  queued at  ", Time(a.queued_at()), "\n");
  }
  if (!trace.company_domain().empty()) {
    absl::StrAppend(&out, "  company    ", trace.company_domain(),
                    trace.same_company() ? " (went to the rep who owns it)"
                                         : "",
                    "\n");
  }
  if (trace.required_language() || trace.required_product_skill()) {
    absl::StrAppend(
        &out, "  requires   ",
        trace.required_language() && trace.required_product_skill()
            ? "language, product skill"
            : (trace.required_language() ? "language" : "product skill"),
        "\n");
  }
  absl::StrAppend(&out, "  why        ", trace.summary(), "\n");
  if (trace.candidates_size() > 0) {
    absl::StrAppend(&out, "  candidates",
                    trace.strategy().empty()
                        ? ""
                        : absl::StrCat(" (", trace.strategy(), ")"),
                    ":\n");
    for (const v1::Candidate& c : trace.candidates()) {
      const std::string today =
          c.daily_cap() > 0
              ? absl::StrFormat("%3d/%-3d today", c.assigned_today(),
                                c.daily_cap())
              : std::string(13, ' ');
      absl::StrAppendFormat(&out, "    %s %-20s %3d/%-3d open  %s  %s\n",
                            c.chosen() ? "*" : "-", c.rep_id(),
                            c.open_assignments(), c.capacity(), today,
                            c.detail());
    }
  }
  return out;
}

std::string RenderQueueTable(const v1::ListQueuesResponse& queues) {
  std::string out = absl::StrFormat("%-28s %-14s %8s  %s\n", "QUEUE", "TEAM",
                                    "WAITING", "OLDEST");
  for (const v1::QueueSummary& q : queues.queues()) {
    absl::StrAppendFormat(&out, "%-28s %-14s %8d  %s\n", q.queue(),
                          q.team_id().empty() ? "-" : q.team_id(), q.depth(),
                          Time(q.oldest_queued_at()));
  }
  if (queues.queues().empty()) out += "(no lead is waiting)\n";
  return out;
}

std::string RenderAssignmentTable(const v1::ListAssignmentsResponse& page) {
  std::string out = absl::StrFormat("%-24s %-9s %-20s %-12s %-18s %s\n",
                                    "LEAD", "STATE", "REP/QUEUE", "TEAM",
                                    "RULE", "ROUTED AT");
  for (const v1::Assignment& a : page.assignments()) {
    absl::StrAppendFormat(
        &out, "%-24s %-9s %-20s %-12s %-18s %s\n", a.lead_id(),
        StateName(a.state()),
        a.state() == v1::ASSIGNMENT_STATE_ASSIGNED ? a.rep_id() : a.queue(),
        a.team_id().empty() ? "-" : a.team_id(),
        a.rule_id().empty() ? "-" : a.rule_id(), Time(a.routed_at()));
  }
  return out;
}

std::string RenderJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json + "\n";
}

}  // namespace leadrouter::leadctl
