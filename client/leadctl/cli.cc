#include "client/leadctl/cli.h"

#include <iostream>
#include <string>

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, output, "text", "Output format: text or json.");

namespace leadrouter::leadctl {

int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return 3;
    case absl::StatusCode::kNotFound:
      return 4;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return 5;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted:
      return 6;
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return 7;
    default:
      return 1;
  }
}

int Fail(const absl::Status& status) {
  std::cerr << "leadctl: " << absl::StatusCodeToString(status.code()) << ": "
            << status.message() << "\n";
  return ExitCodeFor(status);
}

bool JsonOutput() { return absl::GetFlag(FLAGS_output) == "json"; }

bool OutputFlagValid() {
  const std::string output = absl::GetFlag(FLAGS_output);
  return output == "text" || output == "json";
}

}  // namespace leadrouter::leadctl
