#include "gateway/policy/guard.hpp"

#include "gateway/core/digest.hpp"
#include "gateway/metrics/catalog.hpp"

#include <charconv>
#include <functional>
#include <vector>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace cgw::policy {
namespace {

std::string sha256(std::initializer_list<std::string_view> parts) {
  const auto d = digest::sha256_framed(parts);
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

net::awaitable<void> sleep_for(clock::duration d) {
  net::steady_timer timer(co_await net::this_coro::executor, d);
  boost::system::error_code ec;
  co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
}

std::optional<double> header_number(const upstream::response& res, std::string_view name) {
  auto it = res.find(name);
  if (it == res.end()) return std::nullopt;
  std::string_view text = it->value();
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < 0) return std::nullopt;
  return v;
}

// What an answer says of the account's budget, in the headers its adapter named.
budget_report report_of(const upstream::response& res, std::string_view remaining_header,
                        std::string_view reset_header) {
  budget_report r;
  r.answered = true;
  if (!remaining_header.empty()) r.remaining = header_number(res, remaining_header);
  if (auto reset = reset_header.empty() ? std::nullopt : header_number(res, reset_header))
    r.reset_s = static_cast<int>(std::min(*reset, 86400.0));
  if (res.result_int() == 429) {
    r.rate_limited = true;
    r.retry_after_s = retry_after_seconds(res);
  }
  return r;
}

std::string_view outcome_of(const result<shared_response>& res) {
  if (!res) return call_outcome(res.error().code);
  const unsigned status = (*res)->result_int();
  if (status >= 200 && status < 300) return "ok";
  if (status == 404) return "not_found";
  if (status == 401 || status == 403) return "unauthorized";
  if (status == 429) return "rate_limited";
  return status >= 500 ? "server_error" : "client_error";
}

// How often a replica that another one's lease keeps from calling looks for that call's answer.
constexpr clock::duration lease_poll = std::chrono::milliseconds(10);

bool retryable_status(unsigned status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

}  // namespace

shared_state::shared_state(std::uint64_t cache_bytes, std::shared_ptr<budget_store> budgets)
    : budgets_(budgets ? std::move(budgets) : std::make_shared<memory_budget_store>()), cache_(cache_bytes) {}

std::shared_ptr<circuit_breaker> shared_state::breaker(const std::string& vendor,
                                                       const config::circuit_config& cfg) {
  std::lock_guard lock(mutex_);
  auto& [b, settings] = staged_.breakers[vendor];
  settings = cfg;  // reconfigured at commit: the running one keeps its settings until then
  if (!b) {
    auto running = breakers_.find(vendor);
    b = running != breakers_.end() ? running->second : std::make_shared<circuit_breaker>(cfg);
  }
  return b;
}

std::shared_ptr<retry_budget> shared_state::retries(const std::string& vendor, std::uint32_t percent) {
  std::lock_guard lock(mutex_);
  auto& [r, settings] = staged_.retries[vendor];
  settings = percent;
  if (!r) {
    auto running = retries_.find(vendor);
    r = running != retries_.end() ? running->second : std::make_shared<retry_budget>(percent);
  }
  return r;
}

std::shared_ptr<concurrency_limit> shared_state::concurrency(const std::string& account,
                                                             std::uint32_t limit) {
  std::lock_guard lock(mutex_);
  auto& c = staged_.limits[account];
  if (c && c->limit() == limit) return c;
  auto running = limits_.find(account);
  c = running != limits_.end() && running->second->limit() == limit
          ? running->second
          : std::make_shared<concurrency_limit>(limit);
  return c;
}

void shared_state::begin_build() {
  std::lock_guard lock(mutex_);
  staged_ = {};
}

void shared_state::commit(std::uint64_t cache_bytes) {
  std::lock_guard lock(mutex_);
  for (auto& [vendor, entry] : staged_.breakers) {
    entry.first->reconfigure(entry.second);
    breakers_[vendor] = entry.first;
  }
  for (auto& [vendor, entry] : staged_.retries) {
    entry.first->reconfigure(entry.second);
    retries_[vendor] = entry.first;
  }
  for (auto& [account, limit] : staged_.limits) limits_[account] = limit;
  staged_ = {};
  cache_.set_capacity(cache_bytes);
}

std::string account_key(std::string_view origin, std::string_view authorization) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : sha256({origin, authorization}).substr(0, 12)) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

