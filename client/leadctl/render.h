// How leadctl prints results: readable text for people, JSON for scripts.
//
//   std::cout << RenderAssignment(assignment, /*replayed=*/false);
#ifndef LEADROUTER_CLIENT_LEADCTL_RENDER_H_
#define LEADROUTER_CLIENT_LEADCTL_RENDER_H_

#include <string>

#include "google/protobuf/message.h"
#include "leadrouter/v1/assignment.pb.h"
#include "leadrouter/v1/assignment_service.pb.h"
#include "leadrouter/v1/routing_admin.pb.h"

namespace leadrouter::leadctl {

// Where the lead went, why, and every candidate with its reason.
std::string RenderAssignment(const v1::Assignment& assignment, bool replayed);

// One line per event: time, type, lead, where it is, who it left, the
// note and reason, the cursor.
std::string RenderEvent(const v1::AssignmentEvent& event);

// One line per assignment under a header.
std::string RenderAssignmentTable(const v1::ListAssignmentsResponse& page);

// One line per rep: teams, open/capacity, today/cap, availability.
std::string RenderRepTable(const v1::ListRepsResponse& reps);

// One line per queue: name, team, depth, oldest arrival.
std::string RenderQueueTable(const v1::ListQueuesResponse& queues);

// The message as one JSON object (proto3 JSON mapping), with a newline.
std::string RenderJson(const google::protobuf::Message& message);

}  // namespace leadrouter::leadctl

#endif  // LEADROUTER_CLIENT_LEADCTL_RENDER_H_
