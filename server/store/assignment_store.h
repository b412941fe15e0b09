// Where routing decisions live. The store, not its caller, owns the routing
// state (open loads, rotation positions): Route() hands the decider a view
// that is consistent with everything stored, and stores the decision with its
// reservation atomically. An embedded store (SQLite) serializes deciders in
// one process; a shared one (PostgreSQL) would run the decider inside a
// transaction that row-locks the team's rotation and the reps' loads, so
// several replicas can never over-fill a rep.
//
// Every change of a stored lead (a route, a transition, a lapse, an
// erasure) is a routing::LeadChange, written with its events in the same
// transaction; the events are the lead's history and the change stream.
//
//   store.Route(lead,
//               [table, now](const Lead& lead, const routing::RoutingState& s) {
//                 return routing::Routed(routing::Decide(*table, lead, s, now));
//               },
//               [](absl::StatusOr<RouteOutcome> outcome) { ... });
#ifndef LEADROUTER_SERVER_STORE_ASSIGNMENT_STORE_H_
#define LEADROUTER_SERVER_STORE_ASSIGNMENT_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "leadrouter/v1/assignment.pb.h"
#include "leadrouter/v1/lead.pb.h"
#include "leadrouter/v1/routing_admin.pb.h"
#include "routing/assignment_lifecycle.h"
#include "routing/fairness.h"
#include "routing/routing_state.h"
#include "routing/simulation.h"

