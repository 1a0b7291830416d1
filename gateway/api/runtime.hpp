// What a request runs against: one frozen configuration and the adapters built
// from it. A reload builds a new runtime and swaps the pointer; a request keeps
// the runtime it started with.
#pragma once

#include "config/config.hpp"
#include "gateway/adapter/adapter.hpp"
#include "gateway/adapter/walk.hpp"
#include "gateway/api/answer.hpp"
#include "gateway/core/digest.hpp"
#include "gateway/net/net.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace cgw::api {

// Recent health of one vendor instance, shared by every io thread.
class vendor_health {
 public:
  void record_success(double latency_ms);
  void record_failure(const failure& f, double latency_ms);
  // {last_error, last_latency_ms, successes, failures}; last_error is "<code>: <the gateway's generic
  // message for that code>", never the vendor's text: every tenant of the vendor instance sees it.
  boost::json::object to_json() const;

 private:
  mutable std::mutex mutex_;
  double last_latency_ms_ = 0;
  std::string last_error_;
  std::uint64_t successes_ = 0, failures_ = 0;
};

struct runtime {
  config::config_ptr cfg;
  std::map<std::string, std::unique_ptr<adapter::adapter>> adapters;    // by vendor name
  std::map<std::string, std::shared_ptr<vendor_health>> health;         // by vendor name
  std::map<std::string, std::unique_ptr<policy::vendor_guard>> guards;  // by vendor name
  std::shared_ptr<policy::shared_state> policies;
  // What the vendors' pages computed (adapter/walk.hpp): mapped pages, and ordered scans by vendor
  // and query (cursor aside), so that the next pages of a scan read them instead of scanning
  // again. One configuration's: a reload starts afresh.
  std::unique_ptr<policy::memo<adapter::vendor_page>> pages =
      std::make_unique<policy::memo<adapter::vendor_page>>(config::cache_config{}.max_bytes);
  std::unique_ptr<policy::memo<adapter::scan_snapshot>> scans =
      std::make_unique<policy::memo<adapter::scan_snapshot>>(config::cache_config{}.max_bytes);
  // Whole list answers, by tenant, vendors and normalized query: identical requests in flight
  // together, or within the vendors' cache TTL, are served from one computed answer.
  std::unique_ptr<policy::memo<answer>> answers =
      std::make_unique<policy::memo<answer>>(config::cache_config{}.max_bytes);
  // The top of a vendor's transport stack; the bare client for a vendor without one (a runtime
  // assembled by hand, as unit tests do: build() gives every vendor its stack).
  const policy::transport& transport(const std::string& vendor) const {
    const auto it = guards.find(vendor);
    return it == guards.end() ? policy::client_transport() : *it->second;
  }
  std::vector<std::string> vendor_types;          // every adapter type registered (for /openapi.json)
  std::optional<digest::hmac_sha256> cursor_mac;  // keyed with cfg->cursor_secret by build()

  // Builds adapters and policies for every vendor; health, breakers, budgets and the cache
  // carry over from `previous`. Changes nothing that a running request sees: the new settings
  // of shared policies (breakers, retry budgets, cache size) wait for commit(). A failure names
  // the config key at fault.
  // `fresh`: the policies' state to start from when there is no `previous` (the fleet's stores);
  // nullptr: everything in this process's memory.
  static result<std::shared_ptr<const runtime>> build(config::config_ptr cfg, const adapter::registry& types,
                                                      const runtime* previous = nullptr,
                                                      std::shared_ptr<policy::shared_state> fresh = nullptr);

  // Applies this runtime's settings to the shared policies; called once, after every check
  // passed and just before the runtime is swapped in. Never fails.
  void commit() const;
};

using runtime_ptr = std::shared_ptr<const runtime>;

// Whether `next` may replace the running configuration `running` on reload: `listen`, every
// `server` key and `shared_state.redis.url` are fixed for the life of the process, and a configuration
// without clients needs the address the process is bound to (`bound_address`) to be a loopback one. Fails
// with invalid_parameter naming the key ("server.max_in_flight: cannot change on reload; restart to apply").
result<void> check_reload(const config::gateway_config& running, const config::gateway_config& next,
                          std::string_view bound_address);

// Who is calling, and what they may reach.
struct caller {
  std::string client;  // "anonymous" when the configuration has no clients
  std::string tenant;
  std::vector<std::string> vendors;                     // names, sorted
  std::optional<config::client_rate_limit> rate_limit;  // the client's own; absent: none
  bool may_reach(std::string_view vendor) const;
};

// Identifies the caller from `Authorization: Bearer <key>` or `X-API-Key`; fails with
// unauthorized when the key is missing or unknown. Keys are compared as SHA-256 digests
// in constant time.
result<caller> authenticate(const http::request_header<>& req, const config::gateway_config& cfg);

}  // namespace cgw::api
