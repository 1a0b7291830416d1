#include "gateway/policy/concurrency.hpp"

#include <algorithm>

namespace cgw::policy {

concurrency_limit::slot& concurrency_limit::slot::operator=(slot&& other) noexcept {
  if (this != &other) {
    if (owner_) owner_->release();
    owner_ = std::exchange(other.owner_, nullptr);
  }
  return *this;
}

concurrency_limit::slot::~slot() {
  if (owner_) owner_->release();
}

net::awaitable<std::optional<concurrency_limit::slot>> concurrency_limit::acquire(deadline until) {
  if (limit_ == 0) co_return slot{};  // an empty slot releases nothing
  auto w = std::make_shared<waiter>();
  {
    std::lock_guard lock(mutex_);
    if (in_use_ < limit_ && queue_.empty()) {
      ++in_use_;
      co_return slot{this};
    }
    queue_.push_back(w);
  }
  if (co_await w->granted.wait(until)) co_return slot{this};
  std::lock_guard lock(mutex_);
  if (w->granted.is_set()) co_return slot{this};  // granted just as the deadline passed: the slot is ours
  std::erase(queue_, w);
  co_return std::nullopt;
}

void concurrency_limit::release() {
  std::shared_ptr<waiter> next;
  {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) {
      --in_use_;
      return;
    }
    next = std::move(queue_.front());  // the slot passes straight to the first waiter
    queue_.pop_front();
    next->granted.set();  // under the lock: a waiter that timed out checks is_set() under it too
  }
}

std::uint32_t concurrency_limit::in_use() const {
  std::lock_guard lock(mutex_);
  return in_use_;
}

}  // namespace cgw::policy
