// The fleet's stores against a real redis-server on loopback: the client (pipelining from
// several threads, NOSCRIPT, reconnecting), the budget scripts (windows, the lowest-figure
// rule, reservations in flight, a dead replica's reservations expiring, replicas racing for
// the last points), the client-limit script, and the fallback when Redis dies.
#include "gateway/shared_state/stores.hpp"
#include "tests/integration/certificates.hpp"
#include "tests/integration/loopback.hpp"
#include "tests/integration/redis_server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>

namespace cgw::shared_state {
namespace {

using namespace std::chrono_literals;
using testing::io_thread;
using testing::redis_server;
using verdict = policy::budget_decision::verdict;

// A client of `server`, connected (or, with `expect_up` false, given a second to fail).
std::shared_ptr<redis_client> client_for(const redis_server& server,
                                         std::chrono::milliseconds timeout = 200ms,
                                         config::redis_config where = {}, bool expect_up = true) {
  where.host = where.host.empty() ? "127.0.0.1" : where.host;
  where.port = server.port();
  where.timeout_ms = static_cast<std::uint32_t>(timeout.count());
  auto c = std::make_shared<redis_client>(redis_options{where});
  for (int i = 0; i < 100 && !c->connected(); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(c->connected(), expect_up);
  return c;
}

deadline in(clock::duration d) {
  return clock::now() + d;
}

TEST(RedisClient, PipelinesCommandsFromSeveralThreadsInOrder) {
  redis_server server;
  auto redis = client_for(server);
  io_thread a, b;
  constexpr int per_thread = 200;
  auto burst = [&](io_thread& t) {
    return std::async(std::launch::async, [&] {
      std::vector<std::future<result<reply>>> replies;
      for (int i = 0; i < per_thread; ++i)
        replies.push_back(net::co_spawn(t.ioc, redis->command({"INCR", "counter"}, in(2s)), net::use_future));
      std::vector<long long> seen;
      for (auto& r : replies) {
        auto v = r.get();
        EXPECT_TRUE(v) << (v ? "" : v.error().message);
        if (v) seen.push_back(v->integer);
      }
      return seen;
    });
  };
  auto x = burst(a), y = burst(b);
  auto all = x.get();
  auto more = y.get();
  all.insert(all.end(), more.begin(), more.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), 2u * per_thread);
  for (int i = 0; i < 2 * per_thread; ++i) EXPECT_EQ(all[i], i + 1);  // every reply went to its own command
  auto r = a.sync(redis->command({"GET", "counter"}, in(1s)));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->text, std::to_string(2 * per_thread));
}

TEST(RedisClient, FailsAtOnceWhileDownAndReconnectsWhenRedisIsBack) {
  redis_server server;
  auto redis = client_for(server);
  io_thread t;
  const script s{"return ARGV[1] .. '!'"};
  auto first = t.sync(redis->eval(s, {}, {"hello"}, in(1s)));  // NOSCRIPT, then EVAL
  ASSERT_TRUE(first);
  EXPECT_EQ(first->text, "hello!");
  ASSERT_TRUE(t.sync(redis->command({"SCRIPT", "FLUSH"}, in(1s))));
  auto again = t.sync(redis->eval(s, {}, {"again"}, in(1s)));  // flushed: sent whole once more
  ASSERT_TRUE(again);
  EXPECT_EQ(again->text, "again!");

  server.kill_hard();
  for (int i = 0; i < 100 && redis->connected(); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(redis->connected());
  const auto t0 = clock::now();
  auto down = t.sync(redis->command({"PING"}, in(5s)));
  EXPECT_FALSE(down);
  EXPECT_LT(clock::now() - t0, 300ms);  // bounded by the timeout, not the caller's 5 s
  EXPECT_NE(down.error().message.find("redis"), std::string::npos);

  server.start();
  for (int i = 0; i < 300 && !redis->connected(); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(redis->connected());  // within 3 s: the backoff is capped at 2 s
  auto pong = t.sync(redis->command({"PING"}, in(1s)));
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->text, "PONG");
}

TEST(RedisClient, AuthenticatesWithThePasswordAndNamesARefusal) {
  redis_server server({"--requirepass", "a-redis-password-for-tests"});
  io_thread t;
  config::redis_config right;
  right.password = config::secret("a-redis-password-for-tests");
  right.db = 3;
  auto ok = client_for(server, 200ms, right);
  ASSERT_TRUE(t.sync(ok->command({"SET", "k", "v"}, in(1s))));
  auto db = t.sync(ok->command({"CLIENT", "INFO"}, in(1s)));
  ASSERT_TRUE(db);
  EXPECT_NE(db->text.find("db=3"), std::string::npos) << db->text;  // SELECT went with AUTH

  config::redis_config wrong;
  wrong.password = config::secret("not-the-password");
  auto refused = client_for(server, 200ms, wrong, false);
  auto r = t.sync(refused->command({"PING"}, in(1s)));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("refused the handshake"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("not-the-password"), std::string::npos);
}

TEST(RedisClient, RedissVerifiesTheServersCertificate) {
  const auto dir = std::filesystem::temp_directory_path() / ("cgw-redis-tls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto trusted = testing::make_ca("redis test CA"), stranger = testing::make_ca("a CA nobody trusts");
  const auto server_pem = testing::server_cert(trusted, "IP:127.0.0.1,DNS:localhost", -3600, 86400);
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream((dir / name).string()) << text;
    return (dir / name).string();
  };
  const auto ca = write("ca.pem", testing::to_pem(trusted.cert.get()));
  const auto other_ca = write("other-ca.pem", testing::to_pem(stranger.cert.get()));
  redis_server server(
      {"--tls-cert-file", write("server.pem", server_pem.cert), "--tls-key-file",
       write("server.key", server_pem.key), "--tls-ca-cert-file", ca, "--tls-auth-clients", "no"},
      true);
  io_thread t;
  config::redis_config verified;
  verified.tls = true;
  verified.ca_file = ca;
  auto good = client_for(server, 500ms, verified);
  auto pong = t.sync(good->command({"PING"}, in(1s)));
  ASSERT_TRUE(pong) << pong.error().message;
  EXPECT_EQ(pong->text, "PONG");

  config::redis_config untrusted = verified;
  untrusted.ca_file = other_ca;
  auto refused = client_for(server, 500ms, untrusted, false);
  auto r = t.sync(refused->command({"PING"}, in(1s)));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("TLS"), std::string::npos) << r.error().message;

  // A certificate the trusted CA signed, but for another name than the one connected to.
  const auto elsewhere = testing::server_cert(trusted, "DNS:redis.elsewhere.example", -3600, 86400);
  redis_server misnamed(
      {"--tls-cert-file", write("elsewhere.pem", elsewhere.cert), "--tls-key-file",
       write("elsewhere.key", elsewhere.key), "--tls-ca-cert-file", ca, "--tls-auth-clients", "no"},
      true);
  auto mismatch = client_for(misnamed, 500ms, verified, false);
  auto m = t.sync(mismatch->command({"PING"}, in(1s)));
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("TLS"), std::string::npos) << m.error().message;
  std::filesystem::remove_all(dir);
}

