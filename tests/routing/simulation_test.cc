// The what-if simulator: replaying the past through the config that made
// it changes nothing; a draft reports exactly the leads it would move, with
// counts, fairness and both traces; capacity freed by closed leads is
// freed in the replay too.
#include "routing/simulation.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "routing/assignment_lifecycle.h"
#include "routing/decision.h"
#include "routing/timestamps.h"

namespace leadrouter::routing {
namespace {

using leadrouter::v1::SimulateConfigResponse;

// Reps a and b (team t, round robin) take web leads; c (team u) the rest.
constexpr char kConfig[] = R"pb(
  reps { id: "a" capacity: 2 }
  reps { id: "b" capacity: 2 }
  reps { id: "c" capacity: 100 }
  teams { id: "t" members: [ "a", "b" ] }
  teams { id: "u" members: [ "c" ] }
  rules {
    id: "web"
    match { sources: [ "web" ] }
    target { team: "t" }
  }
  rules { id: "rest" target { team: "u" } }
)pb";

std::shared_ptr<const RoutingTable> Table(const std::string& text) {
  leadrouter::v1::RoutingConfig config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &config));
  auto table = RoutingTable::Create(config);
  EXPECT_TRUE(table.ok()) << table.status();
  return *table;
}

leadrouter::v1::Lead MakeLead(int i, const std::string& source) {
  leadrouter::v1::Lead lead;
  lead.set_id(absl::StrCat("L", i));
  lead.set_country_code("DE");
  lead.set_stage(leadrouter::v1::STAGE_SQL);
  lead.set_source(source);
  lead.set_company_domain(absl::StrCat("c", i, ".example"));
  return lead;
}

const absl::Time kStart = absl::FromUnixSeconds(1795000000);

// The past as leadrouterd makes it: a lead every 10 minutes (sources cycle
// web, web, ads), each routed on the state of its time; every lead is
// accepted and closed 25 minutes after it arrived, which frees its rep
// (a and b hold 2 each: without that, t would fill up and queue).
std::vector<PastLead> History(const RoutingTable& table, int n) {
  RoutingState state;
  std::vector<PastLead> past;
  std::vector<std::pair<absl::Time, size_t>> closing;  // due, index
  for (int i = 0; i < n; ++i) {
    const absl::Time now = kStart + absl::Minutes(10) * i;
    for (auto it = closing.begin(); it != closing.end();) {
      if (it->first > now) {
        ++it;
        continue;
      }
      leadrouter::v1::Assignment& a = past[it->second].stored;
      auto accepted = Accept(a, a.etag(), it->first);
      EXPECT_TRUE(accepted.ok());
      auto closed = Close(table, accepted->assignment, state, "",
                          leadrouter::v1::CLOSE_OUTCOME_WON, "", it->first);
      EXPECT_TRUE(closed.ok()) << closed.status();
      ApplyChanges(closed->changes, &state);
      a = closed->assignment;
      it = closing.erase(it);
    }
    LeadChange routed = Routed(
        Decide(table, MakeLead(i, i % 3 == 2 ? "ads" : "web"), state, now));
    ApplyChanges(routed.changes, &state);
    PastLead& p = past.emplace_back();
    p.lead = MakeLead(i, i % 3 == 2 ? "ads" : "web");
    p.stored = routed.assignment;
    p.first_event = routed.events.front();
    closing.emplace_back(now + absl::Minutes(25), past.size() - 1);
  }
  return past;
}

SimulateConfigResponse Simulate(const RoutingTable& draft,
                                const std::vector<PastLead>& past,
                                int max_changed = 100) {
  Simulation sim(draft, max_changed);
  for (const PastLead& p : past) sim.Replay(p);
  return sim.Report();
}

