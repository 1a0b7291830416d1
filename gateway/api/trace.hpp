// W3C Trace Context (https://www.w3.org/TR/trace-context/): the trace a request belongs
// to, taken from the client's `traceparent` or started here, and the `traceparent` the
// gateway sends on every vendor call of that request (same trace, the gateway's own span).
#pragma once

#include <string>
#include <string_view>

namespace cgw::api {

struct trace_context {
  std::string trace_id;     // 32 lower-case hex digits
  std::string traceparent;  // "00-<trace id>-<the gateway's span id>-<flags>", sent to vendors
};

// From the client's traceparent when it is valid (version 00 or a later one, non-zero ids);
// a new trace otherwise.
trace_context trace_for(std::string_view client_traceparent);

}  // namespace cgw::api
