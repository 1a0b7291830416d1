#include "gateway/api/conversations.hpp"

#include "gateway/api/cursor.hpp"
#include "gateway/api/fanout.hpp"
#include "gateway/metrics/catalog.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>

namespace cgw::api {
namespace {

namespace json = boost::json;

bool has(const filter_set& s, filter f) {
  return s.test(static_cast<std::size_t>(f));
}

}  // namespace

// Shared with the stats endpoint (fanout.hpp).
json::array filter_names(const filter_set& s) {
  json::array out;
  for (std::size_t i = 0; i < filter_count; ++i)
    if (s.test(i)) out.emplace_back(to_string(static_cast<filter>(i)));
  return out;
}

double ms_since(clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock::now() - t0).count();
}

// A vendor failure as the whole answer: the public codes are upstream_error and deadline_exceeded.
failure as_client_failure(const failure& f) {
  auto out = failure::make(as_answer_code(f.code), f.message);
  out.retry_after_s = out.code == errc::rate_limited ? std::max(1, f.retry_after_s) : f.retry_after_s;
  return out;
}

// The share of the request's deadline a vendor gets: its own timeout at most, and
// never the last slice, which is kept for merging and replying. `clients` says whether the
// request's deadline (not the vendor's timeout) is what bounds it.
struct vendor_time {
  deadline until;
  bool clients;
};
vendor_time vendor_deadline(const request_scope& scope, const config::vendor_config& v) {
  const auto now = clock::now();
  const auto left = scope.until - now;
  const auto reserve = std::max<clock::duration>(std::chrono::milliseconds(2), left / 10);
  const deadline own = now + std::chrono::milliseconds(v.timeout_ms);
  const deadline requests = scope.until - reserve;
  return requests < own ? vendor_time{requests, true} : vendor_time{own, false};
}

namespace {

// How long what a vendor's answers computed is kept: its cache TTL (0: shared only while in flight).
clock::duration kept_for(const runtime& rt, const config::vendor_config& v) {
  return std::chrono::milliseconds(v.cache_ttl_ms.value_or(rt.cfg->cache.ttl_ms));
}

}  // namespace

// The context of one vendor's calls within a request.
adapter::call_context call_for(const request_scope& scope, const std::string& vendor,
                               const config::vendor_config& cfg) {
  const auto time = vendor_deadline(scope, cfg);
  adapter::call_context ctx{
      scope.http, time.until, scope.request_id, vendor, scope.rt.transport(vendor), scope.traceparent};
  ctx.clients_deadline = time.clients;
  ctx.pages = scope.rt.pages.get();
  ctx.scans = scope.rt.scans.get();
  ctx.kept_for = kept_for(scope.rt, cfg);
  return ctx;
}

// How the cache served a vendor's calls: "miss" when any call went to the vendor, else
// "coalesced" when any joined an identical call in flight, else "hit"; "" without calls.
std::string_view cache_outcome(const policy::call_stats& s) {
  if (s.misses > 0) return "miss";
  if (s.coalesced > 0) return "coalesced";
  return s.cache_hits > 0 ? "hit" : "";
}

namespace {

// One vendor's part in one page.
struct vendor_run {
  std::string name;
  const adapter::adapter* a = nullptr;
  std::string status = "ok";
  std::string reason;  // why a vendor was not asked
  std::optional<failure> error;
  adapter::list_result result;
  filter_set pushed, local;
  policy::call_stats stats;
  double latency_ms = 0;
  std::size_t returned = 0;  // records of this vendor on the page
  bool asked = false;
};

}  // namespace

