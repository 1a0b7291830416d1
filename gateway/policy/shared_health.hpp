// Whether this replica reaches the fleet's shared state (Redis) now. Every shared store of a
// replica reports to one; it says so once per transition (a log line through the listener,
// the cgw_shared_state_degraded gauge), never once per request, and /v1/vendors shows it.
#pragma once

#include "gateway/net/net.hpp"

#include <atomic>
#include <functional>
#include <mutex>
#include <string>

namespace cgw::policy {

class shared_health {
 public:
  // Called once per transition (degraded, why). May be empty.
  using listener = std::function<void(bool degraded, const std::string& why)>;
  explicit shared_health(listener on_change = {});

  // The outcome of an operation asked at `asked`. An outcome of one asked before the last
  // transition is stale (a reply that was on its way when Redis died, a refusal queued before it
  // came back) and changes nothing, so a transition is never undone by its own stragglers.
  void succeeded(clock::time_point asked);
  void failed(clock::time_point asked, const std::string& why);
  bool degraded() const noexcept { return degraded_.load(); }

 private:
  void change(bool degraded, clock::time_point asked, const std::string& why);

  listener on_change_;
  std::mutex mutex_;  // orders transitions, so their log lines come in order
  std::atomic<bool> degraded_{false};
  clock::time_point changed_{};  // guarded by mutex_
};

}  // namespace cgw::policy
