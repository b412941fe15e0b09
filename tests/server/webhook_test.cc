// Outbound webhooks from a real leadrouterd to a real receiver
// (client/examples/http/webhook_receiver.py, which checks signatures):
// every event arrives at least once and in cursor order, through a
// receiver that fails one call in five and is killed mid-run, and through
// a kill -9 of leadrouterd.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/daemon_fixture.h"
#include "tests/server/http_get.h"

extern char** environ;

namespace leadrouter::testing {
namespace {

using ::testing::HasSubstr;

// The receiver as a child process on a fixed port.
class Receiver {
 public:
  Receiver(const std::string& dir, int port) {
    const std::string script = std::string(LEADROUTER_SOURCE_DIR) +
                               "/client/examples/http/webhook_receiver.py";
    std::filesystem::remove(dir + "/port");
    std::vector<std::string> args = {
        "python3",          script,
        "--port",           absl::StrCat(port),
        "--port_file",      dir + "/port",
        "--secret_file",    dir + "/hook.secret",
        "--out",            dir + "/received.log",
        "--fail_every",     "5"};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawnp(&pid_, "python3", nullptr, nullptr, argv.data(), environ);
    // Up once it wrote its port (generous: a loaded machine).
    for (int i = 0; i < 600 && !std::filesystem::exists(dir + "/port"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::ifstream(dir + "/port") >> port_;
  }
  ~Receiver() { Kill(); }
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

struct Received {
  std::vector<int64_t> ids;  // in arrival order, repeats included
  int bad_signatures = 0;
};

Received ReadReceived(const std::string& path) {
  Received r;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line == "BADSIG") {
      ++r.bad_signatures;
      continue;
    }
    int64_t id = 0;
    if (absl::SimpleAtoi(line.substr(0, line.find(' ')), &id)) {
      r.ids.push_back(id);
    }
  }
  return r;
}

// Distinct ids received.
size_t Distinct(const Received& r) {
  return std::set<int64_t>(r.ids.begin(), r.ids.end()).size();
}

class WebhookTest : public DaemonTest {
 protected:
  void SetUp() override {
    PrepareDirs();
    WriteFile(dir_ + "/hook.secret",
              "3c8e1f5a7b9d2e4f6a8c0b1d3e5f7a9c1b3d5e7f\n");
  }

  void WriteConfig(int port, const std::string& extra = "") {
    WriteFile(config_path_,
              std::string(kServiceTestConfig) +
                  "webhooks:\n"
                  "  - id: crm\n"
                  "    url: http://127.0.0.1:" + absl::StrCat(port) +
                  "/hooks/leads\n"
                  "    events: [assigned, accepted]\n"
                  "    team_ids: [bulk]\n"
                  "    secret_file: " + dir_ + "/hook.secret\n" + extra);
  }

