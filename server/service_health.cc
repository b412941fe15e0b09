#include "server/service_health.h"

#include "server/log.h"

namespace leadrouter::server {

ServiceHealth::ServiceHealth(
    std::vector<grpc::HealthCheckServiceInterface*> health) {
  for (auto* h : health) {
    if (h != nullptr) health_.push_back(h);
  }
  for (auto* h : health_) h->SetServingStatus(false);
}

void ServiceHealth::Started() {
  std::lock_guard lock(mu_);
  started_ = true;
  Publish();
}

void ServiceHealth::Draining() {
  std::lock_guard lock(mu_);
  draining_ = true;
  Publish();
}

void ServiceHealth::StoreFailed() {
  std::lock_guard lock(mu_);
  store_ok_ = false;
  Publish();
}

void ServiceHealth::StoreWorks() {
  std::lock_guard lock(mu_);
  if (store_ok_) return;  // the common case: nothing to publish
  store_ok_ = true;
  Publish();
}

void ServiceHealth::Publish() {
  const bool serving = started_ && !draining_ && store_ok_;
  if (serving == serving_) return;
  serving_ = serving;
  for (auto* h : health_) h->SetServingStatus(serving);
  LogInfo("health", {{"status", serving ? "SERVING" : "NOT_SERVING"}});
}

}  // namespace leadrouter::server
