// Small pieces the tests and the benchmarks share: a free loopback port, and an io thread on
// which a test's coroutines run as the gateway's would. No gtest here: benchmarks include it too.
#pragma once

#include "gateway/net/net.hpp"

#include <cstdint>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>

namespace cgw::testing {

// A loopback port that was free a moment ago.
inline std::uint16_t free_loopback_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// One single-threaded io_context on a thread of its own; sync() runs a coroutine there and waits.
struct io_thread {
  net::io_context ioc{1};
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  std::thread thread{[this] { ioc.run(); }};
  ~io_thread() {
    work.reset();
    thread.join();
  }
  template <class T>
  T sync(net::awaitable<T> a) {
    return net::co_spawn(ioc, std::move(a), net::use_future).get();
  }
};

}  // namespace cgw::testing
