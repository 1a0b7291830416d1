// Deterministic draws for sandbox data. std::mt19937_64's output sequence is fixed by the
// standard (unlike std's distributions), so only its raw output is used: the same seed gives
// the same data on every platform.
#pragma once

#include <cstdint>
#include <iterator>
#include <random>
#include <string>
#include <string_view>

namespace cgw::sandbox {

class draws {
 public:
  explicit draws(std::uint64_t seed) : engine_(seed) {}
  std::uint64_t next() { return engine_(); }
  std::int64_t below(std::uint64_t n) { return static_cast<std::int64_t>(next() % n); }
  bool chance(unsigned percent) { return below(100) < percent; }
  template <class Items>
  const auto& pick(const Items& items) {
    return items[static_cast<std::size_t>(below(std::size(items)))];
  }
  // `digits` lower-case hex digits.
  std::string hex(std::size_t digits) {
    static constexpr std::string_view alphabet = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < digits; ++i) out += alphabet[static_cast<std::size_t>(below(16))];
    return out;
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace cgw::sandbox
