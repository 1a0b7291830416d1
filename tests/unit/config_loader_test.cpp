#include "config/loader.hpp"

#include "adapters/module.hpp"
#include "gateway/adapter/adapter.hpp"

#include <array>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdio>
#include <fstream>

namespace cgw::config {
namespace {

namespace json = boost::json;

// Every key set, and set to something other than its default, so that each one visibly lands.
constexpr std::string_view full_config = R"({
  "listen": { "address": "0.0.0.0", "port": 9443 },
  "cursor_secret": "unit-test-cursor-secret-0123456789abcdef",
  "request_deadline_ms": 7000,
  "cors": {
    "allowed_origins": ["https://dashboards.example", "http://Localhost:3000"],
    "allowed_headers": ["Authorization", "X-Custom"],
    "max_age_s": 0
  },
  "server": {
    "threads": 3,
    "max_header_bytes": 1001,
    "max_body_bytes": 1002,
    "read_timeout_ms": 1003,
    "idle_timeout_ms": 1004,
    "shutdown_grace_ms": 1005,
    "max_connections": 1006,
    "max_in_flight": 1007,
    "header_timeout_ms": 1008,
    "max_connections_per_ip": 1009
  },
  "logging": { "level": "warn", "format": "text" },
  "clients": [
    { "name": "dashboards",
      "key_sha256": "31fef8ba06f007497d5544de1c5dfe75608177acf81f7daa6e0fc33e2cc17adb", "tenant": "acme",
      "rate_limit": { "requests_per_s": 0.5, "burst": 3 } },
    { "name": "reports",
      "key_sha256": "F419A5D2391693CD94732479418A1B59054794A32E82CF25E93F4235ED84914F", "tenant": "support" }
  ],
  "tenants": {
    "acme": { "vendors": ["salesloft", "twilio_flex", "zild"] },
    "support": { "vendors": ["twilio_flex"] }
  },
  "vendors": {
    "salesloft": {
      "type": "salesloft",
      "base_url": "https://api.salesloft.example/v2/",
      "auth": { "bearer_token": "${SALESLOFT_API_KEY}" },
      "timeout_ms": 2500,
      "ca_file": "/etc/ssl/salesloft-ca.pem",
      "max_response_bytes": 2001,
      "max_connections": 2002,
      "scan_limit": 2003,
      "options": { "page_size": 100, "fields": ["a", "${OPTION_FIELD}"] }
    },
    "twilio_flex": {
      "type": "twilio_flex_insights",
      "base_url": "http://127.0.0.1:9102",
      "auth": { "username": "flex-user-literal", "password": "flex-password-literal" }
    },
    "zild": {
      "type": "zild",
      "base_url": "http://[::1]:9104",
      "auth": { "bearer_token": "zild-token-literal" }
    }
  }
})";

constexpr std::string_view cursor_secret_value = "unit-test-cursor-secret-0123456789abcdef";

const std::map<std::string, std::string, std::less<>>& test_variables() {
  static const std::map<std::string, std::string, std::less<>> variables{
      {"SALESLOFT_API_KEY", "salesloft-key-from-env"},
      {"OPTION_FIELD", "b"},
  };
  return variables;
}

std::optional<std::string> test_env(std::string_view name) {
  const auto& variables = test_variables();
  if (auto found = variables.find(name); found != variables.end()) return found->second;
  return std::nullopt;
}

// The vendor types the built-in adapter registry knows, as the program wires it.
bool registered_type(std::string_view type) {
  static const adapter::registry types = [] {
    adapter::registry r;
    adapters::register_adapters(r);
    return r;
  }();
  return types.knows(type);
}

load_options test_options() {
  load_options options;
  options.known_vendor_type = registered_type;
  options.env = test_env;
  return options;
}

// Every secret the full configuration holds, literal or substituted: no error message may contain one.
const std::vector<std::string>& full_config_secrets() {
  static const std::vector<std::string> secrets{std::string(cursor_secret_value), "salesloft-key-from-env",
                                                "flex-user-literal", "flex-password-literal",
                                                "zild-token-literal"};
  return secrets;
}

std::string to_hex(const std::array<std::uint8_t, 32>& bytes) {
  constexpr std::string_view digits = "0123456789abcdef";
  std::string hex;
  for (auto byte : bytes) {
    hex += digits[byte >> 4];
    hex += digits[byte & 0x0f];
  }
  return hex;
}

// The loaded configuration, or nullptr after reporting why it did not load.
config_ptr load_ok(std::string_view text, const load_options& options) {
  auto loaded = load_text(text, options);
  if (!loaded) {
    ADD_FAILURE() << loaded.error().message;
    return nullptr;
  }
  return *loaded;
}

// ---- Successful loads -------------------------------------------------------------------------------

