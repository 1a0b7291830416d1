#include "adapters/sandbox/server.hpp"

#include <array>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace cgw::sandbox {
namespace {

using body_fault = fault_menu::body_fault;
using namespace std::chrono_literals;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr std::string_view control_prefix = "/__sandbox/";
constexpr std::size_t oversize_bytes = std::size_t{16} << 20;
constexpr std::size_t drip_bytes = 16;
constexpr auto drip_interval = 200ms;
// RFC 8297. An interim answer is allowed only to HTTP/1.1 clients (RFC 9110 section 15.2).
constexpr std::string_view early_hints_bytes = "HTTP/1.1 103 Early Hints\r\nLink: </>; rel=preload\r\n\r\n";

spdlog::logger& logger() {
  static const auto logger = spdlog::default_logger()->clone("sandbox");
  return *logger;
}

response raw_json(http::status status, std::string body) {
  response res{status, 11};
  res.set(http::field::content_type, "application/json; charset=utf-8");
  res.body() = std::move(body);
  return res;
}

// A valid JSON array of 1 KiB strings, just over 16 MiB: past any sane response-size limit.
std::string oversize_body() {
  const std::string item = '"' + std::string(1021, 'x') + "\",";
  std::string body = "[";
  body.reserve(oversize_bytes + item.size() + 2);
  while (body.size() < oversize_bytes) body += item;
  body.back() = ']';
  return body;
}

net::awaitable<void> pause(std::chrono::milliseconds duration) {
  net::steady_timer timer(co_await net::this_coro::executor, duration);
  // Only stop() interrupts it, and stop() destroys this session anyway.
  co_await timer.async_wait(use_tuple);
}

// A few bytes at a time: defeats clients whose timeouts only count idle time.
net::awaitable<beast::error_code> drip(tcp::socket& socket, const response& res) {
  std::ostringstream wire;
  wire << res;
  const std::string bytes = std::move(wire).str();
  for (std::size_t at = 0; at < bytes.size(); at += drip_bytes) {
    if (at != 0) co_await pause(drip_interval);
    const auto chunk = net::buffer(bytes.data() + at, std::min(drip_bytes, bytes.size() - at));
    if (auto [ec, n] = co_await net::async_write(socket, chunk, use_tuple); ec) co_return ec;
  }
  co_return beast::error_code{};
}

// Never answers: reads and discards until the client gives up or stop() closes the socket.
net::awaitable<void> hang(tcp::socket& socket) {
  std::array<char, 512> sink;
  for (;;) {
    if (auto [ec, n] = co_await socket.async_read_some(net::buffer(sink), use_tuple); ec) co_return;
  }
}

// Completion of a detached coroutine: an exception here is a sandbox bug; log it rather than
// let it escape io_context::run() and take the process down with it.
void log_escape(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    logger().error("session failed: {}", x.what());
  }
}

// Uses up one request of a counted fault; count 0 means "until the menu is replaced".
template <class T>
void consume(std::uint32_t& count, T& fault, T off) {
  if (count != 0 && --count == 0) fault = off;
}

}  // namespace

response json_response(http::status status, const json::value& body) {
  return raw_json(status, json::serialize(body));
}

// What one vendor request gets; decided under the lock so counts stay exact.
struct server::plan {
  std::chrono::milliseconds latency{0};
  bool rate_limited = false;
  std::int32_t retry_after_s = -1;
  std::uint32_t error_status = 0;
  body_fault body = body_fault::none;
  std::uint32_t max_concurrency = 0;
};

server::server(std::unique_ptr<handler> h, fault_menu faults) : handler_(std::move(h)), faults_(faults) {}

server::~server() {
  stop();
}

std::uint16_t server::start(const std::string& address, std::uint16_t port) {
  if (io_) throw std::logic_error("sandbox server already started");
  auto io = std::make_unique<net::io_context>();
  tcp::acceptor acceptor(*io, tcp::endpoint(net::ip::make_address(address), port));
  const std::uint16_t bound = acceptor.local_endpoint().port();
  net::co_spawn(*io, accept(std::move(acceptor)), log_escape);
  io_ = std::move(io);
  thread_ = std::thread([io = io_.get()] { io->run(); });
  return bound;
}

void server::stop() {
  if (!io_) return;
  io_->stop();
  thread_.join();
  // Destroying the context destroys every suspended coroutine, and with them the listener and
  // each connection's socket: no session has to notice the stop by itself.
  io_.reset();
}

void server::set_faults(const fault_menu& faults) {
  std::lock_guard lock(faults_mutex_);
  faults_ = faults;
}

void server::set_memoize(bool on, std::size_t max_bytes) {
  std::lock_guard lock(memo_mutex_);
  memoize_ = on;
  memo_max_bytes_ = max_bytes;
  memo_.clear();
  memo_bytes_ = 0;
}

std::uint64_t server::requests() const {
  return requests_.load();
}

handler& server::logic() {
  return *handler_;
}

server::plan server::next_plan() {
  std::lock_guard lock(faults_mutex_);
  plan p{std::chrono::milliseconds(faults_.latency_ms)};
  p.max_concurrency = faults_.max_concurrency;
  if (faults_.rate_limit_count != 0) {
    --faults_.rate_limit_count;
    p.rate_limited = true;
    p.retry_after_s = faults_.retry_after_s;
  } else if (faults_.error_status != 0) {
    p.error_status = faults_.error_status;
    consume(faults_.error_count, faults_.error_status, 0u);
  } else if (faults_.body != body_fault::none) {
    p.body = faults_.body;
    consume(faults_.body_fault_count, faults_.body, body_fault::none);
  }
  return p;
}

