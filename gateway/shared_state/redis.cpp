#include "gateway/shared_state/redis.hpp"

#include "gateway/core/digest.hpp"
#include "gateway/policy/event.hpp"

#include <array>
#include <atomic>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <variant>

#include <hiredis/hiredis.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace cgw::shared_state {
namespace {

namespace ssl = net::ssl;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
using tls_stream = beast::ssl_stream<beast::tcp_stream>;
using any_stream = std::variant<beast::tcp_stream, tls_stream>;

reply copy_reply(const redisReply& r) {
  reply out;
  switch (r.type) {
    case REDIS_REPLY_INTEGER:
      out.type = reply::kind::integer;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = reply::kind::string;
      break;
    case REDIS_REPLY_STATUS:
      out.type = reply::kind::status;
      break;
    case REDIS_REPLY_ERROR:
      out.type = reply::kind::error;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = reply::kind::array;
      for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(copy_reply(*r.element[i]));
      break;
    default:
      out.type = reply::kind::nil;
  }
  if (r.str && (r.type == REDIS_REPLY_STRING || r.type == REDIS_REPLY_STATUS || r.type == REDIS_REPLY_ERROR))
    out.text.assign(r.str, r.len);
  return out;
}

std::string format_command(const std::vector<std::string>& argv) {
  std::vector<const char*> parts;
  std::vector<std::size_t> sizes;
  for (const auto& a : argv) {
    parts.push_back(a.data());
    sizes.push_back(a.size());
  }
  char* out = nullptr;
  const int n = redisFormatCommandArgv(&out, static_cast<int>(argv.size()), parts.data(), sizes.data());
  if (n < 0 || !out) throw std::bad_alloc();  // hiredis fails only when it cannot allocate
  std::string bytes(out, static_cast<std::size_t>(n));
  redisFreeCommand(out);
  return bytes;
}

struct reader_deleter {
  void operator()(redisReader* r) const { redisReaderFree(r); }
};
using reader_ptr = std::unique_ptr<redisReader, reader_deleter>;

std::string hex_sha1(std::string_view text) {
  return digest::hex(digest::sha1(text));
}

}  // namespace

script::script(std::string src) : source(std::move(src)), sha1(hex_sha1(source)) {}

namespace {

// One command's way back to its caller. `value` is written on the Redis thread before `done`
// is set, and read by the caller only after its wait saw `done`.
struct call {
  policy::event done;
  result<reply> value = failure::make(errc::upstream_error, "redis: no reply");
  clock::time_point sent{};
};

// One connection: owned by the coroutines that use it, so closing never frees it under them.
struct connection {
  explicit connection(any_stream s) : stream(std::move(s)) {}
  any_stream stream;
  beast::tcp_stream& lowest() {
    return std::visit([](auto& s) -> beast::tcp_stream& { return beast::get_lowest_layer(s); }, stream);
  }
};

}  // namespace

struct redis_client::impl {
  explicit impl(redis_options o) : opts(std::move(o)) {}
  std::chrono::milliseconds timeout() const { return std::chrono::milliseconds(opts.where.timeout_ms); }

  redis_options opts;
  net::io_context ioc{1};
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  std::unique_ptr<ssl::context> tls;
  std::atomic<bool> up{false};
  std::thread thread;

  // The rest is touched on the Redis thread only.
  std::shared_ptr<connection> conn;
  std::deque<std::shared_ptr<call>> waiting;  // sent, in the order their replies come
  std::string outbox;                         // formatted commands not yet written
  bool writing = false;
  bool stopping = false;
  std::string last_error = "not connected yet";

  // A command whose reply is this late means the connection is dead even if TCP says nothing.
  clock::duration stall_limit() const {
    return std::max<clock::duration>(std::chrono::milliseconds(500), 4 * timeout());
  }

  void submit(const std::shared_ptr<call>& c, std::string bytes) {
    if (!conn || !up) {
      c->value = failure::make(errc::upstream_error, "redis: not connected (" + last_error + ")");
      c->done.set();
      return;
    }
    c->sent = clock::now();
    waiting.push_back(c);
    outbox += bytes;
    start_writing();
  }

  void start_writing() {
    if (writing || !conn) return;
    writing = true;
    net::co_spawn(ioc, write_loop(conn), net::detached);
  }

  void drop(const std::string& why) {
    up = false;
    last_error = why;
    if (conn) {
      beast::error_code ignored;
      conn->lowest().socket().close(ignored);  // ends the read and write loops; they hold conn
      conn.reset();
    }
    for (auto& c : waiting) {
      c->value = failure::make(errc::upstream_error, "redis: " + why);
      c->done.set();
    }
    waiting.clear();
    outbox.clear();
  }

