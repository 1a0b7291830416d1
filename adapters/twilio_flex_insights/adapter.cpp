#include "adapters/twilio_flex_insights/adapter.hpp"

#include "adapters/twilio_flex_insights/translate.hpp"
#include "gateway/adapter/vendor_http.hpp"
#include "gateway/adapter/walk.hpp"

namespace cgw::adapters::twilio_flex_insights {
namespace {

using namespace cgw::adapter;

class flex_adapter final : public cgw::adapter::adapter {
 public:
  flex_adapter(config::vendor_config cfg, upstream::endpoint ep, std::size_t page_size)
      : cfg_(std::move(cfg)),
        ep_(std::move(ep)),
        authorization_(authorization_header(cfg_.auth)),
        page_size_(page_size) {
    caps_.can_list = true;
    // The contract has no endpoint for one conversation (MAPPING.md, "Get by id").
    caps_.can_get = false;
    caps_.pushdown.set(static_cast<std::size_t>(filter::segment_id));
    caps_.absent = absent_filters();
    // The list order is undocumented: no sort key is served natively, every walk is a scan.
    caps_.native_sorts = {};
    caps_.limits.max_concurrency = twilio_concurrency_limit;  // Twilio answers 429 (20429) beyond it
    caps_.limits.remaining_header = "X-RateLimit-Remaining";
    caps_.limits.reset_header = "X-RateLimit-Reset";
  }

  const capabilities& caps() const noexcept override { return caps_; }
  const config::vendor_config& config() const noexcept override { return cfg_; }
  filter_set pushed_down(const list_query& q) const override { return twilio_flex_insights::pushed_down(q); }

  net::awaitable<result<list_result>> list(const list_request& req, call_context& ctx) const override {
    std::size_t skipped = 0;  // outlives the walk: the fetcher is only called while it runs
    page_fetcher fetch = [this, &skipped](const page_ask& ask, call_context& c) {
      return fetch_page(ask, c, skipped);
    };
    auto out = co_await scan_walk(req, ctx, fetch, page_size_, cfg_.scan_limit);
    if (out && skipped != 0)
      out->note +=
          "; " + std::to_string(skipped) + " vendor record(s) without a conversation_id were skipped";
    co_return out;
  }

  net::awaitable<result<conversation>> get(std::string_view, call_context&) const override {
    co_return failure::make(errc::unsupported,
                            "Flex Insights v1 has no endpoint that fetches one conversation by id");
  }

  plan explain(const list_request& req) const override {
    plan p;
    p.native_sort = false;
    p.wire = {{"method", "GET"},
              {"target", first_page_target(req.query, page_size_, ep_.path_prefix)},
              {"paging",
               "then GET meta.next_page_url exactly as returned (refused unless on base_url's origin) until "
               "it is null, up to scan_limit records; the vendor's order is undocumented, so the gateway "
               "filters and sorts what it read"}};
    return p;
  }

 private:
  net::awaitable<result<vendor_page>> fetch_page(const page_ask& ask, call_context& ctx,
                                                 std::size_t& skipped) const {
    // The continuation is the vendor's own next_page_url (made origin-form): never built by hand.
    std::string target = ask.continuation.empty()
                             ? first_page_target(ask.query, ask.per_page, ep_.path_prefix)
                             : ask.continuation;
    auto req = vendor_request(http::verb::get, target, authorization_);
    auto page = co_await read(ctx, std::move(req), target, ask.query.include_raw);
    if (!page) co_return page.error();
    skipped += page->skipped;
    co_return std::move(page->page);
  }

  // The answer to `req` (the page at `target`); without raw (`include_raw` false) no DOM is built.
  net::awaitable<result<page_read>> read(call_context& ctx, upstream::request req, const std::string& target,
                                         bool include_raw) const {
    if (!include_raw) {
      auto answer = co_await fetch_text(ctx, ep_, std::move(req), cfg_.max_response_bytes);
      if (!answer) co_return answer.error();
      co_return read_page((*answer)->body(), cfg_.name, ep_, target);
    }
    auto body = co_await fetch_json(ctx, ep_, std::move(req), cfg_.max_response_bytes);
    if (!body) co_return body.error();
    co_return read_page(std::move(*body), cfg_.name, ep_, target);
  }

  config::vendor_config cfg_;
  upstream::endpoint ep_;
  std::string authorization_;
  std::size_t page_size_;
  capabilities caps_;
};

// options.page_size: the PageSize of every list request (1..1000, default 1000).
result<std::size_t> page_size_of(const config::vendor_config& cfg) {
  const std::string key = "vendors." + cfg.name + ".options." + std::string(page_size_option);
  const auto* v = cfg.options.if_contains(page_size_option);
  if (!v) return max_per_page;
  if (!v->is_int64() || v->get_int64() < 1 || v->get_int64() > static_cast<std::int64_t>(max_per_page))
    return failure::make(errc::invalid_parameter, key + ": expected an integer from 1 to 1000", key);
  return static_cast<std::size_t>(v->get_int64());
}

}  // namespace

result<std::unique_ptr<cgw::adapter::adapter>> make_adapter(const config::vendor_config& cfg) {
  const std::string key = "vendors." + cfg.name;
  auto page_size = page_size_of(cfg);
  if (!page_size) return page_size.error();
  if (cfg.auth.username.empty() || cfg.auth.password.empty() || !cfg.auth.bearer_token.empty())
    return failure::make(
        errc::invalid_parameter,
        key +
            ".auth.username: type twilio_flex_insights needs username and password (HTTP Basic: "
            "an API key SID and secret, or the account SID and auth token)",
        key + ".auth.username");
  auto ep = vendor_endpoint(cfg);
  if (!ep) return ep.error();
  return std::unique_ptr<cgw::adapter::adapter>(new flex_adapter(cfg, std::move(*ep), *page_size));
}

}  // namespace cgw::adapters::twilio_flex_insights
