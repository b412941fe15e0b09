#include "tests/server/pg_cluster.h"

#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "server/store/pg_db.h"

namespace leadrouter::server {
namespace {

// The newest PostgreSQL under /usr/lib/postgresql (Debian's layout).
std::string FindBin() {
  std::string best;
  std::error_code ec;
  for (const auto& e :
       std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string bin = e.path().string() + "/bin";
    if (std::filesystem::exists(bin + "/pg_ctl") && bin > best) best = bin;
  }
  return best;
}

int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::string Tail(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

}  // namespace

absl::Status PgCluster::Run(const std::string& command) const {
  // As root, run PostgreSQL's tools as the postgres user.
  const std::string full =
      ::geteuid() == 0 ? absl::StrCat("runuser -u postgres -- ", command)
                       : command;
  const int rc = std::system((full + " >>" + dir_ + "/tools.log 2>&1").c_str());
  if (rc != 0) {
    return absl::InternalError(absl::StrCat("`", command, "` failed (", rc,
                                            "): ", Tail(dir_ + "/tools.log"),
                                            Tail(dir_ + "/server.log")));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<PgCluster>> PgCluster::Start() {
  const std::string bin = FindBin();
  if (bin.empty()) {
    return absl::FailedPreconditionError(
        "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/pg_ctl); "
        "run deploy/install-deps.sh");
  }
  char tmpl[] = "/tmp/leadrouter-pg-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    return absl::InternalError("mkdtemp failed");
  }
  std::unique_ptr<PgCluster> pg(new PgCluster(tmpl, bin));
  if (::geteuid() == 0) {
    const passwd* user = ::getpwnam("postgres");
    if (user == nullptr) {
      return absl::FailedPreconditionError(
          "running as root, and there is no `postgres` user to run "
          "PostgreSQL as (install Debian's postgresql package)");
    }
    if (::chown(tmpl, user->pw_uid, user->pw_gid) != 0) {
      return absl::InternalError("chown of the cluster directory failed");
    }
  }
  // Fast to create (no fsync of the template files); the server itself runs
  // with fsync on.
  if (auto s = pg->Run(absl::StrCat(bin, "/initdb -D ", pg->dir_,
                                    "/data -U leadrouter -A trust "
                                    "--no-sync --no-locale -E UTF8"));
      !s.ok()) {
    return s;
  }
  for (int attempt = 0; attempt < 5; ++attempt) {
    pg->port_ = FreePort();
    if (pg->Restart().ok()) return pg;
  }
  return absl::InternalError(absl::StrCat("PostgreSQL did not start: ",
                                          Tail(pg->dir_ + "/server.log")));
}

absl::Status PgCluster::Restart() {
  absl::Status s = Run(absl::StrCat(
      bin_, "/pg_ctl -D ", dir_, "/data -l ", dir_, "/server.log -w -t 120 ",
      "-o \"-p ", port_, " -k ", dir_,
      " -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on "
      "-c max_connections=300 -c shared_buffers=32MB\" start"));
  running_ = s.ok();
  return s;
}

absl::Status PgCluster::Stop(const std::string& mode) {
  absl::Status s = Run(absl::StrCat(bin_, "/pg_ctl -D ", dir_, "/data -m ",
                                    mode, " -w -t 120 stop"));
  if (s.ok()) running_ = false;
  return s;
}

PgCluster::~PgCluster() {
  if (running_) Stop("immediate").IgnoreError();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string PgCluster::Uri(const std::string& database) const {
  return absl::StrCat("postgresql://leadrouter@127.0.0.1:", port_, "/",
                      database);
}

absl::StatusOr<std::string> PgCluster::NewDatabase(const std::string& prefix) {
  absl::StatusOr<PgConnection> admin = PgConnection::Connect(Uri("postgres"));
  if (!admin.ok()) return admin.status();
  const std::string name =
      absl::StrCat(prefix, "_", ::getpid(), "_", ++databases_);
  if (auto s = admin->Exec("CREATE DATABASE " + name); !s.ok()) return s;
  return Uri(name);
}

namespace {
PgCluster* shared_cluster = nullptr;
}  // namespace

PgCluster& PgCluster::Shared() {
  static std::once_flag once;
  std::call_once(once, [] {
    absl::StatusOr<std::unique_ptr<PgCluster>> pg = PgCluster::Start();
    if (!pg.ok()) {
      std::fprintf(stderr, "cannot start PostgreSQL: %s\n",
                   std::string(pg.status().message()).c_str());
      std::abort();
    }
    shared_cluster = pg->release();
    // Stopped and removed when the test process exits.
    std::atexit([] { delete shared_cluster; });
  });
  return *shared_cluster;
}

}  // namespace leadrouter::server
