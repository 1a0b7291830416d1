// conversation-gateway: wires configuration, adapters, service and server. Nothing else.
#include "adapters/module.hpp"
#include "config/loader.hpp"
#include "gateway/api/service.hpp"
#include "gateway/logging/logging.hpp"
#include "gateway/metrics/catalog.hpp"
#include "gateway/server/server.hpp"
#include "gateway/shared_state/stores.hpp"

#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>

#include <malloc.h>
#include <boost/asio/signal_set.hpp>

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: conversation-gateway --config FILE\n"
               "       conversation-gateway --check-config FILE\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace cgw;
  if (argc != 3 || (std::strcmp(argv[1], "--config") != 0 && std::strcmp(argv[1], "--check-config") != 0))
    return usage();
  const std::string path = argv[2];
  const bool check_only = std::strcmp(argv[1], "--check-config") == 0;
#ifndef CGW_JEMALLOC
  // Under glibc's malloc: large transient buffers (a scan's whole vendor answer and its parse) are
  // mapped on their own and go back to the system when freed: RSS follows the load instead of
  // keeping its peak. An ordinary page's buffers (a few hundred KiB) stay on the heap: mapping
  // them cost page faults on every request (-20 % single-vendor throughput at 128 KiB). jemalloc
  // returns freed pages on its own (dirty pages decay within seconds).
  mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 512 * 1024);
#endif

  adapter::registry types;
  adapters::register_adapters(types);
  config::load_options options;
  options.known_vendor_type = [&](std::string_view t) { return types.knows(t); };

  auto loaded = config::load_file(path, options);
  // A fleet's replica keeps its budgets, client limits and cache in Redis (connected in the background).
  std::optional<shared_state::fleet> fleet;
  if (loaded && (*loaded)->shared_state.redis && !check_only)
    fleet = shared_state::join_fleet(**loaded, [](bool degraded, const std::string& why) {
      if (degraded)
        logging::emit(spdlog::level::warn, "shared_state",
                      "shared state degraded: each limit falls back to this "
                      "replica's share",
                      {{"reason", why}});
      else
        logging::emit(spdlog::level::info, "shared_state", "shared state restored", {{"reason", why}});
    });
  auto rt = loaded ? api::runtime::build(*loaded, types, nullptr, fleet ? fleet->policies : nullptr)
                   : result<api::runtime_ptr>(loaded.error());
  if (!rt) {
    std::fprintf(stderr, "conversation-gateway: %s\n", rt.error().message.c_str());
    return 1;
  }
  if (check_only) {
    std::printf("%s: configuration is valid (%zu vendors, %zu clients)\n", path.c_str(),
                (*rt)->cfg->vendors.size(), (*rt)->cfg->clients.size());
    return 0;
  }
  const auto& cfg = *(*rt)->cfg;
  logging::setup(cfg.logging);

  // Signals are handled on the main thread: SIGHUP reloads, SIGTERM/SIGINT drain and stop. They are
  // caught from here on (and queued until the handler runs), so one sent as soon as "listening" is
  // logged never meets the default action, which would end the process.
  net::io_context signals_ctx;
  net::signal_set signals(signals_ctx, SIGINT, SIGTERM, SIGHUP);

  metrics::build_info.with({"0.1.0"}).set(1);
  (*rt)->commit();
  api::service service(*rt, fleet ? fleet->client_limits : nullptr);
  server::server srv(service, cfg);
  std::uint16_t port = 0;
  try {
    port = srv.start();
  } catch (const std::exception& e) {
    logging::emit(spdlog::level::critical, "gateway", "cannot listen",
                  {{"address", cfg.listen.address}, {"port", cfg.listen.port}, {"error", e.what()}});
    return 1;
  }
  logging::emit(spdlog::level::info, "gateway", "listening",
                {{"address", cfg.listen.address}, {"port", port}, {"vendors", cfg.vendors.size()}});

  std::function<void(const beast::error_code&, int)> on_signal = [&](const beast::error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      // Load, check against what the process is fixed to, build: none of it changes anything that runs.
      // Only a file that passed all three is committed (its breaker, retry and cache settings) and swapped
      // in.
      auto previous = service.current();
      auto cfg_next = config::load_file(path, options);
      auto fixed = cfg_next
                       ? api::check_reload(*previous->cfg, **cfg_next, cfg.listen.address)  // cfg: as bound
                       : result<void>(cfg_next.error());
      auto next = fixed ? api::runtime::build(*cfg_next, types, previous.get())
                        : result<api::runtime_ptr>(fixed.error());
      if (next) {
        (*next)->commit();
        service.swap(*next);
        metrics::config_reloads.with({"ok"}).add();
        logging::emit(spdlog::level::info, "config", "configuration reloaded", {{"path", path}});
      } else {
        metrics::config_reloads.with({"rejected"}).add();
        logging::emit(spdlog::level::err, "config", "reload rejected; the running configuration stays",
                      {{"path", path}, {"error", next.error().message}});
      }
      signals.async_wait(on_signal);
      return;
    }
    logging::emit(spdlog::level::info, "gateway", "draining",
                  {{"signal", sig}, {"in_flight", srv.in_flight()}});
    srv.shutdown(std::chrono::milliseconds(cfg.server.shutdown_grace_ms));
  };
  signals.async_wait(on_signal);
  signals_ctx.run();
  logging::emit(spdlog::level::info, "gateway", "stopped");
  return 0;
}
