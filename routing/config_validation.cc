// Validation walks the config once, collecting ids first so that references
// can be checked in any order of declaration.
#include "routing/config_validation.h"

#include <algorithm>
#include <cstdint>
#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "routing/absl_string_view.h"
#include "routing/accounts.h"
#include "routing/availability.h"
#include "routing/company.h"
#include "routing/compiled_rule.h"
#include "routing/intake_mapping.h"
#include "routing/iso_codes.h"
#include "routing/webhook_subscriptions.h"

namespace leadrouter::routing {
namespace {

using leadrouter::v1::RoutingConfig;
using leadrouter::v1::Target;

constexpr int kMaxCapacity = 100000;
constexpr int kMaxWeight = 1000;
constexpr int kMaxCatchUp = 1000;
constexpr int kMaxReroutes = 10;

class Checker {
 public:
  explicit Checker(const RoutingConfig& config) : config_(config) {}

  std::vector<ConfigError> Run() && {
    CheckTerritories();
    CheckReps();
    CheckTeams();
    CheckQueues();
    CheckResponseTimes();
    CheckRules();
    CheckLeadSources();
    CheckAccounts();
    CheckIntakeMappings(config_, &errors_);
    CheckWebhookSubscriptions(config_, &errors_);
    return std::move(errors_);
  }

 private:
  void Error(std::string path, std::string message) {
    errors_.push_back({std::move(path), std::move(message)});
  }

  // Checks an id and records it; false when the id is unusable.
  bool CheckId(const std::string& path, const std::string& id,
               absl::flat_hash_set<std::string>& seen, const char* kind) {
    if (id.empty()) {
      Error(path, "is required");
      return false;
    }
    if (!IsConfigId(id)) {
      Error(path, absl::StrCat("\"", id,
                               "\" is not a valid id (1 to 64 letters, "
                               "digits, '.', '-', '_')"));
      return false;
    }
    if (!seen.insert(id).second) {
      Error(path, absl::StrCat("duplicate ", kind, " id \"", id, "\""));
      return false;
    }
    return true;
  }

  void CheckCountry(const std::string& path, const std::string& code) {
    if (!IsIsoCountryCode(code)) {
      Error(path, absl::StrCat("\"", code,
                               "\" is not an ISO 3166-1 alpha-2 code (e.g. "
                               "\"DE\")"));
    }
  }

  void CheckTerritories() {
    for (int i = 0; i < config_.territories_size(); ++i) {
      const auto& t = config_.territories(i);
      const std::string path = absl::StrCat("territories[", i, "]");
      CheckId(path + ".id", t.id(), territories_, "territory");
      if (t.countries().empty() && t.regions().empty() &&
          t.postal_areas().empty()) {
        Error(path, "needs countries, regions or postal_areas");
      }
      for (int j = 0; j < t.countries_size(); ++j) {
        CheckCountry(absl::StrCat(path, ".countries[", j, "]"), t.countries(j));
      }
      for (int j = 0; j < t.regions_size(); ++j) {
        if (!IsRegionCode(t.regions(j))) {
          Error(absl::StrCat(path, ".regions[", j, "]"),
                absl::StrCat("\"", t.regions(j),
                             "\" is not an ISO 3166-2 code (e.g. \"DE-BY\")"));
        }
      }
      for (int j = 0; j < t.postal_areas_size(); ++j) {
        CheckPostalArea(absl::StrCat(path, ".postal_areas[", j, "]"),
                        t.postal_areas(j));
      }
    }
  }

  void CheckPostalCode(const std::string& path, const std::string& code) {
    if (NormalizePostalCode(code).empty() || code.size() > 16 ||
        !IsPostalCodeText(code)) {
      Error(path, absl::StrCat("\"", code,
                               "\" is not a postal code (1 to 16 letters, "
                               "digits, spaces, '-')"));
    }
  }