// A batch from a vendor without a list filter on ids: one get per id, a few at a time.
// Unknown (and malformed) ids are simply absent; the first other failure is the vendor's.
net::awaitable<result<adapter::list_result>> get_each(const adapter::adapter& a, const list_query& q,
                                                      std::vector<std::string> ids,
                                                      adapter::call_context& ctx) {
  constexpr std::size_t concurrency = 8;
  std::vector<std::optional<conversation>> found(ids.size());
  std::optional<failure> first_error;
  std::size_t next = 0;
  auto worker = [&]() -> net::awaitable<void> {
    while (next < ids.size()) {
      const std::size_t i = next++;  // one io thread: no other worker runs between these lines
      auto r = co_await a.get(ids[i], ctx);
      if (r)
        found[i] = std::move(*r);
      else if (r.error().code != errc::not_found && r.error().code != errc::invalid_id && !first_error)
        first_error = r.error();
    }
  };
  auto ex = co_await net::this_coro::executor;
  using op_type = decltype(net::co_spawn(ex, worker(), net::deferred));
  std::vector<op_type> ops;
  for (std::size_t i = 0; i < std::min(concurrency, ids.size()); ++i)
    ops.push_back(net::co_spawn(ex, worker(), net::deferred));
  if (!ops.empty())
    co_await net::experimental::make_parallel_group(std::move(ops))
        .async_wait(net::experimental::wait_for_all(), net::use_awaitable);
  if (first_error) co_return *first_error;
  adapter::list_result out;
  for (auto& c : found)
    if (c && q.matches_all(*c)) out.records.push_back(std::move(*c));
  out.exhausted = true;
  co_return out;
}

namespace {

net::awaitable<vendor_run> run_vendor(vendor_run run, const request_scope& scope, const list_query& q,
                                      const std::optional<sort_key>& after) {
  adapter::call_context ctx = call_for(scope, run.name, run.a->config());
  const auto t0 = clock::now();
  result<adapter::list_result> r = adapter::list_result{};
  if (!q.ids.empty() && !run.a->caps().can_list) {
    r = co_await get_each(*run.a, q, q.native_ids_for(run.name), ctx);
  } else {
    // A batch is fetched whole on every page (at most 100 ids): the page is cut from it in request order.
    const adapter::list_request ask{
        q, q.ids.empty() ? after : std::nullopt,
        q.ids.empty() ? q.page_size : max_batch_ids};  // named: g++ 12 and co_await
    r = co_await run.a->list(ask, ctx);
  }
  run.latency_ms = ms_since(t0);
  run.stats = ctx.stats;
  auto& health = *scope.rt.health.at(run.name);
  if (r) {
    run.result = std::move(*r);
    // Unasked, raw would keep every vendor answer of the request alive until the merge is done.
    if (!q.include_raw)
      for (auto& c : run.result.records) c.raw.reset();
    health.record_success(run.latency_ms);
  } else {
    run.status = vendor_status(r.error().code);
    run.error = r.error();
    // The request's own deadline ending a call says nothing of the vendor (every tenant reads health).
    if (r.error().code != errc::deadline_exceeded) health.record_failure(r.error(), run.latency_ms);
  }
  co_return run;
}

// Runs the vendors `which` of `runs` at once, on this thread's executor, each into its place.
net::awaitable<void> run_vendors(std::vector<vendor_run>& runs, const std::vector<std::size_t>& which,
                                 const request_scope& scope, const list_query& q,
                                 const std::optional<sort_key>& after) {
  co_await in_parallel(runs, which,
                       [&](vendor_run run) { return run_vendor(std::move(run), scope, q, after); });
}

json::object vendor_meta(const vendor_run& r) {
  json::object m;
  m["status"] = r.status;
  if (!r.reason.empty()) m["reason"] = r.reason;
  if (r.error) {
    m["error"] = json::object{{"code", to_string(r.error->code)}, {"message", r.error->message}};
    if (r.error->retry_after_s > 0) m["retry_after_s"] = r.error->retry_after_s;
  }
  if (r.status == "ok" || r.asked) {
    m["returned"] = r.returned;
    m["pushed_down"] = filter_names(r.pushed);
    m["filtered_locally"] = filter_names(r.local);
    m["upstream_requests"] = r.stats.upstream_requests;
    if (r.stats.retries > 0) m["retries"] = r.stats.retries;
    if (auto cache = cache_outcome(r.stats); !cache.empty()) m["cache"] = cache;
    m["latency_ms"] = std::round(r.latency_ms * 10) / 10;
  }
  if (r.result.truncated) m["truncated"] = true;
  if (!r.result.note.empty()) m["note"] = r.result.note;
  return m;
}

}  // namespace