namespace leadrouter::server {

struct RouteOutcome {
  leadrouter::v1::Assignment assignment;
  // True when the lead id was stored before and this is that decision.
  bool replayed = false;
};

// Makes the decision for a new lead (the store's copy of the lead Route was
// given) from the store's current routing state.
using Decider = std::function<routing::LeadChange(
    const leadrouter::v1::Lead& lead, const routing::RoutingState& state)>;
// Receives the outcome once it is durable (or the error); may run on a
// store thread, so it must not block.
using RouteCallback = std::function<void(absl::StatusOr<RouteOutcome>)>;

// Re-decides a lead waiting in a queue (`stored` is its record), on the
// current routing state.
using QueuedDecider = std::function<routing::LeadChange(
    const leadrouter::v1::Lead& lead, const leadrouter::v1::Assignment& stored,
    const routing::RoutingState& state)>;

// Changes a stored lead: an error refuses the change (nothing is written),
// nullopt means there is nothing to change.
using LeadChanger =
    std::function<absl::StatusOr<std::optional<routing::LeadChange>>(
        const leadrouter::v1::Lead& lead,
        const leadrouter::v1::Assignment& stored,
        const routing::RoutingState& state)>;

// How many leads wait in one queue.
using routing::MemberLeads;

struct QueueDepth {
  std::string queue;    // e.g. "team/dach", "nurture", "unmatched"
  std::string team_id;  // the team of a "team/<id>" queue; else empty
  int64_t depth = 0;
  int64_t oldest_queued_at_us = 0;  // when the longest-waiting lead arrived
};

struct AssignmentQuery {
  std::string rep_id;   // empty: any rep
  std::string team_id;  // empty: any team
  leadrouter::v1::AssignmentState state =
      leadrouter::v1::ASSIGNMENT_STATE_UNSPECIFIED;  // unspecified: any
  // Arrival time bounds in Unix microseconds: [from, until); 0: open.
  int64_t arrived_from_us = 0;
  int64_t arrived_until_us = 0;
  int64_t after_position = 0;  // only assignments stored after this position
  int limit = 100;
};

struct AssignmentPage {
  std::vector<leadrouter::v1::Assignment> assignments;
  // Position of the last assignment returned; continue after it. 0 when the
  // page holds nothing.
  int64_t last_position = 0;
  // True when more assignments match after this page.
  bool more = false;
};

// Stored leads for the what-if simulator (see ReplayLeads).
struct ReplayQuery {
  // Arrival time bounds in Unix microseconds: [from, until); 0: open.
  int64_t arrived_from_us = 0;
  int64_t arrived_until_us = 0;
  std::vector<std::string> lead_ids;  // non-empty: only these (at most 1000)
  // Non-zero: instead of the above, the leads that arrived before this time
  // and that a rep held at it (assigned or accepted now, or closed after
  // it), for the simulator's starting loads.
  int64_t held_at_us = 0;
  int64_t after_position = 0;  // only leads stored after this position
  int limit = 1000;
};

struct ReplayPage {
  std::vector<routing::PastLead> leads;
  // Position of the last lead returned; continue after it.
  int64_t last_position = 0;
  bool more = false;  // more leads match after this page
};

struct EventQuery {
  int64_t after = 0;    // cursor: only events stored after it
  std::string rep_id;   // empty: any; else events the rep gains or loses
  std::string team_id;  // empty: any team
  int limit = 256;
};

// Audit events matching all given filters, newest first.
struct AuditQuery {
  std::string principal;  // empty: any
  std::string method;     // empty: any
  // Time bounds in Unix microseconds: [since, until); 0: open.
  int64_t since_us = 0;
  int64_t until_us = 0;
  int64_t before_id = 0;  // page: only events with a smaller id; 0: newest
  int limit = 100;
};

// An event a webhook subscription gave up on (server/webhooks).
struct DeadLetter {
  std::string subscription;
  int64_t cursor = 0;
  leadrouter::v1::AssignmentEvent event;
  int64_t failed_at_us = 0;  // when it was given up on (Unix microseconds)
  int attempts = 0;          // deliveries tried
  std::string error;         // the last failure, e.g. "HTTP 500"
  bool retry = false;        // an admin asked for another delivery
};

// What the store may forget, and when (see Prune). Zero keeps everything.
struct RetentionPolicy {
  // The change stream serves events this recent. Older events of closed
  // leads are deleted; an open or waiting lead keeps its whole history.
  absl::Duration events = absl::ZeroDuration();
  // A closed lead is deleted, with all its events, this long after it
  // closed (storage limitation). Its id can then be routed as new.
  absl::Duration closed_leads = absl::ZeroDuration();
};

// What one Prune call deleted.
struct PruneResult {
  int64_t events_deleted = 0;  // events of leads that stay
  int64_t leads_deleted = 0;   // closed leads, with their events
  bool more = false;           // the batch was full: call again
};

// The routing config every replica of a shared store runs.
struct SharedConfig {
  leadrouter::v1::GetConfigResponse record;  // config = base, with overrides
  int64_t generation = 0;                    // grows with every publish
};

// Told about a config another replica published (see FollowConfig).
using ConfigFollower = std::function<void(
    const leadrouter::v1::GetConfigResponse& record, int64_t generation)>;

// Bounds of the work one store call does, the same for every store. A
// routing pass holds the store (the lock, or the routing transaction), so
// each is kept short; what is left goes to the next pass.
//
// Waiting leads offered after one change frees a rep: a freed seat takes
// one lead, and the periodic drain does the rest.
inline constexpr int kMaxOffersPerChange = 64;
// Leads whose response time lapsed, handled per ExpireDue call.
inline constexpr int kMaxExpiriesPerPass = 256;
// Waiting leads offered per DrainWaitingQueues pass; the next pass starts at
// the queue after the last one served, so every queue gets its turn.
inline constexpr int kMaxOffersPerPass = 512;
// A queue whose leads keep staying put is left after this many in a row:
// nobody there is eligible, and the next pass tries again.
inline constexpr int kMaxMissesPerQueue = 64;

// Thread-safe.
class AssignmentStore {
 public:
  virtual ~AssignmentStore() = default;

  // Routes `lead` (already valid) once. If its id is stored (or being
  // stored), `done` gets that assignment with replayed = true and `decide`
  // is not called. Otherwise `decide` runs on a consistent state, and
  // `done` runs after the assignment and its reservation are committed.
  // `decide` may run on a store thread after Route returns (a shared store
  // decides inside its transaction), so it must own what it refers to.
  // Leads routed by one thread are decided in the order it routed them.
  virtual void Route(const leadrouter::v1::Lead& lead, Decider decide,
                     RouteCallback done) = 0;

