// Compilation resolves every id to a pointer once, so deciding never looks
// anything up by name except the target of the matched rule.
#include "routing/routing_table.h"

#include "absl/status/status.h"
#include "routing/absl_string_view.h"
#include "routing/config_validation.h"

namespace leadrouter::routing {

absl::StatusOr<std::shared_ptr<const RoutingTable>> RoutingTable::Create(
    leadrouter::v1::RoutingConfig config) {
  std::vector<ConfigError> errors = ValidateConfig(config);
  if (!errors.empty()) {
    return absl::InvalidArgumentError(FormatConfigErrors(errors));
  }
  std::shared_ptr<RoutingTable> table(new RoutingTable());
  table->config_ = std::move(config);
  const leadrouter::v1::RoutingConfig& cfg = table->config_;
  table->version_ = ConfigVersion(cfg);

  table->territories_.reserve(cfg.territories_size());
  absl::flat_hash_map<std::string, const TerritoryMatcher*> territory_by_id;
  for (const auto& t : cfg.territories()) table->territories_.emplace_back(t);
  for (const auto& t : table->territories_) territory_by_id[t.id()] = &t;

  for (const auto& rep : cfg.reps()) {
    // Validated above, so Compile succeeds.
    std::optional<Availability> availability =
        Availability::Compile(rep, "", &errors);
    CompiledRep compiled{&rep, *std::move(availability), {}, {}, {}};
    for (const std::string& l : rep.languages()) {
      compiled.languages.insert(PrimaryLanguage(l));
    }
    for (const std::string& p : rep.products()) {
      compiled.products.insert(Lower(p));
    }
    table->reps_.emplace(rep.id(), std::move(compiled));
  }
  // reps_ does not change from here on, so pointers into it stay valid.
  for (const auto& team : cfg.teams()) {
    CompiledTeam compiled;
    compiled.team = &team;
    if (team.has_response_sla()) {
      // Validated: parses and is positive.
      ParseConfigDuration(team.response_sla().accept_within(),
                          &compiled.accept_within);
    }
    for (const std::string& member : team.members()) {
      CompiledRep& rep = table->reps_.at(member);
      compiled.members.push_back(&rep);
      rep.team_ids.push_back(team.id());
      auto weight = team.weights().find(member);
      compiled.weights.push_back(weight == team.weights().end() ? 1
                                                                : weight->second);
    }
    table->teams_.emplace(team.id(), std::move(compiled));
  }

  table->rules_.reserve(cfg.rules_size());
  for (int i = 0; i < cfg.rules_size(); ++i) {
    const leadrouter::v1::Rule& rule = cfg.rules(i);
    CompiledRule compiled;
    compiled.index = i;
    compiled.rule = &rule;
    for (const std::string& id : rule.match().territories()) {
      compiled.territories.push_back(territory_by_id.at(id));
    }
    compiled.CompileMatch(rule.match());
    for (const std::string& source : compiled.sources) {
      table->counted_sources_.insert(source);
    }
    table->rules_.push_back(std::move(compiled));
  }
  for (const std::string& source : table->config_.lead_sources()) {
    table->counted_sources_.insert(Lower(source));
  }
  for (const leadrouter::v1::Account& account : table->config_.accounts()) {
    table->accounts_.Add(account.domain(), account.owner());
  }
  table->index_.emplace(table->rules_);
  return std::shared_ptr<const RoutingTable>(std::move(table));
}

const CompiledRule* RoutingTable::MatchRuleByScan(
    const LeadFacts& facts) const {
  for (const CompiledRule& rule : rules_) {
    if (rule.Matches(facts)) return &rule;
  }
  return nullptr;
}

std::string RoutingTable::SourceLabel(std::string_view source) const {
  if (source.empty()) return "none";
  std::string lower = Lower(source);
  return counted_sources_.contains(lower) ? lower : "other";
}

const CompiledRep* RoutingTable::FindRep(std::string_view id) const {
  auto it = reps_.find(ToAbsl(id));
  return it == reps_.end() ? nullptr : &it->second;
}

const CompiledTeam* RoutingTable::FindTeam(std::string_view id) const {
  auto it = teams_.find(ToAbsl(id));
  return it == teams_.end() ? nullptr : &it->second;
}

}  // namespace leadrouter::routing

namespace leadrouter::routing {

const leadrouter::v1::IntakeMapping* RoutingTable::FindIntakeMapping(
    std::string_view id) const {
  // At most kMaxIntakeMappings, looked up once per intake request.
  for (const auto& m : config_.intake_mappings()) {
    if (m.id() == id) return &m;
  }
  return nullptr;
}

}  // namespace leadrouter::routing
