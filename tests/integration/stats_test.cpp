// GET /v1/conversations/stats against the real sandboxes: every figure of a table of
// group_by x measures x filters is computed here, independently, from the sandboxes' raw
// records (vendors/README.md section 5), and must come out the same from every method that
// applies (the planner's choice, method=records, method=vendor). Also: CSV round trip, partial
// and truncated answers, a 400 for each bad parameter, caching, and the upstream economy of
// "count by channel per day for 30 days" per method (printed for the closing note).
#include "adapters/salesloft/sandbox/sandbox.hpp"
#include "adapters/twilio_flex_insights/sandbox/sandbox.hpp"
#include "adapters/twilio_insights_v3/sandbox/sandbox.hpp"
#include "adapters/zild/sandbox/sandbox.hpp"
#include "gateway/core/time.hpp"
#include "gateway/metrics/metrics.hpp"
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <numeric>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace cgw::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono;
using opt = std::optional<std::string>;

// One raw vendor record as the unified fields the stats read (vendors/README.md section 5).
struct truth {
  std::string vendor;
  opt channel, platform, language, sentiment, status;
  std::vector<std::string> agents;  // distinct names
  std::optional<std::int64_t> started, created, updated, duration;
};

opt text(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? opt(std::string(v->get_string())) : std::nullopt;
}
std::optional<std::int64_t> when(const json::object& o, std::string_view key) {
  auto t = text(o, key);
  return t ? parse_vendor_time(*t) : std::nullopt;
}
std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
// "en-us" -> "en-US": the records of Insights carry some tags in lower case.
std::string bcp47(std::string s) {
  const auto dash = s.find('-');
  for (std::size_t i = 0; i < s.size(); ++i)
    s[i] = static_cast<char>(dash != std::string::npos && i > dash
                                 ? std::toupper(static_cast<unsigned char>(s[i]))
                                 : std::tolower(static_cast<unsigned char>(s[i])));
  return s;
}

truth from_salesloft(const json::object& r) {
  truth t{"salesloft"};
  if (auto m = text(r, "media_type")) t.channel = *m == "audio" ? "voice" : *m == "video" ? "video" : "other";
  if (auto p = text(r, "platform")) t.platform = lower(*p);
  t.language = text(r, "language_code");
  t.created = when(r, "created_at");
  t.updated = when(r, "updated_at");
  t.started = when(r, "event_start_date");
  if (!t.started) t.started = t.created;
  if (const auto* d = r.if_contains("duration"); d && d->is_int64()) t.duration = d->as_int64();
  return t;  // agents: an owner id and no name, so the null agent group
}

truth from_insights(const json::object& r) {
  truth t{"twilio_insights"};
  const auto first = [&](std::string_view key) -> opt {
    const auto* v = r.if_contains(key);
    if (!v || !v->is_array() || v->as_array().empty() || !v->as_array()[0].is_string()) return std::nullopt;
    return std::string(v->as_array()[0].as_string());
  };
  if (auto c = first("Channels")) {
    const std::string l = lower(*c);
    t.channel = (l == "voice" || l == "video" || l == "chat" || l == "sms" || l == "email") ? l : "other";
  }
  if (auto l = first("Languages")) t.language = bcp47(*l);
  t.started = t.created = when(r, "DateCreated");
  t.sentiment = text(r, "OperatorResult.Value");
  if (const auto* d = r.if_contains("Duration"); d && d->is_number())
    t.duration = d->to_number<std::int64_t>();
  if (const auto* a = r.if_contains("AgentNames"); a && a->is_array())
    for (const auto& n : a->as_array())
      if (n.is_string() && std::find(t.agents.begin(), t.agents.end(), n.as_string()) == t.agents.end())
        t.agents.emplace_back(n.as_string());
  return t;
}

// A bucket's start, by calendar arithmetic in the zone (independent of the gateway's code).
std::string bucket(std::int64_t us, const std::string& unit, int tz_min) {
  const auto local = sys_time<microseconds>(microseconds(us)) + minutes(tz_min);
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
  return format_rfc3339_ms((start - minutes(tz_min)).time_since_epoch().count());
}

