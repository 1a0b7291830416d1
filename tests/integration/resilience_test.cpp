// The policies around vendor calls, end to end over loopback: every sandbox fault for
// every vendor comes back as a clean answer within its time bound and leaves the gateway
// healthy; identical requests are made once; the Salesloft budget is never overdrawn;
// the breaker opens, answers at once and closes again; the concurrency limit keeps a
// Twilio account under its vendor-side limit.
#include "adapters/module.hpp"
#include "adapters/salesloft/sandbox/sandbox.hpp"
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace cgw::testing {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using body_fault = sandbox::fault_menu::body_fault;
namespace json = boost::json;

// One vendor as these tests drive it: its sandbox, its config entry and one request that reaches it.
struct vendor_under_test {
  std::string name;
  std::unique_ptr<sandbox::server> server;
  std::uint16_t port = 0;
  std::string entry;              // the vendor's config entry, without its braces' closing policies
  std::string probe;              // a request answered by this vendor alone
  bool lists = true;              // it lists, with paging: the probe is a list (meta per vendor), not a get
  bool sends_retry_after = true;  // its 429 may carry Retry-After (Salesloft documents x-ratelimit-* only)
  // Three requests, each answered by one record of its own: `target` and that record's native id.
  std::vector<std::pair<std::string, std::string>> distinct;

  std::string config(const std::string& policies = "") const {
    return "{\"" + name + "\": {" + entry + ", \"base_url\": \"http://127.0.0.1:" + std::to_string(port) +
           "\"" + policies + "}}";
  }
};

// A vendor type's sandbox, from its module, as the instance named after the type.
vendor_under_test of(const adapters::vendor_module& m,
                     adapters::sandbox_data data = {.records = 120, .budget = 0}) {
  const std::string name(m.type);
  vendor_under_test v{name, std::make_unique<sandbox::server>(m.sandbox.make(data))};
  v.entry = "\"type\": \"" + name + "\", \"auth\": " + std::string(m.sandbox.auth);
  v.lists = m.can_list;
  v.sends_retry_after = m.sandbox.sends_retry_after;
  for (auto& r : m.sandbox.one_record_requests(v.server->logic(), name, 3))
    v.distinct.emplace_back(std::move(r.target), std::move(r.native_id));
  v.probe = v.lists ? "/v1/conversations?vendor=" + name + "&page_size=5" +
                          (m.sandbox.ordered_list.empty() ? "" : "&" + std::string(m.sandbox.ordered_list))
                    : v.distinct.at(0).first;
  v.port = v.server->start();
  return v;
}

vendor_under_test of_type(std::string_view type,
                          adapters::sandbox_data data = {.records = 120, .budget = 0}) {
  const auto* m = adapters::find_module(type);
  if (!m) throw std::logic_error("no vendor module " + std::string(type));
  return of(*m, data);
}

vendor_under_test salesloft(std::uint32_t budget = 0) {
  return of_type("salesloft", {.records = 200, .budget = budget});
}
vendor_under_test flex() {
  return of_type("twilio_flex_insights");
}
vendor_under_test insights() {
  return of_type("twilio_insights_v3");
}
vendor_under_test zild() {
  return of_type("zild", {.records = 20});
}

// Every registered vendor module, the test-only ones included: the fault matrix covers each.
std::vector<std::size_t> every_module() {
  std::vector<std::size_t> out(adapters::modules().size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = i;
  return out;
}

vendor_under_test module_at(std::size_t i) {
  return of(*adapters::modules()[i]);
}

// The modules whose vendors list (and so page).
std::vector<std::size_t> listing_modules() {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < adapters::modules().size(); ++i)
    if (adapters::modules()[i]->can_list) out.push_back(i);
  return out;
}

// What a fault must come back as.
struct fault_case {
  std::string label;
  sandbox::fault_menu faults;
  unsigned status;            // the client's status
  std::string vendor_status;  // meta.vendors.<v>.status (lists only)
  std::string message_part;   // in the vendor's (or the answer's) error message; "" = any
  std::chrono::milliseconds at_least, at_most;
  bool healthy_after = true;        // the probe answers 200 once the fault is cleared (no pause in force)
  const char* timeout_ms = "3000";  // the client's X-Request-Timeout-Ms
  bool paging_only = false;         // applies to vendors with paging only
};

const std::vector<fault_case> fault_cases = {
    {"latency", {.latency_ms = 300}, 200, "ok", "", 300ms, 1500ms},
    {"status 503, retried then given up", {.error_status = 503}, 502, "error", "HTTP 503", 0ms, 1500ms},
    {"status 500, not retried", {.error_status = 500}, 502, "error", "HTTP 500", 0ms, 1000ms},
    {"one 503, retried", {.error_status = 503, .error_count = 1}, 200, "ok", "", 0ms, 1000ms},
    {"429 with a long Retry-After",
     {.rate_limit_count = 1, .retry_after_s = 30},
     429,
     "rate_limited",
     "",
     0ms,
     1000ms,
     false},
    {"429 without Retry-After, waited out",
     {.rate_limit_count = 1, .retry_after_s = -1},
     200,
     "ok",
     "",
     900ms,
     2500ms},
    {"malformed JSON", {.body = body_fault::malformed}, 502, "error", "not valid JSON", 0ms, 1000ms},
    {"truncated body", {.body = body_fault::truncated}, 502, "error", "", 0ms, 1500ms},
    {"hang", {.body = body_fault::hang}, 504, "error", "", 700ms, 1600ms, true, "1000"},
    {"slow drip", {.body = body_fault::slow_drip}, 504, "error", "", 700ms, 1600ms, true, "1000"},
    {"oversize body, not retried", {.body = body_fault::oversize}, 502, "error", "larger than", 0ms, 2500ms},
    // A walk that meets a continuation it has seen is the vendor's error, found at once: well within
    // the deadline (3000 ms), never by running into it.
    {"page_loop",
     {.body = body_fault::page_loop},
     502,
     "error",
     "pages loop",
     0ms,
     1500ms,
     true,
     "3000",
     true},
    // An interim 103 before every answer is skipped: the answer is the one that follows it.
    {"early_hints", {.body = body_fault::early_hints}, 200, "ok", "", 0ms, 1000ms},
};

// Salesloft's 429 carries no Retry-After whatever the fault menu says: a client waits it out.
const fault_case& as_the_vendor_sends_it(const fault_case& fc, const vendor_under_test& v) {
  if (v.sends_retry_after || fc.faults.rate_limit_count == 0) return fc;
  return *std::find_if(fault_cases.begin(), fault_cases.end(),
                       [](const fault_case& c) { return c.label == "429 without Retry-After, waited out"; });
}

class EveryFault : public ::testing::TestWithParam<std::tuple<std::size_t, std::size_t>> {};

TEST_P(EveryFault, IsACleanAnswerWithinItsBoundAndTheGatewayStaysHealthy) {
  const auto& [vendor_index, fault_index] = GetParam();
  vendor_under_test v = module_at(vendor_index);
  const fault_case& fc = as_the_vendor_sends_it(fault_cases[fault_index], v);
  SCOPED_TRACE(v.name + ": " + fault_cases[fault_index].label);
  if (fc.paging_only && !v.lists) GTEST_SKIP() << v.name << " has no paging to loop";  // listing pages
  gateway gw(config_with(v.config()));
  v.server->set_faults(fc.faults);
  const auto t0 = steady::now();
  auto answer = gw.get(v.probe, {{"X-Request-Timeout-Ms", fc.timeout_ms}});
  const auto took = steady::now() - t0;
  EXPECT_EQ(answer.status, fc.status) << answer.text;
  EXPECT_GE(took, fc.at_least);
  EXPECT_LE(took, fc.at_most);
  ASSERT_TRUE(answer.body.is_object()) << answer.text;
  std::string message;
  if (v.lists) {
    const auto& meta = answer.meta().at("vendors").at(v.name).as_object();
    EXPECT_EQ(std::string(meta.at("status").as_string()), fc.vendor_status) << answer.text;
    if (meta.contains("error")) message = meta.at("error").at("message").as_string();
  } else if (answer.body.as_object().contains("error")) {
    message = answer.body.at("error").at("message").as_string();
  }
  if (!fc.message_part.empty()) {
    EXPECT_NE(message.find(fc.message_part), std::string::npos) << message;
  }
  if (fc.status == 429) {
    EXPECT_EQ(answer.headers.at("retry-after"), "30");
  }
  if (answer.status >= 400) {
    EXPECT_EQ(answer.text.find("sandbox-"), std::string::npos) << "a credential leaked";
  }

  v.server->set_faults({});
  EXPECT_EQ(gw.get("/healthz").status, 200u);
  EXPECT_EQ(gw.get("/readyz").status, 200u);
  if (fc.healthy_after) {
    EXPECT_EQ(gw.get(v.probe).status, 200u);
  }
}

INSTANTIATE_TEST_SUITE_P(Resilience, EveryFault,
                         ::testing::Combine(::testing::ValuesIn(every_module()),
                                            ::testing::Range<std::size_t>(0, fault_cases.size())));

// The answer to one of a vendor's `distinct` requests holds that record and no other.
void expect_own_record(const http_answer& answer, const std::string& vendor, const std::string& native_id) {
  ASSERT_EQ(answer.status, 200u) << answer.text;
  if (answer.body.as_object().contains("data")) {
    ASSERT_EQ(answer.data().size(), 1u) << answer.text;
    EXPECT_EQ(answer.data()[0].at("native_id"), json::value(native_id)) << answer.text;
    EXPECT_EQ(answer.meta().at("vendors").at(vendor).at("status"), "ok") << answer.text;
  } else {
    EXPECT_EQ(answer.body.at("native_id"), json::value(native_id)) << answer.text;
  }
}

class EarlyHints : public ::testing::TestWithParam<std::size_t> {};

// A 103 before every answer, on the pooled connection the gateway reuses: each request still gets
// its own record, and the one after gets its own too (an interim answer taken for the whole one
// would leave the real answer in the buffer, to be read as the next request's).
TEST_P(EarlyHints, FollowingAnswersOnTheSameConnectionAreNotShifted) {
  vendor_under_test v = module_at(GetParam());
  SCOPED_TRACE(v.name);
  ASSERT_EQ(v.distinct.size(), 3u);
  gateway gw(config_with(v.config()));
  v.server->set_faults({.body = body_fault::early_hints});
  for (const auto& [target, native_id] : v.distinct) {
    SCOPED_TRACE(target);
    expect_own_record(gw.get(target), v.name, native_id);
  }
  v.server->set_faults({});
  for (auto it = v.distinct.rbegin(); it != v.distinct.rend(); ++it) {
    SCOPED_TRACE("without the fault: " + it->first);
    expect_own_record(gw.get(it->first), v.name, it->second);
  }
}

INSTANTIATE_TEST_SUITE_P(Resilience, EarlyHints, ::testing::ValuesIn(every_module()));

class PageLoop : public ::testing::TestWithParam<std::size_t> {};

// A vendor whose pages loop fails alone: the answer comes within the deadline with the other vendor's
// records, and a one-thread gateway keeps answering /healthz meanwhile, even with the looping pages
// served from its cache (a cache hit does not suspend: a walk that never yields would hold the thread).
TEST_P(PageLoop, IsThatVendorsErrorWithinTheDeadlineAndOthersAreUnaffected) {
  // The looping vendor, and another listing one beside it.
  const auto listing = listing_modules();
  ASSERT_GE(listing.size(), 2u);
  const auto at = std::find(listing.begin(), listing.end(), GetParam()) - listing.begin();
  vendor_under_test looping = module_at(GetParam());
  vendor_under_test healthy = module_at(listing[(at + 1) % listing.size()]);
  SCOPED_TRACE(looping.name);
  std::string vendors = looping.config(R"(, "cache_ttl_ms": 2000)");
  const std::string other = healthy.config();
  vendors = vendors.substr(0, vendors.size() - 1) + ", " + other.substr(1);
  std::string cfg = config_with(vendors);
  const auto threads = cfg.find(R"("threads": 2)");
  ASSERT_NE(threads, std::string::npos);
  cfg.replace(threads, 12, R"("threads": 1)");
  gateway gw(cfg);
  looping.server->set_faults({.body = body_fault::page_loop});

  std::atomic<bool> done{false};
  std::chrono::nanoseconds slowest_health{0};
  std::thread health([&] {
    for (int i = 0; i < 1000 && !done; ++i) {  // bounded: at most 1000 probes
      const auto t0 = steady::now();
      EXPECT_EQ(gw.get("/healthz").status, 200u);
      slowest_health = std::max<std::chrono::nanoseconds>(slowest_health, steady::now() - t0);
      std::this_thread::sleep_for(10ms);
    }
  });
  const auto t0 = steady::now();
  auto answer = gw.get("/v1/conversations?page_size=5", {{"X-Request-Timeout-Ms", "3000"}});
  const auto took = steady::now() - t0;
  done = true;
  health.join();

  EXPECT_LT(took, 1500ms) << "found by running into the deadline, not by seeing the loop";
  EXPECT_LE(slowest_health, 100ms) << "/healthz waited behind the looping walk";
  ASSERT_EQ(answer.status, 200u) << answer.text;
  EXPECT_EQ(answer.meta().at("partial"), true);
  const auto& bad = answer.meta().at("vendors").at(looping.name).as_object();
  EXPECT_EQ(bad.at("status"), "error") << answer.text;
  ASSERT_TRUE(bad.contains("error")) << answer.text;
  EXPECT_NE(std::string(bad.at("error").at("message").as_string()).find("pages loop"), std::string::npos)
      << bad;
  const auto& good = answer.meta().at("vendors").at(healthy.name).as_object();
  EXPECT_EQ(good.at("status"), "ok") << answer.text;
  EXPECT_EQ(good.at("returned"), 5) << answer.text;
  for (const auto& c : answer.data()) EXPECT_EQ(c.at("vendor"), json::value(healthy.name));
}

INSTANTIATE_TEST_SUITE_P(Resilience, PageLoop, ::testing::ValuesIn(listing_modules()));

// Per-vendor sandbox request counts, for comparing two runs of the same requests.
std::vector<std::uint64_t> counts(const std::vector<vendor_under_test>& vs) {
  std::vector<std::uint64_t> out;
  for (const auto& v : vs) out.push_back(v.server->requests());
  return out;
}

std::vector<std::uint64_t> minus(std::vector<std::uint64_t> a, const std::vector<std::uint64_t>& b) {
  for (std::size_t i = 0; i < a.size(); ++i) a[i] -= b[i];
  return a;
}

std::string all_vendors_config(const std::vector<vendor_under_test>& vs, const std::string& policies) {
  std::string out = "{";
  for (const auto& v : vs) {
    const std::string one = v.config(policies);
    out += (out.size() > 1 ? ", " : "") + one.substr(1, one.size() - 2);
  }
  return out + "}";
}

TEST(Coalescing, FiftyIdenticalDashboardRequestsCostWhatOneDoes) {
  std::vector<vendor_under_test> vs;
  vs.push_back(salesloft());
  vs.push_back(flex());
  vs.push_back(insights());
  for (auto& v : vs) v.server->set_faults({.latency_ms = 50});  // long enough for all 50 to overlap
  const std::string query = "/v1/conversations?page_size=20";
  const std::string cached = R"(, "cache_ttl_ms": 15000)";

  // What one request costs each vendor, on a gateway of its own.
  auto before = counts(vs);
  {
    gateway one(config_with(all_vendors_config(vs, cached)));
    ASSERT_EQ(one.get(query).status, 200u);
  }
  const auto single = minus(counts(vs), before);
  for (auto n : single) EXPECT_GE(n, 1u);

  gateway gw(config_with(all_vendors_config(vs, cached)));
  before = counts(vs);
  std::vector<std::future<http_answer>> clients;
  for (int i = 0; i < 50; ++i)
    clients.push_back(std::async(std::launch::async, [&] { return gw.get(query); }));
  std::vector<std::uint64_t> leaders(vs.size());  // requests that made at least one vendor call themselves
  for (auto& c : clients) {
    auto page = c.get();
    ASSERT_EQ(page.status, 200u) << page.text;
    for (std::size_t i = 0; i < vs.size(); ++i) {
      const auto& cache = page.meta().at("vendors").at(vs[i].name).at("cache");
      EXPECT_TRUE(cache == "miss" || cache == "coalesced" || cache == "hit") << cache;
      leaders[i] += cache == "miss";
    }
  }
  EXPECT_EQ(minus(counts(vs), before), single);  // fifty requests, one request's vendor calls
  for (std::size_t i = 0; i < vs.size(); ++i)
    EXPECT_LE(leaders[i], single[i]) << vs[i].name;  // one leader per call

  // Inside the TTL the same request is served from the cache: no vendor call at all.
  before = counts(vs);
  auto again = gw.get(query);
  ASSERT_EQ(again.status, 200u);
  EXPECT_EQ(counts(vs), before);
  for (const auto& v : vs) EXPECT_EQ(again.meta().at("vendors").at(v.name).at("cache"), "hit");
  EXPECT_EQ(again.meta().at("vendors").at("salesloft").at("upstream_requests"), 0);
}

TEST(Coalescing, GetByIdIsCachedToo) {
  auto v = zild();
  gateway gw(config_with(v.config(R"(, "cache_ttl_ms": 15000)")));
  ASSERT_EQ(gw.get(v.probe).status, 200u);
  const auto asked = v.server->requests();
  ASSERT_EQ(gw.get(v.probe).status, 200u);
  EXPECT_EQ(v.server->requests(), asked);
}

TEST(SalesloftBudget, IsNeverOverdrawnByABurstOf500Requests) {
  auto v = salesloft(600);  // the sandbox charges Salesloft's costs and answers 429 past 600 a minute
  gateway gw(config_with(v.config()));  // the gateway's own budget: the type's default, 600 a minute
  std::atomic<int> ok{0}, limited{0}, timed_out{0}, other{0};
  std::atomic<int> next{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 16; ++t)
    clients.emplace_back([&] {
      for (int i; (i = next++) < 500;) {
        // Distinct queries (nothing to coalesce), each a scan of every vendor page: 2 to 3 cost points.
        auto page =
            gw.get("/v1/conversations?vendor=salesloft&page_size=10&min_duration_ms=" + std::to_string(i));
        if (page.status == 200)
          ++ok;
        else if (page.status == 429 &&
                 page.meta().at("vendors").at("salesloft").at("status") == "rate_limited")
          ++limited;
        else if (page.status == 504)
          ++timed_out;  // a slow machine (sanitizers): a deadline, not a budget matter
        else {
          ++other;
          ADD_FAILURE() << page.status << ": " << page.text.substr(0, 300);
        }
      }
    });
  for (auto& c : clients) c.join();
  const auto spent = sandbox::salesloft::cost_spent(v.server->logic());
  EXPECT_LE(spent, 600u);
  EXPECT_EQ(spent, v.server->requests()) << "the sandbox answered a 429: some request was not charged";
  EXPECT_EQ(other, 0);
  EXPECT_GT(ok, 0);
  EXPECT_GT(limited, 0);  // the demand was well over the budget
}

TEST(CircuitBreaker, OpensAnswersAtOnceProbesAndCloses) {
  auto v = flex();
  gateway gw(config_with(
      v.config(R"(, "retry": {"max_attempts": 1}, "circuit": {"failure_threshold": 3, "open_ms": 400})")));
  v.server->set_faults({.error_status = 503});
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(gw.get(v.probe).meta().at("vendors").at(v.name).at("status"), "error");
  const auto asked = v.server->requests();
  auto open = gw.get(v.probe);
  EXPECT_EQ(open.meta().at("vendors").at(v.name).at("status"), "circuit_open") << open.text;
  EXPECT_EQ(v.server->requests(), asked);  // answered without a vendor call
  auto vendors = gw.get("/v1/vendors");
  EXPECT_EQ(vendors.body.at("data").at(0).at("health").at("circuit"), "open") << vendors.text;

  std::this_thread::sleep_for(450ms);
  v.server->set_faults({});
  EXPECT_EQ(gw.get("/v1/vendors").body.at("data").at(0).at("health").at("circuit"), "half_open");
  EXPECT_EQ(gw.get(v.probe).status, 200u);  // the probe succeeds
  EXPECT_EQ(gw.get("/v1/vendors").body.at("data").at(0).at("health").at("circuit"), "closed");
}

TEST(ConcurrencyLimit, KeepsTheAccountUnderTheVendorsLimit) {
  auto v = flex();
  // The vendor answers 429 (20429) to a second request in flight; the gateway is told so.
  v.server->set_faults({.latency_ms = 100, .max_concurrency = 1});
  gateway gw(config_with(v.config(R"(, "max_concurrency": 1, "retry": {"max_attempts": 1})")));
  std::vector<std::future<http_answer>> clients;
  const auto t0 = steady::now();
  for (int i = 0; i < 4; ++i)  // distinct vendor requests (segment_id goes down): nothing to coalesce
    clients.push_back(std::async(std::launch::async, [&, i] {
      return gw.get("/v1/conversations?vendor=twilio_flex_insights&segment_id=segment-" + std::to_string(i));
    }));
  for (auto& c : clients) {
    auto page = c.get();
    EXPECT_EQ(page.status, 200u) << page.text;  // queued by the gateway, never refused by the vendor
  }
  EXPECT_GE(steady::now() - t0, 400ms);  // one at a time
  EXPECT_EQ(v.server->requests(), 4u);
}

}  // namespace
}  // namespace cgw::testing
