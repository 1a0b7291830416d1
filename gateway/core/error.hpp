// The project's one error type: what went wrong, in the terms of the public API.
#pragma once

#include <boost/system/result.hpp>

#include <string>
#include <utility>

namespace cgw {

// Public error codes of the unified API (spec "Errors"); upstream_* are vendor
// failures that stay per-vendor data in `meta` unless every vendor failed.
enum class errc {
  invalid_parameter,
  unknown_parameter,
  invalid_cursor,
  invalid_id,
  invalid_request,  // ambiguous or malformed HTTP framing
  unauthorized,
  forbidden,
  not_found,
  method_not_allowed,
  request_timeout,  // the header section did not arrive in time
  payload_too_large,
  rate_limited,
  internal,
  upstream_error,
  upstream_timeout,
  upstream_unauthorized,
  upstream_rate_limited,
  circuit_open,
  unsupported,
  draining,
  overloaded,
  deadline_exceeded,
};

struct failure {
  errc code = errc::internal;
  std::string message;     // safe to show a client: never a secret or a raw vendor body
  std::string parameter;   // the offending parameter, when one is to blame
  int retry_after_s = 0;   // for rate limits, when known
  bool transient = false;  // a connection failure that a new attempt may not meet

  static failure make(errc c, std::string msg, std::string param = {}) {
    return failure{c, std::move(msg), std::move(param)};
  }
};

// The wire name of a code ("invalid_parameter").
const char* to_string(errc code) noexcept;

// The HTTP status a failure answers with when it fails the whole request.
unsigned http_status(errc code) noexcept;

// What a vendor's part of an answer says when it fails with `code`: "error", "rate_limited" or
// "circuit_open" (meta.vendors.<v>.status).
const char* vendor_status(errc code) noexcept;

// The code of the whole answer when a vendor's failure with `code` becomes it (a get, or every
// vendor failed): not_found, rate_limited, deadline_exceeded or upstream_error.
errc as_answer_code(errc code) noexcept;

// The outcome label of a vendor call that failed with `code` ("timeout" or "error").
const char* call_outcome(errc code) noexcept;

template <class T>
using result = boost::system::result<T, failure>;

// Lets result<T, failure>::value() throw; only bugs reach it.
[[noreturn]] void throw_exception_from_error(const failure& f, const boost::source_location& loc);

}  // namespace cgw