  net::awaitable<void> write_loop(std::shared_ptr<connection> c) {
    while (!outbox.empty() && c == conn) {
      std::string batch;
      batch.swap(outbox);  // commands submitted meanwhile go in the next batch: one write each round
      auto [ec, n] = co_await std::visit(
          [&](auto& s) { return net::async_write(s, net::buffer(batch), use_tuple); }, c->stream);
      if (ec) {
        if (c == conn) drop("write failed: " + ec.message());
        break;
      }
    }
    writing = false;
    if (!outbox.empty()) start_writing();  // submitted for a newer connection while this one was failing
  }

  // Reads replies until `count` arrived (count 0: until the connection ends), completing callers in order.
  net::awaitable<result<std::vector<reply>>> read_replies(connection& c, redisReader& reader,
                                                          std::size_t count) {
    std::vector<reply> handshake;
    std::array<char, 16 * 1024> buf;
    for (;;) {
      for (;;) {
        void* raw = nullptr;
        if (redisReaderGetReply(&reader, &raw) != REDIS_OK)
          co_return failure::make(errc::upstream_error, "a reply that is not RESP");
        if (!raw) break;
        reply r = copy_reply(*static_cast<redisReply*>(raw));
        freeReplyObject(raw);
        if (count > 0) {
          handshake.push_back(std::move(r));
          if (handshake.size() == count) co_return handshake;
          continue;
        }
        if (waiting.empty()) co_return failure::make(errc::upstream_error, "a reply nobody asked for");
        auto front = std::move(waiting.front());
        waiting.pop_front();
        front->value = std::move(r);
        front->done.set();
      }
      auto [ec, n] = co_await std::visit(
          [&](auto& s) { return s.async_read_some(net::buffer(buf), use_tuple); }, c.stream);
      if (ec) co_return failure::make(errc::upstream_error, "connection lost: " + ec.message());
      redisReaderFeed(&reader, buf.data(), n);
    }
  }

  // Connects, authenticates and selects the database; on success the connection is up.
  net::awaitable<result<void>> connect_once(reader_ptr& reader) {
    tcp::resolver resolver(ioc);
    auto [rec, endpoints] =
        co_await resolver.async_resolve(opts.where.host, std::to_string(opts.where.port), use_tuple);
    if (rec)
      co_return failure::make(errc::upstream_error,
                              "cannot resolve " + opts.where.host + ": " + rec.message());
    std::shared_ptr<connection> c;
    if (opts.where.tls) {
      if (!tls) {
        tls = std::make_unique<ssl::context>(ssl::context::tls_client);
        beast::error_code ec;
        tls->set_verify_mode(ssl::verify_peer, ec);
        SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION);
        if (opts.where.ca_file.empty())
          tls->set_default_verify_paths(ec);
        else
          tls->load_verify_file(opts.where.ca_file, ec);
        if (ec) {
          tls.reset();
          co_return failure::make(errc::upstream_error, "cannot load the CA certificates: " + ec.message());
        }
      }
      c = std::make_shared<connection>(any_stream(std::in_place_index<1>, beast::tcp_stream(ioc), *tls));
    } else {
      c = std::make_shared<connection>(any_stream(std::in_place_index<0>, beast::tcp_stream(ioc)));
    }
    c->lowest().expires_after(opts.connect_timeout);
    auto [cec, _] = co_await c->lowest().async_connect(endpoints, use_tuple);
    if (cec)
      co_return failure::make(errc::upstream_error,
                              "cannot connect to " + opts.where.host + ": " + cec.message());
    c->lowest().socket().set_option(tcp::no_delay(true));
    if (auto* s = std::get_if<tls_stream>(&c->stream)) {
      if (!SSL_set_tlsext_host_name(s->native_handle(), opts.where.host.c_str()))
        co_return failure::make(errc::upstream_error, "cannot set the TLS server name");
      s->set_verify_callback(ssl::host_name_verification(opts.where.host));
      auto [hec] = co_await s->async_handshake(ssl::stream_base::client, use_tuple);
      if (hec) co_return failure::make(errc::upstream_error, "TLS handshake failed: " + hec.message());
    }
    std::string hello;
    std::size_t asked = 0;
    if (!opts.where.password.empty()) {
      hello += opts.where.username.empty()
                   ? format_command({"AUTH", opts.where.password.reveal()})
                   : format_command({"AUTH", opts.where.username, opts.where.password.reveal()});
      ++asked;
    }
    if (opts.where.db != 0) {
      hello += format_command({"SELECT", std::to_string(opts.where.db)});
      ++asked;
    }
    hello += format_command({"PING"});
    ++asked;
    auto [wec, wn] = co_await std::visit(
        [&](auto& s) { return net::async_write(s, net::buffer(hello), use_tuple); }, c->stream);
    if (wec)
      co_return failure::make(errc::upstream_error,
                              "cannot write to " + opts.where.host + ": " + wec.message());
    reader.reset(redisReaderCreate());
    auto replies = co_await read_replies(*c, *reader, asked);
    if (!replies) co_return replies.error();
    for (const auto& r : *replies)
      if (r.is_error())  // never echo the command: AUTH carries the password
        co_return failure::make(errc::upstream_error,
                                "the server refused the handshake: " + r.text.substr(0, 80));
    c->lowest().expires_never();
    conn = std::move(c);
    up = true;
    co_return result<void>{};
  }

  // Keeps a connection up for the client's whole life: connect, serve, and after a failure
  // reconnect with jittered exponential backoff (50 ms up to 2 s).
  net::awaitable<void> maintain() {
    std::mt19937 rng{std::random_device{}()};
    net::steady_timer pause(ioc);
    for (unsigned failures = 0; !stopping;) {
      reader_ptr reader;
      auto ready = co_await connect_once(reader);
      if (ready) {
        failures = 0;
        auto c = conn;
        auto ended = co_await read_replies(*c, *reader, 0);
        if (c == conn) drop(ended ? "connection closed" : ended.error().message);
      } else {
        drop(ready.error().message);
      }
      if (stopping) break;
      const auto cap = std::min<unsigned>(2000, 50u << std::min(failures, 6u));
      ++failures;
      pause.expires_after(
          std::chrono::milliseconds(std::uniform_int_distribution<unsigned>(cap / 2, cap)(rng)));
      co_await pause.async_wait(use_tuple);
    }
  }

  // Drops a connection whose oldest command went unanswered too long (a server that stopped
  // without closing, a network that swallows packets), so callers fall back instead of waiting.
  net::awaitable<void> watch() {
    net::steady_timer tick(ioc);
    while (!stopping) {
      tick.expires_after(std::chrono::milliseconds(100));
      co_await tick.async_wait(use_tuple);
      if (!waiting.empty() && clock::now() - waiting.front()->sent > stall_limit()) drop("no reply in time");
    }
  }
};

