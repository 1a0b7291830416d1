// A real Debian redis-server for a test: on a free loopback port, persistence off, stopped
// (or killed, and started again on the same port) by the test. deploy/install-deps.sh
// installs redis-server; a machine without it fails the test that needs it, loudly.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <sys/types.h>

namespace cgw::testing {

class redis_server {
 public:
  // Starts it with `extra` arguments (e.g. --requirepass, or TLS: then it listens on --tls-port
  // only, and is ready when it accepts); fails the test when it is not ready within 5 s.
  explicit redis_server(std::vector<std::string> extra = {}, bool tls = false);
  ~redis_server();  // stops it
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  void kill_hard();  // SIGKILL, as a crash would
  void start();      // again, on the same port
  bool running() const { return pid_ > 0; }

 private:
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::vector<std::string> extra_;
  bool tls_ = false;
};

}  // namespace cgw::testing
