// The Zild module: `type: zild`, its adapter and its sandbox.
#include "adapters/module.hpp"
#include "adapters/zild/adapter.hpp"
#include "adapters/zild/sandbox/sandbox.hpp"
#include "adapters/zild/translate.hpp"

namespace cgw::adapters::zild {
namespace {

std::unique_ptr<sandbox::handler> make_sandbox(const sandbox_data& data) {
  return sandbox::zild::make_handler(with_records_and_seed(data, sandbox::zild::options{}));
}

std::vector<one_record_request> one_record_requests(sandbox::handler& h, std::string_view vendor,
                                                    std::size_t n) {
  return gets_of(vendor, sandbox::zild::dataset(h), n,
                 [](const boost::json::object& r) { return std::to_string(r.at("id").as_int64()); });
}

}  // namespace

extern const vendor_module definition = {
    .type = type_name,
    .can_list = false,
    .can_get = true,
    .options = {},
    .make_adapter = make_adapter,
    .sandbox = {.port_offset = 3,
                .make = make_sandbox,
                .auth = R"({"bearer_token": "sandbox-zild-jwt"})",
                .ordered_list = "",  // no list
                .sends_retry_after = true,
                .one_record_requests = one_record_requests},
};

}  // namespace cgw::adapters::zild
