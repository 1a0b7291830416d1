#include "adapters/twilio_insights_v3/adapter.hpp"

#include "adapters/twilio_insights_v3/translate.hpp"
#include "gateway/adapter/fields.hpp"
#include "gateway/adapter/vendor_http.hpp"
#include "gateway/adapter/walk.hpp"
#include "gateway/logging/logging.hpp"

#include <algorithm>
#include <bit>
#include <mutex>
#include <set>

#include <boost/json/serialize.hpp>

namespace cgw::adapters::twilio_insights_v3 {
namespace {

using namespace cgw::adapter;
namespace json = boost::json;

constexpr std::string_view logger_name = "adapter.twilio_insights_v3";

// The configured mapping as this vendor's cube allows it, learnt from /Metadata.
struct cube_view {
  dimension_map dims;                                  // without the dimensions the cube lacks
  std::vector<std::pair<field, std::string>> missing;  // what was dropped, for notes and the log
  measure_map measures;                                // without the measures the cube lacks
  std::vector<std::pair<cube_measure, std::string>> missing_measures;
};

// Once per adapter, on the request that first read the cube's Metadata.
void warn_missing(const std::string& vendor, std::string_view request_id, const cube_view& view) {
  for (const auto& [f, dimension] : view.missing)
    logging::emit(spdlog::level::warn, logger_name,
                  "the Conversations cube has no dimension: the field is treated as absent",
                  {{"vendor", vendor},
                   {"dimension", dimension},
                   {"field", to_string(f)},
                   {"key", "vendors." + vendor + ".options.dimensions." + std::string(to_string(f))},
                   {"request_id", request_id}});
  for (const auto& [m, measure] : view.missing_measures)
    logging::emit(spdlog::level::warn, logger_name,
                  "the Conversations cube has no measure: stats needing it read the records",
                  {{"vendor", vendor},
                   {"measure", measure},
                   {"stat", to_string(m)},
                   {"key", "vendors." + vendor + ".options.measures." + std::string(to_string(m))},
                   {"request_id", request_id}});
}

class insights_adapter final : public cgw::adapter::adapter {
 public:
  insights_adapter(config::vendor_config cfg, upstream::endpoint ep, dimension_map dims, measure_map measures)
      : cfg_(std::move(cfg)),
        ep_(std::move(ep)),
        authorization_(authorization_header(cfg_.auth)),
        configured_(std::move(dims)),
        configured_measures_(std::move(measures)) {
    caps_.can_list = true;
    caps_.can_get = true;
    // What the configuration maps; a dimension the cube turns out to lack is handled per call.
    caps_.pushdown = pushable_filters(configured_);
    caps_.absent = absent_filters(configured_);
    caps_.limits.max_concurrency = twilio_concurrency_limit;  // Twilio answers 429 (20429) beyond it
    caps_.limits.remaining_header = "X-RateLimit-Remaining";
    caps_.limits.reset_header = "X-RateLimit-Reset";
    for (sort_field f :
         {sort_field::started_at, sort_field::created_at, sort_field::updated_at, sort_field::duration_ms})
      if (native_sort(f, configured_)) caps_.native_sorts.push_back(f);
  }

  const capabilities& caps() const noexcept override { return caps_; }
  const config::vendor_config& config() const noexcept override { return cfg_; }

  filter_set pushed_down(const list_query& q) const override {
    auto view = known_cube();
    return twilio_insights_v3::pushed_down(q, view ? view->dims : configured_);
  }

  net::awaitable<result<list_result>> list(const list_request& req, call_context& ctx) const override {
    auto cube = co_await cube_of(ctx);
    if (!cube) co_return cube.error();
    std::shared_ptr<const cube_view> view = std::move(*cube);
    const list_query& q = req.query;
    if (auto none = nothing_matches(q, *view)) {
      list_result out;
      out.exhausted = true;
      out.note = std::move(*none);
      co_return out;
    }
    // The fetcher owns the view, so the mapping outlives every page of the walk.
    page_fetcher fetch = [this, view](const page_ask& ask, call_context& c) {
      return fetch_page(ask, c, view->dims);
    };
    if (native_sort(q.sort.field, view->dims))
      co_return co_await keyset_walk(req, ctx, fetch, max_per_page, cfg_.scan_limit);
    co_return co_await scan_walk(req, ctx, fetch, max_per_page, cfg_.scan_limit);
  }

