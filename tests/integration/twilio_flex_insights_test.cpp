// The real gateway against the real Twilio Flex Insights sandbox over loopback: every filter
// returns exactly the records the sandbox's data says, in order, once each, for several page
// sizes and every sort key; next_page_url is followed only on the vendor's own origin; vendor
// errors, 429s and the scan cap reach meta as data.
#include "adapters/twilio_flex_insights/sandbox/sandbox.hpp"
#include "gateway/core/time.hpp"
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <set>
#include <thread>

namespace cgw::testing {
namespace {

namespace json = boost::json;
namespace flex = sandbox::twilio_flex_insights;
using record = json::object;

constexpr std::uint32_t dataset_size = 300;
constexpr const char* username = "ACsandbox";
constexpr const char* password = "sandbox-flex-secret";

// An independent reading of a raw Flex record, straight from vendors/README.md section 5.
std::optional<std::string> raw_id(const record& r) {
  const auto& v = r.at("conversation_id");
  return v.is_string() && !v.as_string().empty() ? std::optional(std::string(v.as_string())) : std::nullopt;
}
std::vector<record> raw_segments(const record& r) {
  std::vector<record> out;
  if (const auto& s = r.at("segments"); s.is_array())
    for (const auto& v : s.as_array()) out.push_back(v.as_object());
  return out;
}
std::optional<std::int64_t> raw_started(const record& r) {
  std::optional<std::int64_t> earliest;
  for (const auto& s : raw_segments(r)) {
    auto t = parse_vendor_time(s.at("timestamp").as_string());
    if (t && (!earliest || *t < *earliest)) earliest = t;
  }
  return earliest;
}
std::optional<std::int64_t> raw_duration(const record& r) {
  const auto segments = raw_segments(r);
  if (segments.empty()) return std::nullopt;
  std::int64_t total = 0;
  for (const auto& s : segments) {
    if (!s.at("talk_time").is_int64()) return std::nullopt;
    total += s.at("talk_time").as_int64() * 1000;
  }
  return total;
}
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}
bool has_agent(const record& r, const std::string& name) {
  const auto segments = raw_segments(r);
  return std::any_of(segments.begin(), segments.end(), [&](const record& s) {
    return s.at("agent_name").is_string() &&
           lower(std::string(s.at("agent_name").as_string())) == lower(name);
  });
}
bool has_segment(const record& r, const std::string& id) {
  const auto segments = raw_segments(r);
  return std::any_of(segments.begin(), segments.end(),
                     [&](const record& s) { return s.at("segment_id") == id.c_str(); });
}
std::optional<std::string> raw_account(const record& r) {
  const auto& v = r.at("account_id");
  return v.is_string() ? std::optional(std::string(v.as_string())) : std::nullopt;
}

std::string vendor_json(const std::string& name, std::uint16_t port, const std::string& extra = "",
                        const std::string& secret = password) {
  return "\"" + name + R"(": {"type": "twilio_flex_insights", "base_url": "http://127.0.0.1:)" +
         std::to_string(port) + R"(", "auth": {"username": ")" + username + R"(", "password": ")" + secret +
         "\"}" + extra + "}";
}

class FlexEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    flex::options opts;
    opts.records = dataset_size;
    sandbox_ = new sandbox::server(flex::make_handler(opts));
    sandbox_port_ = sandbox_->start();
    data_ = &flex::dataset(sandbox_->logic());
    // Vendor pages of 50: every scan follows five next_page_urls.
    gw_ = new gateway(config_with(
        "{" + vendor_json("twilio_flex", sandbox_port_, R"(, "options": {"page_size": 50})") + "}"));
  }
  static void TearDownTestSuite() {
    delete gw_;
    delete sandbox_;
  }

  // The ids the data says a query must return, in the unified order (null values last, ties by id).
  static std::vector<std::string> expected(
      const std::function<bool(const record&)>& keep,
      const std::function<std::optional<std::int64_t>(const record&)>& key, bool descending) {
    std::vector<std::pair<std::optional<std::int64_t>, std::string>> rows;
    for (const auto& r : *data_)
      if (raw_id(r) && keep(r)) rows.emplace_back(key(r), "twilio_flex:" + *raw_id(r));
    std::sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
      if (a.first.has_value() != b.first.has_value()) return a.first.has_value();
      if (a.first && *a.first != *b.first) return descending ? *a.first > *b.first : *a.first < *b.first;
      return a.second < b.second;
    });
    std::vector<std::string> ids;
    for (auto& r : rows) ids.push_back(r.second);
    return ids;
  }

  static std::vector<std::string> ids_of(const std::vector<record>& records) {
    std::vector<std::string> ids;
    for (const auto& r : records) ids.emplace_back(r.at("id").as_string());
    return ids;
  }

  static std::size_t unaddressable() {
    return static_cast<std::size_t>(
        std::count_if(data_->begin(), data_->end(), [](const record& r) { return !raw_id(r); }));
  }

  static inline sandbox::server* sandbox_ = nullptr;
  static inline std::uint16_t sandbox_port_ = 0;
  static inline const std::vector<record>* data_ = nullptr;
  static inline gateway* gw_ = nullptr;
};

