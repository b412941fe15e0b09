// Compilation resolves every id to a pointer once, so matching a lead never
// looks anything up by name.
#include "routing/routing_table.h"

#include <algorithm>
#include <cctype>

#include "absl/status/status.h"
#include "routing/absl_string_view.h"
#include "routing/config_validation.h"
#include "routing/iso_codes.h"

namespace leadrouter::routing {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace

LeadFacts::LeadFacts(const leadrouter::v1::Lead& lead)
    : lead_(lead), postal_(NormalizePostalCode(lead.postal_code())) {
  products_.reserve(lead.product_interests_size());
  for (const std::string& p : lead.product_interests()) {
    products_.push_back(Lower(p));
  }
}

bool CompiledRule::Matches(const LeadFacts& facts) const {
  const leadrouter::v1::Lead& lead = facts.lead();
  if (stage_mask != 0 && (stage_mask & (1u << lead.stage())) == 0) {
    return false;
  }
  if (min_score && lead.score() < *min_score) return false;
  if (max_score && lead.score() > *max_score) return false;
  if (!products.empty() &&
      std::none_of(facts.products().begin(), facts.products().end(),
                   [&](const std::string& p) { return products.contains(p); })) {
    return false;
  }
  if (!territories.empty()) {
    const LeadPlace place = facts.place();
    if (std::none_of(territories.begin(), territories.end(),
                     [&](const TerritoryMatcher* t) {
                       return t->Contains(place);
                     })) {
      return false;
    }
  }
  return true;
}

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
  for (const auto& rep : cfg.reps()) table->reps_[rep.id()] = &rep;
  for (const auto& team : cfg.teams()) table->teams_[team.id()] = &team;

  table->rules_.reserve(cfg.rules_size());
  for (int i = 0; i < cfg.rules_size(); ++i) {
    const leadrouter::v1::Rule& rule = cfg.rules(i);
    CompiledRule compiled;
    compiled.index = i;
    compiled.rule = &rule;
    for (const std::string& id : rule.match().territories()) {
      compiled.territories.push_back(territory_by_id.at(id));
    }
    for (const std::string& p : rule.match().product_interests()) {
      compiled.products.insert(Lower(p));
    }
    if (rule.match().score().has_min()) {
      compiled.min_score = rule.match().score().min();
    }
    if (rule.match().score().has_max()) {
      compiled.max_score = rule.match().score().max();
    }
    for (int stage : rule.match().stages()) compiled.stage_mask |= 1u << stage;
    table->rules_.push_back(std::move(compiled));
  }
  return std::shared_ptr<const RoutingTable>(std::move(table));
}

const CompiledRule* RoutingTable::MatchRule(const LeadFacts& facts) const {
  for (const CompiledRule& rule : rules_) {
    if (rule.Matches(facts)) return &rule;
  }
  return nullptr;
}

const leadrouter::v1::Rep* RoutingTable::FindRep(std::string_view id) const {
  auto it = reps_.find(ToAbsl(id));
  return it == reps_.end() ? nullptr : it->second;
}

const leadrouter::v1::Team* RoutingTable::FindTeam(std::string_view id) const {
  auto it = teams_.find(ToAbsl(id));
  return it == teams_.end() ? nullptr : it->second;
}

}  // namespace leadrouter::routing