  void CheckPostalArea(const std::string& path,
                       const leadrouter::v1::PostalArea& area) {
    CheckCountry(path + ".country", area.country());
    if (area.prefixes().empty() && area.ranges().empty()) {
      Error(path, "needs prefixes or ranges");
    }
    for (int k = 0; k < area.prefixes_size(); ++k) {
      CheckPostalCode(absl::StrCat(path, ".prefixes[", k, "]"),
                      area.prefixes(k));
    }
    for (int k = 0; k < area.ranges_size(); ++k) {
      const auto& r = area.ranges(k);
      const std::string rpath = absl::StrCat(path, ".ranges[", k, "]");
      CheckPostalCode(rpath + ".first", r.first());
      CheckPostalCode(rpath + ".last", r.last());
      const std::string first = NormalizePostalCode(r.first());
      const std::string last = NormalizePostalCode(r.last());
      if (first.size() != last.size()) {
        Error(rpath, "first and last must have the same length");
      } else if (first > last) {
        Error(rpath, absl::StrCat("first \"", r.first(),
                                  "\" sorts after last \"", r.last(), "\""));
      }
    }
  }

  void CheckReps() {
    for (int i = 0; i < config_.reps_size(); ++i) {
      const auto& rep = config_.reps(i);
      const std::string path = absl::StrCat("reps[", i, "]");
      CheckId(path + ".id", rep.id(), reps_, "rep");
      if (rep.capacity() <= 0 || rep.capacity() > kMaxCapacity) {
        Error(path + ".capacity",
              absl::StrCat(rep.capacity(), " is outside 1 to ", kMaxCapacity));
      }
      for (int j = 0; j < rep.languages_size(); ++j) {
        if (!IsLanguageTag(rep.languages(j))) {
          Error(absl::StrCat(path, ".languages[", j, "]"),
                absl::StrCat("\"", rep.languages(j),
                             "\" is not a BCP 47 language tag"));
        }
      }
      for (int j = 0; j < rep.products_size(); ++j) {
        if (rep.products(j).empty() || rep.products(j).size() > 64) {
          Error(absl::StrCat(path, ".products[", j, "]"),
                "must be 1 to 64 bytes");
        }
      }
      if (rep.daily_cap() < 0 || rep.daily_cap() > kMaxCapacity) {
        Error(path + ".daily_cap", absl::StrCat(rep.daily_cap(),
                                                " is outside 0 to ",
                                                kMaxCapacity));
      }
      Availability::Compile(rep, path, &errors_);
    }
  }



  void CheckTeams() {
    for (int i = 0; i < config_.teams_size(); ++i) {
      const auto& team = config_.teams(i);
      const std::string path = absl::StrCat("teams[", i, "]");
      CheckId(path + ".id", team.id(), teams_, "team");
      if (!leadrouter::v1::TeamStrategy_IsValid(team.strategy())) {
        Error(path + ".strategy", "unknown strategy");
      }
      if (team.members().empty()) Error(path + ".members", "is empty");
      absl::flat_hash_set<std::string> members;
      for (int j = 0; j < team.members_size(); ++j) {
        const std::string& member = team.members(j);
        const std::string mpath = absl::StrCat(path, ".members[", j, "]");
        if (!reps_.contains(member)) {
          Error(mpath, absl::StrCat("unknown rep \"", member, "\""));
        } else if (!members.insert(member).second) {
          Error(mpath, absl::StrCat("rep \"", member, "\" is listed twice"));
        }
      }
      const bool weighted =
          team.strategy() == leadrouter::v1::TEAM_STRATEGY_WEIGHTED_ROUND_ROBIN;
      if (!team.weights().empty() && !weighted) {
        Error(path + ".weights",
              "only apply to strategy weighted_round_robin");
      }
      // Map order varies; report in member order, then unknown ids sorted.
      std::vector<std::string> unknown;
      for (const auto& [rep_id, weight] : team.weights()) {
        if (!members.contains(rep_id)) unknown.push_back(rep_id);
      }
      std::sort(unknown.begin(), unknown.end());
      for (const std::string& rep_id : unknown) {
        Error(absl::StrCat(path, ".weights[", rep_id, "]"),
              absl::StrCat("\"", rep_id, "\" is not a member of the team"));
      }
      for (const std::string& member : team.members()) {
        auto it = team.weights().find(member);
        if (it != team.weights().end() &&
            (it->second < 1 || it->second > kMaxWeight)) {
          Error(absl::StrCat(path, ".weights[", member, "]"),
                absl::StrCat(it->second, " is outside 1 to ", kMaxWeight));
        }
      }
      if (team.catch_up_limit() < 0 || team.catch_up_limit() > kMaxCatchUp) {
        Error(path + ".catch_up_limit",
              absl::StrCat(team.catch_up_limit(), " is outside 0 to ",
                           kMaxCatchUp));
      }
    }
  }

