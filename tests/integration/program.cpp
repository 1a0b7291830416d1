#include "tests/integration/program.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <boost/json/parse.hpp>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace cgw::testing {

const std::string gateway_binary = std::string(CGW_BINARY_DIR) + "/bin/conversation-gateway";

struct child::drain {
  mutable std::mutex mutex;
  std::vector<std::string> kept;
  std::thread thread;
};

child::child(child&& other) noexcept : pid(other.pid), err(other.err), drain_(std::move(other.drain_)) {
  other.pid = -1;
  other.err = nullptr;
}

child child::spawn(const std::vector<std::string>& args) {
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

std::string child::line_with(const std::string& needle) {
  char buf[8192];
  while (fgets(buf, sizeof buf, err))
    if (std::string(buf).find(needle) != std::string::npos) return buf;
  return {};
}

void child::keep_draining(const std::string& keep) {
  drain_ = std::make_shared<drain>();
  drain_->thread = std::thread([d = drain_, f = err, keep] {
    char buf[8192];
    while (fgets(buf, sizeof buf, f)) {  // ends when the program's stderr closes (it exited)
      if (std::string_view(buf).find(keep) == std::string_view::npos) continue;
      std::lock_guard lock(d->mutex);
      d->kept.emplace_back(buf);
    }
  });
}

std::vector<std::string> child::lines_kept() const {
  if (!drain_) return {};
  std::lock_guard lock(drain_->mutex);
  return drain_->kept;
}

int child::wait_exit() {
  int status = 0;
  waitpid(pid, &status, 0);
  pid = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

child::~child() {
  if (pid > 0) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  if (drain_ && drain_->thread.joinable()) drain_->thread.join();  // the pipe is at its end now
  if (err) fclose(err);
}

std::string write_config(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

void replace_file(const std::string& path, const std::string& text) {
  std::ofstream(path + ".next") << text;
  std::filesystem::rename(path + ".next", path);
}

std::string at_info(std::string text) {
  // CGW_TEST_LOG_LEVEL=debug leaves no "warn" to raise: debug says more than info already.
  if (auto at = text.find(R"("level": "warn")"); at != std::string::npos) text.replace(at, 15, R"("level": "info")");
  return text;
}

std::uint16_t listening_port(child& gw) {
  const auto line = gw.line_with("\"listening\"");
  return line.empty() ? 0 : static_cast<std::uint16_t>(boost::json::parse(line).at("port").as_int64());
}

}  // namespace cgw::testing
