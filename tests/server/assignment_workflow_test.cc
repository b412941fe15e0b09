// The assignment state machine on both real stores (part of the store
// conformance suite: every test runs on the embedded SQLite store and on
// PostgreSQL), in-process and with a clock the test moves: every allowed and
// refused transition with its capacity and queue effects, stale etags,
// rejection and re-routing, response times that lapse (also across a
// restart), erasure (on SQLite down to the bytes of the database file), and
// the list filters sales tools use.
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "routing/routing_table.h"
#include "server/api/assignment_workflow.h"
#include "server/api/lead_intake.h"
#include "server/config/current_table.h"
#include "server/store/pg_db.h"
#include "tests/server/in_process.h"
#include "tests/server/store_under_test.h"

namespace leadrouter::server {
namespace {

using leadrouter::v1::Assignment;
using leadrouter::v1::Lead;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kConfig[] = R"pb(
  reps { id: "anna" capacity: 1 }
  reps { id: "ben" capacity: 1 }
  reps { id: "carl" capacity: 1 }
  reps { id: "boss" capacity: 10 }
  teams {
    id: "sales"
    members: [ "anna", "ben", "carl" ]
    response_sla {
      accept_within: "30m"
      max_reroutes: 1
      escalate_to { rep: "boss" }
    }
  }
  rules { id: "all" target { team: "sales" } }
)pb";

Lead MakeLead(const std::string& id) {
  Lead lead;
  lead.set_id(id);
  lead.set_country_code("DE");
  lead.set_stage(leadrouter::v1::STAGE_SQL);
  lead.set_score(50);
  lead.set_email(absl::StrCat("buyer@", id, ".example.com"));
  return lead;
}

std::vector<leadrouter::v1::AssignmentEventType> Types(const Assignment& a) {
  std::vector<leadrouter::v1::AssignmentEventType> types;
  for (const auto& e : a.history()) types.push_back(e.type());
  return types;
}

class WorkflowTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    where_ = std::make_unique<StoreUnderTest>(
        GetParam(),
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    dir_ = where_->location();
    auto table = TableFromText(kConfig);
    ASSERT_NE(table, nullptr);
    current_ = std::make_unique<CurrentTable>(table);
    Open();
  }

  void Open() {
    auto store = where_->Open();
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    intake_ = std::make_unique<LeadIntake>(*current_, *store_,
                                           [this] { return now_; });
    workflow_ = std::make_unique<AssignmentWorkflow>(*current_, *store_,
                                                     [this] { return now_; });
  }

  void Reopen() {
    workflow_.reset();
    intake_.reset();
    store_.reset();  // closes, committing everything
    Open();
  }

  // Runs one call and waits for its durable answer.
  template <typename Call>
  absl::StatusOr<Assignment> Await(Call call) {
    return AwaitAssignment(std::move(call));
  }

  absl::StatusOr<Assignment> Route(const Lead& lead) {
    return Await([&](RouteCallback cb) { intake_->Route(lead, cb); });
  }
  absl::StatusOr<Assignment> Accept(const std::string& id,
                                    const std::string& etag = "") {
    return Await([&](RouteCallback cb) { workflow_->Accept(id, etag, cb); });
  }
  absl::StatusOr<Assignment> Reject(const std::string& id,
                                    const std::string& note = "",
                                    const std::string& etag = "") {
    return Await(
        [&](RouteCallback cb) { workflow_->Reject(id, etag, note, cb); });
  }
  absl::StatusOr<Assignment> Close(
      const std::string& id,
      leadrouter::v1::CloseOutcome outcome = leadrouter::v1::CLOSE_OUTCOME_WON,
      const std::string& note = "", const std::string& etag = "") {
    return Await([&](RouteCallback cb) {
      workflow_->Close(id, etag, outcome, note, cb);
    });
  }
  absl::StatusOr<Assignment> Erase(const std::string& id) {
    return Await([&](RouteCallback cb) { workflow_->Erase(id, cb); });
  }
  Assignment Get(const std::string& id) {
    absl::StatusOr<Assignment> a = store_->Get(id);
    EXPECT_TRUE(a.ok()) << a.status();
    return a.ok() ? *a : Assignment();
  }
  int OpenLeads(const std::string& rep) {
    return store_->Snapshot().OpenAssignments(rep);
  }
  int Expire() {
    absl::StatusOr<int> n = workflow_->ExpireResponseTimes();
    EXPECT_TRUE(n.ok()) << n.status();
    // The changes are durable once the writer committed them; a read
    // through the store's own queue (a replayed route) waits for that.
    store_->Close();
    Reopen();
    return n.ok() ? *n : -1;
  }

