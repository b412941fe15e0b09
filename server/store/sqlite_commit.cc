// The group commit of the embedded store: one writer thread takes every
// change queued under the store's lock (routes, transitions, drains, lapses),
// writes them with their state changes and events in one transaction (one
// fsync for the group), then answers their callers. If the commit fails,
// every decision made on top of it is refused too and the in-memory state is
// rebuilt from the database.
#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/log.h"
#include "server/store/sqlite_rows.h"
#include "server/store/sqlite_state.h"
#include "server/store/sqlite_store.h"

namespace leadrouter::server {
using leadrouter::v1::Assignment;

absl::Status SqliteStore::Commit(std::vector<PendingWrite>& batch) {
  if (auto s = writer_db_.Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  auto fail = [&](absl::Status s) {
    writer_db_.Exec("ROLLBACK").IgnoreError();
    return s;
  };
  auto insert = writer_db_.Prepare(
      "INSERT INTO assignments (lead_id, state, rep_id, team_id, queue, "
      "routed_at_us, assignment, lead, score, sla_due_us) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  // A lead changing keeps its routed_at_us: the time it arrived.
  auto update = writer_db_.Prepare(
      "UPDATE assignments SET state = ?2, rep_id = ?3, team_id = ?4, "
      "queue = ?5, assignment = ?6, sla_due_us = ?7, "
      "lead = coalesce(?8, lead), closed_at_us = ?9 WHERE lead_id = ?1");
  auto event = writer_db_.Prepare(
      "INSERT INTO events (lead_id, rep_id, previous_rep_id, team_id, at_us, "
      "event) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!insert.ok()) return fail(insert.status());
  if (!update.ok()) return fail(update.status());
  if (!event.ok()) return fail(event.status());
  StateWriter state(writer_db_);

  int64_t last_event = 0;
  bool erased = false;
  for (PendingWrite& w : batch) {
    const Assignment& a = w.change.assignment;
    SqliteStatement& q = w.update ? *update : *insert;
    q.Reset();
    q.BindText(1, a.lead_id());
    q.BindInt64(2, a.state());
    q.BindText(3, a.rep_id());
    q.BindText(4, a.team_id());
    q.BindText(5, a.queue());
    if (w.update) {
      q.BindBlob(6, PackAssignment(w.change.assignment));
      q.BindInt64(7, DueMicros(a));
      if (w.rewrite_lead) q.BindBlob(8, PackLead(w.lead));
      q.BindInt64(9, ClosedMicros(a));
    } else {
      q.BindInt64(6, Micros(a.routed_at()));
      q.BindBlob(7, PackAssignment(w.change.assignment));
      q.BindBlob(8, PackLead(w.lead));
      q.BindInt64(9, w.lead.score());
      q.BindInt64(10, DueMicros(a));
    }
    if (auto s = q.Run(); !s.ok()) return fail(s);
    if (auto s = state.Write(w.change.changes); !s.ok()) return fail(s);
    for (const leadrouter::v1::AssignmentEvent& e : w.change.events) {
      event->Reset();
      event->BindText(1, e.lead_id());
      event->BindText(2, e.rep_id());
      event->BindText(3, e.previous_rep_id());
      event->BindText(4, e.team_id());
      event->BindInt64(5, Micros(e.time()));
      event->BindBlob(6, e.SerializeAsString());
      if (auto s = event->Run(); !s.ok()) return fail(s);
      last_event = writer_db_.LastInsertRowid();
    }
    if (w.change.scrub_history) {
      if (auto s = ScrubEvents(writer_db_, a.lead_id(),
                               w.change.scrubbed_domain);
          !s.ok()) {
        return fail(s);
      }
      erased = true;
    }
  }
  if (auto s = writer_db_.Exec("COMMIT"); !s.ok()) return fail(s);
  if (last_event > 0) last_event_.store(last_event, std::memory_order_release);
  if (erased) {
    // The WAL still holds the pages as they were before the erasure: copy
    // them into the database and cut the WAL to zero bytes.
    if (auto s = writer_db_.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); !s.ok()) {
      LogError("erasure_checkpoint_failed",
               {{"error", std::string(s.message())}});
    }
  }
  return absl::OkStatus();
}

void SqliteStore::WriterLoop() {
  while (true) {
    std::vector<PendingWrite> batch;
    {
      std::unique_lock lock(mu_);
      work_ready_.wait(lock, [&] { return !queued_.empty() || closing_; });
      if (queued_.empty()) return;  // closing, and nothing left to commit
      batch.swap(queued_);
    }
    const auto start = std::chrono::steady_clock::now();
    absl::Status committed;
    {
      std::lock_guard write(write_mu_);
      committed = Commit(batch);
    }
    if (on_commit_) {
      on_commit_(committed,
                 absl::FromChrono(std::chrono::steady_clock::now() - start),
                 static_cast<int>(batch.size()));
    }
    if (committed.ok()) {
      commits_.fetch_add(1, std::memory_order_relaxed);
      committed_routes_.fetch_add(static_cast<int64_t>(batch.size()),
                                  std::memory_order_relaxed);
    }

    std::vector<std::pair<PendingWrite, std::vector<RouteCallback>>> answers;
    {
      std::lock_guard lock(mu_);
      if (!committed.ok()) {
        LogError("store_commit_failed",
                 {{"error", std::string(committed.message())},
                  {"leads", absl::StrCat(batch.size() + queued_.size())}});
        // The in-memory state holds this batch's reservations, and every
        // decision queued since was made on top of them: refuse those too,
        // and rebuild the state from what is really stored.
        for (PendingWrite& later : queued_) batch.push_back(std::move(later));
        queued_.clear();
        if (auto s = LoadState(); !s.ok()) {
          state_ = routing::RoutingState();
          waiting_.clear();
        }
      }
      answers.reserve(batch.size());
      for (PendingWrite& w : batch) {
        auto it = in_flight_.find(w.lead.id());
        std::vector<RouteCallback> retries = std::move(it->second);
        in_flight_.erase(it);
        answers.emplace_back(std::move(w), std::move(retries));
      }
    }
    // Answer outside the lock: callbacks finish RPCs.
    for (auto& [w, retries] : answers) {
      Assignment& a = w.change.assignment;
      if (committed.ok()) {
        for (RouteCallback& retry : retries) {
          retry(RouteOutcome{a, /*replayed=*/true});
        }
        if (w.update && !w.done) {
          LogInfo("lead_moved", {{"lead_id", a.lead_id()},
                                 {"rep_id", a.rep_id()},
                                 {"queue", a.queue()},
                                 {"rule", a.rule_id()}});
        }
        if (w.done) w.done(RouteOutcome{std::move(a), false});
      } else {
        for (RouteCallback& retry : retries) retry(committed);
        if (w.done) w.done(committed);
      }
    }
  }
}

SqliteStore::CommitStats SqliteStore::Stats() const {
  return {commits_.load(std::memory_order_relaxed),
          committed_routes_.load(std::memory_order_relaxed)};
}

}  // namespace leadrouter::server