  net::awaitable<result<conversation>> get(std::string_view native_id, call_context& ctx) const override {
    const std::string id(native_id);  // the caller's view may not outlive the first suspension
    auto cube = co_await cube_of(ctx);
    if (!cube) co_return cube.error();
    const std::shared_ptr<const cube_view> view = std::move(*cube);
    auto req = post(query_target(ep_.path_prefix, 1), get_body(id, view->dims));
    auto page = co_await read(ctx, std::move(req), view->dims, ctx.include_raw);
    if (!page) co_return page.error();
    for (auto& c : page->records)
      if (c.native_id == id) co_return std::move(c);
    // Items under other ids answer some other query (the filter was not applied, or the answer is
    // another request's): never served under the id that was asked for, nor taken as "not found".
    if (!page->records.empty())
      co_return failure::make(errc::upstream_error,
                              "the vendor answered with another conversation than the one asked for");
    co_return failure::make(errc::not_found, "the vendor has no such conversation");
  }

  plan explain(const list_request& req) const override {
    const auto view = known_cube();
    const dimension_map& dims = view ? view->dims : configured_;
    plan p;
    p.native_sort = native_sort(req.query.sort.field, dims);
    const std::size_t per_page =
        p.native_sort ? std::min(keyset_page_size(req.want), max_per_page) : max_per_page;
    const page_ask ask{req.query, p.native_sort, req.after ? req.after->value : std::nullopt, {}, per_page};
    p.wire = {
        {"method", "POST"},
        {"target", query_target(ep_.path_prefix, per_page)},
        {"body", query_body(ask, dims, cfg_.name)},
        {"paging",
         p.native_sort
             ? "keyset on the sort dimension; GET ?pageToken=<meta.nextToken> while there is one"
             : "every page (GET ?pageToken=<meta.nextToken>) up to scan_limit, sorted by the gateway"},
        {"metadata",
         view ? "known" : "GET " + metadata_target(ep_.path_prefix) + " first, once per configuration"}};
    if (view)
      if (auto none = nothing_matches(req.query, *view)) p.wire["skipped"] = *none;
    return p;
  }

