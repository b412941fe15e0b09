// What the HTTP port's tests share: a shell for the real clients (curl,
// python3, node, openssl) and JSON to and from the API's messages.
#ifndef LEADROUTER_TESTS_SERVER_HTTP_TEST_HELPERS_H_
#define LEADROUTER_TESTS_SERVER_HTTP_TEST_HELPERS_H_

#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/server/daemon_fixture.h"

namespace leadrouter::testing {

// Runs a shell command; its exit code, with stdout and stderr in `output`.
inline int Shell(const std::string& command, std::string* output) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    output->append(buffer, n);
  }
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The proto3 JSON of a lead that routes to team dach.
inline std::string LeadJson(const std::string& id, const std::string& country = "DE") {
  std::string json;
  EXPECT_TRUE(
      google::protobuf::util::MessageToJsonString(MakeLead(id, country), &json)
          .ok());
  return json;
}

template <typename Message>
Message FromJson(const std::string& json) {
  Message m;
  auto s = google::protobuf::util::JsonStringToMessage(json, &m);
  EXPECT_TRUE(s.ok()) << s.ToString() << " in " << json;
  return m;
}

}  // namespace leadrouter::testing

#endif  // LEADROUTER_TESTS_SERVER_HTTP_TEST_HELPERS_H_
