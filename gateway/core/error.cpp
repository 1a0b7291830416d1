#include "gateway/core/error.hpp"

#include <iterator>
#include <stdexcept>

namespace cgw {

namespace {

// One row per code, in the enum's order: everything the gateway says of a code is read here.
struct errc_row {
  errc code;
  const char* name;           // the wire name
  unsigned status;            // the HTTP status of an answer that fails with it
  const char* vendor_status;  // meta.vendors.<v>.status when a vendor's part fails with it
  errc as_answer;             // the code of the whole answer when a vendor's failure becomes it
  const char* outcome;        // the outcome label of a vendor call that fails with it
};

constexpr errc_row rows[] = {
    {errc::invalid_parameter, "invalid_parameter", 400, "error", errc::upstream_error, "error"},
    {errc::unknown_parameter, "unknown_parameter", 400, "error", errc::upstream_error, "error"},
    {errc::invalid_cursor, "invalid_cursor", 400, "error", errc::upstream_error, "error"},
    {errc::invalid_id, "invalid_id", 400, "error", errc::upstream_error, "error"},
    {errc::invalid_request, "invalid_request", 400, "error", errc::upstream_error, "error"},
    {errc::unauthorized, "unauthorized", 401, "error", errc::upstream_error, "error"},
    {errc::forbidden, "forbidden", 403, "error", errc::upstream_error, "error"},
    {errc::not_found, "not_found", 404, "error", errc::not_found, "error"},
    {errc::method_not_allowed, "method_not_allowed", 405, "error", errc::upstream_error, "error"},
    {errc::request_timeout, "request_timeout", 408, "error", errc::upstream_error, "error"},
    {errc::payload_too_large, "payload_too_large", 413, "error", errc::upstream_error, "error"},
    {errc::rate_limited, "rate_limited", 429, "rate_limited", errc::rate_limited, "error"},
    {errc::internal, "internal", 500, "error", errc::upstream_error, "error"},
    {errc::upstream_error, "upstream_error", 502, "error", errc::upstream_error, "error"},
    {errc::upstream_timeout, "upstream_timeout", 504, "error", errc::deadline_exceeded, "timeout"},
    {errc::upstream_unauthorized, "upstream_unauthorized", 502, "error", errc::upstream_error, "error"},
    {errc::upstream_rate_limited, "upstream_rate_limited", 502, "rate_limited", errc::rate_limited, "error"},
    {errc::circuit_open, "circuit_open", 502, "circuit_open", errc::upstream_error, "error"},
    {errc::unsupported, "unsupported", 501, "error", errc::upstream_error, "error"},
    {errc::draining, "draining", 503, "error", errc::upstream_error, "error"},
    {errc::overloaded, "overloaded", 503, "error", errc::upstream_error, "error"},
    {errc::deadline_exceeded, "deadline_exceeded", 504, "error", errc::deadline_exceeded, "timeout"},
};

constexpr bool in_enum_order() {
  for (std::size_t i = 0; i < std::size(rows); ++i)
    if (static_cast<std::size_t>(rows[i].code) != i) return false;
  return std::size(rows) == static_cast<std::size_t>(errc::deadline_exceeded) + 1;
}
static_assert(in_enum_order(), "one row per errc, in the enum's order");

const errc_row& row(errc code) noexcept {
  return rows[static_cast<std::size_t>(code)];
}

}  // namespace

const char* to_string(errc code) noexcept {
  return row(code).name;
}

unsigned http_status(errc code) noexcept {
  return row(code).status;
}

const char* vendor_status(errc code) noexcept {
  return row(code).vendor_status;
}

errc as_answer_code(errc code) noexcept {
  return row(code).as_answer;
}

const char* call_outcome(errc code) noexcept {
  return row(code).outcome;
}

void throw_exception_from_error(const failure& f, const boost::source_location&) {
  throw std::logic_error(std::string("unchecked failure: ") + to_string(f.code) + ": " + f.message);
}

}  // namespace cgw
