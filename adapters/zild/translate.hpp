// Zild conversations: pure translators between the unified schema and the vendor's
// wire terms (no I/O). See MAPPING.md beside this file.
#pragma once

#include "gateway/adapter/vendor_body.hpp"
#include "gateway/core/conversation.hpp"
#include "gateway/core/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace cgw::adapters::zild {

inline constexpr std::string_view type_name = "zild";
inline constexpr std::string_view list_unsupported_reason = "the vendor has no list endpoint";

// A native id as the int32 the vendor's path takes, in canonical decimal form only ("42",
// "-7"; never "+42", "042", " 42", "-0" or anything past int32), so one conversation has
// exactly one unified id. Fails with invalid_id naming "id".
result<std::int32_t> parse_native_id(std::string_view native_id);

// A .NET TimeSpan string ("hh:mm:ss", "d.hh:mm:ss", "d:hh:mm:ss", "h:mm:ss", with up to 7
// fraction digits) in whole milliseconds, the fraction truncated; nullopt for a negative
// span or anything else it cannot read.
std::optional<std::int64_t> parse_timespan_ms(std::string_view text);

// A Zild timestamp: RFC 3339, or offset-less (UTC); nullopt when unreadable or .NET's
// default(DateTime) "0001-01-01T00:00:00", which stands for "never set".
std::optional<micros> parse_time(std::string_view text);

// "active", "finished", "queued" from the record's active/finishedAt/queuedAt; nullopt when none applies.
std::optional<std::string> status_of(const boost::json::object& record);

// The target of a single conversation ("/api/Conversation/42").
std::string get_target(std::int32_t id, std::string_view path_prefix);

// One vendor record in the unified schema, without raw (the answer's reader shares it); fails
// with upstream_error when it is not an object with an id.
result<conversation> to_conversation(const boost::json::value& record, std::string_view vendor);

// The answer to GET /api/Conversation/{id} (the bare object); fails with upstream_error when it
// is not a record or is another record than the one asked for.
result<conversation> read_one(const adapter::vendor_body& body, std::string_view vendor, std::int32_t asked);

// The same reader over the answer's text, without a DOM (the record without raw: include=raw
// reads the DOM). Equal records and equal failures; "the vendor's answer is not valid JSON" when
// it is not JSON or nests deeper than 64.
result<conversation> read_one(std::string_view text, std::string_view vendor, std::int32_t asked);

}  // namespace cgw::adapters::zild
