#include "gateway/policy/breaker.hpp"

namespace cgw::policy {

bool circuit_breaker::allow(clock::time_point now) {
  std::lock_guard lock(mutex_);
  switch (state_) {
    case state::closed:
      return true;
    case state::open:
      if (now < opened_at_ + std::chrono::milliseconds(cfg_.open_ms)) return false;
      state_ = state::half_open;
      probing_ = true;
      return true;
    case state::half_open:
      if (probing_) return false;
      probing_ = true;
      return true;
  }
  return false;
}

void circuit_breaker::record(bool success, clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (success) {
    state_ = state::closed;
    failures_ = 0;
    probing_ = false;
    return;
  }
  ++failures_;
  if (state_ == state::half_open || failures_ >= cfg_.failure_threshold) {
    state_ = state::open;
    opened_at_ = now;
    probing_ = false;
  }
}

void circuit_breaker::forgo() {
  std::lock_guard lock(mutex_);
  probing_ = false;
}

circuit_breaker::state circuit_breaker::current(clock::time_point now) const {
  std::lock_guard lock(mutex_);
  if (state_ == state::open && now >= opened_at_ + std::chrono::milliseconds(cfg_.open_ms))
    return state::half_open;
  return state_;
}

void circuit_breaker::reconfigure(config::circuit_config cfg) {
  std::lock_guard lock(mutex_);
  cfg_ = cfg;
}

std::string_view to_string(circuit_breaker::state s) noexcept {
  switch (s) {
    case circuit_breaker::state::closed:
      return "closed";
    case circuit_breaker::state::open:
      return "open";
    case circuit_breaker::state::half_open:
      return "half_open";
  }
  return "closed";
}

}  // namespace cgw::policy
