// Salesloft v2 conversations: pure translators between the unified schema and the
// vendor's wire terms (no I/O). See MAPPING.md beside this file.
#pragma once

#include "gateway/adapter/vendor_body.hpp"
#include "gateway/adapter/walk.hpp"

#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace cgw::adapters::salesloft {

inline constexpr std::string_view type_name = "salesloft";
inline constexpr std::size_t max_per_page = 100;  // the vendor answers 422 above this

// The team's documented budget: 600 cost points a minute, shared by every request.
inline constexpr std::uint32_t budget_points_per_minute = 600;

// What a list page costs in that budget: 1, and more for deep pages (101-150: 3, 151-250: 8,
// 251-500: 10, 501+: 30). `continuation` is the page number a walk asks for ("" = page 1).
std::uint32_t page_cost(std::string_view continuation);

// The filters of `q` that the list endpoint answers exactly.
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

// A single-record answer ({data: {...}}).
result<conversation> read_one(const adapter::vendor_body& body, std::string_view vendor);

}  // namespace cgw::adapters::salesloft
