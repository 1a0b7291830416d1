// What the gateway computed, kept: a vendor's ordered scan serves every page of its walk, and
// identical client requests (in flight together, or within the TTL) get one computed answer.
// Real gateway, real sandboxes, loopback.
#include "adapters/salesloft/sandbox/sandbox.hpp"
#include "adapters/twilio_flex_insights/sandbox/sandbox.hpp"
#include "config/loader.hpp"
#include "gateway/metrics/metrics.hpp"
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <future>
#include <set>
#include <thread>

namespace cgw::testing {
namespace {

namespace json = boost::json;

double metric(const std::string& name, const metrics::labels& l) {
  return metrics::registry::global().value(name, l);
}

// A configuration whose vendors keep what was computed for `ttl_ms` (the harness's default is no cache).
std::string with_cache(std::string config, std::uint32_t ttl_ms) {
  auto v = json::parse(config);
  v.as_object()["cache"] = json::object{{"ttl_ms", ttl_ms}};
  return json::serialize(v);
}

std::string flex_vendor(std::uint16_t port) {
  return R"({"twilio_flex": {"type": "twilio_flex_insights", "base_url": "http://127.0.0.1:)" +
         std::to_string(port) +
         R"(", "auth": {"username": "ACsandbox", "password": "sandbox-flex-secret"}, "options": {"page_size": 50}}})";
}

std::string salesloft_vendor(std::uint16_t port) {
  return R"({"salesloft": {"type": "salesloft", "base_url": "http://127.0.0.1:)" + std::to_string(port) +
         R"(", "auth": {"bearer_token": "sandbox-salesloft-token"}}})";
}

std::vector<std::string> ids_of(const http_answer& a) {
  std::vector<std::string> out;
  for (const auto& r : a.data()) out.emplace_back(r.at("id").as_string());
  return out;
}

class FlexScan : public ::testing::Test {
 protected:
  void SetUp() override {
    sandbox::twilio_flex_insights::options opts;
    opts.records = 300;
    vendor_ = std::make_unique<sandbox::server>(sandbox::twilio_flex_insights::make_handler(opts));
    port_ = vendor_->start();
  }
  std::unique_ptr<sandbox::server> vendor_;
  std::uint16_t port_ = 0;
};

