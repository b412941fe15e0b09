// Opening the shared store, queueing work for its writer (pg_commit.cc), the
// listener that follows other replicas' commits, and the reader pool used by
// pg_store_reads.cc.
#include "server/store/pg_store.h"

#include <poll.h>

#include <chrono>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/log.h"
#include "server/store/pg_schema.h"
#include "server/store/pg_state.h"

namespace leadrouter::server {
namespace {

constexpr char kShuttingDown[] = "leadrouterd is shutting down; retry";

}  // namespace

absl::StatusOr<int> PgStore::Migrate(const std::string& conninfo) {
  absl::StatusOr<PgConnection> db = PgConnection::Connect(conninfo);
  if (!db.ok()) return db.status();
  return MigratePgSchema(*db);
}

absl::StatusOr<std::unique_ptr<PgStore>> PgStore::Open(Options options) {
  absl::StatusOr<PgConnection> db = PgConnection::Connect(options.conninfo);
  if (!db.ok()) return db.status();
  if (absl::StatusOr<int> migrated = MigratePgSchema(*db); !migrated.ok()) {
    return migrated.status();
  }
  absl::StatusOr<PgResult> clock =
      db->Query("SELECT last_seq FROM store_clock WHERE id = 1");
  if (!clock.ok()) return clock.status();
  std::unique_ptr<PgStore> store(new PgStore(std::move(options)));
  store->last_event_.store(clock->Int(0, 0), std::memory_order_release);
  // The state copy is there from the start (Snapshot, dry runs).
  if (auto s = store->ConnectWriter(); !s.ok()) return s;
  if (auto s = store->LoadWholeState(); !s.ok()) return s;
  store->idle_readers_.push_back(*std::move(db));
  store->writer_ = std::thread([s = store.get()] { s->WriterLoop(); });
  store->listener_ = std::thread([s = store.get()] { s->ListenerLoop(); });
  return store;
}

PgStore::PgStore(Options options) : options_(std::move(options)) {}

absl::Status PgStore::LoadWholeState() {
  PgConnection& db = *writer_db_;
  // One snapshot: the rows and the version they make up.
  if (auto s = db.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      !s.ok()) {
    return s;
  }
  absl::StatusOr<PgResult> clock =
      db.Query("SELECT version FROM store_clock WHERE id = 1");
  absl::Status s = clock.status();
  if (s.ok()) {
    std::lock_guard lock(state_mu_);
    s = RefreshPgState(db, -1, &state_);
  }
  if (s.ok()) s = db.Exec("COMMIT");
  if (!s.ok()) {
    db.Exec("ROLLBACK").IgnoreError();
    return s;
  }
  state_version_ = clock->Int(0, 0);
  state_last_seq_.store(last_event_.load());
  return absl::OkStatus();
}

PgStore::~PgStore() { Close(); }

bool PgStore::Enqueue(Op op) {
  std::unique_lock lock(mu_);
  if (closing_) return false;
  queued_.push_back(std::move(op));
  work_ready_.notify_one();
  return true;
}

void PgStore::Route(const leadrouter::v1::Lead& lead, Decider decide,
                    RouteCallback done) {
  Op op;
  op.kind = Op::Kind::kRoute;
  op.lead = lead;
  op.lead_id = lead.id();
  op.decide = std::move(decide);
  op.done = done;
  if (!Enqueue(std::move(op))) done(absl::UnavailableError(kShuttingDown));
}

void PgStore::Change(const std::string& lead_id, LeadChanger change,
                     QueuedDecider reroute, RouteCallback done) {
  Op op;
  op.kind = Op::Kind::kChange;
  op.lead_id = lead_id;
  op.change = std::move(change);
  op.reroute = std::move(reroute);
  op.done = done;
  if (!Enqueue(std::move(op))) done(absl::UnavailableError(kShuttingDown));
}

absl::StatusOr<int> PgStore::RunCounted(Op op) {
  std::promise<absl::StatusOr<int>> result;
  op.counted = &result;
  std::future<absl::StatusOr<int>> answer = result.get_future();
  if (!Enqueue(std::move(op))) return 0;  // closing: nothing to do
  return answer.get();
}

absl::StatusOr<int> PgStore::ExpireDue(absl::Time now, LeadChanger expire,
                                       QueuedDecider reroute) {
  Op op;
  op.kind = Op::Kind::kExpire;
  op.now = now;
  op.change = std::move(expire);
  op.reroute = std::move(reroute);
  return RunCounted(std::move(op));
}

absl::StatusOr<int> PgStore::DrainWaitingQueues(QueuedDecider decide) {
  Op op;
  op.kind = Op::Kind::kDrain;
  op.reroute = std::move(decide);
  return RunCounted(std::move(op));
}

routing::RoutingState PgStore::Snapshot() {
  // Other replicas committed since the copy was brought up to date (the
  // listener saw their cursors): refresh it first. Without the database,
  // the copy as it is.
  if (LastEventCursor() > state_last_seq_.load()) {
    Op op;
    op.kind = Op::Kind::kRefresh;
    RunCounted(std::move(op)).IgnoreError();
  }
  std::lock_guard lock(state_mu_);
  return state_;
}

void PgStore::Close() {
  {
    std::lock_guard lock(mu_);
    if (closing_ && !writer_.joinable()) return;
    closing_ = true;
    work_ready_.notify_one();
  }
  if (writer_.joinable()) writer_.join();
  stop_listener_.store(true);
  if (listener_.joinable()) listener_.join();
}

absl::StatusOr<std::optional<SharedConfig>> PgStore::LoadSharedConfig() {
  return WithReader([](PgConnection& db)
                        -> absl::StatusOr<std::optional<SharedConfig>> {
    absl::StatusOr<PgResult> row =
        db.Query("SELECT generation, record FROM running_config WHERE id = 1");
    if (!row.ok()) return row.status();
    if (row->rows() == 0) return std::nullopt;
    SharedConfig shared;
    shared.generation = row->Int(0, 0);
    if (!shared.record.ParseFromString(row->Bytes(0, 1))) {
      return absl::DataLossError("the shared running config does not parse");
    }
    return shared;
  });
}

absl::StatusOr<int64_t> PgStore::PublishConfig(
    const leadrouter::v1::GetConfigResponse& record) {
  absl::StatusOr<Reader> db = TakeReader();
  if (!db.ok()) return db.status();
  std::vector<PgResult> results;
  {
    PgPipeline p(**db);
    p.SendSql("BEGIN");
    p.SendSql(
        "INSERT INTO running_config (id, generation, record) "
        "VALUES (1, 1, $1) ON CONFLICT (id) DO UPDATE SET "
        "generation = running_config.generation + 1, "
        "record = excluded.record RETURNING generation",
        PgParams().Bytes(record.SerializeAsString()));
    // Delivered at commit: listeners of every replica read it then.
    p.SendSql("SELECT pg_notify('leadrouter_changes', 'config')");
    p.SendSql("COMMIT");
    absl::StatusOr<std::vector<PgResult>> r = p.Sync();
    if (!r.ok()) {
      p.SendSql("ROLLBACK");
      p.Sync().IgnoreError();
      return r.status();
    }
    results = *std::move(r);
  }
  const int64_t generation = results[1].Int(0, 0);
  // This replica runs it already (the caller swaps it in): not followed.
  int64_t seen = config_generation_.load();
  while (generation > seen &&
         !config_generation_.compare_exchange_weak(seen, generation)) {
  }
  return generation;
}

void PgStore::FollowConfig(ConfigFollower follow) {
  std::lock_guard lock(follow_mu_);
  follow_ = std::move(follow);
}

void PgStore::Follow(const SharedConfig& shared) {
  std::lock_guard lock(follow_mu_);
  int64_t seen = config_generation_.load();
  if (shared.generation <= seen) return;
  if (follow_) follow_(shared.record, shared.generation);
  // Marked seen only once it runs: a batch that finds this generation
  // unseen follows it too, and so waits here (follow_mu_) until the table
  // it decides with is this one.
  while (shared.generation > seen &&
         !config_generation_.compare_exchange_weak(seen, shared.generation)) {
  }
}

absl::Status PgStore::FollowFrom(PgConnection& db) {
  absl::StatusOr<PgResult> row =
      db.Query("SELECT generation, record FROM running_config WHERE id = 1");
  if (!row.ok()) return row.status();
  if (row->rows() == 0) return absl::OkStatus();
  SharedConfig shared;
  shared.generation = row->Int(0, 0);
  if (shared.generation <= config_generation_.load()) return absl::OkStatus();
  if (!shared.record.ParseFromString(row->Bytes(0, 1))) {
    return absl::DataLossError("the shared running config does not parse");
  }
  Follow(shared);
  return absl::OkStatus();
}

PgStore::CommitStats PgStore::Stats() const {
  return {commits_.load(std::memory_order_relaxed),
          committed_changes_.load(std::memory_order_relaxed)};
}

// Follows the commits of every replica: each routing commit NOTIFYs
// leadrouter_changes with its newest event cursor, delivered when it commits.
// Notifications sent while this connection was down are lost, so it also
// reads store_clock every poll interval. It reports whether the database is
// reachable, which turns health NOT_SERVING while it is not.
void PgStore::ListenerLoop() {
  std::optional<PgConnection> db;
  bool reachable = true;
  auto report = [&](bool now_reachable) {
    if (now_reachable == reachable) return;
    reachable = now_reachable;
    if (now_reachable) {
      LogInfo("store_reachable", {});
    } else {
      LogWarning("store_unreachable", {});
    }
    if (options_.on_reach) options_.on_reach(now_reachable);
  };
  auto note_cursor = [&](int64_t seq) {
    int64_t seen = last_event_.load(std::memory_order_acquire);
    while (seq > seen && !last_event_.compare_exchange_weak(seen, seq)) {
    }
  };
  auto read_clock = [&]() -> absl::Status {
    absl::StatusOr<PgResult> clock =
        db->Query("SELECT last_seq FROM store_clock WHERE id = 1");
    if (!clock.ok()) return clock.status();
    note_cursor(clock->Int(0, 0));
    return FollowFrom(*db);
  };
  const auto poll_every = absl::ToChronoMilliseconds(options_.poll_interval);
  auto last_poll = std::chrono::steady_clock::now();
  while (!stop_listener_.load()) {
    if (!db.has_value()) {
      absl::StatusOr<PgConnection> connected =
          PgConnection::Connect(options_.conninfo);
      absl::Status s = connected.status();
      if (s.ok()) {
        db.emplace(*std::move(connected));
        s = db->Exec("LISTEN leadrouter_changes");
        if (s.ok()) s = read_clock();
      }
      if (!s.ok()) {
        db.reset();
        report(false);
        // Retry soon, but let Close stop us meanwhile.
        for (int i = 0; i < 5 && !stop_listener_.load(); ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        continue;
      }
      report(true);
      last_poll = std::chrono::steady_clock::now();
    }
    pollfd fd{db->socket(), POLLIN, 0};
    const int ready = ::poll(&fd, 1, 100);  // short: Close waits for this
    absl::Status s;
    if (ready > 0) {
      absl::StatusOr<std::vector<std::string>> payloads = db->Notifications();
      if (!payloads.ok()) {
        s = payloads.status();
      } else {
        for (const std::string& p : *payloads) {
          int64_t seq = 0;
          if (absl::SimpleAtoi(p, &seq)) {
            note_cursor(seq);
          } else if (p == "config" && s.ok()) {
            s = FollowFrom(*db);
          }
        }
      }
    }
    if (s.ok() && std::chrono::steady_clock::now() - last_poll >= poll_every) {
      s = read_clock();
      last_poll = std::chrono::steady_clock::now();
    }
    if (!s.ok() || !db->ok()) {
      db.reset();
      report(false);
    }
  }
}

absl::StatusOr<PgStore::Reader> PgStore::TakeReader(bool* pooled) {
  {
    std::lock_guard lock(readers_mu_);
    if (!idle_readers_.empty()) {
      PgConnection db = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      if (pooled != nullptr) *pooled = true;
      return Reader(this, std::move(db));
    }
  }
  absl::StatusOr<PgConnection> db = PgConnection::Connect(options_.conninfo);
  if (!db.ok()) return db.status();
  return Reader(this, *std::move(db));
}

void PgStore::DropIdleReaders() {
  std::vector<PgConnection> dropped;
  {
    std::lock_guard lock(readers_mu_);
    dropped.swap(idle_readers_);
  }
}

void PgStore::ReturnReader(PgConnection db) {
  std::lock_guard lock(readers_mu_);
  if (static_cast<int>(idle_readers_.size()) < options_.readers) {
    idle_readers_.push_back(std::move(db));
  }
}

}  // namespace leadrouter::server
