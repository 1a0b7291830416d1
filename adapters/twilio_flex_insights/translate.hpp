// Twilio Flex Insights v1 conversations: pure translators between the unified schema and
// the vendor's wire terms (no I/O). See MAPPING.md beside this file.
#pragma once

#include "gateway/adapter/vendor_body.hpp"
#include "gateway/adapter/walk.hpp"
#include "gateway/upstream/client.hpp"

#include <cstddef>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace cgw::adapters::twilio_flex_insights {

inline constexpr std::string_view type_name = "twilio_flex_insights";
// Twilio limits concurrent requests per account (default 100) and answers 429 / 20429 beyond.
inline constexpr std::uint32_t twilio_concurrency_limit = 100;
inline constexpr std::string_view list_path = "/v1/Insights/Conversations";
inline constexpr std::size_t max_per_page = 1000;  // PageSize's documented maximum

// The filters of `q` that the list endpoint answers exactly (only SegmentId exists). Never fails.
filter_set pushed_down(const list_query& q);

// Filters on fields no Flex Insights conversation has: they match nothing. Never fails.
filter_set absent_filters();

// The origin-form target of the first list page ("/v1/Insights/Conversations?SegmentId=..&PageSize=N").
// Later pages are never built: they are the vendor's own next_page_url. Never fails.
std::string first_page_target(const list_query& q, std::size_t page_size, std::string_view path_prefix);

// One vendor conversation in the unified schema, without raw (the answer's reader shares it);
// fails with upstream_error when it is not an object or has no conversation_id (such a record
// cannot be addressed).
result<conversation> to_conversation(const boost::json::value& record, std::string_view vendor);

// One list page, mapped, with the records that had to be skipped counted.
struct page_read {
  adapter::vendor_page page;  // page.next: the origin-form target of next_page_url
  std::size_t skipped = 0;    // records without a conversation_id
};

// A list answer ({conversations, meta}) read at `target` of endpoint `ep`. Fails with upstream_error
// when the envelope is not Flex's, a record is not an object, or meta.next_page_url is not a URL on
// ep's own origin (it is then never followed) or repeats `target`.
result<page_read> read_page(const adapter::vendor_body& body, std::string_view vendor,
                            const upstream::endpoint& ep, std::string_view target);

// The same reader over the answer's text, without a DOM (records without raw: include=raw reads
// the DOM). Equal records and equal failures; "the vendor's answer is not valid JSON" when it is
// not JSON or nests deeper than 64.
result<page_read> read_page(std::string_view text, std::string_view vendor, const upstream::endpoint& ep,
                            std::string_view target);

}  // namespace cgw::adapters::twilio_flex_insights
