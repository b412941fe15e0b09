// The shared store's group commit. One writer thread per replica takes every
// queued op (routes, lifecycle changes, lapses, drains) and runs them in one
// transaction:
//
//   BEGIN; pg_advisory_xact_lock(routing lock); read store_clock;
//   read the stored records of the batch's leads          -- 1 round trip
//   refresh the routing-state copy if another replica committed since
//   run every decider in queue order, sending the writes  -- pipelined
//   UPDATE store_clock; pg_notify; COMMIT                 -- 1 round trip
//
// The routing lock is one advisory lock shared by every replica, held until
// COMMIT: routing transactions of all replicas run one at a time, so each
// decides on exact state (the store_clock check) and one lead id gets one
// decision (a duplicate on another replica waits for the lock, then finds
// the stored row and replays it).
//
// The change-stream cursor. A sequence would not do: two transactions that
// draw seq 7 and 8 may commit 8 first, and a watcher reading "seq > 6" at
// that moment gets 8, moves its cursor to 8 and never sees 7. Here every
// event's seq is store_clock.last_seq + 1, + 2, ... drawn under the routing
// lock, and store_clock.last_seq is written in the same transaction. The
// next transaction can only draw after this one committed (it waits for the
// lock, and PostgreSQL makes a commit visible before it releases the
// transaction's locks), so seq order is commit order, a rolled-back batch
// leaves no hole (its numbers are drawn again), and "seq > cursor" read at
// any moment, on any replica, never skips an event.
//
// A failed batch answers every op with the error (UNAVAILABLE when a retry
// may succeed) and forgets the state copy, which the next batch loads whole.
// When the connection breaks after COMMIT was sent, nobody knows whether it
// committed: the answer is UNAVAILABLE, and the client's retry finds the
// stored decision (replayed) if it did, or makes the only one if it did not.
#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "routing/assignment_lifecycle.h"
#include "server/log.h"
#include "server/store/pg_state.h"
#include "server/store/pg_store.h"
#include "server/store/stored_rows.h"

namespace leadrouter::server {
namespace {

using leadrouter::v1::Assignment;
using leadrouter::v1::Lead;

// The routing lock's key ("rout" in ASCII); see the top of this file.
constexpr int64_t kRoutingLock = 0x726f7574;
// Statements sent before the pipeline is synced (bounds the buffers).
constexpr int kMaxPending = 1024;

struct Statement {
  const char* name;
  const char* sql;
};

constexpr Statement kStatements[] = {
    {"lookup",
     "SELECT lead_id, assignment, lead FROM assignments "
     "WHERE lead_id = ANY($1::text[])"},
    {"insert",
     "INSERT INTO assignments (lead_id, state, rep_id, team_id, queue, "
     "routed_at_us, queued_at_us, score, sla_due_us, assignment, lead) "
     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"},
    // A lead changing keeps its routed_at_us: the time it arrived.
    {"update",
     "UPDATE assignments SET state = $2, rep_id = $3, team_id = $4, "
     "queue = $5, queued_at_us = $6, sla_due_us = $7, assignment = $8, "
     "lead = coalesce($9, lead), closed_at_us = $10 WHERE lead_id = $1"},
    {"event",
     "INSERT INTO events (seq, lead_id, rep_id, previous_rep_id, team_id, "
     "at_us, event) VALUES ($1, $2, $3, $4, $5, $6, $7)"},
    {"due",
     "SELECT lead_id, assignment, lead FROM assignments WHERE "
     "sla_due_us > 0 AND sla_due_us <= $1 ORDER BY sla_due_us LIMIT $2"},
    {"waiting_queues",
     "SELECT DISTINCT queue FROM assignments WHERE state = 2 AND "
     "(queue LIKE 'team/%' OR queue LIKE 'rep/%') ORDER BY queue"},
    {"waiting",
     "SELECT lead_id, assignment, lead FROM assignments WHERE state = 2 AND "
     "queue = $1 ORDER BY score DESC, queued_at_us, lead_id LIMIT $2"},
    {"lead_events",
     "SELECT seq, event FROM events WHERE lead_id = $1 ORDER BY seq"},
    {"rewrite_event", "UPDATE events SET event = $2 WHERE seq = $1"},
    {"clock",
     "UPDATE store_clock SET version = $1, last_seq = $2 WHERE id = 1"},
    {"notify", "SELECT pg_notify('leadrouter_changes', $1)"},
};

int64_t QueuedMicros(const Assignment& a) {
  return a.state() == leadrouter::v1::ASSIGNMENT_STATE_QUEUED &&
                 a.has_queued_at()
             ? Micros(a.queued_at())
             : 0;
}

}  // namespace

// One batch's transaction; see the top of this file.
class PgBatch {
 public:
  PgBatch(PgStore& store, std::vector<PgStore::Op>& ops)
      : store_(store), db_(*store.writer_db_), ops_(ops) {}

