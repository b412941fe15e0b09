// Which events a webhook subscription wants, what its Slack text says, and
// the config errors of a bad subscription.
#include "routing/webhook_subscriptions.h"

#include "google/protobuf/text_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/routing/test_config.h"

namespace leadrouter::routing {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;

v1::AssignmentEvent Event(v1::AssignmentEventType type, const std::string& team,
                          const std::string& rep,
                          const std::string& previous = "") {
  v1::AssignmentEvent e;
  e.set_type(type);
  e.set_lead_id("L-7");
  e.set_team_id(team);
  e.set_rep_id(rep);
  e.set_previous_rep_id(previous);
  return e;
}

TEST(WebhookSubscriptions, FiltersByTypeTeamAndRep) {
  v1::WebhookSubscription all;
  EXPECT_TRUE(Wants(all, Event(v1::ASSIGNMENT_EVENT_TYPE_CLOSED, "", "")));
  v1::WebhookSubscription s;
  s.add_events(v1::ASSIGNMENT_EVENT_TYPE_ASSIGNED);
  s.add_events(v1::ASSIGNMENT_EVENT_TYPE_REASSIGNED);
  s.add_team_ids("dach");
  EXPECT_TRUE(Wants(s, Event(v1::ASSIGNMENT_EVENT_TYPE_ASSIGNED, "dach", "a")));
  EXPECT_FALSE(Wants(s, Event(v1::ASSIGNMENT_EVENT_TYPE_CLOSED, "dach", "a")));
  EXPECT_FALSE(Wants(s, Event(v1::ASSIGNMENT_EVENT_TYPE_ASSIGNED, "uk", "a")));
  v1::WebhookSubscription anna;
  anna.add_rep_ids("anna");
  EXPECT_TRUE(Wants(anna, Event(v1::ASSIGNMENT_EVENT_TYPE_ACCEPTED, "", "anna")));
  // A lead moving away from anna is hers to hear about too.
  EXPECT_TRUE(Wants(anna, Event(v1::ASSIGNMENT_EVENT_TYPE_REASSIGNED, "dach",
                                "ben", "anna")));
  EXPECT_FALSE(Wants(anna, Event(v1::ASSIGNMENT_EVENT_TYPE_ASSIGNED, "dach",
                                 "ben")));
}

TEST(WebhookSubscriptions, TheSlackTextHoldsIdsOnly) {
  EXPECT_EQ(SlackText(Event(v1::ASSIGNMENT_EVENT_TYPE_REASSIGNED, "dach",
                            "ben", "anna")),
            "Lead L-7 reassigned: rep ben, from rep anna, team dach");
  v1::AssignmentEvent queued;
  queued.set_type(v1::ASSIGNMENT_EVENT_TYPE_QUEUED);
  queued.set_lead_id("L-8");
  queued.set_queue("nurture");
  EXPECT_EQ(SlackText(queued), "Lead L-8 queued: queue nurture");
}

TEST(WebhookSubscriptions, ConfigErrorsAreListedAtTheirPaths) {
  v1::RoutingConfig config = testing::TestConfig();
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(R"pb(
    webhooks { id: "crm" url: "https://crm.example.com/hooks" }
    webhooks { id: "crm" url: "ftp://x" events: ASSIGNMENT_EVENT_TYPE_UNSPECIFIED
               team_ids: "nope" rep_ids: "ghost" format: "xml"
               give_up_after: "forever" }
  )pb", &config));
  std::vector<ConfigError> errors;
  CheckWebhookSubscriptions(config, &errors);
  auto at = [](const std::string& path, const std::string& text) {
    return ::testing::AllOf(Field(&ConfigError::path, path),
                            Field(&ConfigError::message, HasSubstr(text)));
  };
  EXPECT_THAT(errors,
              ElementsAre(at("webhooks[1].id", "duplicate webhook id"),
                          at("webhooks[1].url", "http:// or https://"),
                          at("webhooks[1].events[0]", "not an event type"),
                          at("webhooks[1].team_ids[0]", "no team \"nope\""),
                          at("webhooks[1].rep_ids[0]", "no rep \"ghost\""),
                          at("webhooks[1].format", "not json or slack"),
                          at("webhooks[1].give_up_after",
                             "not a duration from 1s to 720h")));
  EXPECT_EQ(GiveUpAfter(config.webhooks(0)), kDefaultGiveUpAfter);
}

}  // namespace
}  // namespace leadrouter::routing
