// The table is taken once per decision, when the store runs the decider
// (under its lock): a config swap never changes a decision half-way, and a
// config another replica published before the decision runs is the one
// used (the shared store adopts it first).
#include "server/api/lead_intake.h"

#include <chrono>

#include "routing/assignment_lifecycle.h"
#include "routing/decision.h"
#include "routing/lead_validation.h"

namespace leadrouter::server {

void LeadIntake::Route(const leadrouter::v1::Lead& lead, RouteCallback done) {
  // The source's metric label, by the config running now (a config swap
  // before the decision may name one more or one fewer source).
  const std::string source =
      metrics_ != nullptr ? table_.Get()->SourceLabel(lead.source()) : "";
  if (absl::Status valid = routing::ValidateLead(lead); !valid.ok()) {
    if (metrics_ != nullptr) {
      metrics_->LeadRouted("", "", source, Metrics::Outcome::kRejectedInput);
    }
    done(valid);
    return;
  }
  if (admission_ != nullptr) {
    if (absl::Status s = admission_->Enter(); !s.ok()) {
      if (metrics_ != nullptr) {
        metrics_->LeadRouted("", "", source, Metrics::Outcome::kShed);
      }
      done(s);
      return;
    }
    done = admission_->Releasing(std::move(done));
  }
  const absl::Time now = clock_();
  if (metrics_ != nullptr) {
    done = [metrics = metrics_, source, done = std::move(done)](
               absl::StatusOr<RouteOutcome> outcome) {
      if (outcome.ok()) {
        const leadrouter::v1::Assignment& a = outcome->assignment;
        metrics->LeadRouted(
            a.rule_id(), a.team_id(), source,
            outcome->replayed ? Metrics::Outcome::kReplayed
            : a.state() == leadrouter::v1::ASSIGNMENT_STATE_QUEUED
                ? Metrics::Outcome::kQueued
                : Metrics::Outcome::kAssigned);
      }
      done(std::move(outcome));
    };
  }
  // The decider may run on a store thread after Route returns (a shared
  // store decides inside its transaction): it is given the store's copy of
  // the lead, and owns the rest of what it uses.
  store_.Route(
      lead,
      [&current = table_, now, metrics = metrics_](
          const leadrouter::v1::Lead& lead,
          const routing::RoutingState& state) {
        const auto start = std::chrono::steady_clock::now();
        const std::shared_ptr<const routing::RoutingTable> table =
            current.Get();
        routing::Decision decision = routing::Decide(*table, lead, state, now);
        if (metrics != nullptr) {
          metrics->DecisionTook(
              absl::FromChrono(std::chrono::steady_clock::now() - start));
        }
        return routing::Routed(std::move(decision));
      },
      std::move(done));
}

absl::StatusOr<leadrouter::v1::Assignment> LeadIntake::Explain(
    const leadrouter::v1::Lead& lead) {
  if (absl::Status valid = routing::ValidateLead(lead); !valid.ok()) {
    return valid;
  }
  std::shared_ptr<const routing::RoutingTable> table = table_.Get();
  return routing::Decide(*table, lead, store_.Snapshot(), clock_())
      .assignment;
}

absl::StatusOr<int> LeadIntake::DrainQueues() {
  return store_.DrainWaitingQueues(Rerouter(table_, clock_()));
}

QueuedDecider Rerouter(const CurrentTable& current, absl::Time now) {
  return [&current, now](const leadrouter::v1::Lead& lead,
                         const leadrouter::v1::Assignment& stored,
                         const routing::RoutingState& state) {
    return routing::Rerouted(*current.Get(), lead, stored, state, now);
  };
}

}  // namespace leadrouter::server