struct filters {
  std::optional<std::int64_t> started_after, started_before, created_after, created_before, updated_after,
      updated_before, min_duration;
  std::vector<std::string> languages, channels, platforms;
  bool admits(const truth& t) const {
    auto in = [](const std::optional<std::int64_t>& v, const std::optional<std::int64_t>& a,
                 const std::optional<std::int64_t>& b) {
      return (!a && !b) || (v && (!a || *v >= *a) && (!b || *v < *b));
    };
    auto listed = [](const std::vector<std::string>& l, const opt& v) {
      return l.empty() || (v && std::find(l.begin(), l.end(), *v) != l.end());
    };
    return in(t.started, started_after, started_before) && in(t.created, created_after, created_before) &&
           in(t.updated, updated_after, updated_before) &&
           (!min_duration || (t.duration && *t.duration >= *min_duration)) && listed(languages, t.language) &&
           listed(channels, t.channel) && listed(platforms, t.platform);
  }
};

struct figures {
  std::uint64_t count = 0;
  std::vector<std::int64_t> durations;
};

struct key_less {
  bool operator()(const std::vector<opt>& a, const std::vector<opt>& b) const {
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i] == b[i]) continue;
      if (!a[i] || !b[i]) return a[i].has_value();
      return *a[i] < *b[i];
    }
    return false;
  }
};
using expected_rows = std::map<std::vector<opt>, figures, key_less>;

std::vector<opt> values_of(const truth& t, const std::string& g, int tz) {
  if (g == "vendor") return {t.vendor};
  if (g == "channel") return {t.channel};
  if (g == "platform") return {t.platform};
  if (g == "language") return {t.language};
  if (g == "sentiment") return {t.sentiment};
  if (g == "status") return {t.status};
  if (g == "agent") {
    if (t.agents.empty()) return {std::nullopt};
    return std::vector<opt>(t.agents.begin(), t.agents.end());
  }
  const auto colon = g.find(':');
  const std::string field = g.substr(0, colon), unit = g.substr(colon + 1);
  const auto& v = field == "started_at" ? t.started : field == "created_at" ? t.created : t.updated;
  return {v ? opt(bucket(*v, unit, tz)) : std::nullopt};
}

expected_rows expect(const std::vector<truth>& all, const std::vector<std::string>& group_by,
                     const filters& f, int tz) {
  expected_rows out;
  for (const auto& t : all) {
    if (!f.admits(t)) continue;
    std::vector<std::vector<opt>> keys{{}};
    for (const auto& g : group_by) {
      std::vector<std::vector<opt>> next;
      for (const auto& k : keys)
        for (const auto& v : values_of(t, g, tz)) {
          next.push_back(k);
          next.back().push_back(v);
        }
      keys = std::move(next);
    }
    for (const auto& k : keys) {
      auto& fig = out[k];
      ++fig.count;
      if (t.duration) fig.durations.push_back(*t.duration);
    }
  }
  for (auto& [k, fig] : out) std::sort(fig.durations.begin(), fig.durations.end());
  return out;
}

