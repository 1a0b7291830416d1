// The policies' own logic, without sockets: the rate budget (token bucket, the vendor's
// word, pauses), the circuit breaker, the LRU cache, backoff and the retry budget, and the
// cross-thread pieces (event, concurrency limit, singleflight) on real io threads.
#include "gateway/policy/breaker.hpp"
#include "gateway/policy/budget.hpp"
#include "gateway/policy/cache.hpp"
#include "gateway/policy/concurrency.hpp"
#include "gateway/policy/retry.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace cgw::policy {
namespace {

using namespace std::chrono_literals;
using verdict = budget_decision::verdict;

const config::rate_limit_config salesloft_budget{600, 60};
const clock::time_point t0 = clock::time_point{} + 1000h;

TEST(RateBudget, SpendsTheBucketThenQueuesWithinTheDeadline) {
  memory_budget_store store;
  for (int i = 0; i < 600; ++i)
    ASSERT_EQ(store.reserve_at("a", salesloft_budget, 1, t0, t0).what, verdict::go) << i;
  // Empty: the bucket refills 10 points a second, but the vendor's minute is spent too.
  auto d = store.reserve_at("a", salesloft_budget, 1, t0 + 5s, t0);
  EXPECT_EQ(d.what, verdict::refuse);
  EXPECT_GE(d.retry_after_s, 59);
  // Another account is not touched.
  EXPECT_EQ(store.reserve_at("b", salesloft_budget, 1, t0, t0).what, verdict::go);
}

TEST(RateBudget, ABucketWithoutAVendorWindowWaitsForItsRefill) {
  memory_budget_store store;
  const config::rate_limit_config ten_a_second{10, 1};
  std::vector<budget_ticket> calls;
  for (int i = 0; i < 10; ++i) {
    auto d = store.reserve_at("a", ten_a_second, 1, t0, t0);
    ASSERT_EQ(d.what, verdict::go);
    calls.push_back(d.ticket);
  }
  // The assumed vendor window of one second is spent: the 11th point is refused if the
  // deadline ends before it does.
  EXPECT_EQ(store.reserve_at("a", ten_a_second, 1, t0 + 50ms, t0).what, verdict::refuse);
  for (const auto& c : calls) store.settle_at("a", ten_a_second, c, {.answered = true}, t0 + 10ms);
  EXPECT_EQ(store.reserve_at("a", ten_a_second, 1, t0 + 5s, t0 + 1s).what, verdict::go);
}

TEST(RateBudget, CallsStillInFlightCountInTheNextAssumedWindow) {
  memory_budget_store store;
  const config::rate_limit_config two_a_second{2, 1};
  ASSERT_EQ(store.reserve_at("a", two_a_second, 1, t0, t0).what, verdict::go);  // never answered
  auto answered = store.reserve_at("a", two_a_second, 1, t0, t0);
  store.settle_at("a", two_a_second, answered.ticket, {.answered = true}, t0 + 10ms);
  // A new window: the unanswered call may still be counted in it, so one point is left.
  EXPECT_EQ(store.reserve_at("a", two_a_second, 1, t0 + 2s, t0 + 1s).what, verdict::go);
  EXPECT_EQ(store.reserve_at("a", two_a_second, 1, t0 + 1500ms, t0 + 1s).what, verdict::refuse);
}

TEST(RateBudget, TheVendorsWordNarrowsTheBudget) {
  memory_budget_store store;
  auto first = store.reserve_at("a", salesloft_budget, 1, t0, t0);
  ASSERT_EQ(first.what, verdict::go);
  // The vendor says only 2 points are left this minute (another client spent the rest).
  store.settle_at("a", salesloft_budget, first.ticket, {.answered = true, .remaining = 2}, t0 + 1ms);
  EXPECT_EQ(store.reserve_at("a", salesloft_budget, 1, t0 + 1s, t0 + 2ms).what, verdict::go);
  EXPECT_EQ(store.reserve_at("a", salesloft_budget, 1, t0 + 1s, t0 + 2ms).what, verdict::go);
  EXPECT_EQ(store.reserve_at("a", salesloft_budget, 1, t0 + 1s, t0 + 2ms).what, verdict::refuse);
  // After the window the budget is whole again.
  EXPECT_EQ(store.reserve_at("a", salesloft_budget, 1, t0 + 70s, t0 + 61s).what, verdict::go);
}

TEST(RateBudget, AHigherFigureNeverWidensTheBudget) {
  memory_budget_store store;
  auto a = store.reserve_at("a", salesloft_budget, 1, t0, t0);
  auto b = store.reserve_at("a", salesloft_budget, 1, t0, t0);
  // The vendor counted a first (50 left), then b (5 left); b's answer arrives first.
  store.settle_at("a", salesloft_budget, b.ticket, {.answered = true, .remaining = 5}, t0 + 1ms);
  store.settle_at("a", salesloft_budget, a.ticket, {.answered = true, .remaining = 50}, t0 + 2ms);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(store.reserve_at("a", salesloft_budget, 1, t0 + 1s, t0 + 3ms).what, verdict::go);
  EXPECT_EQ(store.reserve_at("a", salesloft_budget, 1, t0 + 1s, t0 + 3ms).what, verdict::refuse);
}

TEST(RateBudget, AnAnswerOvertakenByAnEarlierCallsNeverWidensTheBudget) {
  memory_budget_store store;
  auto a = store.reserve_at("a", salesloft_budget, 1, t0, t0);
  auto b = store.reserve_at("a", salesloft_budget, 1, t0, t0);
  // The vendor counted b first (5 left), then a (4 left); a's answer arrives first.
  store.settle_at("a", salesloft_budget, a.ticket, {.answered = true, .remaining = 4}, t0 + 1ms);
  store.settle_at("a", salesloft_budget, b.ticket, {.answered = true, .remaining = 5}, t0 + 2ms);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(store.reserve_at("a", salesloft_budget, 1, t0 + 1s, t0 + 3ms).what, verdict::go);
  EXPECT_EQ(store.reserve_at("a", salesloft_budget, 1, t0 + 1s, t0 + 3ms).what, verdict::refuse);
}

TEST(RateBudget, UnansweredEarlierRequestsCountAgainstTheVendorsFigure) {
  memory_budget_store store;
  auto a = store.reserve_at("a", salesloft_budget, 1, t0, t0);  // still in flight
  auto b = store.reserve_at("a", salesloft_budget, 1, t0, t0);
  (void)a;
  // b's answer says 1 left; a may reach the vendor after b and take it.
  store.settle_at("a", salesloft_budget, b.ticket, {.answered = true, .remaining = 1}, t0 + 1ms);
  EXPECT_EQ(store.reserve_at("a", salesloft_budget, 1, t0 + 1s, t0 + 2ms).what, verdict::refuse);
}

TEST(RateBudget, ACallThatFailedWithoutAnAnswerStaysCountedForItsWindow) {
  memory_budget_store store;
  auto lost = store.reserve_at("a", salesloft_budget, 1, t0, t0);
  store.settle_at("a", salesloft_budget, lost.ticket, {},
                  t0 + 1ms);  // timed out: the vendor may still charge it
  auto b = store.reserve_at("a", salesloft_budget, 1, t0 + 2ms, t0 + 2ms);
  store.settle_at("a", salesloft_budget, b.ticket, {.answered = true, .remaining = 1}, t0 + 3ms);
  EXPECT_EQ(store.reserve_at("a", salesloft_budget, 1, t0 + 1s, t0 + 4ms).what, verdict::refuse);
}

TEST(RateBudget, ARefundedReservationGivesItsPointsBackAtOnce) {
  memory_budget_store store;
  const config::rate_limit_config two_a_minute{2, 60};
  auto first = store.reserve_at("a", two_a_minute, 1, t0, t0);
  auto second = store.reserve_at("a", two_a_minute, 1, t0, t0);
  ASSERT_EQ(second.what, verdict::go);
  EXPECT_EQ(store.reserve_at("a", two_a_minute, 1, t0 + 1s, t0).what, verdict::refuse);  // spent
  store.refund_at("a", two_a_minute, second.ticket);  // never left the process
  EXPECT_EQ(store.reserve_at("a", two_a_minute, 1, t0 + 1s, t0).what, verdict::go);
  store.refund_at("a", two_a_minute, second.ticket);  // twice is once: nothing more comes back
  EXPECT_EQ(store.reserve_at("a", two_a_minute, 1, t0 + 1s, t0).what, verdict::refuse);
  (void)first;
}

TEST(RateBudget, A429PausesTheWholeAccount) {
  memory_budget_store store;
  const config::rate_limit_config none{0, 60};
  auto a = store.reserve_at("a", none, 1, t0, t0);
  store.settle_at("a", none, a.ticket, {.answered = true, .rate_limited = true, .retry_after_s = 3}, t0);
  auto waiting = store.reserve_at("a", none, 1, t0 + 10s, t0 + 1s);
  EXPECT_EQ(waiting.what, verdict::wait_and_retry);
  EXPECT_EQ(waiting.wait, 2s);
  auto refused = store.reserve_at("a", none, 1, t0 + 1500ms, t0 + 1s);
  EXPECT_EQ(refused.what, verdict::refuse);
  EXPECT_EQ(refused.retry_after_s, 2);
  EXPECT_EQ(store.reserve_at("a", none, 1, t0 + 10s, t0 + 3s).what, verdict::go);
}

TEST(RateBudget, ReportedRemainingAloneLimitsAVendorWithoutAConfiguredBudget) {
  memory_budget_store store;
  const config::rate_limit_config none{0, 60};
  auto a = store.reserve_at("a", none, 1, t0, t0);
  store.settle_at("a", none, a.ticket, {.answered = true, .remaining = 0, .reset_s = 5}, t0);
  auto d = store.reserve_at("a", none, 1, t0 + 1s, t0);
  EXPECT_EQ(d.what, verdict::refuse);
  EXPECT_EQ(d.retry_after_s, 5);
  EXPECT_EQ(store.reserve_at("a", none, 1, t0 + 10s, t0 + 5s).what, verdict::go);
}

TEST(CircuitBreaker, OpensAfterConsecutiveFailuresAndProbesOnce) {
  circuit_breaker b({.failure_threshold = 3, .open_ms = 1000});
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(b.allow(t0));
    b.record(false, t0);
  }
  b.record(true, t0);  // a success resets the count
  for (int i = 0; i < 3; ++i) b.record(false, t0);
  EXPECT_EQ(b.current(t0), circuit_breaker::state::open);
  EXPECT_FALSE(b.allow(t0 + 999ms));
  EXPECT_TRUE(b.allow(t0 + 1s));   // the probe
  EXPECT_FALSE(b.allow(t0 + 1s));  // only one
  b.record(false, t0 + 1s);        // the probe failed: open again
  EXPECT_FALSE(b.allow(t0 + 1500ms));
  EXPECT_TRUE(b.allow(t0 + 2s));
  b.record(true, t0 + 2s);
  EXPECT_EQ(b.current(t0 + 2s), circuit_breaker::state::closed);
  EXPECT_TRUE(b.allow(t0 + 2s));
}

