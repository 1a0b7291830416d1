// The upstream HTTP client: async, keep-alive pools per vendor origin and account, TLS
// (1.2 at least) with verification, a deadline on every call (name resolution included), a
// cap on answer size, no redirects.
#pragma once

#include "gateway/core/error.hpp"
#include "gateway/net/net.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>

namespace cgw::upstream {

// Where a vendor lives, derived once from its configured base_url.
struct endpoint {
  bool tls = false;
  std::string host;
  std::uint16_t port = 0;
  std::string path_prefix;  // base_url's path without a trailing slash ("" or "/api")
  std::string ca_file;      // empty: the system store
  std::uint32_t max_idle = 32;
  // Whose requests the connections carry: a digest of the credentials, never a secret. Pools are
  // per origin and account, so two accounts on one origin never share a connection.
  std::string account;

  // "https://host:port", for Host headers, URL checks and pool keys.
  std::string origin() const;
};

// Parses an absolute http(s) URL; a failure says what is wrong (it never echoes credentials).
result<endpoint> parse_endpoint(std::string_view base_url, std::string ca_file = {});

// The origin-form target ("/path?query") of an absolute URL a vendor handed back (a next-page
// link), when its scheme, host and port are the endpoint's own. Fails with upstream_error for
// any other origin, so that credentials are never sent to another host.
result<std::string> same_origin_target(const endpoint& ep, std::string_view absolute_url);

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

struct limits {
  std::size_t max_body_bytes = 8 << 20;
  std::size_t max_header_bytes = 64 << 10;
};

// One per io thread: pools are not shared between threads, so no call takes a lock.
class client {
 public:
  explicit client(net::any_io_executor executor);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  // Sends `req` (target and headers set by the caller; Host is added) and reads the answer,
  // past any interim (1xx) answers. Fails with upstream_timeout when `until` passes (resolving
  // the host included), upstream_error on connection, TLS, protocol or size failures. Any final
  // HTTP status is a success here: callers judge statuses. A connection goes back to its pool
  // only when the answer keeps it alive and nothing unread is left on it.
  net::awaitable<result<response>> send(const endpoint& ep, request req, deadline until, limits lim = {});

  // Connections opened so far (a measure of keep-alive reuse).
  std::uint64_t connections_opened() const noexcept;

  // Host lookups started so far (a measure of the resolution cache, which keeps answers 30 s).
  std::uint64_t resolutions() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace cgw::upstream
