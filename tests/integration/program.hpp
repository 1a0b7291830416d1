// The real conversation-gateway program as a child process of a test: started with its
// arguments, its stderr (the logs) readable line by line, killed if the test did not stop it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <sys/types.h>

namespace cgw::testing {

// The binary the build made beside the tests.
extern const std::string gateway_binary;

struct child {
  pid_t pid = -1;
  int err = -1;         // the program's stderr (its logs)
  std::string pending;  // read from it, not yet returned

  child() = default;
  child(child&& other) noexcept;
  child& operator=(child&&) = delete;
  ~child();  // SIGKILL if still running; stops the drain

  // Starts the program with `args`; its stderr is read by line_with() or keep_draining().
  static child spawn(const std::vector<std::string>& args);
  // The next log line containing `needle`; empty at the end of the output or after `limit` (a line
  // that never comes fails the test instead of hanging it).
  std::string line_with(const std::string& needle,
                        std::chrono::milliseconds limit = std::chrono::seconds(30));
  // From now on a thread reads the logs (so a chatty program never blocks on a full pipe) and
  // keeps the lines containing `keep`; lines_kept() returns them so far.
  void keep_draining(const std::string& keep);
  std::vector<std::string> lines_kept() const;
  int wait_exit();  // the exit code, or 128 + the signal

 private:
  struct drain;
  std::shared_ptr<drain> drain_;
};

// Writes a file in the test's temporary directory; returns its path.
std::string write_config(const std::string& name, const std::string& text);
// Replaces a configuration file at once (write aside, then rename), as an operator's deploy
// should: a SIGHUP never reads half a file.
void replace_file(const std::string& path, const std::string& text);
// The configuration text with logging at info level (the harness's default is warn).
std::string at_info(std::string text);
// The port a started program names in its "listening" line; 0 when it never listened.
std::uint16_t listening_port(child& gw);

}  // namespace cgw::testing
