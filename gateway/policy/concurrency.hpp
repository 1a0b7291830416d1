// A limit on vendor requests in flight at once, shared by every io thread (some vendors
// answer 429 on concurrency, not on rate). Waiters are served first come, first served.
#pragma once

#include "gateway/net/net.hpp"
#include "gateway/policy/event.hpp"

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

namespace cgw::policy {

class concurrency_limit {
 public:
  // limit 0: no limit.
  explicit concurrency_limit(std::uint32_t limit) : limit_(limit) {}

  // A held slot; released when destroyed.
  class slot {
   public:
    slot() = default;
    slot(slot&& other) noexcept : owner_(std::exchange(other.owner_, nullptr)) {}
    slot& operator=(slot&& other) noexcept;
    ~slot();

   private:
    friend class concurrency_limit;
    explicit slot(concurrency_limit* owner) : owner_(owner) {}
    concurrency_limit* owner_ = nullptr;
  };

  // A slot, waiting for one until `until` at most; nullopt when none came in time.
  // With no limit a slot is granted at once and costs nothing.
  net::awaitable<std::optional<slot>> acquire(deadline until);

  std::uint32_t limit() const noexcept { return limit_; }
  std::uint32_t in_use() const;

 private:
  struct waiter {
    event granted;
  };
  void release();

  const std::uint32_t limit_;
  mutable std::mutex mutex_;
  std::uint32_t in_use_ = 0;
  std::deque<std::shared_ptr<waiter>> queue_;
};

}  // namespace cgw::policy
