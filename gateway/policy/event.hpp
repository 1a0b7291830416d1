// A one-shot event that coroutines on any io thread can wait for, each until its own
// deadline. The cross-thread wake-up behind coalescing and the concurrency limit:
// every waiter sleeps on a timer of its own executor and is woken there.
#pragma once

#include "gateway/net/net.hpp"

#include <memory>
#include <mutex>
#include <vector>

namespace cgw::policy {

class event {
 public:
  // True once set() was called, false when `until` passed first.
  net::awaitable<bool> wait(deadline until);
  // Wakes every waiter, on its own io thread. Safe from any thread; later calls do nothing.
  void set();
  bool is_set() const;

 private:
  struct waiter;
  mutable std::mutex mutex_;
  bool set_ = false;
  std::vector<std::shared_ptr<waiter>> waiters_;
};

}  // namespace cgw::policy
