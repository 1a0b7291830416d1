// A fleet on one machine: a real redis-server (persistence off) and three real gateway
// processes sharing it, in front of a Salesloft sandbox that enforces 600 points a minute
// and answers 429 beyond (spec deployment.md). The replicas together never overdraw it, share
// one cache, continue each other's walks, and ride out Redis or a replica dying.
#include "adapters/salesloft/sandbox/sandbox.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/program.hpp"
#include "tests/integration/redis_server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <future>
#include <set>
#include <thread>

namespace cgw::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

struct fleet {
  redis_server redis;
  sandbox::server vendor;
  std::vector<child> replicas;
  std::vector<std::uint16_t> ports;

  // `cache_ttl_ms` 0: no cache, so every distinct request is one vendor call.
  explicit fleet(std::uint32_t cache_ttl_ms = 0, std::uint32_t records = 400)
      : vendor(sandbox::salesloft::make_handler({.records = records, .budget_per_minute = 600})) {
    const auto vendor_port = vendor.start();
    std::string text = at_info(
        config_with(R"({"salesloft": {"type": "salesloft", "base_url": "http://127.0.0.1:)" +
                    std::to_string(vendor_port) +
                    R"(", "auth": {"bearer_token": "sandbox-salesloft-token"}, "retry": {"max_attempts": 1},
            "circuit": {"failure_threshold": 1000000}}})"));
    text.replace(text.find(R"("cache": {"ttl_ms": 0})"), 22,
                 R"("cache": {"ttl_ms": )" + std::to_string(cache_ttl_ms) + "}");
    text.insert(text.size() - 1, R"(, "shared_state": {"redis": {"url": ")" + redis.url() +
                                     R"(", "timeout_ms": 50}, "expected_replicas": 3})");
    // One file per test: ctest runs the tests of this suite in parallel processes.
    const auto path = write_config(
        std::string("fleet-") + ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".json",
        text);
    for (int i = 0; i < 3; ++i) {
      replicas.push_back(child::spawn({gateway_binary, "--config", path}));
      ports.push_back(listening_port(replicas.back()));
      EXPECT_NE(ports.back(), 0) << "replica " << i << " did not listen";
      replicas.back().keep_draining("shared state");
    }
  }
  std::uint64_t charged() { return sandbox::salesloft::cost_spent(vendor.logic()); }
};

// A distinct Salesloft list request: one vendor call of cost 1 (a pushed-down title, native order).
std::string distinct(const std::string& tag, int i) {
  return "/v1/conversations?vendor=salesloft&sort=-created_at&page_size=1&title=" + tag + "-" +
         std::to_string(i);
}

// Every answer is a 200 (the vendor ok, or rate_limited and partial) or a 429 with Retry-After.
void expect_clean(const http_answer& a) {
  if (a.status == 429) {
    EXPECT_TRUE(a.headers.contains("retry-after")) << a.text;
    return;
  }
  ASSERT_EQ(a.status, 200u) << a.text;
  const auto& status = a.meta().at("vendors").at("salesloft").at("status");
  EXPECT_TRUE(status == "ok" || status == "rate_limited") << a.text;
}

std::string shared_state_of(std::uint16_t port) {
  auto v = request(port, "/v1/vendors");
  return v.status == 200 ? std::string(v.data()[0].at("health").at("shared_state").as_string()) : "";
}

// `count` requests from `clients` threads spread over the replicas; `during(i)` runs before request i.
std::vector<http_answer> burst(fleet& f, const std::string& tag, int count, int clients,
                               const std::function<void(int)>& during = {}) {
  std::atomic<int> next{0};
  std::vector<std::future<std::vector<http_answer>>> workers;
  for (int c = 0; c < clients; ++c)
    workers.push_back(std::async(std::launch::async, [&] {
      std::vector<http_answer> out;
      for (int i; (i = next++) < count;) {
        if (during) during(i);
        out.push_back(request(f.ports[i % 3], distinct(tag, i)));
      }
      return out;
    }));
  std::vector<http_answer> all;
  for (auto& w : workers)
    for (auto& a : w.get()) all.push_back(std::move(a));
  return all;
}

TEST(Fleet, ThreeReplicasNeverSpendMoreThanTheVendorsBudget) {
  fleet f;
  const auto answers = burst(f, "burst", 900, 24);
  ASSERT_EQ(answers.size(), 900u);
  int ok = 0;
  for (const auto& a : answers) {
    expect_clean(a);
    ok += a.status == 200 && a.meta().at("vendors").at("salesloft").at("status") == "ok";
  }
  EXPECT_LE(f.charged(), 600u);
  EXPECT_EQ(f.charged(), f.vendor.requests()) << "the sandbox answered 429: the fleet overdrew the budget";
  EXPECT_GE(ok, 500) << "the replicas did not share one budget of 600 (each kept less than its share)";
  for (auto port : f.ports) EXPECT_EQ(shared_state_of(port), "redis");
}

