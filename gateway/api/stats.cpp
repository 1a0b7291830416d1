#include "gateway/api/stats.hpp"

#include "gateway/api/cursor.hpp"
#include "gateway/api/fanout.hpp"
#include "gateway/metrics/catalog.hpp"

#include <algorithm>
#include <cmath>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace cgw::api {
namespace {

namespace json = boost::json;

constexpr std::string_view meta_header = "X-Conversation-Stats-Meta";

// One vendor's part in a stats answer.
struct stats_run {
  std::string name;
  const adapter::adapter* a = nullptr;
  std::string status = "ok";
  std::string reason;  // why a vendor was not asked
  std::optional<failure> error;
  std::string method;
  std::string note;
  stats_table table;
  bool exact = true, truncated = false, asked = false;
  std::size_t records_read = 0;
  filter_set pushed, local;
  policy::call_stats stats;
  double latency_ms = 0;
  json::object plan;  // explain
};

// Budget points are whole for every vendor so far: written as integers then, not as 3E0.
json::value points_json(double points) {
  if (std::trunc(points) == points && points < 9e15) return static_cast<std::int64_t>(points);
  return points;
}

bool accepts_csv(std::string_view accept) {
  // A client that names text/csv gets it; */* and application/json keep the JSON default.
  std::string lower(accept);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower.find("text/csv") != std::string::npos;
}

// The list query a records read walks with: the filters, in an order the vendor serves itself
// when it has one, so that the walk re-anchors instead of scanning (the output order is the rows').
list_query walk_query(const list_query& filters, const adapter::capabilities& caps) {
  list_query q = filters;
  q.explain = false;
  const auto& native = caps.native_sorts;
  if (!native.empty() && std::find(native.begin(), native.end(), q.sort.field) == native.end())
    q.sort = sort_spec{native.front(), true};
  return q;
}

// Reads every matching record (at most the vendor's scan_limit) and counts it in `run.table`.
net::awaitable<result<void>> read_records(stats_run& run, const stats_query& q, adapter::call_context& ctx) {
  const adapter::adapter& a = *run.a;
  const list_query lq = walk_query(q.filters, a.caps());
  const std::size_t cap = std::max<std::size_t>(1, a.config().scan_limit);
  if (!q.filters.ids.empty() && !a.caps().can_list) {
    auto r = co_await get_each(a, lq, lq.native_ids_for(run.name), ctx);
    if (!r) co_return r.error();
    for (const auto& c : r->records) run.table.add(c, q);
    run.records_read = r->records.size();
    co_return result<void>{};
  }
  std::optional<sort_key> after;
  // Each round returns at least one record or ends the walk, and the reads are capped: at most
  // `cap` rounds, whatever the vendor's pages say.
  for (std::size_t round = 0; round < cap; ++round) {
    const adapter::list_request ask{lq, after, cap - run.records_read};
    auto r = co_await a.list(ask, ctx);
    if (!r) co_return r.error();
    for (const auto& c : r->records) run.table.add(c, q);
    run.records_read += r->records.size();
    if (!r->note.empty()) run.note = r->note;
    if (r->truncated) {
      run.truncated = true;
      break;
    }
    if (r->exhausted || r->records.empty()) break;
    if (run.records_read >= cap) {  // more follow: the read stops at the scan cap like a scan does
      run.truncated = true;
      break;
    }
    after = key_of(r->records.back(), lq.sort);
  }
  if (run.truncated) run.exact = false;
  co_return result<void>{};
}

net::awaitable<stats_run> run_vendor(stats_run run, const request_scope& scope, const stats_query& q) {
  adapter::call_context ctx = call_for(scope, run.name, run.a->config());
  const auto t0 = clock::now();
  result<void> outcome;
  bool done = false;
  if (q.method != "records") {
    auto own = co_await run.a->aggregate(adapter::aggregate_request{q, q.method == "vendor", false}, ctx);
    if (!own) {
      outcome = own.error();
      done = true;
    } else if (*own && (*own)->plan.method != "records") {
      run.method = (*own)->plan.method;
      run.table = std::move((*own)->table);
      run.exact = (*own)->exact;
      run.note = (*own)->note;
      done = true;
    } else if (*own) {
      run.note = (*own)->plan.reason;  // the vendor's own way costs more here
    }
  }
  if (!done) {
    run.method = "records";
    outcome = co_await read_records(run, q, ctx);
  }
  run.latency_ms = ms_since(t0);
  run.stats = ctx.stats;
  auto& health = *scope.rt.health.at(run.name);
  if (outcome) {
    health.record_success(run.latency_ms);
    if (q.needs_records() && run.method != "records") {
      run.exact = false;
      run.note =
          (run.note.empty() ? "" : run.note + "; ") +
          std::string("percentiles are null: the vendor aggregated server-side, and they need the records");
    }
  } else {
    run.status = vendor_status(outcome.error().code);
    run.error = outcome.error();
    run.table = {};
    if (outcome.error().code != errc::deadline_exceeded)
      health.record_failure(outcome.error(), run.latency_ms);
  }
  metrics::stats_requests
      .with({run.name, run.method.empty() ? std::string_view("none") : run.method, run.status})
      .add();
  co_return run;
}

// What explain shows of one vendor: the vendor's own plan, or the list walk a records read makes.
net::awaitable<stats_run> explain_vendor(stats_run run, const request_scope& scope, const stats_query& q) {
  adapter::call_context ctx = call_for(scope, run.name, run.a->config());
  std::optional<adapter::aggregate_result> own;
  if (q.method != "records") {
    auto r = co_await run.a->aggregate(adapter::aggregate_request{q, q.method == "vendor", true}, ctx);
    if (!r) {
      run.status = vendor_status(r.error().code);
      run.error = r.error();
      co_return run;
    }
    own = std::move(*r);
  }
  json::object p;
  if (own && own->plan.method != "records") {
    p["method"] = own->plan.method;
    p["reason"] = own->plan.reason;
    p["calls"] = std::move(own->plan.calls);
    p["requests"] = own->plan.requests;
    p["budget_points"] = points_json(own->plan.points);
  } else {
    const list_query lq = walk_query(q.filters, run.a->caps());
    auto walk = run.a->explain(adapter::list_request{lq, std::nullopt, run.a->config().scan_limit});
    p["method"] = "records";
    p["reason"] = own ? own->plan.reason
                      : std::string(q.method == "records" ? "forced by method=records"
                                                          : "the vendor cannot aggregate this query itself");
    p["calls"] = json::array{std::move(walk.wire)};
    p["scan_limit"] = run.a->config().scan_limit;
    p["requests"] = "one per page of matching records, up to scan_limit records";
  }
  if (ctx.stats.upstream_requests > 0) p["planning_requests"] = ctx.stats.upstream_requests;
  run.plan = std::move(p);
  co_return run;
}

template <class Run>
net::awaitable<void> run_all(std::vector<stats_run>& runs, const request_scope& scope, const stats_query& q,
                             Run fn) {
  std::vector<std::size_t> which;
  for (std::size_t i = 0; i < runs.size(); ++i)
    if (runs[i].asked) which.push_back(i);
  co_await in_parallel(runs, which, [&](stats_run run) { return fn(std::move(run), scope, q); });
}

json::object vendor_meta(const stats_run& r) {
  json::object m;
  m["status"] = r.status;
  if (!r.reason.empty()) m["reason"] = r.reason;
  if (r.error) {
    m["error"] = json::object{{"code", to_string(r.error->code)}, {"message", r.error->message}};
    if (r.error->retry_after_s > 0) m["retry_after_s"] = r.error->retry_after_s;
  }
  if (r.asked && !r.method.empty()) m["method"] = r.method;
  if (r.status == "ok" || r.asked) {
    m["exact"] = r.exact;
    m["pushed_down"] = filter_names(r.pushed);
    m["filtered_locally"] = filter_names(r.local);
  }
  if (r.asked) {
    if (r.method == "records") m["records_read"] = r.records_read;
    m["upstream_requests"] = r.stats.upstream_requests;
    m["budget_points"] = points_json(r.stats.budget_points);
    if (r.stats.retries > 0) m["retries"] = r.stats.retries;
    if (auto cache = cache_outcome(r.stats); !cache.empty()) m["cache"] = cache;
    m["latency_ms"] = std::round(r.latency_ms * 10) / 10;
  }
  if (r.truncated) m["truncated"] = true;
  if (!r.note.empty()) m["note"] = r.note;
  return m;
}

// Prepares a vendor's part: whether it is asked at all (as the list decides it).
stats_run prepare(const std::string& name, const adapter::adapter& a, const list_query& q) {
  stats_run run{name, &a};
  const auto& caps = a.caps();
  const filter_set set = q.filters();
  const bool by_ids = set.test(static_cast<std::size_t>(filter::id));
  if (!caps.can_list && !(by_ids && caps.can_get)) {
    run.status = "unsupported";
    run.reason = caps.list_unsupported_reason.empty() ? "the vendor has no list endpoint"
                                                      : caps.list_unsupported_reason;
    return run;
  }
  run.pushed = caps.can_list ? a.pushed_down(q) : filter_set{}.set(static_cast<std::size_t>(filter::id));
  run.local = set & ~run.pushed;
  if (auto absent = set & caps.absent; absent.any()) {
    run.reason = "no record of this vendor has the field of filter " +
                 std::string(to_string(static_cast<filter>(std::countr_zero(absent.to_ulong()))));
    return run;
  }
  if (by_ids && q.native_ids_for(name).empty()) {
    run.reason = "none of the requested ids belongs to this vendor";
    return run;
  }
  run.asked = true;
  return run;
}

// The answer cache's key: the normalized query, the vendors it reached and the tenant (whose
// vendor credentials answered), as a digest: filter values never sit in the cache's index.
std::string answer_key(const stats_query& q, const std::vector<std::string>& names, const caller& who) {
  std::string material = q.normalized() + "|tenant:" + who.tenant;
  for (const auto& n : names) material += "|" + n;
  const fingerprint fp = fingerprint_of(material);
  return "stats:" + std::string(reinterpret_cast<const char*>(fp.data()), fp.size());
}

// A cached answer's meta as of now: nothing was asked of any vendor.
void mark_cached(json::object& meta) {
  meta["cache"] = "hit";
  if (auto* vendors = meta.if_contains("vendors"); vendors && vendors->is_object())
    for (auto& [name, v] : vendors->get_object()) {
      if (!v.is_object() || !v.get_object().contains("upstream_requests")) continue;
      v.get_object()["upstream_requests"] = 0;
      v.get_object()["budget_points"] = 0;
      v.get_object()["cache"] = "hit";
    }
}

}  // namespace

