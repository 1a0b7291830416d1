// One caller never hurts another (spec "One caller never hurts another"): a client's short
// deadline never reaches the vendor's breaker, budget or health, nor the callers that share
// its vendor call; a client over its rate limit is refused before any vendor call.
#include "adapters/salesloft/sandbox/sandbox.hpp"
#include "config/loader.hpp"
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <future>
#include <thread>

namespace cgw::testing {
namespace {

using namespace std::chrono_literals;

const std::string storm_key = "key-of-the-tenant-with-a-short-deadline";
const std::string other_key = "key-of-another-tenant";
const std::string limited_key = "key-of-a-rate-limited-client";

std::string clients_json(bool with_limited_client = false) {
  std::string out = R"([{"name": "storm", "key_sha256": ")" + config::sha256_hex(storm_key) +
                    R"(", "tenant": "a"},
                        {"name": "other", "key_sha256": ")" +
                    config::sha256_hex(other_key) + R"(", "tenant": "b"})";
  if (with_limited_client)
    out += R"(, {"name": "limited", "key_sha256": ")" + config::sha256_hex(limited_key) +
           R"(", "tenant": "a", "rate_limit": {"requests_per_s": 0.5, "burst": 3}})";
  return out + "]";
}
const std::string tenants_json = R"({"a": {"vendors": ["salesloft"]}, "b": {"vendors": ["salesloft"]}})";

struct salesloft_sandbox {
  sandbox::server server;
  std::uint16_t port;
  explicit salesloft_sandbox(std::uint32_t budget_per_minute = 0)
      : server(sandbox::salesloft::make_handler({.records = 100, .budget_per_minute = budget_per_minute})),
        port(server.start()) {}
  // `extra`: more keys of the vendor entry, each with a leading comma.
  std::string vendors(const std::string& extra = "") const {
    return R"({"salesloft": {"type": "salesloft", "base_url": "http://127.0.0.1:)" + std::to_string(port) +
           R"(", "auth": {"bearer_token": "sandbox-salesloft-token"}, "timeout_ms": 2000)" + extra + "}}";
  }
};

std::map<std::string, std::string> as(const std::string& key, std::map<std::string, std::string> more = {}) {
  more["X-API-Key"] = key;
  return more;
}

TEST(Isolation, AOneMillisecondStormLeavesTheBreakerClosedAndTheBudgetUntouchedForOthers) {
  salesloft_sandbox sl;
  // A budget of 12 points a minute: twelve reservations kept by the storm would leave none.
  gateway gw(config_with(
      sl.vendors(R"(, "rate_limit": {"points": 12, "per_s": 60}, "circuit": {"failure_threshold": 5})"),
      clients_json(), tenants_json));
  for (int i = 0; i < 12; ++i) {
    auto page = gw.get("/v1/conversations?sort=-created_at&title=storm-" + std::to_string(i),
                       as(storm_key, {{"X-Request-Timeout-Ms", "1"}}));
    ASSERT_EQ(page.status, 504u) << page.text;
    const auto& v = page.meta().at("vendors").at("salesloft");
    EXPECT_EQ(v.at("status"), "error");
    EXPECT_EQ(v.at("error").at("code"), "deadline_exceeded") << page.text;
  }
  EXPECT_EQ(sl.server.requests(), 0u);  // no call the time could not fit was made

  auto vendors = gw.get("/v1/vendors", as(other_key));
  ASSERT_EQ(vendors.status, 200u);
  const auto& health = vendors.data()[0].at("health").as_object();
  EXPECT_EQ(health.at("circuit"), "closed") << vendors.text;
  EXPECT_EQ(health.at("failures"), 0) << vendors.text;

  // The other tenant's calls go through: breaker closed, the twelve points all there.
  for (int i = 0; i < 12; ++i) {
    auto page = gw.get("/v1/conversations?sort=-created_at&page_size=5&title=other-" + std::to_string(i),
                       as(other_key));
    ASSERT_EQ(page.status, 200u) << page.text;
    EXPECT_EQ(page.meta().at("partial"), false) << i << ": " << page.text;
    EXPECT_EQ(page.meta().at("vendors").at("salesloft").at("status"), "ok") << i;
  }
  EXPECT_EQ(sl.server.requests(), 12u);
}

