// The stats endpoint over fake vendors: a randomized property test (random records with nulls,
// several agents, random filters, group fields, zones and measures, vendors that read records and
// vendors that aggregate themselves) against a brute-force computation; the group cap; and the
// pure pieces (buckets across zones, CSV quoting, the parser's normal form).
#include "gateway/api/stats.hpp"
#include "gateway/adapter/walk.hpp"
#include "gateway/core/stats.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

#include <boost/asio/co_spawn.hpp>
#include <boost/json/serialize.hpp>

namespace cgw {
namespace ad = cgw::adapter;
namespace {

namespace json = boost::json;
using namespace std::chrono;
using opt = std::optional<std::string>;

// A vendor in memory: pages of 7 records in its own order; with `aggregates`, it also answers
// stats itself, server-side style (no durations kept, so no percentiles).
class fake_vendor final : public ad::adapter {
 public:
  fake_vendor(std::string name, std::vector<conversation> data, bool aggregates)
      : data_(std::move(data)), aggregates_(aggregates) {
    cfg_.name = std::move(name);
    cfg_.type = "fake";
    cfg_.timeout_ms = 60'000;
    cfg_.scan_limit = 100'000;
    caps_.can_list = true;
    caps_.can_get = false;
  }

  const ad::capabilities& caps() const noexcept override { return caps_; }
  const config::vendor_config& config() const noexcept override { return cfg_; }
  filter_set pushed_down(const list_query&) const override { return {}; }
  ad::plan explain(const ad::list_request&) const override { return {}; }
  net::awaitable<result<conversation>> get(std::string_view, ad::call_context&) const override {
    co_return failure::make(errc::not_found, "none");
  }
  net::awaitable<result<ad::list_result>> list(const ad::list_request& req,
                                               ad::call_context& ctx) const override {
    ad::page_fetcher fetch = [this](const ad::page_ask& ask,
                                    ad::call_context& c) -> net::awaitable<result<ad::vendor_page>> {
      ++c.stats.upstream_requests;
      const std::size_t page = ask.continuation.empty() ? 0 : std::stoul(ask.continuation);
      ad::vendor_page out;
      for (std::size_t i = page * ask.per_page; i < std::min(data_.size(), (page + 1) * ask.per_page); ++i)
        out.records.push_back(data_[i]);
      if ((page + 1) * ask.per_page < data_.size()) out.next = std::to_string(page + 1);
      co_return out;
    };
    co_return co_await ad::scan_walk(req, ctx, fetch, 7, cfg_.scan_limit);
  }
  net::awaitable<result<std::optional<ad::aggregate_result>>> aggregate(
      const ad::aggregate_request& req, ad::call_context& ctx) const override {
    if (!aggregates_) co_return std::nullopt;
    ++ctx.stats.upstream_requests;
    ad::aggregate_result out;
    out.plan.method = "vendor_aggregate";
    for (const auto& c : data_) {
      if (!req.stats.filters.matches_all(c)) continue;
      for (const auto& key : group_keys(c, req.stats)) {
        partial p;
        p.add_duration(c.duration_ms, false);
        p.complete = false;
        out.table.merge(key, p);
      }
    }
    co_return out;
  }

 private:
  std::vector<conversation> data_;
  bool aggregates_;
  config::vendor_config cfg_;
  ad::capabilities caps_;
};

struct world {
  std::shared_ptr<api::runtime> rt = [] {
    auto r = std::make_shared<api::runtime>();
    r->cfg = std::make_shared<const config::gateway_config>();  // every runtime has a configuration
    return r;
  }();
  api::caller who{"test", "t", {}};

  void add(const std::string& name, std::vector<conversation> data, bool aggregates) {
    rt->adapters.emplace(name, std::make_unique<fake_vendor>(name, std::move(data), aggregates));
    rt->health.emplace(name, std::make_shared<api::vendor_health>());
    who.vendors.push_back(name);
    std::sort(who.vendors.begin(), who.vendors.end());
  }

