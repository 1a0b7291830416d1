// The walks against scripted vendor pages (no sockets): whatever the pages say, a walk ends —
// a continuation seen before is the vendor's pages looping, keyset walks and tie groups are
// capped, every page checks the deadline, and the walk lets the io thread run between pages.
#include "gateway/adapter/walk.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <future>
#include <map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

namespace cgw::adapter {
namespace {

using namespace std::chrono_literals;

constexpr micros base_time = 1'700'000'000'000'000;

conversation record(const std::string& native_id, std::optional<micros> created_at) {
  conversation c;
  set_identity(c, "v", "test", native_id);
  c.created_at = created_at;
  c.started_at = created_at;
  return c;
}

// A vendor scripted as a function of the continuation it is asked for; it never suspends, as a
// page served from the cache does not. Counts the pages asked for.
struct scripted_vendor {
  std::function<vendor_page(const page_ask&)> script;
  std::size_t calls = 0;
  std::vector<std::string> asked;  // the continuations, in order

  page_fetcher fetcher() {
    return [this](const page_ask& ask, call_context&) -> net::awaitable<result<vendor_page>> {
      ++calls;
      asked.push_back(ask.continuation);
      co_return script(ask);
    };
  }
};

class Walk : public ::testing::Test {
 protected:
  list_query query(sort_field field = sort_field::created_at) {
    list_query q;
    q.sort = sort_spec{field, true};
    return q;
  }

  // Runs a walk to its end on this thread's io_context; fails the test when it does not end in 5 s.
  result<list_result> run(net::awaitable<result<list_result>> walk) {
    auto done = net::co_spawn(io_, std::move(walk), net::use_future);
    io_.run_for(5s);
    io_.restart();
    EXPECT_EQ(done.wait_for(0s), std::future_status::ready) << "the walk did not end";
    if (done.wait_for(0s) != std::future_status::ready) return failure::make(errc::internal, "did not end");
    return done.get();
  }

