// The real gateway against the real Twilio Insights v3 sandbox over loopback: every filter
// (pushed down and local) returns exactly the records the sandbox's data says, in order,
// once each, for several page sizes and every sort key; and the vendor's failure modes
// (expired page tokens, 429s, a cube lacking a mapped dimension) stay per-vendor data.
#include "adapters/twilio_insights_v3/sandbox/sandbox.hpp"
#include "gateway/core/time.hpp"
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cctype>
#include <functional>
#include <set>
#include <thread>

namespace cgw::testing {
namespace {

namespace json = boost::json;
namespace insights = sandbox::twilio_insights_v3;
using record = json::object;

constexpr std::uint32_t dataset_size = 300;
constexpr std::string_view password = "sandbox-insights-secret";

// An independent reading of a raw item, straight from vendors/README.md sections 3 and 5.
std::optional<std::int64_t> raw_created(const record& r) {
  const auto& v = r.at("DateCreated");
  return v.is_string() ? parse_vendor_time(v.as_string()) : std::nullopt;
}
std::optional<std::int64_t> raw_duration(const record& r) {
  const auto& v = r.at("Duration");
  return v.is_int64() ? std::optional(v.as_int64()) : std::nullopt;
}
std::optional<std::string> raw_first(const record& r, std::string_view key) {
  const auto& v = r.at(key).as_array();
  return v.empty() ? std::nullopt : std::optional(std::string(v.front().as_string()));
}
std::optional<std::string> raw_language(const record& r) {
  auto l = raw_first(r, "Languages");
  return l ? std::optional(canonical_language(*l)) : std::nullopt;
}
std::optional<std::string> raw_channel(const record& r) {
  auto c = raw_first(r, "Channels");
  if (!c) return std::nullopt;
  std::transform(c->begin(), c->end(), c->begin(), [](unsigned char ch) { return std::tolower(ch); });
  const std::set<std::string> unified{"voice", "video", "chat", "sms", "email", "other"};
  return unified.contains(*c) ? *c : "other";
}
std::string raw_id(const record& r) {
  return std::string(r.at("Id").as_string());
}
std::optional<std::int64_t> no_value(const record&) {
  return std::nullopt;
}

// A sandbox on loopback and a gateway in front of it.
struct stack {
  explicit stack(insights::options opts, const std::string& vendor_options = "{}",
                 std::string_view pass = password)
      : sandbox(insights::make_handler(std::move(opts))),
        port(sandbox.start()),
        gw(config_with(vendors_json(port, vendor_options, pass))) {}

  static std::string vendors_json(std::uint16_t port, const std::string& vendor_options,
                                  std::string_view pass) {
    return R"({"twilio_insights": {"type": "twilio_insights_v3", "base_url": "http://127.0.0.1:)" +
           std::to_string(port) + R"(", "auth": {"username": "ACsandbox", "password": ")" +
           std::string(pass) + R"("}, "options": )" + vendor_options + "}}";
  }
  const std::vector<record>& data() { return insights::dataset(sandbox.logic()); }

  sandbox::server sandbox;
  std::uint16_t port;
  gateway gw;
};

insights::options sandbox_options(std::uint32_t max_page_size = 64) {
  insights::options o;
  o.records = dataset_size;
  o.requests_per_minute = 0;        // walks below make many calls; the budget has its own test
  o.max_page_size = max_page_size;  // smaller than the adapter asks: every walk follows page tokens
  return o;
}

std::vector<std::string> ids_of(const std::vector<record>& records) {
  std::vector<std::string> ids;
  for (const auto& r : records) ids.emplace_back(r.at("id").as_string());
  return ids;
}

// Escapes '+' in offsets and spaces in names for the URL.
std::string escaped(const std::string& query) {
  std::string out;
  for (char ch : query)
    out += ch == '+' ? std::string("%2B") : ch == ' ' ? std::string("%20") : std::string(1, ch);
  return out;
}