TEST_F(FlexEndToEnd, DatasetHasWhatTheTestsNeed) {
  std::set<std::int64_t> starts;
  std::size_t tied_starts = 0, null_durations = 0;
  for (const auto& r : *data_) {
    if (auto s = raw_started(r); s && !starts.insert(*s).second) ++tied_starts;
    null_durations += raw_id(r) && !raw_duration(r);
  }
  EXPECT_GT(tied_starts, 0u);
  EXPECT_GT(null_durations, 0u);
  EXPECT_GT(unaddressable(), 0u);
}

struct sort_case {
  const char* param;
  std::function<std::optional<std::int64_t>(const record&)> key;
  bool descending;
};

TEST_F(FlexEndToEnd, EverySortKeyEveryPageSizeExactlyOnce) {
  const auto none = [](const record&) { return std::optional<std::int64_t>(); };
  const std::vector<sort_case> sorts = {
      {"-started_at", raw_started, true},   {"started_at", raw_started, false},
      {"-duration_ms", raw_duration, true}, {"duration_ms", raw_duration, false},
      {"-created_at", none, true},          {"created_at", none, false},
      {"-updated_at", none, true},          {"updated_at", none, false},
  };
  for (const auto& s : sorts) {
    auto want = expected([](const record&) { return true; }, s.key, s.descending);
    ASSERT_EQ(want.size(), dataset_size - unaddressable());
    for (std::size_t page_size : {7u, 50u, 1000u}) {
      std::size_t pages = 0;
      auto got = ids_of(walk(
          *gw_, "vendor=twilio_flex&sort=" + std::string(s.param) + "&page_size=" + std::to_string(page_size),
          &pages));
      EXPECT_EQ(got, want) << "sort=" << s.param << " page_size=" << page_size;
      EXPECT_EQ(pages, (want.size() + page_size - 1) / page_size)
          << "sort=" << s.param << " page_size=" << page_size;
    }
  }
}

struct filter_case {
  std::string query;
  std::function<bool(const record&)> keep;
  bool batch = false;  // an id batch: the gateway orders it as the ids were asked for, not by the sort
};

