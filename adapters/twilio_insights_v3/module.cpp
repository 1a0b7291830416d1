// The Twilio Insights v3 module: `type: twilio_insights_v3`, its adapter and its sandbox.
#include "adapters/module.hpp"
#include "adapters/twilio_insights_v3/adapter.hpp"
#include "adapters/twilio_insights_v3/sandbox/sandbox.hpp"
#include "adapters/twilio_insights_v3/translate.hpp"

namespace cgw::adapters::twilio_insights_v3 {
namespace {

constexpr option_spec options[] = {
    {"dimensions", "unified field -> the cube's dimension, over the defaults (MAPPING.md)"},
    {"measures", "stats measure -> the cube's measure, over the defaults (MAPPING.md)"},
};

std::unique_ptr<sandbox::handler> make_sandbox(const sandbox_data& data) {
  auto o = with_records_and_seed(data, sandbox::twilio_insights_v3::options{});
  o.requests_per_minute = data.budget.value_or(o.requests_per_minute);
  return sandbox::twilio_insights_v3::make_handler(std::move(o));
}

std::vector<one_record_request> one_record_requests(sandbox::handler& h, std::string_view vendor,
                                                    std::size_t n) {
  return gets_of(vendor, sandbox::twilio_insights_v3::dataset(h), n,
                 [](const boost::json::object& r) { return std::string(r.at("Id").as_string()); });
}

}  // namespace

extern const vendor_module definition = {
    .type = type_name,
    .can_list = true,
    .can_get = true,
    .options = options,
    .make_adapter = make_adapter,
    .sandbox = {.port_offset = 2,
                .make = make_sandbox,
                .auth = R"({"username": "ACsandbox", "password": "sandbox-insights-secret"})",
                .ordered_list = "sort=-created_at",
                .sends_retry_after = true,
                .one_record_requests = one_record_requests},
};

}  // namespace cgw::adapters::twilio_insights_v3