namespace {

// The failure of a call not made for lack of time; counted in cgw_upstream_calls_skipped_total.
failure no_time_left(const std::string& vendor) {
  metrics::upstream_calls_skipped.with({vendor, "deadline"}).add();
  return failure::make(errc::deadline_exceeded,
                       "the request's deadline left no time for a call to the vendor");
}

// A policy of one vendor: it decides what reaches `next_`, the rest of the stack below it.
class layer : public transport {
 protected:
  layer(std::unique_ptr<transport> next, std::string vendor)
      : next_(std::move(next)), vendor_(std::move(vendor)) {}
  std::unique_ptr<transport> next_;
  std::string vendor_;  // the instance name, for metrics labels
};

// The bottom: the upstream client, which consumes its request (so each send takes a copy).
class client_layer final : public transport {
 public:
  net::awaitable<result<shared_response>> send(vendor_call& call) const override {
    upstream::request copy = call.req;
    auto res = co_await call.http.send(call.ep, std::move(copy), call.until, call.lim);
    if (!res) co_return res.error();
    co_return std::make_shared<const upstream::response>(std::move(*res));
  }
};

// What was kept: the process's cache, then the fleet's tier (a hit there is kept locally for the
// rest of the TTL). Only a miss goes on; what is kept is written by coalescing, which makes the call.
class cache_layer final : public layer {
 public:
  cache_layer(std::unique_ptr<transport> next, std::string vendor, memory_cache& local, shared_cache* remote,
              clock::duration ttl)
      : layer(std::move(next), std::move(vendor)), local_(local), remote_(remote), ttl_(ttl) {}

  net::awaitable<result<shared_response>> send(vendor_call& call) const override {
    if (auto hit = local_.find(call.key, clock::now())) co_return served(call, *hit);
    if (remote_)
      if (auto hit = co_await remote_->find(call.key, call.until)) {
        local_.put(call.key, *hit, ttl_, clock::now());
        co_return served(call, *hit);
      }
    co_return co_await next_->send(call);
  }

 private:
  shared_response served(vendor_call& call, shared_response hit) const {
    ++call.stats.cache_hits;
    metrics::cache_requests.with({vendor_, "hit"}).add();
    return hit;
  }

  memory_cache& local_;
  shared_cache* remote_;
  clock::duration ttl_;
};

// No call without the time for one: with less, it could only time out, and would cost a budget
// point and a breaker outcome for nothing.
class deadline_layer final : public layer {
 public:
  deadline_layer(std::unique_ptr<transport> next, std::string vendor)
      : layer(std::move(next), std::move(vendor)) {}

  net::awaitable<result<shared_response>> send(vendor_call& call) const override {
    if (call.until - clock::now() < min_send_time) co_return no_time_left(vendor_);
    co_return co_await next_->send(call);
  }
};

// One call per identical request in flight: in this process (singleflight), and with a fleet
// across replicas (a short lease in the shared tier). The leader's 2xx answer is kept (locally,
// and in the fleet's tier before its lease ends) before the followers are released, so that an
// identical request arriving after them finds it.
class coalescing_layer final : public layer {
 public:
  coalescing_layer(std::unique_ptr<transport> next, std::string vendor, singleflight& flights,
                   memory_cache* keep, shared_cache* remote, clock::duration ttl)
      : layer(std::move(next), std::move(vendor)),
        flights_(flights),
        keep_(keep),
        remote_(remote),
        ttl_(ttl) {}

  net::awaitable<result<shared_response>> send(vendor_call& call) const override {
    // A follower whose leader failed on the leader's own terms (a shorter deadline, a client that went
    // away) leads the call itself within its own deadline; bounded, as every turn needs time left.
    constexpr unsigned max_turns = 4;
    for (unsigned turn = 0;; ++turn) {
      if (call.until - clock::now() < min_send_time) co_return no_time_left(vendor_);
      auto [flight, leader] = flights_.join(call.key);
      if (leader) {
        flight->leader_until = call.until;  // before any suspension: followers read it once the flight lands
        // Before any co_await too: one that throws (the request cancelled) must still land the flight.
        lander landing{flights_, call.key, flight};
        co_return co_await lead(call, landing);
      }
      ++call.stats.coalesced;
      metrics::cache_requests.with({vendor_, "coalesced"}).add();
      if (!co_await flight->done.wait(call.until))
        co_return failure::make(errc::upstream_timeout,
                                "no answer before the deadline (waiting for an identical call)");
      if (turn + 1 < max_turns && flight->failed_on_leaders_terms(call.until)) {
        metrics::coalesced_takeovers.with({vendor_}).add();
        continue;
      }
      co_return flight->value;
    }
  }

