#include "gateway/policy/retry.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <optional>
#include <random>

namespace cgw::policy {

namespace {

std::optional<int> parse_int(std::string_view s) {
  int v = 0;
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

int retry_after_seconds(const upstream::response& res) {
  if (auto it = res.find(http::field::retry_after); it != res.end()) {
    std::string_view value = it->value();
    if (auto secs = parse_int(value)) return std::max(0, *secs);
    std::tm tm{};  // HTTP date: "Wed, 21 Oct 2015 07:28:00 GMT"
    std::string text(value);
    if (strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) {
      auto delta = static_cast<long long>(timegm(&tm)) - static_cast<long long>(std::time(nullptr));
      return static_cast<int>(std::clamp<long long>(delta, 0, 86400));
    }
  }
  if (auto it = res.find("X-RateLimit-Reset"); it != res.end())
    if (auto secs = parse_int(it->value())) return std::max(0, *secs);
  return 0;
}

clock::duration backoff(const config::retry_config& cfg, unsigned retry) {
  thread_local std::minstd_rand rng{std::random_device{}()};
  const double cap = std::min<double>(
      cfg.max_delay_ms, cfg.base_delay_ms * std::ldexp(1.0, static_cast<int>(std::min(retry, 30u))));
  std::uniform_real_distribution<double> jitter(0, cap);
  return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double, std::milli>(jitter(rng)));
}

void retry_budget::on_first_call() {
  std::lock_guard lock(mutex_);
  tokens_ = std::min(reserve, tokens_ + percent_ / 100.0);
}

bool retry_budget::try_spend() {
  std::lock_guard lock(mutex_);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

void retry_budget::reconfigure(std::uint32_t percent) {
  std::lock_guard lock(mutex_);
  percent_ = percent;
}

}  // namespace cgw::policy
