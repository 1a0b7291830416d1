#include "gateway/server/server.hpp"

#include "gateway/metrics/metrics.hpp"
#include "gateway/server/logging.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/value_from.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/serialize.hpp>

namespace cgw::server {
namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

api::response plain_error(unsigned status, std::string_view code, std::string_view message) {
  api::response res{static_cast<http::status>(status), 11};
  res.set(http::field::content_type, "application/json; charset=utf-8");
  res.body() = boost::json::serialize(
      boost::json::object{{"error", boost::json::object{{"code", code}, {"message", message}}}});
  res.keep_alive(false);
  res.prepare_payload();
  return res;
}

}  // namespace

struct server::worker {
  net::io_context ioc{1};
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  upstream::client http{ioc.get_executor()};
  std::thread thread;
};

server::server(api::service& svc, const config::gateway_config& cfg)
    : service_(svc), limits_(cfg.server), listen_(cfg.listen) {}

server::~server() { shutdown(std::chrono::milliseconds(0)); }

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

net::awaitable<void> server::accept_loop() {
  std::size_t next = 0;
  while (acceptor_->is_open()) {
    worker& w = *workers_[next++ % workers_.size()];
    auto [ec, socket] = co_await acceptor_->async_accept(w.ioc, use_tuple);
    if (ec == net::error::operation_aborted) co_return;
    if (ec) continue;  // e.g. EMFILE: the next accept may succeed once connections close
    if (connections_.load() >= limits_.max_connections) continue;  // the socket closes as it goes out of scope
    net::co_spawn(w.ioc, session(std::move(socket), w), net::detached);
  }
}

net::awaitable<void> server::session(tcp::socket socket, worker& w) {
  ++connections_;
  struct release {
    std::atomic<std::size_t>& n;
    ~release() { --n; }
  } on_exit{connections_};
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  while (!stopped_) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(limits_.max_header_bytes);
    parser.body_limit(limits_.max_body_bytes);
    // Waiting for a request is bounded by the idle limit, reading it whole by the read limit.
    stream.expires_after(std::chrono::milliseconds(limits_.idle_timeout_ms));
    auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
    if (!hec) {
      stream.expires_after(std::chrono::milliseconds(limits_.read_timeout_ms));
      auto [bec, bn] = co_await http::async_read(stream, buffer, parser, use_tuple);
      hec = bec;
    }
    if (hec == http::error::body_limit || hec == http::error::header_limit) {
      auto res = plain_error(413, "payload_too_large", "the request is larger than this gateway accepts");
      co_await http::async_write(stream, res, use_tuple);
      break;
    }
    if (hec) break;  // closed, timed out, or not HTTP: nothing to answer
    const auto t0 = clock::now();
    const api::request& req = parser.get();
    api::request_log log{api::request_id_for(req)};
    api::response res;
    const bool counted = !service_.draining();
    if (!counted) {
      res = plain_error(503, "draining", "the gateway is shutting down");
      res.set("X-Request-Id", log.request_id);
      log.status = 503;
    } else {
      ++in_flight_;  // until the answer is written: a drain waits for it
      metrics::registry::global().set("cgw_http_in_flight_requests", {}, static_cast<double>(in_flight_.load()));
      res = co_await service_.handle(req, w.http, log);
    }
    if (service_.draining()) res.keep_alive(false);
    const double ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
    auto& m = metrics::registry::global();
    m.add("cgw_http_requests_total", {{"route", log.route}, {"status", std::to_string(log.status)}});
    m.observe("cgw_http_request_duration_seconds", {{"route", log.route}}, ms / 1000);
    logging::emit(spdlog::level::info, "access", "request",
                  {{"method", std::string(req.method_string())},
                   {"route", log.route},
                   {"status", log.status},
                   {"duration_ms", std::round(ms * 100) / 100},
                   {"request_id", log.request_id},
                   {"trace_id", log.trace_id},
                   {"client", log.client},
                   {"vendors", boost::json::value_from(log.vendors)},
                   {"partial", log.partial}});
    for (const auto& f : log.failures)
      logging::emit(spdlog::level::warn, "vendor", "vendor call failed",
                    {{"vendor", f.vendor},
                     {"code", f.code},
                     {"error", f.message},
                     {"request_id", log.request_id},
                     {"trace_id", log.trace_id}});
    stream.expires_after(std::chrono::milliseconds(limits_.read_timeout_ms));
    const bool keep = res.keep_alive();
    auto [wec, wn] = co_await http::async_write(stream, res, use_tuple);
    if (counted) --in_flight_;
    if (wec || !keep) break;
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
  while (in_flight_.load() > 0 && clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(5));
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
