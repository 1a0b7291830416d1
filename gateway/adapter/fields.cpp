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

std::optional<std::string> text_of(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  return std::nullopt;
}

std::optional<std::string> text_at(const json::object& o, std::string_view key) {
  const json::value* v = member(o, key);
  return v ? text_of(*v) : std::nullopt;
}

std::optional<std::int64_t> integer_at(const json::object& o, std::string_view key) noexcept {
  const json::value* v = member(o, key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double()) {
    double d = v->get_double();
    if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9e15) return static_cast<std::int64_t>(d);
    return std::nullopt;
  }
  if (v->is_string()) {
    std::string_view s = v->get_string();
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return n;
  }
  return std::nullopt;
}

std::optional<double> number_at(const json::object& o, std::string_view key) noexcept {
  const json::value* v = member(o, key);
  if (!v) return std::nullopt;
  if (v->is_double()) return std::isfinite(v->get_double()) ? std::optional(v->get_double()) : std::nullopt;
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  return std::nullopt;
}

std::optional<bool> boolean_at(const json::object& o, std::string_view key) noexcept {
  const json::value* v = member(o, key);
  if (!v) return std::nullopt;
  if (v->is_bool()) return v->get_bool();
  if (v->is_string() && v->get_string() == "true") return true;
  if (v->is_string() && v->get_string() == "false") return false;
  return std::nullopt;
}

std::optional<micros> time_at(const json::object& o, std::string_view key) {
  const json::value* v = member(o, key);
  if (!v || !v->is_string()) return std::nullopt;
  return parse_vendor_time(v->get_string());
}

}  // namespace cgw::adapter