  void CheckQueues() {
    for (int i = 0; i < config_.queues_size(); ++i) {
      const std::string path = absl::StrCat("queues[", i, "].id");
      const std::string& id = config_.queues(i).id();
      if (id == "unmatched") {
        Error(path, "\"unmatched\" is reserved for leads no rule matches");
        continue;
      }
      CheckId(path, id, queues_, "queue");
    }
  }

  // After CheckQueues: an escalation may name a queue.
  void CheckResponseTimes() {
    for (int i = 0; i < config_.teams_size(); ++i) {
      const auto& team = config_.teams(i);
      if (!team.has_response_sla()) continue;
      const auto& sla = team.response_sla();
      const std::string path = absl::StrCat("teams[", i, "].response_sla");
      absl::Duration within;
      if (!ParseConfigDuration(sla.accept_within(), &within)) {
        Error(path + ".accept_within",
              absl::StrCat("\"", sla.accept_within(),
                           "\" is not a duration such as \"30m\", \"4h\" "
                           "or \"2d\""));
      } else if (within < absl::Seconds(1) || within > absl::Hours(24 * 30)) {
        Error(path + ".accept_within",
              absl::StrCat("\"", sla.accept_within(),
                           "\" is outside 1s to 30 days"));
      }
      if (sla.max_reroutes() < 0 || sla.max_reroutes() > kMaxReroutes) {
        Error(path + ".max_reroutes",
              absl::StrCat(sla.max_reroutes(), " is outside 0 to ",
                           kMaxReroutes));
      }
      if (!sla.has_escalate_to()) {
        Error(path + ".escalate_to", "is required (a rep or a queue)");
      } else if (sla.escalate_to().has_team()) {
        Error(path + ".escalate_to.team",
              "an escalation goes to a named rep or queue, not a team");
      } else if (sla.escalate_to().has_account_owner()) {
        Error(path + ".escalate_to.account_owner",
              "an escalation goes to a named rep or queue");
      } else {
        CheckTarget(path + ".escalate_to", sla.escalate_to());
      }
    }
  }

  void CheckTarget(const std::string& path, const Target& target) {
    switch (target.kind_case()) {
      case Target::kTeam:
        if (!teams_.contains(target.team())) {
          Error(path + ".team",
                absl::StrCat("unknown team \"", target.team(), "\""));
        }
        break;
      case Target::kRep:
        if (!reps_.contains(target.rep())) {
          Error(path + ".rep",
                absl::StrCat("unknown rep \"", target.rep(), "\""));
        }
        break;
      case Target::kQueue:
        if (!queues_.contains(target.queue())) {
          Error(path + ".queue",
                absl::StrCat("unknown queue \"", target.queue(), "\""));
        }
        break;
      case Target::kAccountOwner:
        if (!target.account_owner()) {
          Error(path + ".account_owner", "must be true when given");
        }
        break;
      case Target::KIND_NOT_SET:
        Error(path, "needs one of team, rep, queue or account_owner");
        break;
    }
  }

