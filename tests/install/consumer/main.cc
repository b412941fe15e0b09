// Routes one lead through leadrouter::Client against the address given, and
// prints where it went; with no server there, reports the error it got.
#include <iostream>

#include "client/client.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: app HOST:PORT\n";
    return 2;
  }
  leadrouter::ClientOptions options;
  options.address = argv[1];
  options.timeout = absl::Seconds(5);
  leadrouter::Client client(options);
  leadrouter::v1::Lead lead;
  lead.set_id("consumer-1");
  lead.set_country_code("DE");
  lead.set_stage(leadrouter::v1::STAGE_SQL);
  absl::StatusOr<leadrouter::v1::RouteLeadResponse> routed = client.Route(lead);
  if (!routed.ok()) {
    std::cout << "error " << absl::StatusCodeToString(routed.status().code())
              << "\n";
    return 1;
  }
  std::cout << "routed " << routed->assignment().lead_id() << " "
            << routed->assignment().config_version() << "\n";
  return 0;
}