TEST(SimulationTest, ReplayingTheRunningConfigReproducesEveryDecision) {
  auto table = Table(kConfig);
  const std::vector<PastLead> past = History(*table, 300);
  int queued = 0;
  for (const PastLead& p : past) {
    queued += p.stored.state() == leadrouter::v1::ASSIGNMENT_STATE_QUEUED;
  }
  // Closes freed a and b all along: nobody had to wait.
  ASSERT_EQ(queued, 0);
  const SimulateConfigResponse r = Simulate(*table, past);
  EXPECT_EQ(r.leads(), 300);
  EXPECT_EQ(r.changed(), 0);
  EXPECT_TRUE(r.changed_leads().empty());
  EXPECT_EQ(r.simulated_queued(), 0);
  ASSERT_EQ(r.rules_size(), 2);
  EXPECT_EQ(r.rules(0).id(), "web");
  EXPECT_EQ(r.rules(0).stored(), 200);
  EXPECT_EQ(r.rules(0).simulated(), 200);
  EXPECT_EQ(r.rules(1).id(), "rest");
  EXPECT_EQ(r.rules(1).simulated(), 100);
  ASSERT_EQ(r.reps_size(), 3);
  EXPECT_EQ(r.reps(0).id(), "a");
  EXPECT_EQ(r.reps(0).simulated(), 100);
  EXPECT_EQ(r.reps(1).simulated(), 100);
  EXPECT_EQ(r.reps(2).simulated(), 100);
  EXPECT_EQ(ToTime(r.first_arrival()), kStart);
  EXPECT_EQ(ToTime(r.last_arrival()), kStart + absl::Minutes(10) * 299);
}

TEST(SimulationTest, ClosedLeadsFreeTheirSimulatedRep) {
  // Without the closes of the past, the replay would fill a and b after
  // four web leads and queue the rest: it does not.
  auto table = Table(kConfig);
  std::vector<PastLead> past = History(*table, 30);
  EXPECT_EQ(Simulate(*table, past).simulated_queued(), 0);
  // The same leads, none of them closed: the replay has to queue.
  for (PastLead& p : past) {
    p.stored.set_state(leadrouter::v1::ASSIGNMENT_STATE_ASSIGNED);
    p.stored.clear_closed_at();
  }
  const SimulateConfigResponse r = Simulate(*table, past);
  EXPECT_EQ(r.simulated_queued(), 20 - 4);
  EXPECT_EQ(r.changed(), 20 - 4);
}

TEST(SimulationTest, ADraftReportsExactlyTheLeadsItWouldMove) {
  auto table = Table(kConfig);
  const std::vector<PastLead> past = History(*table, 60);
  // The draft gives ads leads to a new team v (rep d).
  auto draft = Table(std::string(kConfig) + R"pb(
    reps { id: "d" capacity: 100 }
    teams { id: "v" members: [ "d" ] }
    rules {
      id: "ads"
      match { sources: [ "ads" ] }
      target { team: "v" }
    }
  )pb");
  // Rules match in order: move "ads" before "rest".
  leadrouter::v1::RoutingConfig config = draft->config();
  config.mutable_rules()->SwapElements(1, 2);
  auto reordered = RoutingTable::Create(config);
  ASSERT_TRUE(reordered.ok()) << reordered.status();
  const SimulateConfigResponse r =
      Simulate(**reordered, past, /*max_changed=*/5);
  EXPECT_EQ(r.leads(), 60);
  EXPECT_EQ(r.changed(), 20);  // every ads lead, and only those
  ASSERT_EQ(r.changed_leads_size(), 5);  // the list is capped; the count not
  for (const auto& c : r.changed_leads()) {
    const int i = std::stoi(c.lead_id().substr(1));
    EXPECT_EQ(i % 3, 2) << c.lead_id();
    EXPECT_EQ(c.stored().rule_id(), "rest");
    EXPECT_EQ(c.stored().team_id(), "u");
    EXPECT_EQ(c.stored().rep_id(), "c");
    EXPECT_EQ(c.stored_trace().rule_id(), "rest");
    EXPECT_EQ(c.simulated().rule_id(), "ads");
    EXPECT_EQ(c.simulated().team_id(), "v");
    EXPECT_EQ(c.simulated().rep_id(), "d");
    EXPECT_EQ(c.simulated_trace().rule_id(), "ads");
    EXPECT_FALSE(c.simulated_trace().summary().empty());
  }
  EXPECT_EQ(r.changed_leads(0).lead_id(), "L2");  // earliest first
  ASSERT_EQ(r.rules_size(), 3);  // in the draft's order
  EXPECT_EQ(r.rules(0).id(), "web");
  EXPECT_EQ(r.rules(0).stored(), 40);
  EXPECT_EQ(r.rules(0).simulated(), 40);
  EXPECT_EQ(r.rules(1).id(), "ads");
  EXPECT_EQ(r.rules(1).stored(), 0);
  EXPECT_EQ(r.rules(1).simulated(), 20);
  EXPECT_EQ(r.rules(2).id(), "rest");
  EXPECT_EQ(r.rules(2).stored(), 20);
  EXPECT_EQ(r.rules(2).simulated(), 0);
  ASSERT_EQ(r.reps_size(), 4);
  EXPECT_EQ(r.reps(3).id(), "d");
  EXPECT_EQ(r.reps(3).simulated(), 20);
  // Fairness for each team of the draft.
  ASSERT_EQ(r.simulated_fairness_size(), 3);
  EXPECT_EQ(r.simulated_fairness(0).team_id(), "t");
  EXPECT_EQ(r.simulated_fairness(0).leads(), 40);
  EXPECT_DOUBLE_EQ(r.simulated_fairness(0).max_deviation(), 0);
  EXPECT_EQ(r.simulated_fairness(2).team_id(), "v");
  EXPECT_EQ(r.simulated_fairness(2).leads(), 20);
  EXPECT_EQ(r.stored_fairness(2).leads(), 0);
}