  // A copy of the current routing state, for dry runs.
  virtual routing::RoutingState Snapshot() = 0;

  // The stored assignment with its history; NOT_FOUND if the lead was never
  // routed.
  virtual absl::StatusOr<leadrouter::v1::Assignment> Get(
      const std::string& lead_id) = 0;

  // Runs `change` on the stored lead and state, then stores its result with
  // its events; waiting leads in the change's freed queues are offered to
  // `reroute` in the same transaction. Both may run on a store thread after
  // Change returns, so they must own what they refer to. `done` gets the assignment after the
  // change once durable: NOT_FOUND for an unknown lead, ABORTED while
  // another change of the lead is being stored, or `change`'s error.
  virtual void Change(const std::string& lead_id, LeadChanger change,
                      QueuedDecider reroute, RouteCallback done) = 0;

  // Offers every ASSIGNED lead whose response time is due by `now` (in
  // order of due time, a bounded batch per call) to `expire`, and freed
  // queues to `reroute`, before returning. Returns how many leads changed.
  virtual absl::StatusOr<int> ExpireDue(absl::Time now, LeadChanger expire,
                                        QueuedDecider reroute) = 0;

  // Stored events matching `query`, oldest first, with their cursors.
  // OUT_OF_RANGE naming the oldest cursor served when `query.after` is older
  // than it (retention deleted events after it), checked against the same
  // state the events are read from.
  virtual absl::StatusOr<std::vector<leadrouter::v1::AssignmentEvent>> Events(
      const EventQuery& query) = 0;
  // The oldest cursor the change stream still serves (0 while nothing was
  // pruned): every event after it is kept.
  virtual absl::StatusOr<int64_t> OldestCursor() = 0;

  // Deletes one small batch (at most `limit` leads and `limit` events) of
  // what `policy` lets go by `now`, in its own short transaction, so routing
  // never waits long; call again while `more`. Idempotent; every replica of
  // a shared store may run it.
  virtual absl::StatusOr<PruneResult> Prune(const RetentionPolicy& policy,
                                            absl::Time now, int limit) = 0;

  // Writes a consistent copy of the whole store (everything committed when
  // it starts) to the new file `path` while routing goes on; a running
  // leadrouterd can start from it (--restore). FAILED_PRECONDITION for a
  // store that is backed up with its own tools (PostgreSQL).
  virtual absl::Status Backup(const std::string& path) = 0;
  // The cursor of the newest committed event (0: none); cheap.
  virtual int64_t LastEventCursor() const = 0;

  // Matching assignments in the order they were stored.
  virtual absl::StatusOr<AssignmentPage> List(const AssignmentQuery& query) = 0;

  // Matching leads with their records and first events, in the order they
  // were stored (the order they arrived), a page at a time.
  virtual absl::StatusOr<ReplayPage> ReplayLeads(const ReplayQuery& query) = 0;
  // The newest `limit` events before `before_us` (event time) that leave a
  // lead with a team's rep (team and rep set), newest first: where each
  // team's rotation stood then, and who received how many leads that day.
  virtual absl::StatusOr<std::vector<leadrouter::v1::AssignmentEvent>>
  TeamEventsBefore(int64_t before_us, int limit) = 0;
  // Offers leads waiting in team and rep queues ("team/<id>", "rep/<id>")
  // to `decide`, best score first then longest waiting, and stores every
  // decision that moves a lead (assigned, or to another queue after a config
  // change). Returns how many moved. Named queues (e.g. "nurture") and
  // "unmatched" wait for a person, not for capacity, and are left alone.
  virtual absl::StatusOr<int> DrainWaitingQueues(QueuedDecider decide) = 0;

  // Every non-empty queue with its depth, by queue name. Counts what is
  // committed.
  virtual absl::StatusOr<std::vector<QueueDepth>> Queues() = 0;
  // Per team and rep: the leads routed at or after `since_us` (arrival
  // time) that the team gave to the rep and the rep still holds, in any
  // state (a lead passed on counts for its new rep). For fairness.
  virtual absl::StatusOr<std::vector<MemberLeads>> LeadsByMember(
      int64_t since_us) = 0;

