// All four sandboxes behind one gateway: the all-vendor walk is the ordered union of the
// single-vendor walks, exactly once, for several page sizes and sort keys; one vendor
// failing or hanging gives a partial answer within the deadline; cursors stay bound.
#include "adapters/salesloft/sandbox/sandbox.hpp"
#include "adapters/twilio_flex_insights/sandbox/sandbox.hpp"
#include "adapters/twilio_insights_v3/sandbox/sandbox.hpp"
#include "adapters/zild/sandbox/sandbox.hpp"
#include "gateway/core/time.hpp"
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>

namespace cgw::testing {
namespace {

namespace json = boost::json;

class FanOut : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sandbox::salesloft::options sl;
    sl.records = 200;
    sl.budget_per_minute = 0;
    sandbox::twilio_flex_insights::options fl;
    fl.records = 150;
    sandbox::twilio_insights_v3::options in;
    in.records = 200;
    in.requests_per_minute = 0;
    sandbox::zild::options zi;
    zi.records = 40;
    salesloft_ = start(sandbox::salesloft::make_handler(sl));
    flex_ = start(sandbox::twilio_flex_insights::make_handler(fl));
    insights_ = start(sandbox::twilio_insights_v3::make_handler(in));
    zild_ = start(sandbox::zild::make_handler(zi));
    gw_ = new gateway(config_with(vendors_json()));
  }
  static void TearDownTestSuite() {
    delete gw_;
    for (auto* s : {salesloft_, flex_, insights_, zild_}) delete s;
  }
  void TearDown() override {
    for (auto* s : {salesloft_, flex_, insights_, zild_}) s->set_faults({});
  }

  static sandbox::server* start(std::unique_ptr<sandbox::handler> h) {
    auto* s = new sandbox::server(std::move(h));
    ports_.push_back(s->start());
    return s;
  }
  static std::string base(std::size_t i) { return "http://127.0.0.1:" + std::to_string(ports_[i]); }
  // One gateway serves every test of the suite: each vendor call is made once and judged alone,
  // so that a fault of one test never trips a breaker in the next (resilience_test.cpp covers those).
  static std::string vendors_json() {
    const std::string judged_alone =
        R"(, "retry": {"max_attempts": 1}, "circuit": {"failure_threshold": 1000000})";
    return R"({"salesloft": {"type": "salesloft", "base_url": ")" + base(0) +
           R"(", "auth": {"bearer_token": "sandbox-salesloft-token"})" + judged_alone + R"(},
      "twilio_flex": {"type": "twilio_flex_insights", "base_url": ")" +
           base(1) + R"(", "auth": {"username": "ACsandbox", "password": "sandbox-flex-secret"})" +
           judged_alone + R"(},
      "twilio_insights": {"type": "twilio_insights_v3", "base_url": ")" +
           base(2) + R"(", "auth": {"username": "ACsandbox", "password": "sandbox-insights-secret"})" +
           judged_alone + R"(},
      "zild": {"type": "zild", "base_url": ")" +
           base(3) + R"(", "auth": {"bearer_token": "sandbox-zild-jwt"})" + judged_alone + "}}";
  }

  static std::optional<std::int64_t> key(const json::object& r, const std::string& field) {
    const auto& v = r.at(field);
    if (v.is_null()) return std::nullopt;
    if (v.is_int64()) return v.as_int64();
    return parse_rfc3339(v.as_string());
  }

  // The single-vendor walks, merged by the spec's order: sort value, nulls last, ties by id.
  static std::vector<std::string> expected_union(const std::string& sort, const std::string& filters) {
    const bool desc = sort[0] == '-';
    const std::string field = desc ? sort.substr(1) : sort;
    std::vector<json::object> all;
    for (const char* v : {"salesloft", "twilio_flex", "twilio_insights"})
      for (auto& r : walk(*gw_, "vendor=" + std::string(v) + "&page_size=1000&sort=" + sort + filters))
        all.push_back(r);
    std::sort(all.begin(), all.end(), [&](const json::object& a, const json::object& b) {
      auto ka = key(a, field), kb = key(b, field);
      if (ka.has_value() != kb.has_value()) return ka.has_value();
      if (ka && *ka != *kb) return desc ? *ka > *kb : *ka < *kb;
      return a.at("id").as_string() < b.at("id").as_string();
    });
    std::vector<std::string> ids;
    for (const auto& r : all) ids.emplace_back(r.at("id").as_string());
    return ids;
  }

  static std::vector<std::string> ids_of(const std::vector<json::object>& records) {
    std::vector<std::string> ids;
    for (const auto& r : records) ids.emplace_back(r.at("id").as_string());
    return ids;
  }

  static inline std::vector<std::uint16_t> ports_;
  static inline sandbox::server *salesloft_, *flex_, *insights_, *zild_;
  static inline gateway* gw_ = nullptr;
};

