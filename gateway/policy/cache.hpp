// Vendor answers kept for a short time (LRU by bytes, with a TTL per entry), and
// identical calls in flight made once (singleflight). Both are shared by every io
// thread; keys are digests of (vendor account, method, target, body), never secrets.
#pragma once

#include "gateway/core/error.hpp"
#include "gateway/net/net.hpp"
#include "gateway/policy/event.hpp"
#include "gateway/upstream/client.hpp"

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace cgw::policy {

using shared_response = std::shared_ptr<const upstream::response>;

// Where answers are kept. An interface so that a shared tier (Redis) can stand behind the
// in-memory one; the in-memory LRU is the default.
class cache_store {
 public:
  virtual ~cache_store() = default;
  virtual std::optional<shared_response> find(const std::string& key, clock::time_point now) = 0;
  virtual void put(const std::string& key, shared_response value, clock::duration ttl,
                   clock::time_point now) = 0;
};

// The fleet's tier behind the in-memory cache (Redis): answers one replica got are hits on the
// others, and a short lease per call lets one replica make an identical call while the others
// wait for its answer there. Awaitable, and allowed to fail: a failure is a miss (or no lease),
// never an error, so the vendor call simply goes ahead.
class shared_cache {
 public:
  virtual ~shared_cache() = default;
  virtual net::awaitable<std::optional<shared_response>> find(const std::string& key, deadline until) = 0;
  virtual net::awaitable<void> put(const std::string& key, const upstream::response& value,
                                   clock::duration ttl) = 0;
  // True when this replica now holds the lease on making the call for `key`, for at most `ttl`.
  virtual net::awaitable<bool> lease(const std::string& key, clock::duration ttl, deadline until) = 0;
  virtual net::awaitable<void> release(const std::string& key) = 0;
};

class memory_cache final : public cache_store {
 public:
  explicit memory_cache(std::uint64_t max_bytes) : max_bytes_(max_bytes) {}
  std::optional<shared_response> find(const std::string& key, clock::time_point now) override;
  void put(const std::string& key, shared_response value, clock::duration ttl,
           clock::time_point now) override;
  void set_capacity(std::uint64_t max_bytes);
  std::uint64_t bytes() const;
  std::size_t entries() const;

 private:
  struct entry {
    std::string key;
    shared_response value;
    clock::time_point expires;
    std::uint64_t bytes;
  };
  void evict_locked();  // drops least recently used entries until within max_bytes_

  mutable std::mutex mutex_;
  std::uint64_t max_bytes_;
  std::uint64_t bytes_ = 0;
  std::list<entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<entry>::iterator> index_;
};

// What a cache entry costs: the body, the headers and the key, plus bookkeeping.
std::uint64_t footprint(const std::string& key, const upstream::response& res);

// Calls in flight by key: the first caller leads (makes the call), later ones wait for its result.
class singleflight {
 public:
  struct flight {
    event done;
    result<shared_response> value = failure::make(errc::internal, "no result");  // written before done is set
    // Written by the leader before it lands the flight, read by followers after done is set.
    deadline leader_until{};
    bool abandoned = false;  // the leader ended without an answer (its client went away, or a bug)

    // True when the value is a failure of the leader's own making that a follower with time until
    // `until` should not inherit: the leader gave up, or its shorter deadline ended the call.
    bool failed_on_leaders_terms(deadline until) const;
  };
  // The flight for `key`, and whether the caller leads it (and so must land() it).
  std::pair<std::shared_ptr<flight>, bool> join(const std::string& key);
  // Publishes the leader's result to every follower and forgets the key.
  void land(const std::string& key, const std::shared_ptr<flight>& f, result<shared_response> value);

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<flight>> flights_;
};

}  // namespace cgw::policy
