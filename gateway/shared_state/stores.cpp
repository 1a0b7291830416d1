#include "gateway/shared_state/stores.hpp"

#include "gateway/shared_state/scripts.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace cgw::shared_state {
namespace {

const script reserve_script{scripts::budget_reserve};
const script settle_script{scripts::budget_settle};
const script refund_script{scripts::budget_refund};
const script take_script{scripts::client_take};

// Numbers as Lua reads them back exactly enough (Redis would truncate doubles to integers).
std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

long long ms_left(deadline until) {
  return std::max<long long>(
      0, std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now()).count());
}

// An array reply of at least `n` elements whose first ones are integers, or why not.
result<const std::vector<reply>*> array_of(const result<reply>& r, std::size_t n, std::size_t integers) {
  if (!r) return r.error();
  if (r->is_error())
    return failure::make(errc::upstream_error, "redis: the script failed: " + r->text.substr(0, 120));
  if (r->type != reply::kind::array || r->elements.size() < n)
    return failure::make(errc::upstream_error, "redis: an unexpected reply to a script");
  for (std::size_t i = 0; i < integers; ++i)
    if (r->elements[i].type != reply::kind::integer)
      return failure::make(errc::upstream_error, "redis: an unexpected reply to a script");
  return &r->elements;
}

}  // namespace

config::rate_limit_config local_share(const config::rate_limit_config& limit, unsigned replicas) {
  if (limit.points == 0 || replicas <= 1) return limit;
  return {std::max<std::uint32_t>(1, limit.points / replicas), limit.per_s};
}

config::client_rate_limit local_share(const config::client_rate_limit& limit, unsigned replicas) {
  if (replicas <= 1) return limit;
  return {limit.requests_per_s / replicas, std::max(1.0, std::floor(limit.burst / replicas))};
}

redis_budget_store::redis_budget_store(std::shared_ptr<redis_client> redis, store_options opts,
                                       std::shared_ptr<policy::shared_health> health)
    : redis_(std::move(redis)), opts_(std::move(opts)), health_(std::move(health)) {}

std::vector<std::string> redis_budget_store::keys(const std::string& account) const {
  // One hash tag per account: both keys live on one slot of a Redis Cluster.
  const std::string base = opts_.key_prefix + "budget:{" + account + "}";
  return {base, base + ":calls"};
}

net::awaitable<policy::budget_decision> redis_budget_store::reserve(const std::string& account,
                                                                    const config::rate_limit_config& limit,
                                                                    double cost, deadline latest) {
  const auto asked = clock::now();
  const std::vector<std::string> args{std::to_string(limit.points), std::to_string(limit.per_s), number(cost),
                                      std::to_string(ms_left(latest))};
  auto r = co_await redis_->eval(reserve_script, keys(account), args, latest + policy::min_call_time);
  auto fields = array_of(r, 3, 3);
  if (!fields) {
    // Cut by the request's own deadline rather than Redis's timeout: Redis is not to blame.
    const bool cut_by_request = !r && clock::now() >= latest + policy::min_call_time;
    if (!cut_by_request) health_->failed(asked, fields.error().message);
    auto d =
        local_.reserve_at(account, local_share(limit, opts_.expected_replicas), cost, latest, clock::now());
    d.ticket.local = true;
    co_return d;
  }
  health_->succeeded(asked);
  const auto& f = **fields;
  policy::budget_decision d;
  d.what = f[0].integer == 0   ? policy::budget_decision::verdict::go
           : f[0].integer == 1 ? policy::budget_decision::verdict::wait_and_retry
                               : policy::budget_decision::verdict::refuse;
  d.wait = std::chrono::milliseconds(std::max<long long>(0, f[1].integer));
  d.retry_after_s = std::max(1, static_cast<int>(std::ceil(f[1].integer / 1000.0)));
  d.ticket = {static_cast<std::uint64_t>(f[2].integer), cost, false};
  co_return d;
}