void use_csv(response& res, std::string csv) {
  res.set(http::field::content_type, "text/csv; charset=utf-8; header=present");
  if (auto it = res.find(http::field::access_control_expose_headers); it != res.end())
    res.set(http::field::access_control_expose_headers,
            std::string(it->value()) + ", " + std::string(meta_header));
  res.body() = std::move(csv);
  res.prepare_payload();
}

net::awaitable<stats_answer> conversation_stats(const request_scope& scope, std::string_view query_string,
                                                std::string_view accept) {
  const auto t0 = clock::now();
  auto parsed = parse_stats_query(query_string);
  if (!parsed) co_return stats_answer{error_answer(parsed.error(), scope.request_id)};
  const stats_query& q = *parsed;
  auto names = select_vendors(scope, q.filters);
  if (!names) co_return stats_answer{error_answer(names.error(), scope.request_id)};

  // Complete answers are kept like vendor answers are (cache.ttl_ms), keyed by the normalized query,
  // so an equivalent query (measures in another order, say) reads neither vendors nor cached pages.
  const bool csv = accepts_csv(accept);
  const std::uint32_t ttl_ms = scope.rt.cfg && scope.rt.policies ? scope.rt.cfg->cache.ttl_ms : 0;
  const std::string key = ttl_ms > 0 && !q.explain ? answer_key(q, *names, scope.who) : std::string();
  if (!key.empty())
    if (auto hit = scope.rt.policies->cache().find(key, clock::now())) {
      boost::system::error_code ec;
      json::value cached = json::parse((*hit)->body(), ec);
      if (!ec && cached.is_object() && cached.get_object().contains("meta") &&
          cached.get_object().contains("csv")) {
        stats_answer out;
        json::object& meta = cached.get_object()["meta"].get_object();
        mark_cached(meta);
        if (csv) {
          out.csv = std::string(cached.at("csv").as_string());
          out.a.headers.emplace_back(meta_header, json::serialize(meta));
          out.a.body["meta"] = std::move(meta);
        } else {
          out.a.body["data"] = std::move(cached.get_object()["data"]);
          out.a.body["meta"] = std::move(meta);
        }
        co_return out;
      }
    }

  std::vector<stats_run> runs;
  for (const auto& name : *names) runs.push_back(prepare(name, *scope.rt.adapters.at(name), q.filters));

  json::array group_by, measures;
  for (const auto& g : q.group_by) group_by.emplace_back(g.name());
  for (auto m : q.measures) measures.emplace_back(to_string(m));

  if (q.explain) {
    co_await run_all(runs, scope, q, explain_vendor);
    json::object vendors;
    for (auto& run : runs) {
      json::object m{{"status", run.status}};
      if (!run.reason.empty()) m["reason"] = run.reason;
      if (run.error)
        m["error"] = json::object{{"code", to_string(run.error->code)}, {"message", run.error->message}};
      if (run.asked && !run.error) {
        for (auto& [k, v] : run.plan) m[k] = v;
        m["pushed_down"] = filter_names(run.pushed);
        m["filtered_locally"] = filter_names(run.local);
      }
      vendors[run.name] = std::move(m);
    }
    answer a;
    a.body["plan"] = json::object{{"group_by", std::move(group_by)},
                                  {"measures", std::move(measures)},
                                  {"vendors", std::move(vendors)}};
    co_return stats_answer{std::move(a)};
  }

  co_await run_all(runs, scope, q, run_vendor);

  // The merge: every vendor's partial aggregates, its own name in the vendor field.
  const auto vendor_at = std::find_if(q.group_by.begin(), q.group_by.end(),
                                      [](const group_field& g) { return g.kind == group_kind::vendor; });
  stats_table merged;
  bool partial = false, any_ok = false, all_timeouts = true, all_rate_limited = true, exact = true;
  int retry_after_s = 0;
  for (const auto& run : runs) {
    if (run.error) {
      partial = true;
      all_timeouts &= run.error->code == errc::upstream_timeout || run.error->code == errc::deadline_exceeded;
      all_rate_limited &= run.status == "rate_limited";
      if (run.error->retry_after_s > 0)
        retry_after_s =
            retry_after_s == 0 ? run.error->retry_after_s : std::min(retry_after_s, run.error->retry_after_s);
      continue;
    }
    if (run.status == "ok") any_ok = true;
    exact &= run.exact;
    for (const auto& [key, p] : run.table.rows()) {
      group_key k = key;
      if (vendor_at != q.group_by.end())
        k[static_cast<std::size_t>(vendor_at - q.group_by.begin())] = run.name;
      merged.merge(k, p);
    }
    if (merged.size() > max_groups)
      co_return stats_answer{error_answer(
          failure::make(
              errc::invalid_parameter,
              "group_by: the query makes more than 10000 groups; group by fewer fields or coarser buckets",
              "group_by"),
          scope.request_id)};
  }
  json::object vendors;
  for (const auto& run : runs) vendors[run.name] = vendor_meta(run);
  if (!any_ok && partial) {
    failure f = all_timeouts
                    ? failure::make(errc::deadline_exceeded, "no vendor answered within the deadline")
                : all_rate_limited
                    ? failure::make(errc::rate_limited, "every vendor asked is rate limiting this account")
                    : failure::make(errc::upstream_error, "every vendor failed");
    if (all_rate_limited) f.retry_after_s = std::max(1, retry_after_s);
    answer a = error_answer(f, scope.request_id);
    a.body["meta"] = json::object{{"partial", true}, {"exact", false}, {"vendors", std::move(vendors)}};
    co_return stats_answer{std::move(a)};
  }

  json::object meta{{"partial", partial},
                    {"exact", exact},
                    {"group_by", std::move(group_by)},
                    {"measures", std::move(measures)},
                    {"tz", q.tz_minutes == 0 ? json::value("UTC") : json::value(nullptr)},
                    {"groups", merged.size()},
                    {"vendors", std::move(vendors)},
                    {"timing", json::object{{"total_ms", std::round(ms_since(t0) * 10) / 10}}}};
  if (q.tz_minutes != 0) {
    const int m = std::abs(q.tz_minutes);
    char tz[16];
    std::snprintf(tz, sizeof tz, "%c%02d:%02d", q.tz_minutes < 0 ? '-' : '+', m / 60, m % 60);
    meta["tz"] = tz;
  }
  stats_answer out;
  if (!key.empty() && !partial) {
    // Both forms at once: the same query with the other Accept is served from the same entry.
    auto kept = std::make_shared<upstream::response>();
    kept->body() = json::serialize(
        json::object{{"data", rows_json(merged, q)}, {"meta", meta}, {"csv", rows_csv(merged, q)}});
    scope.rt.policies->cache().put(key, std::move(kept), std::chrono::milliseconds(ttl_ms), clock::now());
  }
  if (csv) {
    out.csv = rows_csv(merged, q);
    out.a.headers.emplace_back(meta_header, json::serialize(meta));
    out.a.body["meta"] = std::move(meta);  // kept for the access log; the CSV replaces the body
    co_return out;
  }
  out.a.body["data"] = rows_json(merged, q);
  out.a.body["meta"] = std::move(meta);
  co_return out;
}

}  // namespace cgw::api
