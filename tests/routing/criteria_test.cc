// Rules on source, industry, company size, language and custom fields: each
// criterion alone, how they combine, and the errors a bad one gets.
#include <string>

#include "absl/strings/str_cat.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "routing/config_validation.h"
#include "routing/decision.h"
#include "routing/routing_table.h"

namespace leadrouter::routing {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::Field;
using ::testing::HasSubstr;
using leadrouter::v1::Lead;
using leadrouter::v1::RoutingConfig;
using leadrouter::v1::RuleMatch;

const absl::Time kNow = absl::FromUnixSeconds(1790000000);

// One rep; rule "r" with `match`, nothing else.
RoutingConfig With(const RuleMatch& match) {
  RoutingConfig config;
  auto* rep = config.add_reps();
  rep->set_id("anna");
  rep->set_capacity(10);
  auto* rule = config.add_rules();
  rule->set_id("r");
  *rule->mutable_match() = match;
  rule->mutable_target()->set_rep("anna");
  return config;
}

Lead MakeLead() {
  Lead lead;
  lead.set_id("l1");
  lead.set_country_code("DE");
  lead.set_stage(leadrouter::v1::STAGE_SQL);
  return lead;
}

// The rule the lead gets ("" when none matches); the config must be valid.
std::string RuleFor(const RuleMatch& match, const Lead& lead) {
  const RoutingConfig config = With(match);
  EXPECT_THAT(ValidateConfig(config), ::testing::IsEmpty());
  auto table = RoutingTable::Create(config);
  EXPECT_TRUE(table.ok()) << table.status();
  if (!table.ok()) return "?";
  return Decide(**table, lead, RoutingState(), kNow).assignment.rule_id();
}

TEST(CriteriaTest, SourceIsAnyOfAndCaseInsensitive) {
  RuleMatch match;
  match.add_sources("webinar");
  match.add_sources("Trade-Fair");
  Lead lead = MakeLead();
  EXPECT_EQ(RuleFor(match, lead), "");  // no source
  lead.set_source("WEBINAR");
  EXPECT_EQ(RuleFor(match, lead), "r");
  lead.set_source("trade-fair");
  EXPECT_EQ(RuleFor(match, lead), "r");
  lead.set_source("website");
  EXPECT_EQ(RuleFor(match, lead), "");
}

TEST(CriteriaTest, IndustryIsAnyOfAndCaseInsensitive) {
  RuleMatch match;
  match.add_industries("manufacturing");
  Lead lead = MakeLead();
  lead.set_industry("Manufacturing");
  EXPECT_EQ(RuleFor(match, lead), "r");
  lead.set_industry("retail");
  EXPECT_EQ(RuleFor(match, lead), "");
}

TEST(CriteriaTest, EmployeeRangeIsInclusiveAndUnknownIsOutside) {
  RuleMatch mid;
  mid.mutable_employee_count()->set_min(100);
  mid.mutable_employee_count()->set_max(999);
  Lead lead = MakeLead();
  EXPECT_EQ(RuleFor(mid, lead), "");  // 0: unknown
  for (int n : {100, 500, 999}) {
    lead.set_employee_count(n);
    EXPECT_EQ(RuleFor(mid, lead), "r") << n;
  }
  for (int n : {99, 1000}) {
    lead.set_employee_count(n);
    EXPECT_EQ(RuleFor(mid, lead), "") << n;
  }
  RuleMatch smb;  // only a max: small companies, but not unknown ones
  smb.mutable_employee_count()->set_max(99);
  lead.set_employee_count(0);
  EXPECT_EQ(RuleFor(smb, lead), "");
  lead.set_employee_count(1);
  EXPECT_EQ(RuleFor(smb, lead), "r");
  RuleMatch enterprise;  // only a min
  enterprise.mutable_employee_count()->set_min(1000);
  lead.set_employee_count(250000);
  EXPECT_EQ(RuleFor(enterprise, lead), "r");
}

TEST(CriteriaTest, LanguageMatchesThePrimarySubtag) {
  RuleMatch match;
  match.add_languages("de");
  match.add_languages("FR");
  Lead lead = MakeLead();
  EXPECT_EQ(RuleFor(match, lead), "");  // no language
  for (const char* tag : {"de", "de-AT", "DE-ch", "fr-CA"}) {
    lead.set_language(tag);
    EXPECT_EQ(RuleFor(match, lead), "r") << tag;
  }
  lead.set_language("en-DE");
  EXPECT_EQ(RuleFor(match, lead), "");
}

TEST(CriteriaTest, AttributesAreAllRequiredWithAnyOfTheirValues) {
  RuleMatch match;
  auto* tier = match.add_attributes();
  tier->set_key("tier");
  tier->add_values("gold");
  tier->add_values("platinum");
  match.add_attributes()->set_key("partner_id");  // present, any value
  Lead lead = MakeLead();
  (*lead.mutable_attributes())["tier"] = "gold";
  EXPECT_EQ(RuleFor(match, lead), "");  // no partner_id
  (*lead.mutable_attributes())["partner_id"] = "";
  EXPECT_EQ(RuleFor(match, lead), "r");
  (*lead.mutable_attributes())["tier"] = "Gold";  // values are exact
  EXPECT_EQ(RuleFor(match, lead), "");
  (*lead.mutable_attributes())["tier"] = "platinum";
  EXPECT_EQ(RuleFor(match, lead), "r");
  lead.mutable_attributes()->erase("tier");
  EXPECT_EQ(RuleFor(match, lead), "");
}

TEST(CriteriaTest, EveryCriterionMustHold) {
  RuleMatch match;
  match.add_sources("webinar");
  match.add_industries("software");
  match.mutable_employee_count()->set_min(1000);
  match.add_languages("en");
  match.add_attributes()->set_key("abm");
  Lead lead = MakeLead();
  lead.set_source("webinar");
  lead.set_industry("software");
  lead.set_employee_count(5000);
  lead.set_language("en-GB");
  (*lead.mutable_attributes())["abm"] = "yes";
  EXPECT_EQ(RuleFor(match, lead), "r");
  Lead small = lead;
  small.set_employee_count(999);
  EXPECT_EQ(RuleFor(match, small), "");
  Lead german = lead;
  german.set_language("de");
  EXPECT_EQ(RuleFor(match, german), "");
  Lead other_source = lead;
  other_source.set_source("website");
  EXPECT_EQ(RuleFor(match, other_source), "");
}

auto ErrorAt(const std::string& path, const std::string& text) {
  return AllOf(Field(&ConfigError::path, path),
               Field(&ConfigError::message, HasSubstr(text)));
}

TEST(CriteriaTest, BadCriteriaAreReportedAtTheirPath) {
  RuleMatch match;
  match.add_sources("");
  match.add_industries(std::string(65, 'x'));
  match.mutable_employee_count()->set_min(500);
  match.mutable_employee_count()->set_max(50);
  match.add_languages("german");
  match.add_languages("d1");
  match.add_attributes()->set_key("");
  auto* long_value = match.add_attributes();
  long_value->set_key("k");
  long_value->add_values(std::string(1025, 'v'));
  const auto errors = ValidateConfig(With(match));
  EXPECT_THAT(errors, Contains(ErrorAt("rules[0].match.sources[0]",
                                       "must be 1 to 64 bytes")));
  EXPECT_THAT(errors, Contains(ErrorAt("rules[0].match.industries[0]",
                                       "must be 1 to 64 bytes")));
  EXPECT_THAT(errors, Contains(ErrorAt("rules[0].match.employee_count",
                                       "min 500 is above max 50")));
  EXPECT_THAT(errors, Contains(ErrorAt("rules[0].match.languages[0]",
                                       "primary language subtag")));
  EXPECT_THAT(errors, Contains(ErrorAt("rules[0].match.languages[1]",
                                       "primary language subtag")));
  EXPECT_THAT(errors, Contains(ErrorAt("rules[0].match.attributes[0].key",
                                       "must be 1 to 64 bytes")));
  EXPECT_THAT(errors,
              Contains(ErrorAt("rules[0].match.attributes[1].values[0]",
                               "longer than 1024 bytes")));
  EXPECT_EQ(errors.size(), 7u);

  RuleMatch empty_range;
  empty_range.mutable_employee_count();
  EXPECT_THAT(ValidateConfig(With(empty_range)),
              Contains(ErrorAt("rules[0].match.employee_count",
                               "needs a min, a max or both")));
  RuleMatch negative;
  negative.mutable_employee_count()->set_min(-1);
  EXPECT_THAT(ValidateConfig(With(negative)),
              Contains(ErrorAt("rules[0].match.employee_count.min",
                               "-1 is below 1")));
}

TEST(CriteriaTest, SourceLabelsAreBoundedByTheConfig) {
  RuleMatch match;
  match.add_sources("Webinar");
  RoutingConfig config = With(match);
  config.add_lead_sources("trade-fair");
  auto table = RoutingTable::Create(config);
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ((*table)->SourceLabel("webinar"), "webinar");  // a rule's
  EXPECT_EQ((*table)->SourceLabel("WEBINAR"), "webinar");
  EXPECT_EQ((*table)->SourceLabel("Trade-Fair"), "trade-fair");  // listed
  EXPECT_EQ((*table)->SourceLabel("podcast"), "other");
  EXPECT_EQ((*table)->SourceLabel(""), "none");
}

TEST(CriteriaTest, TooManySourcesOrAnEmptyOneAreRefused) {
  RoutingConfig config = With(RuleMatch());
  for (int i = 0; i < 101; ++i) config.add_lead_sources(absl::StrCat("s", i));
  EXPECT_THAT(ValidateConfig(config),
              Contains(ErrorAt("lead_sources", "101 distinct sources")));
  RoutingConfig empty = With(RuleMatch());
  empty.add_lead_sources("");
  EXPECT_THAT(ValidateConfig(empty),
              Contains(ErrorAt("lead_sources[0]", "must be 1 to 64 bytes")));
}

}  // namespace
}  // namespace leadrouter::routing
