#include "gateway/core/error.hpp"

#include <stdexcept>

namespace cgw {

const char* to_string(errc code) noexcept {
  switch (code) {
    case errc::invalid_parameter:
      return "invalid_parameter";
    case errc::unknown_parameter:
      return "unknown_parameter";
    case errc::invalid_cursor:
      return "invalid_cursor";
    case errc::invalid_id:
      return "invalid_id";
    case errc::invalid_request:
      return "invalid_request";
    case errc::unauthorized:
      return "unauthorized";
    case errc::forbidden:
      return "forbidden";
    case errc::not_found:
      return "not_found";
    case errc::method_not_allowed:
      return "method_not_allowed";
    case errc::request_timeout:
      return "request_timeout";
    case errc::payload_too_large:
      return "payload_too_large";
    case errc::rate_limited:
      return "rate_limited";
    case errc::internal:
      return "internal";
    case errc::upstream_error:
      return "upstream_error";
    case errc::upstream_timeout:
      return "upstream_timeout";
    case errc::upstream_unauthorized:
      return "upstream_unauthorized";
    case errc::upstream_rate_limited:
      return "upstream_rate_limited";
    case errc::circuit_open:
      return "circuit_open";
    case errc::unsupported:
      return "unsupported";
    case errc::draining:
      return "draining";
    case errc::overloaded:
      return "overloaded";
    case errc::deadline_exceeded:
      return "deadline_exceeded";
  }
  return "internal";
}

unsigned http_status(errc code) noexcept {
  switch (code) {
    case errc::invalid_parameter:
    case errc::unknown_parameter:
    case errc::invalid_cursor:
    case errc::invalid_id:
    case errc::invalid_request:
      return 400;
    case errc::unauthorized:
      return 401;
    case errc::forbidden:
      return 403;
    case errc::not_found:
      return 404;
    case errc::method_not_allowed:
      return 405;
    case errc::request_timeout:
      return 408;
    case errc::payload_too_large:
      return 413;
    case errc::rate_limited:
      return 429;
    case errc::internal:
      return 500;
    case errc::unsupported:
      return 501;
    case errc::upstream_error:
    case errc::upstream_unauthorized:
    case errc::upstream_rate_limited:
    case errc::circuit_open:
      return 502;
    case errc::draining:
    case errc::overloaded:
      return 503;
    case errc::upstream_timeout:
    case errc::deadline_exceeded:
      return 504;
  }
  return 500;
}

void throw_exception_from_error(const failure& f, const boost::source_location&) {
  throw std::logic_error(std::string("unchecked failure: ") + to_string(f.code) + ": " + f.message);
}

}  // namespace cgw
