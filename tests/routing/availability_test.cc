// Availability in the rep's own time zone: working hours across DST changes
// and midnight, absences given as local dates, daily caps that reset at the
// rep's midnight, and the pass-over reasons they leave in the trace.
#include "routing/availability.h"

#include <map>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "routing/decision.h"

namespace leadrouter::routing {
namespace {

using ::testing::HasSubstr;

leadrouter::v1::Rep ParseRep(const std::string& text) {
  leadrouter::v1::Rep rep;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &rep));
  return rep;
}

Availability CompileOk(const std::string& text) {
  std::vector<ConfigError> errors;
  std::optional<Availability> a =
      Availability::Compile(ParseRep(text), "reps[0]", &errors);
  EXPECT_TRUE(a.has_value()) << FormatConfigErrors(errors);
  return *a;
}

absl::Time Utc(int y, int mo, int d, int h, int mi) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0),
                         absl::UTCTimeZone());
}

TEST(AvailabilityTest, WorkingHoursFollowTheRepsZoneAcrossTheSpringDstChange) {
  // Europe/Berlin moves from UTC+1 to UTC+2 on Sunday 2026-03-29.
  Availability a = CompileOk(R"pb(
    time_zone: "Europe/Berlin"
    working_hours { days: [ WEEKDAY_SATURDAY, WEEKDAY_SUNDAY, WEEKDAY_MONDAY ]
                    start: "09:00" end: "17:00" }
  )pb");
  EXPECT_FALSE(a.WithinWorkingHours(Utc(2026, 3, 28, 7, 30)));  // 08:30 CET
  EXPECT_TRUE(a.WithinWorkingHours(Utc(2026, 3, 28, 8, 0)));    // 09:00 CET
  EXPECT_TRUE(a.WithinWorkingHours(Utc(2026, 3, 29, 7, 0)));    // 09:00 CEST
  EXPECT_FALSE(a.WithinWorkingHours(Utc(2026, 3, 29, 6, 59)));  // 08:59 CEST
  EXPECT_TRUE(a.WithinWorkingHours(Utc(2026, 3, 29, 14, 59)));  // 16:59 CEST
  EXPECT_FALSE(a.WithinWorkingHours(Utc(2026, 3, 29, 15, 0)));  // 17:00 CEST
  // Tuesday is not a working day.
  EXPECT_FALSE(a.WithinWorkingHours(Utc(2026, 3, 31, 10, 0)));
}

TEST(AvailabilityTest, AutumnDstChangeKeepsLocalHours) {
  // America/New_York goes back from UTC-4 to UTC-5 on Sunday 2026-11-01.
  Availability a = CompileOk(R"pb(
    time_zone: "America/New_York"
    working_hours { days: [ WEEKDAY_SUNDAY, WEEKDAY_MONDAY ]
                    start: "08:00" end: "12:00" }
  )pb");
  EXPECT_TRUE(a.WithinWorkingHours(Utc(2026, 11, 1, 13, 0)));   // 08:00 EST
  EXPECT_FALSE(a.WithinWorkingHours(Utc(2026, 11, 1, 12, 30)));  // 07:30 EST
  EXPECT_TRUE(a.WithinWorkingHours(Utc(2026, 11, 2, 16, 59)));  // 11:59 EST
  EXPECT_FALSE(a.WithinWorkingHours(Utc(2026, 11, 2, 17, 0)));  // 12:00 EST
}

TEST(AvailabilityTest, OvernightHoursRunIntoTheNextDayIncludingSundayToMonday) {
  Availability a = CompileOk(R"pb(
    time_zone: "Asia/Tokyo"
    working_hours { days: WEEKDAY_SUNDAY start: "22:00" end: "06:00" }
  )pb");
  // Sunday 2026-11-22 22:30 JST = 13:30 UTC; Monday 05:59 JST = Sunday
  // 20:59 UTC; Monday 06:00 JST is outside.
  EXPECT_TRUE(a.WithinWorkingHours(Utc(2026, 11, 22, 13, 30)));
  EXPECT_TRUE(a.WithinWorkingHours(Utc(2026, 11, 22, 20, 59)));
  EXPECT_FALSE(a.WithinWorkingHours(Utc(2026, 11, 22, 21, 0)));
  EXPECT_FALSE(a.WithinWorkingHours(Utc(2026, 11, 22, 12, 59)));
}

