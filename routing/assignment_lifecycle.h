// The life of a stored assignment after its first decision: accept, reject
// (routed again, never back to the rep), close, a lapsed response time
// (re-routed, then escalated), erasure of the lead's personal data, and a
// waiting lead routed again. Each step is a pure function of the stored
// record, the routing state and the time; it returns a LeadChange that the
// store writes in one transaction: the new assignment, the state it frees or
// reserves, and the events for the history and the change stream.
//
//   absl::StatusOr<LeadChange> c = Accept(current, request.etag(), now);
//   if (!c.ok()) return c.status();  // FAILED_PRECONDITION, ABORTED, ...
//   // store c->assignment, c->changes, c->events atomically
#ifndef LEADROUTER_ROUTING_ASSIGNMENT_LIFECYCLE_H_
#define LEADROUTER_ROUTING_ASSIGNMENT_LIFECYCLE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "leadrouter/v1/assignment.pb.h"
#include "leadrouter/v1/lead.pb.h"
#include "routing/decision.h"
#include "routing/routing_state.h"
#include "routing/routing_table.h"

namespace leadrouter::routing {

// Longest note a rep may attach to a rejection or a close.
inline constexpr size_t kMaxNoteBytes = 1000;

struct LeadChange {
  // The assignment after the change (history not filled).
  leadrouter::v1::Assignment assignment;
  // Routing state to write with it: capacity freed or reserved.
  StateChanges changes;
  // What happened, in order (cursors are filled by the store).
  std::vector<leadrouter::v1::AssignmentEvent> events;
  // The lead to store instead of the stored one (erasure).
  std::optional<leadrouter::v1::Lead> lead;
  // Erasure: scrub the lead's stored events too, with ScrubEvent and this
  // company domain.
  bool scrub_history = false;
  std::string scrubbed_domain;
  // Waiting queues that may move now because a rep was freed: the rep's
  // queue and their teams' queues.
  std::vector<std::string> freed_queues;
};

// A new decision (from Decide) as a change: etag "1" and an ASSIGNED or
// QUEUED event.
LeadChange Routed(Decision decision);

// A lead waiting in a team or rep queue, decided again on the current
// state; `stored` is its record. Keeps what the record carries over (queued
// since, declined reps, re-routes, escalation). The event is ASSIGNED when a
// rep got it, QUEUED when it moved to another queue.
LeadChange Rerouted(const RoutingTable& table, const leadrouter::v1::Lead& lead,
                    const leadrouter::v1::Assignment& stored,
                    const RoutingState& state, absl::Time now);

// ASSIGNED -> ACCEPTED; stops the response clock.
absl::StatusOr<LeadChange> Accept(const leadrouter::v1::Assignment& current,
                                  std::string_view etag, absl::Time now);

// ASSIGNED -> the rep is freed and declined, and the lead is routed again.
absl::StatusOr<LeadChange> Reject(const RoutingTable& table,
                                  const leadrouter::v1::Lead& lead,
                                  const leadrouter::v1::Assignment& current,
                                  const RoutingState& state,
                                  std::string_view etag, std::string_view note,
                                  absl::Time now);

// ACCEPTED -> CLOSED with WON, LOST or OTHER; frees the rep.
absl::StatusOr<LeadChange> Close(const RoutingTable& table,
                                 const leadrouter::v1::Assignment& current,
                                 const RoutingState& state,
                                 std::string_view etag,
                                 leadrouter::v1::CloseOutcome outcome,
                                 std::string_view note, absl::Time now);

// An ASSIGNED lead whose respond_by has passed: the rep is freed and
// declined, and the lead goes to the next eligible member, or to the team's
// escalation target once it lapsed more than max_reroutes times. nullopt
// when nothing is due (accepted meanwhile, not yet due). A team that no
// longer has a response time just stops the clock.
std::optional<LeadChange> ExpireResponseTime(
    const RoutingTable& table, const leadrouter::v1::Lead& lead,
    const leadrouter::v1::Assignment& current, const RoutingState& state,
    absl::Time now);

// GDPR erasure: the lead keeps only what statistics need (id, country,
// region, language, products, score, stage, source, industry, size,
// created_at); the assignment loses the company and the notes; an open or
// queued lead is closed as ERASED. nullopt when already erased.
std::optional<LeadChange> Erase(const RoutingTable& table,
                                const leadrouter::v1::Lead& lead,
                                const leadrouter::v1::Assignment& current,
                                const RoutingState& state, absl::Time now);

// Removes from a stored event what erasure removes: the note, and the
// company domain wherever the reason mentions it.
void ScrubEvent(std::string_view company_domain,
                leadrouter::v1::AssignmentEvent* event);

// "ASSIGNED", "ACCEPTED", ... for messages.
std::string StateName(leadrouter::v1::AssignmentState state);

}  // namespace leadrouter::routing

#endif  // LEADROUTER_ROUTING_ASSIGNMENT_LIFECYCLE_H_
