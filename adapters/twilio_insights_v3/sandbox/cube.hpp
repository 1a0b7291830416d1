// The sandbox's Conversations cube: the dimensions and measures its Metadata lists, shared by
// the data generator, the query engine and the Metadata answer. The first seven dimensions are
// the adapter's defaults (vendors/README.md section 3); the others exist so that a client that
// asks for "every dimension" is noticed.
#pragma once

#include <array>
#include <string_view>

namespace cgw::sandbox::twilio_insights_v3::cube {

inline constexpr std::string_view domain = "Conversations";
inline constexpr std::string_view name = "Conversations";
inline constexpr std::string_view description =
    "One row per conversation analysed by Conversation Intelligence";

// How a dimension's values compare: strings byte-wise, dates as instants, numbers numerically;
// a list dimension holds strings and matches when any element does.
enum class value_type { string, date, number, string_list };

// The type name Metadata reports.
constexpr std::string_view type_name(value_type t) {
  switch (t) {
    case value_type::date:
      return "date";
    case value_type::number:
      return "number";
    case value_type::string_list:
      return "string[]";
    default:
      return "string";
  }
}

struct dimension {
  std::string_view name;
  std::string_view description;
  value_type type;
};

inline constexpr std::array<dimension, 9> dimensions{{
    {"Id", "The conversation SID (CA...)", value_type::string},
    {"DateCreated", "When the conversation was created, RFC 3339 UTC with milliseconds", value_type::date},
    {"Languages", "Languages detected, the main one first", value_type::string_list},
    {"Channels", "Channels the conversation used, the main one first", value_type::string_list},
    {"OperatorResult.Value", "Overall sentiment: positive, negative or neutral", value_type::string},
    {"Duration", "Length of the conversation in whole milliseconds", value_type::number},
    {"AgentNames", "Names of the agents who took part", value_type::string_list},
    {"Direction", "inbound or outbound", value_type::string},
    {"AccountSid", "The account that owns the conversation (AC...)", value_type::string},
}};

// count: the group's rows; count_of: its rows with a value of `over`; sum, min, max: of `over`.
enum class aggregation { count, sum, count_of, min, max };

struct measure {
  std::string_view name;
  std::string_view description;
  aggregation how;
  std::string_view over;  // the dimension summed; empty for count
};

inline constexpr std::array<measure, 5> measures{{
    {"Count", "Number of conversations", aggregation::count, ""},
    {"TotalDuration", "Sum of Duration over the conversations, in milliseconds", aggregation::sum,
     "Duration"},
    {"DurationCount", "Number of conversations with a Duration", aggregation::count_of, "Duration"},
    {"MinDuration", "Shortest Duration of the conversations, in milliseconds", aggregation::min, "Duration"},
    {"MaxDuration", "Longest Duration of the conversations, in milliseconds", aggregation::max, "Duration"},
}};

}  // namespace cgw::sandbox::twilio_insights_v3::cube