// The vendors a list request selects, or the failure that refuses it.
result<std::vector<std::string>> select_vendors(const request_scope& scope, const list_query& q) {
  if (q.vendors.empty()) return scope.who.vendors;
  std::set<std::string> names;
  for (const auto& name : q.vendors) {
    if (!scope.rt.adapters.contains(name))
      return failure::make(errc::invalid_parameter, "vendor: unknown vendor \"" + name + "\"", "vendor");
    if (!scope.who.may_reach(name))
      return failure::make(errc::forbidden, "vendor: this client may not reach \"" + name + "\"", "vendor");
    names.insert(name);
  }
  return std::vector<std::string>(names.begin(), names.end());
}

namespace {

// Prepares a vendor's run: what goes down, what stays local, and whether it is asked at all.
vendor_run plan_vendor(const std::string& name, const adapter::adapter& a, const list_query& q) {
  vendor_run run{name, &a};
  const auto& caps = a.caps();
  const filter_set set = q.filters();
  if (!caps.can_list && !(has(set, filter::id) && caps.can_get)) {
    run.status = "unsupported";
    run.reason = caps.list_unsupported_reason.empty() ? "the vendor has no list endpoint"
                                                      : caps.list_unsupported_reason;
    return run;
  }
  if (caps.can_list)
    run.pushed = a.pushed_down(q);
  else
    run.pushed.set(
        static_cast<std::size_t>(filter::id));  // asked by get-by-id: the ids go down, one call each
  run.local = set & ~run.pushed;
  if (auto absent = set & caps.absent; absent.any()) {
    run.reason = "no record of this vendor has the field of filter " +
                 std::string(to_string(static_cast<filter>(std::countr_zero(absent.to_ulong()))));
    return run;
  }
  if (has(set, filter::id) && std::none_of(q.ids.begin(), q.ids.end(), [&](const std::string& id) {
        auto parts = split_unified_id(id);
        return parts && parts->first == name;
      })) {
    run.reason = "none of the requested ids belongs to this vendor";
    return run;
  }
  run.asked = true;
  return run;
}

json::object vendor_health_json(const runtime& rt, const std::string& name) {
  json::object health = rt.health.at(name)->to_json();
  if (auto guard = rt.guards.find(name); guard != rt.guards.end())
    for (auto& [key, value] : guard->second->describe()) health[key] = value;
  // Where this vendor's budget and cache live: this process ("memory"), the fleet's Redis
  // ("redis"), or this replica's share while Redis cannot be reached ("degraded").
  const auto* fleet = rt.policies->fleet();
  health["shared_state"] = !fleet ? "memory" : fleet->degraded() ? "degraded" : "redis";
  return health;
}

// The list answer over the vendors `names` (select_vendors), computed for this request alone;
// `material` is q.fingerprint_material().
net::awaitable<answer> compute_list(const request_scope& scope, const list_query& q,
                                    const std::vector<std::string>& names, std::string_view material) {
  const auto t0 = clock::now();

  const fingerprint fp = fingerprint_of(std::string(material) + "|tenant:" + scope.who.tenant);
  cursor_state position;
  if (q.cursor) {
    auto c = decode_cursor(*q.cursor, *scope.rt.cursor_mac, fp);
    if (!c) co_return error_answer(c.error(), scope.request_id);
    position = std::move(*c);
  }
  const std::optional<sort_key> after = q.cursor ? std::optional(position.after) : std::nullopt;
  auto was_exhausted = [&](const std::string& name) {
    return std::find(position.exhausted.begin(), position.exhausted.end(), name) != position.exhausted.end();
  };

  std::vector<vendor_run> runs;
  for (const auto& name : names) {
    runs.push_back(plan_vendor(name, *scope.rt.adapters.at(name), q));
    if (runs.back().asked && was_exhausted(name)) {
      runs.back().asked = false;
      runs.back().reason = "no records left in this walk";
    }
  }

  if (q.explain) {
    json::object vendors;
    for (auto& run : runs) {
      json::object m = vendor_meta(run);
      m.erase("returned"), m.erase("upstream_requests"), m.erase("latency_ms");
      if (run.asked) {
        auto p = run.a->explain(adapter::list_request{q, after, q.page_size});
        m["native_sort"] = p.native_sort;
        m["requests"] = std::move(p.wire);
      }
      vendors[run.name] = std::move(m);
    }
    answer a;
    a.body["plan"] = json::object{
        {"sort", std::string(q.sort.descending ? "-" : "") + std::string(to_string(q.sort.field))},
        {"page_size", q.page_size},
        {"vendors", std::move(vendors)}};
    co_return a;
  }

  // Fan out: every asked vendor at once. A vendor none of whose records has the sort field only
  // holds the null tail of the order: while the page starts before that tail, it is asked only
  // when the others cannot fill the page with records that have a value.
  const bool before_null_tail = q.ids.empty() && (!after || after->value);
  std::vector<std::size_t> now, tail;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (!runs[i].asked) continue;
    const bool null_only =
        runs[i].a->caps().absent.test(static_cast<std::size_t>(range_filter(q.sort.field)));
    (before_null_tail && null_only ? tail : now).push_back(i);
  }
  co_await run_vendors(runs, now, scope, q, after);
  if (!tail.empty()) {
    std::size_t valued = 0;
    for (std::size_t i : now)
      for (const auto& c : runs[i].result.records) valued += sort_value(c, q.sort.field).has_value();
    if (valued < q.page_size) {
      co_await run_vendors(runs, tail, scope, q, after);
    } else {
      for (std::size_t i : tail)  // asked, not exhausted: the next pages ask again
        runs[i].result.note = "no record of this vendor has " + std::string(to_string(q.sort.field)) +
                              ": they all come after this page";
    }
  }
  const double slowest_ms = std::accumulate(
      runs.begin(), runs.end(), 0.0, [](double m, const vendor_run& r) { return std::max(m, r.latency_ms); });

