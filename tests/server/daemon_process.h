// Runs the real leadrouterd binary for service tests: on 127.0.0.1 with a
// free port, a config file and a data directory of the test's choosing.
//
//   auto daemon = DaemonProcess::Start(config_path, data_dir);
//   auto channel = grpc::CreateChannel(daemon->address(), ...);
//   EXPECT_EQ(daemon->Terminate(), 0);  // SIGTERM, exit code
#ifndef LEADROUTER_TESTS_SERVER_DAEMON_PROCESS_H_
#define LEADROUTER_TESTS_SERVER_DAEMON_PROCESS_H_

#include <sys/types.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace leadrouter::testing {

class DaemonProcess {
 public:
  // Starts leadrouterd and waits until it logs "serving". Returns nullptr
  // (with the log in `log` if given) if it exits first.
  static std::unique_ptr<DaemonProcess> Start(
      const std::string& config_path, const std::string& data_dir,
      std::vector<std::string> extra_flags = {}, std::string* log = nullptr);

  // Runs leadrouterd to its exit and returns the exit code and its stderr.
  static int RunToExit(const std::vector<std::string>& flags,
                       std::string* log);

  ~DaemonProcess();

  const std::string& address() const { return address_; }
  // host:port of its Prometheus /metrics endpoint.
  const std::string& metrics_address() const { return metrics_address_; }
  // host:port of its HTTP/JSON port (--http_listen), or "off".
  const std::string& http_address() const { return http_address_; }

  // SIGTERM, then the exit code (or 128 + signal if it died of one).
  int Terminate();
  // SIGKILL, as in a crash or `kill -9`.
  void Kill();
  // Sends SIGTERM without waiting; WaitForExit() collects the exit code.
  void SendTerm();
  // The process id (for its /proc figures in benchmarks).
  pid_t pid() const { return pid_; }
  // SIGHUP: re-read the config file.
  void SendHup();
  int WaitForExit();
  // Everything leadrouterd wrote to stderr so far.
  std::string Log();

 private:
  DaemonProcess() = default;

  pid_t pid_ = -1;
  int stderr_fd_ = -1;
  std::string address_;
  std::string metrics_address_;
  std::string http_address_;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable changed_;  // log_ grew or eof_ became true
  std::string log_;
  bool eof_ = false;
};

// A fresh empty directory under the test temp dir.
std::string MakeTempDir(const std::string& name);

// Writes `text` to `path`.
void WriteFile(const std::string& path, const std::string& text);

}  // namespace leadrouter::testing

#endif  // LEADROUTER_TESTS_SERVER_DAEMON_PROCESS_H_