std::optional<std::int64_t> rank(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return std::nullopt;
  std::size_t r = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::max<std::size_t>(r, 1) - 1];
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (!s.empty()) {
    const auto comma = s.find(',', start);
    out.push_back(s.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// Compares an answer's rows with the expected ones, in order, every requested figure.
void check_rows(const json::array& rows, const expected_rows& want, const std::vector<std::string>& group_by,
                const std::vector<std::string>& measures, const std::string& what) {
  ASSERT_EQ(rows.size(), want.size()) << what;
  auto it = want.begin();
  for (std::size_t i = 0; i < rows.size(); ++i, ++it) {
    const auto& row = rows[i].as_object();
    for (std::size_t g = 0; g < group_by.size(); ++g) {
      const auto& v = row.at("group").at(group_by[g]);
      const opt got = v.is_null() ? std::nullopt : opt(std::string(v.as_string()));
      ASSERT_EQ(got, it->first[g]) << what << " row " << i << " " << group_by[g];
    }
    const auto& d = it->second.durations;
    for (const auto& m : measures) {
      if (m == "count") {
        EXPECT_EQ(row.at("count").to_number<std::uint64_t>(), it->second.count) << what << " row " << i;
        continue;
      }
      const auto& v = row.at("duration_ms").at(m.substr(12));
      std::optional<double> expected;
      if (!d.empty()) {
        if (m == "duration_ms.sum")
          expected = static_cast<double>(std::accumulate(d.begin(), d.end(), std::int64_t{0}));
        if (m == "duration_ms.avg")
          expected = static_cast<double>(std::accumulate(d.begin(), d.end(), std::int64_t{0})) /
                     static_cast<double>(d.size());
        if (m == "duration_ms.min") expected = static_cast<double>(d.front());
        if (m == "duration_ms.max") expected = static_cast<double>(d.back());
        if (m == "duration_ms.p50") expected = static_cast<double>(*rank(d, 0.5));
        if (m == "duration_ms.p90") expected = static_cast<double>(*rank(d, 0.9));
      }
      if (!expected) {
        EXPECT_TRUE(v.is_null()) << what << " row " << i << " " << m;
      } else {
        ASSERT_TRUE(v.is_number()) << what << " row " << i << " " << m << ": " << json::serialize(v);
        EXPECT_NEAR(v.to_number<double>(), *expected, 1e-6 * std::max(1.0, std::fabs(*expected)))
            << what << " row " << i << " " << m;
      }
    }
  }
}

std::string iso(int y, unsigned m, unsigned d) {
  return format_rfc3339_ms(
      duration_cast<microseconds>(sys_days{year{y} / month{m} / day{d}}.time_since_epoch()).count());
}
std::int64_t at(int y, unsigned m, unsigned d) {
  return duration_cast<microseconds>(sys_days{year{y} / month{m} / day{d}}.time_since_epoch()).count();
}

class Stats : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sandbox::salesloft::options sl;
    sl.records = 600;
    sl.budget_per_minute = 0;
    sandbox::twilio_flex_insights::options fl;
    fl.records = 120;
    sandbox::twilio_insights_v3::options in;
    in.records = 600;
    in.requests_per_minute = 0;
    sandbox::zild::options zi;
    zi.records = 20;
    servers_.push_back(new sandbox::server(sandbox::salesloft::make_handler(sl)));
    servers_.push_back(new sandbox::server(sandbox::twilio_flex_insights::make_handler(fl)));
    servers_.push_back(new sandbox::server(sandbox::twilio_insights_v3::make_handler(in)));
    servers_.push_back(new sandbox::server(sandbox::zild::make_handler(zi)));
    for (auto* s : servers_) ports_.push_back(s->start());
    gw_ = new gateway(config_with(vendors_json("")));
    for (const auto& r : sandbox::salesloft::dataset(servers_[0]->logic()))
      records_.push_back(from_salesloft(r));
    for (const auto& r : sandbox::twilio_insights_v3::dataset(servers_[2]->logic()))
      records_.push_back(from_insights(r));
  }
  static void TearDownTestSuite() {
    delete gw_;
    for (auto* s : servers_) delete s;
    servers_.clear();
    ports_.clear();
    records_.clear();
  }
  void TearDown() override {
    for (auto* s : servers_) s->set_faults({});
  }

  static std::string base(std::size_t i) { return "http://127.0.0.1:" + std::to_string(ports_[i]); }
  static std::string vendors_json(const std::string& salesloft_extra) {
    const std::string alone = R"(, "retry": {"max_attempts": 1}, "circuit": {"failure_threshold": 1000000})";
    return R"({"salesloft": {"type": "salesloft", "base_url": ")" + base(0) +
           R"(", "auth": {"bearer_token": "sandbox-salesloft-token"})" + alone + salesloft_extra + R"(},
      "twilio_flex": {"type": "twilio_flex_insights", "base_url": ")" +
           base(1) + R"(", "auth": {"username": "ACsandbox", "password": "sandbox-flex-secret"})" + alone +
           R"(},
      "twilio_insights": {"type": "twilio_insights_v3", "base_url": ")" +
           base(2) + R"(", "auth": {"username": "ACsandbox", "password": "sandbox-insights-secret"})" +
           alone + R"(},
      "zild": {"type": "zild", "base_url": ")" +
           base(3) + R"(", "auth": {"bearer_token": "sandbox-zild-jwt"})" + alone + "}}";
  }
  static std::uint64_t points() { return sandbox::salesloft::cost_spent(servers_[0]->logic()); }

  static inline std::vector<sandbox::server*> servers_;
  static inline std::vector<std::uint16_t> ports_;
  static inline gateway* gw_ = nullptr;
  static inline std::vector<truth> records_;
};

struct stats_case {
  std::string group_by, measures, query;  // query: extra filters, already encoded
  filters f;
  int tz = 0;
  std::string salesloft_vendor_method, insights_vendor_method;  // with method=vendor; "-": not asked
};

