#include "gateway/policy/guard.hpp"

#include "gateway/core/digest.hpp"
#include "gateway/metrics/catalog.hpp"

#include <charconv>

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

std::string_view outcome_of(const result<upstream::response>& res) {
  if (!res) return res.error().code == errc::upstream_timeout ? "timeout" : "error";
  const unsigned status = res->result_int();
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

vendor_guard::vendor_guard(const config::vendor_config& cfg, const vendor_defaults& defaults,
                           std::uint32_t cache_ttl_ms, std::string account, shared_state& shared)
    : vendor_(cfg.name),
      account_(std::move(account)),
      retry_(cfg.retry),
      rate_limit_(cfg.rate_limit.value_or(defaults.rate_limit)),
      cache_ttl_ms_(cfg.cache_ttl_ms.value_or(cache_ttl_ms)),
      remaining_header_(defaults.remaining_header),
      reset_header_(defaults.reset_header),
      shared_(shared),
      breaker_(shared.breaker(cfg.name, cfg.circuit)),
      retry_budget_(shared.retries(cfg.name, cfg.retry.budget_percent)),
      concurrency_(shared.concurrency(account_, cfg.max_concurrency.value_or(defaults.max_concurrency))) {}

std::string vendor_guard::cache_key(const upstream::request& req) const {
  return sha256({account_, req.method_string(), req.target(), req.body()});
}

net::awaitable<result<shared_response>> vendor_guard::send(upstream::client& http,
                                                           const upstream::endpoint& ep,
                                                           upstream::request req, deadline until,
                                                           bool clients_deadline, upstream::limits lim,
                                                           double cost, call_stats& stats) const {
  const std::string key = cache_key(req);
  const auto ttl = std::chrono::milliseconds(cache_ttl_ms_);
  // A follower whose leader failed on the leader's own terms (a shorter deadline, a client that went
  // away) leads the call itself within its own deadline; bounded, as every turn needs time left.
  constexpr unsigned max_turns = 4;
  for (unsigned turn = 0;; ++turn) {
    shared_cache* remote = cache_ttl_ms_ > 0 ? shared_.remote_cache() : nullptr;
    if (cache_ttl_ms_ > 0) {
      if (auto hit = shared_.cache().find(key, clock::now())) {
        ++stats.cache_hits;
        metrics::cache_requests.with({vendor_, "hit"}).add();
        co_return *hit;
      }
    }
    if (remote) {  // another replica's answer: a hit here too, kept locally for the rest of the TTL
      if (auto hit = co_await remote->find(key, until)) {
        shared_.cache().put(key, *hit, ttl, clock::now());
        ++stats.cache_hits;
        metrics::cache_requests.with({vendor_, "hit"}).add();
        co_return *hit;
      }
    }
    if (until - clock::now() < min_send_time) co_return no_time_left();
    auto [flight, leader] = shared_.flights().join(key);
    if (!leader) {
      ++stats.coalesced;
      metrics::cache_requests.with({vendor_, "coalesced"}).add();
      if (!co_await flight->done.wait(until))
        co_return failure::make(errc::upstream_timeout,
                                "no answer before the deadline (waiting for an identical call)");
      if (turn + 1 < max_turns && flight->failed_on_leaders_terms(until)) {
        metrics::coalesced_takeovers.with({vendor_}).add();
        continue;
      }
      co_return flight->value;
    }
    flight->leader_until = until;  // before any suspension: followers read it once the flight lands
    // Lands the flight however this coroutine ends, so followers never wait on a call that died.
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
    } landing{shared_.flights(), key, flight};
    // Across replicas: a short lease, so that an identical call in flight on another replica is made
    // once; this replica then waits for that answer in the shared tier, within its own deadline.
    // The lease ends with the holder's call (answered or failed) or, if the holder died, on its own;
    // either way the next poll takes it and the call is made here.
    bool leased = false;
    if (remote) {
      const auto lease_for = std::min<clock::duration>(until - clock::now(), std::chrono::seconds(5));
      for (bool waited = false;; waited = true) {
        leased = co_await remote->lease(key, lease_for, until);
        // A lease taken after waiting may follow the holder's answer (it writes the answer, then
        // ends its lease): look once more before calling.
        std::optional<shared_response> found;
        if (!leased || waited) found = co_await remote->find(key, until);
        if (found) {
          if (leased) co_await remote->release(key);
          shared_.cache().put(key, *found, ttl, clock::now());
          ++stats.coalesced;
          metrics::cache_requests.with({vendor_, "coalesced"}).add();
          landing.land(*found);
          co_return *found;
        }
        if (leased || clock::now() + lease_poll + min_send_time >= until) break;
        co_await sleep_for(lease_poll);
      }
    }
    ++stats.misses;
    metrics::cache_requests.with({vendor_, "miss"}).add();
    auto r = co_await attempt(http, ep, req, until, clients_deadline, lim, cost, stats);
    if (r && cache_ttl_ms_ > 0 && (*r)->result_int() / 100 == 2) {
      shared_.cache().put(key, *r, ttl, clock::now());
      if (remote) co_await remote->put(key, **r, ttl);
    }
    if (leased) co_await remote->release(key);
    landing.land(r);
    co_return r;
  }
}

