// Schema (server/store/sqlite_state.cc): `assignments` holds one row per lead
// (the Assignment and the Lead as serialized protos, plus the columns queries
// filter on); `events` holds every change of every lead. The routing-state
// tables and the events are written in the same transaction as the rows
// that change them, so a restart finds them exactly as acknowledged, and the
// change stream never shows a change that was not stored.
#include "server/store/sqlite_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/store/sqlite_rows.h"
#include "server/store/sqlite_state.h"

namespace leadrouter::server {
namespace {

using leadrouter::v1::Assignment;

constexpr char kSelectByLeadId[] =
    "SELECT assignment FROM assignments WHERE lead_id = ?1";

}  // namespace

// Keeps a second process off the same data directory: two writers would
// each trust their own in-memory state and over-fill reps.
absl::StatusOr<int> SqliteStore::LockDataDir(const std::string& data_dir) {
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

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(
    const std::string& data_dir, CommitObserver on_commit) {
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
      new SqliteStore(*lock_fd, path, *std::move(writer), *std::move(lookup),
                      *std::move(reader)));
  if (auto s = store->LoadState(); !s.ok()) return s;
  store->on_commit_ = std::move(on_commit);
  store->writer_ = std::thread([s = store.get()] { s->WriterLoop(); });
  return store;
}

SqliteStore::SqliteStore(int lock_fd, std::string path, SqliteDb writer,
                         SqliteDb lookup, SqliteDb reader)
    : lock_fd_(lock_fd),
      path_(std::move(path)),
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
  // In the order of the covering index, which is the order they are
  // offered in: each insert goes at the end of its set, in constant time.
  auto q = lookup_db_.Prepare(
      "SELECT queue, score, routed_at_us, lead_id FROM assignments "
      "INDEXED BY assignments_waiting "
      "WHERE state = 2 AND (queue LIKE 'team/%' OR queue LIKE 'rep/%') "
      "ORDER BY queue, score DESC, routed_at_us, lead_id");
  if (!q.ok()) return q.status();
  std::set<Waiting>* current = nullptr;
  std::string current_queue;
  while (true) {
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    std::string queue = q->ColumnText(0);
    if (current == nullptr || queue != current_queue) {
      current = &waiting[queue];
      current_queue = std::move(queue);
    }
    current->insert(current->end(),
                    {static_cast<int>(q->ColumnInt64(1)), q->ColumnInt64(2),
                     q->ColumnText(3)});
  }
  auto last = lookup_db_.Prepare("SELECT coalesce(max(seq), 0) FROM events");
  if (!last.ok()) return last.status();
  if (absl::StatusOr<bool> row = last->Step(); !row.ok()) return row.status();
  last_event_.store(last->ColumnInt64(0), std::memory_order_release);
  auto floor = lookup_db_.Prepare("SELECT cursor FROM stream_floor");
  if (!floor.ok()) return floor.status();
  if (absl::StatusOr<bool> row = floor->Step(); !row.ok()) return row.status();
  stream_floor_.store(floor->ColumnInt64(0), std::memory_order_release);
  state_ = *std::move(state);
  waiting_ = std::move(waiting);
  return absl::OkStatus();
}

void SqliteStore::NoteQueued(const leadrouter::v1::Lead& lead,
                             const Assignment& a) {
  if (a.state() == leadrouter::v1::ASSIGNMENT_STATE_QUEUED &&
      routing::IsWaitingQueue(a.queue())) {
    waiting_[a.queue()].insert({lead.score(), Micros(a.queued_at()), lead.id()});
  }
}

