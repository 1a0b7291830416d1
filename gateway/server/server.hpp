// The listening side: a pool of single-threaded io_contexts (one per core), each
// with its own upstream client, so that a request and its vendor calls never
// cross threads. Keep-alive, size and time limits, and a graceful drain.
#pragma once

#include "config/config.hpp"
#include "gateway/api/service.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace cgw::server {

class server {
 public:
  server(api::service& svc, const config::gateway_config& cfg);
  ~server();

  // Binds and starts the io threads; returns the bound port. Throws on a bind failure
  // (a start-up error: the caller reports it and exits).
  std::uint16_t start();

  // Stops accepting, lets requests in flight finish for up to `grace`, then stops every
  // connection and joins the threads.
  void shutdown(std::chrono::milliseconds grace);

  std::size_t in_flight() const noexcept { return in_flight_.load(); }

 private:
  struct worker;
  class connection_slot;
  net::awaitable<void> accept_loop();
  net::awaitable<void> session(tcp::socket socket, worker& w, std::shared_ptr<connection_slot> slot);
  // A slot for a new connection from `address`; null when max_connections or max_connections_per_ip is
  // reached.
  std::shared_ptr<connection_slot> admit_connection(const std::string& address);

  api::service& service_;
  config::server_config limits_;
  config::listen_config listen_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::atomic<std::size_t> in_flight_{0};
  std::atomic<std::size_t> connections_{0};  // counted at accept, released when the session ends
  std::mutex per_ip_mutex_;                  // sessions end on every io thread
  std::unordered_map<std::string, std::uint32_t> per_ip_;  // open connections by remote address
  std::atomic<bool> stopped_{false};
};

}  // namespace cgw::server
