// When a rep can take leads: their time zone, weekly working hours and
// out-of-office periods, compiled from the config once. Pure: the instant to
// ask about is an argument.
//
//   std::vector<ConfigError> errors;
//   std::optional<Availability> a = Availability::Compile(rep, "reps[3]",
//                                                         &errors);
//   if (a && a->OutOfOffice(now)) ...
//   int64_t today = a->LocalDay(now);  // the daily cap counts per local day
#ifndef LEADROUTER_ROUTING_AVAILABILITY_H_
#define LEADROUTER_ROUTING_AVAILABILITY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "leadrouter/v1/config.pb.h"
#include "routing/config_validation.h"

namespace leadrouter::routing {

class Availability {
 public:
  // Reads the rep's time_zone, working_hours and out_of_office. Problems are
  // appended to `errors` with paths under `path` (e.g. "reps[3]"); nullopt
  // when there are any. The time zone database (tzdata) must be installed.
  static std::optional<Availability> Compile(const leadrouter::v1::Rep& rep,
                                             const std::string& path,
                                             std::vector<ConfigError>* errors);

  // True inside one of the rep's absences.
  bool OutOfOffice(absl::Time t) const;
  // True inside the weekly hours, or always when the rep has none.
  bool WithinWorkingHours(absl::Time t) const;
  // The rep's calendar day at `t`, as days since 1970-01-01 in their zone.
  int64_t LocalDay(absl::Time t) const;

  const absl::TimeZone& zone() const { return zone_; }

 private:
  Availability() = default;

  absl::TimeZone zone_;
  // Minutes of the week (Monday 00:00 = 0), half-open, sorted by start.
  std::vector<std::pair<int, int>> weekly_;
  // Half-open absence intervals.
  std::vector<std::pair<absl::Time, absl::Time>> absences_;
};

}  // namespace leadrouter::routing

#endif  // LEADROUTER_ROUTING_AVAILABILITY_H_
