// Working hours are stored as minute intervals of a local week, so a check
// is one conversion of the instant to the rep's civil time. Conversions go
// through absl's time zone rules, so DST changes need no special cases: a
// local time that a spring-forward skips never occurs, and one repeated in
// the autumn counts on both passes.
#include "routing/availability.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace leadrouter::routing {
namespace {

constexpr int kMinutesPerDay = 24 * 60;
constexpr int kMinutesPerWeek = 7 * kMinutesPerDay;

// "HH:MM" with 00:00 to 24:00; nullopt when malformed.
std::optional<int> ParseClock(const std::string& text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (int i : {0, 1, 3, 4}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  const int hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (minutes > 59 || hours > 24 || (hours == 24 && minutes != 0)) {
    return std::nullopt;
  }
  return hours * 60 + minutes;
}

// "YYYY-MM-DD" as a civil day; nullopt when malformed or not a real date.
std::optional<absl::CivilDay> ParseDate(const std::string& text) {
  absl::CivilDay day;
  if (text.size() != 10 || !absl::ParseCivilTime(text, &day)) {
    return std::nullopt;
  }
  return day;
}

// An absence bound: a date (its midnight in `zone`, or the next midnight
// when `is_end`) or an RFC 3339 instant.
std::optional<absl::Time> ParseBound(const std::string& text,
                                     const absl::TimeZone& zone, bool is_end) {
  if (std::optional<absl::CivilDay> day = ParseDate(text)) {
    return absl::FromCivil(is_end ? *day + 1 : *day, zone);
  }
  absl::Time t;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, text, &t, &error)) return t;
  return std::nullopt;
}

}  // namespace

std::optional<Availability> Availability::Compile(
    const leadrouter::v1::Rep& rep, const std::string& path,
    std::vector<ConfigError>* errors) {
  const size_t errors_before = errors->size();
  Availability a;
  if (!rep.time_zone().empty() &&
      !absl::LoadTimeZone(rep.time_zone(), &a.zone_)) {
    errors->push_back({path + ".time_zone",
                       absl::StrCat("\"", rep.time_zone(),
                                    "\" is not an IANA time zone (e.g. "
                                    "\"Europe/Berlin\")")});
  }
  for (int i = 0; i < rep.working_hours_size(); ++i) {
    const auto& hours = rep.working_hours(i);
    const std::string hpath = absl::StrCat(path, ".working_hours[", i, "]");
    const std::optional<int> start = ParseClock(hours.start());
    const std::optional<int> end = ParseClock(hours.end());
    if (!start || *start == kMinutesPerDay) {
      errors->push_back({hpath + ".start",
                         absl::StrCat("\"", hours.start(),
                                      "\" is not a time \"HH:MM\" from 00:00 "
                                      "to 23:59")});
    }
    if (!end) {
      errors->push_back({hpath + ".end",
                         absl::StrCat("\"", hours.end(),
                                      "\" is not a time \"HH:MM\" from 00:00 "
                                      "to 24:00")});
    }
    if (hours.days().empty()) errors->push_back({hpath + ".days", "is empty"});
    for (int j = 0; j < hours.days_size(); ++j) {
      if (hours.days(j) == leadrouter::v1::WEEKDAY_UNSPECIFIED) {
        errors->push_back({absl::StrCat(hpath, ".days[", j, "]"),
                           "must be a day, e.g. monday"});
      }
    }
    if (!start || !end || *start == kMinutesPerDay) continue;
    // An end at or before the start runs into the next day.
    const int length = *end > *start ? *end - *start
                                     : *end + kMinutesPerDay - *start;
    for (int day : hours.days()) {
      if (day == leadrouter::v1::WEEKDAY_UNSPECIFIED) continue;
      const int from = (day - 1) * kMinutesPerDay + *start;
      const int to = from + length;
      if (to <= kMinutesPerWeek) {
        a.weekly_.emplace_back(from, to);
      } else {  // Sunday night into Monday morning
        a.weekly_.emplace_back(from, kMinutesPerWeek);
        a.weekly_.emplace_back(0, to - kMinutesPerWeek);
      }
    }
  }
  std::sort(a.weekly_.begin(), a.weekly_.end());
  for (int i = 0; i < rep.out_of_office_size(); ++i) {
    const auto& absence = rep.out_of_office(i);
    const std::string apath = absl::StrCat(path, ".out_of_office[", i, "]");
    const char* kFormat =
        "\" is neither a date \"YYYY-MM-DD\" nor an RFC 3339 time "
        "\"2026-12-21T13:00:00+01:00\"";
    std::optional<absl::Time> start =
        ParseBound(absence.start(), a.zone_, /*is_end=*/false);
    std::optional<absl::Time> end =
        ParseBound(absence.end(), a.zone_, /*is_end=*/true);
    if (!start) {
      errors->push_back(
          {apath + ".start", absl::StrCat("\"", absence.start(), kFormat)});
    }
    if (!end) {
      errors->push_back(
          {apath + ".end", absl::StrCat("\"", absence.end(), kFormat)});
    }
    if (start && end) {
      if (*end <= *start) {
        errors->push_back({apath, absl::StrCat("end \"", absence.end(),
                                               "\" is not after start \"",
                                               absence.start(), "\"")});
      } else {
        a.absences_.emplace_back(*start, *end);
      }
    }
  }
  if (errors->size() != errors_before) return std::nullopt;
  return a;
}

bool Availability::OutOfOffice(absl::Time t) const {
  return std::any_of(absences_.begin(), absences_.end(), [&](const auto& p) {
    return p.first <= t && t < p.second;
  });
}

bool Availability::WithinWorkingHours(absl::Time t) const {
  if (weekly_.empty()) return true;
  const absl::CivilSecond local = absl::ToCivilSecond(t, zone_);
  const int weekday_index = [&] {
    switch (absl::GetWeekday(absl::CivilDay(local))) {
      case absl::Weekday::monday: return 0;
      case absl::Weekday::tuesday: return 1;
      case absl::Weekday::wednesday: return 2;
      case absl::Weekday::thursday: return 3;
      case absl::Weekday::friday: return 4;
      case absl::Weekday::saturday: return 5;
      case absl::Weekday::sunday: return 6;
    }
    return 0;
  }();
  const int minute = weekday_index * kMinutesPerDay +
                     static_cast<int>(local.hour()) * 60 +
                     static_cast<int>(local.minute());
  return std::any_of(weekly_.begin(), weekly_.end(), [&](const auto& w) {
    return w.first <= minute && minute < w.second;
  });
}

int64_t Availability::LocalDay(absl::Time t) const {
  return absl::ToCivilDay(t, zone_) - absl::CivilDay(1970, 1, 1);
}

}  // namespace leadrouter::routing
