// Field-by-field equality of mapped records and of failures, for the tests and fuzz targets that
// read one vendor answer through the DOM path and the events path (raw is not compared: only the
// DOM path keeps it).
#pragma once

#include "gateway/adapter/vendor_body.hpp"
#include "gateway/adapter/walk.hpp"
#include "gateway/core/conversation.hpp"
#include "gateway/core/error.hpp"

#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cgw::testing {

// What fetch_json makes of a body before a DOM translator reads it: `read`'s result, or the
// failure fetch_json gives a body that is not JSON.
template <class Read>
auto through_dom(std::string_view text, Read read)
    -> decltype(read(std::declval<const adapter::vendor_body&>())) {
  auto body = adapter::vendor_body::parse(text);
  if (!body) return failure::make(errc::upstream_error, "the vendor's answer is not valid JSON");
  return read(*body);
}

// Doubles compare by bits (so -0.0 differs from 0.0, and a NaN equals itself).
inline bool same_double(const std::optional<double>& a, const std::optional<double>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || std::memcmp(&*a, &*b, sizeof(double)) == 0;
}

// The name of the first field that differs; empty when the records are equal.
inline std::string first_difference(const conversation& a, const conversation& b) {
#define CGW_SAME(f) \
  if (!(a.f == b.f)) return #f
  CGW_SAME(id);
  CGW_SAME(vendor);
  CGW_SAME(vendor_type);
  CGW_SAME(native_id);
  CGW_SAME(account_id);
  CGW_SAME(title);
  CGW_SAME(channel);
  CGW_SAME(platform);
  CGW_SAME(language);
  CGW_SAME(started_at);
  CGW_SAME(ended_at);
  CGW_SAME(created_at);
  CGW_SAME(updated_at);
  CGW_SAME(duration_ms);
  CGW_SAME(sentiment);
  CGW_SAME(summary);
  CGW_SAME(tags);
  CGW_SAME(status);
  CGW_SAME(links);
  CGW_SAME(owner_id);
  CGW_SAME(user_id);
  CGW_SAME(person_id);
  if (!same_double(a.score, b.score)) return "score";
  if (a.agents.size() != b.agents.size()) return "agents";
  for (std::size_t i = 0; i < a.agents.size(); ++i) {
    CGW_SAME(agents[i].id);
    CGW_SAME(agents[i].name);
  }
  if (a.segments.size() != b.segments.size()) return "segments";
  for (std::size_t i = 0; i < a.segments.size(); ++i) {
    CGW_SAME(segments[i].id);
    CGW_SAME(segments[i].order);
    CGW_SAME(segments[i].started_at);
    CGW_SAME(segments[i].agent_name);
    if (!same_double(a.segments[i].offset_s, b.segments[i].offset_s)) return "segments[].offset_s";
    if (!same_double(a.segments[i].talk_time_s, b.segments[i].talk_time_s)) return "segments[].talk_time_s";
  }
  if (a.messages.size() != b.messages.size()) return "messages";
  for (std::size_t i = 0; i < a.messages.size(); ++i) {
    CGW_SAME(messages[i].id);
    CGW_SAME(messages[i].sent_at);
    CGW_SAME(messages[i].from);
    CGW_SAME(messages[i].to);
    CGW_SAME(messages[i].content);
    CGW_SAME(messages[i].sentiment);
    CGW_SAME(messages[i].type);
  }
#undef CGW_SAME
  return {};
}

inline std::string first_difference(const std::vector<conversation>& a, const std::vector<conversation>& b) {
  if (a.size() != b.size())
    return "record count " + std::to_string(a.size()) + " vs " + std::to_string(b.size());
  for (std::size_t i = 0; i < a.size(); ++i)
    if (auto d = first_difference(a[i], b[i]); !d.empty()) return "record " + std::to_string(i) + ": " + d;
  return {};
}

// Two pages: their next position, then their records.
inline std::string first_difference(const adapter::vendor_page& a, const adapter::vendor_page& b) {
  if (a.next != b.next) return "next";
  return first_difference(a.records, b.records);
}

inline std::string first_difference(const failure& a, const failure& b) {
  if (a.code != b.code) return std::string("code ") + to_string(a.code) + " vs " + to_string(b.code);
  if (a.message != b.message) return "message \"" + a.message + "\" vs \"" + b.message + "\"";
  return {};
}

// Two results of reading one answer: equal values (by `diff`) or equal failures.
template <class T, class Diff>
std::string first_difference(const result<T>& a, const result<T>& b, Diff diff) {
  if (a.has_value() != b.has_value())
    return a ? "DOM path read it, events path failed: " + b.error().message
             : "events path read it, DOM path failed: " + a.error().message;
  return a ? diff(*a, *b) : first_difference(a.error(), b.error());
}

// The same, values compared field by field.
template <class T>
std::string first_difference(const result<T>& a, const result<T>& b) {
  return first_difference(a, b, [](const T& x, const T& y) { return first_difference(x, y); });
}

}  // namespace cgw::testing
