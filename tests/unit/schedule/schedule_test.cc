// OpenAt and Effective: windows, bounds, zones and DST changes, with `now`
// given (no clock). Instants are written in UTC so the expected values do
// not depend on the code under test.
#include "schedule/schedule.h"

#include <gtest/gtest.h>

#include "schedule/parse.h"

namespace schedule {
namespace {

TimePoint Utc(const std::string& text) {
  std::optional<TimePoint> t = ParseUtc(text);
  EXPECT_TRUE(t) << text;
  return t.value_or(TimePoint{});
}

core::WeeklyWindow Window(std::vector<std::string> days, const std::string& from,
                          const std::string& to) {
  core::WeeklyWindow w;
  for (const std::string& day : days) w.days.push_back(*ParseDay(day));
  w.from = *ParseClock(from);
  w.to = *ParseClock(to, /*end_of_day=*/true);
  return w;
}

core::LabSchedule Schedule(const std::string& zone, std::vector<core::WeeklyWindow> windows) {
  core::LabSchedule s;
  s.timezone = zone;
  s.windows = std::move(windows);
  return s;
}

std::string Next(const Openness& o) { return o.next ? FormatUtc(*o.next) : "never"; }

// 2027-01-11 is a Monday; Chicago is UTC-6 in January (CST).
TEST(OpenAtTest, InsideAWindowClosesAtItsEnd) {
  core::LabSchedule s = Schedule("America/Chicago", {Window({"mon", "wed"}, "09:00", "11:50")});
  Openness o = OpenAt(s, Utc("2027-01-11T15:30:00Z"));  // Mon 09:30 CST
  EXPECT_TRUE(o.open);
  EXPECT_EQ(Next(o), "2027-01-11T17:50:00Z");
}

TEST(OpenAtTest, BeforeAWindowOpensAtItsStartAndAfterItAtTheNextDay) {
  core::LabSchedule s = Schedule("America/Chicago", {Window({"mon", "wed"}, "09:00", "11:50")});
  Openness before = OpenAt(s, Utc("2027-01-11T14:59:00Z"));  // Mon 08:59
  EXPECT_FALSE(before.open);
  EXPECT_EQ(Next(before), "2027-01-11T15:00:00Z");
  Openness after = OpenAt(s, Utc("2027-01-11T17:50:00Z"));  // Mon 11:50: closed
  EXPECT_FALSE(after.open);
  EXPECT_EQ(Next(after), "2027-01-13T15:00:00Z");  // Wed 09:00
  Openness weekend = OpenAt(s, Utc("2027-01-15T20:00:00Z"));  // Fri
  EXPECT_EQ(Next(weekend), "2027-01-18T15:00:00Z");           // next Mon
}

TEST(OpenAtTest, AWindowCrossingMidnightEndsTheNextDay) {
  core::LabSchedule s = Schedule("UTC", {Window({"fri"}, "22:00", "02:00")});
  // 2027-01-15 is a Friday.
  Openness saturday = OpenAt(s, Utc("2027-01-16T01:00:00Z"));
  EXPECT_TRUE(saturday.open);
  EXPECT_EQ(Next(saturday), "2027-01-16T02:00:00Z");
  Openness later = OpenAt(s, Utc("2027-01-16T02:00:00Z"));
  EXPECT_FALSE(later.open);
  EXPECT_EQ(Next(later), "2027-01-22T22:00:00Z");
}

TEST(OpenAtTest, AdjacentAndOverlappingWindowsMerge) {
  core::LabSchedule s =
      Schedule("Europe/Berlin", {Window({"tue"}, "09:00", "11:00"), Window({"tue"}, "11:00", "12:00"),
                                 Window({"tue"}, "11:30", "13:00"), Window({"tue"}, "15:00", "16:00")});
  // 2027-01-12 is a Tuesday; Berlin is UTC+1 (CET).
  Openness o = OpenAt(s, Utc("2027-01-12T08:30:00Z"));  // 09:30 CET
  EXPECT_TRUE(o.open);
  EXPECT_EQ(Next(o), "2027-01-12T12:00:00Z");  // 13:00 CET
  Openness gap = OpenAt(s, Utc("2027-01-12T13:00:00Z"));
  EXPECT_FALSE(gap.open);
  EXPECT_EQ(Next(gap), "2027-01-12T14:00:00Z");  // 15:00 CET
}

TEST(OpenAtTest, AWindowToMidnightJoinsOneFromMidnight) {
  core::LabSchedule s =
      Schedule("UTC", {Window({"mon"}, "20:00", "24:00"), Window({"tue"}, "00:00", "03:00")});
  Openness o = OpenAt(s, Utc("2027-01-11T23:00:00Z"));
  EXPECT_TRUE(o.open);
  EXPECT_EQ(Next(o), "2027-01-12T03:00:00Z");
}

TEST(OpenAtTest, WindowsCoveringTheWholeWeekNeverClose) {
  core::LabSchedule s = Schedule(
      "Asia/Kolkata", {Window({"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, "00:00", "24:00")});
  Openness o = OpenAt(s, Utc("2027-01-12T08:00:00Z"));
  EXPECT_TRUE(o.open);
  EXPECT_EQ(Next(o), "never");
}

TEST(OpenAtTest, KolkataIsFiveAndAHalfHoursAhead) {
  core::LabSchedule s = Schedule("Asia/Kolkata", {Window({"mon"}, "09:00", "10:00")});
  Openness o = OpenAt(s, Utc("2027-01-11T03:00:00Z"));  // Mon 08:30 IST
  EXPECT_FALSE(o.open);
  EXPECT_EQ(Next(o), "2027-01-11T03:30:00Z");
}

TEST(OpenAtTest, WithoutWindowsOpenBetweenTheBounds) {
  core::LabSchedule s = Schedule("America/Chicago", {});
  s.open = ParseLocalDateTime("2027-01-11 08:00");
  s.close = ParseLocalDateTime("2027-05-07 17:00");
  Openness before = OpenAt(s, Utc("2027-01-01T00:00:00Z"));
  EXPECT_FALSE(before.open);
  EXPECT_EQ(Next(before), "2027-01-11T14:00:00Z");
  Openness during = OpenAt(s, Utc("2027-03-01T00:00:00Z"));
  EXPECT_TRUE(during.open);
  EXPECT_EQ(Next(during), "2027-05-07T22:00:00Z");  // 17:00 CDT
  Openness after = OpenAt(s, Utc("2027-05-07T22:00:00Z"));
  EXPECT_FALSE(after.open);
  EXPECT_EQ(Next(after), "never");
}

TEST(OpenAtTest, BoundsCutWindows) {
  core::LabSchedule s = Schedule("UTC", {Window({"mon"}, "09:00", "12:00")});
  s.open = ParseLocalDateTime("2027-01-11 10:00");   // a Monday, mid-window
  s.close = ParseLocalDateTime("2027-01-18 11:00");  // the next Monday, mid-window
  Openness early = OpenAt(s, Utc("2026-12-01T09:30:00Z"));
  EXPECT_FALSE(early.open);
  EXPECT_EQ(Next(early), "2027-01-11T10:00:00Z");
  Openness last = OpenAt(s, Utc("2027-01-18T09:30:00Z"));
  EXPECT_TRUE(last.open);
  EXPECT_EQ(Next(last), "2027-01-18T11:00:00Z");
  Openness between = OpenAt(s, Utc("2027-01-12T09:30:00Z"));
  EXPECT_EQ(Next(between), "2027-01-18T09:00:00Z");
}

TEST(OpenAtTest, NoWindowBeforeCloseMeansClosedForGood) {
  core::LabSchedule s = Schedule("UTC", {Window({"mon"}, "09:00", "12:00")});
  s.close = ParseLocalDateTime("2027-01-12 00:00");  // Tuesday
  Openness o = OpenAt(s, Utc("2027-01-11T13:00:00Z"));
  EXPECT_FALSE(o.open);
  EXPECT_EQ(Next(o), "never");
}

// Chicago springs forward on 2027-03-14 at 02:00 CST (08:00 UTC) to 03:00
// CDT; a window 01:30-03:00 lasts 30 minutes that night.
TEST(OpenAtTest, SpringForwardShortensAWindowAcrossTheGap) {
  core::LabSchedule s = Schedule("America/Chicago", {Window({"sun"}, "01:30", "03:00")});
  Openness o = OpenAt(s, Utc("2027-03-14T07:40:00Z"));  // 01:40 CST
  EXPECT_TRUE(o.open);
  EXPECT_EQ(Next(o), "2027-03-14T08:00:00Z");  // 03:00 CDT
  // A week later it is 90 minutes again, in CDT (UTC-5).
  Openness next = OpenAt(s, Utc("2027-03-14T08:00:00Z"));
  EXPECT_FALSE(next.open);
  EXPECT_EQ(Next(next), "2027-03-21T06:30:00Z");
}

TEST(OpenAtTest, AStartInsideTheSpringGapOpensWhenTheGapEnds) {
  core::LabSchedule s = Schedule("America/Chicago", {Window({"sun"}, "02:30", "04:00")});
  Openness o = OpenAt(s, Utc("2027-03-14T07:00:00Z"));  // 01:00 CST
  EXPECT_FALSE(o.open);
  EXPECT_EQ(Next(o), "2027-03-14T08:00:00Z");  // 03:00 CDT, the gap's end
  Openness in = OpenAt(s, Utc("2027-03-14T08:10:00Z"));
  EXPECT_TRUE(in.open);
  EXPECT_EQ(Next(in), "2027-03-14T09:00:00Z");  // 04:00 CDT
}

// Chicago falls back on 2027-11-07 at 02:00 CDT (07:00 UTC) to 01:00 CST:
// 01:30 happens twice; the earlier is chosen, so a window 01:30-03:00
// opens at 01:30 CDT and lasts two and a half hours.
TEST(OpenAtTest, FallBackPicksTheEarlierOfAnAmbiguousTime) {
  core::LabSchedule s = Schedule("America/Chicago", {Window({"sun"}, "01:30", "03:00")});
  Openness o = OpenAt(s, Utc("2027-11-07T06:00:00Z"));  // 01:00 CDT
  EXPECT_FALSE(o.open);
  EXPECT_EQ(Next(o), "2027-11-07T06:30:00Z");  // 01:30 CDT
  Openness in = OpenAt(s, Utc("2027-11-07T07:45:00Z"));  // 01:45 CST, the second time
  EXPECT_TRUE(in.open);
  EXPECT_EQ(Next(in), "2027-11-07T09:00:00Z");  // 03:00 CST
}

// Berlin: forward on 2027-03-28 02:00 CET -> 03:00 CEST (01:00 UTC), back
// on 2027-10-31 03:00 CEST -> 02:00 CET (01:00 UTC).
TEST(OpenAtTest, BerlinDstChanges) {
  core::LabSchedule s = Schedule("Europe/Berlin", {Window({"sun"}, "01:30", "03:00")});
  Openness spring = OpenAt(s, Utc("2027-03-28T00:45:00Z"));  // 01:45 CET
  EXPECT_TRUE(spring.open);
  EXPECT_EQ(Next(spring), "2027-03-28T01:00:00Z");  // 03:00 CEST
  Openness autumn = OpenAt(s, Utc("2027-10-30T23:00:00Z"));  // 01:00 CEST
  EXPECT_FALSE(autumn.open);
  EXPECT_EQ(Next(autumn), "2027-10-30T23:30:00Z");  // 01:30 CEST
  Openness during = OpenAt(s, Utc("2027-10-31T01:30:00Z"));  // 02:30 CET, the second time
  EXPECT_TRUE(during.open);
  // 03:00 is not ambiguous (the repeated hour is 02:00-03:00): 03:00 CET.
  EXPECT_EQ(Next(during), "2027-10-31T02:00:00Z");
}

TEST(EffectiveTest, WithoutScheduleOrOverrideAlwaysOpen) {
  LabState state = Effective(std::nullopt, std::nullopt, Utc("2027-01-11T00:00:00Z"));
  EXPECT_TRUE(state.open);
  EXPECT_FALSE(state.until);
  EXPECT_EQ(state.why, "no schedule");
  EXPECT_FALSE(state.overridden);
}

TEST(EffectiveTest, TheScheduleDecidesWithoutAnOverride) {
  core::LabSchedule s = Schedule("UTC", {Window({"mon"}, "09:00", "12:00")});
  LabState state = Effective(s, std::nullopt, Utc("2027-01-11T10:00:00Z"));
  EXPECT_TRUE(state.open);
  EXPECT_EQ(FormatUtc(*state.until), "2027-01-11T12:00:00Z");
  EXPECT_EQ(state.why, "schedule");
}

TEST(EffectiveTest, AnOverrideWithoutUntilWinsForGood) {
  core::LabSchedule s = Schedule("UTC", {Window({"mon"}, "09:00", "12:00")});
  Override closed{false, std::nullopt, "prof", Utc("2027-01-01T00:00:00Z")};
  LabState state = Effective(s, closed, Utc("2027-03-01T10:00:00Z"));
  EXPECT_FALSE(state.open);
  EXPECT_FALSE(state.until);
  EXPECT_EQ(state.why, "closed by prof");
  EXPECT_TRUE(state.overridden);
}

TEST(EffectiveTest, AnOverrideEndsAtItsUntil) {
  core::LabSchedule s = Schedule("UTC", {Window({"mon"}, "09:00", "12:00")});
  Override open{true, Utc("2027-01-11T14:00:00Z"), "prof", Utc("2027-01-11T13:00:00Z")};
  LabState during = Effective(s, open, Utc("2027-01-11T13:30:00Z"));
  EXPECT_TRUE(during.open);
  EXPECT_EQ(FormatUtc(*during.until), "2027-01-11T14:00:00Z");
  EXPECT_EQ(during.why, "opened by prof");
  LabState after = Effective(s, open, Utc("2027-01-11T14:00:00Z"));
  EXPECT_FALSE(after.open);
  EXPECT_EQ(after.why, "schedule");
  EXPECT_EQ(FormatUtc(*after.until), "2027-01-18T09:00:00Z");
}

TEST(EffectiveTest, AnOverrideEndingInTheScheduledStateRunsOnToTheSchedulesChange) {
  core::LabSchedule s = Schedule("UTC", {Window({"mon"}, "09:00", "12:00")});
  // Opened early at 08:00 until 10:00: the window keeps it open to 12:00.
  Override open{true, Utc("2027-01-11T10:00:00Z"), "prof", Utc("2027-01-11T08:00:00Z")};
  LabState state = Effective(s, open, Utc("2027-01-11T08:30:00Z"));
  EXPECT_EQ(FormatUtc(*state.until), "2027-01-11T12:00:00Z");
  // Without a schedule an opened lab stays open after the override ends.
  LabState unscheduled = Effective(std::nullopt, open, Utc("2027-01-11T08:30:00Z"));
  EXPECT_TRUE(unscheduled.open);
  EXPECT_FALSE(unscheduled.until);
}

TEST(EffectiveTest, WarningIsDueInTheMinutesBeforeAClose) {
  LabState state{true, Utc("2027-01-11T12:00:00Z"), "schedule", false};
  EXPECT_FALSE(WarningDue(state, 5, Utc("2027-01-11T11:54:59Z")));
  EXPECT_TRUE(WarningDue(state, 5, Utc("2027-01-11T11:55:00Z")));
  EXPECT_FALSE(WarningDue(state, 5, Utc("2027-01-11T12:00:00Z")));
  state.open = false;
  EXPECT_FALSE(WarningDue(state, 5, Utc("2027-01-11T11:58:00Z")));
}

TEST(ScheduleDescribeTest, TimesInTheLabsZone) {
  TimePoint now = Utc("2027-01-08T12:00:00Z");  // a Friday
  LabState closed{false, Utc("2027-01-11T15:00:00Z"), "schedule", false};
  EXPECT_EQ(Describe(closed, "America/Chicago", now), "closed until Mon 09:00 CST");
  EXPECT_EQ(Describe(closed, "Asia/Kolkata", now), "closed until Mon 20:30 IST");
  LabState far{false, Utc("2027-03-01T15:00:00Z"), "schedule", false};
  EXPECT_EQ(Describe(far, "UTC", now), "closed until Mon 2027-03-01 15:00 UTC");
  EXPECT_EQ(Describe(LabState{}, "UTC", now), "open");
}

TEST(ScheduleSummaryTest, OneLine) {
  core::LabSchedule s = Schedule("America/Chicago", {Window({"mon", "wed"}, "09:00", "11:50"),
                                                     Window({"fri"}, "22:00", "02:00")});
  s.open = ParseLocalDateTime("2027-01-11 08:00");
  s.close = ParseLocalDateTime("2027-05-07 17:00");
  EXPECT_EQ(Summary(s),
            "America/Chicago, mon wed 09:00-11:50, fri 22:00-02:00, from 2027-01-11 08:00 to "
            "2027-05-07 17:00; warning 5 min, grace 2 min");
  core::LabSchedule until = Schedule("UTC", {});
  until.close = s.close;
  EXPECT_EQ(Summary(until), "UTC, to 2027-05-07 17:00; warning 5 min, grace 2 min");
}

}  // namespace
}  // namespace schedule