TEST(AvailabilityTest, NoHoursMeansAlwaysWorking) {
  Availability a = CompileOk("time_zone: \"Europe/London\"");
  EXPECT_TRUE(a.WithinWorkingHours(Utc(2026, 11, 22, 3, 0)));
}

TEST(AvailabilityTest, AbsenceDatesAreWholeLocalDays) {
  Availability a = CompileOk(R"pb(
    time_zone: "Asia/Tokyo"
    out_of_office { start: "2026-12-21" end: "2026-12-23" }
    out_of_office { start: "2027-01-05T13:00:00+01:00"
                    end: "2027-01-05T15:00:00+01:00" }
  )pb");
  // Tokyo is UTC+9: away from 2026-12-20 15:00 UTC to 2026-12-23 15:00 UTC.
  EXPECT_FALSE(a.OutOfOffice(Utc(2026, 12, 20, 14, 59)));
  EXPECT_TRUE(a.OutOfOffice(Utc(2026, 12, 20, 15, 0)));
  EXPECT_TRUE(a.OutOfOffice(Utc(2026, 12, 23, 14, 59)));
  EXPECT_FALSE(a.OutOfOffice(Utc(2026, 12, 23, 15, 0)));
  EXPECT_TRUE(a.OutOfOffice(Utc(2027, 1, 5, 12, 0)));
  EXPECT_FALSE(a.OutOfOffice(Utc(2027, 1, 5, 14, 0)));
}

TEST(AvailabilityTest, LocalDayChangesAtTheRepsMidnight) {
  Availability la = CompileOk("time_zone: \"America/Los_Angeles\"");
  // 2026-11-22 07:59 UTC is 23:59 on the 21st in Los Angeles (UTC-8).
  EXPECT_EQ(la.LocalDay(Utc(2026, 11, 22, 7, 59)) + 1,
            la.LocalDay(Utc(2026, 11, 22, 8, 0)));
  EXPECT_EQ(la.LocalDay(Utc(2026, 11, 22, 8, 0)),
            la.LocalDay(Utc(2026, 11, 23, 7, 59)));
}

TEST(AvailabilityTest, BadValuesAreReportedWithTheirField) {
  std::vector<ConfigError> errors;
  EXPECT_FALSE(Availability::Compile(ParseRep(R"pb(
                 time_zone: "Mars/Olympus"
                 working_hours { days: WEEKDAY_MONDAY start: "9:00" end: "25:00" }
                 working_hours { start: "09:00" end: "17:00" }
                 out_of_office { start: "2026-02-30" end: "2026-03-01" }
                 out_of_office { start: "2026-03-05" end: "2026-03-04" }
               )pb"),
                                     "reps[2]", &errors)
                   .has_value());
  std::vector<std::string> paths;
  for (const auto& e : errors) paths.push_back(e.path);
  EXPECT_THAT(paths, ::testing::ElementsAre(
                         "reps[2].time_zone", "reps[2].working_hours[0].start",
                         "reps[2].working_hours[0].end",
                         "reps[2].working_hours[1].days",
                         "reps[2].out_of_office[0].start",
                         "reps[2].out_of_office[1]"));
  EXPECT_THAT(errors[0].message, HasSubstr("IANA time zone"));
}