TEST(CircuitBreaker, AnAbandonedProbeLetsAnotherGo) {
  circuit_breaker b({.failure_threshold = 1, .open_ms = 10});
  b.record(false, t0);
  ASSERT_TRUE(b.allow(t0 + 10ms));
  b.forgo();
  EXPECT_TRUE(b.allow(t0 + 10ms));
}

shared_response answer_of(std::size_t body_bytes) {
  auto r = std::make_shared<upstream::response>(http::status::ok, 11);
  r->body().assign(body_bytes, 'x');
  return r;
}

TEST(MemoryCache, EvictsLeastRecentlyUsedByBytesAndExpires) {
  const std::uint64_t one = footprint("k1", *answer_of(1000));
  memory_cache cache(3 * one);
  cache.put("k1", answer_of(1000), 10s, t0);
  cache.put("k2", answer_of(1000), 10s, t0);
  cache.put("k3", answer_of(1000), 10s, t0);
  ASSERT_TRUE(cache.find("k1", t0));  // k1 is now the most recent
  cache.put("k4", answer_of(1000), 10s, t0);
  EXPECT_FALSE(cache.find("k2", t0));  // the least recently used went
  EXPECT_TRUE(cache.find("k1", t0));
  EXPECT_LE(cache.bytes(), 3 * one);
  EXPECT_FALSE(cache.find("k3", t0 + 10s));          // expired
  cache.put("huge", answer_of(10 * 1000), 10s, t0);  // larger than the whole cache: not kept
  EXPECT_FALSE(cache.find("huge", t0));
  cache.set_capacity(0);
  EXPECT_EQ(cache.entries(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(Retry, BackoffIsJitteredUnderItsCap) {
  const config::retry_config cfg{.max_attempts = 5, .base_delay_ms = 100, .max_delay_ms = 300};
  clock::duration longest{};
  for (int i = 0; i < 200; ++i) {
    EXPECT_LT(backoff(cfg, 0), 100ms);
    auto d = backoff(cfg, 6);
    EXPECT_LT(d, 300ms);
    longest = std::max(longest, d);
  }
  EXPECT_GT(longest, 150ms);  // jitter spreads over the range, not a constant
}

TEST(Retry, TheBudgetLimitsRetriesToAShareOfFirstCalls) {
  retry_budget budget(20);
  int retries = 0;
  for (int i = 0; i < 1000; ++i) {
    budget.on_first_call();
    while (budget.try_spend()) ++retries;  // an outage: every call would retry
  }
  EXPECT_LE(retries, 200 + 10);
  EXPECT_GE(retries, 190);
}

TEST(Retry, AfterSecondsReadsEveryForm) {
  upstream::response res;
  EXPECT_EQ(retry_after_seconds(res), 0);
  res.set(http::field::retry_after, "7");
  EXPECT_EQ(retry_after_seconds(res), 7);
  res.set(http::field::retry_after, "Wed, 21 Oct 2015 07:28:00 GMT");  // in the past
  EXPECT_EQ(retry_after_seconds(res), 0);
  res.erase(http::field::retry_after);
  res.set("X-RateLimit-Reset", "12");
  EXPECT_EQ(retry_after_seconds(res), 12);
}

// Runs `body` on `threads` io threads at once and waits for all of them.
template <class Body>
void on_io_threads(int threads, Body body) {
  std::vector<std::unique_ptr<net::io_context>> ios;
  std::vector<std::thread> runners;
  for (int i = 0; i < threads; ++i) {
    ios.push_back(std::make_unique<net::io_context>());
    net::co_spawn(*ios.back(), body(i), net::detached);
  }
  for (auto& io : ios) runners.emplace_back([&io] { io->run(); });
  for (auto& r : runners) r.join();
}

TEST(ConcurrencyLimit, NeverLetsMoreThanTheLimitRunAcrossThreads) {
  concurrency_limit limit(2);
  std::atomic<int> running{0}, most{0}, done{0}, refused{0};
  on_io_threads(4, [&](int) -> net::awaitable<void> {
    for (int i = 0; i < 20; ++i) {
      auto slot = co_await limit.acquire(clock::now() + 5s);
      if (!slot) {
        ++refused;
        continue;
      }
      most = std::max(most.load(), ++running);
      net::steady_timer t(co_await net::this_coro::executor, 1ms);
      co_await t.async_wait(net::use_awaitable);
      --running;
      ++done;
    }
  });
  EXPECT_EQ(done, 80);
  EXPECT_EQ(refused, 0);
  EXPECT_LE(most, 2);
  EXPECT_EQ(limit.in_use(), 0u);
}

TEST(ConcurrencyLimit, AWaiterGivesUpAtItsDeadline) {
  concurrency_limit limit(1);
  std::atomic<bool> timed_out{false};
  on_io_threads(1, [&](int) -> net::awaitable<void> {
    auto held = co_await limit.acquire(clock::now() + 1s);
    const auto start = clock::now();
    auto second = co_await limit.acquire(clock::now() + 50ms);
    timed_out = !second && clock::now() - start >= 50ms;
  });
  EXPECT_TRUE(timed_out);
  EXPECT_EQ(limit.in_use(), 0u);
}

TEST(Singleflight, FollowersOnOtherThreadsGetTheLeadersAnswer) {
  singleflight flights;
  std::atomic<int> leaders{0}, answers{0};
  on_io_threads(4, [&](int) -> net::awaitable<void> {
    auto [flight, leader] = flights.join("key");
    if (leader) {
      ++leaders;
      net::steady_timer t(co_await net::this_coro::executor, 50ms);  // followers join meanwhile
      co_await t.async_wait(net::use_awaitable);
      flights.land("key", flight, answer_of(5));
    } else if (co_await flight->done.wait(clock::now() + 5s)) {
      if (flight->value && (*flight->value)->body() == "xxxxx") ++answers;
    }
  });
  EXPECT_EQ(leaders, 1);
  EXPECT_EQ(answers, 3);
}

TEST(Singleflight, AFollowerTakesOverOnlyFailuresOfTheLeadersOwnMaking) {
  singleflight::flight f;
  f.leader_until = t0;
  f.value = failure::make(errc::deadline_exceeded, "the leader's deadline");
  EXPECT_TRUE(f.failed_on_leaders_terms(t0 + 1s));  // the follower has longer: it goes on
  EXPECT_FALSE(f.failed_on_leaders_terms(t0));      // the same deadline would end the same way
  f.value = failure::make(errc::upstream_timeout, "no answer");
  EXPECT_TRUE(f.failed_on_leaders_terms(t0 + 1s));
  f.value = failure::make(errc::upstream_error, "HTTP 500");  // the vendor's failure: shared by all
  EXPECT_FALSE(f.failed_on_leaders_terms(t0 + 1s));
  f.abandoned = true;  // the leader's client went away
  EXPECT_TRUE(f.failed_on_leaders_terms(t0));
  f.value = std::make_shared<const upstream::response>();
  EXPECT_FALSE(f.failed_on_leaders_terms(t0 + 1s));  // an answer is never taken over
}

}  // namespace
}  // namespace cgw::policy
