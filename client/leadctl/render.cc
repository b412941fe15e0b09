// Text output names enum values without their prefixes ("ASSIGNED", not
// "ASSIGNMENT_STATE_ASSIGNED") because people read it.
#include "client/leadctl/render.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"

namespace leadrouter::leadctl {
namespace {

// The enum value's name after `prefix`, e.g. "ACCEPTED".
std::string Short(const std::string& name, absl::string_view prefix) {
  return absl::StartsWith(name, prefix) ? name.substr(prefix.size()) : name;
}

std::string StateName(v1::AssignmentState state) {
  return Short(v1::AssignmentState_Name(state),
                                    "ASSIGNMENT_STATE_");
}

std::string OutcomeName(v1::CloseOutcome outcome) {
  return Short(v1::CloseOutcome_Name(outcome),
                                 "CLOSE_OUTCOME_");
}

std::string EventName(v1::AssignmentEventType type) {
  return Short(v1::AssignmentEventType_Name(type),
                                        "ASSIGNMENT_EVENT_TYPE_");
}

std::string Destination(const v1::Assignment& a) {
  if (a.state() == v1::ASSIGNMENT_STATE_CLOSED) {
    return absl::StrCat("closed ", OutcomeName(a.close_outcome()),
                        a.rep_id().empty() ? "" : " by rep " + a.rep_id());
  }
  if (!a.rep_id().empty() && a.state() != v1::ASSIGNMENT_STATE_QUEUED) {
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
  absl::StrAppend(&out, "  state      ", StateName(a.state()),
                  a.erased() ? " (personal data erased)" : "",
                  a.etag().empty() ? "" : absl::StrCat("   etag ", a.etag()),
                  "\n");
  if (a.has_respond_by()) {
    absl::StrAppend(&out, "  accept by  ", Time(a.respond_by()), "\n");
  }
  if (a.has_accepted_at()) {
    absl::StrAppend(&out, "  accepted   ", Time(a.accepted_at()), "\n");
  }
  if (a.has_closed_at()) {
    absl::StrAppend(&out, "  closed     ", Time(a.closed_at()), "  ",
                    OutcomeName(a.close_outcome()),
                    a.close_note().empty() ? "" : ": " + a.close_note(), "\n");
  }
  if (a.declined_rep_ids_size() > 0) {
    absl::StrAppend(&out, "  declined   ",
                    absl::StrJoin(a.declined_rep_ids(), ", "), "\n");
  }
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
  if (a.history_size() > 0) {
    absl::StrAppend(&out, "  history:\n");
    for (const v1::AssignmentEvent& e : a.history()) {
      absl::StrAppend(&out, "    ", RenderEvent(e));
    }
  }
  return out;
}

std::string RenderEvent(const v1::AssignmentEvent& e) {
  std::string where =
      !e.rep_id().empty() ? "rep " + e.rep_id()
      : !e.queue().empty() ? "queue " + e.queue()
                           : std::string("-");
  std::string out = absl::StrFormat(
      "%s  %-10s %-24s %-22s", Time(e.time()), EventName(e.type()),
      e.lead_id(), where);
  if (!e.previous_rep_id().empty()) {
    absl::StrAppend(&out, " from ", e.previous_rep_id());
  }
  if (e.close_outcome() != v1::CLOSE_OUTCOME_UNSPECIFIED) {
    absl::StrAppend(&out, " ", OutcomeName(e.close_outcome()));
  }
  if (!e.note().empty()) absl::StrAppend(&out, " \"", e.note(), "\"");
  if (!e.reason().empty()) absl::StrAppend(&out, "  (", e.reason(), ")");
  absl::StrAppend(&out, "  [cursor ", e.cursor(), "]\n");
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

std::string RenderRepTable(const v1::ListRepsResponse& reps) {
  const std::string share_header =
      absl::StrCat("GOT/SHARE ", reps.fairness_days(), "d");
  std::string out =
      absl::StrFormat("%-22s %-20s %9s %9s  %-15s %s\n", "REP", "TEAMS",
                      "OPEN", "TODAY", share_header, "NOW");
  for (const v1::RepStatus& r : reps.reps()) {
    std::string now = r.available() ? "available" : "full";
    if (!r.active()) now = "inactive";
    if (r.out_of_office()) now = "out of office";
    if (!r.within_working_hours()) absl::StrAppend(&now, ", outside hours");
    // The part of each team's leads the rep got, against its share.
    std::vector<std::string> shares;
    for (const v1::TeamShare& s : r.shares()) {
      shares.push_back(absl::StrFormat("%.0f%%/%.0f%%", 100 * s.received(),
                                       100 * s.share()));
    }
    absl::StrAppendFormat(
        &out, "%-22s %-20s %4d/%-4d %4d/%-4s  %-15s %s\n", r.rep_id(),
        r.team_ids().empty() ? "-" : absl::StrJoin(r.team_ids(), ","),
        r.open_assignments(), r.capacity(), r.assigned_today(),
        r.daily_cap() > 0 ? absl::StrCat(r.daily_cap()) : "-",
        shares.empty() ? "-" : absl::StrJoin(shares, ","), now);
  }
  if (!reps.teams().empty()) {
    absl::StrAppendFormat(&out, "\n%-22s %9s  %s\n", "TEAM",
                          absl::StrCat("LEADS ", reps.fairness_days(), "d"),
                          "LARGEST DEVIATION FROM SHARE");
    for (const v1::TeamFairness& t : reps.teams()) {
      absl::StrAppendFormat(
          &out, "%-22s %9d  %s\n", t.team_id(), t.leads(),
          t.most_deviating_rep_id().empty()
              ? std::string("-")
              : absl::StrFormat("%.1f points (%s)", 100 * t.max_deviation(),
                                t.most_deviating_rep_id()));
    }
  }
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
        a.state() == v1::ASSIGNMENT_STATE_QUEUED ? a.queue() : a.rep_id(),
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
