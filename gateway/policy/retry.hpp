// When to try a vendor call again: full-jitter exponential backoff, and a budget that
// lets retries add at most budget_percent of the first calls (plus a small reserve), so
// that an outage is not multiplied by the gateway.
#pragma once

#include "config/config.hpp"
#include "gateway/net/net.hpp"
#include "gateway/upstream/client.hpp"

#include <mutex>

namespace cgw::policy {

// A random delay in [0, min(max_delay, base * 2^retry)) — retry counts from 0 for the first retry.
clock::duration backoff(const config::retry_config& cfg, unsigned retry);

// Seconds a vendor asks to wait, from Retry-After (seconds or HTTP date) or
// X-RateLimit-Reset (seconds); 0 when the answer says nothing.
int retry_after_seconds(const upstream::response& res);

class retry_budget {
 public:
  explicit retry_budget(std::uint32_t percent) : percent_(percent) {}
  void on_first_call();  // each first call earns percent/100 of a retry
  bool try_spend();      // takes one retry when there is one
  void reconfigure(std::uint32_t percent);

 private:
  static constexpr double reserve = 10;  // retries a quiet vendor may have banked
  std::mutex mutex_;
  std::uint32_t percent_;
  double tokens_ = reserve;
};

}  // namespace cgw::policy
