// Twilio Insights v3 (semantic queries over the Conversations domain): pure translators
// between the unified schema and the vendor's wire terms (no I/O). See MAPPING.md beside
// this file for the mapping table and the comparison semantics the pushdown relies on.
#pragma once

#include "gateway/adapter/vendor_body.hpp"
#include "gateway/adapter/walk.hpp"

#include <array>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace cgw::adapters::twilio_insights_v3 {

inline constexpr std::string_view type_name = "twilio_insights_v3";
// Twilio limits concurrent requests per account (default 100) and answers 429 / 20429 beyond.
inline constexpr std::uint32_t twilio_concurrency_limit = 100;
// The OpenAPI file sets no maximum pageSize; the unified API never needs more than this.
inline constexpr std::size_t max_per_page = 1000;

// The unified fields a dimension can feed: the keys of `options.dimensions`.
enum class field : std::uint8_t {
  native_id,
  account_id,
  title,
  channel,
  platform,
  language,
  started_at,
  ended_at,
  created_at,
  updated_at,
  duration_ms,
  agents,
  sentiment,
  summary,
};
inline constexpr std::size_t field_count = static_cast<std::size_t>(field::summary) + 1;

// The configuration key of a field ("duration_ms").
std::string_view to_string(field f) noexcept;

// Unified field -> dimension name. An empty name: the vendor has no dimension for the field,
// so its records never have it and filters on it match nothing.
class dimension_map {
 public:
  const std::string& operator[](field f) const noexcept { return names_[static_cast<std::size_t>(f)]; }
  std::string& operator[](field f) noexcept { return names_[static_cast<std::size_t>(f)]; }
  bool has(field f) const noexcept { return !(*this)[f].empty(); }
  // Every mapped dimension once, in field order: what a query asks for.
  std::vector<std::string> dimensions() const;
  friend bool operator==(const dimension_map&, const dimension_map&) = default;

 private:
  std::array<std::string, field_count> names_;
};

// The defaults of vendors/README.md section 3 (native_id <- Id, started_at and created_at <- DateCreated,
// ...).
dimension_map default_dimensions();

// The defaults overridden by `options.dimensions` ({"field": "Dimension" | null}). Fails naming the key
// (`<key_prefix>.dimensions.foo: unknown unified field`) on an unknown field, a value that is neither a
// non-empty string nor null, an unmapped native_id, or a `dimensions` that is not an object.
result<dimension_map> read_dimension_options(const boost::json::object& options, std::string_view key_prefix);

// The names of every dimension of every cube of a Metadata answer; fails when it has no cubes array.
result<std::set<std::string>> read_metadata(const boost::json::value& body);

// `configured` without the dimensions the cube lacks; each dropped (field, dimension) pair is
// appended to `missing` when it is given. Never fails.
dimension_map present_in(const dimension_map& configured, const std::set<std::string>& cube,
                         std::vector<std::pair<field, std::string>>* missing = nullptr);

// The unified field a filter reads; nullopt for the fields no dimension can feed (owner_id, ...).
std::optional<field> field_of(filter f);

// Filters on fields that have no dimension under `dims`: they match no record of this vendor.
filter_set absent_filters(const dimension_map& dims);

// Filters that go down whenever a query sets them (the vendor-independent part of pushed_down).
filter_set pushable_filters(const dimension_map& dims);

// The filters of `q` that are sent to the vendor in this query.
filter_set pushed_down(const list_query& q, const dimension_map& dims);

// True when the vendor can order by the field (it has a dimension for it).
bool native_sort(sort_field f, const dimension_map& dims);

// The body of the POST that starts a walk's page sequence: every mapped dimension, the pushed-down
// filters plus the keyset bound, and the order (the sort dimension, then Id, ascending).
boost::json::object query_body(const adapter::page_ask& ask, const dimension_map& dims,
                               std::string_view vendor);

// The body of a query for one conversation by native id.
boost::json::object get_body(std::string_view native_id, const dimension_map& dims);

// Origin-form targets: the domain's Metadata, the first page of a query, the page a token stands for.
std::string metadata_target(std::string_view path_prefix);
std::string query_target(std::string_view path_prefix, std::size_t page_size);
std::string next_page_target(std::string_view path_prefix, std::string_view page_token);

// One query item in the unified schema, without raw (the answer's reader shares it); fails when
// it is not an object with a native id.
result<conversation> to_conversation(const boost::json::value& item, const dimension_map& dims,
                                     std::string_view vendor);

// A query answer ({items, meta.nextToken}); fails when the envelope is not the vendor's.
result<adapter::vendor_page> read_page(const adapter::vendor_body& body, const dimension_map& dims,
                                       std::string_view vendor);

// The same reader over the answer's text, without a DOM (records without raw: include=raw reads
// the DOM). Equal records and equal failures; "the vendor's answer is not valid JSON" when it is
// not JSON or nests deeper than 64.
result<adapter::vendor_page> read_page(std::string_view text, const dimension_map& dims,
                                       std::string_view vendor);

// The cube's measures that stats use: the keys of `options.measures`.
enum class cube_measure : std::uint8_t { count, duration_sum, duration_count, duration_min, duration_max };
inline constexpr std::size_t cube_measure_count = static_cast<std::size_t>(cube_measure::duration_max) + 1;

// The configuration key of a measure ("duration_ms.sum").
std::string_view to_string(cube_measure m) noexcept;

// Unified aggregate -> measure name; empty: the cube has no such measure.
class measure_map {
 public:
  const std::string& operator[](cube_measure m) const noexcept { return names_[static_cast<std::size_t>(m)]; }
  std::string& operator[](cube_measure m) noexcept { return names_[static_cast<std::size_t>(m)]; }
  bool has(cube_measure m) const noexcept { return !(*this)[m].empty(); }

 private:
  std::array<std::string, cube_measure_count> names_;
};

// count <- Count, duration_ms.sum <- TotalDuration, duration_ms.count <- DurationCount,
// duration_ms.min <- MinDuration, duration_ms.max <- MaxDuration.
measure_map default_measures();

// The defaults overridden by `options.measures` ({"duration_ms.sum": "Name" | null}); fails naming the
// key on an unknown measure or a value that is neither a non-empty string nor null.
result<measure_map> read_measure_options(const boost::json::object& options, std::string_view key_prefix);

// The names of every measure of every cube of a Metadata answer (none: an empty set). Never fails.
std::set<std::string> read_metadata_measures(const boost::json::value& body);

// `configured` without the measures the cube lacks; each dropped pair goes to `missing` when given.
measure_map measures_present_in(const measure_map& configured, const std::set<std::string>& cube,
                                std::vector<std::pair<cube_measure, std::string>>* missing = nullptr);

// vendor_aggregate: the body of a query grouped by the dimensions of the stats query's group fields
// (a time bucket by its time dimension, bucketed when read), with the measures it needs and every
// filter pushed down. Or why the cube cannot answer it (a filter applied locally, a measure the cube
// lacks, percentiles unless `forced`). Never fails otherwise.
std::variant<boost::json::object, std::string> aggregate_body(const stats_query& q, const dimension_map& dims,
                                                              const measure_map& measures,
                                                              std::string_view vendor, bool forced);

// Adds the items of one grouped answer page to `table` (each item's dimensions mapped as a record's
// are, then grouped as the stats query asks; its measures as the group's partial aggregates).
// Fails when an item is not an object.
result<void> add_aggregate_items(const boost::json::array& items, const stats_query& q,
                                 const dimension_map& dims, const measure_map& measures,
                                 std::string_view vendor, stats_table& table);

}  // namespace cgw::adapters::twilio_insights_v3
