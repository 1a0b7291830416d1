// Client rate limits: a token bucket per client (clients[].rate_limit), taken once per
// request before any vendor call, so a client over its limit costs no vendor anything.
//
// The store is an interface so that a fleet can keep the buckets in Redis (one per client,
// taken by a script atomic on the server); the in-memory store is the one-process default.
// Its call is awaitable for that reason.
#pragma once

#include "config/config.hpp"
#include "gateway/net/net.hpp"

#include <mutex>
#include <string>
#include <unordered_map>

namespace cgw::policy {

struct client_limit_verdict {
  bool allowed = true;
  double remaining = 0;   // requests the bucket still holds after this one
  double full_in_s = 0;   // seconds until the bucket is full again
  int retry_after_s = 0;  // when refused: seconds until the next request is allowed (at least 1)
};

class client_limit_store {
 public:
  virtual ~client_limit_store() = default;
  // Takes one request from `client`'s bucket, or refuses. Never fails: a store that cannot
  // decide allows (a client limit protects vendors, whose own budgets still hold).
  virtual net::awaitable<client_limit_verdict> take(const std::string& client,
                                                    const config::client_rate_limit& limit) = 0;
};

// One process's buckets, shared by its io threads. A reload that changes a client's limit
// keeps its bucket (capped to the new burst), so a reload never hands out a fresh burst.
class memory_client_limit_store final : public client_limit_store {
 public:
  net::awaitable<client_limit_verdict> take(const std::string& client,
                                            const config::client_rate_limit& limit) override;
  // The decision itself, synchronous and clock-injected for tests.
  client_limit_verdict take_at(const std::string& client, const config::client_rate_limit& limit,
                               clock::time_point now);

 private:
  struct bucket {
    double tokens = 0;
    clock::time_point refilled{};
  };
  std::mutex mutex_;
  std::unordered_map<std::string, bucket> buckets_;
};

// The verdict on a request when the bucket holds `tokens` after it (one was taken when `allowed`).
client_limit_verdict verdict_for(bool allowed, double tokens, const config::client_rate_limit& limit);

// The IETF httpapi rate-limit headers (draft-ietf-httpapi-ratelimit-headers, structured fields):
// `RateLimit-Policy: "client";q=<burst>;w=<seconds to refill a whole burst>` and
// `RateLimit: "client";r=<requests left>;t=<seconds until the bucket is full>`.
std::string rate_limit_policy_header(const config::client_rate_limit& limit);
std::string rate_limit_header(const client_limit_verdict& v);

}  // namespace cgw::policy
