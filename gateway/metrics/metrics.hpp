// Prometheus metrics, typed (Envoy's stats structs are the model): every metric is a family
// declared once in catalog.hpp with its name, type, help and label names, and each of its label
// combinations is a cell of atomics. An update is a relaxed atomic operation, never a lock. A
// cell is looked up by its label values (with(): once under the family's lock, then from a
// per-thread cache).
// Labels stay low-cardinality: routes, statuses, vendor names, outcomes; never ids or keys.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace cgw::metrics {

// Label names and values, as tests ask for a cell.
using labels = std::vector<std::pair<std::string, std::string>>;

class counter {
 public:
  void add(double by = 1) noexcept { value_.fetch_add(by, std::memory_order_relaxed); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class gauge {
 public:
  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Durations in seconds, in fixed buckets from 0.5 ms to 10 s.
class histogram {
 public:
  static constexpr std::array<double, 14> bounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  void observe(double seconds) noexcept;

  struct reading {
    std::array<std::uint64_t, bounds.size() + 1> buckets{};  // the last: above every bound
    double sum = 0;
    std::uint64_t count = 0;
  };
  reading read() const noexcept;

 private:
  std::array<std::atomic<std::uint64_t>, bounds.size() + 1> buckets_{};
  std::atomic<double> sum_{0};
  std::atomic<std::uint64_t> count_{0};
};

// What the registry knows of a family, whatever its cells.
class family_base {
 public:
  family_base(std::string_view name, std::string_view type, std::string_view help,
              std::initializer_list<std::string_view> label_names);
  family_base(const family_base&) = delete;
  family_base& operator=(const family_base&) = delete;

  const std::string& name() const noexcept { return name_; }

  // HELP, TYPE and every cell's samples, in the text exposition format (0.0.4).
  void render(std::string& out) const;

  // The current value of a counter's or gauge's cell (nullopt for a histogram or an unknown
  // cell); `labels` by name, in any order. For tests.
  std::optional<double> value(const labels& l) const;

 protected:
  ~family_base() = default;
  // `{name="value",...}` of one cell, `extra` appended inside the braces.
  std::string label_text(const std::vector<std::string>& values, std::string_view extra = {}) const;
  // One cell's samples.
  void sample(std::string& out, const std::vector<std::string>& values, const counter& c) const;
  void sample(std::string& out, const std::vector<std::string>& values, const gauge& g) const;
  void sample(std::string& out, const std::vector<std::string>& values, const histogram& h) const;
  virtual void render_cells(std::string& out) const = 0;
  virtual std::optional<double> cell_value(const std::vector<std::string>& values) const = 0;

  std::string name_, type_, help_;
  std::vector<std::string> label_names_;
};

namespace detail {
std::size_t hash_of(const void* family, std::initializer_list<std::string_view> values) noexcept;
bool same(const std::vector<std::string>& a, std::initializer_list<std::string_view> b) noexcept;
}  // namespace detail

template <class Cell>
class family final : public family_base {
 public:
  using family_base::family_base;

  // The cell of these label values, given in the order of the label names; made on first use,
  // and as long-lived as the family (the process).
  Cell& with(std::initializer_list<std::string_view> values) {
    struct cached {
      const family* owner;
      const std::vector<std::string>* values;
      Cell* cell;
    };
    thread_local std::unordered_multimap<std::size_t, cached> cache;
    const std::size_t h = detail::hash_of(this, values);
    for (auto [it, end] = cache.equal_range(h); it != end; ++it)
      if (it->second.owner == this && detail::same(*it->second.values, values)) return *it->second.cell;
    std::lock_guard lock(mutex_);
    std::vector<std::string> key(values.begin(), values.end());
    auto found = cells_.find(key);
    if (found == cells_.end()) found = cells_.emplace(std::move(key), std::make_unique<Cell>()).first;
    cache.emplace(h, cached{this, &found->first, found->second.get()});
    return *found->second;
  }

 private:
  void render_cells(std::string& out) const override {
    std::lock_guard lock(mutex_);
    for (const auto& [values, cell] : cells_) sample(out, values, *cell);
  }
  std::optional<double> cell_value(const std::vector<std::string>& values) const override {
    if constexpr (std::is_same_v<Cell, histogram>) {
      return std::nullopt;
    } else {
      std::lock_guard lock(mutex_);
      auto it = cells_.find(values);
      return it == cells_.end() ? 0 : it->second->value();
    }
  }

  mutable std::mutex mutex_;  // taken when a cell is made or read out, never on an update
  std::map<std::vector<std::string>, std::unique_ptr<Cell>> cells_;
};

// Every family of the process, for /metrics.
class registry {
 public:
  static registry& global();

  void add(const family_base& f);

  // Everything in the Prometheus text exposition format (version 0.0.4), families by name.
  std::string render() const;

  // The current value of a counter's or gauge's cell (0 when never touched), for tests.
  double value(std::string_view name, const labels& l) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, const family_base*, std::less<>> families_;
};

}  // namespace cgw::metrics
