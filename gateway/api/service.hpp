// The HTTP face of the gateway: routing, client authentication, CORS, request ids
// and deadlines, and the one place where answers become HTTP responses.
#pragma once

#include "gateway/api/runtime.hpp"
#include "gateway/policy/client_limit.hpp"
#include "gateway/upstream/client.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace cgw::api {

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

// A route of the public API (the OpenAPI document is checked against this table).
struct route {
  std::string_view path;  // "{id}" marks a path parameter
  std::string_view summary;
  bool needs_key;
};
const std::vector<route>& routes();

// What the access log needs to know about one request.
struct request_log {
  std::string request_id;
  std::string trace_id;     // W3C trace id, from the client's traceparent or new
  std::string traceparent;  // what vendor calls of this request carry
  std::string route = "unmatched";
  std::string client;
  unsigned status = 0;
  bool partial = false;
  std::vector<std::string> vendors;  // the vendors asked
  struct vendor_failure {
    std::string vendor, code, message;  // client-safe: never a secret or a raw vendor body
  };
  std::vector<vendor_failure> failures;
  std::shared_ptr<void> spent;  // the answer's leftovers (answer::spent), released after the write
};

class service {
 public:
  // `client_limits`: where the clients' rate-limit buckets live (nullptr: this process's memory).
  explicit service(runtime_ptr rt, std::shared_ptr<policy::client_limit_store> client_limits = nullptr);

  // The answer to one request; never throws (a bug becomes a 500 with the request id). `http`
  // is this io thread's client: every vendor call of the request is made from it.
  net::awaitable<response> handle(const request& req, upstream::client& http, request_log& log);

  runtime_ptr current() const {
    std::lock_guard lock(runtime_mutex_);
    return runtime_;
  }
  // The old runtime goes with `rt`, after the lock (or with the last request still using it).
  void swap(runtime_ptr rt) {
    std::lock_guard lock(runtime_mutex_);
    runtime_.swap(rt);
  }

  // Draining: /readyz says 503 and new requests are refused with 503 draining.
  void start_draining() { draining_ = true; }
  bool draining() const { return draining_; }

 private:
  net::awaitable<response> dispatch(const request& req, const runtime& rt, upstream::client& http,
                                    request_log& log);

  // A mutex, not std::atomic<shared_ptr>: libstdc++ 12's atomic load releases its lock with
  // relaxed order, which ThreadSanitizer reports as a race with the reload's store (tests/tsan.sh).
  mutable std::mutex runtime_mutex_;
  runtime_ptr runtime_;
  std::shared_ptr<policy::client_limit_store>
      client_limits_;  // outlives reloads: buckets are per client name
  std::atomic<bool> draining_{false};
};

// The client's X-Request-Id when it is sane (1..128 of [A-Za-z0-9._-]), else a new random one.
std::string request_id_for(const request& req);

// The error response of the spec for `f` (error_answer's body, X-Request-Id, Retry-After when due),
// for the API and the server layer alike. Never fails.
response error_response(const failure& f, std::string_view request_id, unsigned version = 11,
                        bool keep_alive = false);

}  // namespace cgw::api
