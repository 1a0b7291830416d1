// The adapter types this build ships, registered by name.
#pragma once

#include "gateway/adapter/adapter.hpp"

namespace cgw::adapters {

// Adds every built-in vendor type to `r`.
void register_builtin(adapter::registry& r);

}  // namespace cgw::adapters
