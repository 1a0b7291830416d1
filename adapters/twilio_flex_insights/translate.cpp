#include "adapters/twilio_flex_insights/translate.hpp"

#include "gateway/adapter/fields.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>

#include <boost/url/url.hpp>

namespace cgw::adapters::twilio_flex_insights {
namespace {

namespace json = boost::json;
using adapter::integer_at;
using adapter::number_at;
using adapter::text_at;
using adapter::time_at;

constexpr std::string_view records_key = "conversations";

void add(filter_set& s, filter f) { s.set(static_cast<std::size_t>(f)); }

// ASCII case folding, as the unified agent filter compares names.
bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

std::optional<segment> to_segment(const json::value& v) {
  const json::object* o = v.if_object();
  if (!o) return std::nullopt;  // the spec leaves segments untyped: what is not an object is not one
  segment s;
  s.id = text_at(*o, "segment_id");
  s.order = integer_at(*o, "order");
  s.offset_s = number_at(*o, "offset");
  s.talk_time_s = number_at(*o, "talk_time");
  s.started_at = time_at(*o, "timestamp");
  s.agent_name = text_at(*o, "agent_name");
  return s;
}

// `x` rounded to an integer; nullopt when it is not finite or does not fit (a vendor's talk_time
// can be any JSON number, and llround past the range gives garbage).
std::optional<std::int64_t> rounded(double x) {
  if (!(std::fabs(x) < 9.2e18)) return std::nullopt;
  return std::llround(x);
}

// started_at, ended_at, duration_ms and agents, all derived from the segments (MAPPING.md).
void derive_from_segments(conversation& c) {
  const segment* latest = nullptr;
  double talk_total = 0;
  bool talk_known = !c.segments.empty();
  for (const segment& s : c.segments) {
    if (s.started_at) {
      if (!c.started_at || *s.started_at < *c.started_at) c.started_at = s.started_at;
      // Of segments starting at the same instant, the one that talks longest ends the conversation.
      if (!latest || *s.started_at > *latest->started_at ||
          (*s.started_at == *latest->started_at && s.talk_time_s.value_or(-1) > latest->talk_time_s.value_or(-1)))
        latest = &s;
    }
    if (s.talk_time_s) talk_total += *s.talk_time_s;
    else talk_known = false;
    if (s.agent_name && !s.agent_name->empty() &&
        std::none_of(c.agents.begin(), c.agents.end(), [&](const agent& a) { return same_name(*a.name, *s.agent_name); }))
      c.agents.push_back(agent{std::nullopt, s.agent_name});
  }
  // An end past the range of micros is no end we can state (and the sum would overflow).
  if (auto talk = latest && latest->talk_time_s ? rounded(*latest->talk_time_s * 1e6) : std::nullopt) {
    micros end = 0;
    if (!__builtin_add_overflow(*latest->started_at, *talk, &end)) c.ended_at = end;
  }
  // A duration missing one segment's talk time would be too short, not approximately right.
  if (talk_known) c.duration_ms = rounded(talk_total * 1000);
}

}  // namespace

filter_set pushed_down(const list_query& q) {
  filter_set out;
  if (q.segment_id) add(out, filter::segment_id);
  return out;
}

filter_set absent_filters() {
  filter_set out;
  for (filter f : {filter::created_after, filter::created_before, filter::updated_after, filter::updated_before,
                   filter::language, filter::channel, filter::platform, filter::owner_id, filter::user_id,
                   filter::person_id, filter::title, filter::title_prefix})
    add(out, f);
  return out;
}

std::string first_page_target(const list_query& q, std::size_t page_size, std::string_view path_prefix) {
  boost::urls::url u;
  u.set_path(std::string(path_prefix) + std::string(list_path));
  auto params = u.params();
  if (q.segment_id) params.append({"SegmentId", *q.segment_id});
  params.append({"PageSize", std::to_string(std::clamp<std::size_t>(page_size, 1, max_per_page))});
  return std::string(u.encoded_resource());
}

result<conversation> to_conversation(const json::value& record, std::string_view vendor) {
  const json::object* o = record.if_object();
  if (!o) return failure::make(errc::upstream_error, "a Flex Insights conversation is not an object");
  auto id = text_at(*o, "conversation_id");
  if (!id || id->empty()) return failure::make(errc::upstream_error, "a Flex Insights conversation has no conversation_id");
  conversation c;
  set_identity(c, vendor, type_name, std::move(*id));
  c.account_id = text_at(*o, "account_id");
  if (const json::value* segments = adapter::member(*o, "segments"); segments && segments->is_array())
    for (const auto& v : segments->get_array())
      if (auto s = to_segment(v)) c.segments.push_back(std::move(*s));
  derive_from_segments(c);
  return c;
}

result<page_read> read_page(const adapter::vendor_body& body, std::string_view vendor, const upstream::endpoint& ep,
                            std::string_view target) {
  const json::object* envelope = body.value().if_object();
  const json::object* meta = envelope ? adapter::object_at(*envelope, "meta") : nullptr;
  // Twilio names the records' key in meta.key; "conversations" is what this endpoint documents.
  const std::string key = (meta ? text_at(*meta, "key") : std::nullopt).value_or(std::string(records_key));
  const json::value* records = envelope ? adapter::member(*envelope, key) : nullptr;
  if (!records || !records->is_array())
    return failure::make(errc::upstream_error, "the Flex Insights answer has no " + std::string(records_key) + " array");
  page_read out;
  out.page.records.reserve(records->get_array().size());
  for (const auto& record : records->get_array()) {
    if (!record.is_object()) return failure::make(errc::upstream_error, "a Flex Insights conversation is not an object");
    auto c = to_conversation(record, vendor);
    if (!c) {
      ++out.skipped;  // no conversation_id: nothing could ever address it
      continue;
    }
    c->raw = body.share(record.get_object());
    out.page.records.push_back(std::move(*c));
  }
  auto next = meta ? text_at(*meta, "next_page_url") : std::nullopt;
  if (next && !next->empty()) {
    auto next_target = upstream::same_origin_target(ep, *next);
    if (!next_target) return next_target.error();
    if (*next_target == target)
      return failure::make(errc::upstream_error, "the vendor's next-page link repeats the page just read");
    out.page.next = std::move(*next_target);
  }
  return out;
}

}  // namespace cgw::adapters::twilio_flex_insights
