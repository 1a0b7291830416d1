#include "gateway/upstream/client.hpp"

#include <deque>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
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

}  // namespace

std::string endpoint::origin() const {
  return std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(port);
}

result<endpoint> parse_endpoint(std::string_view base_url, std::string ca_file) {
  const std::string text(base_url);  // Boost.URL 1.81 parsers may read up to a NUL
  auto url = boost::urls::parse_absolute_uri(text);
  if (!url) return failure::make(errc::invalid_parameter, "base_url: not an absolute URL");
  endpoint ep;
  if (url->scheme() == "https") ep.tls = true;
  else if (url->scheme() != "http") return failure::make(errc::invalid_parameter, "base_url: scheme must be http or https");
  if (url->has_userinfo()) return failure::make(errc::invalid_parameter, "base_url: must not carry credentials");
  ep.host = url->encoded_host().decode();
  if (ep.host.empty()) return failure::make(errc::invalid_parameter, "base_url: has no host");
  if (ep.host.size() > 2 && ep.host.front() == '[') ep.host = ep.host.substr(1, ep.host.size() - 2);
  if (url->has_port()) {
    const std::string_view port = url->port();
    const bool digits = !port.empty() && port.size() <= 5 &&
                        port.find_first_not_of("0123456789") == std::string_view::npos;
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
  if (!link || !url) return failure::make(errc::upstream_error, "the vendor's next-page link is not an absolute URL");
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
  tcp::resolver resolver;
  std::map<std::string, std::deque<std::unique_ptr<connection>>> idle;  // by origin
  std::map<std::string, std::unique_ptr<ssl::context>> tls_contexts;      // by CA file ("" = system store)
  std::uint64_t opened = 0;

  explicit impl(net::any_io_executor ex) : executor(ex), resolver(ex) {}

  result<ssl::context*> tls_context(const std::string& ca_file) {
    auto& slot = tls_contexts[ca_file];
    if (!slot) {
      auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
      beast::error_code ec;
      ctx->set_verify_mode(ssl::verify_peer, ec);
      if (ca_file.empty()) ctx->set_default_verify_paths(ec);
      else ctx->load_verify_file(ca_file, ec);
      if (ec) {
        tls_contexts.erase(ca_file);
        return failure::make(errc::upstream_error, "cannot load the CA certificates: " + ec.message());
      }
      slot = std::move(ctx);
    }
    return slot.get();
  }

  net::awaitable<result<std::unique_ptr<connection>>> open(const endpoint& ep, deadline until) {
    const std::string port = std::to_string(ep.port);
    auto [rec, results] = co_await resolver.async_resolve(ep.host, port, use_tuple);
    if (rec) co_return io_failure(ep, "cannot resolve", rec);
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
    conn->socket().expires_at(until);
    auto [cec, _] = co_await conn->socket().async_connect(results, use_tuple);
    if (cec == beast::error::timeout) co_return timeout_failure(ep);
    if (cec) co_return io_failure(ep, "cannot connect to", cec);
    conn->socket().socket().set_option(tcp::no_delay(true));
    if (auto* tls = std::get_if<tls_stream>(&conn->stream)) {
      // SNI and host name verification: the certificate must name the configured host.
      if (!SSL_set_tlsext_host_name(tls->native_handle(), ep.host.c_str()))
        co_return failure::make(errc::upstream_error, "cannot set TLS server name for " + ep.host);
      tls->set_verify_callback(ssl::host_name_verification(ep.host));
      auto [hec] = co_await tls->async_handshake(ssl::stream_base::client, use_tuple);
      if (hec == beast::error::timeout) co_return timeout_failure(ep);
      if (hec) co_return io_failure(ep, "TLS handshake failed with", hec);
    }
    ++opened;
    co_return conn;
  }

  template <class Stream>
  static net::awaitable<beast::error_code> exchange(Stream& stream, beast::flat_buffer& buffer, request& req,
                                                    http::response_parser<http::string_body>& parser) {
    auto [wec, wn] = co_await http::async_write(stream, req, use_tuple);
    if (wec) co_return wec;
    auto [rec, rn] = co_await http::async_read(stream, buffer, parser, use_tuple);
    co_return rec;
  }

  net::awaitable<result<response>> send(const endpoint& ep, request req, deadline until, limits lim) {
    if (clock::now() >= until) co_return timeout_failure(ep);
    req.set(http::field::host, ep.port == (ep.tls ? 443 : 80) ? ep.host : ep.host + ":" + std::to_string(ep.port));
    req.set(http::field::user_agent, "conversation-gateway/0.1");
    req.keep_alive(true);
    req.prepare_payload();
    const std::string key = ep.origin() + "|" + ep.ca_file;
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::unique_ptr<connection> conn;
      auto& pool = idle[key];
      if (attempt == 0 && !pool.empty()) {
        conn = std::move(pool.back());
        pool.pop_back();
      }
      const bool reused = conn != nullptr;
      if (!conn) {
        auto opened_conn = co_await open(ep, until);
        if (!opened_conn) co_return opened_conn.error();
        conn = std::move(*opened_conn);
      }
      conn->socket().expires_at(until);
      http::response_parser<http::string_body> parser;
      parser.body_limit(lim.max_body_bytes);
      parser.header_limit(static_cast<std::uint32_t>(lim.max_header_bytes));
      beast::error_code ec = co_await std::visit(
          [&](auto& s) { return exchange(s, conn->buffer, req, parser); }, conn->stream);
      if (ec) {
        if (reused && stale(ec) && !parser.got_some()) continue;
        if (ec == beast::error::timeout) co_return timeout_failure(ep);
        if (ec == http::error::body_limit)
          co_return failure::make(errc::upstream_error, "answer from " + ep.host + " is larger than " +
                                                            std::to_string(lim.max_body_bytes) + " bytes");
        co_return io_failure(ep, "broken answer from", ec);
      }
      response res = parser.release();
      if (res.keep_alive() && idle[key].size() < ep.max_idle) {
        conn->socket().expires_never();
        idle[key].push_back(std::move(conn));
      }
      co_return res;
    }
    auto closed = failure::make(errc::upstream_error, "connection to " + ep.host + " closed before an answer");
    closed.transient = true;
    co_return closed;
  }
};

client::client(net::any_io_executor executor) : impl_(std::make_unique<impl>(executor)) {}
client::~client() = default;

net::awaitable<result<response>> client::send(const endpoint& ep, request req, deadline until, limits lim) {
  return impl_->send(ep, std::move(req), until, lim);
}

std::uint64_t client::connections_opened() const noexcept { return impl_->opened; }

}  // namespace cgw::upstream
