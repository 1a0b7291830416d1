#include "tests/integration/redis_server.hpp"

#include "tests/integration/loopback.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace cgw::testing {
namespace {

// With `ping`, ready means answering PING (-NOAUTH is an answer too); without, accepting.
bool ready(std::uint16_t port, bool ping) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  if (ok && ping) {
    const char command[] = "PING\r\n";
    char buf[16] = {};
    timeval tv{0, 200'000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ok = write(fd, command, sizeof command - 1) == sizeof command - 1 && read(fd, buf, sizeof buf - 1) > 0 &&
         (std::string(buf).starts_with("+PONG") || std::string(buf).starts_with("-NOAUTH"));
  }
  close(fd);
  return ok;
}

}  // namespace

redis_server::redis_server(std::vector<std::string> extra, bool tls)
    : port_(free_loopback_port()), extra_(std::move(extra)), tls_(tls) {
  start();
}

redis_server::~redis_server() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
}

void redis_server::kill_hard() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void redis_server::start() {
  const std::string port = std::to_string(port_);
  std::vector<std::string> args{"/usr/bin/redis-server",
                                tls_ ? "--tls-port" : "--port",
                                port,
                                "--bind",
                                "127.0.0.1",
                                "--save",
                                "",
                                "--appendonly",
                                "no",
                                "--daemonize",
                                "no",
                                "--loglevel",
                                "warning",
                                "--logfile",
                                "/dev/null",
                                "--protected-mode",
                                "yes"};
  if (tls_) args.insert(args.end(), {"--port", "0"});
  args.insert(args.end(), extra_.begin(), extra_.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ASSERT_EQ(posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ), 0)
      << "redis-server is not installed: run deploy/install-deps.sh";
  for (int i = 0; i < 250; ++i) {  // at most 5 s
    if (ready(port_, !tls_)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  FAIL() << "redis-server did not answer on port " << port_;
}

}  // namespace cgw::testing
