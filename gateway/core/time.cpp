#include "gateway/core/time.hpp"

#include <chrono>
#include <cstdio>

namespace cgw {
namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

// Shared grammar: date 'T' time [fraction] [offset]. `need_offset` is the only difference
// between client input (strict) and vendor input (lenient about a missing offset).
std::optional<micros> parse(std::string_view s, bool need_offset) {
  int year, month, day, hour, minute, second;
  if (!digits(s, 0, 4, year) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, month) || s[7] != '-' ||
      !digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, hour) ||
      s[13] != ':' || !digits(s, 14, 2, minute) || s[16] != ':' || !digits(s, 17, 2, second))
    return std::nullopt;
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  std::size_t pos = 19;
  std::int64_t frac_us = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    std::int64_t scale = 100000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      frac_us += (s[pos] - '0') * scale;  // digits past microseconds are dropped
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  std::int64_t offset_s = 0;
  if (pos == s.size()) {
    if (need_offset) return std::nullopt;
  } else if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset_s = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  using namespace std::chrono;
  year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                     std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  std::int64_t secs = sys_days{ymd}.time_since_epoch().count() * 86400LL + hour * 3600LL + minute * 60LL +
                      std::min(second, 59) - offset_s;
  return secs * 1'000'000 + frac_us;
}

time_text format(micros t, bool full) {
  using namespace std::chrono;
  std::int64_t us = t % 1'000'000;
  std::int64_t secs = t / 1'000'000;
  if (us < 0) {
    us += 1'000'000;
    secs -= 1;
  }
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  year_month_day ymd{sys_days{std::chrono::days{days}}};
  const int year = int(ymd.year());
  time_text out;
  if (year >= 0 && year <= 9999) {  // every real timestamp: digits written directly (no printf per field)
    char* p = out.data;
    auto put = [&p](std::int64_t v, int width, char after) {
      for (int i = width - 1; i >= 0; --i, v /= 10) p[i] = static_cast<char>('0' + v % 10);
      p += width;
      *p++ = after;
    };
    put(year, 4, '-');
    put(unsigned(ymd.month()), 2, '-');
    put(unsigned(ymd.day()), 2, 'T');
    put(rem / 3600, 2, ':');
    put(rem / 60 % 60, 2, ':');
    put(rem % 60, 2, '.');
    if (full)
      put(us, 6, 'Z');
    else
      put(us / 1000, 3, 'Z');
    out.size = static_cast<std::size_t>(p - out.data);
    return out;
  }
  int n = full ? std::snprintf(out.data, sizeof out.data, "%04d-%02u-%02uT%02d:%02d:%02d.%06dZ", year,
                               unsigned(ymd.month()), unsigned(ymd.day()), int(rem / 3600),
                               int(rem / 60 % 60), int(rem % 60), int(us))
               : std::snprintf(out.data, sizeof out.data, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", year,
                               unsigned(ymd.month()), unsigned(ymd.day()), int(rem / 3600),
                               int(rem / 60 % 60), int(rem % 60), int(us / 1000));
  out.size = static_cast<std::size_t>(n);
  return out;
}

}  // namespace

std::optional<micros> parse_rfc3339(std::string_view text) {
  return parse(text, true);
}
std::optional<micros> parse_vendor_time(std::string_view text) {
  return parse(text, false);
}
std::string format_rfc3339_ms(micros t) {
  return std::string(format(t, false).view());
}
std::string format_rfc3339_us(micros t) {
  return std::string(format(t, true).view());
}
time_text rfc3339_ms_text(micros t) {
  return format(t, false);
}

}  // namespace cgw
