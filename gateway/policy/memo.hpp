// What the gateway computed, kept for a short time and computed once while in flight: a
// vendor's filtered and sorted scan, a whole answer to identical client requests. Unlike the
// response cache (vendor bytes), a hit here costs no parsing and no mapping.
//
// LRU by an estimate of bytes, a TTL per entry; shared by every io thread. A follower waits
// for the leader of an identical computation within its own deadline and never inherits the
// leader's failure (spec "Coalescing"): it computes on its own terms instead.
#pragma once

#include "gateway/core/error.hpp"
#include "gateway/net/net.hpp"
#include "gateway/policy/event.hpp"

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace cgw::policy {

// How a memo served a request: computed here, shared with an identical one in flight, or kept.
enum class memo_outcome { computed, coalesced, hit };

template <class V>
class memo {
 public:
  using value_ptr = std::shared_ptr<const V>;  // made by std::make_shared<V> (see take)

  // A computation's result, and whether it may be kept for others (a partial answer is not).
  struct computed {
    value_ptr value;
    std::uint64_t bytes = 0;
    bool keep = true;
  };

  explicit memo(std::uint64_t max_bytes) : max_bytes_(max_bytes) {}

  value_ptr find(const std::string& key, clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    if (it->second->expires <= now) {
      erase_locked(it->second);
      return nullptr;
    }
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->value;
  }

  // The value for `key`: kept, shared with an identical computation in flight, or computed by
  // `compute` (an awaitable of `computed`, nullptr value for "nothing to share"), kept for `ttl`
  // when it may be (ttl 0: shared only while in flight).
  template <class Compute>
  net::awaitable<std::pair<value_ptr, memo_outcome>> get(const std::string& key, clock::duration ttl,
                                                         deadline until, Compute compute) {
    if (ttl.count() > 0)
      if (auto hit = find(key, clock::now())) co_return std::pair{hit, memo_outcome::hit};
    std::shared_ptr<flight> f;
    bool leader = false;
    {
      std::lock_guard lock(mutex_);
      auto [it, inserted] = flights_.try_emplace(key);
      if (inserted) it->second = std::make_shared<flight>();
      f = it->second;
      leader = inserted;
    }
    if (!leader) {
      if (co_await f->done.wait(until) && f->value) co_return std::pair{f->value, memo_outcome::coalesced};
      // The leader failed, gave up or is too slow for this request: its terms are not ours.
      computed own = co_await compute();
      if (own.value && own.keep && ttl.count() > 0) put(key, own.value, own.bytes, ttl, clock::now());
      co_return std::pair{own.value, memo_outcome::computed};
    }
    // Lands the flight however the leader ends (an exception, its client going away).
    struct lander {
      memo& m;
      const std::string& key;
      std::shared_ptr<flight> f;
      ~lander() { m.land(key, f); }
    } landing{*this, key, f};
    computed out = co_await compute();
    if (out.value && out.keep) {
      f->value = out.value;  // before done is set: followers read it after
      if (ttl.count() > 0) put(key, out.value, out.bytes, ttl, clock::now());
    }
    co_return std::pair{out.value, memo_outcome::computed};
  }

  void put(const std::string& key, value_ptr value, std::uint64_t bytes, clock::duration ttl,
           clock::time_point now) {
    bytes += key.size() + sizeof(entry);
    std::lock_guard lock(mutex_);
    if (auto it = index_.find(key); it != index_.end()) erase_locked(it->second);
    if (bytes > max_bytes_) return;  // would evict everything for one entry
    lru_.push_front(entry{key, std::move(value), now + ttl, bytes});
    index_[key] = lru_.begin();
    bytes_ += bytes;
    while (bytes_ > max_bytes_ && !lru_.empty()) erase_locked(std::prev(lru_.end()));
  }

  void set_capacity(std::uint64_t max_bytes) {
    std::lock_guard lock(mutex_);
    max_bytes_ = max_bytes;
    while (bytes_ > max_bytes_ && !lru_.empty()) erase_locked(std::prev(lru_.end()));
  }

  std::uint64_t bytes() const {
    std::lock_guard lock(mutex_);
    return bytes_;
  }

 private:
  struct entry {
    std::string key;
    value_ptr value;
    clock::time_point expires;
    std::uint64_t bytes;
  };
  struct flight {
    event done;
    value_ptr value;  // nullptr: followers compute on their own
  };

  void land(const std::string& key, const std::shared_ptr<flight>& f) {
    {
      std::lock_guard lock(mutex_);
      if (auto it = flights_.find(key); it != flights_.end() && it->second == f) flights_.erase(it);
    }
    f->done.set();
  }

  void erase_locked(typename std::list<entry>::iterator it) {
    bytes_ -= it->bytes;
    index_.erase(it->key);
    lru_.erase(it);
  }

  mutable std::mutex mutex_;
  std::uint64_t max_bytes_;
  std::uint64_t bytes_ = 0;
  std::list<entry> lru_;  // most recently used first
  std::unordered_map<std::string, typename std::list<entry>::iterator> index_;
  std::unordered_map<std::string, std::shared_ptr<flight>> flights_;
};

// The value of `p` for the caller to own: moved out when `p` is its only owner (nobody else can
// reach it: the memo kept no copy and no follower shares it), copied otherwise. Sound only for a
// value created non-const (std::make_shared<V>, as every computation handed to a memo makes it).
template <class V>
V take(std::shared_ptr<const V> p) {
  if (p.use_count() == 1) return std::move(const_cast<V&>(*p));
  return *p;
}

}  // namespace cgw::policy
