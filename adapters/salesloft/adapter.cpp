#include "adapters/salesloft/adapter.hpp"

#include "adapters/salesloft/translate.hpp"
#include "gateway/adapter/vendor_http.hpp"
#include "gateway/adapter/walk.hpp"

#include <algorithm>

namespace cgw::adapters::salesloft {
namespace {

using namespace cgw::adapter;

class salesloft_adapter final : public cgw::adapter::adapter {
 public:
  salesloft_adapter(config::vendor_config cfg, upstream::endpoint ep)
      : cfg_(std::move(cfg)), ep_(std::move(ep)), authorization_(authorization_header(cfg_.auth)) {
    caps_.can_list = true;
    caps_.can_get = true;
    for (filter f : {filter::created_after, filter::created_before, filter::updated_after, filter::updated_before,
                     filter::min_duration_ms, filter::max_duration_ms, filter::language, filter::platform,
                     filter::channel, filter::account_id, filter::owner_id, filter::user_id, filter::person_id,
                     filter::id, filter::title, filter::title_prefix})
      caps_.pushdown.set(static_cast<std::size_t>(f));
    // Agents carry only an owner id, never a name; conversations have no segments.
    caps_.absent.set(static_cast<std::size_t>(filter::agent));
    caps_.absent.set(static_cast<std::size_t>(filter::segment_id));
    caps_.native_sorts = {sort_field::created_at, sort_field::updated_at, sort_field::duration_ms};
    caps_.limits.rate_limit = {budget_points_per_minute, 60};
    caps_.limits.remaining_header = "x-ratelimit-remaining-minute";
  }

  const capabilities& caps() const noexcept override { return caps_; }
  const config::vendor_config& config() const noexcept override { return cfg_; }
  filter_set pushed_down(const list_query& q) const override { return salesloft::pushed_down(q); }

  net::awaitable<result<list_result>> list(const list_request& req, call_context& ctx) const override {
    // A value outside a documented list would be a 422: the vendor's answer is known without asking.
    if (auto none = nothing_matches(req.query)) {
      list_result out;
      out.exhausted = true;
      out.note = std::move(*none);
      co_return out;
    }
    page_fetcher fetch = [this](const page_ask& ask, call_context& c) { return fetch_page(ask, c); };
    if (native(req.query.sort.field)) co_return co_await keyset_walk(req, ctx, fetch, max_per_page, cfg_.scan_limit);
    co_return co_await scan_walk(req, ctx, fetch, max_per_page, cfg_.scan_limit);
  }

  net::awaitable<result<conversation>> get(std::string_view native_id, call_context& ctx) const override {
    const std::string id(native_id);  // the caller's view may not outlive the first suspension
    auto req = vendor_request(http::verb::get, get_target(id, ep_.path_prefix), authorization_);
    auto body = co_await fetch_json(ctx, ep_, std::move(req), cfg_.max_response_bytes);
    if (!body) co_return body.error();
    co_return read_one(std::move(*body), cfg_.name, id);
  }

  plan explain(const list_request& req) const override {
    plan p;
    p.native_sort = native(req.query.sort.field);
    page_ask ask{req.query, p.native_sort, req.after ? req.after->value : std::nullopt, {},
                 std::min(p.native_sort ? keyset_page_size(req.want) : max_per_page, max_per_page)};
    if (auto none = nothing_matches(req.query)) {
      p.wire = {{"skipped", *none}};
      return p;
    }
    p.wire = {{"method", "GET"}, {"target", list_target(ask, ep_.path_prefix, cfg_.name)},
              {"paging", p.native_sort ? "keyset on the sort field, then page/per_page within ties"
                                       : "every page (page/per_page) up to scan_limit, sorted by the gateway"}};
    return p;
  }

 private:
  bool native(sort_field f) const {
    return std::find(caps_.native_sorts.begin(), caps_.native_sorts.end(), f) != caps_.native_sorts.end();
  }

  net::awaitable<result<vendor_page>> fetch_page(const page_ask& ask, call_context& ctx) const {
    auto req = vendor_request(http::verb::get, list_target(ask, ep_.path_prefix, cfg_.name), authorization_);
    auto body = co_await fetch_json(ctx, ep_, std::move(req), cfg_.max_response_bytes, page_cost(ask.continuation));
    if (!body) co_return body.error();
    co_return read_page(std::move(*body), cfg_.name);
  }

  config::vendor_config cfg_;
  upstream::endpoint ep_;
  std::string authorization_;
  capabilities caps_;
};

}  // namespace

result<std::unique_ptr<adapter::adapter>> make_adapter(const config::vendor_config& cfg) {
  const std::string key = "vendors." + cfg.name;
  if (auto ok = check_options(cfg, {}); !ok) return ok.error();
  if (cfg.auth.bearer_token.empty())
    return failure::make(errc::invalid_parameter, key + ".auth.bearer_token: required for type salesloft",
                         key + ".auth.bearer_token");
  auto ep = vendor_endpoint(cfg);
  if (!ep) return ep.error();
  return std::unique_ptr<adapter::adapter>(new salesloft_adapter(cfg, std::move(*ep)));
}

}  // namespace cgw::adapters::salesloft
