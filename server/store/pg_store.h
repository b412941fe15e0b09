// The shared store: several leadrouterd replicas on one PostgreSQL 15.
//
// Every routing write (a route, a lifecycle change, a lapse, a drain) goes
// through one writer thread per replica, which group-commits whatever is
// queued: it opens a transaction, takes the routing lock (a transaction-level
// advisory lock, the same for every replica), brings its copy of the routing
// state up to the database's version, reads the stored records the batch
// needs, runs every decider in queue order, writes the rows, the state and
// the events, and commits (synchronous_commit on) before it answers anyone.
// So decisions of all replicas are made one transaction at a time on exact
// state, the database's constraints refuse anything that would still break
// an invariant, and the event cursor is assigned in commit order.
//
// The copy of the routing state is only a cache: it is checked against
// store_clock.version under the lock before every batch, and refreshed from
// the rows that changed since (their changed_at). Reads (Get, List, Events,
// the audit trail) go to a small pool of connections and never take the
// routing lock. A listener connection LISTENs for commits of other replicas
// (so watchers see their events at once) and for configs they publish, and
// polls as a backstop. The shared config (running_config) is also checked
// by every batch under the routing lock, so a route that starts after a
// config was published anywhere is decided on it.
//
//   auto store = PgStore::Open({.conninfo = "postgresql://db/leadrouter"});
#ifndef LEADROUTER_SERVER_STORE_PG_STORE_H_
#define LEADROUTER_SERVER_STORE_PG_STORE_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/store/assignment_store.h"
#include "server/store/pg_db.h"

namespace leadrouter::server {

class PgStore final : public AssignmentStore {
 public:
  // A rep's capacity as the running config has it; nullopt for a rep it
  // does not know (the database then checks no limit for that write).
  using CapacityFn =
      std::function<std::optional<int>(const std::string& rep_id)>;
  // As SqliteStore's: told after every commit whether it worked, how long
  // it took and how many changes it held; runs on the writer thread.
  using CommitObserver = std::function<void(const absl::Status& status,
                                            absl::Duration took, int changes)>;
  // Told when the store loses or regains the database (listener thread).
  using ReachObserver = std::function<void(bool reachable)>;

  struct Options {
    std::string conninfo = "";
    CapacityFn capacity = nullptr;
    CommitObserver on_commit = nullptr;
    ReachObserver on_reach = nullptr;
    // How often the listener asks for other replicas' commits when no
    // notification came (notifications can be lost with a connection).
    absl::Duration poll_interval = absl::Seconds(1);
    // Reader connections (Get, List, Events, audit); opened as needed.
    int readers = 4;
  };

  struct CommitStats {
    int64_t commits = 0;  // transactions committed
    int64_t routes = 0;   // changes in them
  };

  // Applies the migrations the database lacks and exits (--migrate_only).
  static absl::StatusOr<int> Migrate(const std::string& conninfo);

  // Connects, migrates, loads the routing state and starts the writer and
  // the listener. UNAVAILABLE when the database cannot be reached.
  static absl::StatusOr<std::unique_ptr<PgStore>> Open(Options options);

  ~PgStore() override;

  void Route(const leadrouter::v1::Lead& lead, Decider decide,
             RouteCallback done) override;
  routing::RoutingState Snapshot() override;
  absl::StatusOr<leadrouter::v1::Assignment> Get(
      const std::string& lead_id) override;
  absl::StatusOr<AssignmentPage> List(const AssignmentQuery& query) override;
  absl::StatusOr<ReplayPage> ReplayLeads(const ReplayQuery& query) override;
  absl::StatusOr<std::vector<leadrouter::v1::AssignmentEvent>>
  TeamEventsBefore(int64_t before_us, int limit) override;
  void Change(const std::string& lead_id, LeadChanger change,
              QueuedDecider reroute, RouteCallback done) override;
  absl::StatusOr<int> ExpireDue(absl::Time now, LeadChanger expire,
                                QueuedDecider reroute) override;
  absl::StatusOr<std::vector<leadrouter::v1::AssignmentEvent>> Events(
      const EventQuery& query) override;
  int64_t LastEventCursor() const override {
    return last_event_.load(std::memory_order_acquire);
  }
  absl::StatusOr<int64_t> OldestCursor() override;
  absl::StatusOr<PruneResult> Prune(const RetentionPolicy& policy,
                                    absl::Time now, int limit) override;
  absl::Status Backup(const std::string& path) override;
  absl::StatusOr<int> DrainWaitingQueues(QueuedDecider decide) override;
  absl::StatusOr<std::vector<QueueDepth>> Queues() override;
  absl::StatusOr<std::vector<MemberLeads>> LeadsByMember(
      int64_t since_us) override;
  absl::StatusOr<std::vector<leadrouter::v1::RepOverride>> RepOverrides()
      override;
  absl::Status SaveRepOverride(
      const leadrouter::v1::RepOverride& override) override;
  absl::StatusOr<std::optional<int64_t>> WebhookPosition(
      const std::string& subscription) override;
  absl::Status AdvanceWebhook(const std::string& subscription,
                              int64_t position,
                              const std::vector<DeadLetter>& dead) override;
  absl::StatusOr<std::vector<DeadLetter>> DeadLetters(
      const std::string& subscription, bool only_retry, int limit) override;
  absl::StatusOr<int> RetryDeadLetters(const std::string& subscription,
                                       int64_t cursor) override;
  absl::Status SettleDeadLetter(const std::string& subscription,
                                int64_t cursor,
                                const std::string& error) override;
  absl::StatusOr<bool> HoldWebhookLease(const std::string& holder,
                                        absl::Duration ttl) override;
  absl::Status AppendAudit(
      const std::vector<leadrouter::v1::AuditEvent>& events) override;
  absl::StatusOr<std::vector<leadrouter::v1::AuditEvent>> ListAudit(
      const AuditQuery& query) override;
  absl::Status SaveConfigVersion(
      const leadrouter::v1::GetConfigResponse& record) override;
  absl::StatusOr<leadrouter::v1::GetConfigResponse> ConfigVersion(
      const std::string& version) override;
  absl::StatusOr<std::optional<SharedConfig>> LoadSharedConfig() override;
  absl::StatusOr<int64_t> PublishConfig(
      const leadrouter::v1::GetConfigResponse& record) override;
  void FollowConfig(ConfigFollower follow) override;
  void Close() override;