TEST_F(FlexEndToEnd, EveryFilterReturnsExactlyWhatTheDataSays) {
  // Values taken from the data itself, so every filter that applies matches something.
  const record* with_segments = nullptr;
  for (const auto& r : *data_)
    if (raw_id(r) && raw_segments(r).size() >= 2 && raw_duration(r) && raw_account(r)) {
      with_segments = &r;
      break;
    }
  ASSERT_NE(with_segments, nullptr);
  const record& a = *with_segments;
  const std::string segment(raw_segments(a)[1].at("segment_id").as_string());
  const std::string account = *raw_account(a);
  const auto mid = *raw_started(a);
  const auto duration = *raw_duration(a);
  auto when = [](std::int64_t t) { return format_rfc3339_us(t); };
  std::vector<std::string> addressable;
  for (const auto& r : *data_)
    if (raw_id(r)) addressable.push_back(*raw_id(r));
  const std::string id_a = addressable[3], id_b = addressable[40];
  const auto never = [](const record&) { return false; };

  std::vector<filter_case> cases = {
      {"segment_id=" + segment, [&](const record& r) { return has_segment(r, segment); }},
      {"segment_id=02dd8a65-c9e3-550b-9e98-5b11abb9b3a4", never},
      {"agent=ann%20lee", [](const record& r) { return has_agent(r, "Ann Lee"); }},
      {"agent=Eve%20Adams", [](const record& r) { return has_agent(r, "eve adams"); }},
      {"agent=Nobody", never},
      {"started_after=" + when(mid),
       [&](const record& r) {
         auto s = raw_started(r);
         return s && *s >= mid;
       }},
      {"started_before=" + when(mid),
       [&](const record& r) {
         auto s = raw_started(r);
         return s && *s < mid;
       }},
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
      {"account_id=" + account + ",no-such-account",
       [&](const record& r) { return raw_account(r) == account; }},
      {"id=twilio_flex:" + id_a + ",twilio_flex:" + id_b + ",zild:1",
       [&](const record& r) { return raw_id(r) == id_a || raw_id(r) == id_b; }, true},
      {"agent=ANN%20LEE&started_after=" + when(mid - 86400LL * 1'000'000 * 120) + "&min_duration_ms=60000",
       [&](const record& r) {
         auto s = raw_started(r);
         auto d = raw_duration(r);
         return has_agent(r, "ann lee") && s && *s >= mid - 86400LL * 1'000'000 * 120 && d && *d >= 60000;
       }},
      {"segment_id=" + segment + "&agent=nobody", never},
      // Fields Flex never has: nothing matches, and the vendor is not even asked.
      {"created_after=2000-01-01T00:00:00Z", never},
      {"created_before=2100-01-01T00:00:00Z", never},
      {"updated_after=2000-01-01T00:00:00Z", never},
      {"title=x", never},
      {"title_prefix=x", never},
      {"platform=zoom", never},
      {"language=en-US", never},
      {"channel=voice", never},
      {"owner_id=o", never},
      {"user_id=u", never},
      {"person_id=p", never},
  };
  for (const auto& c : cases) {
    for (const char* sort : {"-started_at", "duration_ms"}) {
      const bool desc = sort[0] == '-';
      auto want = expected(c.keep, desc ? std::function(raw_started) : std::function(raw_duration), desc);
      std::string escaped;
      for (char ch : c.query) escaped += ch == '+' ? std::string("%2B") : std::string(1, ch);
      auto got =
          ids_of(walk(*gw_, "vendor=twilio_flex&page_size=40&sort=" + std::string(sort) + "&" + escaped));
      if (c.batch) {
        std::sort(got.begin(), got.end());
        std::sort(want.begin(), want.end());
        EXPECT_EQ(want.size(), 2u);
      }
      EXPECT_EQ(got, want) << c.query << " sort=" << sort;
    }
  }
  // The filters above that apply did match something: the comparisons were not vacuous.
  EXPECT_FALSE(expected([&](const record& r) { return has_segment(r, segment); }, raw_started, true).empty());
  EXPECT_GT(expected([](const record& r) { return has_agent(r, "ann lee"); }, raw_started, true).size(), 1u);
}

