#include "gateway/metrics/catalog.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace cgw::metrics {
namespace {

// Test-only families, registered as the catalog's are.
family<counter> test_counter{
    "cgw_test_updates_total", "counter", "Updates made by the metrics test", {"who", "what"}};
family<gauge> test_gauge{"cgw_test_level", "gauge", "A level set by the metrics test", {}};
family<histogram> test_histogram{
    "cgw_test_duration_seconds", "histogram", "Durations seen by the metrics test", {"who"}};

TEST(Metrics, EveryFamilyHasHelpAndType) {
  const std::string text = registry::global().render();
  for (const char* name :
       {"cgw_http_requests_total", "cgw_http_in_flight_requests", "cgw_upstream_requests_total",
        "cgw_cache_requests_total", "cgw_circuit_state", "cgw_computed_requests_total",
        "cgw_stats_requests_total", "cgw_shared_state_degraded", "cgw_test_duration_seconds"}) {
    EXPECT_NE(text.find(std::string("# HELP ") + name + " "), std::string::npos) << name;
    EXPECT_NE(text.find(std::string("# TYPE ") + name + " "), std::string::npos) << name;
  }
  EXPECT_NE(text.find("# TYPE cgw_http_in_flight_requests gauge\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE cgw_http_request_duration_seconds histogram\n"), std::string::npos);
}

TEST(Metrics, ConcurrentUpdatesAreNeverLost) {
  constexpr int threads = 4, each = 20000;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([] {
      for (int i = 0; i < each; ++i) test_counter.with({"a", i % 2 ? "odd" : "even"}).add();
    });
  for (auto& t : pool) t.join();
  EXPECT_EQ(registry::global().value("cgw_test_updates_total", {{"who", "a"}, {"what", "odd"}}),
            threads * each / 2);
  // Labels by name, in any order; a cell never touched reads 0.
  EXPECT_EQ(registry::global().value("cgw_test_updates_total", {{"what", "even"}, {"who", "a"}}),
            threads * each / 2);
  EXPECT_EQ(registry::global().value("cgw_test_updates_total", {{"who", "b"}, {"what", "odd"}}), 0);
}

TEST(Metrics, GaugeGoesDownAsWellAsUp) {
  test_gauge.with({}).set(3);
  EXPECT_EQ(registry::global().value("cgw_test_level", {}), 3);
  test_gauge.with({}).set(0);
  EXPECT_EQ(registry::global().value("cgw_test_level", {}), 0);
  EXPECT_NE(registry::global().render().find("\ncgw_test_level 0\n"), std::string::npos);
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  auto& h = test_histogram.with({"x"});
  h.observe(0.0004);  // in the first bucket
  h.observe(0.003);   // le=0.005
  h.observe(20);      // above every bound
  const std::string text = registry::global().render();
  EXPECT_NE(text.find("cgw_test_duration_seconds_bucket{who=\"x\",le=\"0.0005\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("cgw_test_duration_seconds_bucket{who=\"x\",le=\"0.005\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("cgw_test_duration_seconds_bucket{who=\"x\",le=\"10\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("cgw_test_duration_seconds_bucket{who=\"x\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("cgw_test_duration_seconds_count{who=\"x\"} 3\n"), std::string::npos);
}

TEST(Metrics, LabelValuesAreEscaped) {
  test_counter.with({"quote\"back\\slash\nline", "z"}).add();
  EXPECT_NE(registry::global().render().find("who=\"quote\\\"back\\\\slash\\nline\""), std::string::npos);
}

}  // namespace
}  // namespace cgw::metrics