  // K-way merge: every vendor's records are already in the total order. A batch (`id`) is
  // ordered as the ids were asked for instead: its key is the id's position in the request.
  const bool batch = !q.ids.empty();
  const sort_spec order = batch ? sort_spec{q.sort.field, false} : q.sort;
  auto key_for = [&](const conversation& c) {
    const auto value =
        batch ? std::optional<std::int64_t>(std::find(q.ids.begin(), q.ids.end(), c.id) - q.ids.begin())
              : sort_value(c, q.sort.field);
    return sort_key_ref{value, c.id};
  };
  struct head {
    sort_key_ref key;  // views the record's id: `runs` holds it until the answer is written
    std::size_t run;
    std::size_t index;
  };
  std::vector<head> heads;
  std::size_t offered = 0;
  for (const auto& run : runs) offered += run.result.records.size();
  heads.reserve(offered);
  for (std::size_t i = 0; i < runs.size(); ++i)
    for (std::size_t j = 0; j < runs[i].result.records.size(); ++j) {
      const sort_key_ref k = key_for(runs[i].result.records[j]);
      if (batch && after && !before(*after, k, order)) continue;  // served on an earlier page
      heads.push_back(head{k, i, j});
    }
  const std::size_t take = std::min(q.page_size, heads.size());
  std::partial_sort(heads.begin(), heads.begin() + static_cast<std::ptrdiff_t>(take), heads.end(),
                    [&](const head& a, const head& b) { return before(a.key, b.key, order); });

  // The records are written straight into the answer's bytes, with no DOM: `"data":[...]`.
  std::string data;
  data.reserve(16 + take * (q.include_raw ? 4096 : 1024));
  json_writer w(data);
  w.begin_members();
  w.key("data"), w.begin_array();
  for (std::size_t k = 0; k < take; ++k) {
    auto& r = runs[heads[k].run];
    write_json(w, r.result.records[heads[k].index], q.include_raw);
    ++r.returned;
  }
  w.end_array(), w.end_members();

