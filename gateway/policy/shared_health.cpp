#include "gateway/policy/shared_health.hpp"

#include "gateway/metrics/metrics.hpp"

namespace cgw::policy {

shared_health::shared_health(listener on_change) : on_change_(std::move(on_change)) {
  metrics::registry::global().set("cgw_shared_state_degraded", {}, 0);
}

void shared_health::succeeded() {
  if (!degraded_.load()) return;
  std::lock_guard lock(mutex_);
  if (!degraded_.exchange(false)) return;
  metrics::registry::global().set("cgw_shared_state_degraded", {}, 0);
  if (on_change_) on_change_(false, "redis answers again");
}

void shared_health::failed(const std::string& why) {
  if (degraded_.load()) return;
  std::lock_guard lock(mutex_);
  if (degraded_.exchange(true)) return;
  metrics::registry::global().set("cgw_shared_state_degraded", {}, 1);
  if (on_change_) on_change_(true, why);
}

}  // namespace cgw::policy
