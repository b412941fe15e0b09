// The trace details a store leaves out come back exactly as the decision
// wrote them, for every reason a rep can be passed over; details that do
// not follow from the trace (a local time, a language) are kept.
#include "routing/trace_text.h"

#include <string>

#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "routing/decision.h"
#include "routing/routing_table.h"

namespace leadrouter::routing {
namespace {

constexpr char kConfig[] = R"pb(
  reps { id: "full" capacity: 1 languages: "de" }
  reps { id: "capped" capacity: 9 daily_cap: 1 languages: "de" }
  reps { id: "off" capacity: 9 languages: "de" active: false }
  reps {
    id: "away"
    capacity: 9 languages: "de"
    out_of_office { start: "2026-01-01" end: "2027-12-31" }
  }
  reps { id: "french" capacity: 9 languages: "fr" }
  reps {
    id: "night"
    capacity: 9 languages: "de"
    working_hours { days: [ WEEKDAY_MONDAY ] start: "00:00" end: "00:01" }
  }
  reps { id: "a" capacity: 9 languages: "de" }
  reps { id: "b" capacity: 9 languages: "de" }
  reps { id: "c" capacity: 9 languages: "de" }
  teams {
    id: "t"
    members: [ "full", "capped", "off", "away", "french", "night", "a", "b",
               "c" ]
    use_working_hours: true
    requirements { language: true }
  }
  rules { id: "all" target { team: "t" } }
)pb";

TEST(TraceTextTest, LeftOutDetailsComeBackAsTheDecisionWroteThem) {
  leadrouter::v1::RoutingConfig config;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(kConfig, &config));
  auto table = RoutingTable::Create(config);
  ASSERT_TRUE(table.ok()) << table.status();
  RoutingState state;
  const absl::Time now = absl::FromUnixSeconds(1795000000);  // a Saturday
  state.SetOpenAssignments("full", 1);
  state.SetDaily("capped",
                 {(*table)->FindRep("capped")->availability.LocalDay(now), 1});
  leadrouter::v1::Lead lead;
  lead.set_id("L");
  lead.set_country_code("DE");
  lead.set_language("de");
  lead.set_stage(leadrouter::v1::STAGE_SQL);

  const Decision d = Decide(**table, lead, state, now);
  const leadrouter::v1::RoutingTrace& original = d.assignment.trace();
  ASSERT_EQ(original.candidates_size(), 9);

  leadrouter::v1::RoutingTrace trace = original;
  std::vector<std::string> taken = TakeDerivedDetails(&trace);
  int left_out = 0;
  for (const auto& c : trace.candidates()) left_out += c.detail().empty();
  // Everyone but the chosen rep, the French speaker and the rep outside
  // their hours: those details are not in the trace's numbers.
  EXPECT_EQ(left_out, 6) << original.DebugString();
  leadrouter::v1::RoutingTrace restored = trace;
  FillDerivedDetails(&restored);
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(restored, original))
      << restored.DebugString() << "\nvs\n" << original.DebugString();
  RestoreDetails(std::move(taken), &trace);
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(trace, original));
}

TEST(TraceTextTest, ADetailThatDiffersFromTheDerivedOneIsKept) {
  leadrouter::v1::RoutingTrace trace;
  auto* chosen = trace.add_candidates();
  chosen->set_rep_id("a");
  chosen->set_chosen(true);
  auto* other = trace.add_candidates();
  other->set_rep_id("b");
  other->set_pass_over_reason(
      leadrouter::v1::PASS_OVER_REASON_NOT_NEXT_IN_ROTATION);
  other->set_detail("eligible; [erased company] was picked first");
  auto* owner = trace.add_candidates();
  owner->set_rep_id("c");
  owner->set_pass_over_reason(
      leadrouter::v1::PASS_OVER_REASON_SAME_COMPANY_OWNER);
  owner->set_detail("eligible; a owns the company");
  auto* near = trace.add_candidates();
  near->set_rep_id("d");
  near->set_pass_over_reason(
      leadrouter::v1::PASS_OVER_REASON_NOT_NEXT_IN_ROTATION);
  near->set_detail("eligible; ab was picked first");
  std::vector<std::string> taken = TakeDerivedDetails(&trace);
  EXPECT_EQ(trace.candidates(1).detail(),
            "eligible; [erased company] was picked first");
  EXPECT_EQ(trace.candidates(2).detail(), "");  // derived: left out
  EXPECT_EQ(taken[2], "eligible; a owns the company");
  EXPECT_EQ(trace.candidates(3).detail(), "eligible; ab was picked first");
}

}  // namespace
}  // namespace leadrouter::routing
