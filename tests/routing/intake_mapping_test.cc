// Senders' own JSON shapes become leads by the config's intake mappings;
// what a mapping cannot fill is refused naming the body path and the lead
// field.
#include "routing/intake_mapping.h"

#include <string>

#include "google/protobuf/text_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/routing/test_config.h"

namespace leadrouter::routing {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

v1::IntakeMapping Mapping(const std::string& text) {
  v1::IntakeMapping m;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &m)) << text;
  return m;
}

// A flat form post, as deploy/config/example.yaml maps "web-form".
const char kForm[] = R"pb(
  id: "web-form"
  fields { lead: "id" path: "submission_id" required: true }
  fields { lead: "email" path: "email" transforms: "trim" transforms: "lower"
           required: true }
  fields { lead: "full_name" path: "name" transforms: "trim" }
  fields { lead: "country_code" path: "country" transforms: "upper" }
  fields { lead: "product_interests" path: "interests" split: ";"
           transforms: "lower" }
  fields { lead: "stage" path: "lifecycle"
           values { key: "Marketing Qualified" value: "mql" }
           values { key: "Sales Qualified" value: "sql" } default: "mql" }
  fields { lead: "score" path: "score" }
  fields { lead: "source" value: "website" }
)pb";

TEST(IntakeMapping, AFlatFormPostFillsTheLead) {
  absl::StatusOr<v1::Lead> lead = MapIntake(Mapping(kForm), R"({
    "submission_id": "f-42", "name": " Ana Souza ",
    "email": " Ana.Souza@Example.com ", "country": "de",
    "interests": "Insights; connect;", "lifecycle": "Sales Qualified",
    "score": "72", "consent": true})");
  ASSERT_TRUE(lead.ok()) << lead.status();
  EXPECT_EQ(lead->id(), "f-42");
  EXPECT_EQ(lead->email(), "ana.souza@example.com");
  EXPECT_EQ(lead->full_name(), "Ana Souza");
  EXPECT_EQ(lead->country_code(), "DE");
  EXPECT_THAT(lead->product_interests(), ElementsAre("insights", "connect"));
  EXPECT_EQ(lead->stage(), v1::STAGE_SQL);
  EXPECT_EQ(lead->score(), 72);
  EXPECT_EQ(lead->source(), "website");
}

TEST(IntakeMapping, DefaultsFillWhatIsMissingOrUnlisted) {
  auto missing = MapIntake(Mapping(kForm),
                           R"({"submission_id": 7, "email": "a@b.example"})");
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(missing->id(), "7");  // a JSON number is its text
  EXPECT_EQ(missing->stage(), v1::STAGE_MQL);
  EXPECT_EQ(missing->score(), 0);
  auto unlisted = MapIntake(Mapping(kForm), R"({"submission_id": "x",
      "email": "a@b.example", "lifecycle": "Customer"})");
  ASSERT_TRUE(unlisted.ok()) << unlisted.status();
  EXPECT_EQ(unlisted->stage(), v1::STAGE_MQL);
}

// A CRM contact webhook: values under nested properties, lists indexed.
TEST(IntakeMapping, NestedPropertiesAndListsAreReachedByPath) {
  auto mapping = Mapping(R"pb(
    id: "crm-contact"
    fields { lead: "id" path: "objectId" required: true }
    fields { lead: "email" path: "properties.email.value" transforms: "lower" }
    fields { lead: "employee_count" path: "properties.numberofemployees.value" }
    fields { lead: "stage" path: "properties.lifecyclestage.value"
             values { key: "salesqualifiedlead" value: "sql" } required: true }
    fields { lead: "product_interests" path: "deals.0.products" }
    fields { lead: "attributes.crm_owner" path: "properties.owner.value" }
  )pb");
  auto lead = MapIntake(mapping, R"({"objectId": 5120031,
    "properties": {"email": {"value": "Tom@Acme.co.uk"},
                   "numberofemployees": {"value": 240},
                   "lifecyclestage": {"value": "salesqualifiedlead"},
                   "owner": {"value": "9911"}},
    "deals": [{"products": ["insights", "connect"]}]})");
  ASSERT_TRUE(lead.ok()) << lead.status();
  EXPECT_EQ(lead->id(), "5120031");
  EXPECT_EQ(lead->email(), "tom@acme.co.uk");
  EXPECT_EQ(lead->employee_count(), 240);
  EXPECT_EQ(lead->stage(), v1::STAGE_SQL);
  EXPECT_THAT(lead->product_interests(), ElementsAre("insights", "connect"));
  EXPECT_THAT(lead->attributes(),
              UnorderedElementsAre(Pair("crm_owner", "9911")));
}