TEST(config_loader, full_config_fields_land) {
  const config_ptr loaded = load_ok(full_config, test_options());
  ASSERT_TRUE(loaded);
  const gateway_config& config = *loaded;

  EXPECT_EQ(config.listen.address, "0.0.0.0");
  EXPECT_EQ(config.listen.port, 9443);
  EXPECT_EQ(config.cursor_secret.reveal(), cursor_secret_value);
  EXPECT_EQ(config.request_deadline_ms, 7000u);

  EXPECT_EQ(config.cors.allowed_origins,
            (std::vector<std::string>{"https://dashboards.example", "http://localhost:3000"}));
  EXPECT_EQ(config.cors.allowed_headers, (std::vector<std::string>{"Authorization", "X-Custom"}));
  EXPECT_EQ(config.cors.max_age_s, 0u);

  EXPECT_EQ(config.server.threads, 3u);
  EXPECT_EQ(config.server.max_header_bytes, 1001u);
  EXPECT_EQ(config.server.max_body_bytes, 1002u);
  EXPECT_EQ(config.server.read_timeout_ms, 1003u);
  EXPECT_EQ(config.server.idle_timeout_ms, 1004u);
  EXPECT_EQ(config.server.shutdown_grace_ms, 1005u);
  EXPECT_EQ(config.server.max_connections, 1006u);
  EXPECT_EQ(config.server.max_in_flight, 1007u);
  EXPECT_EQ(config.server.header_timeout_ms, 1008u);
  EXPECT_EQ(config.server.max_connections_per_ip, 1009u);

  EXPECT_EQ(config.logging.level, "warn");
  EXPECT_EQ(config.logging.format, "text");

  ASSERT_EQ(config.clients.size(), 2u);
  EXPECT_EQ(config.clients[0].name, "dashboards");
  EXPECT_EQ(to_hex(config.clients[0].key_sha256), sha256_hex("dashboards-key"));
  EXPECT_EQ(config.clients[0].tenant, "acme");
  ASSERT_TRUE(config.clients[0].rate_limit.has_value());
  EXPECT_EQ(config.clients[0].rate_limit->requests_per_s, 0.5);
  EXPECT_EQ(config.clients[0].rate_limit->burst, 3.0);
  EXPECT_FALSE(config.clients[1].rate_limit.has_value());  // absent: no limit
  EXPECT_EQ(config.clients[1].name, "reports");
  EXPECT_EQ(to_hex(config.clients[1].key_sha256), sha256_hex("reports-key"));  // upper-case hex accepted
  EXPECT_EQ(config.clients[1].tenant, "support");

  ASSERT_EQ(config.tenants.size(), 2u);
  EXPECT_EQ(config.tenants.at("acme").vendors,
            (std::vector<std::string>{"salesloft", "twilio_flex", "zild"}));
  EXPECT_EQ(config.tenants.at("support").vendors, (std::vector<std::string>{"twilio_flex"}));

  ASSERT_EQ(config.vendors.size(), 3u);
  const vendor_config& salesloft = config.vendors.at("salesloft");
  EXPECT_EQ(salesloft.name, "salesloft");
  EXPECT_EQ(salesloft.type, "salesloft");
  EXPECT_EQ(salesloft.base_url, "https://api.salesloft.example/v2");
  EXPECT_EQ(salesloft.auth.bearer_token.reveal(), "salesloft-key-from-env");
  EXPECT_TRUE(salesloft.auth.username.empty());
  EXPECT_TRUE(salesloft.auth.password.empty());
  EXPECT_EQ(salesloft.timeout_ms, 2500u);
  EXPECT_EQ(salesloft.ca_file, "/etc/ssl/salesloft-ca.pem");
  EXPECT_EQ(salesloft.max_response_bytes, 2001u);
  EXPECT_EQ(salesloft.max_connections, 2002u);
  EXPECT_EQ(salesloft.scan_limit, 2003u);
  EXPECT_EQ(json::value(salesloft.options), json::parse(R"({"page_size": 100, "fields": ["a", "b"]})"));

  const vendor_config& flex = config.vendors.at("twilio_flex");
  EXPECT_EQ(flex.name, "twilio_flex");
  EXPECT_EQ(flex.type, "twilio_flex_insights");
  EXPECT_EQ(flex.base_url, "http://127.0.0.1:9102");
  EXPECT_TRUE(flex.auth.bearer_token.empty());
  EXPECT_EQ(flex.auth.username.reveal(), "flex-user-literal");
  EXPECT_EQ(flex.auth.password.reveal(), "flex-password-literal");

  EXPECT_EQ(config.vendors.at("zild").base_url, "http://[::1]:9104");
}

TEST(config_loader, defaults_apply_to_absent_keys) {
  constexpr std::string_view text = R"({
    "cursor_secret": "unit-test-cursor-secret-0123456789abcdef",
    "vendors": {
      "zild": { "type": "zild", "base_url": "http://127.0.0.1:1", "auth": { "bearer_token": "t" } }
    }
  })";
  const config_ptr loaded = load_ok(text, test_options());
  ASSERT_TRUE(loaded);
  const gateway_config& config = *loaded;
  const gateway_config defaults;
  EXPECT_EQ(config.listen.address, defaults.listen.address);
  EXPECT_EQ(config.listen.port, defaults.listen.port);
  EXPECT_EQ(config.request_deadline_ms, defaults.request_deadline_ms);
  EXPECT_EQ(config.cors.allowed_origins, defaults.cors.allowed_origins);
  EXPECT_EQ(config.cors.allowed_headers, defaults.cors.allowed_headers);
  EXPECT_EQ(config.cors.max_age_s, defaults.cors.max_age_s);
  EXPECT_EQ(config.server.threads, defaults.server.threads);
  EXPECT_EQ(config.server.max_header_bytes, defaults.server.max_header_bytes);
  EXPECT_EQ(config.server.max_body_bytes, defaults.server.max_body_bytes);
  EXPECT_EQ(config.server.read_timeout_ms, defaults.server.read_timeout_ms);
  EXPECT_EQ(config.server.idle_timeout_ms, defaults.server.idle_timeout_ms);
  EXPECT_EQ(config.server.shutdown_grace_ms, defaults.server.shutdown_grace_ms);
  EXPECT_EQ(config.server.max_connections, defaults.server.max_connections);
  EXPECT_EQ(config.server.max_in_flight, 1024u);
  EXPECT_EQ(config.server.header_timeout_ms, 10'000u);
  EXPECT_EQ(config.server.max_connections_per_ip, 256u);
  EXPECT_EQ(config.logging.level, defaults.logging.level);
  EXPECT_EQ(config.logging.format, defaults.logging.format);
  EXPECT_TRUE(config.clients.empty());
  EXPECT_TRUE(config.tenants.empty());

  const vendor_config vendor_defaults;
  const vendor_config& zild = config.vendors.at("zild");
  EXPECT_EQ(zild.timeout_ms, vendor_defaults.timeout_ms);
  EXPECT_EQ(zild.ca_file, vendor_defaults.ca_file);
  EXPECT_EQ(zild.max_response_bytes, vendor_defaults.max_response_bytes);
  EXPECT_EQ(zild.max_connections, vendor_defaults.max_connections);
  EXPECT_EQ(zild.scan_limit, vendor_defaults.scan_limit);
  EXPECT_EQ(zild.retry.max_attempts, vendor_defaults.retry.max_attempts);
  EXPECT_FALSE(zild.rate_limit.has_value());       // the adapter type's own budget applies
  EXPECT_FALSE(zild.max_concurrency.has_value());  // ... and its concurrency limit
  EXPECT_FALSE(zild.cache_ttl_ms.has_value());     // cache.ttl_ms applies
  EXPECT_EQ(zild.circuit.failure_threshold, vendor_defaults.circuit.failure_threshold);
  EXPECT_EQ(config.cache.ttl_ms, defaults.cache.ttl_ms);
  EXPECT_EQ(config.cache.max_bytes, defaults.cache.max_bytes);
  EXPECT_TRUE(zild.options.empty());
}