TEST_F(Stats, EveryMethodGivesTheFiguresOfTheRawRecords) {
  const std::string all = "count,duration_ms.sum,duration_ms.avg,duration_ms.min,duration_ms.max";
  filters june;
  june.created_after = at(2024, 6, 1), june.created_before = at(2024, 7, 1);
  filters en_fr;
  en_fr.languages = {"en-US", "fr-FR"};
  filters long_av;
  long_av.channels = {"voice", "video"}, long_av.min_duration = 600'000;
  filters zoom_webex;
  zoom_webex.platforms = {"zoom", "webex"};
  filters autumn;
  autumn.started_after = at(2024, 9, 1), autumn.started_before = at(2024, 12, 1);
  filters two_days;
  two_days.updated_after = at(2024, 8, 10), two_days.updated_before = at(2024, 8, 12);
  const std::vector<stats_case> cases = {
      {"", "count", "", {}, 0, "vendor_counts", "vendor_aggregate"},
      {"vendor,channel", "count", "", {}, 0, "vendor_counts", "vendor_aggregate"},
      {"platform", "count", "", {}, 0, "vendor_counts", "vendor_aggregate"},
      {"language", all, "", {}, 0, "records", "vendor_aggregate"},
      {"channel,created_at:day", "count",
       "&created_after=" + iso(2024, 6, 1) + "&created_before=" + iso(2024, 7, 1), june, 0, "vendor_counts",
       "vendor_aggregate"},
      {"agent,sentiment", "count,duration_ms.p50,duration_ms.p90", "", {}, 0, "", ""},
      {"started_at:week", "count,duration_ms.max",
       "&started_after=" + iso(2024, 9, 1) + "&started_before=" + iso(2024, 12, 1) + "&tz=%2B02:00", autumn,
       120, "records", "vendor_aggregate"},
      {"created_at:month,vendor", "count,duration_ms.sum", "&language=en-US,fr-FR&tz=-05:00", en_fr, -300,
       "records", "vendor_aggregate"},
      {"channel", "count", "&channel=voice,video&min_duration_ms=600000", long_av, 0, "vendor_counts",
       "vendor_aggregate"},
      {"language,platform", "count", "&platform=zoom,webex", zoom_webex, 0, "vendor_counts", "-"},
      {"updated_at:hour", "count,duration_ms.p90",
       "&updated_after=" + iso(2024, 8, 10) + "&updated_before=" + iso(2024, 8, 12), two_days, 0, "", "-"},
      {"status,channel", "duration_ms.min", "", {}, 0, "records", "vendor_aggregate"},
  };
  std::map<std::string, int> chosen;  // method the planner chose, by vendor and method, over the table
  for (const auto& c : cases) {
    const auto group_by = split(c.group_by);
    const auto measures = split(c.measures);
    const auto want = expect(records_, group_by, c.f, c.tz);
    ASSERT_FALSE(want.empty()) << c.group_by << c.query << ": a case that matches nothing checks little";
    for (const std::string method : {"", "records", "vendor"}) {
      // Percentiles come only from records: forcing the vendor's way is checked in its own test.
      if (method == "vendor" && c.salesloft_vendor_method.empty()) continue;
      const std::string target =
          "/v1/conversations/stats?vendor=salesloft,twilio_insights&measures=" + c.measures +
          (c.group_by.empty() ? "" : "&group_by=" + c.group_by) + c.query +
          (method.empty() ? "" : "&method=" + method);
      auto a = gw_->get(target);
      ASSERT_EQ(a.status, 200u) << target << " -> " << a.text;
      check_rows(a.data(), want, group_by, measures, target);
      const auto& vendors = a.meta().at("vendors").as_object();
      EXPECT_TRUE(a.meta().at("exact").as_bool()) << target;
      EXPECT_FALSE(a.meta().at("partial").as_bool()) << target;
      auto method_of = [&](const char* name) {
        const auto* m = vendors.at(name).as_object().if_contains("method");
        return m ? std::string(m->as_string())
                 : std::string("-");  // not asked: none of its records can match
      };
      if (method == "records") {
        EXPECT_EQ(method_of("salesloft"), "records") << target;
        if (c.insights_vendor_method != "-") EXPECT_EQ(method_of("twilio_insights"), "records") << target;
      }
      if (method == "vendor") {
        EXPECT_EQ(method_of("salesloft"), c.salesloft_vendor_method) << target;
        EXPECT_EQ(method_of("twilio_insights"), c.insights_vendor_method) << target;
      }
      if (method.empty())
        for (const char* name : {"salesloft", "twilio_insights"})
          ++chosen[std::string(name) + ":" + method_of(name)];
    }
  }
  // The planner does use the vendors' own ways where they are cheaper, and records where they are not.
  EXPECT_GT(chosen["salesloft:vendor_counts"], 0);
  EXPECT_GT(chosen["salesloft:records"], 0);
  EXPECT_GT(chosen["twilio_insights:vendor_aggregate"], 0);
  EXPECT_GT(chosen["twilio_insights:records"], 0);  // percentiles
}