 private:
  // Lands the flight however the leader ends, so followers never wait on a call that died.
  struct lander {
    singleflight& flights;
    const std::string& key;
    const std::shared_ptr<singleflight::flight>& flight;
    bool landed = false;
    void land(result<shared_response> r) {
      landed = true;
      flights.land(key, flight, std::move(r));
    }
    ~lander() {
      if (landed) return;
      flight->abandoned = true;
      flights.land(key, flight, failure::make(errc::internal, "the identical call failed"));
    }
  };

  net::awaitable<result<shared_response>> lead(vendor_call& call, lander& landing) const {
    // Across replicas: a short lease, so that an identical call in flight on another replica is made
    // once; this replica then waits for that answer in the shared tier, within its own deadline.
    // The lease ends with the holder's call (answered or failed) or, if the holder died, on its own;
    // either way the next poll takes it and the call is made here.
    bool leased = false;
    if (remote_) {
      const auto lease_for = std::min<clock::duration>(call.until - clock::now(), std::chrono::seconds(5));
      for (bool waited = false;; waited = true) {
        leased = co_await remote_->lease(call.key, lease_for, call.until);
        // A lease taken after waiting may follow the holder's answer (it writes the answer, then
        // ends its lease): look once more before calling.
        std::optional<shared_response> found;
        if (!leased || waited) found = co_await remote_->find(call.key, call.until);
        if (found) {
          if (leased) co_await remote_->release(call.key);
          if (keep_) keep_->put(call.key, *found, ttl_, clock::now());
          ++call.stats.coalesced;
          metrics::cache_requests.with({vendor_, "coalesced"}).add();
          landing.land(*found);
          co_return *found;
        }
        if (leased || clock::now() + lease_poll + min_send_time >= call.until) break;
        co_await sleep_for(lease_poll);
      }
    }
    ++call.stats.misses;
    metrics::cache_requests.with({vendor_, "miss"}).add();
    auto r = co_await next_->send(call);
    if (r && keep_ && (*r)->result_int() / 100 == 2) {
      keep_->put(call.key, *r, ttl_, clock::now());
      if (remote_) co_await remote_->put(call.key, **r, ttl_);
    }
    if (leased) co_await remote_->release(call.key);
    landing.land(r);
    co_return r;
  }

  singleflight& flights_;
  memory_cache* keep_;    // nullptr: answers are not kept (no cache TTL)
  shared_cache* remote_;  // the fleet's tier; nullptr in one process or without a cache TTL
  clock::duration ttl_;
};

// Transient failures tried again with full-jitter backoff (at least the vendor's Retry-After),
// within the vendor's retry budget and the deadline. Only what the vendor or the network did is
// retried: a policy's refusal below is not transient.
class retry_layer final : public layer {
 public:
  retry_layer(std::unique_ptr<transport> next, std::string vendor, config::retry_config cfg,
              std::shared_ptr<retry_budget> budget)
      : layer(std::move(next), std::move(vendor)), cfg_(cfg), budget_(std::move(budget)) {}

  net::awaitable<result<shared_response>> send(vendor_call& call) const override {
    budget_->on_first_call();
    for (unsigned retry = 0;; ++retry) {
      auto r = co_await next_->send(call);
      const unsigned status = r ? (*r)->result_int() : 0;
      const bool retryable = r ? retryable_status(status) : r.error().transient;
      if (!retryable || retry + 1 >= cfg_.max_attempts) co_return r;
      auto delay = backoff(cfg_, retry);
      if (status == 429)
        delay = std::max<clock::duration>(delay, std::chrono::seconds(retry_after_seconds(**r)));
      if (clock::now() + delay + min_call_time >= call.until || !budget_->try_spend()) co_return r;
      ++call.stats.retries;
      metrics::upstream_retries.with({vendor_}).add();
      co_await sleep_for(delay);
    }
  }

