#include "gateway/server/server.hpp"

#include "gateway/logging/logging.hpp"
#include "gateway/metrics/catalog.hpp"
#include "gateway/server/framing.hpp"

#include <array>
#include <optional>
#include <tuple>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

namespace cgw::server {
namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr std::size_t read_chunk = 4096;
using std::chrono::milliseconds;

// Requests refused before they reach the service, by reason (the service adds rate_limited).
void count_refusal(std::string_view reason) {
  metrics::http_refusals.with({reason}).add();
}

void set_in_flight(std::size_t n) {
  metrics::http_in_flight.with({}).set(static_cast<double>(n));
}

// Probes and scrapes are never refused as overloaded: an overloaded gateway must still say so.
bool operations_endpoint(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  return path == "/healthz" || path == "/readyz" || path == "/metrics";
}

// A socket error or a close, as opposed to bytes that are not HTTP: nothing to answer then.
bool connection_gone(const beast::error_code& ec) {
  return ec.category() != http::make_error_code(http::error::bad_method).category() ||
         ec == http::error::end_of_stream || ec == http::error::partial_message;
}

// Runs beside a request's handling: completes only when the client goes away (EOF or an error),
// which cancels the handling. Bytes that arrive instead (a pipelined request) stay in `buffer` for
// the next parse, and the watch then waits until it is cancelled, so the handling goes on.
net::awaitable<void> watch_for_disconnect(tcp::socket& socket, beast::flat_buffer& buffer) {
  auto [ec, n] = co_await socket.async_read_some(buffer.prepare(read_chunk), use_tuple);
  if (ec) co_return;
  buffer.commit(n);
  net::steady_timer never(socket.get_executor(), net::steady_timer::time_point::max());
  co_await never.async_wait(use_tuple);
}

// After a refusal: reads and drops what the client still sends for a moment, so that closing with
// unread bytes does not reset the connection before the client has read the answer.
net::awaitable<void> linger(beast::tcp_stream& stream) {
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.expires_after(milliseconds(500));
  std::array<char, read_chunk> sink;
  for (std::size_t dropped = 0; dropped < 64 * 1024;) {
    auto [ec, n] = co_await stream.async_read_some(net::buffer(sink), use_tuple);
    if (ec) break;
    dropped += n;
  }
}

void log_access(std::string_view method, const api::request_log& log, double ms) {
  logging::emit(spdlog::level::info, "access", "request",
                {{"method", std::string(method)},
                 {"route", log.route},
                 {"status", log.status},
                 {"duration_ms", std::round(ms * 100) / 100},
                 {"request_id", log.request_id},
                 {"trace_id", log.trace_id},
                 {"client", log.client},
                 {"vendors", boost::json::value_from(log.vendors)},
                 {"partial", log.partial}});
}

}  // namespace

struct server::worker {
  net::io_context ioc{1};
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  upstream::client http{ioc.get_executor()};
  std::thread thread;
};

// One accepted connection, counted in total and for its remote address until the session ends.
class server::connection_slot {
 public:
  connection_slot(server& s, std::string address) : server_(s), address_(std::move(address)) {}
  ~connection_slot() {
    std::lock_guard lock(server_.per_ip_mutex_);
    if (auto it = server_.per_ip_.find(address_); it != server_.per_ip_.end() && --it->second == 0)
      server_.per_ip_.erase(it);
    --server_.connections_;
  }

 private:
  server& server_;
  std::string address_;
};

server::server(api::service& svc, const config::gateway_config& cfg)
    : service_(svc), limits_(cfg.server), listen_(cfg.listen) {}

server::~server() {
  shutdown(std::chrono::milliseconds(0));
}

std::uint16_t server::start() {
  unsigned threads = limits_.threads ? limits_.threads : std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < threads; ++i) workers_.push_back(std::make_unique<worker>());
  tcp::endpoint ep{net::ip::make_address(listen_.address), listen_.port};
  acceptor_ = std::make_unique<tcp::acceptor>(workers_[0]->ioc);
  acceptor_->open(ep.protocol());
  acceptor_->set_option(net::socket_base::reuse_address(true));
  acceptor_->bind(ep);
  acceptor_->listen(net::socket_base::max_listen_connections);
  const auto port = acceptor_->local_endpoint().port();
  net::co_spawn(workers_[0]->ioc, accept_loop(), net::detached);
  for (auto& w : workers_) w->thread = std::thread([&ioc = w->ioc] { ioc.run(); });
  return port;
}