net::awaitable<void> redis_budget_store::settle(const std::string& account,
                                                const config::rate_limit_config& limit,
                                                const policy::budget_ticket& ticket,
                                                const policy::budget_report& report) {
  const auto asked = clock::now();
  if (ticket.local) {
    // The vendor's figure counts every replica's calls: this replica's share of it is what it may
    // spend, so that all of them together stay within it.
    policy::budget_report share = report;
    if (share.remaining && opts_.expected_replicas > 1) *share.remaining /= opts_.expected_replicas;
    local_.settle_at(account, local_share(limit, opts_.expected_replicas), ticket, share, clock::now());
    co_return;
  }
  if (!report.answered) co_return;  // it stays counted as possibly spent until its window is over
  std::vector<std::string> args{std::to_string(limit.points), std::to_string(limit.per_s),
                                std::to_string(ticket.seq)};
  args.push_back(report.remaining ? number(*report.remaining) : std::string("-1"));
  args.push_back(report.reset_s ? std::to_string(*report.reset_s) : std::string("-1"));
  args.push_back(report.rate_limited ? std::string("1") : std::string("0"));
  args.push_back(std::to_string(report.retry_after_s));
  auto r = co_await redis_->eval(settle_script, keys(account), args, deadline::max());
  // A lost settle leaves the call counted until its window ends: the budget errs on the safe side.
  if (!r || r->is_error())
    health_->failed(asked, r ? "redis: the settle script failed" : r.error().message);
  else
    health_->succeeded(asked);
}

net::awaitable<void> redis_budget_store::refund(const std::string& account,
                                                const config::rate_limit_config& limit,
                                                const policy::budget_ticket& ticket) {
  const auto asked = clock::now();
  if (ticket.local) {
    local_.refund_at(account, local_share(limit, opts_.expected_replicas), ticket);
    co_return;
  }
  const std::vector<std::string> args{std::to_string(limit.points), std::to_string(ticket.seq)};
  auto r = co_await redis_->eval(refund_script, keys(account), args, deadline::max());
  if (!r || r->is_error())
    health_->failed(asked, r ? "redis: the refund script failed" : r.error().message);
  else
    health_->succeeded(asked);
}

redis_client_limit_store::redis_client_limit_store(std::shared_ptr<redis_client> redis, store_options opts,
                                                   std::shared_ptr<policy::shared_health> health)
    : redis_(std::move(redis)), opts_(std::move(opts)), health_(std::move(health)) {}

net::awaitable<policy::client_limit_verdict> redis_client_limit_store::take(
    const std::string& client, const config::client_rate_limit& limit) {
  const auto asked = clock::now();
  const std::vector<std::string> keys{opts_.key_prefix + "client:{" + client + "}"};
  const std::vector<std::string> args{number(limit.requests_per_s), number(limit.burst)};
  auto r = co_await redis_->eval(take_script, keys, args, deadline::max());
  auto fields = array_of(r, 2, 1);
  if (!fields || (**fields)[1].type != reply::kind::string) {
    health_->failed(asked, fields ? "redis: an unexpected reply to a script" : fields.error().message);
    co_return local_.take_at(client, local_share(limit, opts_.expected_replicas), clock::now());
  }
  health_->succeeded(asked);
  const double tokens = std::strtod((**fields)[1].text.c_str(), nullptr);
  co_return policy::verdict_for((**fields)[0].integer == 1, tokens, limit);
}

redis_cache::redis_cache(std::shared_ptr<redis_client> redis, store_options opts,
                         std::shared_ptr<policy::shared_health> health, std::size_t max_entry_bytes)
    : redis_(std::move(redis)),
      opts_(std::move(opts)),
      health_(std::move(health)),
      max_entry_bytes_(max_entry_bytes) {}

