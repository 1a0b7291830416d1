// Whether this replica reaches the fleet's shared state (Redis) now. Every shared store of a
// replica reports to one; it says so once per transition (a log line through the listener,
// the cgw_shared_state_degraded gauge), never once per request, and /v1/vendors shows it.
#pragma once

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

  void succeeded();
  void failed(const std::string& why);
  bool degraded() const noexcept { return degraded_.load(); }

 private:
  listener on_change_;
  std::mutex mutex_;  // orders transitions, so their log lines come in order
  std::atomic<bool> degraded_{false};
};

}  // namespace cgw::policy