TEST_F(FanOut, AllVendorWalkIsTheOrderedUnionExactlyOnce) {
  for (const std::string sort : {"-started_at", "created_at", "-duration_ms", "updated_at"}) {
    for (const std::string& filters : {std::string(), std::string("&min_duration_ms=60000")}) {
      auto want = expected_union(sort, filters);
      ASSERT_GT(want.size(), 100u);
      for (std::size_t page_size : {13u, 100u}) {
        auto got = ids_of(walk(*gw_, "page_size=" + std::to_string(page_size) + "&sort=" + sort + filters));
        EXPECT_EQ(got, want) << "sort=" << sort << filters << " page_size=" << page_size;
      }
    }
  }
}

TEST_F(FanOut, MetaTellsEveryVendorsPart) {
  auto page = gw_->get("/v1/conversations?page_size=20");
  ASSERT_EQ(page.status, 200u) << page.text;
  const auto& vendors = page.meta().at("vendors").as_object();
  EXPECT_EQ(vendors.at("zild").at("status"), "unsupported");
  EXPECT_EQ(vendors.at("zild").at("reason"), "the vendor has no list endpoint");
  std::int64_t returned = 0;
  for (const char* v : {"salesloft", "twilio_flex", "twilio_insights"}) {
    EXPECT_EQ(vendors.at(v).at("status"), "ok") << v;
    EXPECT_GE(vendors.at(v).at("upstream_requests").as_int64(), 1) << v;
    returned += vendors.at(v).at("returned").as_int64();
  }
  EXPECT_EQ(returned, 20);
  EXPECT_EQ(page.meta().at("partial"), false);
}

TEST_F(FanOut, OneVendorHangingGivesAPartialAnswerWithinTheDeadline) {
  sandbox::fault_menu hang;
  hang.body = sandbox::fault_menu::body_fault::hang;
  flex_->set_faults(hang);
  const auto t0 = std::chrono::steady_clock::now();
  auto page = gw_->get("/v1/conversations?page_size=30&sort=-started_at", {{"X-Request-Timeout-Ms", "800"}});
  const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(page.status, 200u) << page.text;
  EXPECT_LT(ms, 1200);
  EXPECT_EQ(page.meta().at("partial"), true);
  EXPECT_EQ(page.meta().at("vendors").at("twilio_flex").at("status"), "error");
  // The client's 800 ms, not Flex's 2000 ms timeout, ended the call: the client's deadline, not the vendor's
  // fault.
  EXPECT_EQ(page.meta().at("vendors").at("twilio_flex").at("error").at("code"), "deadline_exceeded");
  EXPECT_EQ(page.data().size(), 30u);
  EXPECT_FALSE(page.meta().at("next_cursor").is_null());  // paging goes on for the others
}

TEST_F(FanOut, AVendorWithoutTheSortFieldIsAskedOnlyForTheNullTail) {
  // No Flex Insights record has created_at: all of them sort after every record that has one.
  // While the others fill the page, Flex is not called (it hangs here, and nobody waits for it).
  sandbox::fault_menu hang;
  hang.body = sandbox::fault_menu::body_fault::hang;
  flex_->set_faults(hang);
  const auto flex_calls = flex_->requests();
  auto page = gw_->get("/v1/conversations?page_size=30&sort=-created_at", {{"X-Request-Timeout-Ms", "800"}});
  ASSERT_EQ(page.status, 200u) << page.text;
  EXPECT_EQ(page.meta().at("partial"), false);
  const auto& flex = page.meta().at("vendors").at("twilio_flex");
  EXPECT_EQ(flex.at("status"), "ok");
  EXPECT_EQ(flex.at("upstream_requests"), 0);
  EXPECT_NE(std::string(flex.at("note").as_string()).find("no record of this vendor has created_at"),
            std::string::npos);
  EXPECT_EQ(flex_->requests(), flex_calls);
  EXPECT_FALSE(page.meta().at("next_cursor").is_null());  // Flex's records are still to come
  for (const auto& c : page.data()) EXPECT_FALSE(c.at("created_at").is_null());
  flex_->set_faults({});
  // The walk reaches the null tail, where Flex is asked: the exactly-once walk of every sort
  // (AllVendorWalkIsTheOrderedUnionExactlyOnce) covers the order across that boundary.
}