std::string redis_cache::key_for(std::string_view kind, const std::string& key) const {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = opts_.key_prefix;
  out += kind;
  out += ':';
  for (unsigned char c : key) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

std::string redis_cache::encode(const upstream::response& res) {
  std::string out = std::to_string(res.result_int());
  out += ' ';
  if (auto it = res.find(http::field::content_type); it != res.end()) out += it->value();
  out += '\n';
  out += res.body();
  return out;
}

std::optional<policy::shared_response> redis_cache::decode(std::string_view bytes) {
  const auto space = bytes.find(' ');
  const auto newline = bytes.find('\n');
  if (space != 3 || newline == std::string_view::npos || newline < space) return std::nullopt;
  unsigned status = 0;
  for (char c : bytes.substr(0, 3)) {
    if (c < '0' || c > '9') return std::nullopt;
    status = status * 10 + static_cast<unsigned>(c - '0');
  }
  if (status < 100) return std::nullopt;
  auto res = std::make_shared<upstream::response>(static_cast<http::status>(status), 11);
  const auto type = bytes.substr(4, newline - 4);
  if (!type.empty()) res->set(http::field::content_type, type);
  res->body().assign(bytes.substr(newline + 1));
  res->prepare_payload();
  return policy::shared_response(std::move(res));
}

net::awaitable<std::optional<policy::shared_response>> redis_cache::find(const std::string& key,
                                                                         deadline until) {
  const auto asked = clock::now();
  std::vector<std::string> argv{"GET", key_for("cache", key)};
  auto r = co_await redis_->command(std::move(argv), until);
  if (!r || r->is_error()) {
    if (!r && clock::now() < until) health_->failed(asked, r.error().message);
    co_return std::nullopt;
  }
  health_->succeeded(asked);
  if (r->type != reply::kind::string) co_return std::nullopt;
  co_return decode(r->text);  // something else under our key is a miss, not a crash
}

net::awaitable<void> redis_cache::put(const std::string& key, const upstream::response& value,
                                      clock::duration ttl) {
  const auto asked = clock::now();
  if (value.body().size() > max_entry_bytes_) co_return;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(ttl).count();
  if (ms <= 0) co_return;
  std::vector<std::string> argv{"SET", key_for("cache", key), encode(value), "PX", std::to_string(ms)};
  auto r = co_await redis_->command(std::move(argv), deadline::max());
  // An error reply (a full Redis refusing the write) only means this answer is not shared.
  if (!r) health_->failed(asked, r.error().message);
}

net::awaitable<bool> redis_cache::lease(const std::string& key, clock::duration ttl, deadline until) {
  const auto ms = std::max<long long>(1, std::chrono::duration_cast<std::chrono::milliseconds>(ttl).count());
  std::vector<std::string> argv{"SET", key_for("lease", key), "1", "NX", "PX", std::to_string(ms)};
  auto r = co_await redis_->command(std::move(argv), until);
  // Without Redis every replica leads its own calls, as one process does.
  if (!r || r->is_error()) co_return true;
  co_return r->type == reply::kind::status;  // OK; nil when another replica holds it
}

net::awaitable<void> redis_cache::release(const std::string& key) {
  std::vector<std::string> argv{"DEL", key_for("lease", key)};
  co_await redis_->command(std::move(argv), deadline::max());
}

fleet join_fleet(const config::gateway_config& cfg, policy::shared_health::listener on_change) {
  const auto& redis_cfg = *cfg.shared_state.redis;
  fleet f;
  f.redis = std::make_shared<redis_client>(redis_options{redis_cfg});
  // A replica joins the shared state at once (deployment.md): its first requests should not run on
  // local shares just because the connection was still being made. Redis down: it starts degraded.
  f.redis->wait_connected(std::chrono::seconds(1));
  f.health = std::make_shared<policy::shared_health>(std::move(on_change));
  const store_options opts{redis_cfg.key_prefix, cfg.shared_state.expected_replicas};
  f.policies = std::make_shared<policy::shared_state>(
      cfg.cache.max_bytes, std::make_shared<redis_budget_store>(f.redis, opts, f.health));
  f.policies->set_remote_cache(std::make_shared<redis_cache>(f.redis, opts, f.health));
  f.policies->set_fleet(f.health);
  f.client_limits = std::make_shared<redis_client_limit_store>(f.redis, opts, f.health);
  return f;
}

}  // namespace cgw::shared_state
