// The policies every vendor call goes through, in this order: the cache, coalescing of
// identical calls in flight, then per attempt the circuit breaker, the account's
// concurrency limit and rate budget, the call itself, and retries with backoff.
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

// How one request's vendor calls went, for meta and logs.
struct call_stats {
  unsigned upstream_requests = 0;  // calls that reached the vendor, retries included
  unsigned retries = 0;
  unsigned cache_hits = 0;
  unsigned coalesced = 0;
  unsigned misses = 0;       // calls this request led (made, or tried to make)
  double budget_points = 0;  // what the calls that reached the vendor cost in its rate budget
};

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

class vendor_guard {
 public:
  vendor_guard(const config::vendor_config& cfg, const vendor_defaults& defaults, std::uint32_t cache_ttl_ms,
               std::string account, shared_state& shared);

  // Sends an idempotent read through every policy. A success may be any HTTP status
  // (callers judge statuses); only 2xx answers are cached. `cost` is the call's price in
  // the account's budget. `clients_deadline`: `until` is the client's own deadline, shorter
  // than the vendor's timeout_ms, so a timeout then is the client's, never the vendor's.
  // Fails with deadline_exceeded, without calling the vendor or touching any shared state,
  // when the time left cannot fit a call.
  net::awaitable<result<shared_response>> send(upstream::client& http, const upstream::endpoint& ep,
                                               upstream::request req, deadline until, bool clients_deadline,
                                               upstream::limits lim, double cost, call_stats& stats) const;

  circuit_breaker::state circuit() const;
  // Limits in force, for /v1/vendors: {circuit, rate_limit, max_concurrency, cache_ttl_ms}.
  boost::json::object describe() const;

 private:
  net::awaitable<result<shared_response>> attempt(upstream::client& http, const upstream::endpoint& ep,
                                                  const upstream::request& req, deadline until,
                                                  bool clients_deadline, upstream::limits lim, double cost,
                                                  call_stats& stats) const;
  // The failure of a call not made for lack of time; counted in cgw_upstream_calls_skipped_total.
  failure no_time_left() const;
  std::string cache_key(const upstream::request& req) const;

  std::string vendor_;
  std::string account_;
  config::retry_config retry_;
  config::rate_limit_config rate_limit_;
  std::uint32_t cache_ttl_ms_;
  std::string remaining_header_, reset_header_;
  shared_state& shared_;
  std::shared_ptr<circuit_breaker> breaker_;
  std::shared_ptr<retry_budget> retry_budget_;
  std::shared_ptr<concurrency_limit> concurrency_;
};

}  // namespace cgw::policy