std::shared_ptr<server::connection_slot> server::admit_connection(const std::string& address) {
  std::lock_guard lock(per_ip_mutex_);
  if (connections_.load() >= limits_.max_connections) return nullptr;
  auto& from_address = per_ip_[address];
  if (from_address >= limits_.max_connections_per_ip) {
    count_refusal("per_ip");
    return nullptr;
  }
  ++from_address;
  ++connections_;
  return std::make_shared<connection_slot>(*this, address);
}

net::awaitable<void> server::accept_loop() {
  std::size_t next = 0;
  net::steady_timer backoff(acceptor_->get_executor());
  while (acceptor_->is_open()) {
    worker& w = *workers_[next++ % workers_.size()];
    auto [ec, socket] = co_await acceptor_->async_accept(w.ioc, use_tuple);
    if (ec == net::error::operation_aborted) co_return;
    if (ec) {
      // E.g. EMFILE or ENFILE: the connection stays queued and an accept at once would fail the same way,
      // in a busy loop, until connections close; wait a little instead.
      logging::emit(spdlog::level::warn, "gateway", "accept failed; retrying in 50 ms",
                    {{"error", ec.message()}});
      backoff.expires_after(milliseconds(50));
      co_await backoff.async_wait(use_tuple);
      continue;
    }
    beast::error_code gone;
    const auto remote = socket.remote_endpoint(gone);
    if (gone) continue;  // the client left already
    auto slot = admit_connection(remote.address().to_string());
    if (!slot) continue;  // over a connection limit: the socket closes as it goes out of scope
    net::co_spawn(w.ioc, session(std::move(socket), w, std::move(slot)), net::detached);
  }
}

