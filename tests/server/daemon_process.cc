// fork/exec with stderr on a pipe; a thread keeps reading it so the daemon
// never blocks on a full pipe.
#include "tests/server/daemon_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "gtest/gtest.h"

namespace leadrouter::testing {
namespace {

pid_t Spawn(const std::vector<std::string>& flags, int* stderr_fd) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> argv;
    std::string binary = LEADROUTERD_PATH;
    argv.push_back(binary.data());
    std::vector<std::string> copy = flags;
    for (std::string& f : copy) argv.push_back(f.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(fds[1]);
  *stderr_fd = fds[0];
  return pid;
}

int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::unique_ptr<DaemonProcess> DaemonProcess::Start(
    const std::string& config_path, const std::string& data_dir,
    std::vector<std::string> extra_flags, std::string* log) {
  std::vector<std::string> flags = {"--config=" + config_path,
                                    "--data_dir=" + data_dir,
                                    "--listen=127.0.0.1:0",
                                    "--metrics_listen=127.0.0.1:0"};
  flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
  std::unique_ptr<DaemonProcess> d(new DaemonProcess());
  d->pid_ = Spawn(flags, &d->stderr_fd_);
  if (d->pid_ < 0) return nullptr;

  d->reader_ = std::thread([raw = d.get()] {
    char buffer[4096];
    while (true) {
      const ssize_t n = read(raw->stderr_fd_, buffer, sizeof buffer);
      std::lock_guard lock(raw->mu_);
      if (n <= 0) {
        raw->eof_ = true;
        raw->changed_.notify_all();
        return;
      }
      raw->log_.append(buffer, n);
      raw->changed_.notify_all();
    }
  });
  // Waits for the line {"...","event":"serving","address":"127.0.0.1:N",...}.
  const std::regex serving("\"event\":\"serving\",\"address\":\"([^\"]+)\"");
  const std::regex metrics_address("\"metrics\":\"([^\"]+)\"");
  const std::regex http_address("\"http\":\"([^\"]+)\"");
  std::unique_lock lock(d->mu_);
  const bool started = d->changed_.wait_for(lock, std::chrono::seconds(30), [&] {
    std::smatch match;
    if (std::regex_search(d->log_, match, serving)) {
      d->address_ = match[1];
      std::smatch metrics;
      if (std::regex_search(d->log_, metrics, metrics_address)) {
        d->metrics_address_ = metrics[1];
      }
      if (std::smatch http; std::regex_search(d->log_, http, http_address)) {
        d->http_address_ = http[1];
      }
      return true;
    }
    return d->eof_;
  });
  lock.unlock();
  if (!started || d->address_.empty()) {
    if (log != nullptr) *log = d->Log();
    d->Kill();
    return nullptr;
  }
  return d;
}

int DaemonProcess::RunToExit(const std::vector<std::string>& flags,
                             std::string* log) {
  int fd = -1;
  const pid_t pid = Spawn(flags, &fd);
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) log->append(buffer, n);
  close(fd);
  int status = 0;
  waitpid(pid, &status, 0);
  return ExitCode(status);
}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0) Kill();
}

int DaemonProcess::WaitForExit() {
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  if (reader_.joinable()) reader_.join();
  close(stderr_fd_);
  return ExitCode(status);
}

int DaemonProcess::Terminate() {
  SendTerm();
  return WaitForExit();
}

void DaemonProcess::SendTerm() { kill(pid_, SIGTERM); }

void DaemonProcess::SendHup() { kill(pid_, SIGHUP); }

void DaemonProcess::Kill() {
  kill(pid_, SIGKILL);
  WaitForExit();
}

std::string DaemonProcess::Log() {
  std::lock_guard lock(mu_);
  return log_;
}

std::string MakeTempDir(const std::string& name) {
  const std::string path = ::testing::TempDir() + "leadrouter-" + name + "-" +
                           std::to_string(getpid());
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
  return path;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

}  // namespace leadrouter::testing