// The ids the data says a query must return, in the unified order.
std::vector<std::string> expected(const std::vector<record>& data,
                                  const std::function<bool(const record&)>& keep,
                                  const std::function<std::optional<std::int64_t>(const record&)>& key,
                                  bool descending) {
  std::vector<std::pair<std::optional<std::int64_t>, std::string>> rows;
  for (const auto& r : data)
    if (keep(r)) rows.emplace_back(key(r), "twilio_insights:" + raw_id(r));
  std::sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
    if (a.first.has_value() != b.first.has_value()) return a.first.has_value();
    if (a.first && *a.first != *b.first) return descending ? *a.first > *b.first : *a.first < *b.first;
    return a.second < b.second;
  });
  std::vector<std::string> ids;
  for (auto& r : rows) ids.push_back(r.second);
  return ids;
}

class InsightsEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { stack_ = new stack(sandbox_options()); }
  static void TearDownTestSuite() { delete stack_; }
  static const std::vector<record>& data() { return stack_->data(); }
  static const gateway& gw() { return stack_->gw; }

  static inline stack* stack_ = nullptr;
};

TEST_F(InsightsEndToEnd, DatasetHasTiesNullsAndOddSpellings) {
  std::set<std::int64_t> created;
  std::size_t tied = 0, null_durations = 0, lower_languages = 0, capital_channels = 0, others = 0;
  for (const auto& r : data()) {
    tied += !created.insert(*raw_created(r)).second;
    null_durations += !raw_duration(r);
    auto l = raw_first(r, "Languages");
    lower_languages += l && *l != canonical_language(*l);
    auto c = raw_first(r, "Channels");
    capital_channels += c && std::isupper(static_cast<unsigned char>((*c)[0]));
    others += raw_channel(r) == "other";
  }
  EXPECT_GT(tied, 0u);
  EXPECT_GT(null_durations, 0u);
  EXPECT_GT(lower_languages, 0u);
  EXPECT_GT(capital_channels, 0u);
  EXPECT_GT(others, 0u);
}

struct sort_case {
  const char* param;
  std::function<std::optional<std::int64_t>(const record&)> key;
  bool descending;
};

TEST_F(InsightsEndToEnd, EverySortKeyEveryPageSizeExactlyOnce) {
  const std::vector<sort_case> sorts = {
      {"-started_at", raw_created, true},   {"started_at", raw_created, false},
      {"-created_at", raw_created, true},   {"created_at", raw_created, false},
      {"-updated_at", no_value, true},      {"updated_at", no_value, false},  // no dimension: id order
      {"-duration_ms", raw_duration, true}, {"duration_ms", raw_duration, false},
  };
  for (const auto& s : sorts) {
    auto want = expected(
        data(), [](const record&) { return true; }, s.key, s.descending);
    ASSERT_EQ(want.size(), dataset_size);
    for (std::size_t page_size : {37u, 100u, 1000u}) {
      std::size_t pages = 0;
      auto got = ids_of(walk(
          gw(),
          "vendor=twilio_insights&sort=" + std::string(s.param) + "&page_size=" + std::to_string(page_size),
          &pages));
      EXPECT_EQ(got, want) << "sort=" << s.param << " page_size=" << page_size;
      // A keyset walk cannot always tell that a full page was the last one: one empty page may close it.
      EXPECT_GE(pages, (dataset_size + page_size - 1) / page_size);
      EXPECT_LE(pages, (dataset_size + page_size - 1) / page_size + 1)
          << "sort=" << s.param << " page_size=" << page_size;
    }
  }
}

struct filter_case {
  std::string query;
  std::function<bool(const record&)> keep;
  bool request_order = false;  // a batch (`id`) comes in the order of the request
};

