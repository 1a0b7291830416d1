#include "adapters/module.hpp"

#include <algorithm>

namespace cgw::adapters {
namespace {

// Fails naming `vendors.<name>.options.<key>` for the first key `m` does not list.
result<void> check_options(const vendor_module& m, const config::vendor_config& cfg) {
  for (const auto& entry : cfg.options) {
    const std::string_view key = entry.key();  // not a structured binding: clang 14 cannot capture one
    const auto known = [&](const option_spec& o) { return o.key == key; };
    if (std::none_of(m.options.begin(), m.options.end(), known)) {
      std::string where = "vendors." + cfg.name + ".options." + std::string(key);
      std::string message = where + ": unknown key for type " + std::string(m.type);
      if (m.options.empty()) {
        message += " (it takes no options)";
      } else {
        message += " (known:";
        for (const auto& o : m.options) message += " " + std::string(o.key);
        message += ")";
      }
      return failure::make(errc::invalid_parameter, std::move(message), std::move(where));
    }
  }
  return {};
}

}  // namespace

const vendor_module* find_module(std::string_view type) {
  const auto all = modules();
  const auto it =
      std::find_if(all.begin(), all.end(), [&](const vendor_module* m) { return m->type == type; });
  return it == all.end() ? nullptr : *it;
}

void register_adapters(adapter::registry& r) {
  for (const vendor_module* m : modules())
    r.add(std::string(m->type),
          [m](const config::vendor_config& cfg) -> result<std::unique_ptr<adapter::adapter>> {
            if (auto ok = check_options(*m, cfg); !ok) return ok.error();
            return m->make_adapter(cfg);
          });
}

}  // namespace cgw::adapters