response server::answer(const request& req, const plan& p) {
  if (p.rate_limited) return handler_->rate_limited(p.retry_after_s);
  if (p.error_status != 0)
    return handler_->error(static_cast<http::status>(p.error_status), "injected fault");
  if (p.body == body_fault::oversize) return raw_json(http::status::ok, oversize_body());
  response res;
  try {
    res = p.body == body_fault::page_loop ? handler_->page_loop(req) : handler_->handle(req);
  } catch (const std::exception& e) {  // a handler bug: answer like a failing vendor and keep serving
    logger().error("handler threw on {}: {}", std::string_view(req.target()), e.what());
    return handler_->error(http::status::internal_server_error, "Internal Server Error");
  }
  if (p.body == body_fault::malformed) {
    // Half of a serialized JSON object never parses: its closing brace is gone.
    res.result(http::status::ok);
    res.body().resize(res.body().size() / 2);
  }
  return res;
}

response server::memoized_answer(const request& req, const plan& p) {
  const bool clean = !p.rate_limited && p.error_status == 0 && p.body == body_fault::none;
  bool on = false;
  {
    std::lock_guard lock(memo_mutex_);
    on = memoize_ && clean;
  }
  if (!on) return answer(req, p);
  // The credentials are part of the key: a replay must not turn a refused caller into an accepted one.
  std::string key;
  key.reserve(req.target().size() + req.body().size() + 64);
  key.append(req.method_string()).append(" ").append(req.target()).append("\n");
  key.append(req[http::field::authorization]).append("\n").append(req.body());
  {
    std::lock_guard lock(memo_mutex_);
    if (const auto hit = memo_.find(key); hit != memo_.end()) return *hit->second;
  }
  // Computed outside the lock: the handler may take its time. Two identical requests at once
  // (not possible today: one thread) would only compute the same answer twice.
  response res = answer(req, p);
  if (http::to_status_class(res.result()) != http::status_class::successful) return res;
  std::lock_guard lock(memo_mutex_);
  const std::size_t cost = key.size() + res.body().size();
  if (memoize_ && memo_bytes_ + cost <= memo_max_bytes_ &&
      memo_.emplace(std::move(key), std::make_shared<const response>(res)).second) {
    memo_bytes_ += cost;
  }
  return res;
}

response server::control(const request& req) {
  const auto path = req.target().substr(0, req.target().find('?'));
  if (path == "/__sandbox/stats" && req.method() == http::verb::get) {
    return json_response(http::status::ok, {{"requests", requests()}});
  }
  if (path != "/__sandbox/faults" || req.method() != http::verb::post) {
    return json_response(http::status::not_found, {{"error", "no such sandbox control endpoint"}});
  }
  boost::system::error_code ec;
  const json::value body = json::parse(req.body(), ec);
  if (ec || !body.is_object()) {
    return json_response(http::status::bad_request,
                         {{"error", "the body must be a JSON object of fault_menu fields"}});
  }
  const auto faults = parse_faults(body.get_object());
  if (!faults) return json_response(http::status::bad_request, {{"error", faults.error().message}});
  set_faults(*faults);
  return response{http::status::no_content, 11};
}

net::awaitable<void> server::accept(tcp::acceptor acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec) {
      // Typically out of descriptors: back off instead of spinning, the condition may clear.
      logger().warn("accept failed: {}", ec.message());
      co_await pause(100ms);
      continue;
    }
    net::co_spawn(acceptor.get_executor(), serve(std::move(socket)), log_escape);
  }
}

net::awaitable<void> server::serve(tcp::socket socket) {
  beast::flat_buffer buffer;
  for (;;) {
    request req;
    // EOF, reset or bytes that are not HTTP: there is nobody to answer.
    if (auto [ec, n] = co_await http::async_read(socket, buffer, req, use_tuple); ec) co_return;

    plan p;
    response res;
    if (req.target().starts_with(control_prefix)) {
      res = control(req);
    } else {
      ++requests_;
      p = next_plan();
      // Twilio's 429 (20429) is about concurrent requests: one over the limit is refused at once.
      struct occupancy {
        std::uint32_t& n;
        ~occupancy() { --n; }
      } occupied{++in_flight_};
      const bool over_limit = p.max_concurrency != 0 && in_flight_ > p.max_concurrency;
      if (over_limit) p.rate_limited = true;
      if (p.latency.count() != 0 && !over_limit) co_await pause(p.latency);
      if (p.body == body_fault::hang) {
        co_await hang(socket);
        co_return;
      }
      res = memoized_answer(req, p);
    }
    res.version(req.version());
    res.keep_alive(req.keep_alive() && p.body != body_fault::truncated);
    res.prepare_payload();
    // After prepare_payload, so Content-Length still promises the whole body.
    if (p.body == body_fault::truncated) res.body().resize(res.body().size() / 2);

    beast::error_code ec;
    if (p.body == body_fault::early_hints && req.version() == 11) {
      std::tie(ec, std::ignore) =
          co_await net::async_write(socket, net::buffer(early_hints_bytes), use_tuple);
      if (ec) co_return;
    }
    if (p.body == body_fault::slow_drip) {
      ec = co_await drip(socket, res);
    } else {
      std::tie(ec, std::ignore) = co_await http::async_write(socket, res, use_tuple);
    }
    if (ec || !res.keep_alive()) {
      socket.shutdown(tcp::socket::shutdown_send, ec);  // best effort: the socket closes right after
      co_return;
    }
  }
}

}  // namespace cgw::sandbox
