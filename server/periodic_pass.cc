#include "server/periodic_pass.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/log.h"

namespace leadrouter::server {

PeriodicPass::PeriodicPass(std::string name, absl::Duration interval,
                           std::function<absl::StatusOr<int>()> pass)
    : name_(std::move(name)), interval_(interval), pass_(std::move(pass)) {
  thread_ = std::thread([this] { Loop(); });
}

void PeriodicPass::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PeriodicPass::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    absl::StatusOr<int> changed = pass_();
    if (!changed.ok()) {
      LogError((name_ + "_failed").c_str(),
               {{"error", std::string(changed.status().message())}});
    } else if (*changed > 0) {
      LogInfo(name_.c_str(), {{"leads", absl::StrCat(*changed)}});
    }
    lock.lock();
    wake_.wait_for(lock,
                   std::chrono::microseconds(
                       absl::ToInt64Microseconds(interval_)),
                   [&] { return stopping_; });
  }
}

}  // namespace leadrouter::server
