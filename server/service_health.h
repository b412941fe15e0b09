// What the gRPC health service reports for leadrouterd: SERVING only while
// the process has finished starting, is not draining, and its store commits.
// Kubernetes probes and load balancers read it through grpc.health.v1.
//
//   ServiceHealth health({server->GetHealthCheckService(),
//                         health_port_server->GetHealthCheckService()});
//   health.Started();          // SERVING
//   health.StoreFailed();      // NOT_SERVING until a commit works again
//   health.Draining();         // NOT_SERVING for good
#ifndef LEADROUTER_SERVER_SERVICE_HEALTH_H_
#define LEADROUTER_SERVER_SERVICE_HEALTH_H_

#include <mutex>
#include <vector>

#include "grpcpp/health_check_service_interface.h"

namespace leadrouter::server {

// Thread-safe.
class ServiceHealth {
 public:
  // Every service given reports the same status (the API port's and the
  // plaintext --health_listen port's); null entries are skipped.
  explicit ServiceHealth(std::vector<grpc::HealthCheckServiceInterface*> health);

  void Started();
  void Draining();
  void StoreFailed();
  void StoreWorks();

 private:
  void Publish();  // mu_ held

  std::vector<grpc::HealthCheckServiceInterface*> health_;
  std::mutex mu_;
  bool started_ = false;   // mu_
  bool draining_ = false;  // mu_
  bool store_ok_ = true;   // mu_
  bool serving_ = false;   // what was published last; mu_
};

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_SERVICE_HEALTH_H_
