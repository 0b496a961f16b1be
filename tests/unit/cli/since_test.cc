#include "cli/since.h"

#include <gtest/gtest.h>

#include <ctime>

#include "core/error.h"

namespace cli {
namespace {

using Clock = std::chrono::system_clock;

// 2024-03-01T10:20:30.250Z: a fixed "now" (the day after a leap day).
Clock::time_point Now() {
  std::tm tm{};
  tm.tm_year = 124;
  tm.tm_mon = 2;
  tm.tm_mday = 1;
  tm.tm_hour = 10;
  tm.tm_min = 20;
  tm.tm_sec = 30;
  return Clock::from_time_t(::timegm(&tm)) + std::chrono::milliseconds(250);
}

std::string Since(const std::string& text) { return ParseSince(text, Now()); }

TEST(SinceTest, TodayAndYesterdayAreMidnightsUtc) {
  EXPECT_EQ(Since("today"), "2024-03-01T00:00:00.000Z");
  EXPECT_EQ(Since("yesterday"), "2024-02-29T00:00:00.000Z");
}

TEST(SinceTest, RelativeFormsCountBackFromNow) {
  EXPECT_EQ(Since("30m"), "2024-03-01T09:50:30.250Z");
  EXPECT_EQ(Since("2h"), "2024-03-01T08:20:30.250Z");
  EXPECT_EQ(Since("3d"), "2024-02-27T10:20:30.250Z");
  EXPECT_EQ(Since("1w"), "2024-02-23T10:20:30.250Z");
  EXPECT_EQ(Since("0m"), "2024-03-01T10:20:30.250Z");
}

TEST(SinceTest, IsoDatesAndTimesWithAndWithoutZone) {
  EXPECT_EQ(Since("2024-05-01"), "2024-05-01T00:00:00.000Z");
  EXPECT_EQ(Since("2024-05-01T12:00"), "2024-05-01T12:00:00.000Z");
  EXPECT_EQ(Since("2024-05-01 12:00:07"), "2024-05-01T12:00:07.000Z");
  EXPECT_EQ(Since("2024-05-01T12:00:07.5"), "2024-05-01T12:00:07.500Z");
  EXPECT_EQ(Since("2024-05-01T12:00:07.123456Z"), "2024-05-01T12:00:07.123Z");
  EXPECT_EQ(Since("2024-05-01T12:00:00Z"), "2024-05-01T12:00:00.000Z");
  EXPECT_EQ(Since("2024-05-01T14:00:00+02:00"), "2024-05-01T12:00:00.000Z");
  EXPECT_EQ(Since("2024-05-01T01:00+0200"), "2024-04-30T23:00:00.000Z");
  EXPECT_EQ(Since("2024-05-01T22:30-05"), "2024-05-02T03:30:00.000Z");
  EXPECT_EQ(Since("2024-02-29"), "2024-02-29T00:00:00.000Z");
}

TEST(SinceTest, AnythingElseIsRefusedNamingTheForms) {
  for (const char* text :
       {"", "now", "last week", "2h ago", "2", "h", "5s", "-2h", "2024-5-1", "2024-13-01",
        "2023-02-29", "2024-04-31", "2024-05-01T25:00", "2024-05-01T12", "2024-05-01T12:00+",
        "2024-05-01T12:00+2", "2024-05-01T12:00:00ZZ", "01/05/2024", "Yesterday"}) {
    try {
      Since(text);
      ADD_FAILURE() << "accepted '" << text << "'";
    } catch (const core::InputError& e) {
      EXPECT_EQ(e.message(), "--since '" + std::string(text) + "' is not a time");
      EXPECT_EQ(e.fix(), std::string("use ") + kSinceForms);
    }
  }
}

}  // namespace
}  // namespace cli
