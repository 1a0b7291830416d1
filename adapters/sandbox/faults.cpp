#include "adapters/sandbox/faults.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <string>

#include <boost/json/value.hpp>

namespace cgw::sandbox {
namespace {

using body_fault = fault_menu::body_fault;

// Indexed by body_fault.
constexpr std::array<std::string_view, 8> body_names{"none",      "malformed", "truncated", "hang",
                                                     "slow_drip", "oversize",  "page_loop", "early_hints"};

// One numeric member, under its JSON key and its command-line flag, so both spellings
// share one validation.
struct number_field {
  std::string_view key;
  std::string_view flag;
  std::string_view valid_values;  // for the error message
  bool (*valid)(std::int64_t);
  void (*set)(fault_menu&, std::int64_t);
};

constexpr std::int64_t u32_max = std::numeric_limits<std::uint32_t>::max();

constexpr std::array<number_field, 7> number_fields{{
    {"max_concurrency", "--max-concurrency", "a non-negative 32-bit integer (0: no limit)",
     [](std::int64_t v) { return v >= 0 && v <= u32_max; },
     [](fault_menu& m, std::int64_t v) { m.max_concurrency = static_cast<std::uint32_t>(v); }},
    {"latency_ms", "--latency-ms", "an integer from 0 to 600000",
     [](std::int64_t v) { return v >= 0 && v <= 600'000; },
     [](fault_menu& m, std::int64_t v) { m.latency_ms = static_cast<std::uint32_t>(v); }},
    // 1xx-3xx would not be errors, and a 1xx would even break the HTTP exchange.
    {"error_status", "--fault-status", "0 or an HTTP status from 400 to 599",
     [](std::int64_t v) { return v == 0 || (v >= 400 && v <= 599); },
     [](fault_menu& m, std::int64_t v) { m.error_status = static_cast<std::uint32_t>(v); }},
    {"error_count", "--fault-count", "a non-negative 32-bit integer",
     [](std::int64_t v) { return v >= 0 && v <= u32_max; },
     [](fault_menu& m, std::int64_t v) { m.error_count = static_cast<std::uint32_t>(v); }},
    {"rate_limit_count", "--rate-limit-count", "a non-negative 32-bit integer",
     [](std::int64_t v) { return v >= 0 && v <= u32_max; },
     [](fault_menu& m, std::int64_t v) { m.rate_limit_count = static_cast<std::uint32_t>(v); }},
    {"retry_after_s", "--retry-after", "-1 (no header) or seconds from 0 to 86400",
     [](std::int64_t v) { return v >= -1 && v <= 86'400; },
     [](fault_menu& m, std::int64_t v) { m.retry_after_s = static_cast<std::int32_t>(v); }},
    {"body_fault_count", "--fault-body-count", "a non-negative 32-bit integer",
     [](std::int64_t v) { return v >= 0 && v <= u32_max; },
     [](fault_menu& m, std::int64_t v) { m.body_fault_count = static_cast<std::uint32_t>(v); }},
}};

constexpr std::string_view body_key = "body";
constexpr std::string_view body_flag = "--fault-body";

failure invalid(std::string_view name, std::string_view must) {
  return failure::make(errc::invalid_parameter, std::string(name) + " must be " + std::string(must),
                       std::string(name));
}

std::optional<failure> set_number(fault_menu& menu, const number_field& field, std::string_view name,
                                  std::optional<std::int64_t> value) {
  if (!value || !field.valid(*value)) return invalid(name, field.valid_values);
  field.set(menu, *value);
  return std::nullopt;
}

std::optional<failure> set_body(fault_menu& menu, std::string_view name, std::string_view value) {
  const auto it = std::find(body_names.begin(), body_names.end(), value);
  if (it == body_names.end())
    return invalid(name,
                   "one of none, malformed, truncated, hang, slow_drip, oversize, page_loop, early_hints");
  menu.body = static_cast<body_fault>(it - body_names.begin());
  return std::nullopt;
}

const number_field* find_field(std::string_view name, std::string_view number_field::*spelling) {
  const auto it = std::find_if(number_fields.begin(), number_fields.end(),
                               [&](const number_field& f) { return f.*spelling == name; });
  return it == number_fields.end() ? nullptr : &*it;
}

std::optional<std::int64_t> json_integer(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  return std::nullopt;  // uint64 beyond int64 is out of every range anyway
}

std::optional<std::int64_t> text_integer(std::string_view text) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace

std::string_view to_string(fault_menu::body_fault fault) noexcept {
  return body_names[static_cast<std::size_t>(fault)];
}

result<fault_menu> parse_faults(const json::object& fields) {
  fault_menu menu;
  for (const auto& [key, value] : fields) {
    std::optional<failure> bad;
    if (key == body_key) {
      bad = value.is_string() ? set_body(menu, key, value.get_string()) : invalid(key, "a string");
    } else if (const auto* field = find_field(key, &number_field::key)) {
      bad = set_number(menu, *field, key, json_integer(value));
    } else {
      bad = failure::make(errc::unknown_parameter, "unknown fault " + std::string(key), std::string(key));
    }
    if (bad) return *bad;
  }
  return menu;
}

result<bool> apply_fault_flag(fault_menu& menu, std::string_view flag, std::string_view value) {
  std::optional<failure> bad;
  if (flag == body_flag) {
    bad = set_body(menu, flag, value);
  } else if (const auto* field = find_field(flag, &number_field::flag)) {
    bad = set_number(menu, *field, flag, text_integer(value));
  } else {
    return false;
  }
  if (bad) return *bad;
  return true;
}

}  // namespace cgw::sandbox
