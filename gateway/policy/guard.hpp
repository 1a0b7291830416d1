// A vendor's transport stack: the policies every call to it goes through, one decorator each,
// composed in this order (vendor_guard's constructor holds the list): the cache, coalescing of
// identical calls, retries with backoff, then per attempt the deadline, the circuit breaker, the
// account's concurrency limit and rate budget, the metrics, and the upstream client.
// A vendor_guard belongs to one vendor instance of one configuration; what must outlive
// a reload (budgets, breakers, the cache) lives in shared_state.
#pragma once

#include "config/config.hpp"
#include "gateway/core/error.hpp"
#include "gateway/net/net.hpp"
#include "gateway/policy/breaker.hpp"
#include "gateway/policy/budget.hpp"
#include "gateway/policy/cache.hpp"
#include "gateway/policy/concurrency.hpp"
#include "gateway/policy/retry.hpp"
#include "gateway/policy/shared_health.hpp"
#include "gateway/policy/transport.hpp"
#include "gateway/upstream/client.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <boost/json/object.hpp>

namespace cgw::policy {

// What outlives a configuration: the stores, and the breakers and limits by vendor or account.
//
// A configuration takes effect in two steps, so that a rejected one changes nothing: while its
// runtime is built (after begin_build()), breaker(), retries() and concurrency() return the running
// object untouched, or a new one kept aside; commit() then applies the settings asked for since
// begin_build() and makes the new objects the running ones. Builds and commits run on one thread
// (start-up, then the reload signal's); requests only use the objects they were handed.
class shared_state {
 public:
  explicit shared_state(std::uint64_t cache_bytes, std::shared_ptr<budget_store> budgets = nullptr);

  budget_store& budgets() { return *budgets_; }
  memory_cache& cache() { return cache_; }
  // The fleet's tier behind cache(); nullptr in one process. Set once, before any request.
  shared_cache* remote_cache() const { return remote_cache_.get(); }
  void set_remote_cache(std::shared_ptr<shared_cache> tier) { remote_cache_ = std::move(tier); }
  // Whether the fleet's shared state is reachable; nullptr in one process. Set once, before any request.
  const shared_health* fleet() const { return fleet_.get(); }
  void set_fleet(std::shared_ptr<const shared_health> health) { fleet_ = std::move(health); }
  singleflight& flights() { return flights_; }
  std::shared_ptr<circuit_breaker> breaker(const std::string& vendor, const config::circuit_config& cfg);
  std::shared_ptr<retry_budget> retries(const std::string& vendor, std::uint32_t percent);
  // One limit per account and size: a reload that changes the size starts a new one.
  std::shared_ptr<concurrency_limit> concurrency(const std::string& account, std::uint32_t limit);

  // Forgets what an earlier build asked for and did not commit. Never fails.
  void begin_build();
  // Applies the settings asked for since begin_build(), and the cache capacity. Never fails.
  void commit(std::uint64_t cache_bytes);

 private:
  struct staged {
    std::map<std::string, std::pair<std::shared_ptr<circuit_breaker>, config::circuit_config>> breakers;
    std::map<std::string, std::pair<std::shared_ptr<retry_budget>, std::uint32_t>> retries;
    std::map<std::string, std::shared_ptr<concurrency_limit>> limits;
  };

  std::shared_ptr<budget_store> budgets_;
  memory_cache cache_;
  std::shared_ptr<shared_cache> remote_cache_;
  std::shared_ptr<const shared_health> fleet_;
  singleflight flights_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<circuit_breaker>> breakers_;
  std::map<std::string, std::shared_ptr<retry_budget>> retries_;
  std::map<std::string, std::shared_ptr<concurrency_limit>> limits_;
  staged staged_;  // asked for by the build in progress, applied by commit()
};

// A vendor account: who pays for a call. Vendor instances with the same origin and the
// same credentials share one (a hex digest; the credentials cannot be read back from it).
std::string account_key(std::string_view origin, std::string_view authorization);

// A vendor type's own limits, used when the vendor entry does not set them.
// A vendor call needs at least this much of its deadline left to be made at all: with less, it
// could only time out, and would cost a budget point and a breaker outcome for nothing.
constexpr clock::duration min_send_time = std::chrono::milliseconds(10);

struct vendor_defaults {
  config::rate_limit_config rate_limit;  // points 0: none documented
  std::uint32_t max_concurrency = 0;     // 0: none documented
  std::string remaining_header;          // where answers say the points left in the window ("": nowhere)
  std::string reset_header;              // where answers say the seconds until the window ends ("": nowhere)
};

class vendor_guard final : public transport {
 public:
  vendor_guard(const config::vendor_config& cfg, const vendor_defaults& defaults, std::uint32_t cache_ttl_ms,
               std::string account, shared_state& shared);

  // Sends an idempotent read through every policy; only 2xx answers are cached. A call made
  // when the time left cannot fit one fails with deadline_exceeded, without calling the vendor
  // or touching any shared state. `clients_deadline`: a timeout then is the client's, never the
  // vendor's.
  net::awaitable<result<shared_response>> send(vendor_call& call) const override;

  circuit_breaker::state circuit() const;
  // Limits in force, for /v1/vendors: {circuit, rate_limit, max_concurrency, cache_ttl_ms}.
  boost::json::object describe() const;

 private:
  std::string account_;
  config::rate_limit_config rate_limit_;
  std::uint32_t cache_ttl_ms_;
  std::shared_ptr<circuit_breaker> breaker_;
  std::shared_ptr<concurrency_limit> concurrency_;
  std::unique_ptr<transport> top_;  // the stack, composed once
};

}  // namespace cgw::policy