TEST_F(FanOut, OneVendorFailingKeepsTheOthersAndEveryoneFailingIs502) {
  sandbox::fault_menu fail;
  fail.error_status = 503;
  insights_->set_faults(fail);
  auto page = gw_->get("/v1/conversations?page_size=10");
  ASSERT_EQ(page.status, 200u);
  EXPECT_EQ(page.meta().at("partial"), true);
  EXPECT_EQ(page.meta().at("vendors").at("twilio_insights").at("error").at("code"), "upstream_error");
  for (auto* s : {salesloft_, flex_}) s->set_faults(fail);
  auto none = gw_->get("/v1/conversations?page_size=10");
  EXPECT_EQ(none.status, 502u) << none.text;
  EXPECT_EQ(none.body.at("error").at("code"), "upstream_error");
  EXPECT_EQ(none.meta().at("vendors").at("salesloft").at("status"), "error");
}

TEST_F(FanOut, AnswerTimeIsTheSlowestVendorsNotTheSum) {
  sandbox::fault_menu slow;
  slow.latency_ms = 50;
  for (auto* s : {salesloft_, flex_, insights_, zild_}) s->set_faults(slow);
  gw_->get("/v1/conversations?page_size=50&sort=-created_at");  // warm connections
  const auto t0 = std::chrono::steady_clock::now();
  auto page = gw_->get("/v1/conversations?page_size=50&sort=-created_at");
  const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(page.status, 200u);
  // Each vendor answers in one request here (keyset or single scan page), so the serial sum is 150+ ms.
  EXPECT_LT(ms, 140) << "answer took " << ms << " ms";
  std::printf("all-vendor page with 50 ms vendors: %.1f ms (gateway total %.1f ms)\n", ms,
              page.meta().at("timing").at("total_ms").to_number<double>());
}

TEST_F(FanOut, CursorsAreBoundAndSigned) {
  auto page = gw_->get("/v1/conversations?page_size=5&language=en-US");
  ASSERT_EQ(page.status, 200u);
  std::string cursor(page.meta().at("next_cursor").as_string());
  EXPECT_EQ(gw_->get("/v1/conversations?page_size=5&language=en-US&cursor=" + cursor).status, 200u);
  auto other = gw_->get("/v1/conversations?page_size=5&language=fr-FR&cursor=" + cursor);
  EXPECT_EQ(other.status, 400u);
  EXPECT_EQ(other.body.at("error").at("code"), "invalid_cursor");
  auto narrower = gw_->get("/v1/conversations?vendor=salesloft&page_size=5&language=en-US&cursor=" + cursor);
  EXPECT_EQ(narrower.status, 400u);
  std::string tampered = cursor;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(gw_->get("/v1/conversations?page_size=5&language=en-US&cursor=" + tampered).status, 400u);
}

