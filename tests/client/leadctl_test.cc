// The leadctl binary as scripts use it: output, --output json, exit codes,
// and an import of 10,000 leads killed half-way and resumed, with no lead
// routed twice.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "client/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/daemon_fixture.h"

extern char** environ;

namespace leadrouter::testing {
namespace {

using ::testing::HasSubstr;

struct LeadctlRun {
  int exit_code = -1;
  std::string out;
};

// Runs leadctl with `args`, capturing stdout (stderr is left alone).
LeadctlRun Leadctl(const std::string& server, const std::string& args) {
  const std::string command =
      absl::StrCat(LEADCTL_PATH, " --server=", server, " ", args);
  LeadctlRun run;
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) run.out.append(buffer, n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

class LeadctlTest : public DaemonTest {};

TEST_F(LeadctlTest, OutputAndExitCodesScriptsCanRelyOn) {
  const std::string server = daemon_->address();
  LeadctlRun routed = Leadctl(server, "route --id=L-1 --country=DE --score=70");
  EXPECT_EQ(routed.exit_code, 0);
  EXPECT_THAT(routed.out, HasSubstr("lead L-1 -> rep anna (team dach)"));
  LeadctlRun again = Leadctl(server, "route --id=L-1 --country=DE --score=70");
  EXPECT_THAT(again.out, HasSubstr("already routed"));

  LeadctlRun json = Leadctl(server, "get L-1 --output=json");
  EXPECT_EQ(json.exit_code, 0);
  EXPECT_THAT(json.out, HasSubstr("\"lead_id\":\"L-1\""));
  EXPECT_THAT(json.out, HasSubstr("\"history\""));

  EXPECT_EQ(Leadctl(server, "route --id=L-2 --country=XX").exit_code, 3);
  EXPECT_EQ(Leadctl(server, "get nobody").exit_code, 4);
  EXPECT_EQ(Leadctl(server, "close L-1 --outcome=won").exit_code, 6);
  EXPECT_EQ(Leadctl(server, "frobnicate").exit_code, 2);
  EXPECT_EQ(Leadctl("127.0.0.1:1", "get L-1 --timeout=1s").exit_code, 5);
}

TEST_F(LeadctlTest, AdminsSeeRepsSetAvailabilityAndCheckAConfig) {
  const std::string server = daemon_->address();
  LeadctlRun off = Leadctl(server, "set-rep anna --active=false");
  EXPECT_EQ(off.exit_code, 0) << off.out;
  EXPECT_THAT(off.out, HasSubstr("active: false"));
  LeadctlRun reps = Leadctl(server, "reps --team=dach");
  EXPECT_EQ(reps.exit_code, 0);
  EXPECT_THAT(reps.out, ::testing::ContainsRegex("anna +dach .*inactive"));
  EXPECT_THAT(reps.out, ::testing::ContainsRegex("ben +dach .*available"));
  EXPECT_THAT(reps.out, HasSubstr("GOT/SHARE 7d"));
  EXPECT_THAT(reps.out, ::testing::ContainsRegex("dach +[0-9]+  "));
  EXPECT_THAT(Leadctl(server, "route --id=S-1 --country=DE").out,
              HasSubstr("-> rep ben"));
  EXPECT_EQ(Leadctl(server, "set-rep zed --active=false").exit_code, 4);
  EXPECT_EQ(Leadctl(server, "set-rep anna --capacity=lots").exit_code, 3);
  LeadctlRun out = Leadctl(server, "set-rep ben --out=2026-12-21..2027-01-03");
  EXPECT_EQ(out.exit_code, 0) << out.out;
  EXPECT_THAT(out.out, HasSubstr("start: \"2026-12-21\" end: \"2027-01-03\""));
  EXPECT_EQ(Leadctl(server, "set-rep ben --out=2026-12-21").exit_code, 3);
  EXPECT_EQ(Leadctl(server, "set-rep ben --out=2027-01-03..2026-12-21").exit_code,
            3);
  EXPECT_EQ(Leadctl(server, "set-rep ben --clear_out").exit_code, 0);

  const std::string broken = dir_ + "/broken.yaml";
  WriteFile(broken, "reps: [ { id: x, capacity: -1 } ]\n");
  LeadctlRun invalid = Leadctl(server, "config validate " + broken);
  EXPECT_EQ(invalid.exit_code, 3);
  const std::string before = Leadctl(server, "config get").out;
  EXPECT_THAT(before, HasSubstr("override  rep_id: \"anna\""));
  const std::string bigger = dir_ + "/bigger.yaml";
  WriteFile(bigger, absl::StrReplaceAll(kServiceTestConfig,
                                        {{"{ id: ben, capacity: 2 }",
                                          "{ id: ben, capacity: 3 }"},
                                         {"  - { id: nurture }\n",
                                          "  - { id: nurture }\n"
                                          "  - { id: triage }\n"}}));
  LeadctlRun diff = Leadctl(server, "config diff " + bigger);
  EXPECT_EQ(diff.exit_code, 0) << diff.out;
  EXPECT_THAT(diff.out, HasSubstr("modified: reps[ben].capacity: 2 -> 3"));
  EXPECT_THAT(diff.out, HasSubstr("added: queues[triage]"));
  LeadctlRun applied = Leadctl(server, "config apply " + config_path_);
  EXPECT_EQ(applied.exit_code, 0);
  EXPECT_THAT(applied.out, HasSubstr("unchanged"));  // the running file
}

TEST_F(LeadctlTest, ConfigSimulatePrintsWhatADraftWouldHaveDone) {
  const std::string server = daemon_->address();
  for (int i = 0; i < 6; ++i) {
    ASSERT_EQ(Leadctl(server, absl::StrCat("route --id=S-", i,
                                           " --country=GB")).exit_code,
              0);
  }
  // The draft sends British leads to a queue instead of team bulk.
  const std::string draft = dir_ + "/draft.yaml";
  WriteFile(draft, absl::StrReplaceAll(
                       kServiceTestConfig,
                       {{"target: { team: bulk }", "target: { queue: nurture }"}}));
  LeadctlRun run =
      Leadctl(server, "config simulate " + draft + " --since 1h --max_changed 2");
  EXPECT_EQ(run.exit_code, 0) << run.out;
  EXPECT_THAT(run.out, HasSubstr("replayed 6 leads"));
  EXPECT_THAT(run.out, HasSubstr("changed: 6 leads would go elsewhere (100.0%)"));
  EXPECT_THAT(run.out, ::testing::ContainsRegex("bulk +6 +6 +0"));  // rule
  EXPECT_THAT(run.out, ::testing::ContainsRegex("bulk +6 +0 +-6"));  // team
  EXPECT_THAT(run.out, ::testing::ContainsRegex("QUEUED ON ARRIVAL +0 +6 +[+]6"));
  EXPECT_THAT(run.out, ::testing::ContainsRegex("bulk +8.3 points [(]r1[)] +-"));
  EXPECT_THAT(run.out, HasSubstr("CHANGED LEADS (2 of 6)"));
  EXPECT_THAT(run.out, HasSubstr("draft: bulk -> queue nurture"));
  LeadctlRun json = Leadctl(server, "--output=json config simulate " + draft +
                                        " --lead_ids=S-1,S-2");
  EXPECT_EQ(json.exit_code, 0);
  EXPECT_THAT(json.out, HasSubstr("\"leads\":\"2\""));
  // A bad draft is refused (exit 3); a missing window is a usage error.
  const std::string broken = dir_ + "/broken.yaml";
  WriteFile(broken, "reps: [ { id: x, capacity: -1 } ]\n");
  EXPECT_EQ(Leadctl(server, "config simulate " + broken + " --since 1h")
                .exit_code,
            3);
  EXPECT_EQ(Leadctl(server, "config simulate " + draft).exit_code, 2);
  EXPECT_EQ(Leadctl(server, "config simulate " + draft + " --since=soon")
                .exit_code,
            3);
  // The audit trail takes the same times.
  EXPECT_EQ(Leadctl(server, "audit --since=1h").exit_code, 0);
  EXPECT_EQ(Leadctl(server, "audit --since=2026-01-01T00:00:00Z").exit_code, 0);
  EXPECT_EQ(Leadctl(server, "audit --since=soon").exit_code, 3);
}

TEST_F(LeadctlTest, ACsvImportRoutesEveryRowAndCountsTheBadOnes) {
  const std::string file = dir_ + "/leads.csv";
  WriteFile(file,
            "id,country_code,stage,score,product_interests\n"
            "csv-1,GB,sql,80,insights;connect\n"
            "csv-2,DE,SQL,40,\n"
            "csv-3,XX,sql,50,\n"
            "csv-4,GB,sql,many,\n"
            "csv-5,GB,mql,10,\n");
  LeadctlRun run = Leadctl(daemon_->address(), "import " + file);
  EXPECT_EQ(run.exit_code, 3) << run.out;
  EXPECT_THAT(run.out, HasSubstr("assigned  2"));  // csv-1 (bulk), csv-2 (dach)
  EXPECT_THAT(run.out, HasSubstr("queued    1"));  // csv-5: nurture
  EXPECT_THAT(run.out, HasSubstr("error     1  INVALID_ARGUMENT lead.country_code"));
  EXPECT_THAT(run.out, HasSubstr("error     1  unreadable (line 5)"));
  v1::Assignment a;
  ASSERT_TRUE(Get("csv-1", &a).ok());
  EXPECT_EQ(a.team_id(), "bulk");
  LeadctlRun json = Leadctl(daemon_->address(), "import " + file + " --output=json");
  EXPECT_THAT(json.out, HasSubstr("\"replayed\":3"));
}

TEST_F(LeadctlTest, ACsvAsSpreadsheetsExportItImportsWhole) {
  // A byte order mark, CRLF, quoted names with commas, quotes and a line
  // break: every row is one lead.
  const std::string file = dir_ + "/export.csv";
  WriteFile(file,
            "\xEF\xBB\xBFid,company_name,company_domain,country_code,stage,"
            "full_name\r\n"
            "x-1,\"Acme, Inc.\",acme.example,GB,sql,\"Lee, Sam\"\r\n"
            "x-2,\"The \"\"Best\"\" Co\",best.example,GB,sql,\"Kim\r\nPark\"\r\n"
            "x-3,Plain Ltd,plain.example,GB,sql,Alex\r\n"
            "x-4,Bad Row,bad.example,GB,sql\r\n");
  LeadctlRun run = Leadctl(daemon_->address(), "import " + file);
  EXPECT_EQ(run.exit_code, 3) << run.out;
  EXPECT_THAT(run.out, HasSubstr("assigned  3"));
  // x-4 has a field too few; it starts on line 6, after the line break.
  EXPECT_THAT(run.out, HasSubstr("unreadable (line 6)"));
  v1::Assignment a;
  ASSERT_TRUE(Get("x-1", &a).ok());
  EXPECT_EQ(a.trace().company_domain(), "acme.example");

  // Quoting that never closes: the file is refused whole, naming the line.
  const std::string broken = dir_ + "/broken.csv";
  WriteFile(broken, "id,company_name\ny-1,\"Acme\ny-2,x\n");
  LeadctlRun refused = Leadctl(daemon_->address(), "import " + broken);
  EXPECT_EQ(refused.exit_code, 2);
  v1::Assignment none;
  EXPECT_EQ(Get("y-1", &none).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(LeadctlTest, AnInterruptedImportResumesWithNoLeadRoutedTwice) {
  constexpr int kLeads = 10000;
  const std::string file = dir_ + "/leads.jsonl";
  {
    std::ofstream out(file);
    for (int i = 0; i < kLeads; ++i) {
      out << "{\"id\":\"imp-" << i
          << "\",\"country_code\":\"GB\",\"stage\":\"STAGE_SQL\",\"score\":"
          << (i % 100) << "}\n";
    }
    out << "{\"id\":\"imp-bad\",\"country_code\":\"XX\",\"stage\":\"STAGE_SQL\"}\n";
  }
  const std::string checkpoint = file + ".leadctl-progress";

  // First run, killed without warning once 2,000 leads are answered.
  std::vector<std::string> args = {LEADCTL_PATH,
                                   "--server=" + daemon_->address(), "import",
                                   file};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t quiet;
  posix_spawn_file_actions_init(&quiet);
  posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&quiet, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  ASSERT_EQ(posix_spawn(&pid, argv[0], &quiet, nullptr, argv.data(), environ),
            0);
  size_t reached = 0;
  for (int i = 0; i < 600 && reached < 2000; ++i) {
    std::ifstream in(checkpoint);
    in >> reached;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  posix_spawn_file_actions_destroy(&quiet);
  ASSERT_GE(reached, 2000u);
  ASSERT_LT(reached, static_cast<size_t>(kLeads)) << "finished before the kill";

  // The rerun continues after the checkpoint.
  LeadctlRun resumed = Leadctl(daemon_->address(), "import " + file);
  EXPECT_EQ(resumed.exit_code, 3) << resumed.out;  // the one invalid lead
  EXPECT_THAT(resumed.out, HasSubstr("skipped   "));
  EXPECT_THAT(resumed.out, HasSubstr("error     1  INVALID_ARGUMENT lead.country_code"));
  EXPECT_FALSE(std::ifstream(checkpoint).good());  // done: checkpoint gone

  // Every lead stored once; none decided twice (a replay keeps etag "1").
  ClientOptions options;
  options.address = daemon_->address();
  Client client(options);
  int stored = 0, changed = 0;
  v1::ListAssignmentsRequest request;
  request.set_team_id("bulk");
  request.set_page_size(1000);
  ASSERT_TRUE(client
                  .ForEachAssignment(request,
                                     [&](const v1::Assignment& a) {
                                       ++stored;
                                       if (a.etag() != "1") ++changed;
                                       return true;
                                     })
                  .ok());
  EXPECT_EQ(stored, kLeads);
  EXPECT_EQ(changed, 0);
}

// Every open lead of `rep` in the store behind `assignments`, page by page.
int OpenLeadsOf(v1::AssignmentService::Stub& assignments,
                const std::string& rep) {
  int open = 0;
  v1::ListAssignmentsRequest request;
  request.set_rep_id(rep);
  request.set_state(v1::ASSIGNMENT_STATE_ASSIGNED);
  request.set_page_size(1000);
  while (true) {
    grpc::ClientContext context;
    v1::ListAssignmentsResponse page;
    EXPECT_TRUE(
        assignments.ListAssignments(&context, request, &page).ok());
    open += page.assignments_size();
    if (page.next_page_token().empty()) return open;
    request.set_page_token(page.next_page_token());
  }
}

// Routes go on while `leadctl backup` copies the store; a leadrouterd
// started from the copy holds every lead acknowledged before the backup
// began, and its loads and rotation are those of one moment.
TEST_F(LeadctlTest, ABackupTakenUnderLoadRestoresEveryAcknowledgedLead) {
  std::mutex mu;
  std::vector<std::string> acknowledged;  // mu
  std::atomic<bool> stop = false;
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t) {
    load.emplace_back([&, t] {
      auto router = v1::LeadRouter::NewStub(channel_);
      for (int i = 0; i < 600 && !stop.load(); ++i) {
        // Two in three to the bulk team's rotation, the rest to dach
        // (full at once: they wait in its queue).
        const std::string id = absl::StrCat("bk-", t, "-", i);
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() +
                             std::chrono::seconds(30));
        v1::RouteLeadRequest request;
        *request.mutable_lead() = MakeLead(id, i % 3 == 2 ? "DE" : "GB");
        v1::RouteLeadResponse response;
        if (router->RouteLead(&context, request, &response).ok()) {
          std::lock_guard lock(mu);
          acknowledged.push_back(id);
        }
      }
    });
  }
  // Wait (bounded) until some leads are in, then take the backup while
  // routes go on.
  for (int i = 0; i < 600; ++i) {
    {
      std::lock_guard lock(mu);
      if (acknowledged.size() >= 200) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::vector<std::string> before;
  {
    std::lock_guard lock(mu);
    before = acknowledged;
  }
  ASSERT_GE(before.size(), 200u);
  const std::string file = dir_ + "/backup.db";
  LeadctlRun backup = Leadctl(daemon_->address(), "backup " + file);
  size_t after_backup = 0;
  {
    std::lock_guard lock(mu);
    after_backup = acknowledged.size();
  }
  stop = true;
  for (std::thread& t : load) t.join();
  ASSERT_EQ(backup.exit_code, 0) << backup.out;
  EXPECT_THAT(backup.out, HasSubstr("sha256"));
  // Routing did not stop for it.
  EXPECT_GT(acknowledged.size(), before.size());
  std::cout << "acknowledged before the backup " << before.size()
            << ", when it ended " << after_backup << ", in all "
            << acknowledged.size() << "\n";
  // The file is not overwritten.
  EXPECT_NE(Leadctl(daemon_->address(), "backup " + file).exit_code, 0);

  std::string log;
  auto restored = DaemonProcess::Start(config_path_, dir_ + "/restored",
                                       {"--restore=" + file}, &log);
  ASSERT_NE(restored, nullptr) << log;
  auto channel = grpc::CreateChannel(restored->address(),
                                     grpc::InsecureChannelCredentials());
  auto assignments = v1::AssignmentService::NewStub(channel);
  auto admin = v1::RoutingAdmin::NewStub(channel);
  for (const std::string& id : before) {
    grpc::ClientContext context;
    v1::GetAssignmentRequest request;
    request.set_lead_id(id);
    v1::Assignment a;
    ASSERT_TRUE(assignments->GetAssignment(&context, request, &a).ok()) << id;
  }
  // Loads are those of the stored assignments, and the bulk team's round
  // robin is even (within one lead) as it is after every commit.
  grpc::ClientContext context;
  v1::ListRepsResponse reps;
  ASSERT_TRUE(admin->ListReps(&context, v1::ListRepsRequest(), &reps).ok());
  int lowest = 1 << 30, highest = 0;
  for (const v1::RepStatus& rep : reps.reps()) {
    const int open = OpenLeadsOf(*assignments, rep.rep_id());
    EXPECT_EQ(rep.open_assignments(), open) << rep.rep_id();
    if (rep.rep_id().starts_with("r")) {
      lowest = std::min(lowest, open);
      highest = std::max(highest, open);
    }
  }
  EXPECT_GT(lowest, 0);
  EXPECT_LE(highest - lowest, 1);
}

TEST_F(LeadctlTest, RestoreRefusesAFileThatIsNotABackup) {
  const std::string junk = dir_ + "/junk.db";
  WriteFile(junk, "not a database");
  std::string log;
  const std::string fresh = dir_ + "/fresh";
  EXPECT_EQ(DaemonProcess::RunToExit({"--config=" + config_path_,
                                      "--data_dir=" + fresh,
                                      "--restore=" + junk},
                                     &log),
            1);
  EXPECT_THAT(log, HasSubstr("restore_failed"));
  EXPECT_THAT(log, HasSubstr("not a leadrouter backup"));
  EXPECT_FALSE(std::filesystem::exists(fresh));
}

}  // namespace
}  // namespace leadrouter::testing
