// Schema (server/store/sqlite_state.cc): `assignments` holds one row per lead
// (the Assignment and the Lead as serialized protos, plus the columns queries
// filter on); the routing-state tables are updated in the same transaction
// as the rows that change them, so a restart finds them exactly as
// acknowledged.
#include "server/store/sqlite_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/log.h"
#include "server/store/sqlite_state.h"

namespace leadrouter::server {
namespace {

using leadrouter::v1::Assignment;

constexpr char kSelectByLeadId[] =
    "SELECT assignment FROM assignments WHERE lead_id = ?1";

// Keeps a second process off the same data directory: two writers would
// each trust their own in-memory state and over-fill reps.
absl::StatusOr<int> LockDataDir(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat(
        "cannot create data directory ", data_dir, ": ", ec.message()));
  }
  const std::string path = data_dir + "/LOCK";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return absl::FailedPreconditionError(absl::StrCat(
        "data directory ", data_dir,
        " is in use by another leadrouterd (", path, " is locked)"));
  }
  return fd;
}

int64_t RoutedAtMicros(const Assignment& a) {
  return a.routed_at().seconds() * 1000000 + a.routed_at().nanos() / 1000;
}

absl::StatusOr<Assignment> ParseAssignment(const std::string& bytes) {
  Assignment a;
  if (!a.ParseFromString(bytes)) {
    return absl::DataLossError("stored assignment does not parse");
  }
  return a;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(
    const std::string& data_dir) {
  absl::StatusOr<int> lock_fd = LockDataDir(data_dir);
  if (!lock_fd.ok()) return lock_fd.status();
  const std::string path = data_dir + "/leadrouter.db";
  absl::StatusOr<SqliteDb> writer = SqliteDb::Open(path);
  if (!writer.ok()) {
    ::close(*lock_fd);
    return writer.status();
  }
  if (auto s = CreateOrUpgradeSchema(*writer); !s.ok()) {
    ::close(*lock_fd);
    return s;
  }
  absl::StatusOr<SqliteDb> lookup = SqliteDb::Open(path);
  absl::StatusOr<SqliteDb> reader = SqliteDb::Open(path);
  if (!lookup.ok() || !reader.ok()) {
    ::close(*lock_fd);
    return !lookup.ok() ? lookup.status() : reader.status();
  }
  std::unique_ptr<SqliteStore> store(
      new SqliteStore(*lock_fd, *std::move(writer), *std::move(lookup),
                      *std::move(reader)));
  if (auto s = store->LoadState(); !s.ok()) return s;
  store->writer_ = std::thread([s = store.get()] { s->WriterLoop(); });
  return store;
}

SqliteStore::SqliteStore(int lock_fd, SqliteDb writer, SqliteDb lookup,
                         SqliteDb reader)
    : lock_fd_(lock_fd),
      writer_db_(std::move(writer)),
      lookup_db_(std::move(lookup)),
      reader_db_(std::move(reader)) {}

SqliteStore::~SqliteStore() {
  Close();
  ::close(lock_fd_);
}

absl::Status SqliteStore::LoadState() {
  absl::StatusOr<routing::RoutingState> state = LoadRoutingState(lookup_db_);
  if (!state.ok()) return state.status();
  std::map<std::string, std::set<Waiting>> waiting;
  auto q = lookup_db_.Prepare(
      "SELECT queue, score, routed_at_us, lead_id FROM assignments "
      "WHERE state = 2 AND (queue LIKE 'team/%' OR queue LIKE 'rep/%')");
  if (!q.ok()) return q.status();
  while (true) {
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    waiting[q->ColumnText(0)].insert(
        {static_cast<int>(q->ColumnInt64(1)), q->ColumnInt64(2),
         q->ColumnText(3)});
  }
  state_ = *std::move(state);
  waiting_ = std::move(waiting);
  return absl::OkStatus();
}

void SqliteStore::NoteQueued(const leadrouter::v1::Lead& lead,
                             const Assignment& a) {
  if (a.state() == leadrouter::v1::ASSIGNMENT_STATE_QUEUED &&
      routing::IsWaitingQueue(a.queue())) {
    waiting_[a.queue()].insert(
        {lead.score(), RoutedAtMicros(a), lead.id()});
  }
}

absl::StatusOr<std::optional<Assignment>> SqliteStore::Lookup(
    const std::string& lead_id) {
  // Prepared once: this runs for every routed lead.
  if (!lookup_statement_.has_value()) {
    auto q = lookup_db_.Prepare(kSelectByLeadId);
    if (!q.ok()) return q.status();
    lookup_statement_.emplace(*std::move(q));
  }
  SqliteStatement& q = *lookup_statement_;
  q.Reset();
  q.BindText(1, lead_id);
  absl::StatusOr<bool> row = q.Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::nullopt;
  absl::StatusOr<Assignment> a = ParseAssignment(q.ColumnBlob(0));
  q.Reset();  // ends the read transaction, so the WAL can be checkpointed
  if (!a.ok()) return a.status();
  return *std::move(a);
}

void SqliteStore::Route(const leadrouter::v1::Lead& lead, Decider decide,
                        RouteCallback done) {
  std::unique_lock lock(mu_);
  if (closing_) {
    lock.unlock();
    done(absl::UnavailableError("leadrouterd is shutting down; retry"));
    return;
  }
  if (auto it = in_flight_.find(lead.id()); it != in_flight_.end()) {
    it->second.push_back(std::move(done));  // answered by the same commit
    return;
  }
  absl::StatusOr<std::optional<Assignment>> stored = Lookup(lead.id());
  if (!stored.ok() || stored->has_value()) {
    lock.unlock();
    if (!stored.ok()) {
      done(stored.status());
    } else {
      done(RouteOutcome{std::move(**stored), /*replayed=*/true});
    }
    return;
  }
  routing::Decision decision = decide(state_);
  routing::ApplyChanges(decision.changes, &state_);
  NoteQueued(lead, decision.assignment);
  in_flight_[lead.id()];
  queued_.push_back({lead, std::move(decision), std::move(done)});
  work_ready_.notify_one();
}

absl::Status SqliteStore::Commit(const std::vector<PendingRoute>& batch) {
  if (auto s = writer_db_.Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  auto fail = [&](absl::Status s) {
    writer_db_.Exec("ROLLBACK").IgnoreError();
    return s;
  };
  auto insert = writer_db_.Prepare(
      "INSERT INTO assignments (lead_id, state, rep_id, team_id, queue, "
      "routed_at_us, assignment, lead, score) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  // A lead leaving a queue keeps its routed_at_us: the time it arrived.
  auto update = writer_db_.Prepare(
      "UPDATE assignments SET state = ?2, rep_id = ?3, team_id = ?4, "
      "queue = ?5, assignment = ?6 WHERE lead_id = ?1");
  if (!insert.ok()) return fail(insert.status());
  if (!update.ok()) return fail(update.status());
  StateWriter state(writer_db_);

  for (const PendingRoute& route : batch) {
    const Assignment& a = route.decision.assignment;
    SqliteStatement& q = route.update ? *update : *insert;
    q.Reset();
    q.BindText(1, a.lead_id());
    q.BindInt64(2, a.state());
    q.BindText(3, a.rep_id());
    q.BindText(4, a.team_id());
    q.BindText(5, a.queue());
    if (route.update) {
      q.BindBlob(6, a.SerializeAsString());
    } else {
      q.BindInt64(6, RoutedAtMicros(a));
      q.BindBlob(7, a.SerializeAsString());
      q.BindBlob(8, route.lead.SerializeAsString());
      q.BindInt64(9, route.lead.score());
    }
    if (auto s = q.Run(); !s.ok()) return fail(s);
    if (auto s = state.Write(route.decision.changes); !s.ok()) return fail(s);
  }
  if (auto s = writer_db_.Exec("COMMIT"); !s.ok()) return fail(s);
  return absl::OkStatus();
}

void SqliteStore::WriterLoop() {
  while (true) {
    std::vector<PendingRoute> batch;
    {
      std::unique_lock lock(mu_);
      work_ready_.wait(lock, [&] { return !queued_.empty() || closing_; });
      if (queued_.empty()) return;  // closing, and nothing left to commit
      batch.swap(queued_);
    }
    const absl::Status committed = Commit(batch);
    if (committed.ok()) {
      commits_.fetch_add(1, std::memory_order_relaxed);
      committed_routes_.fetch_add(static_cast<int64_t>(batch.size()),
                                  std::memory_order_relaxed);
    }

    std::vector<std::pair<PendingRoute, std::vector<RouteCallback>>> answers;
    {
      std::lock_guard lock(mu_);
      if (!committed.ok()) {
        LogError("store_commit_failed",
                 {{"error", std::string(committed.message())},
                  {"leads", absl::StrCat(batch.size() + queued_.size())}});
        // The in-memory state holds this batch's reservations, and every
        // decision queued since was made on top of them: refuse those too,
        // and rebuild the state from what is really stored.
        for (PendingRoute& later : queued_) batch.push_back(std::move(later));
        queued_.clear();
        if (auto s = LoadState(); !s.ok()) {
          state_ = routing::RoutingState();
          waiting_.clear();
        }
      }
      answers.reserve(batch.size());
      for (PendingRoute& route : batch) {
        auto it = in_flight_.find(route.lead.id());
        std::vector<RouteCallback> retries = std::move(it->second);
        in_flight_.erase(it);
        answers.emplace_back(std::move(route), std::move(retries));
      }
    }
    // Answer outside the lock: callbacks finish RPCs.
    for (auto& [route, retries] : answers) {
      if (committed.ok()) {
        for (RouteCallback& retry : retries) {
          retry(RouteOutcome{route.decision.assignment, /*replayed=*/true});
        }
        if (route.update) {
          const Assignment& a = route.decision.assignment;
          LogInfo("queued_lead_moved",
                  {{"lead_id", a.lead_id()},
                   {"rep_id", a.rep_id()},
                   {"queue", a.queue()},
                   {"rule", a.rule_id()}});
        }
        if (route.done) {
          route.done(RouteOutcome{std::move(route.decision.assignment), false});
        }
      } else {
        for (RouteCallback& retry : retries) retry(committed);
        if (route.done) route.done(committed);
      }
    }
  }
}

SqliteStore::CommitStats SqliteStore::Stats() const {
  return {commits_.load(std::memory_order_relaxed),
          committed_routes_.load(std::memory_order_relaxed)};
}

routing::RoutingState SqliteStore::Snapshot() {
  std::lock_guard lock(mu_);
  return state_;
}

absl::StatusOr<Assignment> SqliteStore::Get(const std::string& lead_id) {
  std::lock_guard lock(reader_mu_);
  auto q = reader_db_.Prepare(kSelectByLeadId);
  if (!q.ok()) return q.status();
  q->BindText(1, lead_id);
  absl::StatusOr<bool> row = q->Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    return absl::NotFoundError(
        absl::StrCat("lead_id: no assignment for lead \"", lead_id, "\""));
  }
  return ParseAssignment(q->ColumnBlob(0));
}

absl::StatusOr<AssignmentPage> SqliteStore::List(const AssignmentQuery& query) {
  std::string sql = "SELECT position, assignment FROM assignments WHERE "
                    "position > ?1";
  if (!query.rep_id.empty()) sql += " AND rep_id = ?2";
  if (!query.team_id.empty()) sql += " AND team_id = ?3";
  sql += " ORDER BY position LIMIT ?4";

  std::lock_guard lock(reader_mu_);
  auto q = reader_db_.Prepare(sql);
  if (!q.ok()) return q.status();
  q->BindInt64(1, query.after_position);
  if (!query.rep_id.empty()) q->BindText(2, query.rep_id);
  if (!query.team_id.empty()) q->BindText(3, query.team_id);
  q->BindInt64(4, query.limit + 1);  // one more tells whether a page follows

  AssignmentPage page;
  while (true) {
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (static_cast<int>(page.assignments.size()) == query.limit) {
      page.more = true;
      break;
    }
    absl::StatusOr<Assignment> a = ParseAssignment(q->ColumnBlob(1));
    if (!a.ok()) return a.status();
    page.last_position = q->ColumnInt64(0);
    page.assignments.push_back(*std::move(a));
  }
  return page;
}

absl::StatusOr<int> SqliteStore::DrainWaitingQueues(QueuedDecider decide) {
  // A queue whose leads keep staying put is left after this many in a row:
  // nobody there is eligible, and the next pass tries again.
  constexpr int kMaxMissesPerQueue = 64;
  // Routing waits while a pass holds the lock, so a pass offers at most this
  // many leads; the next pass starts at the queue after the last one served,
  // so every queue gets its turn.
  constexpr int kMaxOffersPerPass = 512;
  std::lock_guard lock(mu_);
  if (closing_) return 0;
  if (!waiting_statement_.has_value()) {
    auto q = lookup_db_.Prepare(
        "SELECT assignment, lead FROM assignments WHERE lead_id = ?1");
    if (!q.ok()) return q.status();
    waiting_statement_.emplace(*std::move(q));
  }
  int moved = 0;
  int offers = 0;
  absl::Status error;  // stops the pass; what moved so far is still stored
  std::vector<std::pair<std::string, Waiting>> arrivals;  // after the loop
  auto next_queue = waiting_.upper_bound(drain_after_);
  for (size_t k = 0;
       k < waiting_.size() && offers < kMaxOffersPerPass && error.ok(); ++k) {
    if (next_queue == waiting_.end()) next_queue = waiting_.begin();
    auto& [queue, leads] = *next_queue++;
    drain_after_ = queue;
    int misses = 0;
    for (auto it = leads.begin(); it != leads.end() &&
                                  misses < kMaxMissesPerQueue &&
                                  offers < kMaxOffersPerPass;) {
      // Not committed yet (or being moved): its row may not exist.
      if (in_flight_.contains(it->lead_id)) {
        ++it;
        continue;
      }
      SqliteStatement& q = *waiting_statement_;
      q.Reset();
      q.BindText(1, it->lead_id);
      absl::StatusOr<bool> row = q.Step();
      if (!row.ok()) {
        error = row.status();
        break;
      }
      if (!*row) {  // gone (cannot happen while this process owns the db)
        it = leads.erase(it);
        continue;
      }
      Assignment stored;
      leadrouter::v1::Lead lead;
      if (!stored.ParseFromString(q.ColumnBlob(0)) ||
          !lead.ParseFromString(q.ColumnBlob(1))) {
        error = absl::DataLossError(
            absl::StrCat("stored lead ", it->lead_id, " does not parse"));
        break;
      }
      q.Reset();
      ++offers;
      routing::Decision decision = decide(lead, state_);
      Assignment& a = decision.assignment;
      if (a.state() == leadrouter::v1::ASSIGNMENT_STATE_QUEUED &&
          a.queue() == queue) {
        ++misses;
        ++it;
        continue;
      }
      misses = 0;
      *a.mutable_queued_at() = stored.queued_at();
      routing::ApplyChanges(decision.changes, &state_);
      if (a.state() == leadrouter::v1::ASSIGNMENT_STATE_QUEUED &&
          routing::IsWaitingQueue(a.queue())) {
        arrivals.emplace_back(a.queue(), *it);
      }
      in_flight_[lead.id()];
      queued_.push_back({std::move(lead), std::move(decision), nullptr,
                         /*update=*/true});
      it = leads.erase(it);
      ++moved;
    }
  }
  for (auto& [queue, waiting] : arrivals) waiting_[queue].insert(waiting);
  std::erase_if(waiting_, [](const auto& q) { return q.second.empty(); });
  if (moved > 0) work_ready_.notify_one();
  if (!error.ok()) return error;
  return moved;
}

absl::StatusOr<std::vector<QueueDepth>> SqliteStore::Queues() {
  std::lock_guard lock(reader_mu_);
  auto q = reader_db_.Prepare(
      "SELECT queue, count(*), min(routed_at_us) FROM assignments "
      "WHERE state = 2 GROUP BY queue ORDER BY queue");
  if (!q.ok()) return q.status();
  std::vector<QueueDepth> depths;
  while (true) {
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    QueueDepth d;
    d.queue = q->ColumnText(0);
    if (d.queue.starts_with("team/")) d.team_id = d.queue.substr(5);
    d.depth = q->ColumnInt64(1);
    d.oldest_queued_at_us = q->ColumnInt64(2);
    depths.push_back(std::move(d));
  }
  return depths;
}

void SqliteStore::Close() {
  {
    std::lock_guard lock(mu_);
    if (closing_) return;
    closing_ = true;
    work_ready_.notify_one();
  }
  if (writer_.joinable()) writer_.join();
}

}  // namespace leadrouter::server
