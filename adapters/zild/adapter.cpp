#include "adapters/zild/adapter.hpp"

#include "adapters/zild/translate.hpp"
#include "gateway/adapter/vendor_http.hpp"

namespace cgw::adapters::zild {
namespace {

using namespace cgw::adapter;

class zild_adapter final : public cgw::adapter::adapter {
 public:
  zild_adapter(config::vendor_config cfg, upstream::endpoint ep)
      : cfg_(std::move(cfg)), ep_(std::move(ep)), authorization_(authorization_header(cfg_.auth)) {
    caps_.can_list = false;
    caps_.can_get = true;
    caps_.list_unsupported_reason = std::string(zild::list_unsupported_reason);
    // Fields a Zild conversation never carries (MAPPING.md); filters on them match nothing.
    for (filter f : {filter::language, filter::channel, filter::platform, filter::owner_id, filter::user_id,
                     filter::person_id, filter::segment_id})
      caps_.absent.set(static_cast<std::size_t>(f));
  }

  const capabilities& caps() const noexcept override { return caps_; }
  const config::vendor_config& config() const noexcept override { return cfg_; }
  filter_set pushed_down(const list_query&) const override { return {}; }

  net::awaitable<result<list_result>> list(const list_request&, call_context&) const override {
    co_return failure::make(errc::unsupported, std::string(zild::list_unsupported_reason));
  }

  net::awaitable<result<conversation>> get(std::string_view native_id, call_context& ctx) const override {
    // Checked before any vendor call: an id the vendor's int32 path cannot take is the client's mistake.
    auto id = parse_native_id(native_id);
    if (!id) co_return id.error();
    auto req = vendor_request(http::verb::get, get_target(*id, ep_.path_prefix), authorization_);
    if (!ctx.include_raw) {  // no vendor object is kept: the record is read without a DOM
      auto answer = co_await fetch_text(ctx, ep_, std::move(req), cfg_.max_response_bytes);
      if (!answer) co_return answer.error();
      co_return read_one((*answer)->body(), cfg_.name, *id);
    }
    auto body = co_await fetch_json(ctx, ep_, std::move(req), cfg_.max_response_bytes);
    if (!body) co_return body.error();
    co_return read_one(std::move(*body), cfg_.name, *id);
  }

  plan explain(const list_request&) const override {
    plan p;
    p.wire = {{"unsupported", zild::list_unsupported_reason}};
    return p;
  }

 private:
  config::vendor_config cfg_;
  upstream::endpoint ep_;
  std::string authorization_;
  capabilities caps_;
};

}  // namespace

result<std::unique_ptr<cgw::adapter::adapter>> make_adapter(const config::vendor_config& cfg) {
  const std::string key = "vendors." + cfg.name;
  if (cfg.auth.bearer_token.empty())
    return failure::make(errc::invalid_parameter,
                         key + ".auth.bearer_token: required for type zild (the JWT)",
                         key + ".auth.bearer_token");
  auto ep = vendor_endpoint(cfg);
  if (!ep) return ep.error();
  return std::unique_ptr<cgw::adapter::adapter>(new zild_adapter(cfg, std::move(*ep)));
}

}  // namespace cgw::adapters::zild
