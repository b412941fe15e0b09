// The embedded store: one SQLite database file in WAL mode inside the data
// directory, owned by one leadrouterd process (a lock file refuses a second).
//
// Every write is group-committed: callers decide under a mutex against the
// in-memory routing state, queue their change, and one writer thread commits
// everything queued in a single transaction (one fsync for the group), then
// answers every caller. The in-memory state is exact because this process
// is the only writer; it is rebuilt from the database at start. The group
// commit is in sqlite_commit.cc, reads in sqlite_store_reads.cc, the audit
// trail and the config history in sqlite_audit.cc.
//
//   absl::StatusOr<std::unique_ptr<SqliteStore>> store =
//       SqliteStore::Open("/var/lib/leadrouter");
#ifndef LEADROUTER_SERVER_STORE_SQLITE_STORE_H_
#define LEADROUTER_SERVER_STORE_SQLITE_STORE_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/store/assignment_store.h"
#include "server/store/sqlite_db.h"

namespace leadrouter::server {

class SqliteStore final : public AssignmentStore {
 public:
  // Counts since Open, for metrics and benchmarks: routes / commits is the
  // mean group-commit size.
  struct CommitStats {
    int64_t commits = 0;  // transactions committed
    int64_t routes = 0;   // new assignments in them
  };

  // Told after every commit whether it worked, how long it took and how
  // many changes it held (for metrics and health); runs on the writer
  // thread.
  using CommitObserver = std::function<void(
      const absl::Status& status, absl::Duration took, int changes)>;

  // Creates `data_dir` if needed and opens (or creates) leadrouter.db in it.
  // FAILED_PRECONDITION when another process holds the directory.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(
      const std::string& data_dir, CommitObserver on_commit = nullptr);

  // Puts the backup `file` (from Backup, any older schema) in place as the
  // store of the new `data_dir`, checked first: INVALID_ARGUMENT for a file
  // that is not a leadrouter backup, FAILED_PRECONDITION for a newer schema
  // or a directory that already holds a store. Nothing in `data_dir`
  // changes unless the whole file is in place.
  static absl::Status Restore(const std::string& file,
                              const std::string& data_dir);

  ~SqliteStore() override;

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
  absl::StatusOr<int64_t> OldestCursor() override {
    return stream_floor_.load(std::memory_order_acquire);
  }
  absl::StatusOr<PruneResult> Prune(const RetentionPolicy& policy,
                                    absl::Time now, int limit) override;
  absl::Status Backup(const std::string& path) override;
  absl::StatusOr<int> DrainWaitingQueues(QueuedDecider decide) override;
  absl::StatusOr<std::vector<leadrouter::v1::RepOverride>> RepOverrides()
      override;
  absl::Status SaveRepOverride(
      const leadrouter::v1::RepOverride& override) override;
  absl::StatusOr<std::vector<QueueDepth>> Queues() override;
  absl::StatusOr<std::vector<MemberLeads>> LeadsByMember(
      int64_t since_us) override;
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
  // One process: nothing to share.
  absl::StatusOr<std::optional<SharedConfig>> LoadSharedConfig() override {
    return std::nullopt;
  }
  absl::StatusOr<int64_t> PublishConfig(
      const leadrouter::v1::GetConfigResponse&) override {
    return 0;
  }
  void FollowConfig(ConfigFollower) override {}
  void Close() override;

  CommitStats Stats() const;

 private:
  struct PendingWrite {
    leadrouter::v1::Lead lead;
    routing::LeadChange change;
    RouteCallback done;       // null for a lead moved by the store itself
    bool update = false;      // the lead's row exists: rewrite it
    bool rewrite_lead = false;  // with update: store `lead` too (erasure)
  };

  // A stored lead read under mu_.
  struct StoredLead {
    leadrouter::v1::Lead lead;
    leadrouter::v1::Assignment assignment;
  };

