// The what-if simulator: what a draft config would have done to leads that
// were already routed. It replays them through the draft in the order they
// arrived, each at its arrival time, on its own routing state (open loads,
// rotations, daily caps and same-company ownership evolve as the draft
// makes them; a lead the store shows closed frees its simulated rep at the
// time it closed), and compares every placement with the stored one.
// Pure: the caller feeds the stored leads; nothing is stored.
//
//   Simulation sim(*draft_table, /*max_changed_leads=*/100);
//   for (const PastLead& lead : stored_leads_in_arrival_order) sim.Replay(lead);
//   leadrouter::v1::SimulateConfigResponse report = sim.Report();
#ifndef LEADROUTER_ROUTING_SIMULATION_H_
#define LEADROUTER_ROUTING_SIMULATION_H_

#include <cstdint>
#include <queue>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "leadrouter/v1/assignment.pb.h"
#include "leadrouter/v1/lead.pb.h"
#include "leadrouter/v1/routing_admin.pb.h"
#include "routing/routing_state.h"
#include "routing/routing_table.h"

namespace leadrouter::routing {

// A stored lead as the simulator replays it.
struct PastLead {
  leadrouter::v1::Lead lead;
  leadrouter::v1::Assignment stored;  // its record, history not filled
  // Its first event (where it went when it arrived); type UNSPECIFIED when
  // retention deleted it.
  leadrouter::v1::AssignmentEvent first_event;
};

// Where a stored lead went when it arrived: its first event's state, rep,
// queue and team with the record's rule; the record itself when the event
// is gone.
leadrouter::v1::Placement StoredPlacement(const PastLead& past);

// Where a decision sends a lead.
leadrouter::v1::Placement PlacementOf(const leadrouter::v1::Assignment& a);

// Not thread-safe. `draft` must outlive it.
class Simulation {
 public:
  // Lists at most `max_changed_leads` changed leads (all are counted).
  Simulation(const RoutingTable& draft, int max_changed_leads);

  // Where the store stood when the replay starts at `start`, from the
  // newest events before it (newest first): each team's rotation goes on
  // after the rep its last ASSIGNED or REASSIGNED event names, and each
  // rep's count of leads received on `start`'s local day goes on from the
  // events of that day. Call before the first Replay.
  void StartFrom(const std::vector<leadrouter::v1::AssignmentEvent>& newest_first,
                 absl::Time start);

  // A lead that arrived before the replay starts and that its rep held
  // then: it takes the rep's seat (and its company's ownership in its
  // team) until the store shows it closed. Call before the first Replay.
  void Carry(const PastLead& held);

  // Replays one stored lead; call in arrival order. Erased leads are
  // counted and skipped (their data is gone).
  void Replay(const PastLead& past);

  // Counts, fairness and changed leads so far (versions and the window's
  // truncation are the caller's to fill).
  leadrouter::v1::SimulateConfigResponse Report() const;

 private:
  struct Counts {
    int64_t stored = 0;
    int64_t simulated = 0;
  };
  // A simulated rep holding a lead that the store shows closed at `at`.
  struct Release {
    absl::Time at;
    int64_t order;  // arrival order, for ties
    leadrouter::v1::Assignment held;
    bool operator>(const Release& o) const {
      return at != o.at ? at > o.at : order > o.order;
    }
  };

  // Frees the simulated reps of leads closed by `now`.
  void ReleaseUntil(absl::Time now);
  // Frees `rep`'s seat of the lead at the time the store shows it closed.
  void ReleaseWhenClosed(const leadrouter::v1::Assignment& stored,
                         const std::string& rep, const std::string& team,
                         const std::string& domain, const std::string& etag,
                         absl::Time not_before);
  void Count(const leadrouter::v1::Placement& stored,
             const leadrouter::v1::Placement& simulated);

  const RoutingTable& draft_;
  const int max_changed_leads_;
  RoutingState state_;
  std::priority_queue<Release, std::vector<Release>, std::greater<>> releases_;
  int64_t replayed_ = 0;
  int64_t carried_ = 0;
  int64_t skipped_erased_ = 0;
  absl::Time first_arrival_ = absl::InfinitePast();
  absl::Time last_arrival_ = absl::InfinitePast();
  absl::flat_hash_map<std::string, Counts> rules_, teams_, reps_;
  // Leads per (team, rep), for fairness.
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, Counts>>
      members_;
  Counts queued_;
  int64_t changed_ = 0;
  std::vector<leadrouter::v1::ChangedLead> changed_leads_;
};

}  // namespace leadrouter::routing

#endif  // LEADROUTER_ROUTING_SIMULATION_H_
