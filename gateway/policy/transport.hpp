// "Send this vendor request within this deadline": one interface, the upstream client at the
// bottom and one decorator per policy above it (policy/guard.cpp composes them, in one ordered
// list, for each vendor). Adapters send through the top of their vendor's stack (call_context).
#pragma once

#include "gateway/core/error.hpp"
#include "gateway/net/net.hpp"
#include "gateway/policy/cache.hpp"
#include "gateway/upstream/client.hpp"

#include <string>

namespace cgw::policy {

// How one request's vendor calls went, for meta and logs.
struct call_stats {
  unsigned upstream_requests = 0;  // calls that reached the vendor, retries included
  unsigned retries = 0;
  unsigned cache_hits = 0;
  unsigned coalesced = 0;
  unsigned misses = 0;       // calls this request led (made, or tried to make)
  double budget_points = 0;  // what the calls that reached the vendor cost in its rate budget
};

// One idempotent vendor read on its way down a stack.
struct vendor_call {
  upstream::client& http;  // this io thread's client
  const upstream::endpoint& ep;
  const upstream::request& req;  // each send copies it: a retry sends it again
  deadline until;
  bool clients_deadline =
      false;  // `until` is the client's own deadline, shorter than the vendor's timeout_ms
  upstream::limits lim;
  double cost = 1;  // the read's price in the vendor account's rate budget
  call_stats& stats;
  std::string key = {};  // what identical calls share (account, method, target, body); set by the stack
};

class transport {
 public:
  virtual ~transport() = default;
  // A success may be any HTTP status (callers judge statuses); a failure is the client's (no
  // answer) or a policy's (not sent).
  virtual net::awaitable<result<shared_response>> send(vendor_call& call) const = 0;
};

// The upstream client alone: the bottom of every stack, and the whole of it for a call made
// outside a runtime (a tool, a test of an adapter on its own). Never fails to exist.
const transport& client_transport();

}  // namespace cgw::policy