  void CheckAccounts() {
    if (!config_.accounts_file().empty()) {
      Error("accounts_file",
            "is read only from a config file (leadrouterd --config, SIGHUP); "
            "list the accounts inline here");
    }
    absl::flat_hash_set<std::string> domains;
    for (int i = 0; i < config_.accounts_size(); ++i) {
      const auto& account = config_.accounts(i);
      const std::string path = absl::StrCat("accounts[", i, "]");
      if (!IsDomainName(account.domain())) {
        Error(path + ".domain",
              absl::StrCat("\"", account.domain().substr(0, 253),
                           "\" is not a lower-case domain name such as "
                           "acme.com"));
      } else if (IsFreeMailDomain(account.domain())) {
        Error(path + ".domain",
              absl::StrCat("\"", account.domain(),
                           "\" is a free-mail provider; its users are not "
                           "one company"));
      } else if (!domains.insert(account.domain()).second) {
        Error(path + ".domain",
              absl::StrCat("\"", account.domain(), "\" is listed twice"));
      }
      if (!reps_.contains(account.owner())) {
        Error(path + ".owner",
              absl::StrCat("unknown rep \"", account.owner().substr(0, 64),
                           "\""));
      }
    }
  }

  void CheckRules() {
    if (config_.rules().empty()) Error("rules", "needs at least one rule");
    absl::flat_hash_set<std::string> rule_ids;
    for (int i = 0; i < config_.rules_size(); ++i) {
      const auto& rule = config_.rules(i);
      const std::string path = absl::StrCat("rules[", i, "]");
      CheckId(path + ".id", rule.id(), rule_ids, "rule");
      CheckMatch(path + ".match", rule.match());
      CheckTarget(path + ".target", rule.target());
      if (rule.target().has_account_owner() && !rule.has_fallback()) {
        Error(path + ".fallback",
              "is required with target account_owner (for leads of no "
              "account, or whose owner is away)");
      }
      if (rule.fallback().has_account_owner()) {
        Error(path + ".fallback.account_owner",
              "account_owner can only be a rule's target");
      }
      if (rule.has_fallback()) {
        CheckTarget(path + ".fallback", rule.fallback());
        if (rule.fallback().SerializeAsString() ==
            rule.target().SerializeAsString()) {
          Error(path + ".fallback", "is the same as the target");
        }
      }
    }
  }

  void CheckMatch(const std::string& path,
                  const leadrouter::v1::RuleMatch& match) {
    for (int j = 0; j < match.territories_size(); ++j) {
      if (!territories_.contains(match.territories(j))) {
        Error(absl::StrCat(path, ".territories[", j, "]"),
              absl::StrCat("unknown territory \"", match.territories(j),
                           "\""));
      }
    }
    for (int j = 0; j < match.product_interests_size(); ++j) {
      const std::string& p = match.product_interests(j);
      if (p.empty() || p.size() > 64) {
        Error(absl::StrCat(path, ".product_interests[", j, "]"),
              "must be 1 to 64 bytes");
      }
    }
    if (match.has_score()) {
      const auto& score = match.score();
      if (score.has_min() && (score.min() < 0 || score.min() > 100)) {
        Error(path + ".score.min",
              absl::StrCat(score.min(), " is outside 0 to 100"));
      }
      if (score.has_max() && (score.max() < 0 || score.max() > 100)) {
        Error(path + ".score.max",
              absl::StrCat(score.max(), " is outside 0 to 100"));
      }
      if (score.has_min() && score.has_max() && score.min() > score.max()) {
        Error(path + ".score", absl::StrCat("min ", score.min(),
                                            " is above max ", score.max()));
      }
    }
    for (int j = 0; j < match.stages_size(); ++j) {
      if (match.stages(j) == leadrouter::v1::STAGE_UNSPECIFIED ||
          !leadrouter::v1::Stage_IsValid(match.stages(j))) {
        Error(absl::StrCat(path, ".stages[", j, "]"), "must be mql or sql");
      }
    }
    CheckWords(path + ".sources", match.sources());
    CheckWords(path + ".industries", match.industries());
    for (int j = 0; j < match.languages_size(); ++j) {
      const std::string& l = match.languages(j);
      if (l.size() < 2 || l.size() > 3 ||
          !std::all_of(l.begin(), l.end(), [](char c) {
            return absl::ascii_isalpha(static_cast<unsigned char>(c));
          })) {
        Error(absl::StrCat(path, ".languages[", j, "]"),
              absl::StrCat("\"", l,
                           "\" is not a primary language subtag (2 or 3 "
                           "letters, e.g. de)"));
      }
    }
    if (match.has_employee_count()) {
      const auto& range = match.employee_count();
      if (range.has_min() && range.min() < 1) {
        Error(path + ".employee_count.min",
              absl::StrCat(range.min(), " is below 1"));
      }
      if (range.has_max() && range.max() < 1) {
        Error(path + ".employee_count.max",
              absl::StrCat(range.max(), " is below 1"));
      }
      if (range.has_min() && range.has_max() && range.min() > range.max()) {
        Error(path + ".employee_count",
              absl::StrCat("min ", range.min(), " is above max ",
                           range.max()));
      }
      if (!range.has_min() && !range.has_max()) {
        Error(path + ".employee_count", "needs a min, a max or both");
      }
    }
    for (int j = 0; j < match.attributes_size(); ++j) {
      const auto& a = match.attributes(j);
      const std::string at = absl::StrCat(path, ".attributes[", j, "]");
      if (a.key().empty() || a.key().size() > 64) {
        Error(at + ".key", "must be 1 to 64 bytes");
      }
      for (int k = 0; k < a.values_size(); ++k) {
        if (a.values(k).size() > 1024) {
          Error(absl::StrCat(at, ".values[", k, "]"),
                "is longer than 1024 bytes");
        }
      }
    }
  }

