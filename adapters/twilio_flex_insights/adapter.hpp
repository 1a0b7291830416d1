// The Twilio Flex Insights v1 adapter (`type: twilio_flex_insights`): HTTP Basic auth,
// SegmentId pushed down, every page followed through the vendor's own next_page_url
// (same origin only), and the order served by a scan: the vendor documents none.
#pragma once

#include "gateway/adapter/adapter.hpp"

namespace cgw::adapters::twilio_flex_insights {

// options.page_size: the PageSize of every list request (1..1000, default 1000).
inline constexpr std::string_view page_size_option = "page_size";

// Builds the adapter; a failure names the config key at fault.
result<std::unique_ptr<adapter::adapter>> make_adapter(const config::vendor_config& cfg);

}  // namespace cgw::adapters::twilio_flex_insights