  CommitStats Stats() const;

 private:
  // One unit of work for the writer, answered after its batch commits.
  struct Op {
    // kRefresh only brings the state copy up to date (Snapshot).
    enum class Kind { kRoute, kChange, kExpire, kDrain, kRefresh };
    Kind kind = Kind::kRoute;
    leadrouter::v1::Lead lead;  // kRoute
    std::string lead_id;        // kRoute, kChange
    Decider decide;             // kRoute
    LeadChanger change;         // kChange, kExpire
    QueuedDecider reroute;      // kChange, kExpire, kDrain
    RouteCallback done;         // kRoute, kChange
    absl::Time now;             // kExpire
    std::promise<absl::StatusOr<int>>* counted = nullptr;  // kExpire, kDrain
  };

  // Passes a shared config newer than any passed before to the follower.
  void Follow(const SharedConfig& shared);
  // Reads the shared config on `db` and follows it if it is newer than
  // `generation` (known to be there).
  absl::Status FollowFrom(PgConnection& db);

  // A connection of the reader pool, returned to it when done.
  class Reader {
   public:
    Reader(PgStore* store, PgConnection db)
        : store_(store), db_(std::move(db)) {}
    Reader(Reader&& other) noexcept = default;
    ~Reader() {
      // One that broke, or was left inside a transaction, is dropped.
      if (db_.has_value() && db_->idle()) {
        store_->ReturnReader(*std::move(db_));
      }
    }
    PgConnection& operator*() { return *db_; }
    PgConnection* operator->() { return &*db_; }

   private:
    PgStore* store_;
    std::optional<PgConnection> db_;
  };

  explicit PgStore(Options options);

  // Queues `op` for the writer; false once closing.
  bool Enqueue(Op op);
  // Runs a counted op (expire, drain) and waits for its commit.
  absl::StatusOr<int> RunCounted(Op op);
  // (Re)connects the writer and prepares its statements (writer thread).
  absl::Status ConnectWriter();
  // Loads the state copy whole, before the writer starts.
  absl::Status LoadWholeState();
  void WriterLoop();
  void ListenerLoop();
  // A reader connection (made if none is free), or UNAVAILABLE. `pooled`
  // (optional) tells whether it had been used before.
  absl::StatusOr<Reader> TakeReader(bool* pooled = nullptr);
  void ReturnReader(PgConnection db);
  // Closes the idle readers (after one was found broken: the database
  // restarted, and the others were made before that too).
  void DropIdleReaders();

  // Runs `read(connection)` on a reader. When a pooled connection turns out
  // to have broken since its last use, runs it once more on a new one, so a
  // database restart costs no caller an error. Only for what may run twice.
  template <typename Read>
  auto WithReader(Read read) -> decltype(read(std::declval<PgConnection&>())) {
    for (int attempt = 0;; ++attempt) {
      bool pooled = false;
      absl::StatusOr<Reader> db = TakeReader(&pooled);
      if (!db.ok()) return db.status();
      auto result = read(**db);
      if (result.ok() || !pooled || attempt > 0 || (*db)->ok()) return result;
      DropIdleReaders();
    }
  }

  Options options_;

  std::mutex mu_;
  std::condition_variable work_ready_;
  std::vector<Op> queued_;  // guarded by mu_
  bool closing_ = false;    // mu_

  // The writer's connection and its copy of the routing state. The copy is
  // read by Snapshot under state_mu_.
  std::optional<PgConnection> writer_db_;  // writer thread only
  std::mutex state_mu_;
  routing::RoutingState state_;  // state_mu_
  // The store_clock version state_ reflects; -1: unknown, load it whole.
  int64_t state_version_ = -1;  // writer thread only
  std::string drain_after_;     // writer thread only

  std::mutex readers_mu_;
  std::vector<PgConnection> idle_readers_;  // readers_mu_

  std::atomic<int64_t> last_event_ = 0;
  // The event cursor up to which state_ has seen every commit.
  std::atomic<int64_t> state_last_seq_ = 0;
  std::atomic<int64_t> commits_ = 0;
  std::atomic<int64_t> committed_changes_ = 0;
  std::atomic<bool> stop_listener_ = false;
  // The newest config generation passed to the follower (or published).
  std::atomic<int64_t> config_generation_ = 0;
  std::mutex follow_mu_;
  ConfigFollower follow_;  // follow_mu_

  std::thread writer_;
  std::thread listener_;

  friend class PgBatch;
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_STORE_PG_STORE_H_
