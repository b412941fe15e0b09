// Checks a lead before anything routes or stores it. Every error names the
// field and what is wrong, without echoing personal data:
//
//   absl::Status s = ValidateLead(lead);
//   // INVALID_ARGUMENT "lead.score: 140 is outside 0 to 100"
#ifndef LEADROUTER_ROUTING_LEAD_VALIDATION_H_
#define LEADROUTER_ROUTING_LEAD_VALIDATION_H_

#include <cstddef>

#include "absl/status/status.h"
#include "leadrouter/v1/lead.pb.h"

namespace leadrouter::routing {

// Limits of a lead; documented in lead.proto.
inline constexpr size_t kMaxLeadIdBytes = 128;
inline constexpr size_t kMaxLeadBytes = 64 * 1024;

// OK, or INVALID_ARGUMENT for the first problem found, naming the field as
// "lead.<field>".
absl::Status ValidateLead(const leadrouter::v1::Lead& lead);

}  // namespace leadrouter::routing

#endif  // LEADROUTER_ROUTING_LEAD_VALIDATION_H_
