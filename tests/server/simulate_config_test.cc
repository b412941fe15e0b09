// RoutingAdmin.SimulateConfig against a real leadrouterd on its embedded
// store: 1,000 routed leads (some accepted and closed along the way)
// replayed through the running config reproduce every stored decision; a
// draft reports exactly the leads whose rule changed; nothing stored
// changes; bad drafts and windows are refused naming the field.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "tests/server/daemon_fixture.h"

namespace leadrouter::testing {
namespace {

class SimulateConfigTest : public DaemonTest {
 protected:
  grpc::Status Simulate(const v1::SimulateConfigRequest& request,
                        v1::SimulateConfigResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::minutes(5));
    return admin_->SimulateConfig(&context, request, response);
  }

  // The running config over the leads that arrived from `start` on.
  v1::SimulateConfigResponse SimulateSince(absl::Time start) {
    v1::SimulateConfigRequest request;
    request.set_yaml(kServiceTestConfig);
    request.mutable_since()->set_seconds(absl::ToUnixSeconds(start));
    request.mutable_since()->set_nanos(
        static_cast<int32_t>(absl::ToUnixNanos(start) % 1000000000));
    v1::SimulateConfigResponse report;
    grpc::Status s = Simulate(request, &report);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return report;
  }

  // Every stored assignment, in order, as bytes (to see that nothing moved).
  std::string Everything() {
    std::string all;
    v1::ListAssignmentsRequest request;
    request.set_page_size(1000);
    while (true) {
      v1::ListAssignmentsResponse page;
      grpc::Status s = List(request, &page);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) return all;
      for (const auto& a : page.assignments()) all += a.SerializeAsString();
      if (page.next_page_token().empty()) return all;
      request.set_page_token(page.next_page_token());
    }
  }

  // Lead i: every 10th an MQL (every 20th from a webinar), 2 in 10 from
  // France (no rule), 2 from Germany (team dach: 4 seats, then its queue),
  // the rest from Britain (team bulk, 50 companies, so same-company owners
  // come into play).
  static v1::Lead Lead(int i) {
    v1::Lead lead;
    switch (i % 10) {
      case 0:
        lead = MakeLead(absl::StrCat("L", i), "GB");
        lead.set_stage(v1::STAGE_MQL);
        if (i % 20 == 0) lead.set_source("webinar");
        return lead;
      case 1:
      case 2:
        return MakeLead(absl::StrCat("L", i), "FR");
      case 3:
      case 4:
        return MakeLead(absl::StrCat("L", i), "DE");
      default:
        lead = MakeLead(absl::StrCat("L", i), "GB");
        lead.set_email(absl::StrCat("buyer@co", i % 50, ".example.com"));
        return lead;
    }
  }