  // The admins' rep overrides, by rep id.
  virtual absl::StatusOr<std::vector<leadrouter::v1::RepOverride>>
  RepOverrides() = 0;
  // Stores a rep's override durably before returning; one that sets
  // nothing (HoldsSettings in stored_rows.h) removes it.
  virtual absl::Status SaveRepOverride(
      const leadrouter::v1::RepOverride& override) = 0;

  // The audit trail. Appends the events (ids are given by the store, in
  // order) durably, in one transaction, before returning.
  virtual absl::Status AppendAudit(
      const std::vector<leadrouter::v1::AuditEvent>& events) = 0;
  virtual absl::StatusOr<std::vector<leadrouter::v1::AuditEvent>> ListAudit(
      const AuditQuery& query) = 0;

  // Config history: every version that ran, as GetConfig reports it but
  // with `config` holding the base config (before the rep overrides, which
  // are in `overrides`). Saving a version that is already kept changes
  // nothing (its first run is what it records).
  virtual absl::Status SaveConfigVersion(
      const leadrouter::v1::GetConfigResponse& record) = 0;
  // NOT_FOUND for a version that never ran here.
  virtual absl::StatusOr<leadrouter::v1::GetConfigResponse> ConfigVersion(
      const std::string& version) = 0;

  // Outbound webhooks (server/webhooks). A subscription's position is the
  // cursor of the last event it is done with (delivered, not matching, or
  // given up on); nullopt before its first.
  virtual absl::StatusOr<std::optional<int64_t>> WebhookPosition(
      const std::string& subscription) = 0;
  // Stores `position` and the dead letters given up on up to it, in one
  // transaction, durably.
  virtual absl::Status AdvanceWebhook(const std::string& subscription,
                                      int64_t position,
                                      const std::vector<DeadLetter>& dead) = 0;
  // Dead letters in cursor order; `subscription` empty: every one's;
  // `only_retry`: only those an admin asked to deliver again.
  virtual absl::StatusOr<std::vector<DeadLetter>> DeadLetters(
      const std::string& subscription, bool only_retry, int limit) = 0;
  // Asks for another delivery of a subscription's dead letter (`cursor`
  // 0: all of them); how many were marked.
  virtual absl::StatusOr<int> RetryDeadLetters(const std::string& subscription,
                                               int64_t cursor) = 0;
  // After another delivery: removes the dead letter (`error` empty) or
  // keeps it with the failure counted and the retry request cleared.
  virtual absl::Status SettleDeadLetter(const std::string& subscription,
                                        int64_t cursor,
                                        const std::string& error) = 0;
  // True while `holder` is the one process that delivers webhooks; it
  // holds for `ttl` and is renewed by asking again. A store of one process
  // (SQLite) always says true.
  virtual absl::StatusOr<bool> HoldWebhookLease(const std::string& holder,
                                                absl::Duration ttl) = 0;

  // Sharing the running config between replicas. A store of one process
  // (SQLite) has nothing to share: nullopt, OK, and never a call.
  //
  // The config every replica runs, if one was published.
  virtual absl::StatusOr<std::optional<SharedConfig>> LoadSharedConfig() = 0;
  // Makes `record` the config of every replica, durably, and returns its
  // generation. A route that starts on any replica after this returned is
  // decided on it.
  virtual absl::StatusOr<int64_t> PublishConfig(
      const leadrouter::v1::GetConfigResponse& record) = 0;
  // `follow` is told of every newer generation (published here or
  // elsewhere) before any route that follows it is decided; it must not
  // call the store. Set once, before routing starts.
  virtual void FollowConfig(ConfigFollower follow) = 0;

  // Refuses new routes with UNAVAILABLE and commits every route already
  // accepted. Idempotent.
  virtual void Close() = 0;
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_STORE_ASSIGNMENT_STORE_H_
