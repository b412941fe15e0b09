// leadrouterd's stderr: one JSON object per line with time, level and
// event, and no personal data, after traffic that carries plenty of it.
#include <string>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/server/daemon_fixture.h"

namespace leadrouter::testing {
namespace {

TEST_F(DaemonTest, LogsAreJsonLinesWithoutPersonalData) {
  for (int i = 0; i < 6; ++i) {  // the last ones wait in team/dach
    v1::Lead lead = MakeLead("log-" + std::to_string(i), "DE");
    lead.set_email("hidden.person@private-domain.example");
    lead.set_full_name("Hidden Person");
    RouteTo(lead);
  }
  {
    grpc::ClientContext context;
    v1::RejectAssignmentRequest reject;
    reject.set_lead_id("log-0");
    reject.set_note("Hidden Person asked for a call");
    v1::Assignment after;
    ASSERT_TRUE(assignments_->RejectAssignment(&context, reject, &after).ok());
  }
  {
    grpc::ClientContext context;
    v1::EraseLeadRequest erase;
    erase.set_lead_id("log-1");
    v1::Assignment after;
    ASSERT_TRUE(assignments_->EraseLead(&context, erase, &after).ok());
  }
  v1::Lead bad = MakeLead("log-bad", "DE");
  bad.set_email("not an address but Hidden Person");
  v1::RouteLeadResponse response;
  EXPECT_FALSE(Route(bad, &response).ok());
  StopDaemon();

  const std::string log = daemon_->Log();
  int lines = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    ++lines;
    google::protobuf::Struct object;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                    std::string(line), &object)
                    .ok())
        << line;
    for (const char* key : {"time", "level", "event"}) {
      EXPECT_TRUE(object.fields().contains(key)) << key << " in " << line;
    }
  }
  EXPECT_GE(lines, 4);  // config, serving, lead moved, draining, stopped
  EXPECT_THAT(log, ::testing::HasSubstr("\"lead_id\":\"log-"));
  for (const char* personal : {"hidden.person", "private-domain", "Hidden"}) {
    EXPECT_THAT(log, ::testing::Not(::testing::HasSubstr(personal)))
        << personal;
  }
}

}  // namespace
}  // namespace leadrouter::testing