  bool partial = false, more = false, any_ok = false, all_timeouts = true, all_rate_limited = true;
  int retry_after_s = 0;  // the soonest a rate-limited vendor may be asked again
  cursor_state next{fp, take > 0 ? heads[take - 1].key.owned() : position.after, {}};
  for (const auto& run : runs) {
    const bool failed = run.error.has_value();
    partial |= failed;
    if (failed) {
      all_timeouts &= run.error->code == errc::upstream_timeout || run.error->code == errc::deadline_exceeded;
      all_rate_limited &= run.status == "rate_limited";
      if (run.error->retry_after_s > 0)
        retry_after_s =
            retry_after_s == 0 ? run.error->retry_after_s : std::min(retry_after_s, run.error->retry_after_s);
      continue;
    }
    // A vendor skipped because none of its records can match answered "nothing": it did not fail,
    // so the request is an error only when every vendor that could answer failed (spec "Partial
    // failure"). An unsupported vendor (no list endpoint) is no answer.
    if (run.status == "ok") any_ok = true;
    const bool finished = !run.asked || (run.result.exhausted && run.returned == run.result.records.size());
    if (finished && run.a->caps().can_list && !batch) next.exhausted.push_back(run.name);
    more |= !finished && !batch;
  }
  if (batch) more = heads.size() > take;
  if (!any_ok && partial) {
    failure f = all_timeouts
                    ? failure::make(errc::deadline_exceeded, "no vendor answered within the deadline")
                : all_rate_limited
                    ? failure::make(errc::rate_limited, "every vendor asked is rate limiting this account")
                    : failure::make(errc::upstream_error, "every vendor failed");
    if (all_rate_limited) f.retry_after_s = std::max(1, retry_after_s);
    answer a = error_answer(f, scope.request_id);
    json::object vendors;
    for (const auto& run : runs) vendors[run.name] = vendor_meta(run);
    a.body["meta"] = json::object{{"partial", true}, {"vendors", std::move(vendors)}};
    co_return a;
  }

  json::object vendors;
  for (const auto& run : runs) vendors[run.name] = vendor_meta(run);
  answer a{.members = std::move(data), .spent = std::make_shared<std::vector<vendor_run>>(std::move(runs))};
  json::object meta;
  meta["page_size"] = q.page_size;
  meta["next_cursor"] = more ? json::value(encode_cursor(next, *scope.rt.cursor_mac)) : json::value(nullptr);
  meta["partial"] = partial;
  meta["vendors"] = std::move(vendors);
  meta["timing"] = json::object{{"slowest_vendor_ms", std::round(slowest_ms * 10) / 10},
                                {"total_ms", std::round(ms_since(t0) * 10) / 10}};
  a.body["meta"] = std::move(meta);
  co_return a;
}

// What a shared answer says of this request: its vendors were not called for it (the answer was
// computed for an identical request), and its own time.
void as_shared(answer& a, policy::memo_outcome how, double total_ms) {
  auto* meta = a.body.if_contains("meta");
  if (!meta || !meta->is_object()) return;
  if (auto* vendors = meta->get_object().if_contains("vendors"); vendors && vendors->is_object())
    for (auto& [name, v] : vendors->get_object()) {
      if (!v.is_object() || !v.get_object().contains("upstream_requests")) continue;
      auto& m = v.get_object();
      m["upstream_requests"] = 0;
      m.erase("retries");
      m["cache"] = how == policy::memo_outcome::hit ? "hit" : "coalesced";
    }
  if (auto* timing = meta->get_object().if_contains("timing"); timing && timing->is_object()) {
    if (how == policy::memo_outcome::hit) timing->get_object()["slowest_vendor_ms"] = 0;
    timing->get_object()["total_ms"] = std::round(total_ms * 10) / 10;
  }
}

// What an answer costs kept, roughly: its records' text, and a few KiB for meta.
std::uint64_t footprint(const answer& a) {
  return a.members.size() + 4096;
}

}  // namespace