// Flex cannot sort: every page of a walk needs the whole scan. Kept, the scan is read once (six
// vendor pages of 50) and every later page of the walk is cut from it, in the same order as a
// walk that scans again for each page.
TEST_F(FlexScan, EveryPageOfAWalkIsCutFromOneScan) {
  gateway kept(with_cache(config_with(flex_vendor(port_)), 60'000));
  gateway scanning(config_with(flex_vendor(port_)));  // no cache: each page scans again
  const std::string query = "sort=-started_at&page_size=20";

  const auto before = vendor_->requests();
  std::size_t pages = 0;
  const auto records = walk(kept, query, &pages);
  EXPECT_EQ(vendor_->requests() - before, 6u) << "one scan of six vendor pages for " << pages << " pages";
  EXPECT_GE(pages, 10u);

  const auto again = walk(scanning, query);
  ASSERT_EQ(records.size(), again.size());
  for (std::size_t i = 0; i < records.size(); ++i) EXPECT_EQ(records[i].at("id"), again[i].at("id")) << i;
  std::set<std::string> unique;
  for (const auto& r : records) unique.insert(std::string(r.at("id").as_string()));
  EXPECT_EQ(unique.size(), records.size());
}

// A kept scan is the query's: another filter scans on its own, and the TTL ends it.
TEST_F(FlexScan, AScanIsKeptForItsQueryAndItsTtlOnly) {
  gateway gw(with_cache(config_with(flex_vendor(port_)), 300));
  const auto first = gw.get("/v1/conversations?sort=-started_at&page_size=10");
  ASSERT_EQ(first.status, 200u) << first.text;
  const auto cursor = first.meta().at("next_cursor");
  ASSERT_TRUE(cursor.is_string());

  auto before = vendor_->requests();
  const auto second =
      gw.get("/v1/conversations?sort=-started_at&page_size=10&cursor=" + std::string(cursor.as_string()));
  ASSERT_EQ(second.status, 200u) << second.text;
  EXPECT_EQ(vendor_->requests(), before) << "page 2 is cut from the kept scan";
  EXPECT_EQ(second.meta().at("vendors").at("twilio_flex").at("cache"), "hit");

  // Another query is another scan: the other order's first page is not the kept one's.
  const auto ascending = gw.get("/v1/conversations?sort=started_at&page_size=10");
  ASSERT_EQ(ascending.status, 200u) << ascending.text;
  ASSERT_EQ(ascending.data().size(), 10u);
  for (std::size_t i = 1; i < 10; ++i)
    EXPECT_LE(ascending.data()[i - 1].at("started_at").as_string(),
              ascending.data()[i].at("started_at").as_string());
  EXPECT_NE(ids_of(ascending), ids_of(first));

  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  before = vendor_->requests();
  const auto late =
      gw.get("/v1/conversations?sort=-started_at&page_size=10&cursor=" + std::string(cursor.as_string()));
  ASSERT_EQ(late.status, 200u) << late.text;
  EXPECT_GT(vendor_->requests(), before) << "past the TTL the scan is read again";
  EXPECT_EQ(ids_of(late), ids_of(second));
}

class SharedAnswers : public ::testing::Test {
 protected:
  void SetUp() override {
    sandbox::salesloft::options opts;
    opts.records = 200;
    opts.budget_per_minute = 0;
    vendor_ = std::make_unique<sandbox::server>(sandbox::salesloft::make_handler(opts));
    port_ = vendor_->start();
  }
  std::unique_ptr<sandbox::server> vendor_;
  std::uint16_t port_ = 0;
};

TEST_F(SharedAnswers, AnIdenticalRequestWithinTheTtlIsTheSameAnswerAndCallsNoVendor) {
  auto client = [](const std::string& name, const std::string& tenant) {
    return R"({"name": ")" + name + R"(", "key_sha256": ")" + config::sha256_hex("key-" + name) +
           R"(", "tenant": ")" + tenant + "\"}";
  };
  const std::string clients =
      "[" + client("a", "one") + "," + client("b", "one") + "," + client("c", "two") + "]";
  gateway gw(
      with_cache(config_with(salesloft_vendor(port_), clients,
                             R"({"one": {"vendors": ["salesloft"]}, "two": {"vendors": ["salesloft"]}})"),
                 60'000));
  const std::string query = "/v1/conversations?page_size=30&sort=-created_at";
  const auto first = gw.get(query, {{"X-API-Key", "key-a"}});
  ASSERT_EQ(first.status, 200u) << first.text;
  EXPECT_EQ(first.meta().at("vendors").at("salesloft").at("cache"), "miss");

  const double hits = metric("cgw_answers_shared_total", {{"result", "hit"}});
  auto before = vendor_->requests();
  const auto second = gw.get(query, {{"X-API-Key", "key-b"}});  // another client of the same tenant
  ASSERT_EQ(second.status, 200u) << second.text;
  EXPECT_EQ(vendor_->requests(), before);
  EXPECT_EQ(second.data(), first.data());
  EXPECT_EQ(second.meta().at("next_cursor"), first.meta().at("next_cursor"));
  const auto& meta = second.meta().at("vendors").at("salesloft").as_object();
  EXPECT_EQ(meta.at("cache"), "hit");
  EXPECT_EQ(meta.at("upstream_requests"), 0);
  EXPECT_EQ(second.meta().at("timing").at("slowest_vendor_ms"), 0);
  EXPECT_EQ(metric("cgw_answers_shared_total", {{"result", "hit"}}), hits + 1);

  // Another tenant computes its own answer (its cursor is bound to it), from the mapped page kept
  // for the first: no vendor call, no parse.
  const metrics::labels page_hit{{"vendor", "salesloft"}, {"kind", "page"}, {"result", "hit"}};
  const double page_hits = metric("cgw_computed_requests_total", page_hit);
  const auto other = gw.get(query, {{"X-API-Key", "key-c"}});
  ASSERT_EQ(other.status, 200u) << other.text;
  EXPECT_EQ(metric("cgw_computed_requests_total", page_hit), page_hits + 1);
  EXPECT_EQ(vendor_->requests(), before);
  EXPECT_EQ(metric("cgw_answers_shared_total", {{"result", "hit"}}), hits + 1);
  EXPECT_NE(other.meta().at("next_cursor"), first.meta().at("next_cursor"));
  EXPECT_EQ(other.data(), first.data());

  // Another page size is another answer.
  before = vendor_->requests();
  const auto smaller = gw.get("/v1/conversations?page_size=29&sort=-created_at", {{"X-API-Key", "key-a"}});
  ASSERT_EQ(smaller.status, 200u);
  EXPECT_EQ(smaller.data().size(), 29u);
  EXPECT_EQ(metric("cgw_answers_shared_total", {{"result", "hit"}}), hits + 1);
}

// Without a cache, identical requests in flight together still get one computed answer: one
// vendor call for all of them.
TEST_F(SharedAnswers, IdenticalRequestsInFlightTogetherAreComputedOnce) {
  gateway gw(config_with(salesloft_vendor(port_)));  // cache ttl 0
  vendor_->set_faults({.latency_ms = 300});
  const std::string query = "/v1/conversations?page_size=10&sort=-updated_at";
  const auto before = vendor_->requests();
  std::vector<std::future<http_answer>> answers;
  for (int i = 0; i < 6; ++i)
    answers.push_back(std::async(std::launch::async, [&] { return gw.get(query); }));
  std::vector<http_answer> got;
  for (auto& a : answers) got.push_back(a.get());
  vendor_->set_faults({});
  std::size_t computed = 0;
  for (const auto& a : got) {
    ASSERT_EQ(a.status, 200u) << a.text;
    EXPECT_EQ(a.data(), got.front().data());
    const auto& cache = a.meta().at("vendors").at("salesloft").at("cache");
    EXPECT_TRUE(cache == "miss" || cache == "coalesced") << cache;
    computed += cache == "miss";
  }
  EXPECT_EQ(computed, 1u);
  EXPECT_EQ(vendor_->requests() - before, 1u);

  // Afterwards (TTL 0) the same request is computed again.
  const auto again = gw.get(query);
  ASSERT_EQ(again.status, 200u);
  EXPECT_EQ(again.meta().at("vendors").at("salesloft").at("cache"), "miss");
  EXPECT_EQ(vendor_->requests() - before, 2u);
}

// A partial answer (a vendor failed) is nobody else's: the next identical request asks again.
TEST_F(SharedAnswers, APartialAnswerIsNotKept) {
  gateway gw(with_cache(config_with(salesloft_vendor(port_)), 60'000));
  vendor_->set_faults({.error_status = 500, .error_count = 3});  // every retry of the first request
  const std::string query = "/v1/conversations?page_size=10";
  const auto failed = gw.get(query);
  EXPECT_NE(failed.status, 200u) << failed.text;
  vendor_->set_faults({});
  const auto ok = gw.get(query);
  ASSERT_EQ(ok.status, 200u) << ok.text;
  EXPECT_EQ(ok.meta().at("vendors").at("salesloft").at("cache"), "miss");
  EXPECT_EQ(ok.data().size(), 10u);
}

}  // namespace
}  // namespace cgw::testing