TEST(Fleet, AnAnswerOfOneReplicaIsACacheHitOnAnother) {
  fleet f(15000);
  const std::string query = "/v1/conversations?vendor=salesloft&sort=-created_at&page_size=5";
  auto first = request(f.ports[0], query);
  ASSERT_EQ(first.status, 200u) << first.text;
  EXPECT_EQ(first.meta().at("vendors").at("salesloft").at("cache"), "miss");
  const auto calls = f.vendor.requests();
  auto second = request(f.ports[1], query);
  ASSERT_EQ(second.status, 200u) << second.text;
  EXPECT_EQ(second.meta().at("vendors").at("salesloft").at("cache"), "hit");
  EXPECT_EQ(f.vendor.requests(), calls);  // one vendor call for both replicas
  EXPECT_EQ(second.data(), first.data());
}

TEST(Fleet, AnIdenticalCallInFlightOnThreeReplicasIsMadeOnce) {
  fleet f(15000);
  f.vendor.set_faults({.latency_ms = 300});  // long enough for the three to overlap
  const std::string query = "/v1/conversations?vendor=salesloft&sort=-created_at&page_size=4";
  const auto before = f.vendor.requests();
  std::vector<std::future<http_answer>> asks;
  for (int r = 0; r < 3; ++r) {
    asks.push_back(std::async(std::launch::async, [&, r] { return request(f.ports[r], query); }));
    std::this_thread::sleep_for(30ms);  // the first replica takes the lease
  }
  int led = 0;
  for (auto& a : asks) {
    auto page = a.get();
    ASSERT_EQ(page.status, 200u) << page.text;
    EXPECT_EQ(page.data().size(), 4u);
    led += page.meta().at("vendors").at("salesloft").at("cache") == "miss";
  }
  EXPECT_EQ(f.vendor.requests() - before, 1u);  // one vendor call for the three replicas
  EXPECT_EQ(led, 1);
}

TEST(Fleet, ACursorWalkAlternatingReplicasIsExactlyOnceEvenWhenOneDies) {
  fleet f(0, 300);
  std::vector<std::string> ids;
  std::string cursor;
  for (int page = 0; page < 100; ++page) {
    if (page == 3) {  // the replica that served pages 0 and 3... is gone; the walk goes on elsewhere
      kill(f.replicas[0].pid, SIGKILL);
      f.replicas[0].wait_exit();
    }
    const std::uint16_t port = f.ports[page < 3 ? page % 3 : 1 + page % 2];
    auto a = request(port, "/v1/conversations?vendor=salesloft&sort=-created_at&page_size=23" +
                               (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(a.status, 200u) << a.text;
    for (const auto& r : a.data()) ids.emplace_back(r.at("id").as_string());
    const auto& next = a.meta().at("next_cursor");
    if (next.is_null()) break;
    cursor = std::string(next.as_string());
  }
  EXPECT_EQ(ids.size(), 300u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
}

TEST(Fleet, RedisKilledDuringABurstFailsNoRequestAndTheReplicasComeBack) {
  fleet f;
  const auto answers = burst(f, "kill", 450, 12, [&](int i) {
    if (i == 120) f.redis.kill_hard();
  });
  for (const auto& a : answers) expect_clean(a);
  EXPECT_LE(f.charged(), 600u);
  EXPECT_EQ(f.charged(), f.vendor.requests()) << "the sandbox answered 429 while Redis was down";
  for (auto port : f.ports) {
    EXPECT_EQ(shared_state_of(port), "degraded");
    EXPECT_NE(request(port, "/metrics").text.find("cgw_shared_state_degraded 1"), std::string::npos);
    EXPECT_EQ(request(port, "/readyz").status, 200u);  // still ready
  }

  f.redis.start();
  // Back within seconds: the client reconnects (backoff at most 2 s) and the next store call says so.
  std::vector<bool> back(3, false);
  for (int i = 0; i < 50 && !(back[0] && back[1] && back[2]); ++i) {
    std::this_thread::sleep_for(200ms);
    for (int r = 0; r < 3; ++r) {
      request(f.ports[r], distinct("back", i * 3 + r));
      back[r] = shared_state_of(f.ports[r]) == "redis";
    }
  }
  for (int r = 0; r < 3; ++r) {
    EXPECT_TRUE(back[r]) << "replica " << r << " did not go back to Redis";
    const auto lines = f.replicas[r].lines_kept();
    std::string all;
    for (const auto& l : lines) all += l;
    ASSERT_EQ(lines.size(), 2u) << "one line per transition:\n" << all;
    EXPECT_NE(lines[0].find("shared state degraded"), std::string::npos);
    EXPECT_NE(lines[1].find("shared state restored"), std::string::npos);
  }
}

}  // namespace
}  // namespace cgw::testing