net::awaitable<answer> list_conversations(const request_scope& scope, const list_query& q) {
  const auto t0 = clock::now();
  auto names = select_vendors(scope, q);
  if (!names) co_return error_answer(names.error(), scope.request_id);
  const std::string material = q.fingerprint_material();
  if (q.explain) co_return co_await compute_list(scope, q, *names, material);
  // Kept as long as the shortest cache TTL of its vendors; with any at 0, shared only in flight.
  auto ttl = clock::duration::max();
  std::string key = "tenant:" + scope.who.tenant;
  for (const auto& name : *names) {
    ttl = std::min(ttl, kept_for(scope.rt, scope.rt.adapters.at(name)->config()));
    key += "|" + name;
  }
  if (names->empty()) ttl = {};
  key += "|" + std::to_string(q.page_size) + (q.include_raw ? "|raw|" : "|") + q.cursor.value_or("") + "|" +
         material;
  std::shared_ptr<void> spent;  // this request's own leftovers: never kept with the shared answer
  auto compute = [&]() -> net::awaitable<policy::memo<answer>::computed> {
    answer a = co_await compute_list(scope, q, *names, material);
    spent = std::move(a.spent);
    // Only a whole answer is shared: a partial one (a vendor failed, perhaps on this request's own
    // deadline) is not another request's to inherit.
    const auto* meta = a.body.if_contains("meta");
    const auto* partial = meta && meta->is_object() ? meta->get_object().if_contains("partial") : nullptr;
    const bool whole = a.status == 200 && partial && partial->is_bool() && !partial->get_bool();
    const std::uint64_t bytes = whole && ttl.count() > 0 ? footprint(a) : 0;
    co_return policy::memo<answer>::computed{std::make_shared<answer>(std::move(a)), bytes, whole};
  };
  auto [shared, how] = co_await scope.rt.answers->get(key, ttl, scope.until, compute);
  // Its own (a copy when the answer is kept or shared): this request may say its own meta.
  answer out = policy::take(std::move(shared));
  out.spent = std::move(spent);
  if (how != policy::memo_outcome::computed) {
    metrics::answers_shared.with({how == policy::memo_outcome::hit ? "hit" : "coalesced"}).add();
    as_shared(out, how, ms_since(t0));
  }
  co_return out;
}

net::awaitable<answer> get_conversation(const request_scope& scope, std::string_view unified_id,
                                        bool include_raw) {
  auto parts = split_unified_id(unified_id);
  if (!parts)
    co_return error_answer(failure::make(errc::invalid_id, "id: expected <vendor>:<native id>", "id"),
                           scope.request_id);
  const std::string vendor(parts->first);
  auto it = scope.rt.adapters.find(vendor);
  if (it == scope.rt.adapters.end())
    co_return error_answer(failure::make(errc::not_found, "no vendor named \"" + vendor + "\""),
                           scope.request_id);
  if (!scope.who.may_reach(vendor))
    co_return error_answer(failure::make(errc::forbidden, "this client may not reach \"" + vendor + "\""),
                           scope.request_id);
  const adapter::adapter& a = *it->second;
  if (!a.caps().can_get)
    co_return error_answer(
        failure::make(errc::unsupported, "vendor \"" + vendor + "\" cannot fetch a single conversation"),
        scope.request_id);
  adapter::call_context ctx = call_for(scope, vendor, a.config());
  ctx.include_raw = include_raw;
  const auto t0 = clock::now();
  auto r = co_await a.get(parts->second, ctx);
  auto& health = *scope.rt.health.at(vendor);
  if (!r) {
    // A native id the vendor could never hold is the client's mistake, found without a vendor
    // call (Zild's int32 ids): it answers as itself and says nothing about the vendor's health.
    if (r.error().code == errc::invalid_id) co_return error_answer(r.error(), scope.request_id);
    if (r.error().code != errc::not_found && r.error().code != errc::deadline_exceeded)
      health.record_failure(r.error(), ms_since(t0));
    co_return error_answer(as_client_failure(r.error()), scope.request_id);
  }
  health.record_success(ms_since(t0));
  answer ans;
  json_writer w(ans.members);
  w.begin_members();
  write_members(w, *r, include_raw);
  w.end_members();
  co_return ans;
}

answer list_vendors(const request_scope& scope) {
  json::array out;
  for (const auto& name : scope.who.vendors) {
    auto it = scope.rt.adapters.find(name);
    if (it == scope.rt.adapters.end()) continue;
    const auto& caps = it->second->caps();
    const auto& cfg = it->second->config();
    json::array sorts;
    for (auto f : caps.native_sorts) sorts.emplace_back(to_string(f));
    auto host = upstream::parse_endpoint(cfg.base_url);
    out.push_back(json::object{{"name", name},
                               {"type", cfg.type},
                               {"host", host ? json::value(host->host) : json::value(nullptr)},
                               {"can_list", caps.can_list},
                               {"can_get", caps.can_get},
                               {"pushdown_filters", filter_names(caps.pushdown)},
                               {"native_sorts", std::move(sorts)},
                               {"health", vendor_health_json(scope.rt, name)}});
  }
  answer a;
  a.body["data"] = std::move(out);
  return a;
}

}  // namespace cgw::api
