// The unified stats query (GET /v1/conversations/stats): parsed and validated, and the
// vendor-neutral arithmetic of its answer: the group values of a record, time buckets,
// per-group partial aggregates that merge across vendors, and the rows as JSON or CSV.
#pragma once

#include "gateway/core/query.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>

namespace cgw {

enum class group_kind : std::uint8_t { vendor, channel, platform, language, agent, status, sentiment, time };
enum class bucket_unit : std::uint8_t { hour, day, week, month };

struct group_field {
  group_kind kind = group_kind::vendor;
  sort_field time = sort_field::started_at;  // kind == time: started_at, created_at or updated_at
  bucket_unit unit = bucket_unit::day;       // kind == time
  // "channel", "started_at:day"
  std::string name() const;
  friend bool operator==(const group_field&, const group_field&) = default;
};

enum class measure : std::uint8_t { count, sum, avg, min, max, p50, p90 };
inline constexpr std::size_t measure_count = static_cast<std::size_t>(measure::p90) + 1;

// "count", "duration_ms.sum"
std::string_view to_string(measure m) noexcept;

inline constexpr std::size_t max_group_by = 3;
inline constexpr std::size_t max_groups = 10'000;

struct stats_query {
  list_query filters;                 // every filter of the list; its sort is the walk's, not an output order
  std::vector<group_field> group_by;  // as asked, at most max_group_by, no repeats
  std::vector<measure> measures;      // canonical order, no repeats; {count} by default
  int tz_minutes = 0;                 // UTC offset where day, week and month buckets start
  std::string method;                 // "" (the planner's choice), "records" or "vendor" (forced)
  bool explain = false;

  bool wants(measure m) const;
  // True when a measure can only come from the records themselves (percentiles).
  bool needs_records() const { return wants(measure::p50) || wants(measure::p90); }
  // Canonical bytes of the whole query, for caching and logs.
  std::string normalized() const;
};

// Every parameter the stats endpoint adds to the list's filters (for OpenAPI).
const std::vector<parameter_doc>& stats_parameters();

// Parses a raw query string; a failure names the parameter (`sort`, `page_size`, `cursor` and
// `include` are unknown_parameter here).
result<stats_query> parse_stats_query(std::string_view query_string);

// The start of the bucket holding `t` (hour, day, ISO week from Monday, month) in the zone `tz_minutes`.
micros bucket_start(micros t, bucket_unit unit, int tz_minutes);
// The start of the bucket after the one starting at `start`.
micros next_bucket(micros start, bucket_unit unit, int tz_minutes);

// A group's values, one per group field; nullopt is the group `null`.
using group_key = std::vector<std::optional<std::string>>;

// Ascending by each value in turn, byte order, nulls last.
struct group_less {
  bool operator()(const group_key& a, const group_key& b) const;
};

// The value of one group field for a record; several for `agent` (one per distinct agent name).
std::vector<std::optional<std::string>> group_values(const conversation& c, const group_field& f,
                                                     int tz_minutes);

// Every group a record counts in: one, or one per distinct agent name when grouped by agent.
std::vector<group_key> group_keys(const conversation& c, const stats_query& q);

// What one vendor (or several, merged) knows of one group.
struct partial {
  std::uint64_t count = 0;          // records
  std::uint64_t with_duration = 0;  // records with a duration
  std::int64_t sum = 0;             // of their durations
  std::optional<std::int64_t> min, max;
  std::vector<std::int64_t> durations;  // every duration, when `complete`
  bool complete = true;                 // false: aggregated server-side, percentiles unknown

  void add_duration(std::optional<std::int64_t> d, bool keep);
  void merge(const partial& other);  // counts and sums add, min of mins, max of maxes
};

class stats_table {
 public:
  using rows_type = std::map<group_key, partial, group_less>;

  // Counts `c` in each of its groups (a conversation with several agents once per agent).
  void add(const conversation& c, const stats_query& q);
  void merge(const group_key& key, const partial& p);
  void merge(const stats_table& other);
  const rows_type& rows() const { return rows_; }
  rows_type& rows() { return rows_; }
  std::size_t size() const { return rows_.size(); }

 private:
  rows_type rows_;
};

// The nearest-rank percentile (p in 0..100) of sorted values; nullopt when there are none.
std::optional<std::int64_t> percentile(const std::vector<std::int64_t>& sorted, int p);

// The rows as the JSON answer's `data`: {group: {...}, count, duration_ms: {...}} in row order.
boost::json::array rows_json(const stats_table& t, const stats_query& q);

// The rows as RFC 4180 CSV: a header row (group fields, then measures), CRLF line ends.
std::string rows_csv(const stats_table& t, const stats_query& q);

}  // namespace cgw
