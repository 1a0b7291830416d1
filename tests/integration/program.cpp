#include "tests/integration/program.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <utility>

#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <boost/json/parse.hpp>

extern char** environ;

namespace cgw::testing {

const std::string gateway_binary = std::string(CGW_BINARY_DIR) + "/bin/conversation-gateway";

struct child::drain {
  mutable std::mutex mutex;
  std::vector<std::string> kept;
  std::thread thread;
};

child::child(child&& other) noexcept
    : pid(std::exchange(other.pid, -1)),
      err(std::exchange(other.err, -1)),
      pending(std::move(other.pending)),
      drain_(std::move(other.drain_)) {}

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
  c.err = fds[0];
  return c;
}

std::string child::line_with(const std::string& needle, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  for (;;) {
    for (std::size_t eol; (eol = pending.find('\n')) != std::string::npos;) {
      std::string line = pending.substr(0, eol + 1);
      pending.erase(0, eol + 1);
      if (line.find(needle) != std::string::npos) return line;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now())
            .count();
    pollfd p{err, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) return {};
    char buf[8192];
    const auto n = ::read(err, buf, sizeof buf);
    if (n <= 0) return {};
    pending.append(buf, static_cast<std::size_t>(n));
  }
}

void child::keep_draining(const std::string& keep) {
  drain_ = std::make_shared<drain>();
  drain_->thread = std::thread([d = drain_, fd = err, keep, rest = std::move(pending)]() mutable {
    char buf[8192];
    for (;;) {
      for (std::size_t eol; (eol = rest.find('\n')) != std::string::npos;) {
        if (rest.substr(0, eol).find(keep) != std::string::npos) {
          std::lock_guard lock(d->mutex);
          d->kept.push_back(rest.substr(0, eol + 1));
        }
        rest.erase(0, eol + 1);
      }
      const auto n = ::read(fd, buf, sizeof buf);  // ends when the program's stderr closes (it exited)
      if (n <= 0) return;
      rest.append(buf, static_cast<std::size_t>(n));
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
  if (err >= 0) ::close(err);
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
  if (auto at = text.find(R"("level": "warn")"); at != std::string::npos)
    text.replace(at, 15, R"("level": "info")");
  return text;
}

std::uint16_t listening_port(child& gw) {
  const auto line = gw.line_with("\"listening\"");
  return line.empty() ? 0 : static_cast<std::uint16_t>(boost::json::parse(line).at("port").as_int64());
}

}  // namespace cgw::testing
