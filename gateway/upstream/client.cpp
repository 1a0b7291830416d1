#include "gateway/upstream/client.hpp"

#include <deque>
#include <optional>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>

namespace cgw::upstream {
namespace {

namespace ssl = net::ssl;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

using tls_stream = beast::ssl_stream<beast::tcp_stream>;

struct connection {
  std::variant<beast::tcp_stream, tls_stream> stream;
  beast::flat_buffer buffer;

  beast::tcp_stream& socket() {
    return std::visit([](auto& s) -> beast::tcp_stream& { return beast::get_lowest_layer(s); }, stream);
  }
};

failure timeout_failure(const endpoint& ep) {
  return failure::make(errc::upstream_timeout, "no answer from " + ep.host + " within the deadline");
}

failure io_failure(const endpoint& ep, std::string_view what, const beast::error_code& ec) {
  auto f = failure::make(errc::upstream_error, std::string(what) + " " + ep.host + ": " + ec.message());
  f.transient = ec != http::error::header_limit;  // an oversized header comes back the same way
  return f;
}

// Stale keep-alive connections fail this way on first use; such a request is retried once on a new one.
bool stale(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe;
}

// Room kept in a connection's read buffer. Beast reads at most what the buffer has room for, and a
// flat_buffer that starts empty grows only to 512 bytes while the parser keeps draining it: a 60 KB
// answer then costs over a hundred reads, each a system call and a timer reset.
constexpr std::size_t read_room = 64 * 1024;

// Interim (1xx) answers read before the real one; a vendor sending more is refused.
constexpr int max_interim_answers = 8;

// Host resolutions are kept this long (vendors' names rarely move; a short TTL follows them when they do).
constexpr auto resolution_ttl = std::chrono::seconds(30);
constexpr std::size_t max_resolutions = 256;

// True when nothing of a later answer is already waiting on the connection: bytes the parser did not
// take, decrypted TLS bytes, or bytes in the kernel. Such bytes belong to no request of ours, and the
// next request on the connection would read them as its answer.
bool drained(connection& conn) {
  if (conn.buffer.size() != 0) return false;
  if (auto* tls = std::get_if<tls_stream>(&conn.stream); tls && SSL_pending(tls->native_handle()) > 0)
    return false;
  beast::error_code ec;
  const std::size_t waiting = conn.socket().socket().available(ec);
  return !ec && waiting == 0;
}

}  // namespace

std::string endpoint::origin() const {
  return std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(port);
}

result<endpoint> parse_endpoint(std::string_view base_url, std::string ca_file) {
  const std::string text(base_url);  // Boost.URL 1.81 parsers may read up to a NUL
  auto url = boost::urls::parse_absolute_uri(text);
  if (!url) return failure::make(errc::invalid_parameter, "base_url: not an absolute URL");
  endpoint ep;
  if (url->scheme() == "https")
    ep.tls = true;
  else if (url->scheme() != "http")
    return failure::make(errc::invalid_parameter, "base_url: scheme must be http or https");
  if (url->has_userinfo())
    return failure::make(errc::invalid_parameter, "base_url: must not carry credentials");
  ep.host = url->encoded_host().decode();
  if (ep.host.empty()) return failure::make(errc::invalid_parameter, "base_url: has no host");
  if (ep.host.size() > 2 && ep.host.front() == '[') ep.host = ep.host.substr(1, ep.host.size() - 2);
  if (url->has_port()) {
    const std::string_view port = url->port();
    const bool digits =
        !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string_view::npos;
    if (!digits || std::stoul(std::string(port)) == 0 || std::stoul(std::string(port)) > 65535)
      return failure::make(errc::invalid_parameter, "base_url: the port is not a number from 1 to 65535");
  }
  ep.port = url->has_port() ? url->port_number() : (ep.tls ? 443 : 80);
  ep.path_prefix = url->encoded_path();
  if (!ep.path_prefix.empty() && ep.path_prefix.front() != '/')
    return failure::make(errc::invalid_parameter, "base_url: the path must start with /");
  while (!ep.path_prefix.empty() && ep.path_prefix.back() == '/') ep.path_prefix.pop_back();
  ep.ca_file = std::move(ca_file);
  return ep;
}

result<std::string> same_origin_target(const endpoint& ep, std::string_view absolute_url) {
  const std::string text(absolute_url);  // Boost.URL 1.81 parsers may read up to a NUL
  auto link = parse_endpoint(text, ep.ca_file);
  auto url = boost::urls::parse_absolute_uri(text);
  if (!link || !url)
    return failure::make(errc::upstream_error, "the vendor's next-page link is not an absolute URL");
  if (link->tls != ep.tls || link->host != ep.host || link->port != ep.port)
    return failure::make(errc::upstream_error, "the vendor's next-page link points at another origin (" +
                                                   link->origin() + "); it was not followed");
  std::string target(url->encoded_path());
  if (target.empty()) target = "/";
  if (url->has_query()) target += "?" + std::string(url->encoded_query());
  return target;
}

struct client::impl {
  net::any_io_executor executor;
  std::map<std::string, std::deque<std::unique_ptr<connection>>>
      idle;  // by pool_key(): origin, CA file, account
  std::map<std::string, std::unique_ptr<ssl::context>> tls_contexts;  // by CA file ("" = system store)
  struct resolution {
    tcp::resolver::results_type results;
    clock::time_point expires;
  };
  std::map<std::string, resolution> resolved;  // by "host|port"
  std::uint64_t opened = 0, resolutions = 0;