TEST_F(Stats, AllVendorsCountEachOnceAndZildIsUnsupported) {
  auto a = gw_->get("/v1/conversations/stats?group_by=vendor");
  ASSERT_EQ(a.status, 200u) << a.text;
  std::uint64_t flex = 0;
  for (const auto& r : sandbox::twilio_flex_insights::dataset(servers_[1]->logic()))
    if (const auto* id = r.if_contains("conversation_id"); id && id->is_string() && !id->as_string().empty())
      ++flex;
  const std::map<std::string, std::uint64_t> want{
      {"salesloft", 600}, {"twilio_flex", flex}, {"twilio_insights", 600}};
  ASSERT_EQ(a.data().size(), want.size()) << a.text;
  auto it = want.begin();
  for (const auto& row : a.data()) {
    EXPECT_EQ(row.at("group").at("vendor").as_string(), it->first.c_str());
    EXPECT_EQ(row.at("count").to_number<std::uint64_t>(), it->second) << it->first;
    ++it;
  }
  EXPECT_EQ(a.meta().at("vendors").at("zild").at("status"), "unsupported");
  EXPECT_EQ(a.meta().at("vendors").at("twilio_flex").at("method"), "records");
  // Each vendor's method is counted.
  const metrics::labels insights{
      {"vendor", "twilio_insights"}, {"method", "vendor_aggregate"}, {"status", "ok"}};
  const double before = metrics::registry::global().value("cgw_stats_requests_total", insights);
  ASSERT_EQ(gw_->get("/v1/conversations/stats?vendor=twilio_insights&group_by=channel").status, 200u);
  EXPECT_EQ(metrics::registry::global().value("cgw_stats_requests_total", insights), before + 1);
}

TEST_F(Stats, ABatchByIdsCountsAVendorWithoutAListThroughItsGets) {
  const auto& zild = sandbox::zild::dataset(servers_[3]->logic());
  ASSERT_GE(zild.size(), 3u);
  std::string ids;
  for (std::size_t i = 0; i < 3; ++i)
    ids += "zild:" + std::to_string(zild[i].at("id").to_number<std::int64_t>()) + ",";
  ids += "zild:999999999,salesloft:" +
         std::string(sandbox::salesloft::dataset(servers_[0]->logic())[0].at("id").as_string());
  auto a = gw_->get("/v1/conversations/stats?group_by=vendor&id=" + ids);
  ASSERT_EQ(a.status, 200u) << a.text;
  ASSERT_EQ(a.data().size(), 2u) << a.text;
  EXPECT_EQ(a.data()[0].at("group").at("vendor"), "salesloft");
  EXPECT_EQ(a.data()[0].at("count").to_number<std::uint64_t>(), 1u);
  EXPECT_EQ(a.data()[1].at("group").at("vendor"), "zild");
  EXPECT_EQ(a.data()[1].at("count").to_number<std::uint64_t>(), 3u);  // the unknown id is simply absent
  EXPECT_EQ(a.meta().at("vendors").at("zild").at("method"), "records");
  EXPECT_EQ(a.meta().at("vendors").at("zild").at("upstream_requests").to_number<unsigned>(), 4u);
}

TEST_F(Stats, ForcedVendorAggregationLeavesPercentilesNullAndInexact) {
  auto a = gw_->get(
      "/v1/conversations/"
      "stats?vendor=twilio_insights&group_by=sentiment&measures=count,duration_ms.p50&method=vendor");
  ASSERT_EQ(a.status, 200u) << a.text;
  const auto& v = a.meta().at("vendors").at("twilio_insights").as_object();
  EXPECT_EQ(v.at("method"), "vendor_aggregate");
  EXPECT_FALSE(v.at("exact").as_bool());
  EXPECT_NE(v.at("note").as_string().find("percentiles"), std::string::npos);
  EXPECT_FALSE(a.meta().at("exact").as_bool());
  ASSERT_FALSE(a.data().empty());
  for (const auto& row : a.data()) {
    EXPECT_TRUE(row.at("duration_ms").at("p50").is_null());
    EXPECT_GT(row.at("count").to_number<std::uint64_t>(), 0u);
  }
}

// A minimal RFC 4180 reader: quoted fields with doubled quotes, CRLF records.
std::vector<std::vector<std::string>> read_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"')
        field += '"', ++i;
      else if (c == '"')
        quoted = false;
      else
        field += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(std::move(field)), field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.back().push_back(std::move(field)), field.clear();
      rows.emplace_back();
      ++i;
    } else {
      field += c;
    }
  }
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

