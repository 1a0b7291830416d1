#include "gateway/policy/client_limit.hpp"

#include <algorithm>
#include <cmath>

namespace cgw::policy {
namespace {

long whole_up(double seconds) {
  return static_cast<long>(std::ceil(std::max(0.0, seconds) - 1e-9));
}

}  // namespace

client_limit_verdict memory_client_limit_store::take_at(const std::string& client,
                                                        const config::client_rate_limit& limit,
                                                        clock::time_point now) {
  const double rate = std::max(limit.requests_per_s, 1e-9);
  const double burst = std::max(limit.burst, 1.0);
  std::lock_guard lock(mutex_);
  auto [it, fresh] = buckets_.try_emplace(client);
  bucket& b = it->second;
  if (fresh) {
    b.tokens = burst;
  } else {
    const double elapsed = std::chrono::duration<double>(now - b.refilled).count();
    b.tokens = std::min(burst, b.tokens + std::max(0.0, elapsed) * rate);
  }
  b.refilled = now;
  const bool allowed = b.tokens >= 1;
  if (allowed) b.tokens -= 1;
  return verdict_for(allowed, b.tokens, limit);
}

client_limit_verdict verdict_for(bool allowed, double tokens, const config::client_rate_limit& limit) {
  const double rate = std::max(limit.requests_per_s, 1e-9);
  client_limit_verdict v;
  v.allowed = allowed;
  if (!allowed) v.retry_after_s = static_cast<int>(std::max(1L, whole_up((1 - tokens) / rate)));
  v.remaining = std::floor(std::max(0.0, tokens));
  v.full_in_s = (std::max(limit.burst, 1.0) - tokens) / rate;
  return v;
}

net::awaitable<client_limit_verdict> memory_client_limit_store::take(const std::string& client,
                                                                     const config::client_rate_limit& limit) {
  co_return take_at(client, limit, clock::now());
}

std::string rate_limit_policy_header(const config::client_rate_limit& limit) {
  const double burst = std::max(limit.burst, 1.0);
  const long window = std::max(1L, whole_up(burst / std::max(limit.requests_per_s, 1e-9)));
  return "\"client\";q=" + std::to_string(static_cast<long>(burst)) + ";w=" + std::to_string(window);
}

std::string rate_limit_header(const client_limit_verdict& v) {
  return "\"client\";r=" + std::to_string(static_cast<long>(v.remaining)) +
         ";t=" + std::to_string(whole_up(v.full_in_s));
}

}  // namespace cgw::policy