  api::stats_answer get(const std::string& query, const std::string& accept = "") {
    net::io_context ioc;
    upstream::client http(ioc.get_executor());
    api::request_scope scope{*rt, who, http, clock::now() + std::chrono::seconds(30), "test"};
    api::stats_answer out;
    net::co_spawn(ioc, api::conversation_stats(scope, query, accept),
                  [&](std::exception_ptr e, api::stats_answer a) {
                    if (e) std::rethrow_exception(e);
                    out = std::move(a);
                  });
    ioc.run();
    return out;
  }
};

std::string bucket_of(micros us, const std::string& unit, int tz) {
  const auto local = sys_time<microseconds>(microseconds(us)) + minutes(tz);
  sys_time<microseconds> start;
  if (unit == "hour")
    start = floor<hours>(local);
  else if (unit == "day")
    start = floor<days>(local);
  else if (unit == "week") {
    const sys_days d = floor<days>(local);
    start = d - (weekday(d) - Monday);
  } else {
    const year_month_day ymd{floor<days>(local)};
    start = sys_days{ymd.year() / ymd.month() / 1};
  }
  return format_rfc3339_ms((start - minutes(tz)).time_since_epoch().count());
}

std::vector<opt> values(const conversation& c, const std::string& g, int tz) {
  if (g == "vendor") return {c.vendor};
  if (g == "channel") return {c.channel};
  if (g == "language") return {c.language};
  if (g == "status") return {c.status};
  if (g == "agent") {
    std::vector<opt> out;
    for (const auto& a : c.agents)
      if (a.name && std::find(out.begin(), out.end(), a.name) == out.end()) out.push_back(a.name);
    if (out.empty()) out.emplace_back();
    return out;
  }
  const auto colon = g.find(':');
  const auto& t = g.substr(0, colon) == "started_at" ? c.started_at : c.updated_at;
  return {t ? opt(bucket_of(*t, g.substr(colon + 1), tz)) : std::nullopt};
}

struct oracle_group {
  std::uint64_t count = 0;
  std::vector<std::int64_t> durations;
  bool server_side = false;
};

TEST(StatsProperty, RandomVendorsMergeToTheFiguresOfAllTheirRecords) {
  std::mt19937_64 rng(20261202);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  const std::vector<opt> channels{std::nullopt, "voice", "chat", "video"};
  const std::vector<opt> languages{std::nullopt, "en-US", "fr-FR"};
  const std::vector<opt> statuses{std::nullopt, "active", "finished"};
  const std::vector<std::string> names{"Ann", "Bob", "Cy", "Di"};
  const std::vector<std::string> fields{
      "vendor",         "channel",         "language",         "agent",         "status", "started_at:hour",
      "started_at:day", "started_at:week", "started_at:month", "updated_at:day"};
  const std::vector<std::string> all_measures{"count",           "duration_ms.sum", "duration_ms.avg",
                                              "duration_ms.min", "duration_ms.max", "duration_ms.p50",
                                              "duration_ms.p90"};
  const std::vector<int> zones{0, 120, -300, 330, -570};
  const micros t0 = 1'717'200'000'000'000;  // 2024-06-01
  for (int round = 0; round < 40; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    world w;
    std::vector<conversation> everything;
    std::map<std::string, bool> aggregating;
    const std::size_t vendor_count = 1 + pick(3);
    for (std::size_t v = 0; v < vendor_count; ++v) {
      const std::string name = "v" + std::to_string(v);
      std::vector<conversation> data(pick(60));
      for (std::size_t i = 0; i < data.size(); ++i) {
        auto& c = data[i];
        set_identity(c, name, "fake", std::to_string(i));
        c.channel = channels[pick(channels.size())];
        c.language = languages[pick(languages.size())];
        c.status = statuses[pick(statuses.size())];
        if (pick(10)) c.started_at = t0 + static_cast<micros>(rng() % (90ULL * 86'400'000'000ULL));
        if (pick(3)) c.updated_at = t0 + static_cast<micros>(rng() % (10ULL * 86'400'000'000ULL));
        if (pick(6)) c.duration_ms = static_cast<std::int64_t>(pick(100'000));
        for (std::size_t a = pick(4); a > 0; --a)
          c.agents.push_back(agent{std::nullopt, names[pick(names.size())]});
        if (pick(5) == 0) c.agents.push_back(agent{"id-only", std::nullopt});
      }
      everything.insert(everything.end(), data.begin(), data.end());
      aggregating[name] = pick(2) == 0;
      w.add(name, std::move(data), aggregating[name]);
    }
    std::vector<std::string> group_by;
    for (std::size_t n = pick(4); group_by.size() < n;) {
      const auto& f = fields[pick(fields.size())];
      if (std::find(group_by.begin(), group_by.end(), f) == group_by.end()) group_by.push_back(f);
    }
    std::vector<std::string> measures;
    for (const auto& m : all_measures)
      if (pick(2)) measures.push_back(m);
    const int tz = zones[pick(zones.size())];
    const std::optional<std::int64_t> min_duration =
        pick(3) == 0 ? std::optional<std::int64_t>(pick(50'000)) : std::nullopt;

    std::string query =
        "measures=" +
        (measures.empty() ? std::string("count")
                          : std::accumulate(std::next(measures.begin()), measures.end(), measures.front(),
                                            [](std::string a, const std::string& b) { return a + "," + b; }));
    if (measures.empty()) measures = {"count"};
    if (!group_by.empty())
      query +=
          "&group_by=" + std::accumulate(std::next(group_by.begin()), group_by.end(), group_by.front(),
                                         [](std::string a, const std::string& b) { return a + "," + b; });
    if (tz != 0) {
      char text[16];
      std::snprintf(text, sizeof text, "%s%02d:%02d", tz < 0 ? "-" : "%2B", std::abs(tz) / 60,
                    std::abs(tz) % 60);
      query += std::string("&tz=") + text;
    }
    if (min_duration) query += "&min_duration_ms=" + std::to_string(*min_duration);
    const bool forced_records = pick(4) == 0;
    if (forced_records) query += "&method=records";
    SCOPED_TRACE(query);

    // The oracle: every record of every vendor, grouped by brute force.
    std::map<std::vector<opt>, oracle_group, group_less> want;
    for (const auto& c : everything) {
      if (min_duration && !(c.duration_ms && *c.duration_ms >= *min_duration)) continue;
      std::vector<std::vector<opt>> keys{{}};
      for (const auto& g : group_by) {
        std::vector<std::vector<opt>> next;
        for (const auto& k : keys)
          for (const auto& v : values(c, g, tz)) next.push_back(k), next.back().push_back(v);
        keys = std::move(next);
      }
      for (const auto& k : keys) {
        auto& g = want[k];
        ++g.count;
        if (c.duration_ms) g.durations.push_back(*c.duration_ms);
        g.server_side |= aggregating[c.vendor] && !forced_records;
      }
    }

    auto got = w.get(query);
    ASSERT_EQ(got.a.status, 200u) << json::serialize(got.a.body);
    const auto& rows = got.a.body.at("data").as_array();
    ASSERT_EQ(rows.size(), want.size()) << json::serialize(got.a.body);
    bool any_server_side = false;
    auto it = want.begin();
    for (std::size_t i = 0; i < rows.size(); ++i, ++it) {
      const auto& row = rows[i].as_object();
      for (std::size_t g = 0; g < group_by.size(); ++g) {
        const auto& v = row.at("group").at(group_by[g]);
        ASSERT_EQ(v.is_null() ? opt() : opt(std::string(v.as_string())), it->first[g]) << "row " << i;
      }
      auto d = it->second.durations;
      std::sort(d.begin(), d.end());
      any_server_side |= it->second.server_side;
      for (const auto& m : measures) {
        if (m == "count") {
          EXPECT_EQ(row.at("count").to_number<std::uint64_t>(), it->second.count);
          continue;
        }
        const auto& v = row.at("duration_ms").at(m.substr(12));
        std::optional<double> e;
        const bool percentile = m == "duration_ms.p50" || m == "duration_ms.p90";
        if (!d.empty() && !(percentile && it->second.server_side)) {
          const double sum = static_cast<double>(std::accumulate(d.begin(), d.end(), std::int64_t{0}));
          if (m == "duration_ms.sum") e = sum;
          if (m == "duration_ms.avg") e = sum / static_cast<double>(d.size());
          if (m == "duration_ms.min") e = static_cast<double>(d.front());
          if (m == "duration_ms.max") e = static_cast<double>(d.back());
          if (percentile) {
            const double p = m == "duration_ms.p50" ? 0.5 : 0.9;
            const auto r = static_cast<std::size_t>(std::ceil(p * static_cast<double>(d.size())));
            e = static_cast<double>(d[std::max<std::size_t>(r, 1) - 1]);
          }
        }
        if (!e)
          EXPECT_TRUE(v.is_null()) << m << " row " << i << ": " << json::serialize(v);
        else
          EXPECT_NEAR(v.to_number<double>(), *e, 1e-9 * std::max(1.0, *e)) << m << " row " << i;
      }
    }
    const bool percentiles = std::any_of(measures.begin(), measures.end(), [](const std::string& m) {
      return m == "duration_ms.p50" || m == "duration_ms.p90";
    });
    // Every aggregating vendor is asked, rows or not: its percentiles are unknown, so the answer is inexact.
    const bool server_side = !forced_records && std::any_of(aggregating.begin(), aggregating.end(),
                                                            [](const auto& v) { return v.second; });
    EXPECT_TRUE(server_side || !any_server_side);
    EXPECT_EQ(got.a.body.at("meta").at("exact").as_bool(), !(percentiles && server_side))
        << json::serialize(got.a.body.at("meta"));
  }
}

TEST(StatsLimits, MoreThanTenThousandGroupsIsA400NamingGroupBy) {
  world w;
  std::vector<conversation> data(10'001);
  for (std::size_t i = 0; i < data.size(); ++i) {
    set_identity(data[i], "many", "fake", std::to_string(i));
    data[i].started_at = static_cast<micros>(i) * 3'600'000'000LL;  // one hour each
  }
  w.add("many", std::move(data), false);
  auto a = w.get("group_by=started_at:hour");
  EXPECT_EQ(a.a.status, 400u);
  EXPECT_EQ(a.a.body.at("error").at("parameter"), "group_by");
  EXPECT_EQ(a.a.body.at("error").at("code"), "invalid_parameter");
  auto b = w.get("group_by=started_at:day");  // 417 days: fine
  EXPECT_EQ(b.a.status, 200u);
  EXPECT_EQ(b.a.body.at("data").as_array().size(), 417u);
}

TEST(StatsBuckets, StartWhereTheZoneSaysDayWeekMonth) {
  const micros t = *parse_rfc3339("2024-03-04T03:30:00Z");  // a Monday, 03:30 UTC
  EXPECT_EQ(format_rfc3339_ms(bucket_start(t, bucket_unit::hour, 0)), "2024-03-04T03:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(bucket_start(t, bucket_unit::day, 0)), "2024-03-04T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(bucket_start(t, bucket_unit::day, -300)),
            "2024-03-03T05:00:00.000Z");  // still Sunday there
  EXPECT_EQ(format_rfc3339_ms(bucket_start(t, bucket_unit::week, 0)), "2024-03-04T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(bucket_start(t, bucket_unit::week, -300)), "2024-02-26T05:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(bucket_start(t, bucket_unit::month, 0)), "2024-03-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(bucket_start(*parse_rfc3339("2024-03-01T03:00:00Z"), bucket_unit::month, -300)),
            "2024-02-01T05:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(bucket_start(t, bucket_unit::hour, 330)),
            "2024-03-04T03:30:00.000Z");  // +05:30
  EXPECT_EQ(format_rfc3339_ms(next_bucket(bucket_start(t, bucket_unit::month, 0), bucket_unit::month, 0)),
            "2024-04-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(bucket_start(*parse_rfc3339("1969-12-31T23:00:00Z"), bucket_unit::week, 0)),
            "1969-12-29T00:00:00.000Z");  // before the epoch, still a Monday
}

TEST(StatsCsv, QuotesFieldsThatNeedIt) {
  stats_query q;
  q.group_by = {group_field{group_kind::agent}};
  q.measures = {measure::count, measure::avg};
  stats_table t;
  partial p;
  p.add_duration(3, true);
  p.add_duration(4, true);
  t.merge({std::string("Lee, \"Ann\"")}, p);
  t.merge({std::nullopt}, p);
  EXPECT_EQ(rows_csv(t, q), "agent,count,duration_ms.avg\r\n\"Lee, \"\"Ann\"\"\",2,3.5\r\n,2,3.5\r\n");
}

TEST(StatsParse, NormalFormIgnoresTheOrderOfMeasuresAndRefusesListOnlyParameters) {
  auto a = parse_stats_query("measures=duration_ms.max,count&group_by=channel");
  auto b = parse_stats_query("group_by=channel&measures=count,duration_ms.max");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->normalized(), b->normalized());
  auto c = parse_stats_query("group_by=vendor,channel");
  ASSERT_TRUE(c);
  EXPECT_NE(c->normalized(), parse_stats_query("group_by=channel,vendor")->normalized());  // the column order
  EXPECT_EQ(parse_stats_query("tz=+02:00")->tz_minutes, 120);  // an unencoded '+' arrives as a space
  EXPECT_EQ(parse_stats_query("tz=%2B02:00")->tz_minutes, 120);
  EXPECT_EQ(parse_stats_query("tz=-09:30")->tz_minutes, -570);
  for (const char* refused : {"sort=started_at", "page_size=5", "cursor=x", "include=raw"}) {
    auto r = parse_stats_query(refused);
    ASSERT_FALSE(r) << refused;
    EXPECT_EQ(r.error().code, errc::unknown_parameter) << refused;
  }
}

}  // namespace
}  // namespace cgw