TEST_F(InsightsEndToEnd, EveryFilterReturnsExactlyWhatTheDataSays) {
  // Values taken from the data itself, so that every filter matches something.
  const record& a = data()[3];
  const record& b = data()[17];
  const std::int64_t mid = *raw_created(a);
  const auto when = [](std::int64_t t) { return format_rfc3339_us(t); };
  const std::int64_t duration = raw_duration(a).value_or(600'000);
  const auto agent_of = [&] {
    for (const auto& r : data())
      if (!r.at("AgentNames").as_array().empty())
        return std::string(r.at("AgentNames").as_array().back().as_string());
    return std::string("nobody");
  };
  const std::string agent = agent_of();
  std::string agent_lower = agent;
  std::transform(agent_lower.begin(), agent_lower.end(), agent_lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  const auto has_agent = [&](const record& r) {
    for (const auto& n : r.at("AgentNames").as_array())
      if (n.as_string() == agent) return true;
    return false;
  };
  const auto created_in = [&](std::optional<std::int64_t> from, std::optional<std::int64_t> to) {
    return [=](const record& r) {
      auto t = raw_created(r);
      return t && (!from || *t >= *from) && (!to || *t < *to);
    };
  };
  const auto language_in = [](std::vector<std::string> wanted) {
    return [=](const record& r) {
      auto l = raw_language(r);
      return l && std::find(wanted.begin(), wanted.end(), *l) != wanted.end();
    };
  };
  const auto channel_in = [](std::vector<std::string> wanted) {
    return [=](const record& r) {
      auto c = raw_channel(r);
      return c && std::find(wanted.begin(), wanted.end(), *c) != wanted.end();
    };
  };
  const auto none = [](const record&) { return false; };
  const std::string id_a = raw_id(a), id_b = raw_id(b);

  std::vector<filter_case> cases = {
      {"started_after=" + when(mid), created_in(mid, std::nullopt)},
      {"started_before=" + when(mid), created_in(std::nullopt, mid)},
      // Sub-millisecond bounds: the vendor is asked for whole milliseconds, the gateway narrows.
      {"created_after=" + when(mid - 1), created_in(mid - 1, std::nullopt)},
      {"created_after=" + when(mid + 1), created_in(mid + 1, std::nullopt)},
      {"created_before=" + when(mid + 1), created_in(std::nullopt, mid + 1)},
      {"created_after=" + when(mid - 86'400'000'000LL) + "&started_before=" + when(mid + 86'400'000'000LL),
       created_in(mid - 86'400'000'000LL, mid + 86'400'000'000LL)},
      {"started_after=2024-09-01T02:00:00%2B02:00",
       created_in(*parse_rfc3339("2024-09-01T00:00:00Z"), std::nullopt)},
      {"updated_after=" + when(mid), none},  // no dimension feeds updated_at
      {"min_duration_ms=" + std::to_string(duration),
       [&](const record& r) {
         auto d = raw_duration(r);
         return d && *d >= duration;
       }},
      {"max_duration_ms=" + std::to_string(duration),
       [&](const record& r) {
         auto d = raw_duration(r);
         return d && *d <= duration;
       }},
      {"language=en-US", language_in({"en-US"})},  // "en-us" in the data matches too
      {"language=EN-us,fr-fr", language_in({"en-US", "fr-FR"})},
      {"language=ja-JP,hi-IN,xx-YY", language_in({"ja-JP", "hi-IN"})},
      {"channel=voice", channel_in({"voice"})},  // "Voice" in the data matches too
      {"channel=chat,sms", channel_in({"chat", "sms"})},
      {"channel=other", channel_in({"other"})},
      {"channel=video,other", channel_in({"video", "other"})},
      {"agent=" + agent_lower, has_agent},
      {"id=twilio_insights:" + id_b + ",zild:1,twilio_insights:" + id_a + ",twilio_insights:CA404",
       [&](const record& r) { return raw_id(r) == id_a || raw_id(r) == id_b; }, true},
      {"platform=zoom", none},
      {"account_id=AC1", none},
      {"title=Hello", none},
      {"title_prefix=He", none},
      {"segment_id=s1", none},
      {"owner_id=o1", none},
      {"language=en-US&min_duration_ms=60000&agent=" + agent_lower +
           "&started_after=" + when(mid - 86'400'000'000LL * 90),
       [&](const record& r) {
         auto d = raw_duration(r);
         return raw_language(r) == "en-US" && d && *d >= 60000 && has_agent(r) &&
                *raw_created(r) >= mid - 86'400'000'000LL * 90;
       }},
  };
  for (const auto& c : cases) {
    for (const char* sort : {"-started_at", "duration_ms", "updated_at"}) {
      const std::string s = sort;
      const bool desc = sort[0] == '-';
      auto key = s == "-started_at"   ? std::function(raw_created)
                 : s == "duration_ms" ? std::function(raw_duration)
                                      : std::function(no_value);
      auto want = c.request_order
                      ? std::vector<std::string>{"twilio_insights:" + id_b, "twilio_insights:" + id_a}
                      : expected(data(), c.keep, key, desc);
      auto got = ids_of(walk(gw(), "vendor=twilio_insights&page_size=40&sort=" + s + "&" + escaped(c.query)));
      EXPECT_EQ(got, want) << c.query << " sort=" << sort;
    }
  }
}

TEST_F(InsightsEndToEnd, MetaSaysWhatWentDownAndWhatStayedLocal) {
  auto page = gw().get(
      "/v1/"
      "conversations?vendor=twilio_insights&language=en-US&agent=x&started_after=2020-01-01T00:00:00Z&page_"
      "size=5");
  ASSERT_EQ(page.status, 200u) << page.text;
  const auto& v = page.meta().at("vendors").at("twilio_insights").as_object();
  EXPECT_EQ(v.at("status"), "ok");
  EXPECT_EQ(v.at("pushed_down"), json::array({"started_after", "language"}));
  EXPECT_EQ(v.at("filtered_locally"), json::array({"agent"}));
  EXPECT_EQ(page.meta().at("partial"), false);
}

TEST_F(InsightsEndToEnd, VendorsListsTheCapabilities) {
  auto vendors = gw().get("/v1/vendors");
  ASSERT_EQ(vendors.status, 200u) << vendors.text;
  const auto& v = vendors.data().at(0).as_object();
  EXPECT_EQ(v.at("type"), "twilio_insights_v3");
  EXPECT_EQ(v.at("native_sorts"), json::array({"started_at", "created_at", "duration_ms"}));
  EXPECT_EQ(vendors.text.find(password), std::string::npos);
}

TEST(InsightsEndToEndCalls, MetadataOnceThenOneQueryPerPage) {
  stack s(sandbox_options(1000));
  auto first = s.gw.get("/v1/conversations?vendor=twilio_insights&sort=-created_at&page_size=50");
  ASSERT_EQ(first.status, 200u) << first.text;
  EXPECT_EQ(first.meta().at("vendors").at("twilio_insights").at("upstream_requests"), 2);  // Metadata + Query
  auto next = s.gw.get("/v1/conversations?vendor=twilio_insights&sort=-created_at&page_size=50&cursor=" +
                       std::string(first.meta().at("next_cursor").as_string()));
  ASSERT_EQ(next.status, 200u);
  EXPECT_EQ(next.meta().at("vendors").at("twilio_insights").at("upstream_requests"), 1);
  EXPECT_EQ(s.sandbox.requests(), 3u);
}

TEST_F(InsightsEndToEnd, GetByIdMapsTheRecord) {
  const record& a = data()[5];
  const std::string id = raw_id(a);
  auto one = gw().get("/v1/conversations/twilio_insights:" + id + "?include=raw");
  ASSERT_EQ(one.status, 200u) << one.text;
  EXPECT_EQ(one.body.at("id").as_string(), "twilio_insights:" + id);
  EXPECT_EQ(one.body.at("native_id").as_string(), id);
  EXPECT_EQ(one.body.at("vendor_type"), "twilio_insights_v3");
  EXPECT_EQ(one.body.at("created_at").as_string(), format_rfc3339_ms(*raw_created(a)));
  EXPECT_EQ(one.body.at("started_at"), one.body.at("created_at"));
  EXPECT_EQ(one.body.at("language"), raw_language(a) ? json::value(*raw_language(a)) : json::value(nullptr));
  EXPECT_EQ(one.body.at("channel"), raw_channel(a) ? json::value(*raw_channel(a)) : json::value(nullptr));
  EXPECT_EQ(one.body.at("duration_ms"),
            raw_duration(a) ? json::value(*raw_duration(a)) : json::value(nullptr));
  EXPECT_EQ(one.body.at("sentiment"), a.at("OperatorResult.Value"));
  EXPECT_EQ(one.body.at("agents").as_array().size(), a.at("AgentNames").as_array().size());
  EXPECT_EQ(one.body.at("raw").at("Id").as_string(), id);
  EXPECT_EQ(gw().get("/v1/conversations/twilio_insights%3A" + id).status, 200u);

  auto missing = gw().get("/v1/conversations/twilio_insights:CA00000000000000000000000000000000");
  EXPECT_EQ(missing.status, 404u) << missing.text;
  EXPECT_EQ(missing.body.at("error").at("code"), "not_found");
}

// An Insights that does not apply the Id filter of a get: it answers with another conversation.
class another_conversation final : public sandbox::handler {
 public:
  another_conversation(std::unique_ptr<sandbox::handler> inner, std::string asked, std::string served)
      : inner_(std::move(inner)), asked_(std::move(asked)), served_(std::move(served)) {}
  sandbox::response handle(const sandbox::request& req) override {
    sandbox::request copy = req;
    if (auto at = copy.body().find('"' + asked_ + '"'); at != std::string::npos) {
      copy.body().replace(at + 1, asked_.size(), served_);
      copy.prepare_payload();
    }
    return inner_->handle(copy);
  }
  sandbox::response error(http::status status, std::string_view message) override {
    return inner_->error(status, message);
  }
  sandbox::response rate_limited(std::int32_t s) override { return inner_->rate_limited(s); }

 private:
  std::unique_ptr<sandbox::handler> inner_;
  std::string asked_, served_;
};

TEST(InsightsEndToEndGet, AnotherConversationThanTheOneAskedIsAVendorError) {
  auto h = insights::make_handler(sandbox_options());
  const std::string asked = raw_id(insights::dataset(*h)[0]), served = raw_id(insights::dataset(*h)[1]);
  sandbox::server s(std::make_unique<another_conversation>(std::move(h), asked, served));
  gateway gw(config_with(stack::vendors_json(s.start(), "{}", password)));
  auto one = gw.get("/v1/conversations/twilio_insights:" + asked);
  EXPECT_EQ(one.status, 502u) << one.text;
  EXPECT_EQ(one.body.at("error").at("code"), "upstream_error") << one.text;
  EXPECT_NE(std::string(one.body.at("error").at("message").as_string()).find("another conversation"),
            std::string::npos)
      << one.text;
  EXPECT_EQ(one.text.find(served), std::string::npos) << "the other conversation reached the client";
  EXPECT_EQ(gw.get("/v1/conversations/twilio_insights:" + served).status, 200u);  // unaltered gets still work
}

TEST_F(InsightsEndToEnd, ExplainShowsTheQueryItWouldPost) {
  auto plan =
      gw().get("/v1/conversations?vendor=twilio_insights&language=fr-FR&sort=duration_ms&explain=true");
  ASSERT_EQ(plan.status, 200u) << plan.text;
  const auto& v = plan.body.at("plan").at("vendors").at("twilio_insights");
  EXPECT_EQ(v.at("native_sort"), true);
  EXPECT_EQ(v.at("requests").at("method"), "POST");
  const auto& query = v.at("requests").at("body").at("query");
  EXPECT_EQ(query.at("orderBy").at(0), json::parse(R"({"field": "Duration", "direction": "ASC"})"));
  EXPECT_EQ(query.at("filters").at(0).at("expressions").at(0).at("values"),
            json::parse(R"(["fr-FR", "fr-fr"])"));
}

TEST(InsightsEndToEndFaults, AnExpiredPageTokenIsThisVendorsError) {
  auto o = sandbox_options(10);
  o.token_ttl_ms = 1;
  stack s(o);
  s.sandbox.set_faults({.latency_ms = 5});  // every token is stale by the time it comes back
  auto page = s.gw.get("/v1/conversations?vendor=twilio_insights&page_size=50");
  EXPECT_EQ(page.status, 502u) << page.text;
  const auto& v = page.meta().at("vendors").at("twilio_insights").as_object();
  EXPECT_EQ(v.at("status"), "error");
  EXPECT_EQ(v.at("error").at("code"), "upstream_error");
  const std::string message(v.at("error").at("message").as_string());
  EXPECT_NE(message.find("HTTP 400"), std::string::npos) << message;
  EXPECT_NE(message.find("20001"), std::string::npos) << message;  // the v1.0 body was read
  // One page of ten needs no token: that still works.
  EXPECT_EQ(s.gw.get("/v1/conversations?vendor=twilio_insights&page_size=5").status, 200u);
}

TEST(InsightsEndToEndFaults, RateLimitsAreStatusInMetaAndTheBudgetIsKept) {
  stack s(sandbox_options());
  // A 429 that can be waited out within the deadline is: the vendor's reset, then one retry.
  s.sandbox.set_faults({.rate_limit_count = 1, .retry_after_s = 1});
  const auto t0 = clock::now();
  auto waited = s.gw.get("/v1/conversations?vendor=twilio_insights&page_size=5");
  EXPECT_EQ(waited.status, 200u) << waited.text;
  EXPECT_GE(clock::now() - t0, std::chrono::milliseconds(1000));
  EXPECT_EQ(waited.meta().at("vendors").at("twilio_insights").at("retries"), 1);

  // One that cannot is rate_limited at once, and pauses the account for everyone until its reset.
  s.sandbox.set_faults({.rate_limit_count = 1, .retry_after_s = 7});
  const auto t1 = clock::now();
  auto limited = s.gw.get("/v1/conversations?vendor=twilio_insights&page_size=7");
  EXPECT_LT(clock::now() - t1, std::chrono::milliseconds(1000));
  EXPECT_EQ(limited.status, 429u) << limited.text;
  EXPECT_EQ(limited.headers.at("retry-after"), "7");
  const auto& v = limited.meta().at("vendors").at("twilio_insights").as_object();
  EXPECT_EQ(v.at("status"), "rate_limited");
  EXPECT_EQ(v.at("retry_after_s"), 7);  // from X-RateLimit-Reset
  const auto asked = s.sandbox.requests();
  auto paused = s.gw.get("/v1/conversations?vendor=twilio_insights&page_size=8");
  EXPECT_EQ(paused.status, 429u) << paused.text;
  EXPECT_EQ(s.sandbox.requests(), asked);

  // The sandbox's own per-minute budget: Metadata and one query fit. Its X-RateLimit-Remaining
  // said 0, so the gateway refuses the next query itself: the vendor never sees it.
  auto o = sandbox_options();
  o.requests_per_minute = 2;
  stack budget(o);
  EXPECT_EQ(budget.gw.get("/v1/conversations?vendor=twilio_insights&page_size=5").status, 200u);
  auto spent = budget.gw.get("/v1/conversations?vendor=twilio_insights&page_size=5");
  EXPECT_EQ(spent.status, 429u) << spent.text;
  const auto& w = spent.meta().at("vendors").at("twilio_insights").as_object();
  EXPECT_EQ(w.at("status"), "rate_limited");
  EXPECT_EQ(w.at("upstream_requests"), 0);
  EXPECT_GE(w.at("retry_after_s").as_int64(), 1);
  EXPECT_LE(w.at("retry_after_s").as_int64(), 60);
  EXPECT_EQ(budget.sandbox.requests(), 2u);
}

TEST(InsightsEndToEndCube, AMissingDimensionMakesItsFieldAbsent) {
  auto o = sandbox_options();
  o.omit_dimensions = {"Languages", "Duration"};
  stack s(o);
  // Every record, with neither language nor duration; the request that read the cube says so in
  // the adapter's log, once per missing dimension, with its request id.
  ::testing::internal::CaptureStderr();
  const auto first = s.gw.get("/v1/conversations?vendor=twilio_insights&page_size=1");
  const std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_EQ(first.status, 200u) << first.text;
  for (const char* dimension : {"Languages", "Duration"}) {
    const auto line = log.find(std::string(R"("dimension":")") + dimension + "\"");
    ASSERT_NE(line, std::string::npos) << log;
    const auto end = log.find('\n', line);
    const std::string text = log.substr(log.rfind('\n', line) + 1, end - log.rfind('\n', line) - 1);
    EXPECT_NE(text.find(R"("logger":"adapter.twilio_insights_v3")"), std::string::npos) << text;
    ASSERT_TRUE(first.headers.contains("x-request-id"));
    EXPECT_NE(text.find(R"("request_id":")" + first.headers.at("x-request-id") + "\""), std::string::npos)
        << text;
    EXPECT_NE(text.find(R"("level":"warning")"), std::string::npos) << text;
  }
  auto all = walk(s.gw, "vendor=twilio_insights&page_size=100");
  ASSERT_EQ(all.size(), dataset_size);
  for (const auto& r : all) {
    EXPECT_TRUE(r.at("language").is_null());
    EXPECT_TRUE(r.at("duration_ms").is_null());
  }
  // Filters on them match nothing, without a vendor query, and say why.
  for (const char* filter : {"language=en-US", "min_duration_ms=1", "max_duration_ms=99999999"}) {
    auto page = s.gw.get("/v1/conversations?vendor=twilio_insights&" + std::string(filter));
    ASSERT_EQ(page.status, 200u) << page.text;
    EXPECT_TRUE(page.data().empty()) << filter;
    const auto& v = page.meta().at("vendors").at("twilio_insights").as_object();
    EXPECT_EQ(v.at("status"), "ok");
    EXPECT_EQ(v.at("upstream_requests"), 0);
    EXPECT_NE(std::string(v.at("note").as_string()).find("cube has no dimension"), std::string::npos)
        << v.at("note");
    EXPECT_TRUE(page.meta().at("next_cursor").is_null());
  }
  // Sorting by the missing dimension: every value is null, so id order.
  auto by_duration = ids_of(walk(s.gw, "vendor=twilio_insights&sort=-duration_ms&page_size=70"));
  EXPECT_EQ(by_duration, expected(
                             s.data(), [](const record&) { return true; }, no_value, true));
  EXPECT_EQ(s.gw.get("/v1/conversations/twilio_insights:" + raw_id(s.data()[0])).status, 200u);
}

TEST(InsightsEndToEndConfig, MappingComesFromOptions) {
  // updated_at from DateCreated: now a native keyset sort and a pushed-down filter.
  stack s(sandbox_options(), R"({"dimensions": {"updated_at": "DateCreated", "sentiment": null}})");
  auto want = expected(
      s.data(), [](const record&) { return true; }, raw_created, false);
  EXPECT_EQ(ids_of(walk(s.gw, "vendor=twilio_insights&sort=updated_at&page_size=45")), want);
  auto page =
      s.gw.get("/v1/conversations?vendor=twilio_insights&updated_after=2024-09-01T00:00:00Z&page_size=3");
  ASSERT_EQ(page.status, 200u) << page.text;
  EXPECT_EQ(page.meta().at("vendors").at("twilio_insights").at("pushed_down"),
            json::array({"updated_after"}));
  for (const auto& r : page.data()) {
    EXPECT_TRUE(r.at("sentiment").is_null());
    EXPECT_EQ(r.at("updated_at"), r.at("created_at"));
  }

  const auto refused = [](const std::string& vendor_json) {
    try {
      gateway g(config_with(vendor_json));
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(refused(stack::vendors_json(1, R"({"dimensions": {"foo": "Bar"}})", password))
                .find("vendors.twilio_insights.options.dimensions.foo: unknown unified field"),
            std::string::npos);
  EXPECT_NE(refused(stack::vendors_json(1, "{}", "")).find("vendors.twilio_insights.auth.password"),
            std::string::npos);
}

TEST(InsightsEndToEndAuth, WrongVendorCredentialIsAVendorError) {
  stack s(sandbox_options(), "{}", "not-the-secret");
  auto page = s.gw.get("/v1/conversations?vendor=twilio_insights");
  EXPECT_EQ(page.status, 502u) << page.text;
  EXPECT_EQ(page.meta().at("vendors").at("twilio_insights").at("error").at("code"), "upstream_unauthorized");
  EXPECT_EQ(page.text.find("not-the-secret"), std::string::npos);
  EXPECT_EQ(s.gw.get("/v1/conversations/twilio_insights:" + raw_id(s.data()[0])).status, 502u);
}

}  // namespace
}  // namespace cgw::testing