TEST(config_loader, secrets_can_come_from_files_and_are_read_again_on_every_load) {
  const std::string file = ::testing::TempDir() + "cgw_secret_token";
  std::ofstream(file) << "first-token\n";
  const std::string text = R"({
    "cursor_secret": "unit-test-cursor-secret-0123456789abcdef",
    "vendors": { "zild": { "type": "zild", "base_url": "http://127.0.0.1:1",
                           "auth": { "bearer_token": "${file:)" +
                           file + R"(}" } } }
  })";
  EXPECT_EQ(load_ok(text, test_options())->vendors.at("zild").auth.bearer_token.reveal(), "first-token");
  std::ofstream(file) << "rotated-token";
  EXPECT_EQ(load_ok(text, test_options())->vendors.at("zild").auth.bearer_token.reveal(), "rotated-token");
  std::remove(file.c_str());
  auto missing = load_text(text, test_options());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "vendors.zild.auth.bearer_token: cannot read the secret file " + file);
}

TEST(config_loader, policy_keys_land) {
  constexpr std::string_view text = R"({
    "cursor_secret": "unit-test-cursor-secret-0123456789abcdef",
    "cache": {"ttl_ms": 0, "max_bytes": 1048576},
    "vendors": {
      "zild": { "type": "zild", "base_url": "http://127.0.0.1:1", "auth": { "bearer_token": "t" },
                "retry": {"max_attempts": 5, "base_delay_ms": 10, "max_delay_ms": 80, "budget_percent": 0},
                "rate_limit": {"points": 120, "per_s": 10}, "max_concurrency": 0,
                "circuit": {"failure_threshold": 2, "open_ms": 500}, "cache_ttl_ms": 3000 }
    }
  })";
  const config_ptr loaded = load_ok(text, test_options());
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->cache.ttl_ms, 0u);
  EXPECT_EQ(loaded->cache.max_bytes, 1048576u);
  const vendor_config& zild = loaded->vendors.at("zild");
  EXPECT_EQ(zild.retry.max_attempts, 5u);
  EXPECT_EQ(zild.retry.base_delay_ms, 10u);
  EXPECT_EQ(zild.retry.max_delay_ms, 80u);
  EXPECT_EQ(zild.retry.budget_percent, 0u);
  ASSERT_TRUE(zild.rate_limit.has_value());
  EXPECT_EQ(zild.rate_limit->points, 120u);
  EXPECT_EQ(zild.rate_limit->per_s, 10u);
  EXPECT_EQ(zild.max_concurrency, 0u);
  EXPECT_EQ(zild.circuit.failure_threshold, 2u);
  EXPECT_EQ(zild.circuit.open_ms, 500u);
  EXPECT_EQ(zild.cache_ttl_ms, 3000u);
}

// A shared_state text with `redis` set to the given fragment.
std::string with_redis(std::string_view redis) {
  return R"({"cursor_secret": "unit-test-cursor-secret-0123456789abcdef",
             "shared_state": {"expected_replicas": 3, "redis": )" +
         std::string(redis) + "}}";
}

TEST(config_loader, shared_state_keys_land) {
  const config_ptr loaded = load_ok(with_redis(R"({"url": "rediss://cgw@redis.internal:6380/2",
      "password": "redis-password-literal", "key_prefix": "gw:", "timeout_ms": 40, "ca_file": "/etc/ca.pem"})"),
                                    test_options());
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->shared_state.expected_replicas, 3u);
  ASSERT_TRUE(loaded->shared_state.redis);
  const auto& r = *loaded->shared_state.redis;
  EXPECT_TRUE(r.tls);
  EXPECT_EQ(r.host, "redis.internal");
  EXPECT_EQ(r.port, 6380);
  EXPECT_EQ(r.db, 2u);
  EXPECT_EQ(r.username, "cgw");
  EXPECT_EQ(r.password.reveal(), "redis-password-literal");
  EXPECT_EQ(r.key_prefix, "gw:");
  EXPECT_EQ(r.timeout_ms, 40u);
  const config_ptr plain = load_ok(with_redis(R"({"url": "redis://127.0.0.1"})"), test_options());
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->shared_state.redis->port, 6379);
  EXPECT_EQ(plain->shared_state.redis->db, 0u);
  EXPECT_EQ(plain->shared_state.redis->timeout_ms, 50u);
  const config_ptr none =
      load_ok(R"({"cursor_secret": "unit-test-cursor-secret-0123456789abcdef"})", test_options());
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->shared_state.redis);  // one process: everything in memory
  EXPECT_EQ(none->shared_state.expected_replicas, 1u);
}