TEST(SimulationTest, ARotationChangeMovesTheLeadsAfterIt) {
  // Sending ads leads to team t too shifts t's round robin: the web leads
  // after the first ads lead go to the other rep. Those moves are reported.
  auto table = Table(kConfig);
  const std::vector<PastLead> past = History(*table, 6);
  leadrouter::v1::RoutingConfig config = table->config();
  config.mutable_rules(0)->mutable_match()->add_sources("ads");
  auto draft = RoutingTable::Create(config);
  ASSERT_TRUE(draft.ok());
  // Stored: L0 a, L1 b, L2 c, L3 a, L4 b, L5 c.
  // Draft:  L0 a, L1 b, L2 a, L3 b, L4 a, L5 b.
  const SimulateConfigResponse r = Simulate(**draft, past);
  std::vector<std::string> moved;
  for (const auto& c : r.changed_leads()) moved.push_back(c.lead_id());
  EXPECT_EQ(moved, (std::vector<std::string>{"L2", "L3", "L4", "L5"}));
}

TEST(SimulationTest, TheStoredPlacementIsWhereTheLeadWentOnArrival) {
  auto table = Table(kConfig);
  std::vector<PastLead> past = History(*table, 3);
  // L0 went to a; later rejected to b. The first event still says a.
  past[0].stored.set_rep_id("b");
  past[0].stored.add_declined_rep_ids("a");
  EXPECT_EQ(StoredPlacement(past[0]).rep_id(), "a");
  EXPECT_EQ(Simulate(*table, past).changed(), 0);
  // Retention deleted its history: the record is all there is.
  past[0].first_event.Clear();
  EXPECT_EQ(StoredPlacement(past[0]).rep_id(), "b");
  EXPECT_EQ(Simulate(*table, past).changed(), 1);
}

// A lead that rep `rep` of team t held when the window began; closed at
// `closed_at` unless that is InfiniteFuture.
PastLead Held(int i, const std::string& rep, absl::Time closed_at) {
  PastLead held;
  held.lead = MakeLead(1000 + i, "web");
  held.stored.set_lead_id(held.lead.id());
  held.stored.set_rep_id(rep);
  held.stored.set_team_id("t");
  held.stored.mutable_trace()->set_company_domain(held.lead.company_domain());
  held.stored.set_state(leadrouter::v1::ASSIGNMENT_STATE_ACCEPTED);
  SetTimestamp(kStart - absl::Hours(1), held.stored.mutable_routed_at());
  if (closed_at != absl::InfiniteFuture()) {
    held.stored.set_state(leadrouter::v1::ASSIGNMENT_STATE_CLOSED);
    SetTimestamp(closed_at, held.stored.mutable_closed_at());
  }
  return held;
}

TEST(SimulationTest, SeatsHeldWhenTheWindowBeginsTakeTheirRepsCapacity) {
  auto table = Table(kConfig);
  const std::vector<PastLead> past = History(*table, 30);
  // a and b (2 seats each) are full when the window begins, for good:
  // every web lead of the window has to wait.
  Simulation full(*table, 100);
  for (int i = 0; i < 4; ++i) {
    full.Carry(Held(i, i < 2 ? "a" : "b", absl::InfiniteFuture()));
  }
  PastLead queued_before;  // waited in a queue: held no seat
  queued_before.stored.set_lead_id("Q");
  full.Carry(queued_before);
  for (const PastLead& p : past) full.Replay(p);
  const SimulateConfigResponse r = full.Report();
  EXPECT_EQ(r.carried_in(), 4);
  EXPECT_EQ(r.simulated_queued(), 20);
  EXPECT_EQ(r.changed(), 20);

  // Those leads close 15 minutes in: the web leads at 0 and 10 minutes
  // wait; from the one at 30 minutes on, seats are free again.
  Simulation freed(*table, 100);
  for (int i = 0; i < 4; ++i) {
    freed.Carry(Held(i, i < 2 ? "a" : "b", kStart + absl::Minutes(15)));
  }
  for (const PastLead& p : past) freed.Replay(p);
  EXPECT_EQ(freed.Report().simulated_queued(), 2);
}

