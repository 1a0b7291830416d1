#include "gateway/adapter/adapter.hpp"

#include <algorithm>

namespace cgw::adapter {

void registry::add(std::string type, factory f) {
  factories_.emplace_back(std::move(type), std::move(f));
}

bool registry::knows(std::string_view type) const {
  return std::any_of(factories_.begin(), factories_.end(), [&](const auto& e) { return e.first == type; });
}

result<std::unique_ptr<adapter>> registry::create(const config::vendor_config& cfg) const {
  for (const auto& [type, make] : factories_)
    if (type == cfg.type) return make(cfg);
  return failure::make(errc::invalid_parameter,
                       "vendors." + cfg.name + ".type: unknown vendor type \"" + cfg.type + "\"",
                       "vendors." + cfg.name + ".type");
}

std::vector<std::string> registry::types() const {
  std::vector<std::string> out;
  for (const auto& e : factories_) out.push_back(e.first);
  return out;
}

}  // namespace cgw::adapter
