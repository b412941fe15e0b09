// Webhook intake: a sender's own JSON shape mapped onto a Lead by an
// IntakeMapping of the config (config.proto). Pure: text in, Lead or the
// reason out; the HTTP front (server/http) feeds it and routes the lead.
//
//   absl::StatusOr<Lead> lead = MapIntake(*table->FindIntakeMapping("form"),
//                                         body);
//   // INVALID_ARGUMENT: "body.properties.email.value: is required by ..."
#ifndef LEADROUTER_ROUTING_INTAKE_MAPPING_H_
#define LEADROUTER_ROUTING_INTAKE_MAPPING_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "leadrouter/v1/config.pb.h"
#include "leadrouter/v1/lead.pb.h"
#include "routing/config_validation.h"

namespace leadrouter::routing {

// At most this many mappings per config, and fields per mapping.
inline constexpr int kMaxIntakeMappings = 100;
inline constexpr int kMaxIntakeFields = 50;

// Appends every problem of config.intake_mappings, with its path
// ("intake_mappings[0].fields[2].lead").
void CheckIntakeMappings(const leadrouter::v1::RoutingConfig& config,
                         std::vector<ConfigError>* errors);

// The lead `body` (a JSON object) describes under `mapping`, before lead
// validation. INVALID_ARGUMENT naming the body path ("body.contact.email")
// and the lead field for a body that is not a JSON object, a required path
// that is missing, a value of the wrong kind or one the value map lacks.
absl::StatusOr<leadrouter::v1::Lead> MapIntake(
    const leadrouter::v1::IntakeMapping& mapping, const std::string& body);

}  // namespace leadrouter::routing

#endif  // LEADROUTER_ROUTING_INTAKE_MAPPING_H_
