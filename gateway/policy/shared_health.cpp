#include "gateway/policy/shared_health.hpp"

#include "gateway/metrics/catalog.hpp"

namespace cgw::policy {

shared_health::shared_health(listener on_change) : on_change_(std::move(on_change)) {
  metrics::shared_state_degraded.with({}).set(0);
}

void shared_health::succeeded(clock::time_point asked) {
  if (degraded_.load()) change(false, asked, "redis answers again");
}

void shared_health::failed(clock::time_point asked, const std::string& why) {
  if (!degraded_.load()) change(true, asked, why);
}

void shared_health::change(bool degraded, clock::time_point asked, const std::string& why) {
  std::lock_guard lock(mutex_);
  if (degraded_.load() == degraded || asked < changed_) return;
  degraded_ = degraded;
  changed_ = clock::now();
  metrics::shared_state_degraded.with({}).set(degraded ? 1 : 0);
  if (on_change_) on_change_(degraded, why);
}

}  // namespace cgw::policy
