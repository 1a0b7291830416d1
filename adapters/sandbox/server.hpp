// A small in-process HTTP/1.1 server for vendor sandboxes: the vendor's logic is a
// pure handler; this server adds sockets, keep-alive and the fault menu.
//
// Besides the vendor's own paths it answers two control endpoints, which are never
// faulted, delayed or counted:
//   POST /__sandbox/faults  body: a JSON fault_menu (see parse_faults); replaces the menu -> 204
//   GET  /__sandbox/stats   -> {"requests": N}
//
// Memoization (off by default; set_memoize(), vendor-sandbox --memoize) is for benchmarks, so
// that the sandbox is never the bottleneck: the first 2xx answer to a given method + target +
// Authorization + body is computed by the handler and every later identical request is answered
// with a copy from memory. Only while the request draws no answer-changing fault (429, error
// status, body fault); added latency still applies. Control endpoints are never memoized. A
// replayed answer does not reach the handler, so handler state (a vendor's per-minute budget,
// data changed by a test through logic()) no longer shows in it: start the sandbox with
// --budget 0 when memoizing. The memo is capped in bytes; past the cap, answers are simply
// computed again.
#pragma once

#include "adapters/sandbox/faults.hpp"
#include "gateway/net/net.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

namespace cgw::sandbox {

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

// A JSON answer (Content-Type application/json; charset=utf-8). Never fails.
response json_response(http::status status, const json::value& body);

// The vendor logic: pure, no I/O. The server sets version, keep-alive and
// Content-Length on whatever it returns.
class handler {
 public:
  virtual ~handler() = default;
  // Called on the sandbox thread only, one request at a time.
  virtual response handle(const request& req) = 0;
  // The vendor's error shape, used for injected faults.
  virtual response error(http::status status, std::string_view message) = 0;
  // The vendor's 429.
  virtual response rate_limited(std::int32_t retry_after_s) = 0;
  // The answer to `req` under the page_loop fault: the vendor's paging points back into pages
  // already served. A vendor without paging answers as handle() does.
  virtual response page_loop(const request& req) { return handle(req); }
};

class server {
 public:
  explicit server(std::unique_ptr<handler> h, fault_menu faults = {});
  ~server();  // stops
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds, listens and serves on its own thread; returns the bound port.
  // Throws boost::system::system_error when it cannot bind, std::logic_error when already started.
  std::uint16_t start(const std::string& address = "127.0.0.1", std::uint16_t port = 0);
  // Closes the listener and every connection (cutting in-flight answers short) and joins. Never fails.
  void stop();
  // Replaces the fault menu and its remaining counts; thread-safe. Never fails.
  void set_faults(const fault_menu& faults);
  // Turns memoization on or off (see the header comment) and drops what was memoized; answers
  // past max_bytes of memo (bodies and targets) are not kept. Thread-safe. Never fails.
  void set_memoize(bool on, std::size_t max_bytes = std::size_t{256} << 20);
  // Vendor requests received so far, faulted ones included; thread-safe. Never fails.
  std::uint64_t requests() const;
  // The vendor logic, to reach vendor-specific state from tests. Not synchronized with the
  // sandbox thread: use it before start(), after stop(), or while no request is in flight.
  handler& logic();

 private:
  struct plan;
  plan next_plan();
  response answer(const request& req, const plan& p);
  response control(const request& req);
  response memoized_answer(const request& req, const plan& p);
  net::awaitable<void> accept(tcp::acceptor acceptor);
  net::awaitable<void> serve(tcp::socket socket);

  std::unique_ptr<handler> handler_;
  mutable std::mutex faults_mutex_;
  fault_menu faults_;  // guarded by faults_mutex_; counts are consumed as requests arrive
  std::atomic<std::uint64_t> requests_{0};
  // Memo: guarded by memo_mutex_. Today only the sandbox thread reads and writes it, but
  // set_memoize() may come from any thread.
  mutable std::mutex memo_mutex_;
  bool memoize_ = false;
  std::size_t memo_max_bytes_ = 0, memo_bytes_ = 0;
  std::unordered_map<std::string, std::shared_ptr<const response>> memo_;
  std::uint32_t in_flight_ = 0;          // vendor requests being answered; touched on the io thread only
  std::unique_ptr<net::io_context> io_;  // one per start(), so stop() can destroy every session with it
  std::thread thread_;
};

}  // namespace cgw::sandbox
