// What a reload may change (configuration.md, reload rules): api::check_reload, with the bound
// address given as text, so the "no clients only on loopback" rule is tested for 0.0.0.0 without
// binding anything.
#include "gateway/api/runtime.hpp"

#include <gtest/gtest.h>

namespace cgw::api {
namespace {

config::gateway_config with_client(std::string address) {
  config::gateway_config cfg;
  cfg.listen.address = std::move(address);
  cfg.clients.push_back(config::client_config{"dash", {}, "acme", std::nullopt});
  return cfg;
}

TEST(ConfigReload, AnUnchangedListenAndServerMayBeReloaded) {
  auto running = with_client("0.0.0.0");
  auto next = running;
  next.request_deadline_ms = 1234;  // what a reload is for
  next.cache.max_bytes = 1;
  EXPECT_TRUE(check_reload(running, next, "0.0.0.0"));
}

TEST(ConfigReload, DroppingClientsWhileBoundToEveryAddressIsRejected) {
  const auto running = with_client("0.0.0.0");
  auto next = running;
  next.clients.clear();
  auto checked = check_reload(running, next, "0.0.0.0");
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().parameter, "clients");
  EXPECT_NE(checked.error().message.find("bound to 0.0.0.0"), std::string::npos) << checked.error().message;
  // A file that also moves listen to loopback (which the loader accepts without clients) is judged
  // by the bound address all the same.
  next.listen.address = "127.0.0.1";
  checked = check_reload(running, next, "0.0.0.0");
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().parameter, "clients");
  // On loopback, no clients is allowed.
  const auto local = with_client("127.0.0.1");
  auto open = local;
  open.clients.clear();
  EXPECT_TRUE(check_reload(local, open, "127.0.0.1"));
}

TEST(ConfigReload, EveryListenAndServerKeyIsFixed) {
  const auto running = with_client("127.0.0.1");
  const struct {
    const char* key;
    void (*change)(config::gateway_config&);
  } cases[] = {
      {"listen.address", [](config::gateway_config& c) { c.listen.address = "127.0.0.2"; }},
      {"listen.port", [](config::gateway_config& c) { c.listen.port = 9999; }},
      {"server.threads", [](config::gateway_config& c) { c.server.threads = 7; }},
      {"server.max_header_bytes", [](config::gateway_config& c) { c.server.max_header_bytes = 1; }},
      {"server.max_body_bytes", [](config::gateway_config& c) { c.server.max_body_bytes = 1; }},
      {"server.read_timeout_ms", [](config::gateway_config& c) { c.server.read_timeout_ms = 1; }},
      {"server.idle_timeout_ms", [](config::gateway_config& c) { c.server.idle_timeout_ms = 1; }},
      {"server.shutdown_grace_ms", [](config::gateway_config& c) { c.server.shutdown_grace_ms = 1; }},
      {"server.max_connections", [](config::gateway_config& c) { c.server.max_connections = 1; }},
      {"server.max_in_flight", [](config::gateway_config& c) { c.server.max_in_flight = 1; }},
      {"server.header_timeout_ms", [](config::gateway_config& c) { c.server.header_timeout_ms = 1; }},
      {"server.max_connections_per_ip",
       [](config::gateway_config& c) { c.server.max_connections_per_ip = 1; }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.key);
    auto next = running;
    c.change(next);
    auto checked = check_reload(running, next, "127.0.0.1");
    ASSERT_FALSE(checked);
    EXPECT_EQ(checked.error().parameter, c.key);
    EXPECT_EQ(checked.error().message, std::string(c.key) + ": cannot change on reload; restart to apply");
  }
}

}  // namespace
}  // namespace cgw::api