  // Waits (bounded, generous) until the receiver holds `want` distinct ids.
  Received WaitFor(size_t want) {
    Received r;
    for (int i = 0; i < 1800; ++i) {
      r = ReadReceived(dir_ + "/received.log");
      if (Distinct(r) >= want) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return r;
  }

  void RouteGb(const std::string& prefix, int n) {
    for (int i = 0; i < n; ++i) {
      v1::RouteLeadResponse r;
      ASSERT_TRUE(Route(MakeLead(absl::StrCat(prefix, i), "GB"), &r).ok());
      ASSERT_EQ(r.assignment().state(), v1::ASSIGNMENT_STATE_ASSIGNED);
    }
  }
};

TEST_F(WebhookTest, EveryEventArrivesInOrderThroughFailuresAndKills) {
  auto receiver = std::make_unique<Receiver>(dir_, 0);
  const int port = receiver->port();
  ASSERT_GT(port, 0);
  WriteConfig(port);
  StartDaemon();
  // Events of team dach are not the subscription's, nor are queued ones.
  RouteGb("a-", 12);
  ASSERT_EQ(RouteTo(MakeLead("dach-1", "DE")).substr(0, 6) == "queue:", false);
  v1::Lead mql = MakeLead("mql-1", "GB");
  mql.set_stage(v1::STAGE_MQL);
  RouteTo(mql);
  Received first = WaitFor(12);
  ASSERT_EQ(Distinct(first), 12u);

  // The receiver dies; leads keep coming; then leadrouterd dies too.
  receiver->Kill();
  RouteGb("b-", 10);
  v1::Assignment a0;
  ASSERT_TRUE(Get("a-0", &a0).ok());
  {
    grpc::ClientContext context;
    v1::AcceptAssignmentRequest accept;
    accept.set_lead_id("a-0");
    accept.set_etag(a0.etag());
    v1::Assignment accepted;
    ASSERT_TRUE(assignments_->AcceptAssignment(&context, accept, &accepted).ok());
  }
  daemon_->Kill();

  receiver = std::make_unique<Receiver>(dir_, port);
  ASSERT_EQ(receiver->port(), port);
  StartDaemon();
  RouteGb("c-", 8);
  // 12 + 10 + 8 assigned, 1 accepted.
  Received all = WaitFor(31);
  EXPECT_EQ(Distinct(all), 31u);
  EXPECT_EQ(all.bad_signatures, 0);
  // In cursor order: each id is new and larger than every one before it,
  // or a repeat of one already taken (at least once).
  std::set<int64_t> seen;
  int64_t highest = 0;
  for (int64_t id : all.ids) {
    if (!seen.contains(id)) {
      EXPECT_GT(id, highest) << "event " << id << " came after " << highest;
      highest = std::max(highest, id);
      seen.insert(id);
    }
  }
  // Failures were counted, and nothing was given up on.
  auto scraped = HttpGet(daemon_->metrics_address(), "/metrics");
  ASSERT_TRUE(scraped.ok()) << scraped.status();
  EXPECT_THAT(*scraped, HasSubstr(
      "leadrouter_webhook_failures_total{subscription=\"crm\"}"));
  EXPECT_THAT(*scraped, ::testing::Not(HasSubstr(
      "leadrouter_webhook_dead_letters_total{subscription=\"crm\"}")));
  EXPECT_EQ(daemon_->Terminate(), 0);
}

// A receiver that stays away: the events become dead letters after
// give_up_after, `leadctl webhooks` lists them, and a retry sends them
// once the receiver is back. A Slack subscription gets short texts.
TEST_F(WebhookTest, GivenUpEventsAreDeadLettersThatAnAdminCanRetry) {
  int port = 0;
  {
    Receiver probe(dir_, 0);  // a free port, then nobody listening on it
    port = probe.port();
  }
  ASSERT_GT(port, 0);
  WriteConfig(port, "    give_up_after: 1s\n"
                    "  - id: sales-channel\n"
                    "    url: http://127.0.0.1:" + absl::StrCat(port) +
                    "/slack\n"
                    "    format: slack\n"
                    "    events: [assigned]\n"
                    "    give_up_after: 1s\n"
                    "    secret_file: " + dir_ + "/hook.secret\n");
  StartDaemon();
  RouteGb("d-", 2);
  v1::ListDeadLettersResponse letters;
  for (int i = 0; i < 1200 && letters.dead_letters_size() < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    grpc::ClientContext context;
    ASSERT_TRUE(admin_
                    ->ListDeadLetters(&context, v1::ListDeadLettersRequest(),
                                      &letters)
                    .ok());
  }
  ASSERT_EQ(letters.dead_letters_size(), 4);  // 2 events x 2 subscriptions
  EXPECT_EQ(letters.dead_letters(0).subscription(), "crm");
  EXPECT_EQ(letters.dead_letters(0).event().lead_id(), "d-0");
  EXPECT_GE(letters.dead_letters(0).attempts(), 2);
  EXPECT_EQ(letters.dead_letters(0).error(), "Connection");

  std::string out;
  FILE* leadctl = ::popen(absl::StrCat(LEADCTL_PATH, " --server=",
                                       daemon_->address(), " webhooks 2>&1")
                              .c_str(),
                          "r");
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, leadctl)) > 0) {
    out.append(buffer, n);
  }
  EXPECT_EQ(::pclose(leadctl), 0) << out;
  EXPECT_THAT(out, HasSubstr("crm  cursor 1  assigned  lead d-0  gave up"));
  EXPECT_THAT(out, HasSubstr("Connection"));

  // Back up; an admin asks for both subscriptions' letters again.
  Receiver receiver(dir_, port);
  ASSERT_EQ(receiver.port(), port);
  for (const char* subscription : {"crm", "sales-channel"}) {
    grpc::ClientContext context;
    v1::RetryDeadLettersRequest retry;
    retry.set_subscription(subscription);
    v1::RetryDeadLettersResponse marked;
    ASSERT_TRUE(admin_->RetryDeadLetters(&context, retry, &marked).ok());
    EXPECT_EQ(marked.marked(), 2);
  }
  Received got = WaitFor(2);
  EXPECT_EQ(Distinct(got), 2u);
  std::string log;
  std::getline(std::ifstream(dir_ + "/received.log"), log, '\0');
  EXPECT_THAT(log, HasSubstr("slack Lead d-0 assigned: rep r"));
  EXPECT_THAT(log, HasSubstr(", team bulk (rule bulk)"));
  EXPECT_THAT(log, ::testing::Not(HasSubstr("buyer@")));  // no e-mail
  for (int i = 0; i < 1200; ++i) {
    grpc::ClientContext context;
    ASSERT_TRUE(admin_
                    ->ListDeadLetters(&context, v1::ListDeadLettersRequest(),
                                      &letters)
                    .ok());
    if (letters.dead_letters_size() == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(letters.dead_letters_size(), 0);

  // A subscription the config lacks, and a cursor that is no number.
  grpc::ClientContext c1;
  v1::RetryDeadLettersRequest unknown;
  unknown.set_subscription("nobody");
  v1::RetryDeadLettersResponse ignored;
  EXPECT_EQ(admin_->RetryDeadLetters(&c1, unknown, &ignored).error_code(),
            grpc::StatusCode::NOT_FOUND);
  grpc::ClientContext c2;
  v1::RetryDeadLettersRequest bad;
  bad.set_subscription("crm");
  bad.set_cursor("first");
  auto status = admin_->RetryDeadLetters(&c2, bad, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("cursor"));

  auto scraped = HttpGet(daemon_->metrics_address(), "/metrics");
  ASSERT_TRUE(scraped.ok());
  EXPECT_THAT(*scraped, HasSubstr("leadrouter_webhook_dead_letters_total{"
                                  "subscription=\"crm\"} 2"));
  EXPECT_EQ(daemon_->Terminate(), 0);
}

}  // namespace
}  // namespace leadrouter::testing