  explicit impl(net::any_io_executor ex) : executor(ex) {}

  static std::string pool_key(const endpoint& ep) {
    return ep.origin() + "|" + ep.ca_file + "|" + ep.account;
  }

  result<ssl::context*> tls_context(const std::string& ca_file) {
    auto& slot = tls_contexts[ca_file];
    if (!slot) {
      auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
      beast::error_code ec;
      // TLS 1.2 at least, whatever the system's OpenSSL configuration allows.
      ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                           ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                       ec);
      if (!ec && SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION) != 1)
        ec = net::error::invalid_argument;
      if (!ec) ctx->set_verify_mode(ssl::verify_peer, ec);
      if (!ec) {
        if (ca_file.empty())
          ctx->set_default_verify_paths(ec);
        else
          ctx->load_verify_file(ca_file, ec);
      }
      if (ec) {
        tls_contexts.erase(ca_file);
        return failure::make(errc::upstream_error, "cannot load the CA certificates: " + ec.message());
      }
      slot = std::move(ctx);
    }
    return slot.get();
  }

  // The addresses of the endpoint's host, from the cache or a lookup that ends at `until`. The
  // lookup runs on asio's resolver thread and cannot be interrupted: past the deadline its result
  // is dropped when it comes, and the call goes on without it.
  net::awaitable<result<tcp::resolver::results_type>> resolve(const endpoint& ep, deadline until) {
    const std::string port = std::to_string(ep.port);
    const std::string key = ep.host + "|" + port;
    if (auto it = resolved.find(key); it != resolved.end()) {
      if (it->second.expires > clock::now()) co_return it->second.results;
      resolved.erase(it);
    }
    if (clock::now() >= until) co_return timeout_failure(ep);
    struct lookup {
      explicit lookup(const net::any_io_executor& ex) : resolver(ex), timer(ex) {}
      tcp::resolver resolver;  // one per lookup: cancelling it cancels no other call's lookup
      net::steady_timer timer;
      beast::error_code ec;
      tcp::resolver::results_type results;
      bool done = false;
    };
    auto l = std::make_shared<lookup>(executor);
    l->timer.expires_at(until);
    ++resolutions;
    // Both completions run on this client's io thread: no lock around `l`.
    l->resolver.async_resolve(ep.host, port, [l](const beast::error_code& ec, tcp::resolver::results_type r) {
      l->ec = ec;
      l->results = std::move(r);
      l->done = true;
      l->timer.cancel();
    });
    co_await l->timer.async_wait(use_tuple);
    if (!l->done) {
      l->resolver.cancel();
      if (clock::now() >= until)
        co_return failure::make(errc::upstream_timeout, "cannot resolve " + ep.host + " within the deadline");
      co_return io_failure(ep, "cannot resolve", net::error::operation_aborted);
    }
    if (l->ec) co_return io_failure(ep, "cannot resolve", l->ec);
    const auto now = clock::now();
    if (resolved.size() >= max_resolutions)
      std::erase_if(resolved, [&](const auto& e) { return e.second.expires <= now; });
    if (resolved.size() >= max_resolutions) resolved.erase(resolved.begin());
    resolved[key] = resolution{l->results, now + resolution_ttl};
    co_return l->results;
  }

  net::awaitable<result<std::unique_ptr<connection>>> open(const endpoint& ep, deadline until) {
    auto results = co_await resolve(ep, until);
    if (!results) co_return results.error();
    std::unique_ptr<connection> conn;
    if (ep.tls) {
      auto ctx = tls_context(ep.ca_file);
      if (!ctx) co_return ctx.error();
      conn.reset(new connection{std::variant<beast::tcp_stream, tls_stream>(
          std::in_place_index<1>, beast::tcp_stream(executor), **ctx)});
    } else {
      conn.reset(new connection{
          std::variant<beast::tcp_stream, tls_stream>(std::in_place_index<0>, beast::tcp_stream(executor))});
    }
    conn->buffer.reserve(read_room);
    conn->socket().expires_at(until);
    auto [cec, _] = co_await conn->socket().async_connect(*results, use_tuple);
    if (cec == beast::error::timeout) co_return timeout_failure(ep);
    if (cec) co_return io_failure(ep, "cannot connect to", cec);
    conn->socket().socket().set_option(tcp::no_delay(true));
    if (auto* tls = std::get_if<tls_stream>(&conn->stream)) {
      // The certificate must name the configured host: OpenSSL checks it during the handshake and
      // says why it refused (SSL_get_verify_result). SNI carries names only, never an address (RFC 6066).
      SSL* handle = tls->native_handle();
      beast::error_code not_address;
      net::ip::make_address(ep.host, not_address);
      const bool named = not_address
                             ? SSL_set_tlsext_host_name(handle, ep.host.c_str()) == 1 &&
                                   SSL_set1_host(handle, ep.host.c_str()) == 1
                             : X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(handle), ep.host.c_str()) == 1;
      if (!named)
        co_return failure::make(errc::upstream_error, "cannot set the TLS server name for " + ep.host);
      auto [hec] = co_await tls->async_handshake(ssl::stream_base::client, use_tuple);
      if (hec == beast::error::timeout) co_return timeout_failure(ep);
      if (const long verdict = SSL_get_verify_result(handle); hec && verdict != X509_V_OK)
        co_return failure::make(errc::upstream_error, "TLS handshake failed with " + ep.host +
                                                          ": the server's certificate was refused: " +
                                                          X509_verify_cert_error_string(verdict));
      if (hec) {
        auto f = io_failure(ep, "TLS handshake failed with", hec);
        f.transient &=
            hec.category() != net::error::get_ssl_category();  // a refused protocol is refused again
        co_return f;
      }
    }
    ++opened;
    co_return conn;
  }

  // An idle connection of the pool that has nothing unread waiting, or null; others are closed.
  std::unique_ptr<connection> take_idle(std::deque<std::unique_ptr<connection>>& pool) {
    while (!pool.empty()) {
      std::unique_ptr<connection> conn = std::move(pool.back());
      pool.pop_back();
      if (drained(*conn)) return conn;
    }
    return nullptr;
  }

  using parser_type = http::response_parser<http::string_body>;

  // Writes the request and reads its answer into `parser`, skipping interim (1xx) answers: each
  // is read whole by a parser of its own, and what follows it in the buffer starts the next one.
  // `interim` counts the interim answers read.
  template <class Stream>
  static net::awaitable<beast::error_code> exchange(Stream& stream, beast::flat_buffer& buffer, request& req,
                                                    std::optional<parser_type>& parser, const limits& lim,
                                                    int& interim) {
    auto [wec, wn] = co_await http::async_write(stream, req, use_tuple);
    if (wec) co_return wec;
    for (interim = 0;; ++interim) {
      parser.emplace();
      parser->body_limit(lim.max_body_bytes);
      parser->header_limit(static_cast<std::uint32_t>(lim.max_header_bytes));
      auto [rec, rn] = co_await http::async_read(stream, buffer, *parser, use_tuple);
      if (rec) co_return rec;
      const unsigned status = parser->get().result_int();
      // 101 would switch protocols, which the gateway never asks for: the caller refuses it.
      if (status / 100 != 1 || status == 101 || interim + 1 >= max_interim_answers)
        co_return beast::error_code{};
    }
  }

  net::awaitable<result<response>> send(const endpoint& ep, request req, deadline until, limits lim) {
    if (clock::now() >= until) co_return timeout_failure(ep);
    req.set(http::field::host,
            ep.port == (ep.tls ? 443 : 80) ? ep.host : ep.host + ":" + std::to_string(ep.port));
    req.set(http::field::user_agent, "conversation-gateway/0.1");
    req.keep_alive(true);
    req.prepare_payload();
    // Per account, not per origin: a connection never carries two accounts' requests, so an answer
    // left on it can never reach another account's caller.
    const std::string key = pool_key(ep);
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::unique_ptr<connection> conn;
      if (attempt == 0) conn = take_idle(idle[key]);
      const bool reused = conn != nullptr;
      if (!conn) {
        auto opened_conn = co_await open(ep, until);
        if (!opened_conn) co_return opened_conn.error();
        conn = std::move(*opened_conn);
      }
      conn->socket().expires_at(until);
      std::optional<parser_type> parser;
      int interim = 0;
      beast::error_code ec = co_await std::visit(
          [&](auto& s) { return exchange(s, conn->buffer, req, parser, lim, interim); }, conn->stream);
      if (ec) {
        if (reused && stale(ec) && interim == 0 && (!parser || !parser->got_some())) continue;
        if (ec == beast::error::timeout) co_return timeout_failure(ep);
        if (ec == http::error::body_limit)
          co_return failure::make(errc::upstream_error, "answer from " + ep.host + " is larger than " +
                                                            std::to_string(lim.max_body_bytes) + " bytes");
        co_return io_failure(ep, "broken answer from", ec);
      }
      if (const unsigned status = parser->get().result_int(); status / 100 == 1)
        co_return failure::make(errc::upstream_error,
                                status == 101 ? "the vendor " + ep.host + " switched protocols (HTTP 101)"
                                              : "the vendor " + ep.host + " sent " +
                                                    std::to_string(max_interim_answers) +
                                                    " interim (1xx) answers and no final one");
      const bool reusable = parser->keep_alive() && drained(*conn);
      response res = parser->release();
      if (reusable && idle[key].size() < ep.max_idle) {
        conn->socket().expires_never();
        idle[key].push_back(std::move(conn));
      }
      co_return res;
    }
    auto closed =
        failure::make(errc::upstream_error, "connection to " + ep.host + " closed before an answer");
    closed.transient = true;
    co_return closed;
  }
};

client::client(net::any_io_executor executor) : impl_(std::make_unique<impl>(executor)) {}

client::~client() = default;

net::awaitable<result<response>> client::send(const endpoint& ep, request req, deadline until, limits lim) {
  return impl_->send(ep, std::move(req), until, lim);
}

std::uint64_t client::connections_opened() const noexcept {
  return impl_->opened;
}

std::uint64_t client::resolutions() const noexcept {
  return impl_->resolutions;
}

}  // namespace cgw::upstream
