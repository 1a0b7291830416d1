// The Salesloft module: `type: salesloft`, its adapter and its sandbox.
#include "adapters/module.hpp"
#include "adapters/salesloft/adapter.hpp"
#include "adapters/salesloft/sandbox/sandbox.hpp"
#include "adapters/salesloft/translate.hpp"

namespace cgw::adapters::salesloft {
namespace {

std::unique_ptr<sandbox::handler> make_sandbox(const sandbox_data& data) {
  auto o = with_records_and_seed(data, sandbox::salesloft::options{});
  o.budget_per_minute = data.budget.value_or(o.budget_per_minute);
  return sandbox::salesloft::make_handler(std::move(o));
}

std::vector<one_record_request> one_record_requests(sandbox::handler& h, std::string_view vendor,
                                                    std::size_t n) {
  return gets_of(vendor, sandbox::salesloft::dataset(h), n,
                 [](const boost::json::object& r) { return std::string(r.at("id").as_string()); });
}

}  // namespace

extern const vendor_module definition = {
    .type = type_name,
    .can_list = true,
    .can_get = true,
    .options = {},
    .make_adapter = make_adapter,
    .sandbox = {.port_offset = 0,
                .make = make_sandbox,
                .auth = R"({"bearer_token": "sandbox-salesloft-token"})",
                .ordered_list = "sort=-created_at",
                .sends_retry_after = false,  // its 429 says x-ratelimit-* only
                .one_record_requests = one_record_requests},
};

}  // namespace cgw::adapters::salesloft
