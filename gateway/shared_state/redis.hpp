// A Redis client for the fleet's shared state: Debian's hiredis writes the protocol
// and parses replies; Boost.Asio does the I/O. One connection, pipelined, on a thread
// of its own: callers on any io thread hand it a command and wait on their own
// executor for the reply, within their deadline, so no io thread ever blocks on Redis.
// It reconnects with backoff; while it is not connected, commands fail at once, so a
// caller falls back to its local state without waiting for a timeout.
//
// Why one connection on its own thread rather than one per io thread: its lifetime does
// not depend on the server's io contexts (the stores outlive reloads and the server), one
// reconnect state serves every caller, and one pipeline batches every io thread's commands.
#pragma once

#include "config/config.hpp"
#include "gateway/core/error.hpp"
#include "gateway/net/net.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cgw::shared_state {

// One reply, copied out of hiredis's reply tree.
struct reply {
  enum class kind { nil, integer, string, status, error, array } type = kind::nil;
  long long integer = 0;
  std::string text;  // string, status and error replies
  std::vector<reply> elements;

  bool is_error() const { return type == kind::error; }
};

struct redis_options {
  config::redis_config where;                       // host, port, database, TLS, AUTH, timeout_ms
  std::chrono::milliseconds connect_timeout{1000};  // connecting, TLS and AUTH together
};

// A Lua script, called by SHA (EVALSHA) and sent whole once when the server says NOSCRIPT.
struct script {
  explicit script(std::string source);
  std::string source;
  std::string sha1;  // hex
};

class redis_client {
 public:
  explicit redis_client(redis_options opts);
  ~redis_client();  // closes the connection and joins its thread; waiting callers time out
  redis_client(const redis_client&) = delete;
  redis_client& operator=(const redis_client&) = delete;

  // Sends one command. Fails with upstream_error ("redis: ...") when not connected, on a
  // connection failure, or when no reply came within the timeout or before `until`. An
  // error reply is a success here (reply::kind::error): callers judge it.
  net::awaitable<result<reply>> command(std::vector<std::string> argv, deadline until);

  // EVALSHA, then EVAL with the source when the server does not know the script.
  net::awaitable<result<reply>> eval(const script& s, const std::vector<std::string>& keys,
                                     const std::vector<std::string>& args, deadline until);

  // True while a connection is up and authenticated.
  bool connected() const noexcept;
  // Blocks the calling thread (never an io thread: start-up only) until connected or `at_most`
  // passed; returns connected().
  bool wait_connected(std::chrono::milliseconds at_most) const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace cgw::shared_state
