#include "gateway/metrics/metrics.hpp"

#include <cstdio>

namespace cgw::metrics {
namespace {

std::string escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string render_labels(const labels& l, const std::string& extra = {}) {
  if (l.empty() && extra.empty()) return {};
  std::string out = "{";
  for (const auto& [k, v] : l) out += (out.size() > 1 ? "," : "") + k + "=\"" + escape(v) + "\"";
  if (!extra.empty()) out += (out.size() > 1 ? "," : "") + extra;
  return out + "}";
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

registry& registry::global() {
  static registry r;
  return r;
}

void registry::describe(const std::string& name, const std::string& type, const std::string& help) {
  std::lock_guard lock(mutex_);
  auto& f = families_[name];
  f.type = type;
  f.help = help;
}

void registry::add(const std::string& name, const labels& l, double by) {
  std::lock_guard lock(mutex_);
  families_[name].values[l] += by;
}

void registry::set(const std::string& name, const labels& l, double value) {
  std::lock_guard lock(mutex_);
  auto& f = families_[name];
  f.type = "gauge";
  f.values[l] = value;
}

void registry::observe(const std::string& name, const labels& l, double seconds) {
  std::lock_guard lock(mutex_);
  auto& f = families_[name];
  f.type = "histogram";
  auto& h = f.histograms[l];
  std::size_t i = 0;
  while (i < bounds.size() && seconds > bounds[i]) ++i;
  ++h.buckets[i];
  h.sum += seconds;
  ++h.count;
}

double registry::value(const std::string& name, const labels& l) const {
  std::lock_guard lock(mutex_);
  auto f = families_.find(name);
  if (f == families_.end()) return 0;
  auto v = f->second.values.find(l);
  return v == f->second.values.end() ? 0 : v->second;
}

std::string registry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, f] : families_) {
    if (!f.help.empty()) out += "# HELP " + name + " " + f.help + "\n";
    out += "# TYPE " + name + " " + f.type + "\n";
    for (const auto& [l, v] : f.values) out += name + render_labels(l) + " " + number(v) + "\n";
    for (const auto& [l, h] : f.histograms) {
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < bounds.size(); ++i) {
        cumulative += h.buckets[i];
        out += name + "_bucket" + render_labels(l, "le=\"" + number(bounds[i]) + "\"") + " " +
               std::to_string(cumulative) + "\n";
      }
      cumulative += h.buckets[bounds.size()];
      out += name + "_bucket" + render_labels(l, "le=\"+Inf\"") + " " + std::to_string(cumulative) + "\n";
      out += name + "_sum" + render_labels(l) + " " + number(h.sum) + "\n";
      out += name + "_count" + render_labels(l) + " " + std::to_string(h.count) + "\n";
    }
  }
  return out;
}

}  // namespace cgw::metrics