TEST_F(Stats, CsvCarriesTheSameRowsAndTheMetaInAHeader) {
  const std::string target =
      "/v1/conversations/stats?group_by=vendor,agent&measures=count,duration_ms.avg,duration_ms.p90";
  auto js = gw_->get(target);
  auto csv = gw_->get(target, {{"Accept", "text/csv"}});
  ASSERT_EQ(js.status, 200u) << js.text;
  ASSERT_EQ(csv.status, 200u) << csv.text;
  EXPECT_EQ(csv.headers["content-type"].rfind("text/csv", 0), 0u) << csv.headers["content-type"];
  const auto rows = read_csv(csv.text);
  ASSERT_EQ(rows.size(), js.data().size() + 1);
  EXPECT_EQ(rows[0],
            (std::vector<std::string>{"vendor", "agent", "count", "duration_ms.avg", "duration_ms.p90"}));
  for (std::size_t i = 0; i < js.data().size(); ++i) {
    const auto& row = js.data()[i].as_object();
    ASSERT_EQ(rows[i + 1].size(), 5u) << i;
    auto cell = [](const json::value& v) {
      return v.is_null() ? std::string() : v.is_string() ? std::string(v.as_string()) : "";
    };
    EXPECT_EQ(rows[i + 1][0], cell(row.at("group").at("vendor")));
    EXPECT_EQ(rows[i + 1][1], cell(row.at("group").at("agent")));
    EXPECT_EQ(std::stoull(rows[i + 1][2]), row.at("count").to_number<std::uint64_t>());
    const auto& avg = row.at("duration_ms").at("avg");
    if (avg.is_null())
      EXPECT_EQ(rows[i + 1][3], "");
    else
      EXPECT_NEAR(std::stod(rows[i + 1][3]), avg.to_number<double>(), 1e-6 * avg.to_number<double>());
    const auto& p90 = row.at("duration_ms").at("p90");
    EXPECT_EQ(rows[i + 1][4], p90.is_null() ? "" : std::to_string(p90.to_number<std::int64_t>()));
  }
  ASSERT_TRUE(csv.headers.contains("x-conversation-stats-meta"));
  auto meta = json::parse(csv.headers["x-conversation-stats-meta"]).as_object();
  EXPECT_EQ(meta.at("groups"), js.meta().at("groups"));
  EXPECT_EQ(meta.at("exact"), js.meta().at("exact"));
  EXPECT_EQ(meta.at("vendors").as_object().size(), js.meta().at("vendors").as_object().size());
}

TEST_F(Stats, OneVendorFailingIsPartialAndAllFailingIs502) {
  servers_[2]->set_faults({.error_status = 500});
  auto a = gw_->get("/v1/conversations/stats?group_by=vendor&vendor=salesloft,twilio_insights");
  ASSERT_EQ(a.status, 200u) << a.text;
  EXPECT_TRUE(a.meta().at("partial").as_bool());
  EXPECT_EQ(a.meta().at("vendors").at("twilio_insights").at("status"), "error");
  ASSERT_EQ(a.data().size(), 1u);
  EXPECT_EQ(a.data()[0].at("group").at("vendor"), "salesloft");
  EXPECT_EQ(a.data()[0].at("count").to_number<std::uint64_t>(), 600u);

  servers_[0]->set_faults({.error_status = 500});
  auto b = gw_->get("/v1/conversations/stats?group_by=vendor&vendor=salesloft,twilio_insights");
  EXPECT_EQ(b.status, 502u) << b.text;
  EXPECT_EQ(b.body.at("error").at("code"), "upstream_error");
  EXPECT_EQ(b.meta().at("vendors").at("salesloft").at("status"), "error");
}

TEST_F(Stats, AReadStoppedAtTheScanCapIsTruncatedAndInexact) {
  gateway capped(config_with(vendors_json(R"(, "scan_limit": 150)")));
  auto a =
      capped.get("/v1/conversations/stats?vendor=salesloft&measures=count,duration_ms.sum&method=records");
  ASSERT_EQ(a.status, 200u) << a.text;
  const auto& v = a.meta().at("vendors").at("salesloft").as_object();
  EXPECT_TRUE(v.at("truncated").as_bool());
  EXPECT_FALSE(v.at("exact").as_bool());
  EXPECT_FALSE(a.meta().at("exact").as_bool());
  // The walk stops at the cap, give or take the vendor page (or tie group) it was reading.
  const auto read = v.at("records_read").to_number<std::uint64_t>();
  EXPECT_GE(read, 150u);
  EXPECT_LT(read, 600u);
  EXPECT_EQ(a.data()[0].at("count").to_number<std::uint64_t>(), read);
  // Counting is not capped: the planner counts when a read would stop short, and is exact.
  auto b = capped.get("/v1/conversations/stats?vendor=salesloft&group_by=channel");
  ASSERT_EQ(b.status, 200u) << b.text;
  EXPECT_EQ(b.meta().at("vendors").at("salesloft").at("method"), "vendor_counts");
  EXPECT_TRUE(b.meta().at("exact").as_bool());
}

