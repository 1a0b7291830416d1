#include "adapters/salesloft/sandbox/timestamp.hpp"

#include <chrono>
#include <cstdio>

namespace cgw::sandbox::salesloft {
namespace {

using namespace std::chrono;

// Reads fixed-width fields left to right; every step fails on the first unexpected character.
struct reader {
  std::string_view rest;

  bool number(int width, int& out) {
    if (rest.size() < static_cast<std::size_t>(width)) return false;
    out = 0;
    for (int i = 0; i < width; ++i) {
      if (rest[i] < '0' || rest[i] > '9') return false;
      out = out * 10 + (rest[i] - '0');
    }
    rest.remove_prefix(width);
    return true;
  }
  bool skip(char c) {
    if (rest.empty() || rest.front() != c) return false;
    rest.remove_prefix(1);
    return true;
  }
  bool digit_next() const { return !rest.empty() && rest.front() >= '0' && rest.front() <= '9'; }
};

// Fraction of a second in microseconds; needs at least one digit.
std::optional<std::int64_t> fraction_us(reader& in) {
  if (!in.digit_next()) return std::nullopt;
  std::int64_t us = 0;
  std::int64_t scale = 100'000;
  for (int digit = 0; in.number(1, digit); scale /= 10) us += digit * scale;  // past 6 digits scale is 0
  return us;
}

// Offset east of UTC in minutes; nothing left means UTC, as Rails assumes.
std::optional<int> offset_minutes(reader& in) {
  if (in.rest.empty() || in.skip('Z') || in.skip('z')) return 0;
  // A '+' sent unencoded arrives as a space (form decoding); it is an error there as it is at the vendor.
  const int sign = in.skip('+') ? 1 : in.skip('-') ? -1 : 0;
  int hours = 0;
  int minutes = 0;
  if (sign == 0 || !in.number(2, hours) || hours > 23) return std::nullopt;
  if (!in.rest.empty()) {
    in.skip(':');  // "+02:00" and "+0200" are both ISO-8601
    if (!in.number(2, minutes) || minutes > 59) return std::nullopt;
  }
  return sign * (hours * 60 + minutes);
}

}  // namespace

std::optional<std::int64_t> parse_timestamp_us(std::string_view text) {
  reader in{text};
  int y = 0, mo = 0, d = 0;
  if (!in.number(4, y) || !in.skip('-') || !in.number(2, mo) || !in.skip('-') || !in.number(2, d)) return std::nullopt;
  const year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!date.ok()) return std::nullopt;
  std::int64_t us = duration_cast<microseconds>(sys_days{date}.time_since_epoch()).count();
  if (in.rest.empty()) return us;

  int h = 0, mi = 0, s = 0;
  if (!(in.skip('T') || in.skip('t') || in.skip(' '))) return std::nullopt;
  if (!in.number(2, h) || !in.skip(':') || !in.number(2, mi) || h > 23 || mi > 59) return std::nullopt;
  if (in.skip(':') && (!in.number(2, s) || s > 59)) return std::nullopt;
  us += ((h * 60LL + mi) * 60 + s) * 1'000'000;
  if (in.skip('.') || in.skip(',')) {
    const auto fraction = fraction_us(in);
    if (!fraction) return std::nullopt;
    us += *fraction;
  }
  const auto offset = offset_minutes(in);
  if (!offset || !in.rest.empty()) return std::nullopt;
  return us - *offset * 60LL * 1'000'000;
}

std::string format_timestamp_ms(std::int64_t ms) {
  const sys_time<milliseconds> at{milliseconds{ms}};
  const auto midnight = floor<days>(at);
  const year_month_day date{midnight};
  const hh_mm_ss time{at - midnight};
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()), static_cast<int>(time.subseconds().count()));
  return text;
}

}  // namespace cgw::sandbox::salesloft