  net::io_context io_;
  upstream::client http_{io_.get_executor()};
  call_context ctx_{http_, clock::now() + 3s, "walk-test", "v"};
};

// Continuations "" -> "A" -> "A": the second "A" is a page the walk already read.
TEST_F(Walk, ScanOfAPageThatNamesItselfIsAVendorLoopError) {
  scripted_vendor v;
  v.script = [](const page_ask& ask) {
    vendor_page p;
    p.records.push_back(record("r-" + ask.continuation, base_time));
    p.next = "A";
    return p;
  };
  auto q = query();
  auto r = run(scan_walk(list_request{q, std::nullopt, 50}, ctx_, v.fetcher(), 100, 10'000));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::upstream_error);
  EXPECT_NE(r.error().message.find("the vendor's pages loop"), std::string::npos) << r.error().message;
  EXPECT_EQ(v.calls, 2u);  // "" and "A"; the second "A" is never asked for
}

TEST_F(Walk, ScanOfPagesAlternatingABAIsAVendorLoopError) {
  scripted_vendor v;
  v.script = [](const page_ask& ask) {
    vendor_page p;
    p.next = ask.continuation == "A" ? "B" : "A";
    return p;
  };
  auto q = query();
  auto r = run(scan_walk(list_request{q, std::nullopt, 50}, ctx_, v.fetcher(), 100, 10'000));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::upstream_error);
  EXPECT_NE(r.error().message.find("loop"), std::string::npos) << r.error().message;
  EXPECT_EQ(v.asked, (std::vector<std::string>{"", "A", "B"}));
}

TEST_F(Walk, KeysetWithATokenThatNeverChangesIsAVendorLoopError) {
  scripted_vendor v;
  micros t = base_time;
  v.script = [&](const page_ask&) {
    vendor_page p;
    for (int i = 0; i < 3; ++i)
      p.records.push_back(record("r" + std::to_string(t), t)), t -= 1000;  // in order
    p.next = "same-token";
    return p;
  };
  auto q = query();
  auto r = run(keyset_walk(list_request{q, std::nullopt, 1000}, ctx_, v.fetcher(), 100, 10'000));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::upstream_error);
  EXPECT_NE(r.error().message.find("the vendor's pages loop"), std::string::npos) << r.error().message;
  EXPECT_EQ(v.calls, 2u);
}

// Every page ties on the sort value with new ids and names a new next page: the group never
// closes, so only the cap ends the walk, and it says the order was cut.
TEST_F(Walk, KeysetWithAnEndlessTieGroupIsCappedAndTruncated) {
  scripted_vendor v;
  v.script = [](const page_ask& ask) {
    vendor_page p;
    const std::size_t page = ask.continuation.empty() ? 0 : std::stoul(ask.continuation);
    for (std::size_t i = 0; i < ask.per_page; ++i)
      p.records.push_back(record("p" + std::to_string(page) + "-" + std::to_string(i), base_time));
    p.next = std::to_string(page + 1);
    return p;
  };
  auto q = query();
  const std::size_t scan_limit = 500;
  auto r = run(keyset_walk(list_request{q, std::nullopt, 1000}, ctx_, v.fetcher(), 100, scan_limit));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->truncated);
  EXPECT_TRUE(r->exhausted);
  EXPECT_GE(r->records.size(), scan_limit);
  EXPECT_LE(r->records.size(), scan_limit + 100);
  EXPECT_LE(v.calls, scan_limit / 100 + 1);
  // The cut tie group is still in the order: ties by id.
  for (std::size_t i = 1; i < r->records.size(); ++i) EXPECT_LT(r->records[i - 1].id, r->records[i].id);
}

// The same tie group on every page (new page numbers): it is kept once, and the page cap ends it.
TEST_F(Walk, KeysetWithARepeatedTieGroupKeepsItOnceAndEnds) {
  scripted_vendor v;
  v.script = [](const page_ask& ask) {
    vendor_page p;
    for (int i = 0; i < 10; ++i) p.records.push_back(record("tie-" + std::to_string(i), base_time));
    const std::size_t page = ask.continuation.empty() ? 0 : std::stoul(ask.continuation);
    p.next = std::to_string(page + 1);
    return p;
  };
  auto q = query();
  auto r = run(keyset_walk(list_request{q, std::nullopt, 1000}, ctx_, v.fetcher(), 100, 1000));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->truncated);
  EXPECT_EQ(r->records.size(), 10u);
  EXPECT_LE(v.calls, 2 * (1000 / 100) + 2);  // the page cap: empty-looking progress cannot go on
}

TEST_F(Walk, ScanOfEndlessEmptyPagesStopsAtThePageCap) {
  scripted_vendor v;
  v.script = [](const page_ask& ask) {
    vendor_page p;
    p.next = ask.continuation + "x";
    return p;
  };
  auto q = query();
  auto r = run(scan_walk(list_request{q, std::nullopt, 50}, ctx_, v.fetcher(), 100, 1000));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->truncated);
  EXPECT_TRUE(r->records.empty());
  EXPECT_LE(v.calls, 2 * (1000 / 100) + 2);
}

// Pages that each take a little while and never end: the deadline ends the walk, whatever its caps.
TEST_F(Walk, EveryPageChecksTheDeadline) {
  std::size_t calls = 0;
  page_fetcher slow = [&](const page_ask& ask, call_context&) -> net::awaitable<result<vendor_page>> {
    ++calls;
    net::steady_timer timer(co_await net::this_coro::executor, 5ms);
    co_await timer.async_wait(net::use_awaitable);
    vendor_page p;
    p.next = std::to_string(calls);
    (void)ask;
    co_return p;
  };
  ctx_.until = clock::now() + 60ms;
  auto q = query();
  const auto t0 = clock::now();
  auto r = run(scan_walk(list_request{q, std::nullopt, 50}, ctx_, slow, 100, 1'000'000'000));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::upstream_timeout);
  EXPECT_LT(clock::now() - t0, 1s);
  EXPECT_GE(calls, 2u);
}

// A fetch that never suspends (a cache hit) still lets other work on the thread run between pages.
TEST_F(Walk, YieldsToTheIoThreadBetweenPages) {
  std::size_t ticks = 0;
  bool walking = true;
  net::co_spawn(
      io_,
      [&]() -> net::awaitable<void> {
        for (int i = 0; i < 100'000 && walking; ++i) {  // bounded: at most this many turns
          ++ticks;
          co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
        }
      },
      net::detached);
  std::vector<std::size_t> ticks_at_page;
  page_fetcher hit = [&](const page_ask& ask, call_context&) -> net::awaitable<result<vendor_page>> {
    ticks_at_page.push_back(ticks);
    vendor_page p;
    const std::size_t page = ask.continuation.empty() ? 0 : std::stoul(ask.continuation);
    p.records.push_back(record("r" + std::to_string(page), base_time - static_cast<micros>(page)));
    if (page < 20) p.next = std::to_string(page + 1);
    co_return p;
  };
  auto q = query();
  auto done = net::co_spawn(
      io_,
      [&]() -> net::awaitable<result<list_result>> {
        auto r = co_await scan_walk(list_request{q, std::nullopt, 50}, ctx_, hit, 100, 10'000);
        walking = false;
        co_return r;
      },
      net::use_future);
  io_.run_for(5s);
  ASSERT_EQ(done.wait_for(0s), std::future_status::ready);
  auto r = done.get();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->records.size(), 21u);
  ASSERT_EQ(ticks_at_page.size(), 21u);
  for (std::size_t i = 1; i < ticks_at_page.size(); ++i)
    EXPECT_GT(ticks_at_page[i], ticks_at_page[i - 1]) << "no other handler ran before page " << i;
}

// A well-behaved keyset walk is unchanged: ordered, exhausted, every page once.
TEST_F(Walk, KeysetOverHonestPagesReadsEachOnce) {
  scripted_vendor v;
  v.script = [](const page_ask& ask) {
    vendor_page p;
    const std::size_t page = ask.continuation.empty() ? 0 : std::stoul(ask.continuation);
    for (std::size_t i = 0; i < 5; ++i)
      p.records.push_back(record("p" + std::to_string(page) + "-" + std::to_string(i),
                                 base_time - static_cast<micros>(page * 5 + i) * 1000));
    if (page < 3) p.next = std::to_string(page + 1);
    return p;
  };
  auto q = query();
  auto r = run(keyset_walk(list_request{q, std::nullopt, 1000}, ctx_, v.fetcher(), 100, 10'000));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->truncated);
  EXPECT_TRUE(r->exhausted);
  EXPECT_EQ(r->records.size(), 20u);
  EXPECT_EQ(v.asked, (std::vector<std::string>{"", "1", "2", "3"}));
}

}  // namespace
}  // namespace cgw::adapter