TEST(config_loader, shared_state_errors_name_the_key) {
  const std::pair<std::string, std::string> cases[] = {
      {R"({"url": "http://redis"})", "shared_state.redis.url: the scheme must be redis or rediss"},
      {R"({"url": "redis://user:hunter2@redis"})", "shared_state.redis.url: must not carry a password"},
      {R"({"url": "redis://redis:0"})", "shared_state.redis.url: the port is not a number from 1 to 65535"},
      {R"({"url": "redis://redis/db"})", "shared_state.redis.url: the path must be a database number"},
      {R"({"url": "redis://redis", "timeout_ms": 0})", "shared_state.redis.timeout_ms"},
      {R"({"url": "redis://redis", "ca_file": "/ca.pem"})",
       "shared_state.redis.ca_file: allowed only with a rediss"},
      {R"({"url": "redis://redis", "pasword": "x"})", "shared_state.redis.pasword: unknown key"},
      {R"({"password": "x"})", "shared_state.redis.url: required key is missing"},
  };
  for (const auto& [redis, expected] : cases) {
    auto loaded = load_text(with_redis(redis), test_options());
    ASSERT_FALSE(loaded) << redis;
    EXPECT_NE(loaded.error().message.find(expected), std::string::npos) << loaded.error().message;
    EXPECT_EQ(loaded.error().message.find("hunter2"), std::string::npos);
  }
}

TEST(config_loader, port_zero_means_any_free_port) {
  const config_ptr config =
      load_ok(R"({"listen": {"port": 0}, "cursor_secret": "unit-test-cursor-secret-0123456789abcdef"})",
              test_options());
  ASSERT_TRUE(config);
  EXPECT_EQ(config->listen.port, 0);
}

TEST(config_loader, base_url_scheme_is_lowered_and_trailing_slashes_removed) {
  constexpr std::string_view text = R"({
    "cursor_secret": "unit-test-cursor-secret-0123456789abcdef",
    "vendors": {
      "zild": { "type": "zild", "base_url": "HTTPS://Zild.example//", "auth": { "bearer_token": "t" },
                "ca_file": "ca.pem" }
    }
  })";
  const config_ptr config = load_ok(text, test_options());
  ASSERT_TRUE(config);
  EXPECT_EQ(config->vendors.at("zild").base_url, "https://Zild.example");
}

TEST(config_loader, known_vendor_type_is_injectable) {
  load_options options = test_options();
  options.known_vendor_type = [](std::string_view type) { return type == "custom"; };
  constexpr std::string_view text = R"({
    "cursor_secret": "unit-test-cursor-secret-0123456789abcdef",
    "vendors": {
      "mine": { "type": "custom", "base_url": "http://127.0.0.1:1", "auth": { "bearer_token": "t" } }
    }
  })";
  const config_ptr config = load_ok(text, options);
  ASSERT_TRUE(config);
  EXPECT_EQ(config->vendors.at("mine").type, "custom");
  EXPECT_FALSE(load_text(text, test_options()));
}

// ---- Environment substitution -----------------------------------------------------------------------

TEST(config_loader, substitutes_every_string_value_but_not_keys) {
  load_options options;
  options.env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "A") return "alpha";
    if (name == "B_2") return "${A}";  // substituted text is not scanned again
    if (name == "SECRET") return "substituted-cursor-secret-0123456789abcdef";
    return std::nullopt;
  };
  constexpr std::string_view text = R"({
    "cursor_secret": "${SECRET}",
    "vendors": {
      "zild": { "type": "zild", "base_url": "http://127.0.0.1:1",
                "auth": { "bearer_token": "x-${A}-${B_2}-${A}" },
                "options": { "${A}": [{ "deep": "${A}" }, "$A", "$", "{A}"] } }
    }
  })";
  const config_ptr config = load_ok(text, options);
  ASSERT_TRUE(config);
  EXPECT_EQ(config->cursor_secret.reveal(), "substituted-cursor-secret-0123456789abcdef");
  EXPECT_EQ(config->vendors.at("zild").auth.bearer_token.reveal(), "x-alpha-${A}-alpha");
  EXPECT_EQ(json::value(config->vendors.at("zild").options),
            json::parse(R"({ "${A}": [{ "deep": "alpha" }, "$A", "$", "{A}"] })"));
}

TEST(config_loader, default_env_reads_the_process_environment) {
  ASSERT_EQ(::setenv("CGW_CONFIG_LOADER_TEST_VARIABLE", "from-process", 1), 0);
  EXPECT_EQ(process_environment("CGW_CONFIG_LOADER_TEST_VARIABLE"), "from-process");
  ASSERT_EQ(::unsetenv("CGW_CONFIG_LOADER_TEST_VARIABLE"), 0);
  EXPECT_EQ(process_environment("CGW_CONFIG_LOADER_TEST_VARIABLE"), std::nullopt);
}

// ---- Errors -----------------------------------------------------------------------------------------

// One change to the parsed full configuration.
using edit = std::function<void(json::value&)>;

// Sets the member or element a JSON pointer names; its parent must exist.
edit set(std::string pointer, json::value value) {
  return [pointer = std::move(pointer), value = std::move(value)](json::value& root) {
    const auto slash = pointer.rfind('/');
    json::value& parent = slash == 0 ? root : root.at_pointer(pointer.substr(0, slash));
    const std::string key = pointer.substr(slash + 1);
    if (parent.is_array())
      parent.as_array().at(std::stoul(key)) = value;
    else
      parent.as_object()[key] = value;
  };
}

