// Each certificate is a fresh EC P-256 key, valid for a day, signed with
// SHA-256; servers carry subjectAltName IP:127.0.0.1 and DNS:localhost, as
// gRPC checks the name it connects to against the SAN.
#include "tests/server/test_certs.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace leadrouter::testing {
namespace {

void Run(const std::string& command) {
  const int rc = std::system((command + " >/dev/null 2>&1").c_str());
  ASSERT_EQ(rc, 0) << command;
}

void MakeCa(const std::string& dir, const std::string& name) {
  Run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
      "-days 1 -subj /CN=" + name + " -keyout " + dir + "/" + name +
      ".key -out " + dir + "/" + name + ".pem");
}

// A certificate for `subject` with `san`, signed by CA `ca`.
void MakeLeaf(const std::string& dir, const std::string& ca,
              const std::string& name, const std::string& subject,
              const std::string& san) {
  const std::string base = dir + "/" + name;
  Run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj " +
      subject + " -keyout " + base + ".key -out " + base + ".csr");
  std::ofstream(base + ".ext") << "subjectAltName=" << san << "\n";
  Run("openssl x509 -req -in " + base + ".csr -CA " + dir + "/" + ca +
      ".pem -CAkey " + dir + "/" + ca + ".key -CAcreateserial -days 1 "
      "-sha256 -extfile " + base + ".ext -out " + base + ".pem");
}

}  // namespace

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TestCerts TestCerts::Make(const std::string& dir) {
  TestCerts c;
  c.dir = dir;
  MakeCa(dir, "ca-a");
  MakeCa(dir, "ca-b");
  MakeCa(dir, "client-ca");
  MakeCa(dir, "stranger-ca");
  const std::string server_san = "IP:127.0.0.1,DNS:localhost";
  MakeLeaf(dir, "ca-a", "server-a", "/CN=leadrouterd-a", server_san);
  MakeLeaf(dir, "ca-b", "server-b", "/CN=leadrouterd-b", server_san);
  MakeLeaf(dir, "client-ca", "client", "/CN=crm-plugin",
           "DNS:crm.example.test");
  MakeLeaf(dir, "stranger-ca", "stranger", "/CN=crm-plugin",
           "DNS:crm.example.test");
  c.ca = dir + "/ca-a.pem";
  c.server_cert = dir + "/server-a.pem";
  c.server_key = dir + "/server-a.key";
  c.other_ca = dir + "/ca-b.pem";
  c.other_server_cert = dir + "/server-b.pem";
  c.other_server_key = dir + "/server-b.key";
  c.client_ca = dir + "/client-ca.pem";
  c.client_cert = dir + "/client.pem";
  c.client_key = dir + "/client.key";
  c.stranger_cert = dir + "/stranger.pem";
  c.stranger_key = dir + "/stranger.key";
  return c;
}

}  // namespace leadrouter::testing