TEST_F(Stats, EachBadParameterIsA400NamingIt) {
  const std::vector<std::tuple<std::string, std::string, std::string>> bad = {
      {"sort=-started_at", "unknown_parameter", "sort"},
      {"page_size=10", "unknown_parameter", "page_size"},
      {"cursor=abc", "unknown_parameter", "cursor"},
      {"include=raw", "unknown_parameter", "include"},
      {"group_by=colour", "invalid_parameter", "group_by"},
      {"group_by=vendor,channel,platform,language", "invalid_parameter", "group_by"},
      {"group_by=started_at:year", "invalid_parameter", "group_by"},
      {"group_by=channel,channel", "invalid_parameter", "group_by"},
      {"group_by=", "invalid_parameter", "group_by"},
      {"measures=duration_ms.p99", "invalid_parameter", "measures"},
      {"measures=count,,count", "invalid_parameter", "measures"},
      {"tz=Europe/Paris", "invalid_parameter", "tz"},
      {"tz=%2B25:00", "invalid_parameter", "tz"},
      {"method=fastest", "invalid_parameter", "method"},
      {"started_after=yesterday", "invalid_parameter", "started_after"},
      {"channel=fax", "invalid_parameter", "channel"},
      {"vendor=nope", "invalid_parameter", "vendor"},
      {"group_by=vendor&group_by=channel", "invalid_parameter", "group_by"},
      {"colour=red", "unknown_parameter", "colour"},
  };
  for (const auto& [query, code, parameter] : bad) {
    auto a = gw_->get("/v1/conversations/stats?" + query);
    EXPECT_EQ(a.status, 400u) << query << " -> " << a.text;
    if (a.status != 400) continue;
    EXPECT_EQ(a.body.at("error").at("code"), code.c_str()) << query;
    EXPECT_EQ(a.body.at("error").at("parameter"), parameter.c_str()) << query;
    EXPECT_FALSE(a.body.at("error").at("message").as_string().empty()) << query;
  }
}

TEST_F(Stats, ExplainShowsEachVendorsMethodCallsAndCost) {
  auto a =
      gw_->get("/v1/conversations/stats?group_by=channel&vendor=salesloft,twilio_insights,zild&explain=true");
  ASSERT_EQ(a.status, 200u) << a.text;
  const auto& v = a.body.at("plan").at("vendors").as_object();
  const auto& sl = v.at("salesloft").as_object();
  EXPECT_EQ(sl.at("method"), "vendor_counts");
  EXPECT_EQ(sl.at("requests").to_number<std::uint64_t>(), 3u);  // the probe (any media type), audio, video
  EXPECT_EQ(sl.at("budget_points").to_number<double>(), 3.0);
  EXPECT_EQ(sl.at("calls").as_array().size(), 3u);
  EXPECT_EQ(sl.at("planning_requests").to_number<std::uint64_t>(), 1u);  // the probe, and no more
  EXPECT_NE(json::serialize(sl.at("calls")).find("include_paging_counts=true"), std::string::npos);
  const auto& in = v.at("twilio_insights").as_object();
  EXPECT_EQ(in.at("method"), "vendor_aggregate");
  EXPECT_NE(json::serialize(in.at("calls")).find("\"measures\":[\"Count\"]"), std::string::npos);
  EXPECT_EQ(v.at("zild").at("status"), "unsupported");
  EXPECT_FALSE(a.body.as_object().contains("data"));
  // 11 platforms cost 11 counts beyond the probe; 600 records are 6 pages: reading them is cheaper.
  auto b = gw_->get("/v1/conversations/stats?group_by=platform&vendor=salesloft&explain=true");
  ASSERT_EQ(b.status, 200u) << b.text;
  const auto& p = b.body.at("plan").at("vendors").at("salesloft").as_object();
  EXPECT_EQ(p.at("method"), "records");
  EXPECT_NE(p.at("reason").as_string().find("600 records match"), std::string::npos) << p.at("reason");
  EXPECT_NE(p.at("reason").as_string().find("costs less"), std::string::npos) << p.at("reason");
}

