// The operator's configuration (spec/configuration.md), as plain structs with
// defaults. A loaded configuration is frozen into a shared_ptr<const gateway_config>;
// a reload swaps the pointer and requests keep the one they started with.
#pragma once

#include "config/secret.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

namespace cgw::config {

struct listen_config {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;
};

struct cors_config {
  std::vector<std::string> allowed_origins;  // scheme://host[:port]; empty allows none
  std::vector<std::string> allowed_headers = {
      "Authorization", "X-API-Key", "Content-Type", "X-Request-Id", "X-Request-Timeout-Ms", "traceparent"};
  std::uint32_t max_age_s = 600;
};

struct server_config {
  unsigned threads = 0;  // 0: one per core
  std::uint32_t max_header_bytes = 16 * 1024;
  std::uint32_t max_body_bytes = 64 * 1024;  // GET-only API: bodies are refused above this
  std::uint32_t read_timeout_ms = 10'000;    // a request must arrive whole within this
  std::uint32_t idle_timeout_ms = 60'000;    // keep-alive connection idle limit
  std::uint32_t shutdown_grace_ms = 10'000;  // in-flight requests get this long on SIGTERM
  std::uint32_t max_connections = 10'000;
  std::uint32_t max_in_flight = 1024;          // requests in flight per process; beyond: 503 overloaded
  std::uint32_t header_timeout_ms = 10'000;    // the header section must arrive within this of its first byte
  std::uint32_t max_connections_per_ip = 256;  // further connections from one address are refused
};

struct logging_config {
  std::string level = "info";   // trace, debug, info, warn, error
  std::string format = "json";  // json or text
};

// A token bucket per client: `requests_per_s` refill, `burst` capacity.
struct client_rate_limit {
  double requests_per_s = 0;
  double burst = 0;
};

struct client_config {
  std::string name;
  std::array<std::uint8_t, 32> key_sha256{};
  std::string tenant;
  std::optional<client_rate_limit> rate_limit;  // absent: no limit
};

struct tenant_config {
  std::vector<std::string> vendors;
};

struct vendor_auth {
  secret bearer_token;  // Bearer schemes
  secret username;      // HTTP Basic schemes
  secret password;
};

// Retries of idempotent vendor reads (connection failures, 429, 502, 503, 504).
struct retry_config {
  std::uint32_t max_attempts = 3;     // the first call included; 1 disables retries
  std::uint32_t base_delay_ms = 50;   // full-jitter exponential backoff: up to base * 2^n
  std::uint32_t max_delay_ms = 2000;  // ... capped here (a vendor's Retry-After may ask for more)
  std::uint32_t budget_percent = 20;  // retries allowed per 100 first calls, so an outage is not multiplied
};

// A token bucket per vendor account: `points` per `per_s` seconds, kept in step with what the vendor
// reports of its own budget. points 0: no budget.
struct rate_limit_config {
  std::uint32_t points = 0;
  std::uint32_t per_s = 60;
};

struct circuit_config {
  std::uint32_t failure_threshold = 5;  // consecutive failures that open the circuit
  std::uint32_t open_ms = 10'000;       // how long it stays open before one probe is let through
};

struct vendor_config {
  std::string name;  // the map key: the vendor instance name in unified ids
  std::string type;  // an adapter type registered in the adapter registry
  std::string base_url;
  vendor_auth auth;
  std::uint32_t timeout_ms = 2000;
  std::string ca_file;  // https only: verify against this CA instead of the system store
  std::uint32_t max_response_bytes = 8 << 20;  // a larger vendor answer is an upstream error
  std::uint32_t max_connections = 32;          // idle keep-alive connections kept per io thread
  std::uint32_t scan_limit = 10'000;           // records read at most when the vendor cannot sort natively
  retry_config retry;
  std::optional<rate_limit_config> rate_limit;  // absent: the adapter type's documented budget
  std::optional<std::uint32_t>
      max_concurrency;  // vendor requests at once per account; absent: the type's, 0: none
  circuit_config circuit;
  std::optional<std::uint32_t> cache_ttl_ms;  // absent: cache.ttl_ms
  boost::json::object options;                // type-specific settings, validated by the adapter
};

// Vendor answers kept for a short time, shared by every request (and coalesced while in flight).
struct cache_config {
  std::uint32_t ttl_ms = 15'000;          // 0: no cache (identical calls in flight are still made once)
  std::uint64_t max_bytes = 32ull << 20;  // least recently used answers go first
};

// Where the fleet keeps what its replicas share (spec deployment.md): Redis.
struct redis_config {
  std::string url;  // as written: redis://[user@]host[:port][/db], or rediss:// (TLS, verified)
  bool tls = false;
  std::string host;
  std::uint16_t port = 6379;
  unsigned db = 0;
  std::string username;  // AUTH username (Redis 6 ACLs); empty: the default user
  secret password;       // AUTH; typically ${file:/run/secrets/...}
  std::string ca_file;   // rediss only: verify against this CA instead of the system store
  std::string key_prefix = "cgw:";
  std::uint32_t timeout_ms = 50;  // each Redis operation at most (and never past the request's deadline)
};

struct shared_state_config {
  std::optional<redis_config> redis;    // absent: every replica keeps its state in its own memory
  std::uint32_t expected_replicas = 1;  // each replica's share of a limit while Redis cannot be reached
};

struct gateway_config {
  listen_config listen;
  secret cursor_secret;
  std::uint32_t request_deadline_ms = 5000;
  cors_config cors;
  cache_config cache;
  server_config server;
  logging_config logging;
  std::vector<client_config> clients;
  std::map<std::string, tenant_config> tenants;
  std::map<std::string, vendor_config> vendors;  // ordered by name: a stable fan-out order
  shared_state_config shared_state;
};

using config_ptr = std::shared_ptr<const gateway_config>;

}  // namespace cgw::config
