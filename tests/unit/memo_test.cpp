// policy::memo: kept for a TTL, least recently used first out, computed once while in flight,
// and a follower never inherits what the leader could not share.
#include "gateway/policy/memo.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace cgw::policy {
namespace {

using int_memo = memo<int>;
using namespace std::chrono_literals;

net::awaitable<void> sleep_for(clock::duration d) {
  net::steady_timer t(co_await net::this_coro::executor, d);
  co_await t.async_wait(net::use_awaitable);
}

// Runs `body` on one io thread to the end.
template <class Body>
void run(Body body) {
  net::io_context io;
  net::co_spawn(io, body(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
}

TEST(Memo, KeptUntilItsTtlEnds) {
  int_memo m(1 << 20);
  const auto now = clock::now();
  m.put("k", std::make_shared<const int>(7), 10, 100ms, now);
  ASSERT_NE(m.find("k", now + 99ms), nullptr);
  EXPECT_EQ(*m.find("k", now + 99ms), 7);
  EXPECT_EQ(m.find("k", now + 100ms), nullptr);
  EXPECT_EQ(m.bytes(), 0u) << "an expired entry is dropped when found";
}

TEST(Memo, TheLeastRecentlyUsedGoFirstWhenFull) {
  const std::uint64_t entry = 100 + 1 + 64;  // what put charges, roughly: bounded below by the value's bytes
  int_memo m(3 * entry);
  const auto now = clock::now();
  for (int i = 0; i < 3; ++i) m.put(std::to_string(i), std::make_shared<const int>(i), 100, 1min, now);
  ASSERT_NE(m.find("0", now), nullptr);  // "1" is now the least recently used
  m.put("3", std::make_shared<const int>(3), 100, 1min, now);
  EXPECT_NE(m.find("0", now), nullptr);
  EXPECT_EQ(m.find("1", now), nullptr);
  EXPECT_NE(m.find("3", now), nullptr);
  EXPECT_LE(m.bytes(), 3 * entry);
  m.put("huge", std::make_shared<const int>(9), 10 * entry, 1min, now);
  EXPECT_EQ(m.find("huge", now), nullptr) << "an entry larger than the whole memo is not kept";
  EXPECT_NE(m.find("0", now), nullptr) << "and evicts nothing";
}

TEST(Memo, IdenticalComputationsInFlightTogetherRunOnce) {
  int_memo m(1 << 20);
  int computations = 0;
  std::vector<memo_outcome> outcomes;
  std::vector<int> values;
  run([&]() -> net::awaitable<void> {
    auto ex = co_await net::this_coro::executor;
    auto one = [&]() -> net::awaitable<void> {
      auto [v, how] =
          co_await m.get("k", 0ms, clock::now() + 5s, [&]() -> net::awaitable<int_memo::computed> {
            ++computations;
            co_await sleep_for(50ms);
            co_return int_memo::computed{std::make_shared<const int>(42), 8};
          });
      values.push_back(*v);
      outcomes.push_back(how);
    };
    for (int i = 0; i < 4; ++i) net::co_spawn(ex, one(), net::detached);
    co_await sleep_for(200ms);
  });
  EXPECT_EQ(computations, 1);
  ASSERT_EQ(values.size(), 4u);
  for (int v : values) EXPECT_EQ(v, 42);
  EXPECT_EQ(std::count(outcomes.begin(), outcomes.end(), memo_outcome::computed), 1);
  EXPECT_EQ(std::count(outcomes.begin(), outcomes.end(), memo_outcome::coalesced), 3);
  EXPECT_EQ(m.find("k", clock::now()), nullptr) << "TTL 0: shared in flight only";
}

TEST(Memo, AFollowerComputesOnItsOwnWhenTheLeadersResultIsNotToBeShared) {
  int_memo m(1 << 20);
  int computations = 0;
  std::vector<memo_outcome> outcomes;
  run([&]() -> net::awaitable<void> {
    auto ex = co_await net::this_coro::executor;
    auto one = [&](bool keep) -> net::awaitable<void> {
      auto [v, how] =
          co_await m.get("k", 1min, clock::now() + 5s, [&, keep]() -> net::awaitable<int_memo::computed> {
            ++computations;
            co_await sleep_for(30ms);
            co_return int_memo::computed{std::make_shared<const int>(keep ? 1 : 0), 8, keep};
          });
      outcomes.push_back(how);
    };
    net::co_spawn(ex, one(false), net::detached);  // the leader: a partial answer, say
    co_await sleep_for(5ms);
    net::co_spawn(ex, one(true), net::detached);
    co_await sleep_for(200ms);
  });
  EXPECT_EQ(computations, 2);
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0], memo_outcome::computed);
  EXPECT_EQ(outcomes[1], memo_outcome::computed);
  ASSERT_NE(m.find("k", clock::now()), nullptr);
  EXPECT_EQ(*m.find("k", clock::now()), 1) << "the follower's own result is kept";
}

TEST(Memo, AFollowerGoesOnWhenItsLeaderDies) {
  int_memo m(1 << 20);
  std::vector<memo_outcome> outcomes;
  bool follower_done = false;
  run([&]() -> net::awaitable<void> {
    auto ex = co_await net::this_coro::executor;
    auto leader = [&]() -> net::awaitable<void> {
      co_await m.get("k", 1min, clock::now() + 5s, [&]() -> net::awaitable<int_memo::computed> {
        co_await sleep_for(20ms);
        throw std::runtime_error("the leader's request failed");
      });
    };
    net::co_spawn(ex, leader(), net::detached);
    co_await sleep_for(5ms);
    auto [v, how] = co_await m.get("k", 1min, clock::now() + 5s, [&]() -> net::awaitable<int_memo::computed> {
      co_return int_memo::computed{std::make_shared<const int>(5), 8};
    });
    follower_done = v && *v == 5 && how == memo_outcome::computed;
  });
  EXPECT_TRUE(follower_done);
}

TEST(Memo, AFollowerWaitsNoLongerThanItsOwnDeadline) {
  int_memo m(1 << 20);
  clock::duration waited{};
  run([&]() -> net::awaitable<void> {
    auto ex = co_await net::this_coro::executor;
    auto slow = [&]() -> net::awaitable<void> {
      co_await m.get("k", 1min, clock::now() + 5s, [&]() -> net::awaitable<int_memo::computed> {
        co_await sleep_for(300ms);
        co_return int_memo::computed{std::make_shared<const int>(1), 8};
      });
    };
    net::co_spawn(ex, slow(), net::detached);
    co_await sleep_for(5ms);
    const auto t0 = clock::now();
    co_await m.get("k", 1min, clock::now() + 50ms, [&]() -> net::awaitable<int_memo::computed> {
      co_return int_memo::computed{std::make_shared<const int>(2), 8};
    });
    waited = clock::now() - t0;
    co_await sleep_for(400ms);
  });
  EXPECT_GE(waited, 45ms);
  EXPECT_LT(waited, 250ms);
}

}  // namespace
}  // namespace cgw::policy