  // Accepts and closes the lead, as its rep would.
  void Close(const std::string& lead_id) {
    v1::Assignment a;
    ASSERT_TRUE(Get(lead_id, &a).ok());
    grpc::ClientContext accept_context;
    v1::AcceptAssignmentRequest accept;
    accept.set_lead_id(lead_id);
    accept.set_etag(a.etag());
    v1::Assignment accepted;
    grpc::Status s =
        assignments_->AcceptAssignment(&accept_context, accept, &accepted);
    ASSERT_TRUE(s.ok()) << s.error_message();
    grpc::ClientContext close_context;
    v1::CloseAssignmentRequest close;
    close.set_lead_id(lead_id);
    close.set_etag(accepted.etag());
    close.set_outcome(v1::CLOSE_OUTCOME_WON);
    v1::Assignment closed;
    s = assignments_->CloseAssignment(&close_context, close, &closed);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // Routes the 1,000 leads, then simulates `yaml` over them; `before` gets
  // every stored assignment as it was before the simulation.
  v1::SimulateConfigResponse RouteThousandAndSimulate(const std::string& yaml,
                                                      std::string* before) {
    const absl::Time start = absl::Now() - absl::Seconds(1);
    RouteThousand();
    *before = Everything();
    v1::SimulateConfigRequest request;
    request.set_yaml(yaml);
    request.mutable_since()->set_seconds(absl::ToUnixSeconds(start));
    request.set_max_changed_leads(1000);
    v1::SimulateConfigResponse report;
    grpc::Status s = Simulate(request, &report);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(report.leads(), 1000);
    return report;
  }

  void RouteThousand() {
    for (int i = 0; i < 1000; ++i) {
      v1::RouteLeadResponse response;
      grpc::Status s = Route(Lead(i), &response);
      ASSERT_TRUE(s.ok()) << s.error_message();
      // Every 7th British lead is worked at once: its rep is free again.
      if (i % 10 >= 5 && i % 7 == 0) Close(absl::StrCat("L", i));
    }
  }
};

// The fixture's org plus a rule for webinar MQLs (same queue as the other
// MQLs) and a French team: the only leads it moves are those two kinds.
const std::string kDraft = absl::StrReplaceAll(
    kServiceTestConfig,
    {{"  - { id: uk, countries: [GB] }\n",
      "  - { id: uk, countries: [GB] }\n  - { id: fr, countries: [FR] }\n"},
     {"  - { id: r4, capacity: 100000 }\n",
      "  - { id: r4, capacity: 100000 }\n  - { id: r5, capacity: 100000 }\n"},
     {"  - { id: bulk, members: [r1, r2, r3, r4] }\n",
      "  - { id: bulk, members: [r1, r2, r3, r4] }\n"
      "  - { id: france, members: [r5] }\n"},
     {"  - { id: mql,",
      "  - { id: webinar, match: { stages: [mql], sources: [webinar] }, "
      "target: { queue: nurture } }\n  - { id: mql,"},
     {"target: { team: bulk } }\n",
      "target: { team: bulk } }\n"
      "  - { id: fr, match: { territories: [fr] }, target: { team: france } }\n"}});

TEST_F(SimulateConfigTest, TheRunningConfigReproducesEveryStoredDecision) {
  std::string before;
  const v1::SimulateConfigResponse report =
      RouteThousandAndSimulate(kServiceTestConfig, &before);
  EXPECT_FALSE(report.truncated());
  EXPECT_EQ(report.changed(), 0);
  for (const auto& c : report.changed_leads()) {
    ADD_FAILURE() << c.lead_id() << ": " << c.stored().ShortDebugString()
                  << " vs " << c.simulated().ShortDebugString();
  }
  EXPECT_EQ(report.draft_version(), report.running_version());
  // DE: 4 seats, the other 196 waited; MQL: 100 in nurture; FR: 200 in
  // unmatched.
  EXPECT_EQ(report.stored_queued(), 196 + 100 + 200);
  EXPECT_EQ(report.simulated_queued(), report.stored_queued());
  for (const auto& c : report.rules()) {
    EXPECT_EQ(c.stored(), c.simulated()) << c.id();
  }
  EXPECT_EQ(Everything(), before);  // nothing stored changed
}

TEST_F(SimulateConfigTest, ADraftReportsExactlyTheLeadsWhoseRuleChanged) {
  std::string before;
  const v1::SimulateConfigResponse report =
      RouteThousandAndSimulate(kDraft, &before);
  // Webinar MQLs (50) change rule only; French leads (200) move from the
  // unmatched queue to team france.
  EXPECT_EQ(report.changed(), 250);
  ASSERT_EQ(report.changed_leads_size(), 250);
  for (const auto& c : report.changed_leads()) {
    const int i = std::stoi(c.lead_id().substr(1));
    if (i % 20 == 0) {
      EXPECT_EQ(c.stored().rule_id(), "mql") << c.lead_id();
      EXPECT_EQ(c.simulated().rule_id(), "webinar") << c.lead_id();
      EXPECT_EQ(c.simulated().queue(), "nurture") << c.lead_id();
    } else {
      EXPECT_TRUE(i % 10 == 1 || i % 10 == 2) << c.lead_id();
      EXPECT_EQ(c.stored().queue(), "unmatched") << c.lead_id();
      EXPECT_EQ(c.simulated().rep_id(), "r5") << c.lead_id();
      EXPECT_EQ(c.simulated().team_id(), "france") << c.lead_id();
      EXPECT_EQ(c.simulated_trace().rule_id(), "fr") << c.lead_id();
    }
  }
  EXPECT_EQ(report.stored_queued() - report.simulated_queued(), 200);
  ASSERT_GE(report.simulated_fairness_size(), 3);
  EXPECT_EQ(report.simulated_fairness(2).team_id(), "france");
  EXPECT_EQ(report.simulated_fairness(2).leads(), 200);
  EXPECT_EQ(Everything(), before);
  // The draft was not applied.
  grpc::ClientContext context;
  v1::GetConfigResponse running;
  ASSERT_TRUE(admin_->GetConfig(&context, {}, &running).ok());
  EXPECT_EQ(running.version(), report.running_version());
  EXPECT_NE(running.version(), report.draft_version());
}

TEST_F(SimulateConfigTest, AWindowStartsFromTheSeatsHeldWhenItBegan) {
  // anna and ben (2 seats each) are full before the window begins...
  for (int i = 0; i < 4; ++i) {
    ASSERT_NE(RouteTo(MakeLead(absl::StrCat("D", i), "DE")).rfind("queue:", 0), 0u);
  }
  const absl::Time start = absl::Now();
  // ...so the window's German leads waited in team dach's queue.
  for (int i = 4; i < 7; ++i) {
    ASSERT_EQ(RouteTo(MakeLead(absl::StrCat("D", i), "DE")), "queue:team/dach");
  }
  const v1::SimulateConfigResponse report = SimulateSince(start);
  EXPECT_EQ(report.leads(), 3);
  EXPECT_EQ(report.carried_in(), 4);
  EXPECT_EQ(report.simulated_queued(), 3);  // not handed to the full reps
  EXPECT_EQ(report.changed(), 0);
}

TEST_F(SimulateConfigTest, AWindowGoesOnWhereEachRotationStood) {
  // Team bulk's rotation: r1, r2, r3 before the window...
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(RouteTo(MakeLead(absl::StrCat("G", i), "GB")),
              absl::StrCat("r", i + 1));
  }
  const absl::Time start = absl::Now();
  // ...r4, r1, r2, r3 in it.
  for (int i = 3; i < 7; ++i) ASSERT_FALSE(RouteTo(MakeLead(absl::StrCat("G", i), "GB")).empty());
  const v1::SimulateConfigResponse report = SimulateSince(start);
  EXPECT_EQ(report.leads(), 4);
  EXPECT_EQ(report.changed(), 0);  // not r1, r2, r3, r4 from a fresh start
}

