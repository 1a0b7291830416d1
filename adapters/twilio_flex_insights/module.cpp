// The Twilio Flex Insights module: `type: twilio_flex_insights`, its adapter and its sandbox.
#include "adapters/module.hpp"
#include "adapters/twilio_flex_insights/adapter.hpp"
#include "adapters/twilio_flex_insights/sandbox/sandbox.hpp"
#include "adapters/twilio_flex_insights/translate.hpp"

namespace cgw::adapters::twilio_flex_insights {
namespace {

constexpr option_spec options[] = {
    {page_size_option, "the PageSize of every list request, 1 to 1000 (default 1000)"},
};

std::unique_ptr<sandbox::handler> make_sandbox(const sandbox_data& data) {
  return sandbox::twilio_flex_insights::make_handler(
      with_records_and_seed(data, sandbox::twilio_flex_insights::options{}));
}

// Flex has no get: a segment's list holds the one conversation that has the segment.
std::vector<one_record_request> one_record_requests(sandbox::handler& h, std::string_view vendor,
                                                    std::size_t n) {
  std::vector<one_record_request> out;
  for (const auto& r : sandbox::twilio_flex_insights::dataset(h)) {
    if (out.size() == n) break;
    const auto& segments = r.at("segments");
    if (!r.at("conversation_id").is_string() || !segments.is_array() || segments.as_array().empty()) continue;
    const std::string segment(segments.at(0).at("segment_id").as_string());
    out.push_back({"/v1/conversations?vendor=" + std::string(vendor) + "&segment_id=" + segment,
                   std::string(r.at("conversation_id").as_string())});
  }
  return out;
}

}  // namespace

extern const vendor_module definition = {
    .type = type_name,
    .can_list = true,
    .can_get = false,
    .options = options,
    .make_adapter = make_adapter,
    .sandbox = {.port_offset = 1,
                .make = make_sandbox,
                .auth = R"({"username": "ACsandbox", "password": "sandbox-flex-secret"})",
                .ordered_list = "",  // the vendor documents no order: every list is a scan
                .sends_retry_after = true,
                .one_record_requests = one_record_requests},
};

}  // namespace cgw::adapters::twilio_flex_insights
