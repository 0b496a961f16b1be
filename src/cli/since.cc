#include "cli/since.h"

#include <cctype>
#include <cstdio>
#include <ctime>
#include <optional>

#include "core/error.h"

namespace cli {
namespace {

using Clock = std::chrono::system_clock;
using Millis = std::chrono::milliseconds;

[[noreturn]] void Refuse(const std::string& text) {
  throw core::InputError("--since '" + text + "' is not a time", "",
                         std::string("use ") + kSinceForms);
}

std::string Format(Clock::time_point moment) {
  int64_t ms = std::chrono::duration_cast<Millis>(moment.time_since_epoch()).count();
  int64_t seconds = ms / 1000;
  int millis = static_cast<int>(ms % 1000);
  if (millis < 0) {  // before 1970: floor, not truncate
    millis += 1000;
    --seconds;
  }
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
  return buf;
}

// A reader over the text: digits, then the separators we expect.
class Scanner {
 public:
  explicit Scanner(const std::string& text) : text_(text) {}
  bool Done() const { return pos_ == text_.size(); }
  char Peek() const { return Done() ? '\0' : text_[pos_]; }
  bool Take(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  // Exactly `count` digits.
  std::optional<int> Digits(size_t count) {
    if (pos_ + count > text_.size()) return std::nullopt;
    int value = 0;
    for (size_t i = 0; i < count; ++i) {
      char c = text_[pos_ + i];
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
      value = value * 10 + (c - '0');
    }
    pos_ += count;
    return value;
  }
  // One or more digits, as a fraction of a second in milliseconds.
  std::optional<int> FractionMillis() {
    size_t begin = pos_;
    int millis = 0;
    while (std::isdigit(static_cast<unsigned char>(Peek()))) {
      if (pos_ - begin < 3) millis = millis * 10 + (text_[pos_] - '0');
      ++pos_;
    }
    size_t count = pos_ - begin;
    if (count == 0) return std::nullopt;
    for (size_t i = count; i < 3; ++i) millis *= 10;
    return millis;
  }

 private:
  const std::string& text_;
  size_t pos_ = 0;
};

int DaysInMonth(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// An ISO 8601 date or date-time; nullopt when `text` is not one.
std::optional<Clock::time_point> ParseIso(const std::string& text) {
  Scanner in(text);
  std::optional<int> year = in.Digits(4);
  if (!year || !in.Take('-')) return std::nullopt;
  std::optional<int> month = in.Digits(2);
  if (!month || !in.Take('-')) return std::nullopt;
  std::optional<int> day = in.Digits(2);
  if (!day || *month < 1 || *month > 12 || *day < 1 || *day > DaysInMonth(*year, *month)) {
    return std::nullopt;
  }
  int hour = 0, minute = 0, second = 0, millis = 0;
  int offset_minutes = 0;  // local time = UTC + offset
  if (!in.Done()) {
    if (!in.Take('T') && !in.Take('t') && !in.Take(' ')) return std::nullopt;
    std::optional<int> h = in.Digits(2);
    if (!h || !in.Take(':')) return std::nullopt;
    std::optional<int> m = in.Digits(2);
    if (!m) return std::nullopt;
    hour = *h;
    minute = *m;
    if (in.Take(':')) {
      std::optional<int> s = in.Digits(2);
      if (!s) return std::nullopt;
      second = *s;
      if (in.Take('.') || in.Take(',')) {
        std::optional<int> f = in.FractionMillis();
        if (!f) return std::nullopt;
        millis = *f;
      }
    }
    if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
    if (in.Take('Z') || in.Take('z')) {
      // UTC
    } else if (in.Peek() == '+' || in.Peek() == '-') {
      int sign = in.Peek() == '-' ? -1 : 1;
      in.Take(in.Peek());
      std::optional<int> oh = in.Digits(2);
      if (!oh) return std::nullopt;
      int om = 0;
      if (!in.Done()) {
        in.Take(':');
        std::optional<int> m2 = in.Digits(2);
        if (!m2) return std::nullopt;
        om = *m2;
      }
      if (*oh > 23 || om > 59) return std::nullopt;
      offset_minutes = sign * (*oh * 60 + om);
    }
  }
  if (!in.Done()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  std::time_t utc = ::timegm(&tm);
  return Clock::from_time_t(utc) - std::chrono::minutes(offset_minutes) + Millis(millis);
}

// "30m", "2h", "3d", "1w": that long before now.
std::optional<Clock::time_point> ParseAgo(const std::string& text, Clock::time_point now) {
  if (text.size() < 2 || text.size() > 8) return std::nullopt;
  int64_t count = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    count = count * 10 + (text[i] - '0');
  }
  switch (text.back()) {
    case 'm': return now - std::chrono::minutes(count);
    case 'h': return now - std::chrono::hours(count);
    case 'd': return now - std::chrono::hours(24 * count);
    case 'w': return now - std::chrono::hours(24 * 7 * count);
    default: return std::nullopt;
  }
}

Clock::time_point MidnightUtc(Clock::time_point now) {
  std::time_t t = Clock::to_time_t(now);
  return Clock::from_time_t(t - ((t % 86400) + 86400) % 86400);
}

}  // namespace

std::string ParseSince(const std::string& text, Clock::time_point now) {
  if (text == "today") return Format(MidnightUtc(now));
  if (text == "yesterday") return Format(MidnightUtc(now) - std::chrono::hours(24));
  if (std::optional<Clock::time_point> ago = ParseAgo(text, now)) return Format(*ago);
  if (std::optional<Clock::time_point> moment = ParseIso(text)) return Format(*moment);
  Refuse(text);
}

}  // namespace cli