TEST_F(SimulateConfigTest, AWindowByIdsOrWithALimitReplaysThoseLeads) {
  for (int i = 0; i < 30; ++i) ASSERT_FALSE(RouteTo(Lead(i)).empty());
  v1::SimulateConfigRequest request;
  request.set_yaml(kDraft);
  request.add_lead_ids("L21");
  request.add_lead_ids("L1");
  request.add_lead_ids("L9999");  // never routed: not part of the replay
  v1::SimulateConfigResponse report;
  ASSERT_TRUE(Simulate(request, &report).ok());
  EXPECT_EQ(report.leads(), 2);
  ASSERT_EQ(report.changed_leads_size(), 2);
  EXPECT_EQ(report.changed_leads(0).lead_id(), "L1");  // arrival order

  v1::SimulateConfigRequest limited;
  limited.set_yaml(kServiceTestConfig);
  limited.mutable_since()->set_seconds(0);
  limited.set_limit(10);
  ASSERT_TRUE(Simulate(limited, &report).ok());
  EXPECT_EQ(report.leads(), 10);
  EXPECT_TRUE(report.truncated());
}

TEST_F(SimulateConfigTest, BadDraftsAndWindowsAreRefusedNamingTheField) {
  auto refused = [&](const v1::SimulateConfigRequest& request) {
    v1::SimulateConfigResponse report;
    grpc::Status s = Simulate(request, &report);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    return s.error_message();
  };
  v1::SimulateConfigRequest request;
  request.mutable_since()->set_seconds(0);
  EXPECT_NE(refused(request).find("draft:"), std::string::npos);

  // Every error of the draft, with its path.
  request.set_yaml(absl::StrReplaceAll(
      kDraft, {{"{ id: r5, capacity: 100000 }", "{ id: r5, capacity: -1 }"},
               {"members: [r5]", "members: [r6]"}}));
  const std::string errors = refused(request);
  EXPECT_NE(errors.find("reps[6].capacity"), std::string::npos) << errors;
  EXPECT_NE(errors.find("teams[2].members[0]"), std::string::npos) << errors;

  request.set_yaml(kDraft);
  request.clear_since();
  EXPECT_NE(refused(request).find("since:"), std::string::npos);
  request.mutable_since()->set_seconds(2000);
  request.mutable_until()->set_seconds(1000);
  EXPECT_NE(refused(request).find("until:"), std::string::npos);
  request.clear_until();
  request.set_limit(200001);
  EXPECT_NE(refused(request).find("limit:"), std::string::npos);
  request.set_limit(0);
  request.add_lead_ids("L1");
  EXPECT_NE(refused(request).find("lead_ids:"), std::string::npos);
  request.clear_since();
  request.add_lead_ids("");
  EXPECT_NE(refused(request).find("lead_ids[1]:"), std::string::npos);
}

}  // namespace
}  // namespace leadrouter::testing
