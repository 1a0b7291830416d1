// The real conversation-gateway program: --check-config, start-up refusals, SIGHUP reload
// (a broken file is rejected and the old configuration keeps serving), and a graceful SIGTERM
// that lets a request in flight finish.
#include "adapters/salesloft/sandbox/sandbox.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/program.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <mutex>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>
#include <boost/json/parse.hpp>

namespace cgw::testing {
namespace {

const std::string& binary = gateway_binary;

std::string salesloft_vendor(std::uint16_t port) {
  return R"({"salesloft": {"type": "salesloft", "base_url": "http://127.0.0.1:)" + std::to_string(port) +
         R"(", "auth": {"bearer_token": "sandbox-salesloft-token"}}})";
}

// A small Salesloft sandbox's logic, its per-minute budget off.
std::unique_ptr<sandbox::handler> small_salesloft(std::uint32_t records) {
  sandbox::salesloft::options opts;
  opts.records = records;
  opts.budget_per_minute = 0;
  return sandbox::salesloft::make_handler(opts);
}

// A gateway configuration in front of that sandbox, logging at info level (reloads, access lines).
std::string info_config(std::uint16_t sandbox_port) {
  return at_info(config_with(salesloft_vendor(sandbox_port)));
}

TEST(Program, CheckConfigNamesTheKey) {
  auto good = write_config("good.json", config_with(salesloft_vendor(9)));
  auto ok = child::spawn({binary, "--check-config", good});
  EXPECT_NE(ok.line_with("x"), "x");  // drain
  EXPECT_EQ(ok.wait_exit(), 0);
  auto bad = write_config("bad.json", config_with(salesloft_vendor(9)).replace(0, 1, R"({"thredas": 2,)"));
  auto refused = child::spawn({binary, "--check-config", bad});
  EXPECT_NE(refused.line_with("thredas"), "");
  EXPECT_EQ(refused.wait_exit(), 1);
}

TEST(Program, RefusesToListenEverywhereWithoutClientKeys) {
  std::string text = config_with(salesloft_vendor(9));
  text.replace(text.find("127.0.0.1"), 9, "0.0.0.0");
  auto c = child::spawn({binary, "--config", write_config("open.json", text)});
  EXPECT_NE(c.line_with("loopback"), "");
  EXPECT_EQ(c.wait_exit(), 1);
}

