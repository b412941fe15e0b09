// Every malformed lead field is refused with INVALID_ARGUMENT naming it.
#include "routing/lead_validation.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace leadrouter::routing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using leadrouter::v1::Lead;

Lead GoodLead() {
  Lead lead;
  lead.set_id("L-1");
  lead.set_email("jane@example.com");
  lead.set_full_name("Jane Roe");
  lead.set_company_domain("example.com");
  lead.set_country_code("DE");
  lead.set_region_code("DE-BY");
  lead.set_postal_code("80331");
  lead.set_language("de-DE");
  lead.add_product_interests("analytics");
  lead.set_score(80);
  lead.set_stage(leadrouter::v1::STAGE_SQL);
  (*lead.mutable_attributes())["campaign"] = "spring";
  return lead;
}

// Expects INVALID_ARGUMENT whose message starts with `field`.
void ExpectRefused(const Lead& lead, const std::string& field) {
  absl::Status status = ValidateLead(lead);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()), ::testing::StartsWith(field + ":"))
      << status;
}

TEST(LeadValidation, AcceptsAWellFormedLead) {
  EXPECT_TRUE(ValidateLead(GoodLead()).ok()) << ValidateLead(GoodLead());
}

TEST(LeadValidation, AcceptsALeadWithOnlyIdAndStage) {
  Lead lead;
  lead.set_id("x");
  lead.set_stage(leadrouter::v1::STAGE_MQL);
  EXPECT_TRUE(ValidateLead(lead).ok());
}

TEST(LeadValidation, RequiresId) {
  Lead lead = GoodLead();
  lead.clear_id();
  ExpectRefused(lead, "lead.id");
  EXPECT_THAT(std::string(ValidateLead(lead).message()),
              HasSubstr("is required"));
}

TEST(LeadValidation, RefusesIdWithSpacesOrTooLong) {
  Lead lead = GoodLead();
  lead.set_id("has space");
  ExpectRefused(lead, "lead.id");
  lead.set_id(std::string(129, 'a'));
  ExpectRefused(lead, "lead.id");
  lead.set_id(std::string(128, 'a'));
  EXPECT_TRUE(ValidateLead(lead).ok());
}

TEST(LeadValidation, RefusesMalformedCountryCodes) {
  for (const char* code : {"XX", "de", "DEU", "D", "1A"}) {
    Lead lead = GoodLead();
    lead.clear_region_code();
    lead.set_country_code(code);
    ExpectRefused(lead, "lead.country_code");
  }
  Lead lead = GoodLead();
  lead.set_country_code("XX");
  lead.clear_region_code();
  EXPECT_THAT(std::string(ValidateLead(lead).message()),
              HasSubstr("\"XX\" is not an ISO 3166-1 alpha-2 code"));
}

TEST(LeadValidation, RefusesMalformedRegionCodes) {
  for (const char* code : {"BY", "DE_BY", "DE-", "XX-BY", "DE-BAYERN", "de-by"}) {
    Lead lead = GoodLead();
    lead.set_region_code(code);
    ExpectRefused(lead, "lead.region_code");
  }
}

TEST(LeadValidation, RefusesRegionOutsideCountry) {
  Lead lead = GoodLead();
  lead.set_region_code("AT-9");
  ExpectRefused(lead, "lead.region_code");
}

TEST(LeadValidation, RefusesScoreOutsideRange) {
  for (int score : {-1, 101, 1000}) {
    Lead lead = GoodLead();
    lead.set_score(score);
    ExpectRefused(lead, "lead.score");
  }
  Lead lead = GoodLead();
  lead.set_score(100);
  EXPECT_TRUE(ValidateLead(lead).ok());
}

TEST(LeadValidation, RefusesMissingOrUnknownStage) {
  Lead lead = GoodLead();
  lead.set_stage(leadrouter::v1::STAGE_UNSPECIFIED);
  ExpectRefused(lead, "lead.stage");
  lead.set_stage(static_cast<leadrouter::v1::Stage>(7));
  ExpectRefused(lead, "lead.stage");
}

TEST(LeadValidation, RefusesOversizeStrings) {
  Lead lead = GoodLead();
  lead.set_full_name(std::string(257, 'n'));
  ExpectRefused(lead, "lead.full_name");

  lead = GoodLead();
  lead.set_postal_code(std::string(17, '1'));
  ExpectRefused(lead, "lead.postal_code");

  lead = GoodLead();
  lead.add_product_interests(std::string(65, 'p'));
  ExpectRefused(lead, "lead.product_interests[1]");

  lead = GoodLead();
  (*lead.mutable_attributes())["notes"] = std::string(1025, 'x');
  ExpectRefused(lead, "lead.attributes[\"notes\"]");
}

TEST(LeadValidation, RefusesOversizeMessage) {
  Lead lead = GoodLead();
  for (int i = 0; i < 64; ++i) {
    (*lead.mutable_attributes())["k" + std::to_string(i)] =
        std::string(1024, 'v');
  }
  absl::Status status = ValidateLead(lead);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("the limit is 65536"));
}

TEST(LeadValidation, EmailErrorDoesNotEchoTheAddress) {
  Lead lead = GoodLead();
  lead.set_email("jane.roe at example.com");
  ExpectRefused(lead, "lead.email");
  EXPECT_THAT(std::string(ValidateLead(lead).message()),
              Not(HasSubstr("jane.roe")));
}

TEST(LeadValidation, RefusesBadLanguageDomainAndCounts) {
  Lead lead = GoodLead();
  lead.set_language("german!");
  ExpectRefused(lead, "lead.language");

  lead = GoodLead();
  lead.set_company_domain("not a domain");
  ExpectRefused(lead, "lead.company_domain");

  lead = GoodLead();
  lead.set_employee_count(-5);
  ExpectRefused(lead, "lead.employee_count");

  lead = GoodLead();
  lead.add_product_interests("");
  ExpectRefused(lead, "lead.product_interests[1]");
}

}  // namespace
}  // namespace leadrouter::routing
