// The leadctl binary as scripts use it: output, --output json, exit codes,
// and an import of 10,000 leads killed half-way and resumed, with no lead
// routed twice.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <fstream>
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
  EXPECT_THAT(Leadctl(server, "route --id=S-1 --country=DE").out,
              HasSubstr("-> rep ben"));
  EXPECT_EQ(Leadctl(server, "set-rep zed --active=false").exit_code, 4);
  EXPECT_EQ(Leadctl(server, "set-rep anna --capacity=lots").exit_code, 3);

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

}  // namespace
}  // namespace leadrouter::testing
