#include "gateway/adapter/fields.hpp"

#include <charconv>
#include <cmath>

namespace cgw::adapter {

namespace json = boost::json;

const json::value* member(const json::object& o, std::string_view key) noexcept {
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}

const json::object* object_at(const json::object& o, std::string_view key) noexcept {
  const json::value* v = member(o, key);
  return v && v->is_object() ? &v->get_object() : nullptr;
}

std::optional<std::string> text_of(const json_scalar& v) {
  using k = json_scalar::kind;
  if (v.is(k::string)) return std::string(v.s);
  if (v.is(k::int64)) return std::to_string(v.i);
  if (v.is(k::uint64)) return std::to_string(v.u);
  return std::nullopt;
}

std::optional<std::int64_t> integer_of(const json_scalar& v) noexcept {
  using k = json_scalar::kind;
  if (v.is(k::int64)) return v.i;
  if (v.is(k::uint64) && v.u <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(v.u);
  if (v.is(k::number)) {
    if (std::isfinite(v.d) && std::trunc(v.d) == v.d && std::fabs(v.d) < 9e15)
      return static_cast<std::int64_t>(v.d);
    return std::nullopt;
  }
  if (v.is(k::string)) {
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(v.s.data(), v.s.data() + v.s.size(), n);
    if (ec == std::errc() && p == v.s.data() + v.s.size() && !v.s.empty()) return n;
  }
  return std::nullopt;
}

std::optional<double> number_of(const json_scalar& v) noexcept {
  using k = json_scalar::kind;
  if (v.is(k::number)) return std::isfinite(v.d) ? std::optional(v.d) : std::nullopt;
  if (v.is(k::int64)) return static_cast<double>(v.i);
  if (v.is(k::uint64)) return static_cast<double>(v.u);
  return std::nullopt;
}

std::optional<bool> boolean_of(const json_scalar& v) noexcept {
  using k = json_scalar::kind;
  if (v.is(k::boolean)) return v.b;
  if (v.is(k::string) && v.s == "true") return true;
  if (v.is(k::string) && v.s == "false") return false;
  return std::nullopt;
}

std::optional<micros> time_of(const json_scalar& v) {
  if (!v.is(json_scalar::kind::string)) return std::nullopt;
  return parse_vendor_time(v.s);
}

std::optional<std::string> text_of(const json::value& v) {
  return text_of(scalar_of(v));
}

std::optional<std::string> text_at(const json::object& o, std::string_view key) {
  const json::value* v = member(o, key);
  return v ? text_of(*v) : std::nullopt;
}

std::optional<std::int64_t> integer_at(const json::object& o, std::string_view key) noexcept {
  const json::value* v = member(o, key);
  return v ? integer_of(scalar_of(*v)) : std::nullopt;
}

std::optional<double> number_at(const json::object& o, std::string_view key) noexcept {
  const json::value* v = member(o, key);
  return v ? number_of(scalar_of(*v)) : std::nullopt;
}

std::optional<bool> boolean_at(const json::object& o, std::string_view key) noexcept {
  const json::value* v = member(o, key);
  return v ? boolean_of(scalar_of(*v)) : std::nullopt;
}

std::optional<micros> time_at(const json::object& o, std::string_view key) {
  const json::value* v = member(o, key);
  return v ? time_of(scalar_of(*v)) : std::nullopt;
}

}  // namespace cgw::adapter
