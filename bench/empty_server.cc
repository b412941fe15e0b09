// The baseline of bench/e2e_bench: a gRPC server built like leadrouterd
// (the callback API, the same transport limits and credentials) that
// answers every unary call, whatever its method, with an empty message. It
// does nothing else, so a route measured against it shows what leadrouter
// itself costs on top of gRPC.
//
//   empty_server --listen=127.0.0.1:0   # prints "listening 127.0.0.1:PORT"
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/grpcpp.h"
#include "server/transport.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "address to serve on");

namespace {

class EmptyReply final : public grpc::ServerGenericBidiReactor {
 public:
  EmptyReply() {
    // An empty message is zero bytes, but a buffer of no slices is not a
    // message to gRPC: one empty slice.
    grpc::Slice empty("");
    reply_ = grpc::ByteBuffer(&empty, 1);
    StartRead(&request_);
  }
  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::OK);
      return;
    }
    StartWriteAndFinish(&reply_, grpc::WriteOptions(), grpc::Status::OK);
  }
  void OnDone() override { delete this; }

 private:
  grpc::ByteBuffer request_;
  grpc::ByteBuffer reply_;
};

class EmptyService final : public grpc::CallbackGenericService {
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* /*context*/) override {
    return new EmptyReply();
  }
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // Before gRPC starts threads: SIGTERM is waited for below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  leadrouter::server::TransportOptions transport;
  EmptyService service;
  grpc::ServerBuilder builder;
  leadrouter::server::ApplyLimits(transport.limits, builder);
  int port = 0;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen),
                           grpc::InsecureServerCredentials(), &port);
  builder.RegisterCallbackGenericService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "empty_server: cannot listen\n");
    return 1;
  }
  std::printf("listening 127.0.0.1:%d\n", port);
  std::fflush(stdout);
  int signal = 0;
  sigwait(&signals, &signal);
  server->Shutdown();
  return 0;
}
