// Real X.509 material for TLS tests, made with the `openssl` command at test
// time in a directory of the test's own: two independent CAs with a server
// certificate each (for 127.0.0.1 and localhost), and a client CA with a
// client certificate ("CN=crm-plugin") and one from a stranger CA.
//
//   TestCerts certs = TestCerts::Make(dir);
//   flags: --tls_cert=certs.server_cert --tls_key=certs.server_key
#ifndef LEADROUTER_TESTS_SERVER_TEST_CERTS_H_
#define LEADROUTER_TESTS_SERVER_TEST_CERTS_H_

#include <string>

namespace leadrouter::testing {

struct TestCerts {
  std::string dir;
  // CA "A" and the server certificate it signed.
  std::string ca, server_cert, server_key;
  // CA "B" (independent of A) and its server certificate.
  std::string other_ca, other_server_cert, other_server_key;
  // The client CA and a client certificate with subject CN=crm-plugin and
  // SAN DNS:crm.example.test.
  std::string client_ca, client_cert, client_key;
  // A client certificate (CN=crm-plugin too) signed by another CA.
  std::string stranger_cert, stranger_key;

  // Makes everything under `dir`; fails the test when openssl does.
  static TestCerts Make(const std::string& dir);
};

// The whole file.
std::string ReadFile(const std::string& path);

}  // namespace leadrouter::testing

#endif  // LEADROUTER_TESTS_SERVER_TEST_CERTS_H_
