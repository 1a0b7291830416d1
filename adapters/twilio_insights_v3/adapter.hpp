// The Twilio Insights v3 adapter (`type: twilio_insights_v3`): HTTP Basic auth, semantic
// queries over the Conversations domain with configurable unified field -> dimension
// mapping, checked against the domain's Metadata once per adapter instance; keyset walks
// over the mapped time and duration dimensions, scans otherwise.
#pragma once

#include "gateway/adapter/adapter.hpp"

namespace cgw::adapters::twilio_insights_v3 {

// Builds the adapter; a failure names the config key at fault.
result<std::unique_ptr<adapter::adapter>> make_adapter(const config::vendor_config& cfg);

}  // namespace cgw::adapters::twilio_insights_v3
