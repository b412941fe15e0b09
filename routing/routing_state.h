// The mutable facts routing decisions depend on: each rep's open assignments
// and each team's rotation position. The store owns the authoritative copy
// and hands a consistent view to Decide() (see server/store/).
//
//   RoutingState state;
//   state.SetOpenAssignments("anna", 3);
//   Decision d = Decide(table, lead, state, now);
//   ApplyDecision(d, &state);
#ifndef LEADROUTER_ROUTING_ROUTING_STATE_H_
#define LEADROUTER_ROUTING_ROUTING_STATE_H_

#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "routing/absl_string_view.h"

namespace leadrouter::routing {

// A plain value; not thread-safe (the owner serializes access).
class RoutingState {
 public:
  int OpenAssignments(std::string_view rep_id) const {
    auto it = open_.find(ToAbsl(rep_id));
    return it == open_.end() ? 0 : it->second;
  }
  void SetOpenAssignments(std::string_view rep_id, int count) {
    open_[ToAbsl(rep_id)] = count;
  }

  // The rep the team's rotation gave the last lead to; empty if none yet.
  // Rotation continues after this rep, so adding or removing other members
  // does not restart it.
  std::string_view LastAssigned(std::string_view team_id) const {
    auto it = last_.find(ToAbsl(team_id));
    return it == last_.end() ? std::string_view() : it->second;
  }
  void SetLastAssigned(std::string_view team_id, std::string_view rep_id) {
    last_[ToAbsl(team_id)] =
        std::string(rep_id);
  }

  const absl::flat_hash_map<std::string, int>& open_assignments() const {
    return open_;
  }
  const absl::flat_hash_map<std::string, std::string>& last_assigned() const {
    return last_;
  }

 private:
  absl::flat_hash_map<std::string, int> open_;
  absl::flat_hash_map<std::string, std::string> last_;
};

}  // namespace leadrouter::routing

#endif  // LEADROUTER_ROUTING_ROUTING_STATE_H_
