// Lenient readers for fields of untrusted vendor JSON: a missing field, a null or a
// value of the wrong type reads as absent instead of failing the record.
#pragma once

#include "gateway/adapter/json_events.hpp"
#include "gateway/core/time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace cgw::adapter {

// The member `key` of `o`, or nullptr.
const boost::json::value* member(const boost::json::object& o, std::string_view key) noexcept;

// The object at `key`, or nullptr.
const boost::json::object* object_at(const boost::json::object& o, std::string_view key) noexcept;

// A string; numbers are rendered as their decimal text (ids often arrive as either).
std::optional<std::string> text_at(const boost::json::object& o, std::string_view key);

// An integer; integral doubles and decimal strings are accepted.
std::optional<std::int64_t> integer_at(const boost::json::object& o, std::string_view key) noexcept;

// A number of any JSON numeric kind.
std::optional<double> number_at(const boost::json::object& o, std::string_view key) noexcept;

// A boolean (true/false, or the strings "true"/"false").
std::optional<bool> boolean_at(const boost::json::object& o, std::string_view key) noexcept;

// A timestamp (RFC 3339; an offset-less one is read as UTC).
std::optional<micros> time_at(const boost::json::object& o, std::string_view key);

// A value's text form when it is a string or an integer.
std::optional<std::string> text_of(const boost::json::value& v);

// The same rules for a value as either path reads it (the *_at readers are these of a member).
std::optional<std::string> text_of(const json_scalar& v);
std::optional<std::int64_t> integer_of(const json_scalar& v) noexcept;
std::optional<double> number_of(const json_scalar& v) noexcept;
std::optional<bool> boolean_of(const json_scalar& v) noexcept;
std::optional<micros> time_of(const json_scalar& v);

}  // namespace cgw::adapter