// Decisions against a team that uses working hours and daily caps.
class EligibilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    leadrouter::v1::RoutingConfig config;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(R"pb(
      reps { id: "la" capacity: 100 daily_cap: 2 time_zone: "America/Los_Angeles"
             working_hours { days: [ WEEKDAY_MONDAY, WEEKDAY_TUESDAY,
                                     WEEKDAY_WEDNESDAY, WEEKDAY_THURSDAY,
                                     WEEKDAY_FRIDAY, WEEKDAY_SATURDAY,
                                     WEEKDAY_SUNDAY ]
                             start: "00:00" end: "24:00" } }
      reps { id: "ber" capacity: 100 time_zone: "Europe/Berlin"
             working_hours { days: WEEKDAY_MONDAY start: "09:00" end: "17:00" }
             out_of_office { start: "2026-11-30" end: "2026-11-30" } }
      teams { id: "t" members: [ "la", "ber" ] use_working_hours: true }
      rules { id: "all" target { team: "t" } }
    )pb", &config));
    auto table = RoutingTable::Create(config);
    ASSERT_TRUE(table.ok()) << table.status();
    table_ = *table;
  }

  Decision Route(int n, absl::Time now) {
    leadrouter::v1::Lead lead;
    lead.set_id(absl::StrCat("L", n));
    lead.set_country_code("US");
    lead.set_stage(leadrouter::v1::STAGE_SQL);
    Decision d = Decide(*table_, lead, state_, now);
    ApplyChanges(d.changes, &state_);
    return d;
  }

  static const leadrouter::v1::Candidate& CandidateOf(const Decision& d,
                                                      const std::string& rep) {
    for (const auto& c : d.assignment.trace().candidates()) {
      if (c.rep_id() == rep) return c;
    }
    ADD_FAILURE() << rep << " is not among the candidates";
    return d.assignment.trace().candidates(0);
  }

  std::shared_ptr<const RoutingTable> table_;
  RoutingState state_;
};

TEST_F(EligibilityTest, DailyCapResetsAtMidnightInTheRepsZone) {
  // Sunday 2026-11-22 23:00 in Los Angeles = Monday 07:00 UTC, when Berlin
  // (08:00) is not working yet.
  const absl::Time late = Utc(2026, 11, 23, 7, 0);
  EXPECT_EQ(Route(1, late).assignment.rep_id(), "la");
  EXPECT_EQ(Route(2, late).assignment.rep_id(), "la");
  Decision capped = Route(3, late + absl::Minutes(59));  // 23:59 local
  EXPECT_EQ(capped.assignment.queue(), "team/t");
  const auto& la = CandidateOf(capped, "la");
  EXPECT_EQ(la.pass_over_reason(), leadrouter::v1::PASS_OVER_REASON_DAILY_CAP);
  EXPECT_EQ(la.assigned_today(), 2);
  EXPECT_EQ(la.daily_cap(), 2);
  EXPECT_THAT(la.detail(), HasSubstr("daily cap reached (2 of 2 today)"));
  const auto& ber = CandidateOf(capped, "ber");
  EXPECT_EQ(ber.pass_over_reason(),
            leadrouter::v1::PASS_OVER_REASON_OUTSIDE_WORKING_HOURS);
  EXPECT_THAT(ber.detail(), HasSubstr("local time Mon 08:59"));
  // Midnight in Los Angeles (08:00 UTC): a new day for la, though UTC's
  // began eight hours ago. Berlin starts work at the same moment and is next
  // in turn, so la gets the lead after.
  Decision midnight = Route(4, late + absl::Hours(1));
  EXPECT_EQ(midnight.assignment.rep_id(), "ber");
  EXPECT_EQ(CandidateOf(midnight, "la").assigned_today(), 0);
  EXPECT_EQ(CandidateOf(midnight, "la").pass_over_reason(),
            leadrouter::v1::PASS_OVER_REASON_NOT_NEXT_IN_ROTATION);
  EXPECT_EQ(Route(5, late + absl::Hours(1)).assignment.rep_id(), "la");
}