TEST(SimulationTest, AWindowGoesOnFromWhereEachRotationAndDayStood) {
  auto table = Table(kConfig);
  const std::vector<PastLead> all = History(*table, 12);
  // The window starts at the 5th lead (L0 a, L1 b, L2 c, L3 a came
  // before); the events before it, newest first.
  const std::vector<PastLead> window(all.begin() + 4, all.end());
  std::vector<v1::AssignmentEvent> before;
  for (int i = 3; i >= 0; --i) before.push_back(all[i].first_event);
  const absl::Time start = ToTime(all[4].stored.routed_at());

  // From a fresh rotation, t's leads go a, b, ... again: they move.
  EXPECT_GT(Simulate(*table, window).changed(), 0);
  // Going on after the rep t gave its last lead to, nothing moves.
  Simulation sim(*table, 100);
  sim.StartFrom(before, start);
  for (const PastLead& p : window) sim.Replay(p);
  EXPECT_EQ(sim.Report().changed(), 0);
}

TEST(SimulationTest, TheDaysCountsGoOnSoDailyCapsHold) {
  // a and b take at most 2 leads a day; c has no cap.
  std::string capped = kConfig;
  capped.replace(capped.find(R"(reps { id: "a" capacity: 2 })"),
                 sizeof(R"(reps { id: "a" capacity: 2 })") - 1,
                 R"(reps { id: "a" capacity: 2 daily_cap: 2 })");
  auto table = Table(capped);
  const std::vector<PastLead> all = History(*table, 9);
  // Before the window (same day): L0 a, L1 b, L3 a, L4 b; both are capped.
  const std::vector<PastLead> window(all.begin() + 5, all.end());
  std::vector<v1::AssignmentEvent> before;
  for (int i = 4; i >= 0; --i) before.push_back(all[i].first_event);
  Simulation sim(*table, 100);
  sim.StartFrom(before, ToTime(all[5].stored.routed_at()));
  for (const PastLead& p : window) sim.Replay(p);
  const SimulateConfigResponse r = sim.Report();
  EXPECT_EQ(r.changed(), 0) << r.ShortDebugString();
  // The rotation alone (counted for another day): a takes a third lead.
  Simulation uncapped(*table, 100);
  uncapped.StartFrom(before, ToTime(all[5].stored.routed_at()) + absl::Hours(24));
  for (const PastLead& p : window) uncapped.Replay(p);
  EXPECT_GT(uncapped.Report().changed(), 0);
}

TEST(SimulationTest, ErasedLeadsAreCountedNotReplayed) {
  auto table = Table(kConfig);
  std::vector<PastLead> past = History(*table, 6);
  past[1].stored.set_erased(true);
  const SimulateConfigResponse r = Simulate(*table, past);
  EXPECT_EQ(r.leads(), 5);
  EXPECT_EQ(r.skipped_erased(), 1);
}

TEST(SimulationTest, RulesTheDraftLacksAreListedAfterItsOwn) {
  auto table = Table(kConfig);
  const std::vector<PastLead> past = History(*table, 6);
  auto draft = Table(R"pb(
    reps { id: "c" capacity: 100 }
    teams { id: "u" members: [ "c" ] }
    rules { id: "rest" target { team: "u" } }
  )pb");
  const SimulateConfigResponse r = Simulate(*draft, past);
  ASSERT_EQ(r.rules_size(), 2);
  EXPECT_EQ(r.rules(0).id(), "rest");
  EXPECT_EQ(r.rules(0).simulated(), 6);
  EXPECT_EQ(r.rules(1).id(), "web");
  EXPECT_EQ(r.rules(1).stored(), 4);
  EXPECT_EQ(r.rules(1).simulated(), 0);
  EXPECT_EQ(r.changed(), 4);
}

}  // namespace
}  // namespace leadrouter::routing
