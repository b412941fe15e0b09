// /metrics of a real leadrouterd after known traffic: the figures move as
// they should, carry no personal data, and a real Prometheus server (Debian's
// `prometheus`) scrapes them and answers queries on them.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <map>
#include <regex>
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

// Every sample of a text exposition: "name{labels}" -> value.
std::map<std::string, double> Samples(const std::string& text) {
  std::map<std::string, double> samples;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    double value = 0;
    if (space == absl::string_view::npos ||
        !absl::SimpleAtod(line.substr(space + 1), &value)) {
      continue;
    }
    samples[std::string(line.substr(0, space))] = value;
  }
  return samples;
}

class MetricsTest : public DaemonTest {
 protected:
  std::map<std::string, double> Scrape() {
    absl::StatusOr<std::string> text =
        HttpGet(daemon_->metrics_address(), "/metrics");
    EXPECT_TRUE(text.ok()) << text.status();
    last_scrape_ = text.ok() ? *text : "";
    return Samples(last_scrape_);
  }

  // Five DACH leads for a team of four seats (three from a webinar, one
  // from a source the config does not name, one without), a retry and a
  // bad lead.
  void KnownTraffic() {
    for (int i = 0; i < 5; ++i) {
      v1::Lead lead = MakeLead(absl::StrCat("m-", i), "DE");
      if (i < 3) lead.set_source("Webinar");
      if (i == 3) lead.set_source("podcast");
      RouteTo(lead);
    }
    v1::Lead again = MakeLead("m-0", "DE");
    again.set_source("webinar");
    RouteTo(again);  // replayed
    v1::RouteLeadResponse response;
    EXPECT_FALSE(Route(MakeLead("m-bad", "XX"), &response).ok());
  }

  std::string last_scrape_;
};

TEST_F(MetricsTest, ScrapedFiguresFollowKnownTraffic) {
  KnownTraffic();
  const auto m = Scrape();
  auto at = [&](const std::string& key) {
    auto it = m.find(key);
    EXPECT_NE(it, m.end()) << key << " not in\n" << last_scrape_;
    return it == m.end() ? -1 : it->second;
  };
  EXPECT_EQ(at(R"(leadrouter_leads_total{outcome="assigned",rule="dach",source="webinar",team="dach"})"), 3);
  EXPECT_EQ(at(R"(leadrouter_leads_total{outcome="assigned",rule="dach",source="other",team="dach"})"), 1);
  EXPECT_EQ(at(R"(leadrouter_leads_total{outcome="queued",rule="dach",source="none",team="dach"})"), 1);
  EXPECT_EQ(at(R"(leadrouter_leads_total{outcome="replayed",rule="dach",source="webinar",team="dach"})"), 1);
  EXPECT_EQ(at(R"(leadrouter_leads_total{outcome="rejected_input",rule="",source="none",team=""})"), 1);
  // The lead's own spelling of a source never becomes a label value.
  EXPECT_THAT(last_scrape_, ::testing::Not(::testing::HasSubstr("podcast")));
  EXPECT_THAT(last_scrape_, ::testing::Not(::testing::HasSubstr("Webinar")));
  const std::string route_lead =
      R"(grpc_method="RouteLead",grpc_service="leadrouter.v1.LeadRouter",grpc_type="unary")";
  EXPECT_EQ(at(absl::StrCat("grpc_server_started_total{", route_lead, "}")), 7);
  EXPECT_EQ(at(absl::StrCat(R"(grpc_server_handled_total{grpc_code="OK",)",
                            route_lead, "}")),
            6);
  EXPECT_EQ(at(absl::StrCat(
                R"(grpc_server_handled_total{grpc_code="InvalidArgument",)",
                route_lead, "}")),
            1);
  EXPECT_EQ(at(absl::StrCat("grpc_server_handling_seconds_count{", route_lead,
                            "}")),
            7);
  EXPECT_EQ(at("leadrouter_decision_seconds_count"), 5);  // no replay, no bad
  EXPECT_GE(at("leadrouter_store_commit_batch_size_count"), 1);
  EXPECT_EQ(at("leadrouter_store_commit_batch_size_sum"), 5);
  EXPECT_EQ(at(R"(leadrouter_open_assignments{team="dach"})"), 4);
  EXPECT_EQ(at(R"(leadrouter_team_capacity{team="dach"})"), 4);
  EXPECT_EQ(at(R"(leadrouter_queue_depth{queue="team/dach"})"), 1);
  EXPECT_EQ(at(R"(leadrouter_queue_depth{queue="team/bulk"})"), 0);
  EXPECT_GT(at("leadrouter_config_last_reload_timestamp_seconds"), 1.7e9);
  EXPECT_THAT(last_scrape_,
              ::testing::ContainsRegex(
                  R"(leadrouter_config_info\{version="cfg-[0-9a-f]{16}"\} 1)"));
  // No personal data: no rep ids (names), no e-mail addresses, no lead ids.
  for (const char* personal : {"anna", "ben", "@", "m-0"}) {
    EXPECT_THAT(last_scrape_, ::testing::Not(::testing::HasSubstr(personal)))
        << personal;
  }
}

