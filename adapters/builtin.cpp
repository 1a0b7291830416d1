#include "adapters/builtin.hpp"

#include "adapters/salesloft/adapter.hpp"
#include "adapters/salesloft/translate.hpp"

namespace cgw::adapters {

void register_builtin(adapter::registry& r) {
  r.add(std::string(salesloft::type_name), salesloft::make_adapter);
}

}  // namespace cgw::adapters
