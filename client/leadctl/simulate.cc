#include "client/leadctl/simulate.h"

#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "client/leadctl/cli.h"
#include "client/leadctl/render.h"

ABSL_DECLARE_FLAG(std::string, since);
ABSL_DECLARE_FLAG(std::string, until);
ABSL_FLAG(std::string, lead_ids, "",
          "config simulate: replay these leads (comma-separated) instead of "
          "a --since window.");
ABSL_FLAG(int, limit, 0,
          "config simulate: replay at most this many leads, the earliest "
          "first (0: the server's maximum, 200000).");
ABSL_FLAG(int, max_changed, 20,
          "config simulate: list at most this many changed leads (up to "
          "1000); all are counted.");

namespace leadrouter::leadctl {
namespace {

std::string Day(const google::protobuf::Timestamp& t) {
  return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixSeconds(t.seconds()),
                          absl::UTCTimeZone());
}

std::string Signed(int64_t n) { return n > 0 ? absl::StrCat("+", n) : absl::StrCat(n); }

void CountTable(std::string* out, const char* what, const char* none,
                const google::protobuf::RepeatedPtrField<v1::SimulationCount>&
                    counts) {
  absl::StrAppendFormat(out, "\n%-24s %9s %9s %9s\n", what, "NOW", "DRAFT",
                        "CHANGE");
  for (const v1::SimulationCount& c : counts) {
    absl::StrAppendFormat(out, "%-24s %9d %9d %9s\n",
                          c.id().empty() ? none : c.id(), c.stored(),
                          c.simulated(), Signed(c.simulated() - c.stored()));
  }
}

std::string Where(const v1::Placement& p) {
  std::string out = p.rule_id().empty() ? "no rule" : p.rule_id();
  absl::StrAppend(&out, " -> ",
                  p.state() == v1::ASSIGNMENT_STATE_QUEUED
                      ? absl::StrCat("queue ", p.queue())
                      : absl::StrCat("rep ", p.rep_id()));
  if (!p.team_id().empty()) absl::StrAppend(&out, " (team ", p.team_id(), ")");
  return out;
}

std::string Deviation(const v1::TeamFairness& f) {
  if (f.most_deviating_rep_id().empty()) return "-";
  return absl::StrFormat("%.1f points (%s)", 100 * f.max_deviation(),
                         f.most_deviating_rep_id());
}

}  // namespace

absl::StatusOr<google::protobuf::Timestamp> ParseWindowTime(
    const std::string& flag, const std::string& text, absl::Time now) {
  absl::Time t;
  std::string error;
  int64_t n = 0;
  const std::string digits = text.empty() ? "" : text.substr(0, text.size() - 1);
  absl::Duration unit = absl::ZeroDuration();
  if (!text.empty()) {
    switch (text.back()) {
      case 'd': unit = absl::Hours(24); break;
      case 'h': unit = absl::Hours(1); break;
      case 'm': unit = absl::Minutes(1); break;
      default: break;
    }
  }
  if (unit != absl::ZeroDuration() && absl::SimpleAtoi(digits, &n) && n >= 0 &&
      n <= 100 * 365) {
    t = now - unit * n;
  } else if (!absl::ParseTime(absl::RFC3339_full, text, &t, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": \"", text,
                     "\" is neither an age (30d, 12h, 90m) nor an RFC 3339 "
                     "time"));
  }
  google::protobuf::Timestamp out;
  out.set_seconds(absl::ToUnixSeconds(t));
  return out;
}