void SqliteStore::ForgetQueued(const Assignment& a) {
  if (a.state() != leadrouter::v1::ASSIGNMENT_STATE_QUEUED) return;
  auto queue = waiting_.find(a.queue());
  if (queue == waiting_.end()) return;
  std::erase_if(queue->second,
                [&](const Waiting& w) { return w.lead_id == a.lead_id(); });
  if (queue->second.empty()) waiting_.erase(queue);
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

absl::StatusOr<std::optional<SqliteStore::StoredLead>> SqliteStore::ReadStored(
    const std::string& lead_id) {
  if (!stored_statement_.has_value()) {
    auto q = lookup_db_.Prepare(
        "SELECT assignment, lead FROM assignments WHERE lead_id = ?1");
    if (!q.ok()) return q.status();
    stored_statement_.emplace(*std::move(q));
  }
  SqliteStatement& q = *stored_statement_;
  q.Reset();
  q.BindText(1, lead_id);
  absl::StatusOr<bool> row = q.Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::nullopt;
  StoredLead stored;
  absl::StatusOr<Assignment> a = ParseAssignment(q.ColumnBlob(0));
  absl::StatusOr<leadrouter::v1::Lead> lead = ParseLead(q.ColumnBlob(1));
  q.Reset();
  if (a.ok()) stored.assignment = *std::move(a);
  if (lead.ok()) stored.lead = *std::move(lead);
  if (!a.ok() || !lead.ok()) {
    return absl::DataLossError(
        absl::StrCat("stored lead ", lead_id, " does not parse"));
  }
  return stored;
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
  routing::LeadChange change = decide(lead, state_);
  routing::ApplyChanges(change.changes, &state_);
  NoteQueued(lead, change.assignment);
  in_flight_[lead.id()];
  queued_.push_back({lead, std::move(change), std::move(done)});
  work_ready_.notify_one();
}

void SqliteStore::ApplyStoredChange(StoredLead stored,
                                    routing::LeadChange change,
                                    RouteCallback done) {
  routing::ApplyChanges(change.changes, &state_);
  ForgetQueued(stored.assignment);
  const bool rewrite_lead = change.lead.has_value();
  leadrouter::v1::Lead lead =
      rewrite_lead ? *std::move(change.lead) : std::move(stored.lead);
  NoteQueued(lead, change.assignment);
  in_flight_[lead.id()];
  queued_.push_back({std::move(lead), std::move(change), std::move(done),
                     /*update=*/true, rewrite_lead});
}

void SqliteStore::Change(const std::string& lead_id, LeadChanger change,
                         QueuedDecider reroute, RouteCallback done) {
  std::unique_lock lock(mu_);
  auto refuse = [&](absl::Status s) {
    lock.unlock();
    done(std::move(s));
  };
  if (closing_) {
    return refuse(absl::UnavailableError("leadrouterd is shutting down; retry"));
  }
  if (in_flight_.contains(lead_id)) {
    return refuse(absl::AbortedError(absl::StrCat(
        "lead ", lead_id,
        " has another change being stored; read it again and retry")));
  }
  absl::StatusOr<std::optional<StoredLead>> stored = ReadStored(lead_id);
  if (!stored.ok()) return refuse(stored.status());
  if (!stored->has_value()) {
    return refuse(absl::NotFoundError(
        absl::StrCat("lead_id: no assignment for lead \"", lead_id, "\"")));
  }
  absl::StatusOr<std::optional<routing::LeadChange>> result =
      change((*stored)->lead, (*stored)->assignment, state_);
  if (!result.ok()) return refuse(result.status());
  if (!result->has_value()) {  // nothing to do: the record as it is
    lock.unlock();
    done(RouteOutcome{std::move((*stored)->assignment), /*replayed=*/true});
    return;
  }
  std::vector<std::string> freed = (*result)->freed_queues;
  ApplyStoredChange(**std::move(stored), **std::move(result), std::move(done));
  if (!freed.empty()) {
    // A failure here leaves the waiting leads for the periodic drain.
    DrainLocked(reroute, &freed, kMaxOffersPerChange).IgnoreError();
  }
  work_ready_.notify_one();
}

absl::StatusOr<int> SqliteStore::ExpireDue(absl::Time now, LeadChanger expire,
                                           QueuedDecider reroute) {
  std::lock_guard lock(mu_);
  if (closing_) return 0;
  std::vector<std::string> due;
  {
    auto q = lookup_db_.Prepare(
        "SELECT lead_id FROM assignments WHERE sla_due_us > 0 AND "
        "sla_due_us <= ?1 ORDER BY sla_due_us LIMIT ?2");
    if (!q.ok()) return q.status();
    q->BindInt64(1, absl::ToUnixMicros(now));
    q->BindInt64(2, kMaxExpiriesPerPass);
    while (true) {
      absl::StatusOr<bool> row = q->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      due.push_back(q->ColumnText(0));
    }
  }
  int changed = 0;
  std::vector<std::string> freed;
  for (const std::string& lead_id : due) {
    if (in_flight_.contains(lead_id)) continue;  // being changed; next pass
    absl::StatusOr<std::optional<StoredLead>> stored = ReadStored(lead_id);
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) continue;
    absl::StatusOr<std::optional<routing::LeadChange>> result =
        expire((*stored)->lead, (*stored)->assignment, state_);
    if (!result.ok() || !result->has_value()) continue;
    for (const std::string& q : (*result)->freed_queues) freed.push_back(q);
    ApplyStoredChange(**std::move(stored), **std::move(result), nullptr);
    ++changed;
  }
  if (!freed.empty()) {
    DrainLocked(reroute, &freed, kMaxOffersPerChange).IgnoreError();
  }
  if (changed > 0) work_ready_.notify_one();
  return changed;
}

