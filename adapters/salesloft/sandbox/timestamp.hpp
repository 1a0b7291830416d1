// ISO-8601 timestamps as Salesloft writes them and as its filters accept them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cgw::sandbox::salesloft {

// Microseconds since the Unix epoch of an ISO-8601 date or date-time with any offset ("Z",
// "+02:00", "-0500"; none means UTC). Digits past microseconds are dropped. nullopt when text is not one.
std::optional<std::int64_t> parse_timestamp_us(std::string_view text);

// "2025-02-13T22:11:57.792Z" for milliseconds since the Unix epoch. Never fails.
std::string format_timestamp_ms(std::int64_t ms);

}  // namespace cgw::sandbox::salesloft
