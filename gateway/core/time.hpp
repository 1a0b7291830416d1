// Instants as microseconds since the Unix epoch, UTC; RFC 3339 in and out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cgw {

using micros = std::int64_t;

// A strict RFC 3339 date-time with an offset (client input); nullopt when it is not one.
std::optional<micros> parse_rfc3339(std::string_view text);

// A vendor timestamp: RFC 3339, or ISO-8601 without an offset (read as UTC); nullopt when unreadable.
std::optional<micros> parse_vendor_time(std::string_view text);

// `2025-02-13T22:11:57.792Z`: UTC, millisecond precision (truncated toward the past).
std::string format_rfc3339_ms(micros t);

// The same text in a buffer of its own, for writers that copy it anyway (no allocation).
struct time_text {
  char data[40];
  std::size_t size = 0;
  std::string_view view() const noexcept { return {data, size}; }
};
time_text rfc3339_ms_text(micros t);

// Full microsecond precision with `Z`, for vendors that compare at that precision.
std::string format_rfc3339_us(micros t);

}  // namespace cgw