  net::awaitable<result<std::optional<aggregate_result>>> aggregate(const aggregate_request& req,
                                                                    call_context& ctx) const override {
    auto cube = co_await cube_of(ctx);
    if (!cube) co_return cube.error();
    const std::shared_ptr<const cube_view> view = std::move(*cube);
    const stats_query& sq = req.stats;
    aggregate_result out;
    if (auto none = nothing_matches(sq.filters, *view)) {  // answered without a call, like the list
      out.plan = {"vendor_aggregate", *none, {}, 0, 0};
      out.note = std::move(*none);
      co_return out;
    }
    auto planned = aggregate_body(sq, view->dims, view->measures, cfg_.name, req.forced);
    if (auto* why = std::get_if<std::string>(&planned)) {
      out.plan.method = "records";
      out.plan.reason = std::move(*why);
      co_return out;
    }
    json::object body = std::move(std::get<json::object>(planned));
    // Groups never outnumber the records they hold, so the grouped answer's pages are at most the
    // records' pages: the cube's own way is never the dearer one.
    out.plan.method = "vendor_aggregate";
    out.plan.reason = "the cube groups and aggregates server-side: one query, a page per " +
                      std::to_string(max_per_page) + " groups";
    out.plan.requests = 1;
    out.plan.points = 1;
    out.plan.calls.push_back(json::object{{"method", "POST"},
                                          {"target", query_target(ep_.path_prefix, max_per_page)},
                                          {"body", body},
                                          {"paging", "GET ?pageToken=<meta.nextToken> while there is one"}});
    if (req.plan_only) co_return out;

    auto page = co_await call(ctx, post(query_target(ep_.path_prefix, max_per_page), body));
    std::set<std::string> followed;
    // Each round follows a token not followed before; the cap bounds a vendor whose tokens never repeat.
    for (std::size_t round = 0;; ++round) {
      if (!page) co_return page.error();
      const json::object* envelope = page->value().if_object();
      const json::value* items = envelope ? envelope->if_contains("items") : nullptr;
      if (!items || !items->is_array())
        co_return failure::make(errc::upstream_error, "the Insights answer has no items array");
      if (auto ok =
              add_aggregate_items(items->get_array(), sq, view->dims, view->measures, cfg_.name, out.table);
          !ok)
        co_return ok.error();
      if (out.table.size() > max_groups)
        break;  // the gateway refuses the query; reading on would not change that
      const json::object* meta = envelope->if_contains("meta") ? envelope->at("meta").if_object() : nullptr;
      auto next = meta ? cgw::adapter::text_at(*meta, "nextToken") : std::nullopt;
      if (!next || next->empty()) break;
      if (!followed.insert(*next).second || round >= max_aggregate_pages)
        co_return failure::make(errc::upstream_error, "the vendor's pages loop");
      page = co_await call(
          ctx, vendor_request(http::verb::get, next_page_target(ep_.path_prefix, *next), authorization_));
    }
    co_return out;
  }

 private:
  static constexpr std::size_t max_aggregate_pages = 10'000;

  // Why no record can match `q`, without asking the vendor; nullopt when the vendor must be asked.
  std::optional<std::string> nothing_matches(const list_query& q, const cube_view& view) const {
    const filter_set set = q.filters();
    if (const filter_set absent = set & absent_filters(view.dims); absent.any()) {
      const auto f = static_cast<filter>(std::countr_zero(absent.to_ulong()));
      std::string why = "no record of this vendor has the field of filter " + std::string(to_string(f));
      if (const auto on = field_of(f); on && configured_.has(*on))
        why += " (the vendor's cube has no dimension \"" + configured_[*on] + "\")";
      return why;
    }
    if (set.test(static_cast<std::size_t>(filter::id)) && q.native_ids_for(cfg_.name).empty())
      return "none of the requested ids belongs to this vendor";
    return std::nullopt;
  }

  std::shared_ptr<const cube_view> known_cube() const {
    std::lock_guard lock(mutex_);
    return cube_;
  }

  // The cube as /Metadata describes it, fetched on the first call of this instance (a reload builds
  // a new instance, which fetches again). Two io threads may both fetch the first time; the first
  // answer stored wins and is the only one logged. A failure is not stored: the next call retries.
  net::awaitable<result<std::shared_ptr<const cube_view>>> cube_of(call_context& ctx) const {
    if (auto known = known_cube()) co_return known;
    auto req = vendor_request(http::verb::get, metadata_target(ep_.path_prefix), authorization_);
    auto body = co_await call(ctx, std::move(req));
    if (!body) co_return body.error();
    auto names = read_metadata(body->value());
    if (!names) co_return names.error();
    auto view = std::make_shared<cube_view>();
    view->dims = present_in(configured_, *names, &view->missing);
    view->measures = measures_present_in(configured_measures_, read_metadata_measures(body->value()),
                                         &view->missing_measures);
    if (!view->dims.has(field::native_id))
      co_return failure::make(errc::upstream_error, "the vendor's Conversations cube has no dimension \"" +
                                                        configured_[field::native_id] +
                                                        "\" to identify conversations");
    bool first = false;
    std::shared_ptr<const cube_view> stored;
    {
      std::lock_guard lock(mutex_);
      if (!cube_) {
        cube_ = view;
        first = true;
      }
      stored = cube_;
    }
    if (first) warn_missing(cfg_.name, ctx.request_id, *stored);
    co_return stored;
  }