TEST_F(FlexEndToEnd, MetaSaysWhatWentDownWhatStayedLocalAndWhatWasSkipped) {
  auto page = gw_->get("/v1/conversations?vendor=twilio_flex&agent=ann%20lee&page_size=5");
  ASSERT_EQ(page.status, 200u) << page.text;
  const auto& v = page.meta().at("vendors").at("twilio_flex").as_object();
  EXPECT_EQ(v.at("status"), "ok");
  EXPECT_EQ(v.at("pushed_down"), json::array{});
  EXPECT_EQ(v.at("filtered_locally"), json::array({"agent"}));
  EXPECT_EQ(v.at("upstream_requests"), (dataset_size + 49) / 50);  // every vendor page of one scan
  EXPECT_FALSE(v.contains("truncated"));
  const std::string note(v.at("note").as_string());
  EXPECT_NE(
      note.find(std::to_string(unaddressable()) + " vendor record(s) without a conversation_id were skipped"),
      std::string::npos)
      << note;
  EXPECT_EQ(page.meta().at("partial"), false);

  // SegmentId goes down: the vendor answers one short page.
  const auto& segments =
      raw_segments((*data_)[0]).empty() ? raw_segments((*data_)[1]) : raw_segments((*data_)[0]);
  ASSERT_FALSE(segments.empty());
  auto seg = gw_->get("/v1/conversations?vendor=twilio_flex&segment_id=" +
                      std::string(segments[0].at("segment_id").as_string()) + "&min_duration_ms=0");
  ASSERT_EQ(seg.status, 200u) << seg.text;
  const auto& sv = seg.meta().at("vendors").at("twilio_flex").as_object();
  EXPECT_EQ(sv.at("pushed_down"), json::array({"segment_id"}));
  EXPECT_EQ(sv.at("filtered_locally"), json::array({"min_duration_ms"}));
  EXPECT_EQ(sv.at("upstream_requests"), 1);

  // A filter on a field Flex lacks: skipped without a call, and said why.
  auto created = gw_->get("/v1/conversations?vendor=twilio_flex&created_after=2020-01-01T00:00:00Z");
  ASSERT_EQ(created.status, 200u) << created.text;
  EXPECT_TRUE(created.data().empty());
  const auto& cv = created.meta().at("vendors").at("twilio_flex").as_object();
  EXPECT_NE(std::string(cv.at("reason").as_string()).find("created_after"), std::string::npos);
  EXPECT_FALSE(cv.contains("upstream_requests") && cv.at("upstream_requests") != 0);
}

TEST_F(FlexEndToEnd, RecordsAreMappedAsDocumented) {
  const record* a = nullptr;
  for (const auto& r : *data_)
    if (raw_id(r) && raw_segments(r).size() >= 2 && raw_duration(r)) {
      a = &r;
      break;
    }
  ASSERT_NE(a, nullptr);
  auto page = gw_->get("/v1/conversations?vendor=twilio_flex&include=raw&segment_id=" +
                       std::string(raw_segments(*a)[0].at("segment_id").as_string()));
  ASSERT_EQ(page.status, 200u) << page.text;
  ASSERT_EQ(page.data().size(), 1u);
  const auto& c = page.data()[0].as_object();
  EXPECT_EQ(c.at("id"), ("twilio_flex:" + *raw_id(*a)).c_str());
  EXPECT_EQ(c.at("vendor"), "twilio_flex");
  EXPECT_EQ(c.at("vendor_type"), "twilio_flex_insights");
  EXPECT_EQ(c.at("started_at"), format_rfc3339_ms(*raw_started(*a)).c_str());
  EXPECT_EQ(c.at("duration_ms").as_int64(), *raw_duration(*a));
  EXPECT_TRUE(c.at("created_at").is_null());
  EXPECT_EQ(c.at("segments").as_array().size(), raw_segments(*a).size());
  EXPECT_EQ(c.at("raw").as_object(), *a);
}

TEST_F(FlexEndToEnd, GetByIdIsUnsupportedAndVendorsSayWhatFlexCanDo) {
  const auto id = *raw_id((*data_)[0].at("conversation_id").is_string() ? (*data_)[0] : (*data_)[1]);
  auto one = gw_->get("/v1/conversations/twilio_flex:" + id);
  EXPECT_EQ(one.status, http_status(errc::unsupported)) << one.text;
  EXPECT_EQ(one.body.at("error").at("code"), "unsupported");
  auto vendors = gw_->get("/v1/vendors");
  ASSERT_EQ(vendors.status, 200u);
  const auto& v = vendors.data()[0].as_object();
  EXPECT_EQ(v.at("type"), "twilio_flex_insights");
  EXPECT_EQ(v.at("can_list"), true);
  EXPECT_EQ(v.at("can_get"), false);
  EXPECT_EQ(v.at("pushdown_filters"), json::array({"segment_id"}));
  EXPECT_EQ(v.at("native_sorts"), json::array{});
  EXPECT_EQ(vendors.text.find(password), std::string::npos);
}

