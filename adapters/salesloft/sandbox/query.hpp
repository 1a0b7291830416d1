// The query string of GET /v2/conversations: parsing and validation as Salesloft's Rails
// API does it, and the record predicate it stands for.
#pragma once

#include "gateway/core/error.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/url/params_view.hpp>

namespace cgw::sandbox::salesloft {

// The fields that filter by range and sort; they index record_keys and list_query::ranges.
enum class ordered_field { created_at, updated_at, duration };

// A record's ordered fields, parsed once: microseconds for the timestamps, ms for the duration.
using record_keys = std::array<std::optional<std::int64_t>, 3>;

// Never fails: a missing or malformed field is null.
record_keys keys_of(const boost::json::object& record);

// field[lt|lte|gt|gte]. With any bound set a null value never matches, as in SQL.
struct range {
  std::optional<std::int64_t> lt, lte, gt, gte;
  bool admits(const std::optional<std::int64_t>& value) const;
};

struct list_query {
  std::optional<std::string> title, title_prefix, language_code, platform, media_type;
  std::optional<bool> is_api;
  std::array<range, 3> ranges;                                                   // by ordered_field
  std::vector<std::string> ids, owner_ids, user_guids, account_ids, person_ids;  // empty: no filter
  ordered_field sort_by = ordered_field::created_at;
  bool ascending = false;
  std::uint32_t per_page = 25;
  std::uint64_t page = 1;
  bool include_paging_counts = false;

  bool matches(const boost::json::object& record, const record_keys& keys) const;
};

// The query in params (decoded keys, so "ids%5B%5D" is "ids[]"); a repeated scalar keeps its last
// value, as Rails does. Fails with invalid_parameter naming the parameter ("per_page") and a message
// ("must be between 1 and 100") on an invalid value, and with unknown_parameter naming it on a
// parameter (or a bracket operator) Salesloft does not document: stricter than the vendor, on purpose.
result<list_query> parse_list_query(const boost::urls::params_view& params);

}  // namespace cgw::sandbox::salesloft
