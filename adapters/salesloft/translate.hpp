// Salesloft v2 conversations: pure translators between the unified schema and the
// vendor's wire terms (no I/O). See MAPPING.md beside this file.
#pragma once

#include "gateway/adapter/vendor_body.hpp"
#include "gateway/adapter/walk.hpp"

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/json/value.hpp>

namespace cgw::adapters::salesloft {

inline constexpr std::string_view type_name = "salesloft";
inline constexpr std::size_t max_per_page = 100;  // the vendor answers 422 above this

// The team's documented budget: 600 cost points a minute, shared by every request.
inline constexpr std::uint32_t budget_points_per_minute = 600;

// What a list page costs in that budget: 1, and more for deep pages (101-150: 3, 151-250: 8,
// 251-500: 10, 501+: 30). `continuation` is the page number a walk asks for ("" = page 1).
std::uint32_t page_cost(std::string_view continuation);

// The values Salesloft accepts for its enumerated parameters (seed: "Possible values"; vendors/README.md
// section 2); any other value is a 422, and no Salesloft record can have it.
inline constexpr std::array<std::string_view, 17> language_codes{
    "en-AU", "en-AB", "en-GB", "en-IN", "en-IE", "en-NZ", "en-ZA", "en-US", "en-WL",
    "es-ES", "es-US", "nl-NL", "it-IT", "fr-FR", "fr-CA", "de-DE", "de-CH"};
inline constexpr std::array<std::string_view, 11> platforms{
    "bluejeans",      "gotomeeting", "joinme", "manual_upload", "ms_teams",      "salesloft",
    "uberconference", "webex",       "zoom",   "google_meet",   "external_audio"};
inline constexpr std::array<std::string_view, 2> media_types{"audio", "video"};

// A query's enumerated filters in Salesloft's values: only those the vendor can have, in its spelling.
struct vendor_values {
  std::vector<std::string> language_codes;  // `language`, matched case-insensitively, spelled as documented
  std::vector<std::string> platforms;       // `platform`
  std::vector<std::string> media_types;     // `channel`: voice -> audio, video -> video
};
vendor_values vendor_values_of(const list_query& q);

// Why no Salesloft record can match `q` (a filter none of whose values the vendor has, named with
// its values); nullopt when the vendor must be asked. Never fails.
std::optional<std::string> nothing_matches(const list_query& q);

// The filters of `q` that the list endpoint answers exactly (a filter with no value the vendor
// has counts: it is answered without a call).
filter_set pushed_down(const list_query& q);

// The origin-form target of one list page ("/v2/conversations?..."); `vendor` picks the ids of
// an id filter that are this instance's.
std::string list_target(const adapter::page_ask& ask, std::string_view path_prefix, std::string_view vendor);

// The target of a single conversation.
std::string get_target(std::string_view native_id, std::string_view path_prefix);

// One vendor record in the unified schema, without raw (the answer's reader shares it); fails
// when it is not an object with an id.
result<conversation> to_conversation(const boost::json::value& record, std::string_view vendor);

// A list answer ({data, metadata.paging}); fails when the envelope is not Salesloft's.
result<adapter::vendor_page> read_page(const adapter::vendor_body& body, std::string_view vendor);

// A single-record answer ({data: {...}}) to the get of `asked`; fails with upstream_error when it
// is another record than the one asked for.
result<conversation> read_one(const adapter::vendor_body& body, std::string_view vendor,
                              std::string_view asked);

// The same two readers over the answer's text, without a DOM (records without raw: include=raw
// reads the DOM). Equal records and equal failures; "the vendor's answer is not valid JSON" when
// it is not JSON or nests deeper than 64.
result<adapter::vendor_page> read_page(std::string_view text, std::string_view vendor);
result<conversation> read_one(std::string_view text, std::string_view vendor, std::string_view asked);

}  // namespace cgw::adapters::salesloft

namespace cgw::adapters::salesloft {

// vendor_counts: a stats query answered from `total_count` (include_paging_counts=true, per_page=1,
// cost 1 each), one call per combination of the grouped fields' values, every filter pushed down.
// A grouped field takes each value Salesloft documents (or those its filter keeps) and, without a
// filter on it, "any" too, from which the null group is found by subtraction. A time bucket of
// created_at / updated_at takes each bucket between the query's two bounds on that field.
struct count_cell {
  std::vector<std::size_t> options;  // per group field, an index into counts_plan::labels[field]
  std::string target;                // the origin-form count request
};

struct counts_plan {
  // Per group field, the group value of each option; the last is "any" when `any[field]`.
  std::vector<std::vector<std::optional<std::string>>> labels;
  std::vector<bool> any;
  std::vector<count_cell> cells;
  std::optional<std::size_t> total_cell;  // the cell with every field "any": the probe's own target
  std::string probe_target;               // every filter, no group value: how many records match
};

// Most calls a counts plan may make; beyond, the records are read.
inline constexpr std::size_t max_count_calls = 1000;

// The plan, or why Salesloft cannot count this query (a measure other than count, a filter it
// does not take, a field it cannot count by, too many values). Never fails otherwise.
std::variant<counts_plan, std::string> plan_counts(const stats_query& q, std::string_view path_prefix,
                                                   std::string_view vendor);

// `total_count` of a list answer asked with include_paging_counts; fails when it is absent.
result<std::uint64_t> read_total_count(const adapter::vendor_body& body);

// The rows of the counts (by cell, in plan order), nulls found by subtraction. `consistent` turns
// false when a subtraction goes negative (the data changed between the calls). Never fails.
stats_table counts_table(const counts_plan& plan, const std::vector<std::uint64_t>& counts, bool& consistent);

}  // namespace cgw::adapters::salesloft
