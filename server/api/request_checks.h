// Checks of request fields that several calls share, the same for every
// front (gRPC now, HTTP later): INVALID_ARGUMENT naming the field.
#ifndef LEADROUTER_SERVER_API_REQUEST_CHECKS_H_
#define LEADROUTER_SERVER_API_REQUEST_CHECKS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/timestamp.pb.h"

namespace leadrouter::server {

// Filter ids (either may be empty): at most 64 bytes of printable ASCII
// without spaces, as config ids are.
absl::Status CheckIds(const std::string& rep_id, const std::string& team_id);

// A timestamp between 0001-01-01 and 9999-12-31 with valid nanos.
absl::Status CheckTimestamp(const google::protobuf::Timestamp& t,
                            const char* field);

// Unix microseconds of an optional time bound; 0 when not set.
absl::StatusOr<int64_t> TimeBound(const char* field,
                                  const google::protobuf::Timestamp& t);

}  // namespace leadrouter::server

#endif  // LEADROUTER_SERVER_API_REQUEST_CHECKS_H_