TEST_F(EligibilityTest, OutOfOfficeIsAPassOverReason) {
  // Monday 2026-11-30 10:00 in Berlin: working hours, but away that day.
  Decision d = Route(1, Utc(2026, 11, 30, 9, 0));
  ASSERT_EQ(d.assignment.trace().candidates_size(), 2);
  EXPECT_EQ(d.assignment.trace().candidates(1).pass_over_reason(),
            leadrouter::v1::PASS_OVER_REASON_OUT_OF_OFFICE);
  EXPECT_EQ(d.assignment.rep_id(), "la");
}

// Thousands of leads at random moments over two weeks, against reps in
// several zones with small caps: the open capacity and the daily cap (per
// local day, counted here independently) are never exceeded.
TEST(CapacityPropertyTest, CapacityAndDailyCapsAreNeverExceeded) {
  const char* zones[] = {"Pacific/Auckland", "America/Los_Angeles",
                         "Europe/Berlin", "Asia/Kolkata", "UTC"};
  std::mt19937 rng(42);
  for (int org = 0; org < 20; ++org) {
    std::string text;
    std::map<std::string, std::pair<int, int>> limits;  // capacity, cap
    std::map<std::string, absl::TimeZone> zone_of;
    for (int i = 0; i < 8; ++i) {
      const int capacity = 1 + static_cast<int>(rng() % 30);
      const int cap = static_cast<int>(rng() % 4);
      const char* zone = zones[rng() % 5];
      const std::string id = absl::StrCat("r", i);
      limits[id] = {capacity, cap};
      absl::LoadTimeZone(zone, &zone_of[id]);
      absl::StrAppend(&text, "reps { id: \"", id, "\" capacity: ", capacity,
                      " daily_cap: ", cap, " time_zone: \"", zone, "\" }\n");
    }
    absl::StrAppend(&text,
                    "teams { id: \"a\" strategy: TEAM_STRATEGY_LEAST_LOADED "
                    "members: [\"r0\",\"r1\",\"r2\",\"r3\",\"r4\"] }\n"
                    "teams { id: \"b\" members: [\"r3\",\"r4\",\"r5\",\"r6\","
                    "\"r7\"] }\n"
                    "rules { id: \"de\" match { product_interests: \"x\" } "
                    "target { team: \"a\" } fallback { team: \"b\" } }\n"
                    "rules { id: \"rest\" target { team: \"b\" } "
                    "fallback { rep: \"r0\" } }\n");
    leadrouter::v1::RoutingConfig config;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &config));
    auto table = RoutingTable::Create(config);
    ASSERT_TRUE(table.ok()) << table.status();
    RoutingState state;
    std::map<std::string, int> open;
    std::map<std::pair<std::string, absl::CivilDay>, int> per_day;
    absl::Time now = Utc(2026, 11, 1, 0, 0);
    for (int n = 0; n < 1500; ++n) {
      now += absl::Minutes(rng() % 30);
      // Reps work some leads off now and then.
      const std::string closer = absl::StrCat("r", rng() % 8);
      if (open[closer] > 0 && rng() % 3 == 0) {
        state.SetOpenAssignments(closer, --open[closer]);
      }
      leadrouter::v1::Lead lead;
      lead.set_id(absl::StrCat("L", n));
      lead.set_country_code("FR");
      lead.set_stage(leadrouter::v1::STAGE_SQL);
      if (rng() % 2) lead.add_product_interests("x");
      Decision d = Decide(**table, lead, state, now);
      ApplyChanges(d.changes, &state);
      const std::string& rep = d.assignment.rep_id();
      if (rep.empty()) continue;
      ASSERT_LE(++open[rep], limits[rep].first) << rep << " over capacity";
      const int today =
          ++per_day[{rep, absl::ToCivilDay(now, zone_of[rep])}];
      if (limits[rep].second > 0) {
        ASSERT_LE(today, limits[rep].second)
            << rep << " over its daily cap on "
            << absl::FormatTime(now, zone_of[rep]);
      }
    }
  }
}

}  // namespace
}  // namespace leadrouter::routing