TEST(RedisBudget, AWindowOfPointsThenTheNext) {
  redis_server server;
  auto health = std::make_shared<policy::shared_health>();
  redis_budget_store store(client_for(server), {}, health);
  io_thread t;
  const config::rate_limit_config three_a_second{3, 1};
  for (int i = 0; i < 3; ++i) {
    auto d = t.sync(store.reserve("acct", three_a_second, 1, in(0ms)));
    EXPECT_EQ(d.what, verdict::go) << i;
    EXPECT_FALSE(d.ticket.local);
    t.sync(store.settle("acct", three_a_second, d.ticket, {.answered = true}));
  }
  auto refused = t.sync(store.reserve("acct", three_a_second, 1, in(0ms)));
  EXPECT_EQ(refused.what, verdict::refuse);
  EXPECT_GE(refused.retry_after_s, 1);
  std::this_thread::sleep_for(1100ms);
  EXPECT_EQ(t.sync(store.reserve("acct", three_a_second, 1, in(0ms))).what, verdict::go);
  EXPECT_FALSE(health->degraded());
}

TEST(RedisBudget, TheLowestFigureOfAWindowWinsLessTheCallsInFlight) {
  redis_server server;
  redis_budget_store store(client_for(server), {}, std::make_shared<policy::shared_health>());
  io_thread t;
  const config::rate_limit_config minute{600, 60};
  auto a = t.sync(store.reserve("acct", minute, 1, in(0ms)));
  auto b = t.sync(store.reserve("acct", minute, 1, in(0ms)));
  auto c = t.sync(store.reserve("acct", minute, 1, in(0ms)));
  ASSERT_EQ(c.what, verdict::go);
  // The vendor says 4 left, then (an answer overtaken) 9: the window holds 4, less c still in flight.
  t.sync(store.settle("acct", minute, a.ticket, {.answered = true, .remaining = 4.0}));
  t.sync(store.settle("acct", minute, b.ticket, {.answered = true, .remaining = 9.0}));
  int granted = 0;
  while (granted < 10 && t.sync(store.reserve("acct", minute, 1, in(0ms))).what == verdict::go) ++granted;
  EXPECT_EQ(granted, 3);  // 4 - c
}

