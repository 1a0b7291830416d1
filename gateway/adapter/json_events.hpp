// Vendor answers read as a stream of events instead of a DOM: Boost.JSON's basic_parser calls a
// handler that hands every value, with its path from the root, to a reader that keeps only what it
// maps. The same events are replayed from a DOM (include=raw keeps the DOM), so a vendor's mapping
// rules are written once, as a reader of events, and both paths give the same records.
//
// Why basic_parser and not simdjson On-Demand: On-Demand checks only what it visits, so equal
// failures ("not valid JSON" wherever the DOM parser says so) need every skipped value walked, and
// that walk measured twice the basic_parser floor (Salesloft page of 50: 64 us against 32 us; DOM
// 98 us). basic_parser is also the DOM's own parser: its grammar, depth limit and number
// conversions are the DOM path's by construction.
#pragma once

#include "gateway/core/error.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace cgw::adapter {

// One step of a value's path: a member's key, or an array element's position.
struct path_item {
  std::string_view key;  // empty for an element
  std::size_t index = 0;
  bool element = false;
};
using json_path = std::span<const path_item>;

// A value as a reader sees it when it begins: a scalar with its content, or the start of a
// container. Strings and keys point into the parser's buffers: copy what is kept.
struct json_scalar {
  enum class kind : std::uint8_t { null, boolean, int64, uint64, number, string, object, array };
  kind k = kind::null;
  bool b = false;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double d = 0;
  std::string_view s;
  bool is(kind x) const noexcept { return k == x; }
};

// What a reader of events implements. `on_value` is called for every value (a container before its
// content), `on_end` after a container's last member, both with the value's path from the root.
class json_events {
 public:
  virtual void on_value(json_path path, const json_scalar& v) = 0;
  virtual void on_end(json_path path) = 0;

 protected:
  ~json_events() = default;
};

// Parses `text` and hands its values to `reader`. Nesting deeper than 64 is refused, as the DOM
// path refuses it. Fails with upstream_error "the vendor's answer is not valid JSON" when it is
// not JSON (the reader may have seen part of it).
result<void> read_events(std::string_view text, json_events& reader);

// The events of a parsed value, `at` being its own path. Never fails.
void replay(const boost::json::value& v, json_events& reader, json_path at = {});

// The scalar form of a DOM value (a container: only its kind).
json_scalar scalar_of(const boost::json::value& v) noexcept;

// A scalar kept past its event (its string copied).
class kept_scalar {
 public:
  void keep(const json_scalar& v) {
    v_ = v;
    text_.assign(v.s.data(), v.s.size());
  }
  json_scalar get() const noexcept {
    json_scalar v = v_;
    v.s = text_;
    return v;
  }

 private:
  json_scalar v_;
  std::string text_;
};

// The start of every record reader's on_value: the record's own value (an empty path) says
// whether it is an object. True when the event is inside an object record, under a member.
inline bool record_member(json_path path, const json_scalar& v, bool& object) {
  if (path.empty()) {
    object = v.is(json_scalar::kind::object);
    return false;
  }
  return object && !path[0].element;
}

}  // namespace cgw::adapter