// `slot` is held, not used: the connection counts until the session ends.
net::awaitable<void> server::session(tcp::socket socket, worker& w,
                                     [[maybe_unused]] std::shared_ptr<connection_slot> slot) {
  using namespace net::experimental::awaitable_operators;
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  while (!stopped_) {
    // Waiting for the next request's first byte is bounded by the idle limit.
    if (buffer.size() == 0) {
      stream.expires_after(milliseconds(limits_.idle_timeout_ms));
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(read_chunk), use_tuple);
      if (ec) break;  // closed, reset or idle: nothing to answer
      buffer.commit(n);
    }
    const auto t0 = clock::now();
    http::request_parser<http::string_body> parser;
    apply_limits(parser, limits_);
    // The common case first: the whole head came with the first bytes (a request in one packet) and
    // is parsed at once, as async_read_header would parse it, with no timer armed.
    beast::error_code hec;
    buffer.consume(parser.put(buffer.data(), hec));
    bool timed_out = false;
    if (hec == http::error::need_more) {
      // The whole header section within header_timeout_ms of its first byte, however slowly it
      // trickles. A timer of our own rather than the stream's, which would close the socket before
      // the 408 is written.
      stream.expires_never();
      net::steady_timer header_timer(stream.get_executor(), milliseconds(limits_.header_timeout_ms));
      auto head = co_await (http::async_read_header(stream, buffer, parser, use_tuple) ||
                            header_timer.async_wait(use_tuple));
      timed_out = head.index() == 1;
      hec = timed_out ? beast::error_code{} : std::get<0>(std::get<0>(head));
    }
    std::optional<failure> refusal;
    std::string_view reason;  // of the refusal, for cgw_http_refusals_total ("": not counted there)
    if (timed_out) {
      refusal = failure::make(errc::request_timeout, "the request header section did not arrive within " +
                                                         std::to_string(limits_.header_timeout_ms) + " ms");
      reason = "header_timeout";
    } else if (hec) {
      if (connection_gone(hec)) break;
      refusal = parse_failure(hec);
    } else if (auto framing = check_framing(parser); !framing) {
      refusal = framing.error();
    } else if (!parser.is_done()) {
      stream.expires_after(milliseconds(limits_.read_timeout_ms));
      auto [bec, bn] = co_await http::async_read(stream, buffer, parser, use_tuple);
      if (bec && connection_gone(bec)) break;  // closed or timed out (the stream closed the socket)
      if (bec) refusal = parse_failure(bec);
    }
    if (refusal) {
      if (refusal->code == errc::invalid_request) reason = "invalid_request";
      if (!reason.empty()) count_refusal(reason);
      // Answered and closed: nothing after a request that cannot be framed is read as another request.
      api::request_log log{api::request_id_for(parser.get())};
      log.status = http_status(refusal->code);
      auto res = api::error_response(*refusal, log.request_id);
      stream.expires_after(milliseconds(limits_.read_timeout_ms));
      co_await http::async_write(stream, res, use_tuple);
      metrics::http_requests.with({log.route, std::to_string(log.status)}).add();
      log_access(parser.get().method_string(), log,
                 std::chrono::duration<double, std::milli>(clock::now() - t0).count());
      co_await linger(stream);
      co_return;
    }
    const api::request& req = parser.get();
    api::request_log log{api::request_id_for(req)};
    api::response res;
    bool counted = false, cancelled = false;
    if (service_.draining()) {
      res = api::error_response(failure::make(errc::draining, "the gateway is shutting down"), log.request_id,
                                req.version());
      log.status = 503;
    } else if (in_flight_.fetch_add(1) >= limits_.max_in_flight && !operations_endpoint(req.target())) {
      set_in_flight(--in_flight_);
      count_refusal("overloaded");
      auto busy =
          failure::make(errc::overloaded, "the gateway has " + std::to_string(limits_.max_in_flight) +
                                              " requests in flight (server.max_in_flight); retry shortly");
      busy.retry_after_s = 1;
      res = api::error_response(busy, log.request_id, req.version(), req.keep_alive());
      log.status = 503;
    } else {
      counted = true;  // until the answer is written: a drain waits for it
      set_in_flight(in_flight_.load());
      // A client that goes away cancels its request: the vendor calls made for it alone stop at their next
      // step (the cancellation reaches them through Asio's per-operation cancellation).
      auto outcome =
          co_await (service_.handle(req, w.http, log) || watch_for_disconnect(stream.socket(), buffer));
      if (outcome.index() == 0) {
        res = std::move(std::get<0>(outcome));
      } else {
        cancelled = true;
        log.status = 499;  // nginx's "client closed request": the access log tells it from a 500
        metrics::http_requests_cancelled.with({log.route}).add();
      }
    }
    if (service_.draining()) res.keep_alive(false);
    const double ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
    metrics::http_requests.with({log.route, std::to_string(log.status)}).add();
    metrics::http_request_duration.with({log.route}).observe(ms / 1000);
    // The answer goes out before its log lines are formatted: they are not the client's wait.
    beast::error_code wec;
    const bool keep = res.keep_alive();
    if (!cancelled) {
      stream.expires_after(milliseconds(limits_.read_timeout_ms));
      std::tie(wec, std::ignore) = co_await http::async_write(stream, res, use_tuple);
    }
    log_access(req.method_string(), log, ms);
    for (const auto& f : log.failures)
      logging::emit(spdlog::level::warn, "vendor", "vendor call failed",
                    {{"vendor", f.vendor},
                     {"code", f.code},
                     {"error", f.message},
                     {"request_id", log.request_id},
                     {"trace_id", log.trace_id}});
    if (counted) set_in_flight(--in_flight_);
    if (cancelled || wec || !keep) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

void server::shutdown(std::chrono::milliseconds grace) {
  if (workers_.empty() || stopped_.exchange(true)) return;
  service_.start_draining();
  net::post(workers_[0]->ioc, [this] {
    beast::error_code ignored;
    acceptor_->close(ignored);
  });
  const auto until = clock::now() + grace;
  while (in_flight_.load() > 0 && clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  for (auto& w : workers_) {
    w->work.reset();
    w->ioc.stop();
  }
  for (auto& w : workers_)
    if (w->thread.joinable()) w->thread.join();
  acceptor_.reset();
  workers_.clear();
}

}  // namespace cgw::server