TEST(Program, ReloadsOnSighupAndDrainsOnSigterm) {
  sandbox::server sandbox(small_salesloft(50));
  const std::string text = info_config(sandbox.start());
  const auto path = write_config("live.json", text);
  auto gw = child::spawn({binary, "--config", path});
  const auto port = listening_port(gw);
  ASSERT_NE(port, 0);
  EXPECT_EQ(request(port, "/v1/conversations?page_size=1&sort=-created_at").status, 200u);

  // A broken file is rejected; the running configuration keeps serving.
  replace_file(path, "{ not json");
  kill(gw.pid, SIGHUP);
  EXPECT_NE(gw.line_with("reload rejected"), "");
  EXPECT_EQ(request(port, "/v1/conversations?page_size=1&sort=-created_at").status, 200u);
  // A valid new file applies: here, the tenant loses nothing but the deadline changes.
  replace_file(path, text);
  kill(gw.pid, SIGHUP);
  EXPECT_NE(gw.line_with("configuration reloaded"), "");
  auto metrics = request(port, "/metrics");
  EXPECT_NE(metrics.text.find("cgw_config_reloads_total{result=\"rejected\"} 1"), std::string::npos);
  EXPECT_NE(metrics.text.find("cgw_config_reloads_total{result=\"ok\"} 1"), std::string::npos);

  // SIGTERM while a slow request is in flight: it still gets its answer.
  sandbox::fault_menu slow;
  slow.latency_ms = 400;
  sandbox.set_faults(slow);
  auto in_flight = std::async(
      std::launch::async, [&] { return request(port, "/v1/conversations?page_size=1&sort=-created_at"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  kill(gw.pid, SIGTERM);
  EXPECT_EQ(in_flight.get().status, 200u);
  EXPECT_EQ(gw.wait_exit(), 0);
}

TEST(Program, ReloadUnderASteadyStreamLosesNoRequestAndAppliesTheNewSetting) {
  sandbox::server sandbox(small_salesloft(50));
  const std::string before = info_config(sandbox.start());
  std::string after = before;
  after.replace(after.find(R"("cache": {"ttl_ms": 0},)"), 23,
                R"("cache": {"ttl_ms": 0}, "cors": {"allowed_origins": ["https://dash.example"]},)");
  const auto path = write_config("stream.json", before);
  auto gw = child::spawn({binary, "--config", path});
  const auto port = listening_port(gw);
  ASSERT_NE(port, 0);

  // The log is read all along (a full pipe would stall the gateway); reloads are counted from it.
  std::atomic<int> reloads{0};
  std::vector<std::string> events;  // every line but the access log, shown when something fails
  std::jthread reader([&] {
    for (std::string line; !(line = gw.line_with("\n")).empty();) {
      if (line.find("configuration reloaded") != std::string::npos) ++reloads;
      if (line.find("\"access\"") == std::string::npos) events.push_back(line);
    }
  });
  auto reload_to = [&](const std::string& text, int count) {
    replace_file(path, text);
    kill(gw.pid, SIGHUP);
    for (int i = 0; i < 500 && reloads < count; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_EQ(reloads, count);
  };

  // Four clients keep asking, a new connection per request, while the file changes back and
  // forth under eleven SIGHUPs. Not one request may fail.
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0}, failed{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t)
    clients.emplace_back([&] {
      while (!stop) {
        try {
          auto res = request(port, "/v1/conversations?page_size=2&sort=-created_at",
                             {{"Origin", "https://dash.example"}});
          (res.status == 200 ? answered : failed)++;
        } catch (const std::exception& e) {
          ADD_FAILURE() << "a request was lost: " << e.what();
          ++failed;
        }
      }
    });
  for (int i = 0; i < 10; ++i) {
    reload_to(i % 2 == 0 ? after : before, i + 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  reload_to(after, 11);
  stop = true;
  for (auto& c : clients) c.join();
  EXPECT_EQ(failed, 0);
  EXPECT_GT(answered, 40);
  // The last file is in force: its CORS origin is allowed now.
  if (failed == 0) {
    auto now = request(port, "/v1/vendors", {{"Origin", "https://dash.example"}});
    EXPECT_EQ(now.headers["access-control-allow-origin"], "https://dash.example");
  }
  kill(gw.pid, SIGTERM);
  reader.join();  // the log ends when the program does
  EXPECT_EQ(gw.wait_exit(), 0);
  if (HasFailure())
    for (const auto& e : events) std::cerr << "gateway: " << e;
}

// A vendor that remembers the traceparent of every request it is sent.
struct trace_recorder final : sandbox::handler {
  explicit trace_recorder(std::unique_ptr<sandbox::handler> h) : inner(std::move(h)) {}
  sandbox::response handle(const sandbox::request& req) override {
    std::lock_guard lock(mutex);
    seen.emplace_back(req["traceparent"]);
    return inner->handle(req);
  }
  sandbox::response error(http::status s, std::string_view m) override { return inner->error(s, m); }
  sandbox::response rate_limited(std::int32_t s) override { return inner->rate_limited(s); }
  std::vector<std::string> traceparents() {
    std::lock_guard lock(mutex);
    return seen;
  }
  std::unique_ptr<sandbox::handler> inner;
  std::mutex mutex;
  std::vector<std::string> seen;
};

TEST(Program, TheTraceIdOfAClientsTraceparentIsLoggedAndSentToVendors) {
  auto recorder = std::make_unique<trace_recorder>(small_salesloft(20));
  auto* vendor = recorder.get();
  sandbox::server sandbox(std::move(recorder));
  auto gw = child::spawn({binary, "--config", write_config("trace.json", info_config(sandbox.start()))});
  const auto port = listening_port(gw);
  ASSERT_NE(port, 0);

  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  EXPECT_EQ(request(port, "/v1/conversations?page_size=1&sort=-created_at",
                    {{"traceparent", "00-" + trace + "-00f067aa0ba902b7-01"}})
                .status,
            200u);
  auto line = boost::json::parse(gw.line_with("\"access\"")).as_object();
  EXPECT_EQ(line.at("trace_id"), trace.c_str());
  const auto sent = vendor->traceparents();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].substr(0, 36), "00-" + trace + "-");  // the same trace
  EXPECT_NE(sent[0].substr(36, 16), "00f067aa0ba902b7");  // the gateway's own span
  EXPECT_EQ(sent[0].substr(52), "-01");
  EXPECT_EQ(line.at("vendors"), boost::json::array{"salesloft"});
  // A vendor failure gets its own line, with the same trace id.
  sandbox.set_faults({.error_status = 500});
  EXPECT_EQ(request(port, "/v1/conversations?page_size=1&sort=-created_at",
                    {{"traceparent", "00-" + trace + "-00f067aa0ba902b7-01"}})
                .status,
            502u);
  auto failed = boost::json::parse(gw.line_with("vendor call failed")).as_object();
  EXPECT_EQ(failed.at("trace_id"), trace.c_str());
  EXPECT_EQ(failed.at("vendor"), "salesloft");
  // Without one, a new trace is started: still 32 hex digits in the log.
  EXPECT_EQ(request(port, "/v1/vendors").status, 200u);
  auto fresh = boost::json::parse(gw.line_with("\"/v1/vendors\"")).as_object();
  EXPECT_EQ(fresh.at("trace_id").as_string().size(), 32u);
  EXPECT_NE(fresh.at("trace_id"), trace.c_str());
}

}  // namespace
}  // namespace cgw::testing
