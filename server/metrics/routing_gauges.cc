#include "server/metrics/routing_gauges.h"

#include <map>
#include <string>

#include "routing/fairness.h"

namespace leadrouter::server {
namespace {

prometheus::MetricFamily Gauge(std::string name, std::string help) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = prometheus::MetricType::Gauge;
  return f;
}

void Add(prometheus::MetricFamily& f, const std::string& label,
         const std::string& value, double v) {
  prometheus::ClientMetric m;
  m.label.push_back({label, value});
  m.gauge.value = v;
  f.metric.push_back(std::move(m));
}

}  // namespace

std::map<std::string, double> RoutingGauges::FairnessByTeam() const {
  auto table = table_.Get();
  const absl::Time now = clock_();
  absl::MutexLock lock(&mu_);
  if (now - fairness_at_ < kFairnessRefresh &&
      fairness_version_ == table->version()) {
    return fairness_;
  }
  absl::StatusOr<std::vector<MemberLeads>> counts =
      store_.LeadsByMember(absl::ToUnixMicros(now - kFairnessWindow));
  if (!counts.ok()) return fairness_;  // the last figures, if any
  fairness_.clear();
  for (const routing::TeamFairness& f : routing::TeamsFairness(*table, *counts)) {
    fairness_[f.team_id] = f.max_deviation;
  }
  fairness_at_ = now;
  fairness_version_ = table->version();
  return fairness_;
}

std::vector<prometheus::MetricFamily> RoutingGauges::Collect() const {
  auto table = table_.Get();
  const routing::RoutingState state = store_.Snapshot();
  prometheus::MetricFamily open = Gauge(
      "leadrouter_open_assignments",
      "Open (assigned or accepted) leads of the team's members, by team.");
  prometheus::MetricFamily capacity = Gauge(
      "leadrouter_team_capacity",
      "Open-lead capacity of the team's active members, by team.");
  for (const auto& team : table->config().teams()) {
    const routing::CompiledTeam* t = table->FindTeam(team.id());
    double open_count = 0, seats = 0;
    for (const routing::CompiledRep* rep : t->members) {
      open_count += state.OpenAssignments(rep->rep->id());
      if (!rep->rep->has_active() || rep->rep->active()) {
        seats += rep->rep->capacity();
      }
    }
    Add(open, "team", team.id(), open_count);
    Add(capacity, "team", team.id(), seats);
  }
  std::vector<prometheus::MetricFamily> families = {std::move(open),
                                                    std::move(capacity)};
  prometheus::MetricFamily fairness = Gauge(
      "leadrouter_team_fairness_deviation",
      "Largest deviation of a member's part of the team's leads from its "
      "weighted share, over the last 7 days (0 to 1), by team.");
  for (const auto& [team, deviation] : FairnessByTeam()) {
    Add(fairness, "team", team, deviation);
  }
  families.push_back(std::move(fairness));

  absl::StatusOr<std::vector<QueueDepth>> queues = store_.Queues();
  if (queues.ok()) {
    std::map<std::string, double> depth;
    // Every team's queue is listed, also when empty, so a rate or an alert
    // on it has a series from the start.
    for (const auto& team : table->config().teams()) {
      depth["team/" + team.id()] = 0;
    }
    for (const QueueDepth& q : *queues) {
      depth[q.queue.starts_with("rep/") ? "rep/*" : q.queue] += q.depth;
    }
    prometheus::MetricFamily waiting =
        Gauge("leadrouter_queue_depth", "Leads waiting, by queue.");
    for (const auto& [queue, n] : depth) Add(waiting, "queue", queue, n);
    families.push_back(std::move(waiting));
  }
  return families;
}

}  // namespace leadrouter::server