TEST(RedisBudget, ADeadReplicasReservationsExpireWithTheirWindow) {
  redis_server server;
  const config::rate_limit_config two_a_second{2, 1};
  io_thread t;
  {
    redis_budget_store dying(client_for(server), {}, std::make_shared<policy::shared_health>());
    ASSERT_EQ(t.sync(dying.reserve("acct", two_a_second, 1, in(0ms))).what, verdict::go);
    ASSERT_EQ(t.sync(dying.reserve("acct", two_a_second, 1, in(0ms))).what, verdict::go);
  }  // never settled: this replica is gone
  redis_budget_store survivor(client_for(server), {}, std::make_shared<policy::shared_health>());
  EXPECT_EQ(t.sync(survivor.reserve("acct", two_a_second, 1, in(0ms))).what, verdict::refuse);
  std::this_thread::sleep_for(1200ms);
  EXPECT_EQ(t.sync(survivor.reserve("acct", two_a_second, 1, in(0ms))).what, verdict::go);
  auto left = t.sync(client_for(server)->command({"HLEN", "cgw:budget:{acct}:calls"}, in(1s)));
  ASSERT_TRUE(left);
  EXPECT_EQ(left->integer, 1);  // the dead replica's two are gone; the survivor's one is there
}

TEST(RedisBudget, ARefundGivesThePointsBackOnce) {
  redis_server server;
  redis_budget_store store(client_for(server), {}, std::make_shared<policy::shared_health>());
  io_thread t;
  const config::rate_limit_config one_a_minute{1, 60};
  auto d = t.sync(store.reserve("acct", one_a_minute, 1, in(0ms)));
  ASSERT_EQ(d.what, verdict::go);
  EXPECT_EQ(t.sync(store.reserve("acct", one_a_minute, 1, in(0ms))).what, verdict::refuse);
  t.sync(store.refund("acct", one_a_minute, d.ticket));
  auto again = t.sync(store.reserve("acct", one_a_minute, 1, in(0ms)));
  EXPECT_EQ(again.what, verdict::go);
  t.sync(store.refund("acct", one_a_minute, d.ticket));  // the same ticket again: nothing more
  EXPECT_EQ(t.sync(store.reserve("acct", one_a_minute, 1, in(0ms))).what, verdict::refuse);
}