  // A lead waiting in a team or rep queue; sorts best score first, then
  // longest waiting.
  struct Waiting {
    int score = 0;
    int64_t queued_at_us = 0;
    std::string lead_id;
    bool operator<(const Waiting& o) const {
      if (score != o.score) return score > o.score;
      if (queued_at_us != o.queued_at_us) return queued_at_us < o.queued_at_us;
      return lead_id < o.lead_id;
    }
  };

  // flock()s data_dir/LOCK; returns its descriptor. FAILED_PRECONDITION
  // when another process holds it.
  static absl::StatusOr<int> LockDataDir(const std::string& data_dir);

  SqliteStore(int lock_fd, std::string path, SqliteDb writer, SqliteDb lookup,
              SqliteDb reader);

  // Rebuilds state_ and waiting_ from the database (mu_ held).
  absl::Status LoadState();
  void NoteQueued(const leadrouter::v1::Lead& lead,
                  const leadrouter::v1::Assignment& a);
  // Takes the lead out of waiting_ if `a` has it in a waiting queue.
  void ForgetQueued(const leadrouter::v1::Assignment& a);
  // The stored assignment of `lead_id`, or nullopt. Uses lookup_ (mu_ held).
  absl::StatusOr<std::optional<leadrouter::v1::Assignment>> Lookup(
      const std::string& lead_id);
  // The stored lead and assignment, or nullopt (mu_ held).
  absl::StatusOr<std::optional<StoredLead>> ReadStored(
      const std::string& lead_id);
  // Applies a change of a stored lead to the state and queues it for the
  // writer, keeping waiting_ in step (mu_ held).
  void ApplyStoredChange(StoredLead stored, routing::LeadChange change,
                         RouteCallback done);
  // Offers waiting leads to `decide`: every queue in turn, or only the
  // queues in `only`; at most `max_offers` (mu_ held).
  absl::StatusOr<int> DrainLocked(const QueuedDecider& decide,
                                  const std::vector<std::string>* only,
                                  int max_offers);
  void WriterLoop();
  absl::Status Commit(std::vector<PendingWrite>& batch);
  // Prune's steps, inside its transaction (write_mu_ held).
  absl::StatusOr<int64_t> PruneClosedLeads(absl::Time cutoff, int limit,
                                           bool* more);
  absl::StatusOr<int64_t> PruneEvents(absl::Time cutoff, int limit,
                                      bool* more);

  const int lock_fd_;
  const std::string path_;    // the database file
  CommitObserver on_commit_;  // set before the writer thread starts
  // The writer connection: the writer thread's for group commits, and
  // pruning's between them.
  std::mutex write_mu_;
  SqliteDb writer_db_;  // guarded by write_mu_

  std::mutex mu_;
  std::condition_variable work_ready_;
  SqliteDb lookup_db_;             // guarded by mu_
  std::optional<SqliteStatement> lookup_statement_;  // on lookup_db_; mu_
  std::optional<SqliteStatement> stored_statement_;  // on lookup_db_; mu_
  routing::RoutingState state_;    // guarded by mu_
  // Waiting queue name -> its leads in the order they are offered; mu_.
  std::map<std::string, std::set<Waiting>> waiting_;
  // The queue the last drain pass ended at; the next starts after it. mu_.
  std::string drain_after_;
  std::vector<PendingWrite> queued_;  // decided, not yet committing; mu_
  // Leads queued or committing, with callers that retried meanwhile and
  // wait for the same commit; mu_.
  absl::flat_hash_map<std::string, std::vector<RouteCallback>> in_flight_;
  bool closing_ = false;  // mu_

  std::mutex reader_mu_;
  SqliteDb reader_db_;  // guarded by reader_mu_

  std::atomic<int64_t> last_event_ = 0;  // cursor of the newest committed
  // The oldest cursor served (stream_floor); raised before the events
  // after the old value are deleted, and read after events are.
  std::atomic<int64_t> stream_floor_ = 0;
  std::atomic<int64_t> commits_ = 0;
  std::atomic<int64_t> committed_routes_ = 0;

  std::thread writer_;
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_STORE_SQLITE_STORE_H_
