// The human-readable details of a routing trace that follow from the trace
// itself: why an eligible rep was passed over ("eligible; anna was picked
// first"), why a rep at capacity was ("at capacity (12 of 12 open)"). The
// decision writes them with these functions, and a store may leave them
// out of what it writes and put them back when it reads (about half of a
// 20-rep trace's bytes), since they come out the same.
//
//   std::vector<std::string> kept = routing::TakeDerivedDetails(&trace);
//   ... serialize ...
//   routing::RestoreDetails(std::move(kept), &trace);   // as it was
//   routing::FillDerivedDetails(&parsed_trace);         // after a read
#ifndef LEADROUTER_ROUTING_TRACE_TEXT_H_
#define LEADROUTER_ROUTING_TRACE_TEXT_H_

#include <optional>
#include <string>
#include <vector>

#include "leadrouter/v1/assignment.pb.h"

namespace leadrouter::routing {

// "eligible; <chosen> was picked first" or "... owns the company".
std::string RotationDetail(const std::string& chosen_rep, bool same_company);
std::string AtCapacityDetail(int open, int capacity);
std::string DailyCapDetail(int today, int daily_cap);
inline constexpr char kDeclinedDetail[] =
    "rejected this lead or let it lapse before";
inline constexpr char kInactiveDetail[] = "inactive";
inline constexpr char kOutOfOfficeDetail[] = "out of office";
inline constexpr char kProductSkillDetail[] =
    "covers none of the lead's products";

// The detail `c` has when it follows from the trace (nullopt when it does
// not: it names a time, a language, or is the chosen rep's).
std::optional<std::string> DerivedDetail(const leadrouter::v1::RoutingTrace& t,
                                         const leadrouter::v1::Candidate& c);

// Moves out every detail that equals its derived one (leaving it empty);
// returns them in candidate order, empty strings for those kept.
std::vector<std::string> TakeDerivedDetails(leadrouter::v1::RoutingTrace* t);
// Puts back what TakeDerivedDetails took.
void RestoreDetails(std::vector<std::string> taken,
                    leadrouter::v1::RoutingTrace* t);
// Fills every empty detail that can be derived.
void FillDerivedDetails(leadrouter::v1::RoutingTrace* t);

}  // namespace leadrouter::routing

#endif  // LEADROUTER_ROUTING_TRACE_TEXT_H_
