// Text forms of schedule values, the JSON the state database keeps, and
// the zone database being the system's.
#include "schedule/parse.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "schedule/policy_json.h"
#include "schedule/time.h"

namespace schedule {
namespace {

TEST(ScheduleParseTest, Clock) {
  EXPECT_EQ(ParseClock("09:00"), 540);
  EXPECT_EQ(ParseClock("9:05"), 545);
  EXPECT_EQ(ParseClock("23:59"), 1439);
  EXPECT_EQ(ParseClock("24:00"), std::nullopt);
  EXPECT_EQ(ParseClock("24:00", /*end_of_day=*/true), 1440);
  EXPECT_EQ(ParseClock("24:01", /*end_of_day=*/true), std::nullopt);
  EXPECT_EQ(FormatClock(1440), "24:00");
  EXPECT_EQ(ParseClock("12:60"), std::nullopt);
  EXPECT_EQ(ParseClock("12"), std::nullopt);
  EXPECT_EQ(ParseClock("-1:00"), std::nullopt);
  EXPECT_EQ(FormatClock(545), "09:05");
}

TEST(ScheduleParseTest, LocalDateTime) {
  std::optional<core::LocalDateTime> t = ParseLocalDateTime("2027-01-11 08:00");
  ASSERT_TRUE(t);
  EXPECT_EQ(FormatLocalDateTime(*t), "2027-01-11 08:00");
  EXPECT_TRUE(ParseLocalDateTime("2028-02-29T23:59"));
  EXPECT_FALSE(ParseLocalDateTime("2027-02-29 08:00"));
  EXPECT_FALSE(ParseLocalDateTime("2027-1-11 08:00"));
  EXPECT_FALSE(ParseLocalDateTime("2027-01-11"));
  EXPECT_LT(Compare(*ParseLocalDateTime("2027-01-11 08:00"), *ParseLocalDateTime("2027-01-11 08:01")),
            0);
}

TEST(ScheduleParseTest, Days) {
  EXPECT_EQ(ParseDay("mon"), 1);
  EXPECT_EQ(ParseDay("Sunday"), 0);
  EXPECT_EQ(ParseDay("SAT"), 6);
  EXPECT_EQ(ParseDay("mo"), std::nullopt);
  EXPECT_STREQ(DayName(3), "wed");
}

TEST(ScheduleParseTest, WhenIsALocalTimeOrADuration) {
  TimePoint now = *ParseUtc("2027-01-11T15:00:00Z");
  EXPECT_EQ(FormatUtc(ParseWhen("90m", "UTC", now)), "2027-01-11T16:30:00Z");
  EXPECT_EQ(FormatUtc(ParseWhen("2h", "UTC", now)), "2027-01-11T17:00:00Z");
  EXPECT_EQ(FormatUtc(ParseWhen("1d", "UTC", now)), "2027-01-12T15:00:00Z");
  EXPECT_EQ(FormatUtc(ParseWhen("2027-01-11 11:00", "America/Chicago", now)),
            "2027-01-11T17:00:00Z");
  try {
    ParseWhen("soon", "America/Chicago", now);
    FAIL();
  } catch (const core::InputError& e) {
    EXPECT_EQ(e.message(), "cannot read the time 'soon'");
    EXPECT_EQ(e.fix(),
              "give \"YYYY-MM-DD HH:MM\" in the lab's time zone (America/Chicago) or a "
              "duration such as 90m, 2h or 1d");
  }
  try {
    ParseWhen("2027-01-11 08:00", "America/Chicago", now);
    FAIL();
  } catch (const core::InputError& e) {
    EXPECT_EQ(e.message(), "the time '2027-01-11 08:00' (2027-01-11 08:00 CST) is not in the future");
  }
}

TEST(ScheduleTimeTest, ZonesComeFromTheSystemDatabase) {
  EXPECT_TRUE(IsKnownTimeZone("America/Chicago"));
  EXPECT_TRUE(IsKnownTimeZone("UTC"));
  EXPECT_FALSE(IsKnownTimeZone("America/Chicag"));
  EXPECT_GT(TimeZoneNames().size(), 300u);
  EXPECT_THROW(ToInstant(*ParseLocalDateTime("2027-01-11 08:00"), "Mars/Olympus"),
               core::InputError);
}

TEST(ScheduleTimeTest, UtcRoundTrip) {
  EXPECT_EQ(FormatUtc(*ParseUtc("2027-01-11T14:00:00Z")), "2027-01-11T14:00:00Z");
  EXPECT_EQ(FormatUtc(*ParseUtc("2027-01-11T14:00:00.999Z")), "2027-01-11T14:00:00Z");
  EXPECT_FALSE(ParseUtc("2027-01-11 14:00"));
  EXPECT_FALSE(ParseUtc("2027-01-11T14:00:00Zjunk"));
}

TEST(PolicyJsonTest, RoundTrip) {
  core::Lab lab;
  EXPECT_EQ(EncodePolicy(lab), "");
  core::LabSchedule s;
  s.timezone = "America/Chicago";
  s.open = ParseLocalDateTime("2027-01-11 08:00");
  core::WeeklyWindow w;
  w.days = {1, 3};
  w.from = 540;
  w.to = 710;
  s.windows = {w};
  s.warning_minutes = 10;
  lab.schedule = s;
  lab.idle = core::IdlePolicy{};
  lab.idle->after_minutes = 45;
  std::string json = EncodePolicy(lab);
  EXPECT_EQ(json,
            R"({"idle":{"after":45,"cpu_fraction":0.02},"schedule":{"grace":2,"open":"2027-01-11 08:00",)"
            R"("timezone":"America/Chicago","warning":10,"windows":[{"days":["mon","wed"],)"
            R"("from":"09:00","to":"11:50"}]}})");
  Policy policy = DecodePolicy(json);
  ASSERT_TRUE(policy.schedule && policy.idle);
  EXPECT_EQ(EncodePolicy(core::Lab{"", "", "", {}, {}, {}, policy.schedule, policy.idle}), json);
  EXPECT_FALSE(DecodePolicy("").schedule);
  EXPECT_THROW(DecodePolicy("{\"schedule\": 3}"), core::Error);
}

}  // namespace
}  // namespace schedule