edit erase(std::string pointer) {
  return [pointer = std::move(pointer)](json::value& root) {
    const auto slash = pointer.rfind('/');
    json::value& parent = slash == 0 ? root : root.at_pointer(pointer.substr(0, slash));
    parent.as_object().erase(pointer.substr(slash + 1));
  };
}

json::value parsed(std::string_view text) {
  return json::parse(text);
}

struct error_case {
  const char* name;
  std::vector<edit> edits;
  std::string message;          // the whole expected message; its key path is what precedes ": "
  std::string leaked_secret{};  // a secret value the case introduces, which the message must not contain
};

std::ostream& operator<<(std::ostream& out, const error_case& c) {
  return out << c.name;
}

const std::string no_clients_message =
    "clients: a configuration without clients is allowed only when listen.address is a loopback address";
const std::string positive = "expected a positive integer";
const std::string http_url = "expected an absolute http or https URL";
const std::string auth_forms = "expected either bearer_token, or both username and password";
const std::string hex_key = "expected 64 hexadecimal characters (the SHA-256 of the key)";

const std::vector<error_case> error_cases{
    // Shape and unknown keys.
    {"document_not_object", {[](json::value& root) { root = json::array{}; }}, "config: expected an object"},
    {"unknown_top_level_key", {set("/thredas", 4)}, "thredas: unknown key"},
    {"unknown_nested_key", {set("/server/thredas", 4)}, "server.thredas: unknown key"},
    {"unknown_vendor_key", {set("/vendors/salesloft/timeout", 5)}, "vendors.salesloft.timeout: unknown key"},
    {"retry_zero_attempts",
     {set("/vendors/salesloft/retry", json::object{{"max_attempts", 0}})},
     "vendors.salesloft.retry.max_attempts: expected a positive integer"},
    {"retry_cap_below_base",
     {set("/vendors/salesloft/retry", json::object{{"base_delay_ms", 500}, {"max_delay_ms", 100}})},
     "vendors.salesloft.retry.max_delay_ms: must not be below base_delay_ms"},
    {"rate_limit_without_points",
     {set("/vendors/salesloft/rate_limit", json::object{{"per_s", 60}})},
     "vendors.salesloft.rate_limit.points: required key is missing"},
    {"circuit_unknown_key",
     {set("/vendors/salesloft/circuit", json::object{{"threshold", 3}})},
     "vendors.salesloft.circuit.threshold: unknown key"},
    {"negative_cache_ttl",
     {set("/vendors/salesloft/cache_ttl_ms", -1)},
     "vendors.salesloft.cache_ttl_ms: expected a non-negative integer"},
    {"cache_bytes_text",
     {set("/cache", json::object{{"max_bytes", "64MiB"}})},
     "cache.max_bytes: expected a non-negative integer"},
    {"unknown_auth_key", {set("/vendors/zild/auth/token", "x")}, "vendors.zild.auth.token: unknown key"},
    {"unknown_client_key", {set("/clients/1/role", "admin")}, "clients[1].role: unknown key"},
    {"unknown_tenant_key",
     {set("/tenants/acme/clients", json::array{})},
     "tenants.acme.clients: unknown key"},
    {"listen_not_object", {set("/listen", "0.0.0.0:80")}, "listen: expected an object"},
    {"server_not_object", {set("/server", json::array{})}, "server: expected an object"},
    {"vendors_not_object", {set("/vendors", json::array{})}, "vendors: expected an object"},
    {"vendor_not_object", {set("/vendors/zild", "zild")}, "vendors.zild: expected an object"},
    {"options_not_object",
     {set("/vendors/zild/options", json::array{})},
     "vendors.zild.options: expected an object"},

    // Integers.
    {"timeout_string",
     {set("/vendors/salesloft/timeout_ms", "2000")},
     "vendors.salesloft.timeout_ms: " + positive},
    {"timeout_zero", {set("/vendors/salesloft/timeout_ms", 0)}, "vendors.salesloft.timeout_ms: " + positive},
    {"timeout_negative",
     {set("/vendors/salesloft/timeout_ms", -5)},
     "vendors.salesloft.timeout_ms: " + positive},
    {"timeout_fraction",
     {set("/vendors/salesloft/timeout_ms", 2.5)},
     "vendors.salesloft.timeout_ms: " + positive},
    {"timeout_boolean",
     {set("/vendors/salesloft/timeout_ms", true)},
     "vendors.salesloft.timeout_ms: " + positive},
    {"timeout_above_32_bits",
     {set("/vendors/salesloft/timeout_ms", 4294967296u)},
     "vendors.salesloft.timeout_ms: must be at most 4294967295"},
    {"deadline_zero", {set("/request_deadline_ms", 0)}, "request_deadline_ms: " + positive},
    {"server_limit_zero", {set("/server/max_body_bytes", 0)}, "server.max_body_bytes: " + positive},
    {"threads_negative", {set("/server/threads", -1)}, "server.threads: expected a non-negative integer"},
    {"max_in_flight_zero", {set("/server/max_in_flight", 0)}, "server.max_in_flight: " + positive},
    {"max_in_flight_fraction", {set("/server/max_in_flight", 1.5)}, "server.max_in_flight: " + positive},
    {"header_timeout_zero", {set("/server/header_timeout_ms", 0)}, "server.header_timeout_ms: " + positive},
    {"header_timeout_string",
     {set("/server/header_timeout_ms", "10s")},
     "server.header_timeout_ms: " + positive},
    {"per_ip_negative",
     {set("/server/max_connections_per_ip", -3)},
     "server.max_connections_per_ip: " + positive},
    {"client_rate_limit_not_object",
     {set("/clients/0/rate_limit", 50)},
     "clients[0].rate_limit: expected an object"},
    {"client_rate_zero",
     {set("/clients/0/rate_limit", json::object{{"requests_per_s", 0}, {"burst", 5}})},
     "clients[0].rate_limit.requests_per_s: expected a positive number"},
    {"client_rate_negative",
     {set("/clients/1/rate_limit", json::object{{"requests_per_s", -2.5}, {"burst", 5}})},
     "clients[1].rate_limit.requests_per_s: expected a positive number"},
    {"client_rate_text",
     {set("/clients/0/rate_limit", json::object{{"requests_per_s", "50/s"}, {"burst", 5}})},
     "clients[0].rate_limit.requests_per_s: expected a positive number"},
    {"client_burst_below_one",
     {set("/clients/0/rate_limit", json::object{{"requests_per_s", 5}, {"burst", 0.5}})},
     "clients[0].rate_limit.burst: expected a number of at least 1"},
    {"client_burst_missing",
     {set("/clients/0/rate_limit", json::object{{"requests_per_s", 5}})},
     "clients[0].rate_limit.burst: required key is missing"},
    {"client_rate_limit_unknown_key",
     {set("/clients/0/rate_limit", json::object{{"requests_per_s", 5}, {"burst", 5}, {"window_s", 1}})},
     "clients[0].rate_limit.window_s: unknown key"},
    {"max_age_null", {set("/cors/max_age_s", nullptr)}, "cors.max_age_s: expected a non-negative integer"},
    {"port_negative", {set("/listen/port", -1)}, "listen.port: expected an integer from 0 to 65535"},
    {"port_string", {set("/listen/port", "8080")}, "listen.port: expected an integer from 0 to 65535"},
    {"port_too_large", {set("/listen/port", 65536)}, "listen.port: must be at most 65535"},

    // Strings and enumerations.
    {"listen_address_hostname",
     {set("/listen/address", "gateway.example")},
     "listen.address: expected an IPv4 or IPv6 address"},
    {"log_level",
     {set("/logging/level", "verbose")},
     "logging.level: expected one of trace, debug, info, warn, error"},
    {"log_format", {set("/logging/format", "xml")}, "logging.format: expected one of json, text"},
    {"empty_ca_file",
     {set("/vendors/salesloft/ca_file", "")},
     "vendors.salesloft.ca_file: must not be empty"},

    // cursor_secret.
    {"missing_cursor_secret", {erase("/cursor_secret")}, "cursor_secret: required key is missing"},
    {"short_cursor_secret",
     {set("/cursor_secret", "short-cursor-secret-VALUE")},
     "cursor_secret: must be at least 32 bytes",
     "short-cursor-secret-VALUE"},
    {"cursor_secret_not_string",
     {set("/cursor_secret", 12345678)},
     "cursor_secret: expected a string",
     "12345678"},

    // CORS.
    {"cors_not_object", {set("/cors", true)}, "cors: expected an object"},
    {"origins_not_array",
     {set("/cors/allowed_origins", "https://a.example")},
     "cors.allowed_origins: expected an array"},
    {"origin_with_path",
     {set("/cors/allowed_origins/1", "https://a.example/app")},
     "cors.allowed_origins[1]: must not have a path (an origin is scheme://host[:port])"},
    {"origin_with_slash",
     {set("/cors/allowed_origins/0", "https://a.example/")},
     "cors.allowed_origins[0]: must not have a path (an origin is scheme://host[:port])"},
    {"origin_not_url",
     {set("/cors/allowed_origins/0", "dashboards.example")},
     "cors.allowed_origins[0]: " + http_url},
    {"origin_ftp",
     {set("/cors/allowed_origins/0", "ftp://a.example")},
     "cors.allowed_origins[0]: " + http_url},
    {"origin_not_string", {set("/cors/allowed_origins/0", 1)}, "cors.allowed_origins[0]: expected a string"},
    {"header_with_space",
     {set("/cors/allowed_headers/1", "X Custom")},
     "cors.allowed_headers[1]: expected an HTTP header name"},

    // Vendors.
    {"bad_vendor_name",
     {set("/vendors/Sales-Loft", parsed(R"({"type": "salesloft"})"))},
     "vendors.Sales-Loft: a vendor name must match [a-z0-9_]+"},
    {"vendor_name_with_colon",
     {set("/vendors/a:b", json::object{})},
     "vendors.a:b: a vendor name must match [a-z0-9_]+"},
    {"unknown_vendor_type",
     {set("/vendors/zild/type", "foo")},
     "vendors.zild.type: unknown vendor type \"foo\""},
    {"missing_vendor_type", {erase("/vendors/zild/type")}, "vendors.zild.type: required key is missing"},
    {"missing_base_url", {erase("/vendors/zild/base_url")}, "vendors.zild.base_url: required key is missing"},
    {"base_url_not_url", {set("/vendors/zild/base_url", "not a url")}, "vendors.zild.base_url: " + http_url},
    {"base_url_relative", {set("/vendors/zild/base_url", "/api")}, "vendors.zild.base_url: " + http_url},
    {"base_url_ftp",
     {set("/vendors/zild/base_url", "ftp://zild.example")},
     "vendors.zild.base_url: " + http_url},
    {"base_url_fragment",
     {set("/vendors/zild/base_url", "https://zild.example/#x")},
     "vendors.zild.base_url: " + http_url},
    {"base_url_without_host",
     {set("/vendors/zild/base_url", "http:///api")},
     "vendors.zild.base_url: expected a URL with a host"},
    {"base_url_with_query",
     {set("/vendors/zild/base_url", "https://zild.example/api?x=1")},
     "vendors.zild.base_url: must not have a query"},
    {"base_url_port_too_large",
     {set("/vendors/zild/base_url", "http://127.0.0.1:99999")},
     "vendors.zild.base_url: expected a port from 1 to 65535"},
    {"base_url_with_credentials",
     {set("/vendors/zild/base_url", "https://user:hunter2-VALUE@zild.example")},
     "vendors.zild.base_url: must not contain credentials (use auth)",
     "hunter2-VALUE"},
    {"ca_file_with_http",
     {set("/vendors/twilio_flex/ca_file", "/etc/ca.pem")},
     "vendors.twilio_flex.ca_file: allowed only with an https base_url"},

    // Vendor auth.
    {"missing_auth", {erase("/vendors/zild/auth")}, "vendors.zild.auth: required key is missing"},
    {"auth_neither_form", {set("/vendors/zild/auth", json::object{})}, "vendors.zild.auth: " + auth_forms},
    {"auth_username_only",
     {erase("/vendors/twilio_flex/auth/password")},
     "vendors.twilio_flex.auth: " + auth_forms},
    {"auth_both_forms",
     {set("/vendors/twilio_flex/auth/bearer_token", "bearer-VALUE")},
     "vendors.twilio_flex.auth: " + auth_forms,
     "bearer-VALUE"},
    {"auth_password_not_string",
     {set("/vendors/twilio_flex/auth/password", 987654321)},
     "vendors.twilio_flex.auth.password: expected a string",
     "987654321"},
    {"auth_empty_token",
     {set("/vendors/zild/auth/bearer_token", "")},
     "vendors.zild.auth.bearer_token: must not be empty"},

    // Tenants.
    {"tenant_missing_vendor",
     {set("/tenants/acme/vendors/1", "nope")},
     "tenants.acme.vendors[1]: unknown vendor \"nope\""},
    {"tenant_duplicate_vendor",
     {set("/tenants/acme/vendors/2", "salesloft")},
     "tenants.acme.vendors[2]: duplicate vendor \"salesloft\""},
    {"tenant_without_vendors",
     {set("/tenants/support/vendors", json::array{})},
     "tenants.support.vendors: must list at least one vendor"},
    {"tenant_missing_vendors_key",
     {set("/tenants/support", json::object{})},
     "tenants.support.vendors: required key is missing"},

    // Clients.
    {"clients_not_array", {set("/clients", json::object{})}, "clients: expected an array"},
    {"client_missing_tenant",
     {set("/clients/0/tenant", "ghost")},
     "clients[0].tenant: unknown tenant \"ghost\""},
    {"client_missing_name", {erase("/clients/1/name")}, "clients[1].name: required key is missing"},
    {"key_sha256_too_short", {set("/clients/0/key_sha256", "abc")}, "clients[0].key_sha256: " + hex_key},
    {"key_sha256_not_hex",
     {set("/clients/0/key_sha256", json::string(64, 'g'))},
     "clients[0].key_sha256: " + hex_key},
    {"duplicate_client_name",
     {set("/clients/1/name", "dashboards")},
     "clients[1].name: duplicate client name \"dashboards\""},
    {"duplicate_client_key",
     {set("/clients/1/key_sha256", "31FEF8BA06F007497D5544DE1C5DFE75608177ACF81F7DAA6E0FC33E2CC17ADB")},
     "clients[1].key_sha256: another client has the same key"},
    {"empty_clients_on_any_address", {set("/clients", json::array{})}, no_clients_message},
    {"absent_clients_on_any_address", {erase("/clients")}, no_clients_message},
    {"absent_clients_on_public_address",
     {erase("/clients"), set("/listen/address", "10.1.2.3")},
     no_clients_message},

    // Environment.
    {"missing_env_var",
     {set("/vendors/salesloft/auth/bearer_token", "${NOT_SET}")},
     "vendors.salesloft.auth.bearer_token: environment variable NOT_SET is not set"},
    {"missing_env_var_in_array",
     {set("/tenants/acme/vendors/0", "${ALSO_NOT_SET}")},
     "tenants.acme.vendors[0]: environment variable ALSO_NOT_SET is not set"},
    {"unterminated_reference",
     {set("/vendors/zild/auth/bearer_token", "pa${ss-VALUE")},
     "vendors.zild.auth.bearer_token: malformed ${NAME} reference",
     "pa${ss-VALUE"},
    {"empty_reference",
     {set("/cursor_secret", "${}-0123456789abcdef0123456789abcdef")},
     "cursor_secret: malformed ${NAME} reference"},
};

