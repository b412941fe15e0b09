// Hard limits over a real server: going over one costs the offending call
// (or connection), never the server or other callers.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadrouter/v1/assignment_service.grpc.pb.h"
#include "leadrouter/v1/routing_admin.grpc.pb.h"
#include "tests/server/secure_fixture.h"

namespace leadrouter::testing {
namespace {

using ::testing::HasSubstr;

using LimitsTest = SecureDaemonTest;

grpc::Status GetConfig(const std::shared_ptr<grpc::Channel>& channel,
                       const std::string& token) {
  auto admin = v1::RoutingAdmin::NewStub(channel);
  grpc::ClientContext c;
  Authorize(c, token);
  v1::GetConfigResponse r;
  return admin->GetConfig(&c, {}, &r);
}

TEST_F(LimitsTest, TooManyWatchesOnOneConnectionAreRefusedOthersServed) {
  StartSecure({"--max_watches_per_connection=3"});
  auto assignments = v1::AssignmentService::NewStub(channel_);
  struct Watch {
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReader<v1::AssignmentEvent>> reader;
  };
  std::vector<std::unique_ptr<Watch>> open;
  for (int i = 0; i < 3; ++i) {
    auto w = std::make_unique<Watch>();
    Authorize(w->context, Tokens().at("reader"));
    w->reader = assignments->WatchAssignments(&w->context, {});
    w->reader->WaitForInitialMetadata();
    open.push_back(std::move(w));
  }
  {
    grpc::ClientContext c;
    Authorize(c, Tokens().at("reader"));
    auto fourth = assignments->WatchAssignments(&c, {});
    v1::AssignmentEvent e;
    EXPECT_FALSE(fourth->Read(&e));
    grpc::Status s = fourth->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_THAT(s.error_message(), HasSubstr("3 open watch streams"));
  }
  // Another connection has slots of its own; unary calls go on.
  auto other = TlsChannel(daemon_->address(), certs_.ca);
  auto other_assignments = v1::AssignmentService::NewStub(other);
  grpc::ClientContext c;
  Authorize(c, Tokens().at("reader"));
  auto watch = other_assignments->WatchAssignments(&c, {});
  watch->WaitForInitialMetadata();
  EXPECT_TRUE(GetConfig(channel_, Tokens().at("reader")).ok());
  c.TryCancel();
  watch->Finish().IgnoreError();
  // Closing one frees its slot.
  open.back()->context.TryCancel();
  open.back()->reader->Finish().IgnoreError();
  open.pop_back();
  grpc::ClientContext again;
  Authorize(again, Tokens().at("reader"));
  auto replacement = assignments->WatchAssignments(&again, {});
  replacement->WaitForInitialMetadata();
  again.TryCancel();
  EXPECT_EQ(replacement->Finish().error_code(), grpc::StatusCode::CANCELLED);
  for (auto& w : open) w->context.TryCancel();
  for (auto& w : open) w->reader->Finish().IgnoreError();
}

TEST_F(LimitsTest, OversizedMetadataAndMessagesAreRefusedAndTheServerGoesOn) {
  StartSecure({"--max_metadata_bytes=4096", "--max_receive_message_bytes=65536"});
  {
    auto admin = v1::RoutingAdmin::NewStub(channel_);
    grpc::ClientContext c;
    Authorize(c, Tokens().at("admin"));
    c.set_wait_for_ready(true);
    v1::ApplyConfigRequest big;
    big.set_yaml(std::string(200 * 1024, '#'));
    v1::ApplyConfigResponse r;
    grpc::Status s = admin->ApplyConfig(&c, big, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << s.error_message();
  }
  {
    // Its own connection: the server may reset the one that went over.
    auto admin = v1::RoutingAdmin::NewStub(
        TlsChannel(daemon_->address(), certs_.ca));
    grpc::ClientContext c;
    Authorize(c, Tokens().at("reader"));
    c.set_wait_for_ready(true);
    c.AddMetadata("x-padding", std::string(16 * 1024, 'p'));
    v1::GetConfigResponse r;
    grpc::Status s = admin->GetConfig(&c, {}, &r);
    EXPECT_FALSE(s.ok());
  }
  // The server serves the next caller, on a fresh connection and the old.
  EXPECT_TRUE(GetConfig(TlsChannel(daemon_->address(), certs_.ca),
                        Tokens().at("reader"))
                  .ok());
  EXPECT_TRUE(Eventually([&] {
                return GetConfig(channel_, Tokens().at("reader"));
              }).ok());
  EXPECT_EQ(daemon_->Terminate(), 0);
}

// Waits (with a generous bound) until the channel leaves READY: the server
// closed or asked to close the connection.
bool LeavesReady(grpc::Channel& channel) {
  const auto until = std::chrono::system_clock::now() + std::chrono::seconds(60);
  grpc_connectivity_state state = channel.GetState(false);
  while (state == GRPC_CHANNEL_READY) {
    if (!channel.WaitForStateChange(state, until)) return false;
    state = channel.GetState(false);
  }
  return true;
}

TEST_F(LimitsTest, IdleAndOldConnectionsAreClosedAndClientsReconnect) {
  StartSecure({"--max_connection_idle=1s"});
  ASSERT_TRUE(GetConfig(channel_, Tokens().at("reader")).ok());
  EXPECT_TRUE(LeavesReady(*channel_));
  // A new call simply reconnects.
  EXPECT_TRUE(Eventually([&] {
                return GetConfig(channel_, Tokens().at("reader"));
              }).ok());
  ASSERT_EQ(daemon_->Terminate(), 0);

  // Age: even a busy connection is recycled; a watch open across it ends
  // UNAVAILABLE (after the grace) and resumes elsewhere from its cursor.
  StartSecure({"--max_connection_age=1s", "--max_connection_age_grace=1s"});
  auto assignments = v1::AssignmentService::NewStub(channel_);
  grpc::ClientContext c;
  Authorize(c, Tokens().at("reader"));
  auto watch = assignments->WatchAssignments(&c, {});
  v1::AssignmentEvent e;
  while (watch->Read(&e)) {
  }
  EXPECT_EQ(watch->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(Eventually([&] {
                return GetConfig(channel_, Tokens().at("reader"));
              }).ok());
}

TEST_F(LimitsTest, AClientThatPingsTooOftenIsSentAway) {
  StartSecure({"--keepalive_min_ping_interval=60s",
               "--keepalive_max_ping_strikes=2"});
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 200);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadFile(certs_.ca);
  auto pinger = grpc::CreateCustomChannel(daemon_->address(),
                                          grpc::SslCredentials(ssl), args);
  // An idle watch keeps a call open while the pings go out.
  auto assignments = v1::AssignmentService::NewStub(pinger);
  grpc::ClientContext c;
  Authorize(c, Tokens().at("reader"));
  auto watch = assignments->WatchAssignments(&c, {});
  v1::AssignmentEvent e;
  while (watch->Read(&e)) {
  }
  EXPECT_EQ(watch->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  // Everyone else is served.
  EXPECT_TRUE(GetConfig(channel_, Tokens().at("reader")).ok());
}

TEST_F(LimitsTest, AConnectionThatNeverHandshakesIsClosed) {
  StartSecure({"--handshake_timeout=1s"});
  const std::string& address = daemon_->address();
  const int port = std::stoi(address.substr(address.rfind(':') + 1));
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
  // Send nothing; the server must hang up (read returns 0 or an error)
  // well before this generous bound.
  timeval wait{.tv_sec = 60, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  char byte;
  const ssize_t n = read(fd, &byte, 1);
  const int error = errno;
  close(fd);
  EXPECT_TRUE(n == 0 || (n < 0 && error != EAGAIN && error != EWOULDBLOCK))
      << "the connection was still open after 60 s";
  EXPECT_TRUE(GetConfig(channel_, Tokens().at("reader")).ok());
}

TEST_F(LimitsTest, NonsenseLimitFlagsAreRefused) {
  std::string log;
  EXPECT_EQ(DaemonProcess::RunToExit(
                {"--config=" + config_path_, "--max_concurrent_streams=0"},
                &log),
            2);
  EXPECT_THAT(log, HasSubstr("--max_concurrent_streams must be at least 1"));
}

}  // namespace
}  // namespace leadrouter::testing