std::string RenderSimulation(const v1::SimulateConfigResponse& r) {
  std::string out = absl::StrFormat(
      "draft %s against running %s\n", r.draft_version(), r.running_version());
  if (r.leads() == 0) {
    absl::StrAppend(&out, "no stored lead in the window\n");
  } else {
    absl::StrAppendFormat(&out, "replayed %d leads that arrived %s to %s UTC\n",
                          r.leads(), Day(r.first_arrival()),
                          Day(r.last_arrival()));
  }
  if (r.truncated()) {
    absl::StrAppend(&out, "the window holds more leads: only the earliest "
                          "were replayed (--limit)\n");
  }
  if (r.carried_in() > 0) {
    absl::StrAppendFormat(&out,
                          "%d leads from before held their reps' seats when "
                          "the window began\n",
                          r.carried_in());
  }
  if (r.skipped_erased() > 0) {
    absl::StrAppendFormat(&out, "%d erased leads skipped\n",
                          r.skipped_erased());
  }
  absl::StrAppendFormat(
      &out, "changed: %d leads would go elsewhere (%.1f%%)\n", r.changed(),
      r.leads() == 0 ? 0.0 : 100.0 * r.changed() / r.leads());
  CountTable(&out, "RULE", "(no rule)", r.rules());
  CountTable(&out, "TEAM", "(no team)", r.teams());
  CountTable(&out, "REP", "(queued)", r.reps());
  absl::StrAppendFormat(&out, "%-24s %9d %9d %9s\n", "QUEUED ON ARRIVAL",
                        r.stored_queued(), r.simulated_queued(),
                        Signed(r.simulated_queued() - r.stored_queued()));
  if (!r.simulated_fairness().empty()) {
    absl::StrAppendFormat(&out, "\n%-24s %-28s %s\n", "TEAM FAIRNESS",
                          "NOW: LARGEST DEVIATION", "DRAFT");
    for (int i = 0; i < r.simulated_fairness_size(); ++i) {
      const v1::TeamFairness& draft = r.simulated_fairness(i);
      const std::string now = i < r.stored_fairness_size()
                                  ? Deviation(r.stored_fairness(i))
                                  : "-";
      absl::StrAppendFormat(&out, "%-24s %-28s %s\n", draft.team_id(), now,
                            Deviation(draft));
    }
  }
  if (!r.changed_leads().empty()) {
    absl::StrAppendFormat(&out, "\nCHANGED LEADS (%d of %d)\n",
                          r.changed_leads_size(), r.changed());
    for (const v1::ChangedLead& c : r.changed_leads()) {
      absl::StrAppendFormat(&out, "%s  arrived %s\n  now:   %s\n", c.lead_id(),
                            Day(c.arrived_at()), Where(c.stored()));
      if (!c.stored_trace().summary().empty()) {
        absl::StrAppend(&out, "         ", c.stored_trace().summary(), "\n");
      }
      absl::StrAppend(&out, "  draft: ", Where(c.simulated()), "\n");
      if (!c.simulated_trace().summary().empty()) {
        absl::StrAppend(&out, "         ", c.simulated_trace().summary(),
                        "\n");
      }
    }
  }
  return out;
}

int SimulateConfig(Client& client, const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << "leadctl: cannot read " << path << "\n";
    return kUsage;
  }
  std::stringstream yaml;
  yaml << in.rdbuf();
  v1::SimulateConfigRequest request;
  request.set_yaml(yaml.str());
  const std::string ids = absl::GetFlag(FLAGS_lead_ids);
  const std::string since = absl::GetFlag(FLAGS_since);
  const std::string until = absl::GetFlag(FLAGS_until);
  if (ids.empty() == since.empty()) {
    std::cerr << "leadctl: config simulate needs --since (e.g. 30d) or "
                 "--lead_ids, not both\n";
    return kUsage;
  }
  for (absl::string_view id : absl::StrSplit(ids, ',', absl::SkipEmpty())) {
    request.add_lead_ids(std::string(id));
  }
  const absl::Time now = absl::Now();
  if (!since.empty()) {
    auto t = ParseWindowTime("since", since, now);
    if (!t.ok()) return Fail(t.status());
    *request.mutable_since() = *t;
  }
  if (!until.empty()) {
    auto t = ParseWindowTime("until", until, now);
    if (!t.ok()) return Fail(t.status());
    *request.mutable_until() = *t;
  }
  request.set_limit(absl::GetFlag(FLAGS_limit));
  request.set_max_changed_leads(absl::GetFlag(FLAGS_max_changed));
  auto report = client.SimulateConfig(request);
  if (!report.ok()) return Fail(report.status());
  std::cout << (JsonOutput() ? RenderJson(*report) : RenderSimulation(*report));
  return 0;
}

}  // namespace leadrouter::leadctl