  upstream::request post(std::string target, const json::object& body) const {
    auto req = vendor_request(http::verb::post, std::move(target), authorization_);
    req.set(http::field::content_type, "application/json");
    req.body() = json::serialize(body);
    return req;
  }

  // A vendor call. A 404 here means a missing endpoint, never a missing conversation (an unknown
  // id is an empty items list), so it is an upstream error like any other unexpected status.
  net::awaitable<result<vendor_body>> call(call_context& ctx, upstream::request req) const {
    auto body = co_await fetch_json(ctx, ep_, std::move(req), cfg_.max_response_bytes);
    if (!body) co_return not_found_is_error(body.error());
    co_return body;
  }
  static failure not_found_is_error(failure f) {
    if (f.code != errc::not_found) return f;
    return failure::make(errc::upstream_error, "the vendor answered HTTP 404 for an Insights endpoint");
  }

  // The first page of a walk is the POSTed query; the token of the previous page stands for the rest.
  net::awaitable<result<vendor_page>> fetch_page(const page_ask& ask, call_context& ctx,
                                                 const dimension_map& dims) const {
    auto req = ask.continuation.empty()
                   ? post(query_target(ep_.path_prefix, ask.per_page), query_body(ask, dims, cfg_.name))
                   : vendor_request(http::verb::get, next_page_target(ep_.path_prefix, ask.continuation),
                                    authorization_);
    co_return co_await read(ctx, std::move(req), dims, ask.query.include_raw);
  }

  // A query answer read into records; without raw (`include_raw` false) no DOM is built.
  net::awaitable<result<vendor_page>> read(call_context& ctx, upstream::request req,
                                           const dimension_map& dims, bool include_raw) const {
    if (!include_raw) {
      auto answer = co_await fetch_text(ctx, ep_, std::move(req), cfg_.max_response_bytes);
      if (!answer) co_return not_found_is_error(answer.error());
      co_return read_page((*answer)->body(), dims, cfg_.name);
    }
    auto body = co_await call(ctx, std::move(req));
    if (!body) co_return body.error();
    co_return read_page(std::move(*body), dims, cfg_.name);
  }

  config::vendor_config cfg_;
  upstream::endpoint ep_;
  std::string authorization_;
  dimension_map configured_;
  measure_map configured_measures_;
  capabilities caps_;
  mutable std::mutex mutex_;                       // guards cube_: adapters are shared by io threads
  mutable std::shared_ptr<const cube_view> cube_;  // null until /Metadata was read
};

}  // namespace

result<std::unique_ptr<cgw::adapter::adapter>> make_adapter(const config::vendor_config& cfg) {
  const std::string key = "vendors." + cfg.name;
  for (const auto& [name, value] :
       {std::pair{"username", &cfg.auth.username}, std::pair{"password", &cfg.auth.password}})
    if (value->empty())
      return failure::make(errc::invalid_parameter,
                           key + ".auth." + name +
                               ": required for type twilio_insights_v3 (HTTP Basic: API key SID and secret)",
                           key + ".auth." + name);
  if (!cfg.auth.bearer_token.empty())
    return failure::make(
        errc::invalid_parameter,
        key + ".auth.bearer_token: not used by type twilio_insights_v3, which takes username and password",
        key + ".auth.bearer_token");
  auto dims = read_dimension_options(cfg.options, key + ".options");
  if (!dims) return dims.error();
  auto measures = read_measure_options(cfg.options, key + ".options");
  if (!measures) return measures.error();
  auto ep = vendor_endpoint(cfg);
  if (!ep) return ep.error();
  return std::unique_ptr<cgw::adapter::adapter>(
      new insights_adapter(cfg, std::move(*ep), std::move(*dims), std::move(*measures)));
}

}  // namespace cgw::adapters::twilio_insights_v3
