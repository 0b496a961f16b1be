// The lab's `schedule` and `idle-shutdown`: what is read, and every error
// with its exact text and position.
#include <gtest/gtest.h>

#include "config/lab_parser.h"
#include "schedule/parse.h"
#include "unit/config/test_support.h"

namespace config {
namespace {

using testing::Lines;
using testing::TempImageDir;
using V = std::vector<std::string>;

class LabScheduleTest : public ::testing::Test {
 protected:
  // A valid lab (lines 1-4) followed by `extra` from line 5.
  LabParseResult Parse(const std::string& extra) {
    return ParseLab(
        "lab: x\n"                                      // 1
        "images: [{name: tiny, file: tiny.qcow2}]\n"    // 2
        "vms: [{name: a, image: tiny}]\n"               // 3
        "description: scheduled\n" +                    // 4
            extra,
        "labs/x.yaml", images_.path());
  }
  V Errors(const std::string& extra) { return Lines(Parse(extra).errors); }
  TempImageDir images_;
};

TEST_F(LabScheduleTest, ReadsTheWholeSchedule) {
  LabParseResult result = Parse(
      "schedule:\n"
      "  timezone: America/Chicago\n"
      "  open: 2027-01-11 08:00\n"
      "  close: 2027-05-07 17:00\n"
      "  windows:\n"
      "    - days: [mon, wed]\n"
      "      from: \"09:00\"\n"
      "      to: \"11:50\"\n"
      "    - days: [fri]\n"
      "      from: \"22:00\"\n"
      "      to: \"02:00\"\n"
      "  warning: 10\n"
      "  grace: 0\n"
      "idle-shutdown:\n"
      "  after: 30\n");
  ASSERT_EQ(Lines(result.errors), V{});
  const core::LabSchedule& s = *result.lab->schedule;
  EXPECT_EQ(s.timezone, "America/Chicago");
  EXPECT_EQ(schedule::FormatLocalDateTime(*s.open), "2027-01-11 08:00");
  EXPECT_EQ(schedule::FormatLocalDateTime(*s.close), "2027-05-07 17:00");
  ASSERT_EQ(s.windows.size(), 2u);
  EXPECT_EQ(s.windows[0].days, (std::vector<int>{1, 3}));
  EXPECT_EQ(s.windows[0].from, 9 * 60);
  EXPECT_EQ(s.windows[0].to, 11 * 60 + 50);
  EXPECT_EQ(s.windows[1].to, 2 * 60);
  EXPECT_EQ(s.windows[0].pos.line, 10);
  EXPECT_EQ(s.warning_minutes, 10);
  EXPECT_EQ(s.grace_minutes, 0);
  EXPECT_EQ(result.lab->idle->after_minutes, 30);
  EXPECT_DOUBLE_EQ(result.lab->idle->cpu_fraction, 0.02);
}

TEST_F(LabScheduleTest, DefaultsAndAbsence) {
  LabParseResult none = Parse("");
  ASSERT_TRUE(none.lab);
  EXPECT_FALSE(none.lab->schedule);
  EXPECT_FALSE(none.lab->idle);
  EXPECT_FALSE(none.lab->cpu_limit);
  LabParseResult bounds = Parse("schedule:\n  close: 2027-05-07 17:00\n");
  ASSERT_EQ(Lines(bounds.errors), V{});
  EXPECT_EQ(bounds.lab->schedule->timezone, "UTC");
  EXPECT_EQ(bounds.lab->schedule->warning_minutes, 5);
  EXPECT_EQ(bounds.lab->schedule->grace_minutes, 2);
  EXPECT_TRUE(bounds.lab->schedule->windows.empty());
  LabParseResult whole_day =
      Parse("schedule:\n  windows: [{days: sat, from: \"00:00\", to: \"24:00\"}]\n");
  ASSERT_EQ(Lines(whole_day.errors), V{});
  EXPECT_EQ(whole_day.lab->schedule->windows[0].to, 1440);
}

TEST_F(LabScheduleTest, CpuLimitInPercentOfOneHostCpu) {
  for (const auto& [text, percent] : std::vector<std::pair<std::string, int>>{
           {"1.5", 150}, {"2", 200}, {"0.25", 25}, {"0.01", 1}, {"1.50", 150}, {"1024", 102400}}) {
    LabParseResult result = Parse("cpu-limit: " + text + "\n");
    ASSERT_EQ(Lines(result.errors), V{}) << text;
    EXPECT_EQ(result.lab->cpu_limit->percent, percent) << text;
  }
}

TEST_F(LabScheduleTest, UnknownTimeZoneGetsDidYouMean) {
  EXPECT_EQ(Errors("schedule:\n  timezone: America/Chicag\n"),
            V{"labs/x.yaml:6:13: unknown time zone 'America/Chicag' in the schedule "
              "(did you mean 'America/Chicago'?)"});
  EXPECT_EQ(Errors("schedule:\n  timezone: Nowhere/AtAllReally\n"),
            V{"labs/x.yaml:6:13: unknown time zone 'Nowhere/AtAllReally' in the schedule "
              "(use a name from /usr/share/zoneinfo, such as America/Chicago, Europe/Berlin "
              "or UTC)"});
}

TEST_F(LabScheduleTest, BadDatesAndCloseBeforeOpen) {
  EXPECT_EQ(Errors("schedule:\n  open: 2027-02-30 08:00\n  close: tomorrow\n"),
            (V{"labs/x.yaml:6:9: 'open' in the schedule must be a date and time "
               "YYYY-MM-DD HH:MM in the schedule's time zone, not '2027-02-30 08:00'",
               "labs/x.yaml:7:10: 'close' in the schedule must be a date and time "
               "YYYY-MM-DD HH:MM in the schedule's time zone, not 'tomorrow'"}));
  EXPECT_EQ(Errors("schedule:\n  open: 2027-05-07 17:00\n  close: 2027-01-11 08:00\n"),
            V{"labs/x.yaml:7:10: 'close' (2027-01-11 08:00) in the schedule is not after "
              "'open' (2027-05-07 17:00)"});
}

TEST_F(LabScheduleTest, WindowErrors) {
  EXPECT_EQ(Errors("schedule:\n  windows: []\n"),
            V{"labs/x.yaml:6:12: 'windows' in the schedule must list at least one window "
              "(leave it out to keep the lab open from 'open' to 'close')"});
  EXPECT_EQ(Errors("schedule:\n  windows:\n    - days: [mon, tues, xyz]\n"
                   "      from: \"9:00\"\n      to: \"25:00\"\n"),
            (V{"labs/x.yaml:7:19: unknown day 'tues' in window 1 of the schedule "
               "(did you mean 'tue'?)",
               "labs/x.yaml:7:25: unknown day 'xyz' in window 1 of the schedule "
               "(days are mon, tue, wed, thu, fri, sat, sun)",
               "labs/x.yaml:9:11: 'to' in window 1 of the schedule must be a time HH:MM "
               "from 00:00 to 24:00, not '25:00'"}));
  EXPECT_EQ(Errors("schedule:\n  windows:\n    - {days: [mon], from: \"10:00\", to: \"10:00\"}\n"),
            V{"labs/x.yaml:7:40: window 1 of the schedule has zero length: 'from' and 'to' "
              "are both 10:00 (for a whole day write from \"00:00\" to \"24:00\")"});
  EXPECT_EQ(Errors("schedule:\n  windows:\n    - {days: [], from: \"24:00\"}\n"),
            (V{"labs/x.yaml:7:7: missing required key 'to' in window 1 of the schedule",
               "labs/x.yaml:7:14: 'days' in window 1 of the schedule must list at least one "
               "day (mon to sun)",
               "labs/x.yaml:7:24: 'from' in window 1 of the schedule must be a time HH:MM "
               "from 00:00 to 23:59, not '24:00'"}));
  EXPECT_EQ(Errors("schedule:\n  windows: [mon]\n"),
            V{"labs/x.yaml:6:13: window 1 of the schedule must be a mapping with keys days, "
              "from and to, not a string"});
}

TEST_F(LabScheduleTest, UnknownKeysAndBadMinutes) {
  EXPECT_EQ(Errors("schedule:\n  timezon: UTC\n  warning: -5\n  grace: soon\n"),
            (V{"labs/x.yaml:6:3: unknown key 'timezon' in the schedule (did you mean "
               "'timezone'?)",
               "labs/x.yaml:7:12: 'warning' in the schedule must be a whole number of "
               "minutes, 0 or more, not '-5'",
               "labs/x.yaml:8:10: 'grace' in the schedule must be a whole number of minutes, "
               "0 or more, not 'soon'"}));
  EXPECT_EQ(Errors("schedule: always\n"),
            V{"labs/x.yaml:5:11: 'schedule' in the lab must be a mapping with keys timezone, "
              "open, close, windows, warning and grace, not a string"});
  EXPECT_EQ(Errors("schedul:\n  timezone: UTC\n"),
            V{"labs/x.yaml:5:1: unknown key 'schedul' in the lab (did you mean 'schedule'?)"});
}

TEST_F(LabScheduleTest, IdleShutdownErrors) {
  EXPECT_EQ(Errors("idle-shutdown:\n  after: 0\n"),
            V{"labs/x.yaml:6:10: 'after' in idle-shutdown must be a whole number of minutes, "
              "1 or more, not '0'"});
  EXPECT_EQ(Errors("idle-shutdown:\n  afer: 30\n"),
            (V{"labs/x.yaml:6:3: unknown key 'afer' in idle-shutdown (did you mean 'after'?)",
               "labs/x.yaml:6:3: missing required key 'after' in idle-shutdown"}));
  EXPECT_EQ(Errors("idle-shutdown: 30\n"),
            V{"labs/x.yaml:5:16: 'idle-shutdown' in the lab must be a mapping with the key "
              "after, not a string"});
}

}  // namespace
}  // namespace config
