// The fleet's stores: the vendor rate budgets and the client rate limits kept in Redis
// (spec deployment.md), behind the same interfaces as the in-memory ones. When Redis is
// slow or down, each falls back at once to a local store that grants this replica its
// share of every limit (points / expected_replicas), so the fleet never overdraws a
// vendor; a shared_health says so, once per transition, and every store goes back to
// Redis as soon as it answers.
#pragma once

#include "gateway/policy/budget.hpp"
#include "gateway/policy/cache.hpp"
#include "gateway/policy/client_limit.hpp"
#include "gateway/policy/guard.hpp"
#include "gateway/policy/shared_health.hpp"
#include "gateway/shared_state/redis.hpp"

#include <memory>
#include <mutex>
#include <string>

namespace cgw::shared_state {

struct store_options {
  std::string key_prefix = "cgw:";
  unsigned expected_replicas = 1;  // this replica's share of a limit while Redis cannot be reached
};

// A limit's share for one of `replicas` (at least one point or request, so nothing stops entirely).
config::rate_limit_config local_share(const config::rate_limit_config& limit, unsigned replicas);
config::client_rate_limit local_share(const config::client_rate_limit& limit, unsigned replicas);

class redis_budget_store final : public policy::budget_store {
 public:
  redis_budget_store(std::shared_ptr<redis_client> redis, store_options opts,
                     std::shared_ptr<policy::shared_health> health);

  net::awaitable<policy::budget_decision> reserve(const std::string& account,
                                                  const config::rate_limit_config& limit, double cost,
                                                  deadline latest) override;
  net::awaitable<void> settle(const std::string& account, const config::rate_limit_config& limit,
                              const policy::budget_ticket& ticket,
                              const policy::budget_report& report) override;
  net::awaitable<void> refund(const std::string& account, const config::rate_limit_config& limit,
                              const policy::budget_ticket& ticket) override;

 private:
  std::vector<std::string> keys(const std::string& account) const;

  std::shared_ptr<redis_client> redis_;
  store_options opts_;
  std::shared_ptr<policy::shared_health> health_;
  policy::memory_budget_store local_;  // the fallback: this replica's share of each budget
};

class redis_client_limit_store final : public policy::client_limit_store {
 public:
  redis_client_limit_store(std::shared_ptr<redis_client> redis, store_options opts,
                           std::shared_ptr<policy::shared_health> health);

  net::awaitable<policy::client_limit_verdict> take(const std::string& client,
                                                    const config::client_rate_limit& limit) override;

 private:
  std::shared_ptr<redis_client> redis_;
  store_options opts_;
  std::shared_ptr<policy::shared_health> health_;
  policy::memory_client_limit_store local_;
};

// The response cache's shared tier: one Redis string per answer (`<prefix>cache:<hex key>`,
// expiring with the cache TTL), and a lease key per call in flight (`<prefix>lease:<hex key>`).
// Answers larger than max_entry_bytes stay local. Redis's own memory bound evicts entries:
// run it with maxmemory and `maxmemory-policy volatile-ttl`, so cache entries (seconds to live)
// go long before budget and client-limit keys (minutes).
class redis_cache final : public policy::shared_cache {
 public:
  redis_cache(std::shared_ptr<redis_client> redis, store_options opts,
              std::shared_ptr<policy::shared_health> health, std::size_t max_entry_bytes = 1 << 20);

  net::awaitable<std::optional<policy::shared_response>> find(const std::string& key,
                                                              deadline until) override;
  net::awaitable<void> put(const std::string& key, const upstream::response& value,
                           clock::duration ttl) override;
  net::awaitable<bool> lease(const std::string& key, clock::duration ttl, deadline until) override;
  net::awaitable<void> release(const std::string& key) override;

  // The stored form: "<status> <content-type>\n<body>". Decoding fails on anything else.
  static std::string encode(const upstream::response& res);
  static std::optional<policy::shared_response> decode(std::string_view bytes);

 private:
  std::string key_for(std::string_view kind, const std::string& key) const;

  std::shared_ptr<redis_client> redis_;
  store_options opts_;
  std::shared_ptr<policy::shared_health> health_;
  std::size_t max_entry_bytes_;
};

// What a replica of a fleet shares, wired from `shared_state`: the policies' state (budgets in
// Redis, the cache with its Redis tier, the fleet's health) and the client limits. The Redis
// client connects in the background; until it does, every store uses its local share.
struct fleet {
  std::shared_ptr<redis_client> redis;
  std::shared_ptr<policy::shared_health> health;
  std::shared_ptr<policy::shared_state> policies;
  std::shared_ptr<policy::client_limit_store> client_limits;
};
fleet join_fleet(const config::gateway_config& cfg, policy::shared_health::listener on_change);

}  // namespace cgw::shared_state
