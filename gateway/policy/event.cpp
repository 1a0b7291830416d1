#include "gateway/policy/event.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace cgw::policy {

struct event::waiter {
  explicit waiter(const net::any_io_executor& ex) : timer(ex) {}
  net::steady_timer timer;
};

net::awaitable<bool> event::wait(deadline until) {
  auto w = std::make_shared<waiter>(co_await net::this_coro::executor);
  {
    std::lock_guard lock(mutex_);
    if (set_) co_return true;
    waiters_.push_back(w);
  }
  // set() cancels the timer by posting to this thread, so the cancel cannot run before the wait starts.
  w->timer.expires_at(until);
  boost::system::error_code ec;
  co_await w->timer.async_wait(net::redirect_error(net::use_awaitable, ec));
  std::lock_guard lock(mutex_);
  if (!set_) std::erase(waiters_, w);
  co_return set_;
}

void event::set() {
  std::vector<std::shared_ptr<waiter>> woken;
  {
    std::lock_guard lock(mutex_);
    if (set_) return;
    set_ = true;
    woken.swap(waiters_);
  }
  // Each waiter goes with its wake-up: the last reference must never be dropped here, on the
  // setter's thread, where the waiter's io_context may be gone already (its timer would be freed
  // against a destroyed service).
  for (auto& w : woken) {
    auto ex = w->timer.get_executor();
    net::post(ex, [w = std::move(w)] { w->timer.cancel(); });
  }
}

bool event::is_set() const {
  std::lock_guard lock(mutex_);
  return set_;
}

}  // namespace cgw::policy