  void CheckLeadSources() {
    CheckWords("lead_sources", config_.lead_sources());
    absl::flat_hash_set<std::string> named;
    for (const auto& s : config_.lead_sources()) named.insert(Lower(s));
    for (const auto& rule : config_.rules()) {
      for (const auto& s : rule.match().sources()) named.insert(Lower(s));
    }
    // Each is a label value of leadrouter_leads_total: keep them few.
    constexpr size_t kMaxSources = 100;
    if (named.size() > kMaxSources) {
      Error("lead_sources",
            absl::StrCat(named.size(),
                         " distinct sources (with those rules match on); at "
                         "most ",
                         kMaxSources));
    }
  }

  // Each of `words` is 1 to 64 bytes.
  void CheckWords(const std::string& path,
                  const google::protobuf::RepeatedPtrField<std::string>& words) {
    for (int j = 0; j < words.size(); ++j) {
      if (words[j].empty() || words[j].size() > 64) {
        Error(absl::StrCat(path, "[", j, "]"), "must be 1 to 64 bytes");
      }
    }
  }

  const RoutingConfig& config_;
  std::vector<ConfigError> errors_;
  absl::flat_hash_set<std::string> territories_, reps_, teams_, queues_;
};

}  // namespace

std::vector<ConfigError> ValidateConfig(const RoutingConfig& config) {
  return Checker(config).Run();
}

bool ParseConfigDuration(std::string_view text, absl::Duration* duration) {
  int64_t days = 0;
  if (text.size() > 1 && text.back() == 'd' &&
      absl::SimpleAtoi(ToAbsl(text.substr(0, text.size() - 1)), &days) &&
      days >= 0 && days <= 3650) {
    *duration = absl::Hours(24 * days);
    return true;
  }
  return absl::ParseDuration(ToAbsl(text), duration);
}

std::string FormatConfigErrors(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const ConfigError& e : errors) {
    if (!out.empty()) out += "\n";
    absl::StrAppend(&out, e.path, ": ", e.message);
  }
  return out;
}

std::string ConfigVersion(const RoutingConfig& config) {
  // Deterministic serialization keeps the bytes, and so the version, stable
  // across processes (map order would otherwise vary).
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    config.SerializeToCodedStream(&coded);
  }
  uint64_t hash = 14695981039346656037ULL;  // FNV-1a, 64 bit.
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return absl::StrFormat("cfg-%016x", hash);
}

}  // namespace leadrouter::routing
