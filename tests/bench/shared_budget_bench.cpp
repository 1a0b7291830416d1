// What the fleet's shared budget costs a vendor call: reserve + settle (the two budget operations
// every vendor call makes) against the in-memory store and against a real redis-server on
// loopback, one after the other from one io thread (latency) and from four io threads at once
// (throughput). Prints figures; it is not a test.
//
//   shared_budget_bench [--calls N] [--redis-port P]
// Without --redis-port it starts Debian's redis-server itself on a free loopback port
// (persistence off) and stops it at the end.
#include "gateway/shared_state/stores.hpp"
#include "tests/integration/loopback.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

extern char** environ;

namespace {

using namespace cgw;
using namespace std::chrono_literals;

// One vendor call's budget work: reserve, then settle with an answer's report.
net::awaitable<double> one_call(policy::budget_store& store, const std::string& account) {
  const config::rate_limit_config budget{1'000'000'000, 60};  // never the limit: the cost is what is measured
  const auto t0 = clock::now();
  auto d = co_await store.reserve(account, budget, 1, clock::now() + 1s);
  co_await store.settle(account, budget, d.ticket, {.answered = true});
  co_return std::chrono::duration<double, std::micro>(clock::now() - t0).count();
}

net::awaitable<std::vector<double>> calls(policy::budget_store& store, std::string account, int n) {
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) us.push_back(co_await one_call(store, account));
  co_return us;
}

struct figures {
  double p50, p99, mean, calls_per_s;
};

figures measure(policy::budget_store& store, int n, int threads) {
  std::vector<std::unique_ptr<testing::io_thread>> ios;
  for (int t = 0; t < threads; ++t) ios.push_back(std::make_unique<testing::io_thread>());
  // Warm-up: connections, script loading, allocator.
  net::co_spawn(ios[0]->ioc, calls(store, "warm", 200), net::use_future).get();
  const auto t0 = clock::now();
  std::vector<std::future<std::vector<double>>> runs;
  for (int t = 0; t < threads; ++t)
    runs.push_back(net::co_spawn(ios[t]->ioc, calls(store, "account", n / threads), net::use_future));
  std::vector<double> all;
  for (auto& r : runs)
    for (double us : r.get()) all.push_back(us);
  const double seconds = std::chrono::duration<double>(clock::now() - t0).count();
  std::sort(all.begin(), all.end());
  double sum = 0;
  for (double us : all) sum += us;
  return {all[all.size() / 2], all[all.size() * 99 / 100], sum / all.size(), all.size() / seconds};
}

}  // namespace

int main(int argc, char** argv) {
  int n = 20'000;
  int redis_port = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--calls") == 0)
      n = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--redis-port") == 0)
      redis_port = std::atoi(argv[i + 1]);
  }
  pid_t redis = -1;
  if (redis_port == 0) {
    redis_port = testing::free_loopback_port();
    const std::string port = std::to_string(redis_port);
    const char* args[] = {
        "/usr/bin/redis-server", "--port", port.c_str(), "--bind",    "127.0.0.1", "--save", "",
        "--appendonly",          "no",     "--logfile",  "/dev/null", nullptr};
    if (posix_spawn(&redis, args[0], nullptr, nullptr, const_cast<char**>(args), environ) != 0) {
      std::fprintf(stderr,
                   "shared_budget_bench: cannot start /usr/bin/redis-server (deploy/install-deps.sh)\n");
      return 1;
    }
  }
  config::redis_config where;
  where.host = "127.0.0.1";
  where.port = static_cast<std::uint16_t>(redis_port);
  where.timeout_ms = 1000;
  auto client = std::make_shared<shared_state::redis_client>(shared_state::redis_options{where});
  if (!client->wait_connected(5s)) {
    std::fprintf(stderr, "shared_budget_bench: redis on 127.0.0.1:%d does not answer\n", redis_port);
    return 1;
  }
  policy::memory_budget_store memory;
  shared_state::redis_budget_store shared(client, {}, std::make_shared<policy::shared_health>());

  std::printf("budget work per vendor call (reserve + settle), %d calls each\n\n", n);
  std::printf(
      "| store | io threads | p50 us | p99 us | mean us | calls/s |\n| --- | --- | --- | --- | --- | --- "
      "|\n");
  for (int threads : {1, 4}) {
    for (auto* which :
         {static_cast<policy::budget_store*>(&memory), static_cast<policy::budget_store*>(&shared)}) {
      const auto f = measure(*which, n, threads);
      std::printf("| %s | %d | %.1f | %.1f | %.1f | %.0f |\n",
                  which == &memory ? "memory" : "redis (loopback)", threads, f.p50, f.p99, f.mean,
                  f.calls_per_s);
    }
  }
  client.reset();
  if (redis > 0) {
    kill(redis, SIGTERM);
    waitpid(redis, nullptr, 0);
  }
  return 0;
}
