// Prometheus metrics: a process-wide registry of counters, gauges and histograms with
// low-cardinality labels (routes, statuses, vendor names, outcomes; never ids or keys).
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cgw::metrics {

using labels = std::vector<std::pair<std::string, std::string>>;

class registry {
 public:
  // The one registry of this process.
  static registry& global();

  void add(const std::string& name, const labels& l, double by = 1);   // counter
  void set(const std::string& name, const labels& l, double value);    // gauge
  void observe(const std::string& name, const labels& l, double seconds);  // histogram (seconds)
  void describe(const std::string& name, const std::string& type, const std::string& help);

  // Everything in the Prometheus text exposition format (version 0.0.4).
  std::string render() const;

  // The current value of a counter or gauge (0 when never touched), for tests.
  double value(const std::string& name, const labels& l) const;

 private:
  static constexpr std::array<double, 14> bounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,    0.25,  0.5,    1,     2.5,   5,    10};
  struct histogram {
    std::array<std::uint64_t, bounds.size() + 1> buckets{};
    double sum = 0;
    std::uint64_t count = 0;
  };
  struct family {
    std::string type = "counter";
    std::string help;
    std::map<labels, double> values;
    std::map<labels, histogram> histograms;
  };
  mutable std::mutex mutex_;
  std::map<std::string, family> families_;
};

}  // namespace cgw::metrics