redis_client::redis_client(redis_options opts) : impl_(std::make_shared<impl>(std::move(opts))) {
  net::co_spawn(impl_->ioc, impl_->maintain(), net::detached);
  net::co_spawn(impl_->ioc, impl_->watch(), net::detached);
  impl_->thread = std::thread([i = impl_.get()] { i->ioc.run(); });
}

redis_client::~redis_client() {
  net::post(impl_->ioc, [i = impl_.get()] {
    i->stopping = true;
    i->drop("the client is shutting down");  // waiting callers get their failure now
    i->ioc.stop();                           // the loops' frames go with the io_context
  });
  impl_->work.reset();
  if (impl_->thread.joinable()) impl_->thread.join();
}

bool redis_client::connected() const noexcept {
  return impl_->up.load();
}

bool redis_client::wait_connected(std::chrono::milliseconds at_most) const {
  const auto until = clock::now() + at_most;
  while (!connected() && clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return connected();
}

net::awaitable<result<reply>> redis_client::command(std::vector<std::string> argv, deadline until) {
  auto c = std::make_shared<call>();
  // A raw pointer: a handler left in the queue at shutdown must not keep the client alive.
  net::post(impl_->ioc,
            [i = impl_.get(), c, bytes = format_command(argv)]() mutable { i->submit(c, std::move(bytes)); });
  const deadline by = std::min(until, clock::now() + impl_->timeout());
  if (!co_await c->done.wait(by))
    co_return failure::make(errc::upstream_error,
                            "redis: no reply within " + std::to_string(impl_->timeout().count()) + " ms");
  co_return c->value;
}

net::awaitable<result<reply>> redis_client::eval(const script& s, const std::vector<std::string>& keys,
                                                 const std::vector<std::string>& args, deadline until) {
  std::vector<std::string> argv{"EVALSHA", s.sha1, std::to_string(keys.size())};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = co_await command(argv, until);
  if (r && r->is_error() && r->text.starts_with("NOSCRIPT")) {  // a new or flushed server: send it whole once
    argv[0] = "EVAL";
    argv[1] = s.source;
    r = co_await command(std::move(argv), until);
  }
  co_return r;
}

}  // namespace cgw::shared_state
