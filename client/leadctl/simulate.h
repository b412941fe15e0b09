// leadctl config simulate: what a draft config would have done to the leads
// of a window (RoutingAdmin.SimulateConfig), printed as tables: leads per
// rule, team and rep now and under the draft, queued leads, each team's
// fairness, and the leads the draft would move with both reasons.
//
//   leadctl config simulate draft.yaml --since 30d
//   leadctl config simulate draft.yaml --lead_ids L1,L2 --output json
#ifndef LEADROUTER_CLIENT_LEADCTL_SIMULATE_H_
#define LEADROUTER_CLIENT_LEADCTL_SIMULATE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "google/protobuf/timestamp.pb.h"

namespace leadrouter::leadctl {

// Runs it for the draft file at `path` with the window of --since, --until,
// --lead_ids, --limit and --max_changed; the exit code.
int SimulateConfig(Client& client, const std::string& path);

// A --since or --until value: an RFC 3339 time, or an age before `now`
// such as 30d, 12h or 90m.
absl::StatusOr<google::protobuf::Timestamp> ParseWindowTime(
    const std::string& flag, const std::string& text, absl::Time now);

// The report as text.
std::string RenderSimulation(const v1::SimulateConfigResponse& report);

}  // namespace leadrouter::leadctl

#endif  // LEADROUTER_CLIENT_LEADCTL_SIMULATE_H_
