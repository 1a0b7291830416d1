// The fault menu a sandbox serves with, and the one parser that both the
// command line and POST /__sandbox/faults go through.
#pragma once

#include "gateway/core/error.hpp"
#include "gateway/net/net.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

#include <boost/json/object.hpp>

namespace cgw::sandbox {

// Counted faults wear off: a count of N affects the next N requests and then
// switches that fault off; a count of 0 keeps it on until the menu is replaced.
// At most one fault answers a request, in this order: 429, error status, body fault.
// Two body faults are about the exchange rather than the bytes of the answer: page_loop (the
// vendor's paging points back into pages already served: each vendor says how in its handler's
// page_loop) and early_hints (a `103 Early Hints` interim response written before the answer).
struct fault_menu {
  std::uint32_t latency_ms = 0;        // added before every answer
  std::uint32_t error_status = 0;      // non-zero: answer this status with the vendor's error body
  std::uint32_t error_count = 0;       // ... for this many requests, then stop (0 = every request while set)
  std::uint32_t rate_limit_count = 0;  // answer 429 for this many requests (vendor-shaped body/headers)
  std::int32_t retry_after_s = -1;     // with 429: Retry-After seconds (-1: no Retry-After header)
  enum class body_fault { none, malformed, truncated, hang, slow_drip, oversize, page_loop, early_hints };
  body_fault body = body_fault::none;
  std::uint32_t body_fault_count = 0;  // 0 = every request while set
  std::uint32_t max_concurrency =
      0;  // more vendor requests than this at once get the vendor's 429 (0 = no limit)

  friend bool operator==(const fault_menu&, const fault_menu&) = default;
};

// The wire name of a body fault ("slow_drip").
std::string_view to_string(fault_menu::body_fault fault) noexcept;

// The menu described by a JSON object whose keys are fault_menu's member names
// ("body" by its name); missing keys keep their defaults. Fails, naming the key, with
// unknown_parameter on an unknown key and invalid_parameter on a wrong type or a value out of range.
result<fault_menu> parse_faults(const json::object& fields);

// Applies one command-line flag (--latency-ms, --fault-status, --fault-count, --rate-limit-count,
// --retry-after, --fault-body, --fault-body-count) to menu. Returns false when flag is not a
// fault flag (menu untouched); fails with invalid_parameter naming the flag on a bad value.
result<bool> apply_fault_flag(fault_menu& menu, std::string_view flag, std::string_view value);

}  // namespace cgw::sandbox
