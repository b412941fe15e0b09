// Helpers for tests that drive the transport-free services (LeadIntake,
// AssignmentWorkflow) and a real store in-process, with the test's clock.
//
//   auto table = TableFromText(kConfigPb);        // fails the test if bad
//   absl::StatusOr<Assignment> a = AwaitAssignment(
//       [&](RouteCallback cb) { intake.Route(lead, cb); });
#ifndef LEADROUTER_TESTS_SERVER_IN_PROCESS_H_
#define LEADROUTER_TESTS_SERVER_IN_PROCESS_H_

#include <future>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "leadrouter/v1/assignment.pb.h"
#include "routing/routing_table.h"
#include "server/store/assignment_store.h"

namespace leadrouter::server {

// Runs one call that answers through a RouteCallback and waits for its
// durable answer: the assignment, or the error.
template <typename Call>
absl::StatusOr<leadrouter::v1::Assignment> AwaitAssignment(Call call) {
  std::promise<absl::StatusOr<RouteOutcome>> done;
  call([&](absl::StatusOr<RouteOutcome> outcome) {
    done.set_value(std::move(outcome));
  });
  absl::StatusOr<RouteOutcome> outcome = done.get_future().get();
  if (!outcome.ok()) return outcome.status();
  return std::move(outcome->assignment);
}

// The routing table of a text-format RoutingConfig; null (and the test
// fails) when it does not parse or validate.
inline std::shared_ptr<const routing::RoutingTable> TableFromText(
    const std::string& config_text) {
  leadrouter::v1::RoutingConfig config;
  if (!google::protobuf::TextFormat::ParseFromString(config_text, &config)) {
    ADD_FAILURE() << "the config does not parse";
    return nullptr;
  }
  auto table = routing::RoutingTable::Create(config);
  if (!table.ok()) {
    ADD_FAILURE() << table.status();
    return nullptr;
  }
  return *std::move(table);
}

}  // namespace leadrouter::server

#endif  // LEADROUTER_TESTS_SERVER_IN_PROCESS_H_