TEST_F(FanOut, BatchAcrossVendors) {
  auto sl = walk(*gw_, "vendor=salesloft&page_size=3&sort=created_at");
  auto in = walk(*gw_, "vendor=twilio_insights&page_size=2&sort=created_at");
  ASSERT_GE(sl.size(), 2u);
  ASSERT_GE(in.size(), 1u);
  const auto& zild_data = sandbox::zild::dataset(zild_->logic());
  const std::string zid = "zild:" + std::to_string(zild_data[0].at("id").as_int64());
  const std::vector<std::string> ids = {std::string(in[0].at("id").as_string()), zid, "zild:1",
                                        std::string(sl[1].at("id").as_string()),
                                        std::string(sl[0].at("id").as_string())};
  std::string list;
  for (const auto& id : ids) list += (list.empty() ? "" : ",") + id;
  auto page = gw_->get("/v1/conversations?id=" + list);
  ASSERT_EQ(page.status, 200u) << page.text;
  std::vector<std::string> got;
  for (const auto& r : page.data()) got.emplace_back(r.at("id").as_string());
  EXPECT_EQ(got, (std::vector<std::string>{ids[0], ids[1], ids[3], ids[4]}));  // zild:1 does not exist
  EXPECT_EQ(page.meta().at("vendors").at("zild").at("status"), "ok");
  EXPECT_EQ(page.meta().at("vendors").at("zild").at("upstream_requests"), 2);
  EXPECT_EQ(page.meta().at("vendors").at("twilio_flex").at("upstream_requests"), 0);
}

TEST_F(FanOut, MetricsCountRequestsPerVendor) {
  auto count = [&](const std::string& series) {
    auto text = gw_->get("/metrics").text;
    auto at = text.find(series + " ");
    return at == std::string::npos ? 0.0 : std::stod(text.substr(at + series.size() + 1));
  };
  const std::string sl = R"(cgw_upstream_requests_total{vendor="salesloft",outcome="ok"})";
  const std::string route = R"(cgw_http_requests_total{route="/v1/conversations",status="200"})";
  const double before_sl = count(sl), before_route = count(route);
  ASSERT_EQ(gw_->get("/v1/conversations?vendor=salesloft&sort=-created_at&page_size=5").status, 200u);
  EXPECT_EQ(count(sl), before_sl + 1);
  EXPECT_EQ(count(route), before_route + 1);
  auto text = gw_->get("/metrics").text;
  EXPECT_NE(text.find("cgw_upstream_request_duration_seconds_bucket{vendor=\"salesloft\",le=\"+Inf\"}"),
            std::string::npos);
  EXPECT_EQ(text.find("sandbox-salesloft-token"), std::string::npos);
}

TEST_F(FanOut, CorsPreflightAndOrigins) {
  gateway cors(R"({"listen": {"address": "127.0.0.1", "port": 0},
      "cursor_secret": "integration-test-cursor-secret-0123456789",
      "cors": {"allowed_origins": ["https://dash.example"]}, "logging": {"level": "warn"},
      "vendors": )" +
               vendors_json() + "}");
  auto ok =
      request(cors.port(), "/v1/conversations",
              {{"Origin", "https://dash.example"}, {"Access-Control-Request-Method", "GET"}}, "OPTIONS");
  EXPECT_EQ(ok.status, 204u);
  EXPECT_EQ(ok.headers["access-control-allow-origin"], "https://dash.example");
  EXPECT_NE(ok.headers["access-control-allow-headers"].find("Authorization"), std::string::npos);
  auto no =
      request(cors.port(), "/v1/conversations",
              {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "GET"}}, "OPTIONS");
  EXPECT_EQ(no.headers.count("access-control-allow-origin"), 0u);
  auto get = cors.get("/v1/vendors", {{"Origin", "https://dash.example"}});
  EXPECT_EQ(get.status, 200u);
  EXPECT_EQ(get.headers["access-control-allow-origin"], "https://dash.example");
  EXPECT_EQ(get.headers.count("access-control-allow-credentials"), 0u);  // never a wildcard with credentials
}

TEST_F(FanOut, ExplainCallsNoVendor) {
  const auto before = salesloft_->requests() + flex_->requests() + insights_->requests() + zild_->requests();
  auto plan = gw_->get("/v1/conversations?explain=true&min_duration_ms=1000&sort=-created_at");
  ASSERT_EQ(plan.status, 200u) << plan.text;
  EXPECT_EQ(salesloft_->requests() + flex_->requests() + insights_->requests() + zild_->requests(), before);
  const auto& v = plan.body.at("plan").at("vendors").as_object();
  EXPECT_EQ(v.at("salesloft").at("native_sort"), true);
  EXPECT_EQ(v.at("zild").at("status"), "unsupported");
  EXPECT_TRUE(v.at("twilio_flex").at("filtered_locally").as_array().size() >= 1);
}

}  // namespace
}  // namespace cgw::testing
