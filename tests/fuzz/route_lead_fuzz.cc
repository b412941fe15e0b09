// A RouteLead request from raw bytes: parsed as the wire message, checked
// by ValidateLead, and, when valid, decided on the example config twice
// (the second time on the state the first decision left), as a stream of
// leads would be. Anything but a clean refusal or a decision is a bug.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/time/time.h"
#include "leadrouter/v1/lead_router.pb.h"
#include "routing/decision.h"
#include "routing/lead_validation.h"
#include "routing/routing_state.h"
#include "server/config/config_file.h"

namespace {

const leadrouter::routing::RoutingTable& ExampleTable() {
  static const auto* table = [] {
    auto t = leadrouter::server::LoadRoutingTable(LEADROUTER_EXAMPLE_CONFIG);
    if (!t.ok()) __builtin_trap();  // the example must load
    return new std::shared_ptr<const leadrouter::routing::RoutingTable>(*t);
  }();
  return **table;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  leadrouter::v1::RouteLeadRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  if (!leadrouter::routing::ValidateLead(request.lead()).ok()) return 0;
  leadrouter::routing::RoutingState state;
  // A fixed Tuesday noon in Berlin: inside most working hours.
  const absl::Time now = absl::FromUnixSeconds(1795089600);
  for (int i = 0; i < 2; ++i) {
    leadrouter::routing::Decision d =
        leadrouter::routing::Decide(ExampleTable(), request.lead(), state, now);
    leadrouter::routing::ApplyChanges(d.changes, &state);
  }
  return 0;
}