TEST(RedisBudget, ThreeReplicasRacingNeverWinMoreThanTheBudget) {
  redis_server server;
  const config::rate_limit_config fifty{50, 60};
  std::atomic<int> granted{0};
  std::vector<std::thread> replicas;
  for (int r = 0; r < 3; ++r)
    replicas.emplace_back([&] {
      redis_budget_store store(client_for(server), {}, std::make_shared<policy::shared_health>());
      io_thread t;
      // Named: a coroutine keeps its reference arguments, and these run after this statement ends.
      const std::string account = "acct";
      std::vector<std::future<policy::budget_decision>> asks;
      for (int i = 0; i < 40; ++i)
        asks.push_back(net::co_spawn(t.ioc, store.reserve(account, fifty, 1, in(0ms)), net::use_future));
      for (auto& a : asks) granted += a.get().what == verdict::go;
    });
  for (auto& r : replicas) r.join();
  EXPECT_EQ(granted.load(), 50);  // 120 asked across three replicas, exactly the 50 points won
}

TEST(RedisClientLimit, OneBucketForEveryReplica) {
  redis_server server;
  redis_client_limit_store one(client_for(server), {}, std::make_shared<policy::shared_health>());
  redis_client_limit_store two(client_for(server), {}, std::make_shared<policy::shared_health>());
  io_thread t;
  const config::client_rate_limit limit{1, 3};
  int allowed = 0;
  for (int i = 0; i < 6; ++i) allowed += t.sync((i % 2 ? one : two).take("dash", limit)).allowed;
  EXPECT_EQ(allowed, 3);
  auto refused = t.sync(one.take("dash", limit));
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_s, 1);
  EXPECT_EQ(refused.remaining, 0);
}

TEST(SharedState, FallsBackToItsShareWhenRedisDiesAndComesBack) {
  redis_server server;
  std::vector<std::pair<bool, std::string>> transitions;
  std::mutex m;
  auto health = std::make_shared<policy::shared_health>([&](bool degraded, const std::string& why) {
    std::lock_guard lock(m);
    transitions.emplace_back(degraded, why);
  });
  auto redis = client_for(server, 50ms);
  redis_budget_store budgets(redis, {.expected_replicas = 3}, health);
  redis_client_limit_store limits(redis, {.expected_replicas = 3}, health);
  io_thread t;
  const config::rate_limit_config thirty{30, 60};
  ASSERT_EQ(t.sync(budgets.reserve("acct", thirty, 1, in(0ms))).what, verdict::go);
  EXPECT_FALSE(health->degraded());

  server.kill_hard();
  // A third of the budget, locally: 10 points, then refusals; never a failure.
  int local = 0;
  for (int i = 0; i < 20; ++i) {
    auto d = t.sync(budgets.reserve("acct", thirty, 1, in(0ms)));
    if (d.what == verdict::go) {
      ++local;
      EXPECT_TRUE(d.ticket.local);
      t.sync(budgets.settle("acct", thirty, d.ticket, {.answered = true}));
    }
  }
  EXPECT_EQ(local, 10);
  EXPECT_TRUE(health->degraded());
  EXPECT_TRUE(t.sync(limits.take("dash", {3, 3})).allowed);  // one third of a burst of 3: one
  EXPECT_FALSE(t.sync(limits.take("dash", {3, 3})).allowed);

  server.start();
  for (int i = 0; i < 300 && !redis->connected(); ++i) std::this_thread::sleep_for(10ms);
  auto back = t.sync(budgets.reserve("acct", thirty, 1, in(0ms)));
  EXPECT_EQ(back.what, verdict::go);
  EXPECT_FALSE(back.ticket.local);
  EXPECT_FALSE(health->degraded());
  std::lock_guard lock(m);
  ASSERT_EQ(transitions.size(), 2u);  // one line each way, not one per request
  EXPECT_TRUE(transitions[0].first);
  EXPECT_FALSE(transitions[1].first);
}

}  // namespace
}  // namespace cgw::shared_state