  // Runs the transaction; OK once committed.
  absl::Status Run();
  // Answers every op: its outcome if the batch committed, else `committed`.
  void Answer(const absl::Status& committed);
  int changes() const { return changes_; }
  int64_t last_seq() const { return last_seq_; }

 private:
  struct Known {
    Lead lead;
    Assignment assignment;
  };
  // The stored record of `id` as of this transaction, or null.
  Known* Find(const std::string& id) {
    auto it = known_.find(id);
    return it == known_.end() ? nullptr : &it->second;
  }

  absl::Status Begin();
  absl::Status Commit();
  absl::Status RunOp(PgStore::Op& op);
  // Applies a decision to the state copy and sends its rows.
  absl::Status Store(Lead lead, routing::LeadChange change, bool insert);
  // Sends the statements queued so far and returns the result of `name`.
  absl::StatusOr<PgResult> Read(const std::string& name, const PgParams& p);
  // Reads rows of (lead_id, assignment, lead) into known_; their ids.
  absl::StatusOr<std::vector<std::string>> Remember(const PgResult& rows);
  absl::StatusOr<int> Drain(const QueuedDecider& decide,
                            const std::vector<std::string>* only,
                            int max_offers);

  PgStore& store_;
  PgConnection& db_;
  std::vector<PgStore::Op>& ops_;
  std::optional<PgPipeline> pipe_;
  int64_t version_ = 0;   // store_clock.version at the start
  int64_t last_seq_ = 0;  // the newest event cursor drawn
  int changes_ = 0;
  absl::flat_hash_map<std::string, Known> known_;
  // Per op, in order: its outcome (kRoute, kChange) or count.
  std::vector<absl::StatusOr<RouteOutcome>> outcomes_;
  std::vector<absl::StatusOr<int>> counts_;
};

absl::Status PgBatch::Begin() {
  std::vector<std::string> ids;
  for (const PgStore::Op& op : ops_) {
    if (!op.lead_id.empty()) ids.push_back(op.lead_id);
  }
  std::vector<PgResult> results;
  {
    PgPipeline p(db_);
    p.SendSql("BEGIN");
    p.SendSql("SELECT pg_advisory_xact_lock($1::bigint)",
              PgParams().Int(kRoutingLock));
    p.SendSql("SELECT version, last_seq FROM store_clock WHERE id = 1");
    p.Send("lookup", PgParams().TextArray(ids));
    p.SendSql("SELECT coalesce(max(generation), 0) FROM running_config");
    absl::StatusOr<std::vector<PgResult>> r = p.Sync();
    if (!r.ok()) return r.status();
    results = *std::move(r);
  }
  version_ = results[2].Int(0, 0);
  last_seq_ = results[2].Int(0, 1);
  // A config published anywhere before this lock was taken runs here before
  // anything in this batch is decided (deciders take the table when they
  // run).
  if (results[4].Int(0, 0) > store_.config_generation_.load()) {
    if (auto s = store_.FollowFrom(db_); !s.ok()) return s;
  }
  if (absl::StatusOr<std::vector<std::string>> k = Remember(results[3]);
      !k.ok()) {
    return k.status();
  }
  if (version_ != store_.state_version_) {
    std::lock_guard lock(store_.state_mu_);
    if (auto s = RefreshPgState(db_, store_.state_version_, &store_.state_);
        !s.ok()) {
      return s;
    }
  }
  store_.state_last_seq_.store(last_seq_);
  // From here on the copy is ahead of the database until COMMIT; a failure
  // makes the next batch load it whole.
  store_.state_version_ = -1;
  pipe_.emplace(db_);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> PgBatch::Remember(
    const PgResult& rows) {
  std::vector<std::string> ids;
  for (int i = 0; i < rows.rows(); ++i) {
    Known k;
    absl::StatusOr<Assignment> a = ParseAssignment(rows.Bytes(i, 1));
    absl::StatusOr<Lead> lead = ParseLead(rows.Bytes(i, 2));
    if (!a.ok() || !lead.ok()) {
      return absl::DataLossError(
          absl::StrCat("stored lead ", rows.Bytes(i, 0), " does not parse"));
    }
    k.assignment = *std::move(a);
    k.lead = *std::move(lead);
    ids.push_back(rows.Bytes(i, 0));
    known_[ids.back()] = std::move(k);
  }
  return ids;
}

absl::StatusOr<PgResult> PgBatch::Read(const std::string& name,
                                       const PgParams& params) {
  pipe_->Send(name, params);
  absl::StatusOr<std::vector<PgResult>> r = pipe_->Sync();
  if (!r.ok()) return r.status();
  return std::move(r->back());
}

absl::Status PgBatch::Store(Lead lead, routing::LeadChange change,
                            bool insert) {
  {
    std::lock_guard lock(store_.state_mu_);
    routing::ApplyChanges(change.changes, &store_.state_);
  }
  const Assignment& a = change.assignment;
  const std::string bytes = PackAssignment(change.assignment);
  if (insert) {
    pipe_->Send("insert", PgParams()
                              .Text(a.lead_id())
                              .Int(a.state())
                              .Text(a.rep_id())
                              .Text(a.team_id())
                              .Text(a.queue())
                              .Int(Micros(a.routed_at()))
                              .Int(QueuedMicros(a))
                              .Int(lead.score())
                              .Int(DueMicros(a))
                              .Bytes(bytes)
                              .Bytes(PackLead(lead)));
  } else {
    PgParams params;
    params.Text(a.lead_id())
        .Int(a.state())
        .Text(a.rep_id())
        .Text(a.team_id())
        .Text(a.queue())
        .Int(QueuedMicros(a))
        .Int(DueMicros(a))
        .Bytes(bytes);
    change.lead.has_value() ? params.Bytes(PackLead(lead))
                            : params.Null();
    params.Int(ClosedMicros(change.assignment));
    pipe_->Send("update", params);
  }
  SendPgStateChanges(*pipe_, change.changes, version_ + 1,
                     store_.options_.capacity);
  for (const leadrouter::v1::AssignmentEvent& e : change.events) {
    pipe_->Send("event", PgParams()
                             .Int(++last_seq_)
                             .Text(e.lead_id())
                             .Text(e.rep_id())
                             .Text(e.previous_rep_id())
                             .Text(e.team_id())
                             .Int(Micros(e.time()))
                             .Bytes(e.SerializeAsString()));
  }
  if (change.scrub_history) {
    absl::StatusOr<PgResult> history =
        Read("lead_events", PgParams().Text(a.lead_id()));
    if (!history.ok()) return history.status();
    for (int i = 0; i < history->rows(); ++i) {
      const int64_t seq = history->Int(i, 0);
      absl::StatusOr<leadrouter::v1::AssignmentEvent> e =
          ParseEvent(seq, history->Bytes(i, 1));
      if (!e.ok()) return e.status();
      routing::ScrubEvent(change.scrubbed_domain, &*e);
      e->clear_cursor();  // the row's seq is the cursor
      pipe_->Send("rewrite_event",
                  PgParams().Int(seq).Bytes(e->SerializeAsString()));
    }
  }
  ++changes_;
  known_[a.lead_id()] = {std::move(lead), change.assignment};
  if (pipe_->pending() >= kMaxPending) {
    if (auto r = pipe_->Sync(); !r.ok()) return r.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<int> PgBatch::Drain(const QueuedDecider& decide,
                                   const std::vector<std::string>* only,
                                   int max_offers) {
  std::vector<std::string> queues;
  if (only != nullptr) {
    for (const std::string& q : *only) {
      if (routing::IsWaitingQueue(q) &&
          std::find(queues.begin(), queues.end(), q) == queues.end()) {
        queues.push_back(q);
      }
    }
  } else {
    absl::StatusOr<PgResult> names = Read("waiting_queues", PgParams());
    if (!names.ok()) return names.status();
    std::vector<std::string> all;
    for (int i = 0; i < names->rows(); ++i) all.push_back(names->Bytes(i, 0));
    // In turn: start after the queue the last pass ended at.
    auto next = std::upper_bound(all.begin(), all.end(), store_.drain_after_);
    queues.insert(queues.end(), next, all.end());
    queues.insert(queues.end(), all.begin(), next);
  }
  int moved = 0;
  int offers = 0;
  absl::flat_hash_set<std::string> done;  // moved in this pass
  for (const std::string& queue : queues) {
    if (offers >= max_offers) break;
    if (only == nullptr) store_.drain_after_ = queue;
    absl::StatusOr<PgResult> rows =
        Read("waiting", PgParams().Text(queue).Int(max_offers - offers));
    if (!rows.ok()) return rows.status();
    absl::StatusOr<std::vector<std::string>> ids = Remember(*rows);
    if (!ids.ok()) return ids.status();
    int misses = 0;
    for (const std::string& id : *ids) {
      if (misses >= kMaxMissesPerQueue || offers >= max_offers) break;
      if (done.contains(id)) continue;
      const Known& k = known_[id];
      ++offers;
      // Only this thread writes state_, so it reads it without the lock.
      routing::LeadChange change = decide(k.lead, k.assignment, store_.state_);
      const Assignment& a = change.assignment;
      if (a.state() == leadrouter::v1::ASSIGNMENT_STATE_QUEUED &&
          a.queue() == queue) {
        ++misses;
        continue;
      }
      misses = 0;
      done.insert(id);
      if (auto s = Store(k.lead, std::move(change), /*insert=*/false);
          !s.ok()) {
        return s;
      }
      ++moved;
    }
  }
  return moved;
}

absl::Status PgBatch::RunOp(PgStore::Op& op) {
  using Kind = PgStore::Op::Kind;
  switch (op.kind) {
    case Kind::kRoute: {
      if (const Known* k = Find(op.lead_id)) {
        outcomes_.push_back(RouteOutcome{k->assignment, /*replayed=*/true});
        return absl::OkStatus();
      }
      routing::LeadChange change = op.decide(op.lead, store_.state_);
      Assignment a = change.assignment;
      if (auto s = Store(std::move(op.lead), std::move(change), true);
          !s.ok()) {
        return s;
      }
      outcomes_.push_back(RouteOutcome{std::move(a), false});
      return absl::OkStatus();
    }
    case Kind::kChange: {
      const Known* k = Find(op.lead_id);
      if (k == nullptr) {
        outcomes_.push_back(absl::NotFoundError(absl::StrCat(
            "lead_id: no assignment for lead \"", op.lead_id, "\"")));
        return absl::OkStatus();
      }
      absl::StatusOr<std::optional<routing::LeadChange>> result =
          op.change(k->lead, k->assignment, store_.state_);
      if (!result.ok()) {
        outcomes_.push_back(result.status());
        return absl::OkStatus();
      }
      if (!result->has_value()) {  // nothing to do: the record as it is
        outcomes_.push_back(RouteOutcome{k->assignment, true});
        return absl::OkStatus();
      }
      routing::LeadChange change = **std::move(result);
      std::vector<std::string> freed = change.freed_queues;
      Assignment a = change.assignment;
      Lead lead = change.lead.has_value() ? *change.lead : k->lead;
      if (auto s = Store(std::move(lead), std::move(change), false); !s.ok()) {
        return s;
      }
      outcomes_.push_back(RouteOutcome{std::move(a), false});
      if (!freed.empty()) {
        absl::StatusOr<int> moved =
            Drain(op.reroute, &freed, kMaxOffersPerChange);
        if (!moved.ok()) return moved.status();
      }
      return absl::OkStatus();
    }
    case Kind::kExpire: {
      absl::StatusOr<PgResult> due = Read(
          "due",
          PgParams().Int(absl::ToUnixMicros(op.now)).Int(kMaxExpiriesPerPass));
      if (!due.ok()) return due.status();
      absl::StatusOr<std::vector<std::string>> ids = Remember(*due);
      if (!ids.ok()) return ids.status();
      int changed = 0;
      std::vector<std::string> freed;
      for (const std::string& id : *ids) {
        const Known& k = known_[id];
        absl::StatusOr<std::optional<routing::LeadChange>> result =
            op.change(k.lead, k.assignment, store_.state_);
        if (!result.ok() || !result->has_value()) continue;
        routing::LeadChange change = **std::move(result);
        for (const std::string& q : change.freed_queues) freed.push_back(q);
        Lead lead = change.lead.has_value() ? *change.lead : k.lead;
        if (auto s = Store(std::move(lead), std::move(change), false);
            !s.ok()) {
          return s;
        }
        ++changed;
      }
      if (!freed.empty()) {
        absl::StatusOr<int> moved =
            Drain(op.reroute, &freed, kMaxOffersPerChange);
        if (!moved.ok()) return moved.status();
      }
      counts_.push_back(changed);
      return absl::OkStatus();
    }
    case Kind::kRefresh:
      counts_.push_back(0);
      return absl::OkStatus();
    case Kind::kDrain: {
      absl::StatusOr<int> moved = Drain(op.reroute, nullptr, kMaxOffersPerPass);
      if (!moved.ok()) return moved.status();
      counts_.push_back(*moved);
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

absl::Status PgBatch::Commit() {
  if (changes_ > 0) {
    pipe_->Send("clock", PgParams().Int(version_ + 1).Int(last_seq_));
    pipe_->Send("notify", PgParams().Text(absl::StrCat(last_seq_)));
  }
  pipe_->SendSql("COMMIT");
  absl::StatusOr<std::vector<PgResult>> r = pipe_->Sync();
  if (!r.ok()) {
    if (!db_.ok()) {
      return absl::UnavailableError(
          "the connection to PostgreSQL was lost while committing, so "
          "whether this change was stored is unknown; retry: a stored route "
          "is replayed, an unstored one is made once");
    }
    return r.status();
  }
  pipe_.reset();
  store_.state_version_ = changes_ > 0 ? version_ + 1 : version_;
  store_.state_last_seq_.store(last_seq_);
  return absl::OkStatus();
}

absl::Status PgBatch::Run() {
  absl::Status s = Begin();
  for (size_t i = 0; s.ok() && i < ops_.size(); ++i) s = RunOp(ops_[i]);
  if (s.ok()) s = Commit();
  pipe_.reset();  // leaves pipeline mode, so the caller can roll back
  return s;
}

void PgBatch::Answer(const absl::Status& committed) {
  size_t outcome = 0;
  size_t count = 0;
  for (PgStore::Op& op : ops_) {
    if (op.counted != nullptr) {
      op.counted->set_value(committed.ok() && count < counts_.size()
                                ? counts_[count]
                                : absl::StatusOr<int>(committed));
      ++count;
    } else if (op.done) {
      op.done(committed.ok() && outcome < outcomes_.size()
                  ? std::move(outcomes_[outcome])
                  : absl::StatusOr<RouteOutcome>(committed));
      ++outcome;
    }
  }
}

absl::Status PgStore::ConnectWriter() {
  absl::StatusOr<PgConnection> db = PgConnection::Connect(options_.conninfo);
  if (!db.ok()) return db.status();
  // An answer means the commit is on disk (whatever the server's default);
  // a replica that hangs inside a transaction gives the routing lock back.
  if (auto s = db->Exec("SET synchronous_commit = on; "
                        "SET idle_in_transaction_session_timeout = '30s'; "
                        "SET lock_timeout = '30s'");
      !s.ok()) {
    return s;
  }
  if (auto s = PreparePgStateStatements(*db); !s.ok()) return s;
  for (const Statement& s : kStatements) {
    if (auto r = db->Prepare(s.name, s.sql); !r.ok()) return r;
  }
  writer_db_.emplace(*std::move(db));
  state_version_ = -1;
  return absl::OkStatus();
}

void PgStore::WriterLoop() {
  while (true) {
    std::vector<Op> batch;
    {
      std::unique_lock lock(mu_);
      work_ready_.wait(lock, [&] { return !queued_.empty() || closing_; });
      if (queued_.empty()) return;  // closing, and nothing left to commit
      batch.swap(queued_);
    }
    const auto start = std::chrono::steady_clock::now();
    absl::Status committed;
    if (!writer_db_.has_value() || !writer_db_->ok()) {
      writer_db_.reset();
      committed = ConnectWriter();
    }
    int changes = 0;
    std::optional<PgBatch> run;
    if (committed.ok()) {
      run.emplace(*this, batch);
      committed = run->Run();
      changes = run->changes();
      if (!committed.ok()) {
        state_version_ = -1;
        if (writer_db_->ok()) {
          // Ends the failed transaction, and puts the copy of the state
          // back to what is stored (Snapshot reads it). Without a
          // connection, the next batch loads it whole.
          writer_db_->Exec("ROLLBACK").IgnoreError();
          LoadWholeState().IgnoreError();
        }
      }
    }
    if (!committed.ok()) {
      LogError("store_commit_failed",
               {{"error", std::string(committed.message())},
                {"ops", absl::StrCat(batch.size())}});
      if (writer_db_.has_value() && !writer_db_->ok()) writer_db_.reset();
    }
    if (options_.on_commit) {
      options_.on_commit(
          committed, absl::FromChrono(std::chrono::steady_clock::now() - start),
          changes);
    }
    if (committed.ok()) {
      commits_.fetch_add(1, std::memory_order_relaxed);
      committed_changes_.fetch_add(changes, std::memory_order_relaxed);
      int64_t seen = last_event_.load(std::memory_order_acquire);
      const int64_t seq = run->last_seq();
      while (seq > seen && !last_event_.compare_exchange_weak(seen, seq)) {
      }
    }
    if (run.has_value()) {
      run->Answer(committed);
    } else {
      for (Op& op : batch) {
        if (op.counted != nullptr) op.counted->set_value(committed);
        if (op.done) op.done(committed);
      }
    }
  }
}

}  // namespace leadrouter::server
