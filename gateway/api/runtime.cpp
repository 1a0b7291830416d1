#include "gateway/api/runtime.hpp"

#include "config/loader.hpp"
#include "gateway/adapter/vendor_http.hpp"

#include <algorithm>

#include <openssl/crypto.h>

#include <boost/json/object.hpp>

namespace cgw::api {
namespace {

// What /v1/vendors says of a vendor's last failure. Every tenant that may reach the vendor instance
// reads it, so it is the gateway's own words for the code, never the failure's message (which may
// quote the vendor's answer to one tenant's request).
const char* generic_message(errc code) {
  switch (code) {
    case errc::upstream_timeout:
    case errc::deadline_exceeded:
      return "the vendor did not answer within the deadline";
    case errc::upstream_unauthorized:
      return "the vendor refused the gateway's credentials";
    case errc::upstream_rate_limited:
    case errc::rate_limited:
      return "the vendor account was rate limited";
    case errc::circuit_open:
      return "the circuit was open after repeated vendor failures";
    case errc::not_found:
      return "the vendor had no such record";
    case errc::unsupported:
      return "the vendor cannot do what was asked";
    case errc::upstream_error:
      return "the vendor's answer was an error or could not be used";
    default:
      return "the vendor call failed";
  }
}

}  // namespace

void vendor_health::record_success(double latency_ms) {
  std::lock_guard lock(mutex_);
  last_latency_ms_ = latency_ms;
  ++successes_;
}

void vendor_health::record_failure(const failure& f, double latency_ms) {
  std::lock_guard lock(mutex_);
  last_latency_ms_ = latency_ms;
  last_error_ = std::string(to_string(f.code)) + ": " + generic_message(f.code);
  ++failures_;
}

boost::json::object vendor_health::to_json() const {
  std::lock_guard lock(mutex_);
  boost::json::object o;
  o["last_latency_ms"] = last_latency_ms_;
  o["last_error"] = last_error_.empty() ? boost::json::value(nullptr) : boost::json::value(last_error_);
  o["successes"] = successes_;
  o["failures"] = failures_;
  return o;
}

result<runtime_ptr> runtime::build(config::config_ptr cfg, const adapter::registry& types,
                                   const runtime* previous, std::shared_ptr<policy::shared_state> fresh) {
  auto rt = std::make_shared<runtime>();
  rt->cfg = cfg;
  rt->vendor_types = types.types();
  rt->cursor_mac.emplace(cfg->cursor_secret.reveal());
  rt->policies = previous ? previous->policies
                 : fresh  ? std::move(fresh)
                          : std::make_shared<policy::shared_state>(cfg->cache.max_bytes);
  rt->policies->begin_build();
  rt->pages->set_capacity(cfg->cache.max_bytes);
  rt->scans->set_capacity(cfg->cache.max_bytes);
  rt->answers->set_capacity(cfg->cache.max_bytes);
  for (const auto& [name, vendor] : cfg->vendors) {
    auto a = types.create(vendor);
    if (!a) return a.error();
    auto ep = adapter::vendor_endpoint(vendor);
    if (!ep) return ep.error();
    auto account = policy::account_key(ep->origin(), adapter::authorization_header(vendor.auth));
    rt->guards.emplace(name,
                       std::make_unique<policy::vendor_guard>(vendor, (*a)->caps().limits, cfg->cache.ttl_ms,
                                                              std::move(account), *rt->policies));
    rt->adapters.emplace(name, std::move(*a));
    auto old = previous ? previous->health.find(name) : decltype(previous->health)::const_iterator{};
    rt->health.emplace(
        name, previous && old != previous->health.end() ? old->second : std::make_shared<vendor_health>());
  }
  return runtime_ptr(std::move(rt));
}

void runtime::commit() const {
  policies->commit(cfg->cache.max_bytes);
}

namespace {
std::string redis_url(const config::gateway_config& cfg) {
  return cfg.shared_state.redis ? cfg.shared_state.redis->url : std::string{};
}
}  // namespace

result<void> check_reload(const config::gateway_config& running, const config::gateway_config& next,
                          std::string_view bound_address) {
  // The loader checked this against the new file's listen.address; what matters is the socket.
  if (next.clients.empty() && !config::is_loopback(bound_address))
    return failure::make(
        errc::invalid_parameter,
        "clients: a configuration without clients is allowed only on a loopback address; this "
        "process is bound to " +
            std::string(bound_address),
        "clients");
  const auto& a = running.server;
  const auto& b = next.server;
  const std::pair<const char*, bool> fixed[] = {
      {"listen.address", running.listen.address == next.listen.address},
      {"listen.port", running.listen.port == next.listen.port},
      {"server.threads", a.threads == b.threads},
      {"server.max_header_bytes", a.max_header_bytes == b.max_header_bytes},
      {"server.max_body_bytes", a.max_body_bytes == b.max_body_bytes},
      {"server.read_timeout_ms", a.read_timeout_ms == b.read_timeout_ms},
      {"server.idle_timeout_ms", a.idle_timeout_ms == b.idle_timeout_ms},
      {"server.shutdown_grace_ms", a.shutdown_grace_ms == b.shutdown_grace_ms},
      {"server.max_connections", a.max_connections == b.max_connections},
      {"server.max_in_flight", a.max_in_flight == b.max_in_flight},
      {"server.header_timeout_ms", a.header_timeout_ms == b.header_timeout_ms},
      {"server.max_connections_per_ip", a.max_connections_per_ip == b.max_connections_per_ip},
      {"shared_state.redis.url", redis_url(running) == redis_url(next)},
  };
  for (const auto& [key, same] : fixed)
    if (!same)
      return failure::make(errc::invalid_parameter,
                           std::string(key) + ": cannot change on reload; restart to apply", key);
  return {};
}

bool caller::may_reach(std::string_view vendor) const {
  return std::binary_search(vendors.begin(), vendors.end(), vendor);
}

result<caller> authenticate(const http::request_header<>& req, const config::gateway_config& cfg) {
  if (cfg.clients.empty()) {  // allowed only on loopback (the loader enforces it): everything is reachable
    caller c{"anonymous", "", {}};
    for (const auto& [name, _] : cfg.vendors) c.vendors.push_back(name);
    return c;
  }
  std::string_view key;
  if (auto it = req.find(http::field::authorization); it != req.end()) {
    std::string_view v = it->value();
    if (v.size() > 7 && (v.substr(0, 7) == "Bearer " || v.substr(0, 7) == "bearer ")) key = v.substr(7);
  }
  if (key.empty())
    if (auto it = req.find("X-API-Key"); it != req.end()) key = it->value();
  if (key.empty())
    return failure::make(errc::unauthorized,
                         "a client key is required: Authorization: Bearer <key> or X-API-Key");
  const auto digest = digest::sha256(key);
  const config::client_config* match = nullptr;
  for (const auto& client : cfg.clients)  // no early exit: timing does not tell which entry matched
    if (CRYPTO_memcmp(client.key_sha256.data(), digest.data(), digest.size()) == 0) match = &client;
  if (!match) return failure::make(errc::unauthorized, "the client key is not valid");
  caller c{match->name, match->tenant, {}, match->rate_limit};
  if (auto t = cfg.tenants.find(match->tenant); t != cfg.tenants.end()) c.vendors = t->second.vendors;
  std::sort(c.vendors.begin(), c.vendors.end());
  return c;
}

}  // namespace cgw::api