 private:
  config::retry_config cfg_;
  std::shared_ptr<retry_budget> budget_;
};

// The vendor's circuit breaker: open, no call; otherwise it hears how the call went, except when
// the call was not the vendor's to fail (a limit below refused it, or the client's own deadline,
// shorter than the vendor's timeout_ms, cut it short: the breaker is shared by every tenant).
class breaker_layer final : public layer {
 public:
  breaker_layer(std::unique_ptr<transport> next, std::string vendor, std::shared_ptr<circuit_breaker> breaker)
      : layer(std::move(next), std::move(vendor)), breaker_(std::move(breaker)) {}

  net::awaitable<result<shared_response>> send(vendor_call& call) const override {
    if (!breaker_->allow(clock::now()))
      co_return failure::make(errc::circuit_open,
                              "the circuit is open: the vendor failed repeatedly; calls resume "
                              "with one probe after the open period");
    auto r = co_await next_->send(call);
    if (!r && r.error().code == errc::upstream_timeout && call.clients_deadline) {
      breaker_->forgo();
      co_return failure::make(
          errc::deadline_exceeded,
          "the request's own deadline ended the vendor call (the vendor's timeout_ms is longer)");
    }
    if (!r && (r.error().code == errc::upstream_rate_limited || r.error().code == errc::deadline_exceeded)) {
      breaker_->forgo();  // refused below, never sent
      co_return r;
    }
    breaker_->record(r && (*r)->result_int() < 500, clock::now());
    metrics::circuit_state.with({vendor_}).set(static_cast<double>(breaker_->current(clock::now())));
    co_return r;
  }

 private:
  std::shared_ptr<circuit_breaker> breaker_;
};

// The account's concurrent calls, at most its limit; a call waits for a slot until its deadline.
class concurrency_layer final : public layer {
 public:
  concurrency_layer(std::unique_ptr<transport> next, std::string vendor,
                    std::shared_ptr<concurrency_limit> limit)
      : layer(std::move(next), std::move(vendor)), limit_(std::move(limit)) {}

  net::awaitable<result<shared_response>> send(vendor_call& call) const override {
    auto slot = co_await limit_->acquire(call.until - min_call_time);
    if (!slot) {
      metrics::rate_limit_refusals.with({vendor_}).add();
      co_return failure::make(errc::upstream_rate_limited,
                              "the vendor account's " + std::to_string(limit_->limit()) +
                                  " concurrent requests stayed busy until the deadline");
    }
    co_return co_await next_->send(call);  // the slot is held until the call and its settling end
  }

 private:
  std::shared_ptr<concurrency_limit> limit_;
};

// The account's rate budget (budget_store: in memory, or a Lua script on the fleet's Redis): a
// call reserves its cost, waits when the window is full and the deadline allows, and settles
// what the vendor's answer says of the window.
class budget_layer final : public layer {
 public:
  budget_layer(std::unique_ptr<transport> next, std::string vendor, std::string account, budget_store& store,
               config::rate_limit_config limit, std::string remaining_header, std::string reset_header)
      : layer(std::move(next), std::move(vendor)),
        account_(std::move(account)),
        store_(store),
        limit_(limit),
        remaining_header_(std::move(remaining_header)),
        reset_header_(std::move(reset_header)) {}

  net::awaitable<result<shared_response>> send(vendor_call& call) const override {
    budget_decision d;
    for (;;) {
      d = co_await store_.reserve(account_, limit_, call.cost, call.until - min_call_time);
      if (d.what == budget_decision::verdict::refuse) break;
      if (d.wait > clock::duration::zero()) {
        metrics::rate_limit_waits.with({vendor_}).add();
        metrics::rate_limit_wait.with({vendor_}).observe(std::chrono::duration<double>(d.wait).count());
        co_await sleep_for(d.wait);
      }
      if (d.what == budget_decision::verdict::go) break;
    }
    if (d.what == budget_decision::verdict::refuse) {
      metrics::rate_limit_refusals.with({vendor_}).add();
      auto f = failure::make(errc::upstream_rate_limited,
                             "the vendor account's rate budget has no room before the deadline");
      f.retry_after_s = d.retry_after_s;
      co_return f;
    }
    if (call.until - clock::now() <
        min_send_time) {  // the waits used up the time: nothing leaves the process
      co_await store_.refund(account_, limit_, d.ticket);
      co_return no_time_left(vendor_);
    }
    call.stats.budget_points += call.cost;
    auto r = co_await next_->send(call);
    // Built before the co_await: g++ 12 miscompiles a conditional temporary in its operands.
    const budget_report report = r ? report_of(**r, remaining_header_, reset_header_) : budget_report{};
    co_await store_.settle(account_, limit_, d.ticket, report);
    co_return r;
  }

