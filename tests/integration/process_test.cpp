// The real conversation-gateway program: --check-config, start-up refusals, SIGHUP reload
// (a broken file is rejected and the old configuration keeps serving), and a graceful SIGTERM
// that lets a request in flight finish.
#include "adapters/salesloft/sandbox/sandbox.hpp"
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <future>
#include <thread>

#include <boost/json/parse.hpp>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace cgw::testing {
namespace {

const std::string binary = std::string(CGW_BINARY_DIR) + "/bin/conversation-gateway";

struct child {
  pid_t pid = -1;
  FILE* err = nullptr;  // the program's stderr (its logs)

  // Starts the program with `args`; stderr is readable through `err`.
  static child spawn(const std::vector<std::string>& args) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    child c;
    EXPECT_EQ(posix_spawn(&c.pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    c.err = fdopen(fds[0], "r");
    return c;
  }

  // The next log line containing `needle` (empty at end of output).
  std::string line_with(const std::string& needle) {
    char buf[8192];
    while (fgets(buf, sizeof buf, err))
      if (std::string(buf).find(needle) != std::string::npos) return buf;
    return {};
  }

  int wait_exit() {
    int status = 0;
    waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  ~child() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (err) fclose(err);
  }
};

std::string write_config(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

std::string salesloft_vendor(std::uint16_t port) {
  return R"({"salesloft": {"type": "salesloft", "base_url": "http://127.0.0.1:)" + std::to_string(port) +
         R"(", "auth": {"bearer_token": "sandbox-salesloft-token"}}})";
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
  sandbox::salesloft::options opts;
  opts.records = 50;
  opts.budget_per_minute = 0;
  sandbox::server sandbox(sandbox::salesloft::make_handler(opts));
  const auto sandbox_port = sandbox.start();
  std::string text = config_with(salesloft_vendor(sandbox_port));
  text.replace(text.find(R"("level": "warn")"), 15, R"("level": "info")");
  const auto path = write_config("live.json", text);
  auto gw = child::spawn({binary, "--config", path});
  auto listening = gw.line_with("\"listening\"");
  ASSERT_NE(listening, "");
  const auto port = static_cast<std::uint16_t>(boost::json::parse(listening).at("port").as_int64());
  EXPECT_EQ(request(port, "/v1/conversations?page_size=1&sort=-created_at").status, 200u);

  // A broken file is rejected; the running configuration keeps serving.
  std::ofstream(path) << "{ not json";
  kill(gw.pid, SIGHUP);
  EXPECT_NE(gw.line_with("reload rejected"), "");
  EXPECT_EQ(request(port, "/v1/conversations?page_size=1&sort=-created_at").status, 200u);
  // A valid new file applies: here, the tenant loses nothing but the deadline changes.
  std::ofstream(path) << text;
  kill(gw.pid, SIGHUP);
  EXPECT_NE(gw.line_with("configuration reloaded"), "");
  auto metrics = request(port, "/metrics");
  EXPECT_NE(metrics.text.find("cgw_config_reloads_total{result=\"rejected\"} 1"), std::string::npos);
  EXPECT_NE(metrics.text.find("cgw_config_reloads_total{result=\"ok\"} 1"), std::string::npos);

  // SIGTERM while a slow request is in flight: it still gets its answer.
  sandbox::fault_menu slow;
  slow.latency_ms = 400;
  sandbox.set_faults(slow);
  auto in_flight = std::async(std::launch::async, [&] { return request(port, "/v1/conversations?page_size=1&sort=-created_at"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  kill(gw.pid, SIGTERM);
  EXPECT_EQ(in_flight.get().status, 200u);
  EXPECT_EQ(gw.wait_exit(), 0);
}

}  // namespace
}  // namespace cgw::testing
