#include "routing/fairness.h"

#include <cmath>

namespace leadrouter::routing {

TeamFairness Fairness(const CompiledTeam& team,
                      const absl::flat_hash_map<std::string, int64_t>& leads) {
  TeamFairness f;
  f.team_id = team.team->id();
  const bool weighted = team.team->strategy() ==
                        leadrouter::v1::TEAM_STRATEGY_WEIGHTED_ROUND_ROBIN;
  int64_t total_weight = 0;
  for (size_t i = 0; i < team.members.size(); ++i) {
    total_weight += weighted ? team.weights[i] : 1;
    auto it = leads.find(team.members[i]->rep->id());
    const int64_t n = it == leads.end() ? 0 : it->second;
    f.members.push_back({team.members[i]->rep->id(), n, 0, 0});
    f.leads += n;
  }
  for (size_t i = 0; i < f.members.size(); ++i) {
    MemberShare& m = f.members[i];
    m.share = total_weight == 0 ? 0
                                : static_cast<double>(weighted ? team.weights[i]
                                                               : 1) /
                                      static_cast<double>(total_weight);
    if (f.leads == 0) continue;
    m.received = static_cast<double>(m.leads) / static_cast<double>(f.leads);
    const double deviation = std::abs(m.received - m.share);
    // Ties (up to rounding) go to the member listed first.
    if (deviation > f.max_deviation + 1e-12) {
      f.max_deviation = deviation;
      f.most_deviating_rep = m.rep_id;
    }
  }
  return f;
}

std::vector<TeamFairness> TeamsFairness(
    const RoutingTable& table, const std::vector<MemberLeads>& counts) {
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, int64_t>>
      by_team;
  for (const MemberLeads& m : counts) by_team[m.team_id][m.rep_id] = m.leads;
  std::vector<TeamFairness> teams;
  for (const auto& team : table.config().teams()) {
    teams.push_back(Fairness(*table.FindTeam(team.id()), by_team[team.id()]));
  }
  return teams;
}

}  // namespace leadrouter::routing