// Debian's prometheus, started on loopback with a scrape config for this
// leadrouterd; stopped when the test ends.
class PrometheusServer {
 public:
  PrometheusServer(const std::string& dir, const std::string& target)
      : address_(absl::StrCat("127.0.0.1:", FreePort())) {
    const std::string config = dir + "/prometheus.yml";
    WriteFile(config, absl::StrCat("global:\n  scrape_interval: 1s\n"
                                   "scrape_configs:\n"
                                   "  - job_name: leadrouterd\n"
                                   "    static_configs:\n"
                                   "      - targets: [\"", target, "\"]\n"));
    std::vector<std::string> args = {
        "/usr/bin/prometheus", "--config.file=" + config,
        "--storage.tsdb.path=" + dir + "/tsdb",
        "--web.listen-address=" + address_, "--log.level=warn"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) !=
        0) {
      pid_ = -1;
    }
  }
  ~PrometheusServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool started() const { return pid_ > 0; }

  // The value of an instant query's first result, once Prometheus has it
  // (polls up to 60 s; -1 if it never came).
  double AwaitValue(const std::string& query, double want) {
    const std::regex value(R"re("value":\[[0-9.]+,"([^"]+)"\])re");
    double got = -1;
    for (int i = 0; i < 120; ++i) {
      absl::StatusOr<std::string> body =
          HttpGet(address_, "/api/v1/query?query=" + UrlEncode(query));
      std::smatch match;
      if (body.ok() && std::regex_search(*body, match, value) &&
          absl::SimpleAtod(match[1].str(), &got) && got == want) {
        return got;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return got;
  }

 private:
  static std::string UrlEncode(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
      if (std::isalnum(c) || c == '_' || c == '.' || c == '-') {
        out += static_cast<char>(c);
      } else {
        out += absl::StrCat("%", absl::Hex(c, absl::kZeroPad2));
      }
    }
    return out;
  }

  std::string address_;
  pid_t pid_ = -1;
};

TEST_F(MetricsTest, ARealPrometheusScrapesTheService) {
  ASSERT_EQ(access("/usr/bin/prometheus", X_OK), 0)
      << "Debian's prometheus is needed: deploy/install-deps.sh installs it";
  PrometheusServer prometheus(dir_, daemon_->metrics_address());
  ASSERT_TRUE(prometheus.started());
  KnownTraffic();
  EXPECT_EQ(prometheus.AwaitValue(
                R"(sum(leadrouter_leads_total{outcome="assigned"}))", 4),
            4);
  EXPECT_EQ(prometheus.AwaitValue(
                R"(sum(grpc_server_handled_total{grpc_method="RouteLead",grpc_code="OK"}))",
                6),
            6);
  EXPECT_EQ(prometheus.AwaitValue(
                R"(leadrouter_queue_depth{queue="team/dach",job="leadrouterd"})",
                1),
            1);
}

}  // namespace
}  // namespace leadrouter::testing