TEST(Isolation, ACoalescedFollowerWithTimeLeftGetsItsRecords) {
  salesloft_sandbox sl;
  sl.server.set_faults({.latency_ms = 400});
  gateway gw(config_with(sl.vendors(R"(, "retry": {"max_attempts": 1})"), clients_json(), tenants_json));
  const std::string query = "/v1/conversations?sort=-created_at&page_size=7";
  // The leader's client allows 150 ms; the follower joins its call 50 ms later with the default 5 s.
  auto leader = std::async(std::launch::async, [&] {
    return gw.get(query, as(storm_key, {{"X-Request-Timeout-Ms", "150"}}));
  });
  std::this_thread::sleep_for(50ms);
  auto follower = std::async(std::launch::async, [&] { return gw.get(query, as(other_key)); });

  auto first = leader.get();
  EXPECT_EQ(first.status, 504u) << first.text;
  EXPECT_EQ(first.meta().at("vendors").at("salesloft").at("error").at("code"), "deadline_exceeded");
  auto second = follower.get();
  ASSERT_EQ(second.status, 200u) << second.text;
  const auto& v = second.meta().at("vendors").at("salesloft");
  EXPECT_EQ(v.at("status"), "ok") << second.text;
  EXPECT_EQ(second.data().size(), 7u);
  EXPECT_EQ(second.meta().at("partial"), false);

  // The leader's cut call said nothing against the vendor either.
  auto vendors = gw.get("/v1/vendors", as(other_key));
  EXPECT_EQ(vendors.data()[0].at("health").at("failures"), 0) << vendors.text;
}

TEST(Isolation, ARateLimitedClientIsRefusedWithoutAVendorCallAndOthersAreNot) {
  salesloft_sandbox sl;
  gateway gw(config_with(sl.vendors(), clients_json(true), tenants_json));
  unsigned ok = 0, refused = 0;
  for (int i = 0; i < 12; ++i) {
    const auto before = sl.server.requests();
    auto page = gw.get("/v1/conversations?sort=-created_at&page_size=2&title=limited-" + std::to_string(i),
                       as(limited_key));
    EXPECT_EQ(page.headers["ratelimit-policy"], "\"client\";q=3;w=6") << i;
    ASSERT_TRUE(page.headers.contains("ratelimit")) << i;
    if (page.status == 200) {
      ++ok;
      EXPECT_GT(sl.server.requests(), before);
      continue;
    }
    ASSERT_EQ(page.status, 429u) << page.text;
    ++refused;
    EXPECT_EQ(page.body.at("error").at("code"), "rate_limited");
    EXPECT_TRUE(page.body.at("error").as_object().contains("request_id"));
    ASSERT_TRUE(page.headers.contains("retry-after"));
    EXPECT_GE(std::stoi(page.headers["retry-after"]), 1);
    EXPECT_EQ(page.headers["ratelimit"].substr(0, 13), "\"client\";r=0;");
    EXPECT_EQ(sl.server.requests(), before) << "a refused request reached the vendor";
  }
  EXPECT_GE(ok, 3u);  // the burst (one more if the loop outlasted a refill of two seconds)
  EXPECT_LE(ok, 4u);
  EXPECT_EQ(ok + refused, 12u);

  // Another client, without a limit, is not affected and gets no rate-limit headers.
  for (int i = 0; i < 12; ++i) {
    auto page = gw.get("/v1/conversations?sort=-created_at&page_size=2&title=free-" + std::to_string(i),
                       as(other_key));
    ASSERT_EQ(page.status, 200u) << page.text;
    EXPECT_FALSE(page.headers.contains("ratelimit"));
  }
  auto metrics = gw.get("/metrics");
  EXPECT_NE(metrics.text.find("cgw_http_refusals_total{reason=\"rate_limited\"}"), std::string::npos);
}

}  // namespace
}  // namespace cgw::testing
