// Rate budgets per vendor account: a token bucket shared by every request of the
// account, kept in step with what the vendor says of its own budget, and paused for
// everyone when the vendor answers 429.
//
// The store is an interface so that several replicas can share one budget per account:
// the in-memory store below is the default; a Redis store would keep the same fields per
// account in one hash (the in-flight reservations in a sorted set by sequence number, from
// INCR) and run reserve() and settle() as Lua scripts, atomic on the server. Its calls are
// awaitable for that reason.
#pragma once

#include "config/config.hpp"
#include "gateway/net/net.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace cgw::policy {

// A wait (for a slot, the budget or a retry) is worth it only if this much of the call's deadline is
// left after it: a reservation's `latest` is this long before the call's deadline.
constexpr clock::duration min_call_time = std::chrono::milliseconds(100);

// A reservation, handed back to settle() with what the vendor said of it.
struct budget_ticket {
  std::uint64_t seq = 0;  // order of reservation within the account
  double cost = 0;
  bool local =
      false;  // a shared store's: issued by its local fallback while the shared state was unreachable
};

struct budget_decision {
  enum class verdict {
    go,              // reserved: sleep `wait` (may be zero) and send
    wait_and_retry,  // not reserved: sleep `wait` and ask again (the vendor's window or a pause ends then)
    refuse,          // not within the deadline: come back in retry_after_s
  } what = verdict::go;
  clock::duration wait{};
  int retry_after_s = 0;
  budget_ticket ticket;
};

// What one vendor answer said of the account's budget.
struct budget_report {
  bool answered = false;            // an answer came; without one the call may still reach the vendor
  std::optional<double> remaining;  // points left in the vendor's current window
  std::optional<int> reset_s;       // seconds until that window ends
  bool rate_limited = false;        // the answer was a 429
  int retry_after_s = 0;            // with a 429: the vendor's Retry-After (0: not said)
};

class budget_store {
 public:
  virtual ~budget_store() = default;
  // Asks for `cost` points of `account` to be spent no later than `latest`.
  virtual net::awaitable<budget_decision> reserve(const std::string& account,
                                                  const config::rate_limit_config& limit, double cost,
                                                  deadline latest) = 0;
  // Every reservation is settled once, whatever became of the request.
  virtual net::awaitable<void> settle(const std::string& account, const config::rate_limit_config& limit,
                                      const budget_ticket& ticket, const budget_report& report) = 0;
  // Instead of settle(): the reservation never left the process (no time was left to send it),
  // so its points go back at once.
  virtual net::awaitable<void> refund(const std::string& account, const config::rate_limit_config& limit,
                                      const budget_ticket& ticket) = 0;
};

// One process's budgets, shared by its io threads.
class memory_budget_store final : public budget_store {
 public:
  net::awaitable<budget_decision> reserve(const std::string& account, const config::rate_limit_config& limit,
                                          double cost, deadline latest) override;
  net::awaitable<void> settle(const std::string& account, const config::rate_limit_config& limit,
                              const budget_ticket& ticket, const budget_report& report) override;
  net::awaitable<void> refund(const std::string& account, const config::rate_limit_config& limit,
                              const budget_ticket& ticket) override;

  // The decision logic itself, synchronous and clock-injected for tests.
  budget_decision reserve_at(const std::string& account, const config::rate_limit_config& limit, double cost,
                             deadline latest, clock::time_point now);
  void settle_at(const std::string& account, const config::rate_limit_config& limit,
                 const budget_ticket& ticket, const budget_report& report, clock::time_point now);
  void refund_at(const std::string& account, const config::rate_limit_config& limit,
                 const budget_ticket& ticket);

 private:
  // The vendor's window as far as this store can tell. The vendor's figure only falls within a
  // window, whatever order its answers arrive in, so the lowest one is the latest the vendor
  // counted; every call not answered yet may come after it.
  enum class window {
    none,      // no window open
    assumed,   // no word from the vendor yet: a fresh window of the configured points
    reported,  // the vendor's own figure
  };
  struct account {
    bool started = false;
    double tokens = 0;  // the local bucket; negative while reservations wait for their refill
    clock::time_point refilled{};
    clock::time_point paused_until{};
    window kind = window::none;
    double remaining = 0;  // assumed: the configured points; reported: the lowest figure of the window
    double spent = 0;      // assumed: points reserved since it opened, calls then in flight included
    clock::time_point expires{};
    std::uint64_t next_seq = 0;
    // seq -> {cost, reserved at}: until answered, or for one window when the call failed without an
    // answer (the vendor may still charge it after the figures it has given).
    std::map<std::uint64_t, std::pair<double, clock::time_point>> in_flight;

    double in_flight_cost() const;
    // Points this account may still spend in the vendor's window; unbounded without a window.
    double available() const;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, account> accounts_;
};

}  // namespace cgw::policy
