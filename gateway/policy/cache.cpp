#include "gateway/policy/cache.hpp"

namespace cgw::policy {

std::uint64_t footprint(const std::string& key, const upstream::response& res) {
  std::uint64_t header_bytes = 0;
  for (const auto& field : res) header_bytes += field.name_string().size() + field.value().size() + 4;
  constexpr std::uint64_t bookkeeping = 256;  // list node, index slot, response object
  return res.body().size() + header_bytes + 2 * key.size() + bookkeeping;
}

std::optional<shared_response> memory_cache::find(const std::string& key, clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  if (now >= it->second->expires) {
    bytes_ -= it->second->bytes;
    lru_.erase(it->second);
    index_.erase(it);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->value;
}

void memory_cache::put(const std::string& key, shared_response value, clock::duration ttl,
                       clock::time_point now) {
  const std::uint64_t cost = footprint(key, *value);
  std::lock_guard lock(mutex_);
  if (auto it = index_.find(key); it != index_.end()) {
    bytes_ -= it->second->bytes;
    lru_.erase(it->second);
    index_.erase(it);
  }
  if (cost > max_bytes_) return;  // would push out everything else
  lru_.push_front(entry{key, std::move(value), now + ttl, cost});
  index_.emplace(key, lru_.begin());
  bytes_ += cost;
  evict_locked();
}

void memory_cache::set_capacity(std::uint64_t max_bytes) {
  std::lock_guard lock(mutex_);
  max_bytes_ = max_bytes;
  evict_locked();
}

void memory_cache::evict_locked() {
  while (bytes_ > max_bytes_ && !lru_.empty()) {
    bytes_ -= lru_.back().bytes;
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

std::uint64_t memory_cache::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

std::size_t memory_cache::entries() const {
  std::lock_guard lock(mutex_);
  return index_.size();
}

std::pair<std::shared_ptr<singleflight::flight>, bool> singleflight::join(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = flights_.try_emplace(key);
  if (inserted) it->second = std::make_shared<flight>();
  return {it->second, inserted};
}

bool singleflight::flight::failed_on_leaders_terms(deadline until) const {
  if (value) return false;
  if (abandoned) return true;
  const errc code = value.error().code;
  const bool timed = code == errc::upstream_timeout || code == errc::deadline_exceeded ||
                     code == errc::upstream_rate_limited;  // a budget refused within the leader's deadline
  return timed && leader_until < until;
}

void singleflight::land(const std::string& key, const std::shared_ptr<flight>& f,
                        result<shared_response> value) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = flights_.find(key); it != flights_.end() && it->second == f) flights_.erase(it);
    f->value = std::move(value);  // under the lock: no follower reads it before done is set
  }
  f->done.set();
}

}  // namespace cgw::policy
