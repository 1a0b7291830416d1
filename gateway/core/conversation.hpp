// The unified Conversation (spec "The Conversation object") and its total order.
#pragma once

#include "gateway/core/json_writer.hpp"
#include "gateway/core/time.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

namespace cgw {

using opt_string = std::optional<std::string>;

// A vendor's native record, read-only and shared with the vendor answer it came from.
using raw_record = std::shared_ptr<const boost::json::object>;

struct agent {
  opt_string id;
  opt_string name;
};

struct segment {
  opt_string id;
  std::optional<std::int64_t> order;
  std::optional<micros> started_at;
  std::optional<double> offset_s;
  std::optional<double> talk_time_s;
  opt_string agent_name;
};

struct message {
  opt_string id;
  std::optional<micros> sent_at;
  opt_string from;
  opt_string to;
  opt_string content;
  opt_string sentiment;
  opt_string type;
};

struct conversation {
  std::string id;  // "<vendor>:<native_id>"
  std::string vendor;
  std::string vendor_type;
  std::string native_id;
  opt_string account_id;
  opt_string title;
  opt_string channel;
  opt_string platform;
  opt_string language;
  std::optional<micros> started_at;
  std::optional<micros> ended_at;
  std::optional<micros> created_at;
  std::optional<micros> updated_at;
  std::optional<std::int64_t> duration_ms;
  std::vector<agent> agents;
  std::vector<segment> segments;
  std::vector<message> messages;
  opt_string sentiment;
  opt_string summary;
  std::vector<std::string> tags;
  std::optional<double> score;
  opt_string status;
  std::vector<std::pair<std::string, std::string>> links;  // name -> URL, in the vendor's order

  // Filter-only fields: not part of the public object, but filters (owner_id, ...) match them.
  opt_string owner_id;
  opt_string user_id;
  opt_string person_id;

  raw_record raw;  // the vendor's native record, shared with its answer; serialized only with include=raw
};

// Gives a record its identity under a vendor instance name.
void set_identity(conversation& c, std::string_view vendor, std::string_view vendor_type,
                  std::string native_id);

// The public JSON form; `raw` only when asked for. Built in `sp` (an answer's arena).
boost::json::object to_json(const conversation& c, bool include_raw, const boost::json::storage_ptr& sp = {});

// The same object, member for member (json::parse of what is written equals to_json), written
// straight into `w` with no DOM: for the answer's records.
void write_json(json_writer& w, const conversation& c, bool include_raw);
// Its members alone, into an object the caller has begun (an answer whose body is the record).
void write_members(json_writer& w, const conversation& c, bool include_raw);

enum class sort_field { started_at, created_at, updated_at, duration_ms };

struct sort_spec {
  sort_field field = sort_field::started_at;
  bool descending = true;
  friend bool operator==(const sort_spec&, const sort_spec&) = default;
};

// "started_at"
std::string_view to_string(sort_field f) noexcept;

// The value a record sorts by (null sorts last).
std::optional<std::int64_t> sort_value(const conversation& c, sort_field f) noexcept;

// A position in the total order: sort value (null last) then unified id, ascending byte order.
struct sort_key {
  std::optional<std::int64_t> value;
  std::string id;
  friend bool operator==(const sort_key&, const sort_key&) = default;
};

sort_key key_of(const conversation& c, const sort_spec& s);

// A sort key viewing the id it orders by (its record outlives it): what a merge compares, with
// no id copied per record.
struct sort_key_ref {
  std::optional<std::int64_t> value;
  std::string_view id;
  sort_key owned() const { return sort_key{value, std::string(id)}; }
};

// True when `a` comes strictly before `b` in the order `s`.
bool before(const sort_key& a, const sort_key& b, const sort_spec& s) noexcept;
// The same against a record's own key, without copying it.
bool before(const sort_key& a, const conversation& b, const sort_spec& s) noexcept;
bool before(const sort_key& a, const sort_key_ref& b, const sort_spec& s) noexcept;
bool before(const sort_key_ref& a, const sort_key_ref& b, const sort_spec& s) noexcept;

}  // namespace cgw