TEST_F(Stats, ARepeatedQueryIsServedFromTheCache) {
  std::string cfg = config_with(vendors_json(""));
  cfg.replace(cfg.find(R"("ttl_ms": 0)"), std::string_view(R"("ttl_ms": 0)").size(), R"("ttl_ms": 60000)");
  gateway cached(cfg);
  const std::string target = "/v1/conversations/stats?vendor=salesloft,twilio_insights&group_by=channel";
  auto first = cached.get(target);
  ASSERT_EQ(first.status, 200u) << first.text;
  const auto spent = points();
  auto again = cached.get(target);
  ASSERT_EQ(again.status, 200u) << again.text;
  EXPECT_EQ(points(), spent) << "the second answer cost Salesloft nothing";
  for (const auto& [name, v] : again.meta().at("vendors").as_object()) {
    EXPECT_EQ(v.at("upstream_requests").to_number<std::uint64_t>(), 0u) << name;
    EXPECT_EQ(v.at("cache"), "hit") << name;
  }
  EXPECT_EQ(json::serialize(first.data()), json::serialize(again.data()));
  ASSERT_TRUE(again.meta().contains("cache")) << again.text;
  EXPECT_EQ(again.meta().at("cache"), "hit");
  EXPECT_FALSE(first.meta().contains("cache"));
  // Keyed by the normalized query: the same query spelled otherwise, and its CSV form, are hits too.
  auto same =
      cached.get("/v1/conversations/stats?group_by=channel&measures=count&vendor=twilio_insights,salesloft");
  ASSERT_EQ(same.status, 200u) << same.text;
  ASSERT_TRUE(same.meta().contains("cache")) << same.text;
  EXPECT_EQ(same.meta().at("cache"), "hit");
  EXPECT_EQ(json::serialize(same.data()), json::serialize(first.data()));
  auto csv = cached.get(target, {{"Accept", "text/csv"}});
  ASSERT_EQ(csv.status, 200u);
  EXPECT_EQ(csv.text.rfind("channel,count\r\n", 0), 0u) << csv.text;
  EXPECT_NE(csv.headers["x-conversation-stats-meta"].find("\"cache\":\"hit\""), std::string::npos);
  EXPECT_EQ(points(), spent);
  // Another query is not.
  auto other = cached.get("/v1/conversations/stats?vendor=salesloft,twilio_insights&group_by=language");
  ASSERT_EQ(other.status, 200u);
  EXPECT_FALSE(other.meta().contains("cache"));
}

// "Count by channel per day for 30 days, all vendors", by each method: what it costs upstream.
// Printed for the closing note; asserted only where the economy is the point (counts and the
// cube's aggregation cost fewer requests than records where the planner picks them).
TEST_F(Stats, UpstreamEconomyOfCountByChannelPerDay) {
  for (const std::string field : {"started", "created"}) {
    const std::string window =
        "&" + field + "_after=" + iso(2024, 6, 1) + "&" + field + "_before=" + iso(2024, 7, 1);
    std::map<std::string, std::string> figures;
    std::string rows;
    for (const std::string method : {"", "records", "vendor"}) {
      const auto before = points();
      auto a = gw_->get("/v1/conversations/stats?group_by=channel," + field + "_at:day" + window +
                        (method.empty() ? "" : "&method=" + method));
      ASSERT_EQ(a.status, 200u) << a.text;
      if (rows.empty()) rows = json::serialize(a.data());
      EXPECT_EQ(json::serialize(a.data()), rows) << "every method gives the same rows (" << method << ")";
      unsigned requests = 0;
      std::string per_vendor;
      for (const auto& [name, v] : a.meta().at("vendors").as_object()) {
        if (!v.as_object().contains("method")) continue;
        requests += v.at("upstream_requests").to_number<unsigned>();
        per_vendor += " " + std::string(name) + "=" + std::string(v.at("method").as_string()) + ":" +
                      std::to_string(v.at("upstream_requests").to_number<unsigned>());
      }
      std::printf(
          "[economy] group_by=channel,%s_at:day 30 days, method=%s: %u vendor requests, %llu Salesloft "
          "points;%s\n",
          field.c_str(), method.empty() ? "(planner)" : method.c_str(), requests,
          static_cast<unsigned long long>(points() - before), per_vendor.c_str());
    }
  }
}

}  // namespace
}  // namespace cgw::testing