failure vendor_guard::no_time_left() const {
  metrics::upstream_calls_skipped.with({vendor_, "deadline"}).add();
  return failure::make(errc::deadline_exceeded,
                       "the request's deadline left no time for a call to the vendor");
}

net::awaitable<result<shared_response>> vendor_guard::attempt(upstream::client& http,
                                                              const upstream::endpoint& ep,
                                                              const upstream::request& req, deadline until,
                                                              bool clients_deadline, upstream::limits lim,
                                                              double cost, call_stats& stats) const {
  retry_budget_->on_first_call();
  for (unsigned retry = 0;; ++retry) {
    // Checked before the breaker, so that a call not made never takes the half-open probe.
    if (until - clock::now() < min_send_time) co_return no_time_left();
    if (!breaker_->allow(clock::now()))
      co_return failure::make(errc::circuit_open,
                              "the circuit is open: the vendor failed repeatedly; calls resume "
                              "with one probe after the open period");
    auto slot = co_await concurrency_->acquire(until - min_call_time);
    if (!slot) {
      breaker_->forgo();
      metrics::rate_limit_refusals.with({vendor_}).add();
      co_return failure::make(errc::upstream_rate_limited,
                              "the vendor account's " + std::to_string(concurrency_->limit()) +
                                  " concurrent requests stayed busy until the deadline");
    }
    budget_decision d;
    for (;;) {
      d = co_await shared_.budgets().reserve(account_, rate_limit_, cost, until - min_call_time);
      if (d.what == budget_decision::verdict::refuse) break;
      if (d.wait > clock::duration::zero()) {
        metrics::rate_limit_waits.with({vendor_}).add();
        metrics::rate_limit_wait.with({vendor_}).observe(std::chrono::duration<double>(d.wait).count());
        co_await sleep_for(d.wait);
      }
      if (d.what == budget_decision::verdict::go) break;
    }
    if (d.what == budget_decision::verdict::refuse) {
      breaker_->forgo();
      metrics::rate_limit_refusals.with({vendor_}).add();
      auto f = failure::make(errc::upstream_rate_limited,
                             "the vendor account's rate budget has no room before the deadline");
      f.retry_after_s = d.retry_after_s;
      co_return f;
    }
    if (until - clock::now() < min_send_time) {  // the waits used up the time: nothing leaves the process
      co_await shared_.budgets().refund(account_, rate_limit_, d.ticket);
      breaker_->forgo();
      co_return no_time_left();
    }

    ++stats.upstream_requests;
    stats.budget_points += cost;
    upstream::request copy = req;  // send() consumes its request; a retry needs it again
    const auto sent = clock::now();
    auto res = co_await http.send(ep, std::move(copy), until, lim);
    metrics::upstream_requests.with({vendor_, outcome_of(res)}).add();
    metrics::upstream_request_duration.with({vendor_}).observe(
        std::chrono::duration<double>(clock::now() - sent).count());
    const budget_report report = res ? report_of(*res, remaining_header_, reset_header_) : budget_report{};
    co_await shared_.budgets().settle(account_, rate_limit_, d.ticket, report);
    slot.reset();

    // Cut short by the client's own deadline, shorter than the vendor's timeout_ms: the vendor did not
    // fail, so its breaker, shared by every tenant, hears nothing of it.
    if (!res && res.error().code == errc::upstream_timeout && clients_deadline) {
      breaker_->forgo();
      co_return failure::make(
          errc::deadline_exceeded,
          "the request's own deadline ended the vendor call (the vendor's timeout_ms is longer)");
    }
    const unsigned status = res ? res->result_int() : 0;
    const bool vendor_failed = !res || status >= 500;
    breaker_->record(!vendor_failed, clock::now());
    metrics::circuit_state.with({vendor_}).set(static_cast<double>(breaker_->current(clock::now())));
    const bool retryable = res ? retryable_status(status) : res.error().transient;
    if (retryable && retry + 1 < retry_.max_attempts) {
      auto delay = backoff(retry_, retry);
      if (report.rate_limited && report.retry_after_s > 0)
        delay = std::max<clock::duration>(delay, std::chrono::seconds(report.retry_after_s));
      if (clock::now() + delay + min_call_time < until && retry_budget_->try_spend()) {
        ++stats.retries;
        metrics::upstream_retries.with({vendor_}).add();
        co_await sleep_for(delay);
        continue;
      }
    }
    if (!res) co_return res.error();
    co_return std::make_shared<const upstream::response>(std::move(*res));
  }
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