TEST_F(FlexEndToEnd, ExplainShowsTheFirstRequestAndThePaging) {
  auto plan = gw_->get("/v1/conversations?vendor=twilio_flex&segment_id=s-1&explain=true");
  ASSERT_EQ(plan.status, 200u) << plan.text;
  const auto& v = plan.body.at("plan").at("vendors").at("twilio_flex").as_object();
  EXPECT_EQ(v.at("native_sort"), false);
  EXPECT_EQ(v.at("requests").at("target"), "/v1/Insights/Conversations?SegmentId=s-1&PageSize=50");
}

TEST_F(FlexEndToEnd, ScanLimitTruncatesAndSaysSo) {
  gateway capped(config_with(
      "{" +
      vendor_json("twilio_flex", sandbox_port_, R"(, "options": {"page_size": 50}, "scan_limit": 100)") +
      "}"));
  auto page = capped.get("/v1/conversations?vendor=twilio_flex&page_size=1000");
  ASSERT_EQ(page.status, 200u) << page.text;
  const auto& v = page.meta().at("vendors").at("twilio_flex").as_object();
  EXPECT_EQ(v.at("truncated"), true);
  // The cap counts the records read (the unaddressable ones are not records): 100 or a few more.
  EXPECT_LT(v.at("upstream_requests").as_int64(), (dataset_size + 49) / 50);
  EXPECT_GE(page.data().size(), 100u);
  EXPECT_LT(page.data().size(), 150u);
}

TEST_F(FlexEndToEnd, WrongVendorCredentialIsAVendorError) {
  gateway wrong(config_with("{" + vendor_json("twilio_flex", sandbox_port_, "", "not-the-secret") + "}"));
  auto page = wrong.get("/v1/conversations?vendor=twilio_flex");
  EXPECT_EQ(page.status, 502u) << page.text;
  EXPECT_EQ(page.meta().at("vendors").at("twilio_flex").at("error").at("code"), "upstream_unauthorized");
  EXPECT_EQ(page.text.find("not-the-secret"), std::string::npos);
}

// --- a vendor that misbehaves ------------------------------------------------------------------

// A Flex sandbox of its own per test, so faults never leak into the suite's shared one.
struct misbehaving {
  explicit misbehaving(flex::options o) : server(flex::make_handler(std::move(o))), port(server.start()) {}
  sandbox::server server;
  std::uint16_t port;
};

flex::options small_options() {
  flex::options o;
  o.records = 120;
  return o;
}

TEST(FlexMisbehaving, ANextPageLinkToAnotherHostIsNeverFollowed) {
  misbehaving foreign(small_options());  // where the link points: it must never hear from the gateway
  auto opts = small_options();
  opts.foreign_next_host = "127.0.0.1:" + std::to_string(foreign.port);
  misbehaving vendor(opts);
  misbehaving healthy(small_options());
  gateway gw(config_with("{" + vendor_json("twilio_flex", vendor.port, R"(, "options": {"page_size": 50})") +
                         ", " + vendor_json("twilio_flex_ok", healthy.port) + "}"));

  auto alone = gw.get("/v1/conversations?vendor=twilio_flex");
  EXPECT_EQ(alone.status, 502u) << alone.text;
  EXPECT_EQ(alone.body.at("error").at("code"), "upstream_error");
  const auto& v = alone.meta().at("vendors").at("twilio_flex").as_object();
  EXPECT_EQ(v.at("status"), "error");
  EXPECT_EQ(v.at("error").at("code"), "upstream_error");
  EXPECT_NE(std::string(v.at("error").at("message").as_string()).find("another origin"), std::string::npos)
      << alone.text;

  auto both = gw.get("/v1/conversations?vendor=twilio_flex,twilio_flex_ok&page_size=10");
  EXPECT_EQ(both.status, 200u) << both.text;
  EXPECT_EQ(both.meta().at("partial"), true);
  EXPECT_EQ(both.meta().at("vendors").at("twilio_flex_ok").at("status"), "ok");
  EXPECT_EQ(both.data().size(), 10u);

  EXPECT_GE(vendor.server.requests(), 2u);   // the first pages were read
  EXPECT_EQ(foreign.server.requests(), 0u);  // so no credential ever reached it
  for (const auto* text : {&alone.text, &both.text}) {
    EXPECT_EQ(text->find(password), std::string::npos);
    EXPECT_EQ(text->find("QUNzYW5kYm94"), std::string::npos);  // base64 of "ACsandbox"
  }
}