 private:
  std::string account_;
  budget_store& store_;
  config::rate_limit_config limit_;
  std::string remaining_header_, reset_header_;
};

// What reached the vendor: cgw_upstream_requests_total by outcome, and the call's duration.
class metrics_layer final : public layer {
 public:
  metrics_layer(std::unique_ptr<transport> next, std::string vendor)
      : layer(std::move(next), std::move(vendor)) {}

  net::awaitable<result<shared_response>> send(vendor_call& call) const override {
    ++call.stats.upstream_requests;
    const auto sent = clock::now();
    auto r = co_await next_->send(call);
    metrics::upstream_requests.with({vendor_, outcome_of(r)}).add();
    metrics::upstream_request_duration.with({vendor_}).observe(
        std::chrono::duration<double>(clock::now() - sent).count());
    co_return r;
  }
};

}  // namespace

const transport& client_transport() {
  static const client_layer client;
  return client;
}

vendor_guard::vendor_guard(const config::vendor_config& cfg, const vendor_defaults& defaults,
                           std::uint32_t cache_ttl_ms, std::string account, shared_state& shared)
    : account_(std::move(account)),
      rate_limit_(cfg.rate_limit.value_or(defaults.rate_limit)),
      cache_ttl_ms_(cfg.cache_ttl_ms.value_or(cache_ttl_ms)),
      breaker_(shared.breaker(cfg.name, cfg.circuit)),
      concurrency_(shared.concurrency(account_, cfg.max_concurrency.value_or(defaults.max_concurrency))) {
  const std::string& v = cfg.name;
  const clock::duration ttl = std::chrono::milliseconds(cache_ttl_ms_);
  memory_cache* keep = cache_ttl_ms_ > 0 ? &shared.cache() : nullptr;
  shared_cache* remote = cache_ttl_ms_ > 0 ? shared.remote_cache() : nullptr;
  using next = std::unique_ptr<transport>;
  // The stack, outermost first (Lura's newStack): each entry wraps the rest of the list.
  std::vector<std::function<next(next)>> stack;
  if (keep)
    stack.push_back(
        [&](next n) { return std::make_unique<cache_layer>(std::move(n), v, *keep, remote, ttl); });
  stack.push_back([&](next n) {
    return std::make_unique<coalescing_layer>(std::move(n), v, shared.flights(), keep, remote, ttl);
  });
  stack.push_back([&](next n) {
    return std::make_unique<retry_layer>(std::move(n), v, cfg.retry,
                                         shared.retries(v, cfg.retry.budget_percent));
  });
  // Per attempt, before the breaker, so that a call not made never takes the half-open probe.
  stack.push_back([&](next n) { return std::make_unique<deadline_layer>(std::move(n), v); });
  stack.push_back([&](next n) { return std::make_unique<breaker_layer>(std::move(n), v, breaker_); });
  stack.push_back([&](next n) { return std::make_unique<concurrency_layer>(std::move(n), v, concurrency_); });
  stack.push_back([&](next n) {
    return std::make_unique<budget_layer>(std::move(n), v, account_, shared.budgets(), rate_limit_,
                                          defaults.remaining_header, defaults.reset_header);
  });
  stack.push_back([&](next n) { return std::make_unique<metrics_layer>(std::move(n), v); });
  top_ = std::make_unique<client_layer>();
  for (auto it = stack.rbegin(); it != stack.rend(); ++it) top_ = (*it)(std::move(top_));
}

net::awaitable<result<shared_response>> vendor_guard::send(vendor_call& call) const {
  call.key = sha256({account_, call.req.method_string(), call.req.target(), call.req.body()});
  return top_->send(call);
}

circuit_breaker::state vendor_guard::circuit() const {
  return breaker_->current(clock::now());
}

boost::json::object vendor_guard::describe() const {
  boost::json::object o;
  o["circuit"] = to_string(circuit());
  o["rate_limit"] = rate_limit_.points == 0
                        ? boost::json::value(nullptr)
                        : boost::json::value(boost::json::object{{"points", rate_limit_.points},
                                                                 {"per_s", rate_limit_.per_s}});
  o["max_concurrency"] = concurrency_->limit();
  o["cache_ttl_ms"] = cache_ttl_ms_;
  return o;
}

}  // namespace cgw::policy
