#include "gateway/metrics/metrics.hpp"

// Linked with the registry, so that every family of the catalog is registered (and rendered with
// its HELP and TYPE) before anything has counted in it.
#include "gateway/metrics/catalog.hpp"

#include <algorithm>
#include <charconv>

namespace cgw::metrics {
namespace {

void escape_into(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
}

// The shortest text that reads back as `v`, in plain decimals where they stay short (0.0005, as
// Prometheus's own clients write bucket bounds, not 5e-04 or 0.00050000000000000001).
std::string number(double v) {
  char buf[64];
  const double size = v < 0 ? -v : v;
  const auto format =
      size == 0 || (size >= 1e-6 && size < 1e15) ? std::chars_format::fixed : std::chars_format::general;
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, format);
  return std::string(buf, ec == std::errc{} ? end : buf);
}

}  // namespace

void histogram::observe(double seconds) noexcept {
  std::size_t i = 0;
  while (i < bounds.size() && seconds > bounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(seconds, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

histogram::reading histogram::read() const noexcept {
  reading r;
  for (std::size_t i = 0; i < buckets_.size(); ++i)
    r.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
  r.sum = sum_.load(std::memory_order_relaxed);
  r.count = count_.load(std::memory_order_relaxed);
  return r;
}

family_base::family_base(std::string_view name, std::string_view type, std::string_view help,
                         std::initializer_list<std::string_view> label_names)
    : name_(name), type_(type), help_(help), label_names_(label_names.begin(), label_names.end()) {
  registry::global().add(*this);
}

std::string family_base::label_text(const std::vector<std::string>& values, std::string_view extra) const {
  if (values.empty() && extra.empty()) return {};
  std::string out = "{";
  for (std::size_t i = 0; i < values.size() && i < label_names_.size(); ++i) {
    if (i > 0) out += ',';
    out += label_names_[i];
    out += "=\"";
    escape_into(out, values[i]);
    out += '"';
  }
  if (!extra.empty()) {
    if (out.size() > 1) out += ',';
    out += extra;
  }
  return out + "}";
}

void family_base::render(std::string& out) const {
  out += "# HELP " + name_ + " " + help_ + "\n";
  out += "# TYPE " + name_ + " " + type_ + "\n";
  render_cells(out);
}

std::optional<double> family_base::value(const labels& l) const {
  std::vector<std::string> values;
  for (const auto& name : label_names_) {
    auto it = std::find_if(l.begin(), l.end(), [&](const auto& kv) { return kv.first == name; });
    if (it == l.end()) return std::nullopt;
    values.push_back(it->second);
  }
  if (values.size() != l.size()) return std::nullopt;
  return cell_value(values);
}

void family_base::sample(std::string& out, const std::vector<std::string>& values, const counter& c) const {
  out += name_ + label_text(values) + " " + number(c.value()) + "\n";
}

void family_base::sample(std::string& out, const std::vector<std::string>& values, const gauge& g) const {
  out += name_ + label_text(values) + " " + number(g.value()) + "\n";
}

void family_base::sample(std::string& out, const std::vector<std::string>& values, const histogram& h) const {
  const auto r = h.read();
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < histogram::bounds.size(); ++i) {
    cumulative += r.buckets[i];
    out += name_ + "_bucket" + label_text(values, "le=\"" + number(histogram::bounds[i]) + "\"") + " " +
           std::to_string(cumulative) + "\n";
  }
  cumulative += r.buckets[histogram::bounds.size()];
  out += name_ + "_bucket" + label_text(values, "le=\"+Inf\"") + " " + std::to_string(cumulative) + "\n";
  out += name_ + "_sum" + label_text(values) + " " + number(r.sum) + "\n";
  out += name_ + "_count" + label_text(values) + " " + std::to_string(r.count) + "\n";
}

namespace detail {

std::size_t hash_of(const void* family, std::initializer_list<std::string_view> values) noexcept {
  std::size_t h = std::hash<const void*>{}(family);
  for (std::string_view v : values) h = (h ^ std::hash<std::string_view>{}(v)) * 0x100000001b3ULL;
  return h;
}

bool same(const std::vector<std::string>& a, std::initializer_list<std::string_view> b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace detail

registry& registry::global() {
  static registry r;
  return r;
}

void registry::add(const family_base& f) {
  std::lock_guard lock(mutex_);
  families_.emplace(f.name(), &f);
}

std::string registry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, f] : families_) f->render(out);
  return out;
}

double registry::value(std::string_view name, const labels& l) const {
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  return it->second->value(l).value_or(0);
}

}  // namespace cgw::metrics
