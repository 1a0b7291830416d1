// The Zild adapter (`type: zild`): Bearer (JWT) auth, get by int32 id only. The vendor
// has no list endpoint, so list fan-out reports it as unsupported.
#pragma once

#include "gateway/adapter/adapter.hpp"

namespace cgw::adapters::zild {

// Builds the adapter; a failure names the config key at fault.
result<std::unique_ptr<adapter::adapter>> make_adapter(const config::vendor_config& cfg);

}  // namespace cgw::adapters::zild
