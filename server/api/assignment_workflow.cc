#include "server/api/assignment_workflow.h"

#include <memory>
#include <optional>

#include "routing/assignment_lifecycle.h"
#include "routing/lead_validation.h"

namespace leadrouter::server {
namespace {

using leadrouter::v1::Assignment;
using leadrouter::v1::Lead;
using routing::LeadChange;
using routing::RoutingState;

// A lifecycle step that always changes something (or fails).
absl::StatusOr<std::optional<LeadChange>> Changed(
    absl::StatusOr<LeadChange> change) {
  if (!change.ok()) return change.status();
  return std::optional<LeadChange>(*std::move(change));
}

}  // namespace

bool IsPrintableId(const std::string& id) {
  for (char c : id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

absl::Status CheckLeadId(const std::string& lead_id) {
  if (lead_id.empty()) return absl::InvalidArgumentError("lead_id: is required");
  if (lead_id.size() > routing::kMaxLeadIdBytes) {
    return absl::InvalidArgumentError("lead_id: is longer than 128 bytes");
  }
  // As RouteLead requires of lead ids: no other id can be stored.
  if (!IsPrintableId(lead_id)) {
    return absl::InvalidArgumentError(
        "lead_id: must be printable ASCII without spaces");
  }
  return absl::OkStatus();
}

template <typename Step>
void AssignmentWorkflow::Run(const std::string& lead_id, RouteCallback done,
                             Step step, RepCheck may_act) {
  if (auto s = CheckLeadId(lead_id); !s.ok()) return done(s);
  if (admission_ != nullptr) {
    if (absl::Status s = admission_->Enter(); !s.ok()) return done(s);
    done = admission_->Releasing(std::move(done));
  }
  // One moment for the whole change, drains included; the table is the one
  // running when the store runs the change (see lead_intake.cc). The
  // change may run on a store thread after this returns (a shared store
  // decides inside its transaction): it owns everything it uses.
  const absl::Time now = clock_();
  store_.Change(
      lead_id,
      [&current = table_, now, step = std::move(step), may_act](
          const Lead& lead, const Assignment& stored,
          const RoutingState& state) -> Result {
        if (may_act) {
          if (absl::Status s = may_act(stored.rep_id()); !s.ok()) return s;
        }
        return step(*current.Get(), lead, stored, state, now);
      },
      Rerouter(table_, now), std::move(done));
}

void AssignmentWorkflow::Accept(const std::string& lead_id,
                                const std::string& etag, RouteCallback done,
                                RepCheck may_act) {
  Run(lead_id, std::move(done),
      [etag](const routing::RoutingTable&, const Lead&,
             const Assignment& stored, const RoutingState&, absl::Time now) {
        return Changed(routing::Accept(stored, etag, now));
      },
      may_act);
}

void AssignmentWorkflow::Reject(const std::string& lead_id,
                                const std::string& etag,
                                const std::string& note, RouteCallback done,
                                RepCheck may_act) {
  Run(lead_id, std::move(done),
      [etag, note](const routing::RoutingTable& table, const Lead& lead,
                   const Assignment& stored, const RoutingState& state,
                   absl::Time now) {
        return Changed(
            routing::Reject(table, lead, stored, state, etag, note, now));
      },
      may_act);
}

void AssignmentWorkflow::Close(const std::string& lead_id,
                               const std::string& etag,
                               leadrouter::v1::CloseOutcome outcome,
                               const std::string& note, RouteCallback done,
                               RepCheck may_act) {
  Run(lead_id, std::move(done),
      [etag, outcome, note](const routing::RoutingTable& table, const Lead&,
                            const Assignment& stored,
                            const RoutingState& state, absl::Time now) {
        return Changed(
            routing::Close(table, stored, state, etag, outcome, note, now));
      },
      may_act);
}

void AssignmentWorkflow::Erase(const std::string& lead_id, RouteCallback done) {
  Run(lead_id, std::move(done),
      [](const routing::RoutingTable& table, const Lead& lead,
         const Assignment& stored, const RoutingState& state,
         absl::Time now) -> Result {
        return routing::Erase(table, lead, stored, state, now);
      });
}

absl::StatusOr<int> AssignmentWorkflow::ExpireResponseTimes() {
  const absl::Time now = clock_();
  return store_.ExpireDue(
      now,
      [&](const Lead& lead, const Assignment& stored,
          const RoutingState& state) -> Result {
        std::optional<LeadChange> change = routing::ExpireResponseTime(
            *table_.Get(), lead, stored, state, now);
        if (metrics_ != nullptr && change.has_value() &&
            !change->events.empty()) {
          metrics_->ResponseTimeLapsed(
              stored.team_id(),
              change->events.back().type() ==
                  leadrouter::v1::ASSIGNMENT_EVENT_TYPE_ESCALATED);
        }
        return change;
      },
      Rerouter(table_, now));
}

}  // namespace leadrouter::server