class config_error_test : public testing::TestWithParam<error_case> {};

TEST_P(config_error_test, names_the_key_path_and_no_secret) {
  const error_case& c = GetParam();
  json::value document = json::parse(full_config);
  for (const edit& e : c.edits) e(document);

  auto loaded = load_text(json::serialize(document), test_options());
  ASSERT_FALSE(loaded);
  const failure& error = loaded.error();
  EXPECT_EQ(error.code, errc::invalid_parameter);
  EXPECT_EQ(error.message, c.message);
  EXPECT_EQ(error.parameter, c.message.substr(0, c.message.find(": ")));
  for (const std::string& secret : full_config_secrets()) {
    EXPECT_EQ(error.message.find(secret), std::string::npos) << secret;
  }
  if (!c.leaked_secret.empty()) {
    EXPECT_EQ(error.message.find(c.leaked_secret), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(config_loader, config_error_test, testing::ValuesIn(error_cases),
                         [](const testing::TestParamInfo<error_case>& info) { return info.param.name; });

TEST(config_loader, invalid_json_names_the_line_and_column) {
  const struct {
    std::string_view text;
    std::string message;
  } cases[] = {
      {"{\n  \"listen\": {\n    \"port\": 80,\n  }\n}",
       "config: not valid JSON: syntax error (line 4, column 3)"},
      {"", "config: not valid JSON: incomplete JSON (line 1, column 1)"},
      {"{\"cursor_secret\": \"x\"", "config: not valid JSON: incomplete JSON (line 1, column 22)"},
      {"{} {}", "config: not valid JSON: extra data (line 1, column 4)"},
  };
  for (const auto& c : cases) {
    auto loaded = load_text(c.text);
    ASSERT_FALSE(loaded) << c.text;
    EXPECT_EQ(loaded.error().code, errc::invalid_parameter);
    EXPECT_EQ(loaded.error().message, c.message);
    EXPECT_EQ(loaded.error().parameter, "config");
  }
}

TEST(config_loader, unreadable_file_names_the_path) {
  const struct {
    std::string path;
    std::string message;
  } cases[] = {
      {"/nonexistent-cgw-dir/gateway.json",
       "config: cannot read /nonexistent-cgw-dir/gateway.json: No such file or directory"},
      {CGW_SOURCE_DIR "/config", "config: cannot read " CGW_SOURCE_DIR "/config: Is a directory"},
  };
  for (const auto& c : cases) {
    auto loaded = load_file(c.path);
    ASSERT_FALSE(loaded) << c.path;
    EXPECT_EQ(loaded.error().message, c.message);
    EXPECT_EQ(loaded.error().parameter, "config");
  }
}

// ---- The example files in config/ -------------------------------------------------------------------

load_options every_variable_set() {
  load_options options;
  options.env = [](std::string_view name) {
    return std::optional<std::string>(std::string(name) + "-value-from-the-test-environment");
  };
  return options;
}

TEST(config_loader, production_example_loads) {
  auto loaded = load_file(CGW_SOURCE_DIR "/config/production.json", every_variable_set());
  ASSERT_TRUE(loaded) << loaded.error().message;
  const gateway_config& config = **loaded;
  EXPECT_EQ(config.listen.address, "0.0.0.0");
  EXPECT_EQ(config.listen.port, 8080);
  EXPECT_EQ(config.cursor_secret.reveal(), "GATEWAY_CURSOR_SECRET-value-from-the-test-environment");
  EXPECT_EQ(config.cors.allowed_origins, std::vector<std::string>{"https://dashboards.internal.example"});
  ASSERT_EQ(config.clients.size(), 2u);
  EXPECT_EQ(to_hex(config.clients[0].key_sha256), sha256_hex("example-key-dashboards"));
  EXPECT_EQ(to_hex(config.clients[1].key_sha256), sha256_hex("example-key-reports"));
  EXPECT_EQ(config.tenants.at("acme").vendors.size(), 4u);
  ASSERT_EQ(config.vendors.size(), 4u);
  for (const auto& [name, vendor] : config.vendors)
    EXPECT_TRUE(vendor.base_url.starts_with("https://")) << name;
  EXPECT_EQ(config.vendors.at("salesloft").auth.bearer_token.reveal(),
            "SALESLOFT_API_KEY-value-from-the-test-environment");
  EXPECT_EQ(config.vendors.at("twilio_insights").auth.password.reveal(),
            "TWILIO_AUTH_TOKEN-value-from-the-test-environment");
}

TEST(config_loader, sandbox_example_loads) {
  auto loaded = load_file(CGW_SOURCE_DIR "/config/sandbox.json", every_variable_set());
  ASSERT_TRUE(loaded) << loaded.error().message;
  const gateway_config& config = **loaded;
  EXPECT_TRUE(is_loopback(config.listen.address));
  EXPECT_EQ(config.listen.port, 8080);
  EXPECT_TRUE(config.clients.empty());
  EXPECT_EQ(config.tenants.at("sandbox").vendors.size(), 4u);
  const std::map<std::string, std::string> types{{"salesloft", "salesloft"},
                                                 {"twilio_flex", "twilio_flex_insights"},
                                                 {"twilio_insights", "twilio_insights_v3"},
                                                 {"zild", "zild"}};
  ASSERT_EQ(config.vendors.size(), types.size());
  for (const auto& [name, type] : types) EXPECT_EQ(config.vendors.at(name).type, type);
  EXPECT_EQ(config.vendors.at("twilio_flex").base_url, "http://127.0.0.1:9102");
  EXPECT_EQ(config.vendors.at("twilio_flex").auth.username.reveal(), "ACsandbox");
  EXPECT_EQ(config.vendors.at("zild").auth.bearer_token.reveal(), "sandbox-zild-jwt");
}

// ---- Helpers ----------------------------------------------------------------------------------------

TEST(config_loader, sha256_hex_matches_known_vectors) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(config_loader, is_loopback) {
  const struct {
    std::string_view address;
    bool loopback;
  } cases[] = {
      {"127.0.0.1", true},
      {"127.255.255.254", true},
      {"::1", true},
      {"localhost", true},
      {"LocalHost", true},
      {"::ffff:127.0.0.1", true},
      {"0.0.0.0", false},
      {"::", false},
      {"10.0.0.1", false},
      {"128.0.0.1", false},
      {"::ffff:10.0.0.1", false},
      {"", false},
      {"localhost.example", false},
      {"[::1]", false},
  };
  for (const auto& c : cases) EXPECT_EQ(is_loopback(c.address), c.loopback) << c.address;
}

}  // namespace
}  // namespace cgw::config
