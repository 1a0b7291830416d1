// The Salesloft adapter (`type: salesloft`): Bearer auth, bracket filters pushed
// down, keyset walks over created_at / updated_at / duration, scans otherwise.
#pragma once

#include "gateway/adapter/adapter.hpp"

namespace cgw::adapters::salesloft {

// Builds the adapter; a failure names the config key at fault.
result<std::unique_ptr<adapter::adapter>> make_adapter(const config::vendor_config& cfg);

}  // namespace cgw::adapters::salesloft