TEST(IntakeMapping, WhatTheMappingCannotFillIsRefusedNamingIt) {
  const v1::IntakeMapping form = Mapping(kForm);
  struct Case {
    const char* body;
    const char* says;
  };
  const Case cases[] = {
      {R"({"email": "a@b.example"})",
       "body.submission_id: is required (lead.id by intake mapping "
       "\"web-form\")"},
      {R"({"submission_id": "x", "email": null})",
       "body.email: is required (lead.email"},
      {R"({"submission_id": "x", "email": {"work": "a@b"}})",
       "body.email: is an object, not a value (lead.email"},
      {R"({"submission_id": "x", "email": "a@b.example", "score": "high"})",
       "body.score: \"high\" is not a whole number (lead.score"},
      {R"({"submission_id": ["a", "b"], "email": "a@b.example"})",
       "body.submission_id: holds 2 values where one is wanted"},
      {R"(["not", "an", "object"])", "body: is not a JSON object"},
      {R"({"submission_id": )", "body: not JSON"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    auto lead = MapIntake(form, c.body);
    ASSERT_FALSE(lead.ok());
    EXPECT_EQ(lead.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(lead.status().message(), HasSubstr(c.says));
  }
  // A value map without a default refuses what it does not list.
  auto strict = Mapping(R"pb(
    id: "strict"
    fields { lead: "id" path: "id" }
    fields { lead: "stage" path: "stage" values { key: "MQL" value: "mql" } }
  )pb");
  auto refused = MapIntake(strict, R"({"id": "s", "stage": "Customer"})");
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(),
              HasSubstr("body.stage: \"Customer\" is none of the mapped "
                        "values (lead.stage"));
  auto not_a_stage = MapIntake(
      Mapping(R"pb(id: "s" fields { lead: "id" path: "id" }
                   fields { lead: "stage" path: "stage" })pb"),
      R"({"id": "s", "stage": "hot"})");
  EXPECT_THAT(not_a_stage.status().message(),
              HasSubstr("\"hot\" is not a stage"));
}

TEST(IntakeMapping, ConfigErrorsAreListedAtTheirPaths) {
  v1::RoutingConfig config = testing::TestConfig();
  *config.add_intake_mappings() = Mapping(kForm);
  *config.add_intake_mappings() = Mapping(R"pb(
    id: "web-form"
    fields { lead: "favourite_colour" path: "c" }
    fields { lead: "email" }
    fields { lead: "email" path: "a..b" transforms: "shout" split: "," }
    fields { lead: "attributes." path: "x" }
  )pb");
  std::vector<ConfigError> errors;
  CheckIntakeMappings(config, &errors);
  auto at = [](const std::string& path, const std::string& text) {
    return ::testing::AllOf(Field(&ConfigError::path, path),
                            Field(&ConfigError::message, HasSubstr(text)));
  };
  EXPECT_THAT(
      errors,
      ElementsAre(
          at("intake_mappings[1].id", "duplicate intake mapping id"),
          at("intake_mappings[1].fields[0].lead",
             "\"favourite_colour\" is not a lead field"),
          at("intake_mappings[1].fields[1]",
             "needs exactly one of path or value"),
          at("intake_mappings[1].fields[2].lead", "\"email\" is filled twice"),
          at("intake_mappings[1].fields[2].path", "has an empty step"),
          at("intake_mappings[1].fields[2].transforms[0]",
             "\"shout\" is not trim, lower or upper"),
          at("intake_mappings[1].fields[2].split",
             "applies only to product_interests"),
          at("intake_mappings[1].fields[3].lead", "is not a lead field"),
          at("intake_mappings[1].fields", "must fill the lead's id")));
  // And the whole config is refused with them.
  EXPECT_THAT(ValidateConfig(config), ::testing::Not(IsEmpty()));
}

}  // namespace
}  // namespace leadrouter::routing
