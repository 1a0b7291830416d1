// The unified list query (GET /v1/conversations): parsed, validated, and able to
// match a record against each of its filters.
#pragma once

#include "gateway/core/conversation.hpp"
#include "gateway/core/error.hpp"

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cgw {

// Every filter parameter; the enumerator order is the canonical order used in fingerprints and meta.
enum class filter : std::uint8_t {
  started_after,
  started_before,
  created_after,
  created_before,
  updated_after,
  updated_before,
  min_duration_ms,
  max_duration_ms,
  language,
  channel,
  platform,
  agent,
  account_id,
  owner_id,
  user_id,
  person_id,
  segment_id,
  id,
  title,
  title_prefix,
};
inline constexpr std::size_t filter_count = static_cast<std::size_t>(filter::title_prefix) + 1;
using filter_set = std::bitset<filter_count>;

// The parameter name of a filter ("started_after").
std::string_view to_string(filter f) noexcept;

// The lower bound filter on a sort field (created_at: created_after). A vendor whose records
// lack the field has both of its range filters among its absent ones.
filter range_filter(sort_field f) noexcept;

inline constexpr std::size_t max_page_size = 1000;
inline constexpr std::size_t max_batch_ids = 100;

struct list_query {
  std::vector<std::string> vendors;  // empty: every vendor the client may reach

  std::optional<micros> started_after, started_before;
  std::optional<micros> created_after, created_before;
  std::optional<micros> updated_after, updated_before;
  std::optional<std::int64_t> min_duration_ms, max_duration_ms;
  std::vector<std::string> languages;  // canonical BCP-47 case: "en-US"
  std::vector<std::string> channels;   // lower case, validated
  std::vector<std::string> platforms;  // lower case
  std::optional<std::string> agent;
  std::vector<std::string> account_ids, owner_ids, user_ids, person_ids;
  std::optional<std::string> segment_id;
  std::vector<std::string> ids;  // unified ids
  std::optional<std::string> title, title_prefix;

  sort_spec sort;
  std::size_t page_size = 50;
  std::optional<std::string> cursor;
  bool include_raw = false;
  bool explain = false;

  // The filters this query sets.
  filter_set filters() const;

  // True when the record passes filter `f` (a filter on a field the record lacks matches nothing).
  bool matches(const conversation& c, filter f) const;

  // True when the record passes every filter the query sets.
  bool matches_all(const conversation& c) const;

  // The native ids of `ids` that belong to vendor instance `vendor`, in request order.
  std::vector<std::string> native_ids_for(std::string_view vendor) const;

  // Canonical bytes of everything that decides the stream (filters, vendors, sort), for cursor binding.
  std::string fingerprint_material() const;
};

// One parameter of GET /v1/conversations, as documented (OpenAPI) and accepted (parser).
struct parameter_doc {
  std::string_view name;
  std::string_view type;     // OpenAPI schema type: string, integer, boolean
  std::string_view example;  // a valid value
  std::string_view description;
};

// Every parameter the list endpoint accepts; anything else is unknown_parameter.
const std::vector<parameter_doc>& list_parameters();

// Parses a raw query string ("a=1&b=2", no leading '?'); a failure names the parameter.
result<list_query> parse_list_query(std::string_view query_string);

// "en-us" -> "en-US", "zh-hant-tw" -> "zh-Hant-TW" (BCP-47 conventional case).
std::string canonical_language(std::string_view tag);

// Splits a unified id "<vendor>:<native>"; nullopt when it is not of that form.
std::optional<std::pair<std::string_view, std::string_view>> split_unified_id(std::string_view id);

// The items of a comma list ("a, b"), trimmed; fails with invalid_parameter naming `param` on an
// empty item.
result<std::vector<std::string>> comma_list(std::string_view param, std::string_view value);

}  // namespace cgw
