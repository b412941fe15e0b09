// A throwaway PostgreSQL 15 cluster for tests: initdb into a temporary
// directory, started on a free port on 127.0.0.1 with fsync on, stopped and
// removed by the destructor. PostgreSQL refuses to run as root, so under
// root (as in CI) initdb and pg_ctl run as the unprivileged `postgres` user
// (runuser); as anyone else they run as that user.
//
//   absl::StatusOr<std::unique_ptr<PgCluster>> pg = PgCluster::Start();
//   absl::StatusOr<std::string> uri = (*pg)->NewDatabase("conformance");
//   (*pg)->Stop("immediate");  (*pg)->Start();   // a database restart
#ifndef LEADROUTER_TESTS_SERVER_PG_CLUSTER_H_
#define LEADROUTER_TESTS_SERVER_PG_CLUSTER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace leadrouter::server {

class PgCluster {
 public:
  static absl::StatusOr<std::unique_ptr<PgCluster>> Start();
  ~PgCluster();

  // A new, empty database; its libpq URI.
  absl::StatusOr<std::string> NewDatabase(const std::string& prefix);
  std::string Uri(const std::string& database) const;
  int port() const { return port_; }

  // pg_ctl stop -m `mode` ("fast", "immediate"), and start again.
  absl::Status Stop(const std::string& mode);
  absl::Status Restart();

  // A cluster shared by every test of the process, started on first use.
  static PgCluster& Shared();

 private:
  PgCluster(std::string dir, std::string bin) : dir_(dir), bin_(bin) {}
  absl::Status Run(const std::string& command) const;

  std::string dir_;  // holds data/, the socket and log
  std::string bin_;  // PostgreSQL's bin directory
  int port_ = 0;
  bool running_ = false;
  int databases_ = 0;
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_TESTS_SERVER_PG_CLUSTER_H_