absl::StatusOr<int> SqliteStore::DrainWaitingQueues(QueuedDecider decide) {
  std::lock_guard lock(mu_);
  if (closing_) return 0;
  absl::StatusOr<int> moved = DrainLocked(decide, nullptr, kMaxOffersPerPass);
  if (moved.ok() && *moved > 0) work_ready_.notify_one();
  return moved;
}

absl::StatusOr<int> SqliteStore::DrainLocked(
    const QueuedDecider& decide, const std::vector<std::string>* only,
    int max_offers) {
  std::vector<std::string> queues;
  if (only != nullptr) {
    for (const std::string& q : *only) {
      if (waiting_.contains(q) &&
          std::find(queues.begin(), queues.end(), q) == queues.end()) {
        queues.push_back(q);
      }
    }
  } else {
    auto next = waiting_.upper_bound(drain_after_);
    for (size_t k = 0; k < waiting_.size(); ++k, ++next) {
      if (next == waiting_.end()) next = waiting_.begin();
      queues.push_back(next->first);
    }
  }
  int moved = 0;
  int offers = 0;
  absl::Status error;  // stops the pass; what moved so far is still stored
  std::vector<std::pair<std::string, Waiting>> arrivals;  // after the loop
  for (const std::string& queue : queues) {
    if (offers >= max_offers || !error.ok()) break;
    if (only == nullptr) drain_after_ = queue;
    std::set<Waiting>& leads = waiting_[queue];
    int misses = 0;
    for (auto it = leads.begin(); it != leads.end() &&
                                  misses < kMaxMissesPerQueue &&
                                  offers < max_offers;) {
      // Not committed yet (or being moved): its row may not exist.
      if (in_flight_.contains(it->lead_id)) {
        ++it;
        continue;
      }
      absl::StatusOr<std::optional<StoredLead>> stored = ReadStored(it->lead_id);
      if (!stored.ok()) {
        error = stored.status();
        break;
      }
      if (!stored->has_value()) {  // gone (cannot happen: we own the db)
        it = leads.erase(it);
        continue;
      }
      ++offers;
      routing::LeadChange change =
          decide((*stored)->lead, (*stored)->assignment, state_);
      const Assignment& a = change.assignment;
      if (a.state() == leadrouter::v1::ASSIGNMENT_STATE_QUEUED &&
          a.queue() == queue) {
        ++misses;
        ++it;
        continue;
      }
      misses = 0;
      routing::ApplyChanges(change.changes, &state_);
      if (a.state() == leadrouter::v1::ASSIGNMENT_STATE_QUEUED &&
          routing::IsWaitingQueue(a.queue())) {
        arrivals.emplace_back(a.queue(), *it);
      }
      in_flight_[it->lead_id];
      queued_.push_back({std::move((*stored)->lead), std::move(change),
                         nullptr, /*update=*/true});
      it = leads.erase(it);
      ++moved;
    }
  }
  for (auto& [queue, waiting] : arrivals) waiting_[queue].insert(waiting);
  std::erase_if(waiting_, [](const auto& q) { return q.second.empty(); });
  if (!error.ok()) return error;
  return moved;
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
