// A circuit breaker per vendor instance: it opens after consecutive failures, answers
// at once while open, and after open_ms lets one probe through (half-open); the probe's
// outcome closes it or opens it again. Shared by every io thread.
#pragma once

#include "config/config.hpp"
#include "gateway/net/net.hpp"

#include <cstdint>
#include <mutex>
#include <string_view>

namespace cgw::policy {

class circuit_breaker {
 public:
  enum class state { closed, open, half_open };

  explicit circuit_breaker(config::circuit_config cfg) : cfg_(cfg) {}

  // Whether a call may go now. In half-open only the one probe goes; its caller must record().
  bool allow(clock::time_point now);
  // A call's outcome: success is any answer that shows the vendor working (a 4xx included);
  // failure is a connection failure, a timeout or a 5xx.
  void record(bool success, clock::time_point now);
  // A call allowed but abandoned before it reached the vendor: frees the probe.
  void forgo();

  state current(clock::time_point now) const;
  void reconfigure(config::circuit_config cfg);

 private:
  mutable std::mutex mutex_;
  config::circuit_config cfg_;
  state state_ = state::closed;
  std::uint32_t failures_ = 0;
  clock::time_point opened_at_{};
  bool probing_ = false;
};

std::string_view to_string(circuit_breaker::state s) noexcept;

}  // namespace cgw::policy