  std::unique_ptr<StoreUnderTest> where_;
  std::string dir_;  // the data directory, or the database's URI
  absl::Time now_ = absl::FromUnixSeconds(1800000000);
  std::unique_ptr<CurrentTable> current_;
  std::unique_ptr<AssignmentStore> store_;
  std::unique_ptr<LeadIntake> intake_;
  std::unique_ptr<AssignmentWorkflow> workflow_;
};

INSTANTIATE_TEST_SUITE_P(Stores, WorkflowTest, AllStores(), StoreName);

TEST_P(WorkflowTest, AcceptThenCloseFreesTheRepAndAssignsAWaitingLeadAtOnce) {
  for (const char* id : {"L1", "L2", "L3"}) ASSERT_TRUE(Route(MakeLead(id)).ok());
  auto waiting = Route(MakeLead("L4"));
  ASSERT_TRUE(waiting.ok());
  ASSERT_EQ(waiting->state(), leadrouter::v1::ASSIGNMENT_STATE_QUEUED);
  EXPECT_EQ(waiting->queue(), "team/sales");
  const std::string rep = Get("L1").rep_id();

  auto accepted = Accept("L1");
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_EQ(accepted->state(), leadrouter::v1::ASSIGNMENT_STATE_ACCEPTED);
  EXPECT_FALSE(accepted->has_respond_by());  // the response clock stopped
  EXPECT_EQ(OpenLeads(rep), 1);                   // an accepted lead is still open
  EXPECT_EQ(Get("L4").state(), leadrouter::v1::ASSIGNMENT_STATE_QUEUED);

  auto closed = Close("L1", leadrouter::v1::CLOSE_OUTCOME_WON, "signed");
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->state(), leadrouter::v1::ASSIGNMENT_STATE_CLOSED);
  EXPECT_EQ(closed->close_outcome(), leadrouter::v1::CLOSE_OUTCOME_WON);
  EXPECT_EQ(closed->close_note(), "signed");
  // No drain pass ran: the close itself handed the seat to the waiting lead.
  const Assignment moved = Get("L4");
  EXPECT_EQ(moved.state(), leadrouter::v1::ASSIGNMENT_STATE_ASSIGNED);
  EXPECT_EQ(moved.rep_id(), rep);
  EXPECT_EQ(OpenLeads(rep), 1);
  EXPECT_THAT(Types(Get("L1")),
              ElementsAre(leadrouter::v1::ASSIGNMENT_EVENT_TYPE_ASSIGNED,
                          leadrouter::v1::ASSIGNMENT_EVENT_TYPE_ACCEPTED,
                          leadrouter::v1::ASSIGNMENT_EVENT_TYPE_CLOSED));
  EXPECT_THAT(Types(moved),
              ElementsAre(leadrouter::v1::ASSIGNMENT_EVENT_TYPE_QUEUED,
                          leadrouter::v1::ASSIGNMENT_EVENT_TYPE_ASSIGNED));
}