TEST(FlexMisbehaving, AnUnknownPageTokenIsACleanVendorError) {
  auto opts = small_options();
  opts.forged_next_token = "PT50-0123456789abcdef";
  misbehaving vendor(opts);
  gateway gw(
      config_with("{" + vendor_json("twilio_flex", vendor.port, R"(, "options": {"page_size": 50})") + "}"));
  auto page = gw.get("/v1/conversations?vendor=twilio_flex");
  EXPECT_EQ(page.status, 502u) << page.text;
  const auto& error = page.meta().at("vendors").at("twilio_flex").at("error").as_object();
  EXPECT_EQ(error.at("code"), "upstream_error");
  const std::string message(error.at("message").as_string());
  // Twilio's {code, message, more_info, status} is summarized, never passed through.
  EXPECT_NE(message.find("HTTP 400"), std::string::npos) << message;
  EXPECT_NE(message.find("code 20001: Invalid PageToken"), std::string::npos) << message;
  EXPECT_EQ(page.text.find("more_info"), std::string::npos);
  EXPECT_EQ(page.text.find("twilio.com/docs/errors"), std::string::npos);
  EXPECT_EQ(vendor.server.requests(), 2u);
}

TEST(FlexMisbehaving, A429IsRateLimitedInMetaAndPausesTheAccount) {
  misbehaving vendor(small_options());
  gateway gw(config_with("{" + vendor_json("twilio_flex", vendor.port) + "}"));
  vendor.server.set_faults({.rate_limit_count = 100, .retry_after_s = 2});
  auto page = gw.get("/v1/conversations?vendor=twilio_flex");
  // Every vendor asked is rate limiting: the client is told when to come back.
  EXPECT_EQ(page.status, 429u) << page.text;
  EXPECT_EQ(page.body.at("error").at("code"), "rate_limited");
  EXPECT_EQ(page.headers.at("retry-after"), "2");
  const auto& v = page.meta().at("vendors").at("twilio_flex").as_object();
  EXPECT_EQ(v.at("status"), "rate_limited");
  EXPECT_EQ(v.at("error").at("code"), "upstream_rate_limited");
  EXPECT_NE(std::string(v.at("error").at("message").as_string()).find("20429"), std::string::npos)
      << page.text;
  EXPECT_EQ(v.at("retry_after_s"), 2);
  // The 429 paused the whole account: the next caller is answered without asking the vendor.
  vendor.server.set_faults({});
  const auto asked = vendor.server.requests();
  const auto t0 = clock::now();
  auto paused = gw.get("/v1/conversations?vendor=twilio_flex");
  EXPECT_EQ(paused.status, 429u) << paused.text;
  EXPECT_LT(clock::now() - t0, std::chrono::milliseconds(500));
  EXPECT_EQ(vendor.server.requests(), asked);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_EQ(gw.get("/v1/conversations?vendor=twilio_flex").status, 200u);
}

TEST(FlexMisbehaving, BrokenAnswersAreVendorErrors) {
  misbehaving vendor(small_options());
  gateway gw(config_with("{" + vendor_json("twilio_flex", vendor.port) + "}"));
  for (const auto& faults : {sandbox::fault_menu{.error_status = 503},
                             sandbox::fault_menu{.body = sandbox::fault_menu::body_fault::malformed},
                             sandbox::fault_menu{.body = sandbox::fault_menu::body_fault::truncated}}) {
    vendor.server.set_faults(faults);
    auto page = gw.get("/v1/conversations?vendor=twilio_flex");
    EXPECT_EQ(page.status, 502u) << page.text;
    EXPECT_EQ(page.meta().at("vendors").at("twilio_flex").at("status"), "error") << page.text;
  }
  vendor.server.set_faults({});
  EXPECT_EQ(gw.get("/v1/conversations?vendor=twilio_flex").status, 200u);
}

}  // namespace
}  // namespace cgw::testing
