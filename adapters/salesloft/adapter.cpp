#include "adapters/salesloft/adapter.hpp"

#include "adapters/salesloft/translate.hpp"
#include "gateway/adapter/vendor_http.hpp"
#include "gateway/adapter/walk.hpp"

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace cgw::adapters::salesloft {
namespace {

using namespace cgw::adapter;

class salesloft_adapter final : public cgw::adapter::adapter {
 public:
  salesloft_adapter(config::vendor_config cfg, upstream::endpoint ep)
      : cfg_(std::move(cfg)), ep_(std::move(ep)), authorization_(authorization_header(cfg_.auth)) {
    caps_.can_list = true;
    caps_.can_get = true;
    for (filter f :
         {filter::created_after, filter::created_before, filter::updated_after, filter::updated_before,
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
    if (native(req.query.sort.field))
      co_return co_await keyset_walk(req, ctx, fetch, max_per_page, cfg_.scan_limit);
    co_return co_await scan_walk(req, ctx, fetch, max_per_page, cfg_.scan_limit);
  }

  net::awaitable<result<conversation>> get(std::string_view native_id, call_context& ctx) const override {
    const std::string id(native_id);  // the caller's view may not outlive the first suspension
    auto req = vendor_request(http::verb::get, get_target(id, ep_.path_prefix), authorization_);
    if (!ctx.include_raw) {
      auto answer = co_await fetch_text(ctx, ep_, std::move(req), cfg_.max_response_bytes);
      if (!answer) co_return answer.error();
      co_return read_one((*answer)->body(), cfg_.name, id);
    }
    auto body = co_await fetch_json(ctx, ep_, std::move(req), cfg_.max_response_bytes);
    if (!body) co_return body.error();
    co_return read_one(std::move(*body), cfg_.name, id);
  }

  plan explain(const list_request& req) const override {
    plan p;
    p.native_sort = native(req.query.sort.field);
    page_ask ask{req.query,
                 p.native_sort,
                 req.after ? req.after->value : std::nullopt,
                 {},
                 std::min(p.native_sort ? keyset_page_size(req.want) : max_per_page, max_per_page)};
    if (auto none = nothing_matches(req.query)) {
      p.wire = {{"skipped", *none}};
      return p;
    }
    p.wire = {
        {"method", "GET"},
        {"target", list_target(ask, ep_.path_prefix, cfg_.name)},
        {"paging", p.native_sort ? "keyset on the sort field, then page/per_page within ties"
                                 : "every page (page/per_page) up to scan_limit, sorted by the gateway"}};
    return p;
  }

  net::awaitable<result<std::optional<aggregate_result>>> aggregate(const aggregate_request& req,
                                                                    call_context& ctx) const override {
    const stats_query& sq = req.stats;
    aggregate_result out;
    if (auto none = nothing_matches(sq.filters)) {  // answered without a call, like the list
      out.plan = {"vendor_counts", *none, {}, 0, 0};
      out.note = std::move(*none);
      co_return out;
    }
    auto planned = plan_counts(sq, ep_.path_prefix, cfg_.name);
    if (auto* why = std::get_if<std::string>(&planned)) {
      out.plan.method = "records";
      out.plan.reason = std::move(*why);
      co_return out;
    }
    const counts_plan& plan = std::get<counts_plan>(planned);
    // The probe prices both ways: how many records match, hence how many pages reading them takes.
    auto probe = co_await count(plan.probe_target, ctx);
    if (!probe) co_return probe.error();
    const std::uint64_t matching = *probe;
    const std::size_t more = plan.cells.size() - (plan.total_cell ? 1 : 0);
    const std::uint64_t pages = std::max<std::uint64_t>(1, (matching + max_per_page - 1) / max_per_page);
    const bool capped = matching > cfg_.scan_limit;  // a records read would stop short: counts stay exact
    out.plan.method = "vendor_counts";
    out.plan.requests = 1 + more;
    out.plan.points = static_cast<double>(out.plan.requests) * page_cost("1");
    out.plan.calls.push_back(
        boost::json::object{{"method", "GET"}, {"target", plan.probe_target}, {"role", "probe"}});
    constexpr std::size_t shown = 50;  // explain lists the first calls; the rest differ only in values
    for (std::size_t i = 0, listed = 0; i < plan.cells.size() && listed < shown; ++i)
      if (!plan.total_cell || i != *plan.total_cell)
        out.plan.calls.push_back(boost::json::object{{"method", "GET"}, {"target", plan.cells[i].target}}),
            ++listed;
    if (more > shown) out.plan.calls.push_back(boost::json::object{{"more_calls", more - shown}});
    out.plan.reason = std::to_string(matching) + " records match: counting takes " +
                      std::to_string(1 + more) + " requests, reading them about " + std::to_string(pages) +
                      " pages of " + std::to_string(max_per_page);
    if (!req.forced && !capped && more > pages) {
      out.plan.method = "records";
      out.plan.reason += ", which costs less";
      co_return out;
    }
    if (req.plan_only) co_return out;

    std::vector<std::uint64_t> counts(plan.cells.size());
    if (plan.total_cell) counts[*plan.total_cell] = matching;
    std::optional<failure> first_error;
    std::size_t next = 0;
    auto worker = [&]() -> net::awaitable<void> {
      while (next < plan.cells.size() && !first_error) {
        const std::size_t i = next++;  // one io thread: no other worker runs between these lines
        if (plan.total_cell && i == *plan.total_cell) continue;
        auto n = co_await count(plan.cells[i].target, ctx);
        if (n)
          counts[i] = *n;
        else if (!first_error)
          first_error = n.error();
      }
    };
    constexpr std::size_t concurrency = 4;  // a few at a time: the budget is per team, not per call
    auto ex = co_await net::this_coro::executor;
    using op_type = decltype(net::co_spawn(ex, worker(), net::deferred));
    std::vector<op_type> ops;
    for (std::size_t i = 0; i < std::min(concurrency, more); ++i)
      ops.push_back(net::co_spawn(ex, worker(), net::deferred));
    if (!ops.empty())
      co_await net::experimental::make_parallel_group(std::move(ops))
          .async_wait(net::experimental::wait_for_all(), net::use_awaitable);
    if (first_error) co_return *first_error;
    bool consistent = true;
    out.table = counts_table(plan, counts, consistent);
    if (!consistent) {
      out.exact = false;
      out.note = "the counts disagree (the data changed between the calls): some null groups are estimates";
    }
    co_return out;
  }

 private:
  // total_count of one count request (per_page=1, include_paging_counts=true), at its page's cost.
  net::awaitable<result<std::uint64_t>> count(const std::string& target, call_context& ctx) const {
    auto req = vendor_request(http::verb::get, target, authorization_);
    auto body = co_await fetch_json(ctx, ep_, std::move(req), cfg_.max_response_bytes, page_cost("1"));
    if (!body) co_return body.error();
    co_return read_total_count(*body);
  }

  bool native(sort_field f) const {
    return std::find(caps_.native_sorts.begin(), caps_.native_sorts.end(), f) != caps_.native_sorts.end();
  }

  net::awaitable<result<vendor_page>> fetch_page(const page_ask& ask, call_context& ctx) const {
    auto req = vendor_request(http::verb::get, list_target(ask, ep_.path_prefix, cfg_.name), authorization_);
    if (!ask.query.include_raw) {  // no vendor object is kept: the records are read without a DOM
      auto answer =
          co_await fetch_text(ctx, ep_, std::move(req), cfg_.max_response_bytes, page_cost(ask.continuation));
      if (!answer) co_return answer.error();
      co_return read_page((*answer)->body(), cfg_.name);
    }
    auto body =
        co_await fetch_json(ctx, ep_, std::move(req), cfg_.max_response_bytes, page_cost(ask.continuation));
    if (!body) co_return body.error();
    co_return read_page(std::move(*body), cfg_.name);
  }

  config::vendor_config cfg_;
  upstream::endpoint ep_;
  std::string authorization_;
  capabilities caps_;
};

}  // namespace

result<std::unique_ptr<cgw::adapter::adapter>> make_adapter(const config::vendor_config& cfg) {
  const std::string key = "vendors." + cfg.name;
  if (cfg.auth.bearer_token.empty())
    return failure::make(errc::invalid_parameter, key + ".auth.bearer_token: required for type salesloft",
                         key + ".auth.bearer_token");
  auto ep = vendor_endpoint(cfg);
  if (!ep) return ep.error();
  return std::unique_ptr<cgw::adapter::adapter>(new salesloft_adapter(cfg, std::move(*ep)));
}

}  // namespace cgw::adapters::salesloft