TEST_P(WorkflowTest, RefusedTransitionsNameTheStateAndChangeNothing) {
  ASSERT_TRUE(Route(MakeLead("L1")).ok());
  const std::string etag = Get("L1").etag();

  auto close_assigned = Close("L1");
  EXPECT_EQ(close_assigned.status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(close_assigned.status().message(), HasSubstr("is ASSIGNED"));
  EXPECT_EQ(Get("L1").etag(), etag);

  ASSERT_TRUE(Accept("L1").ok());
  auto accept_twice = Accept("L1");
  EXPECT_EQ(accept_twice.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(accept_twice.status().message(), HasSubstr("is ACCEPTED"));
  auto reject_accepted = Reject("L1");
  EXPECT_EQ(reject_accepted.status().code(),
            absl::StatusCode::kFailedPrecondition);
  const std::string rep = Get("L1").rep_id();
  EXPECT_EQ(OpenLeads(rep), 1);  // the refusals freed nothing

  ASSERT_TRUE(Close("L1", leadrouter::v1::CLOSE_OUTCOME_LOST).ok());
  for (auto result : {Accept("L1"), Reject("L1"), Close("L1")}) {
    EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(result.status().message(), HasSubstr("is CLOSED"));
  }
  EXPECT_EQ(OpenLeads(rep), 0);  // closing twice does not free twice

  // A queued lead can be neither accepted nor rejected.
  for (const char* id : {"L2", "L3", "L4"}) ASSERT_TRUE(Route(MakeLead(id)).ok());
  ASSERT_EQ(Route(MakeLead("L5"))->state(),
            leadrouter::v1::ASSIGNMENT_STATE_QUEUED);
  EXPECT_THAT(Accept("L5").status().message(), HasSubstr("is QUEUED"));
  EXPECT_THAT(Reject("L5").status().message(), HasSubstr("is QUEUED"));

  // Bad input: the field is named and nothing changes.
  EXPECT_EQ(Accept("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Accept("").status().message(), HasSubstr("lead_id"));
  auto no_outcome = Close("L2", leadrouter::v1::CLOSE_OUTCOME_UNSPECIFIED);
  EXPECT_EQ(no_outcome.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(no_outcome.status().message(), HasSubstr("outcome"));
  auto erased_outcome = Close("L2", leadrouter::v1::CLOSE_OUTCOME_ERASED);
  EXPECT_EQ(erased_outcome.status().code(), absl::StatusCode::kInvalidArgument);
  auto long_note = Reject("L2", std::string(1001, 'x'));
  EXPECT_EQ(long_note.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(long_note.status().message(), HasSubstr("note"));
  EXPECT_EQ(Get("L2").state(), leadrouter::v1::ASSIGNMENT_STATE_ASSIGNED);
}

TEST_P(WorkflowTest, AStaleEtagLosesCleanly) {
  ASSERT_TRUE(Route(MakeLead("L1")).ok());
  const std::string first = Get("L1").etag();
  auto accepted = Accept("L1", first);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_NE(accepted->etag(), first);

  // A second tool still holding the first etag tries to close.
  auto stale = Close("L1", leadrouter::v1::CLOSE_OUTCOME_WON, "", first);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(stale.status().message(), HasSubstr("etag"));
  EXPECT_EQ(Get("L1").state(), leadrouter::v1::ASSIGNMENT_STATE_ACCEPTED);
  EXPECT_EQ(Get("L1").etag(), accepted->etag());

  EXPECT_TRUE(
      Close("L1", leadrouter::v1::CLOSE_OUTCOME_WON, "", accepted->etag()).ok());
}

TEST_P(WorkflowTest, ARejectedLeadIsRoutedAgainAndNeverBackToAnyoneWhoRejected) {
  auto first = Route(MakeLead("L1"));
  ASSERT_TRUE(first.ok());
  std::vector<std::string> owners = {first->rep_id()};
  for (int i = 0; i < 2; ++i) {
    auto next = Reject("L1", "not my region");
    ASSERT_TRUE(next.ok()) << next.status();
    ASSERT_EQ(next->state(), leadrouter::v1::ASSIGNMENT_STATE_ASSIGNED);
    EXPECT_THAT(owners, ::testing::Not(::testing::Contains(next->rep_id())));
    EXPECT_EQ(OpenLeads(owners.back()), 0);  // the rejecting rep is free at once
    owners.push_back(next->rep_id());
  }
  // Everybody declined: the lead waits, though every rep has room.
  auto last = Reject("L1");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->state(), leadrouter::v1::ASSIGNMENT_STATE_QUEUED);
  EXPECT_EQ(last->queue(), "team/sales");
  EXPECT_EQ(last->declined_rep_ids_size(), 3);
  for (const auto& c : last->trace().candidates()) {
    EXPECT_EQ(c.pass_over_reason(), leadrouter::v1::PASS_OVER_REASON_DECLINED);
  }
  EXPECT_EQ(intake_->DrainQueues().value_or(-1), 0);  // and keeps waiting

  const Assignment history = Get("L1");
  using leadrouter::v1::AssignmentEventType;
  EXPECT_THAT(Types(history),
              ElementsAre(leadrouter::v1::ASSIGNMENT_EVENT_TYPE_ASSIGNED,
                          leadrouter::v1::ASSIGNMENT_EVENT_TYPE_REJECTED,
                          leadrouter::v1::ASSIGNMENT_EVENT_TYPE_REASSIGNED,
                          leadrouter::v1::ASSIGNMENT_EVENT_TYPE_REJECTED,
                          leadrouter::v1::ASSIGNMENT_EVENT_TYPE_REASSIGNED,
                          leadrouter::v1::ASSIGNMENT_EVENT_TYPE_REJECTED,
                          leadrouter::v1::ASSIGNMENT_EVENT_TYPE_QUEUED));
  EXPECT_EQ(history.history(1).previous_rep_id(), owners[0]);
  EXPECT_EQ(history.history(1).note(), "not my region");
  EXPECT_EQ(history.history(2).rep_id(), owners[1]);
  // A new lead still goes to a rep: they rejected L1, not the team.
  EXPECT_EQ(Route(MakeLead("L2"))->state(),
            leadrouter::v1::ASSIGNMENT_STATE_ASSIGNED);
}

TEST_P(WorkflowTest, ALapsedResponseTimeReroutesThenEscalates) {
  auto routed = Route(MakeLead("L1"));
  ASSERT_TRUE(routed.ok());
  const std::string first = routed->rep_id();
  EXPECT_EQ(routed->respond_by().seconds(),
            absl::ToUnixSeconds(now_ + absl::Minutes(30)));

  now_ += absl::Minutes(29);
  EXPECT_EQ(Expire(), 0);
  EXPECT_EQ(Get("L1").rep_id(), first);

  now_ += absl::Minutes(2);
  EXPECT_EQ(Expire(), 1);
  const Assignment second = Get("L1");
  ASSERT_EQ(second.state(), leadrouter::v1::ASSIGNMENT_STATE_ASSIGNED);
  EXPECT_NE(second.rep_id(), first);
  EXPECT_EQ(second.sla_reroutes(), 1);
  EXPECT_EQ(OpenLeads(first), 0);
  const auto& lapse = second.history(second.history_size() - 1);
  EXPECT_EQ(lapse.type(), leadrouter::v1::ASSIGNMENT_EVENT_TYPE_REASSIGNED);
  EXPECT_EQ(lapse.previous_rep_id(), first);
  EXPECT_THAT(lapse.reason(),
              HasSubstr(absl::StrCat("not accepted by ", first, " within 30m")));
  EXPECT_EQ(second.respond_by().seconds(),
            absl::ToUnixSeconds(now_ + absl::Minutes(30)));

  // max_reroutes is 1: the next lapse escalates to the named rep.
  now_ += absl::Minutes(31);
  EXPECT_EQ(Expire(), 1);
  const Assignment escalated = Get("L1");
  EXPECT_EQ(escalated.state(), leadrouter::v1::ASSIGNMENT_STATE_ASSIGNED);
  EXPECT_EQ(escalated.rep_id(), "boss");
  EXPECT_TRUE(escalated.escalated());
  EXPECT_FALSE(escalated.has_respond_by());
  EXPECT_EQ(OpenLeads(second.rep_id()), 0);
  EXPECT_EQ(escalated.history(escalated.history_size() - 1).type(),
            leadrouter::v1::ASSIGNMENT_EVENT_TYPE_ESCALATED);
  now_ += absl::Hours(5);
  EXPECT_EQ(Expire(), 0);  // no clock runs on an escalated lead

  // Accepting in time stops the clock.
  ASSERT_TRUE(Route(MakeLead("L2")).ok());
  ASSERT_TRUE(Accept("L2").ok());
  now_ += absl::Hours(1);
  EXPECT_EQ(Expire(), 0);
  EXPECT_EQ(Get("L2").state(), leadrouter::v1::ASSIGNMENT_STATE_ACCEPTED);
}

TEST_P(WorkflowTest, ResponseTimersSurviveARestart) {
  auto routed = Route(MakeLead("L1"));
  ASSERT_TRUE(routed.ok());
  Reopen();  // a new process: the timer is only in the database
  now_ += absl::Minutes(45);
  EXPECT_EQ(Expire(), 1);
  const Assignment a = Get("L1");
  EXPECT_NE(a.rep_id(), routed->rep_id());
  EXPECT_EQ(a.sla_reroutes(), 1);
  EXPECT_EQ(OpenLeads(routed->rep_id()), 0);
}

std::string ReadDataFiles(const std::string& dir) {
  std::string bytes;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(in),
                 std::istreambuf_iterator<char>());
  }
  return bytes;
}

// What the store holds: on SQLite every byte of the database files (WAL
// included); on PostgreSQL every stored row (the rows a reader, a backup or
// a replica sees; space of rows rewritten before is PostgreSQL's to reclaim,
// see the README).
std::string StoredBytes(StoreKind kind, const std::string& where) {
  if (kind == StoreKind::kSqlite) return ReadDataFiles(where);
  auto db = PgConnection::Connect(where);
  EXPECT_TRUE(db.ok()) << db.status();
  if (!db.ok()) return "";
  std::string bytes;
  for (const char* sql :
       {"SELECT assignment FROM assignments", "SELECT lead FROM assignments",
        "SELECT event FROM events", "SELECT event FROM audit_events"}) {
    auto rows = db->Query(sql);
    EXPECT_TRUE(rows.ok()) << rows.status();
    for (int i = 0; rows.ok() && i < rows->rows(); ++i) {
      bytes += rows->Bytes(i, 0);
    }
  }
  return bytes;
}

TEST_P(WorkflowTest, ErasureLeavesNoTraceOfThePersonInTheStore) {
  Lead lead = MakeLead("gdpr-1");
  lead.set_email("greta.subject@erase-me.example");
  lead.set_full_name("Greta Subject");
  lead.set_company_name("Subject Family Bakery");
  (*lead.mutable_attributes())["remarks"] = "call Greta after 5";
  ASSERT_TRUE(Route(lead).ok());
  ASSERT_TRUE(Accept("gdpr-1").ok());
  ASSERT_TRUE(
      Close("gdpr-1", leadrouter::v1::CLOSE_OUTCOME_LOST, "Greta said no").ok());
  // Many changes of other leads, so pages are rewritten and freed.
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(Route(MakeLead(absl::StrCat("other-", i))).ok());
  }
  Reopen();
  // The test can fail: the data is there before the erasure.
  ASSERT_THAT(StoredBytes(GetParam(), dir_), HasSubstr("greta.subject"));

  auto erased = Erase("gdpr-1");
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_TRUE(erased->erased());
  EXPECT_EQ(erased->close_outcome(), leadrouter::v1::CLOSE_OUTCOME_LOST);
  EXPECT_TRUE(Erase("gdpr-1").ok());  // idempotent

  // While the service runs (database, WAL and all), and after it stopped.
  for (int stopped = 0; stopped < 2; ++stopped) {
    if (stopped == 1) Reopen();
    const std::string bytes = StoredBytes(GetParam(), dir_);
    for (const char* secret : {"greta.subject", "Greta", "erase-me.example",
                               "Bakery", "call Greta", "said no"}) {
      EXPECT_FALSE(absl::StrContains(bytes, secret))
          << secret << (stopped == 1 ? " after a restart" : " while running");
    }
  }
  // Reads show the anonymous record: who, when, how it ended.
  const Assignment a = Get("gdpr-1");
  EXPECT_EQ(a.rule_id(), "all");
  EXPECT_FALSE(a.rep_id().empty());
  EXPECT_EQ(a.trace().company_domain(), "");
  EXPECT_EQ(a.close_note(), "");
  for (const auto& e : a.history()) {
    EXPECT_EQ(e.note(), "");
    EXPECT_THAT(e.reason(), ::testing::Not(HasSubstr("erase-me")));
  }
  EXPECT_EQ(a.history(a.history_size() - 1).type(),
            leadrouter::v1::ASSIGNMENT_EVENT_TYPE_ERASED);
  // A retry of the original route replays the anonymous record and stores
  // nothing new.
  auto replay = Route(lead);
  ASSERT_TRUE(replay.ok());
  EXPECT_TRUE(replay->erased());
  Reopen();
  EXPECT_FALSE(absl::StrContains(StoredBytes(GetParam(), dir_), "greta.subject"));
}

TEST_P(WorkflowTest, ErasingAnOpenLeadClosesItAndFreesTheRep) {
  auto routed = Route(MakeLead("L1"));
  ASSERT_TRUE(routed.ok());
  auto erased = Erase("L1");
  ASSERT_TRUE(erased.ok());
  EXPECT_EQ(erased->state(), leadrouter::v1::ASSIGNMENT_STATE_CLOSED);
  EXPECT_EQ(erased->close_outcome(), leadrouter::v1::CLOSE_OUTCOME_ERASED);
  EXPECT_EQ(OpenLeads(routed->rep_id()), 0);
}

// The clock is the test's: a lead that arrives while the whole team is away
// waits, stays through drains before the absence ends, and is assigned by
// the first drain after it, however slow the machine.
TEST_P(WorkflowTest, AQueuedLeadIsAssignedWhenTheAbsenceEnds) {
  auto table = TableFromText(absl::StrCat(
          R"pb(
            reps {
              id: "anna"
              capacity: 5
              out_of_office { start: "2027-01-01" end: ")pb",
          absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", now_ + absl::Hours(2),
                           absl::UTCTimeZone()),
          R"pb(" }
            }
            teams { id: "sales" members: [ "anna" ] }
            rules { id: "all" target { team: "sales" } }
          )pb"));
  ASSERT_NE(table, nullptr);
  current_->Set(table);

  auto queued = Route(MakeLead("while-away"));
  ASSERT_TRUE(queued.ok()) << queued.status();
  ASSERT_EQ(queued->state(), leadrouter::v1::ASSIGNMENT_STATE_QUEUED);
  EXPECT_EQ(queued->queue(), "team/sales");
  EXPECT_EQ(queued->trace().candidates(0).pass_over_reason(),
            leadrouter::v1::PASS_OVER_REASON_OUT_OF_OFFICE);

  now_ += absl::Hours(2) - absl::Minutes(1);  // a minute before the end
  absl::StatusOr<int> moved = intake_->DrainQueues();
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(*moved, 0);
  now_ += absl::Minutes(2);  // a minute after
  moved = intake_->DrainQueues();
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(*moved, 1);
  Reopen();  // everything drained is committed
  const Assignment a = Get("while-away");
  EXPECT_EQ(a.state(), leadrouter::v1::ASSIGNMENT_STATE_ASSIGNED);
  EXPECT_EQ(a.rep_id(), "anna");
  EXPECT_EQ(OpenLeads("anna"), 1);
}

TEST_P(WorkflowTest, ListFiltersByStateAndArrivalTime) {
  ASSERT_TRUE(Route(MakeLead("early")).ok());
  now_ += absl::Hours(1);
  const int64_t later = absl::ToUnixMicros(now_);
  ASSERT_TRUE(Route(MakeLead("late-1")).ok());
  ASSERT_TRUE(Route(MakeLead("late-2")).ok());
  ASSERT_TRUE(Accept("late-2").ok());

  auto ids = [&](AssignmentQuery q) {
    std::vector<std::string> out;
    auto page = store_->List(q);
    EXPECT_TRUE(page.ok()) << page.status();
    if (page.ok()) {
      for (const auto& a : page->assignments) out.push_back(a.lead_id());
    }
    return out;
  };
  AssignmentQuery accepted;
  accepted.state = leadrouter::v1::ASSIGNMENT_STATE_ACCEPTED;
  EXPECT_THAT(ids(accepted), ElementsAre("late-2"));
  AssignmentQuery recent;
  recent.arrived_from_us = later;
  EXPECT_THAT(ids(recent), ElementsAre("late-1", "late-2"));
  AssignmentQuery before;
  before.arrived_until_us = later;
  EXPECT_THAT(ids(before), ElementsAre("early"));
}

}  // namespace
}  // namespace leadrouter::server
