// Feeds the what-if simulator (routing/simulation.h) for
// RoutingAdmin.SimulateConfig: checks the request, compiles the draft with
// the running rep overrides, reads the window's stored leads from the store
// a page at a time (so the store's reader is never held long) and hands
// them to the routing core in arrival order. Stores nothing.
//
//   ConfigSimulator simulator(running_config, store, clock);
//   absl::StatusOr<SimulateConfigResponse> report = simulator.Run(request);
#ifndef LEADROUTER_SERVER_API_CONFIG_SIMULATION_H_
#define LEADROUTER_SERVER_API_CONFIG_SIMULATION_H_

#include <atomic>
#include <functional>

#include "absl/status/statusor.h"
#include "leadrouter/v1/routing_admin.pb.h"
#include "routing/simulation.h"
#include "server/api/lead_intake.h"
#include "server/config/running_config.h"
#include "server/store/assignment_store.h"

namespace leadrouter::server {

// Bounds of one simulation.
inline constexpr int kMaxSimulatedLeads = 200000;
inline constexpr int kMaxSimulationLeadIds = 1000;
inline constexpr int kMaxChangedLeadsListed = 1000;
// Stored leads read per store call.
inline constexpr int kSimulationPage = 1000;
// Events before a time window read to find where each team's rotation and
// each rep's day stood when it began.
inline constexpr int kSimulationStartEvents = 10000;

// Thread-safe; one simulation runs at a time.
class ConfigSimulator {
 public:
  ConfigSimulator(RunningConfig& config, AssignmentStore& store, Clock clock)
      : config_(config), store_(store), clock_(std::move(clock)) {}

  // INVALID_ARGUMENT naming the field for a draft that does not validate
  // (every error) or a bad window; RESOURCE_EXHAUSTED while another
  // simulation runs; CANCELLED when `cancelled` (checked between pages of
  // leads; may be null) says the caller left; a store error as it comes.
  absl::StatusOr<leadrouter::v1::SimulateConfigResponse> Run(
      const leadrouter::v1::SimulateConfigRequest& request,
      const std::function<bool()>& cancelled = nullptr);

 private:
  // Where the store stood at `at_us` (Unix microseconds): each team's
  // rotation, each rep's day, and the seats held then (see
  // Simulation::StartFrom and Carry).
  absl::Status StartAt(int64_t at_us, routing::Simulation& simulation,
                       const std::function<bool()>& cancelled);

  RunningConfig& config_;
  AssignmentStore& store_;
  Clock clock_;
  std::atomic<bool> running_ = false;
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_API_CONFIG_SIMULATION_H_
