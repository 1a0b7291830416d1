#include "gateway/core/conversation.hpp"

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

namespace cgw {
namespace {

namespace json = boost::json;

// Each value made in the answer's storage, so that nothing is copied into it.
json::value str(const opt_string& s, const json::storage_ptr& sp) {
  return s ? json::value(json::string_view(*s), sp) : json::value(nullptr, sp);
}
json::value when(const std::optional<micros>& t, const json::storage_ptr& sp) {
  return t ? json::value(rfc3339_ms_text(*t).view(), sp) : json::value(nullptr, sp);
}
template <class T>
json::value num(const std::optional<T>& n, const json::storage_ptr& sp) {
  return n ? json::value(*n, sp) : json::value(nullptr, sp);
}

}  // namespace

void set_identity(conversation& c, std::string_view vendor, std::string_view vendor_type, std::string native_id) {
  c.vendor = vendor;
  c.vendor_type = vendor_type;
  c.id.reserve(vendor.size() + 1 + native_id.size());
  c.id.assign(vendor).append(1, ':').append(native_id);
  c.native_id = std::move(native_id);
}

json::object to_json(const conversation& c, bool include_raw, const json::storage_ptr& sp) {
  json::object o(sp);
  o.reserve(28);
  o.emplace("id", json::string_view(c.id));
  o.emplace("vendor", json::string_view(c.vendor));
  o.emplace("vendor_type", json::string_view(c.vendor_type));
  o.emplace("native_id", json::string_view(c.native_id));
  o.emplace("account_id", str(c.account_id, sp));
  o.emplace("title", str(c.title, sp));
  o.emplace("channel", str(c.channel, sp));
  o.emplace("platform", str(c.platform, sp));
  o.emplace("language", str(c.language, sp));
  o.emplace("started_at", when(c.started_at, sp));
  o.emplace("ended_at", when(c.ended_at, sp));
  o.emplace("created_at", when(c.created_at, sp));
  o.emplace("updated_at", when(c.updated_at, sp));
  o.emplace("duration_ms", num(c.duration_ms, sp));
  json::array agents(sp);
  for (const auto& a : c.agents) agents.push_back(json::object({{"id", str(a.id, sp)}, {"name", str(a.name, sp)}}, sp));
  o.emplace("agents", std::move(agents));
  json::array segments(sp);
  for (const auto& s : c.segments)
    segments.push_back(json::object({{"id", str(s.id, sp)},
                                     {"order", num(s.order, sp)},
                                     {"started_at", when(s.started_at, sp)},
                                     {"offset_s", num(s.offset_s, sp)},
                                     {"talk_time_s", num(s.talk_time_s, sp)},
                                     {"agent_name", str(s.agent_name, sp)}},
                                    sp));
  o.emplace("segments", std::move(segments));
  json::array messages(sp);
  for (const auto& m : c.messages)
    messages.push_back(json::object({{"id", str(m.id, sp)},
                                     {"sent_at", when(m.sent_at, sp)},
                                     {"from", str(m.from, sp)},
                                     {"to", str(m.to, sp)},
                                     {"content", str(m.content, sp)},
                                     {"sentiment", str(m.sentiment, sp)},
                                     {"type", str(m.type, sp)}},
                                    sp));
  o.emplace("messages", std::move(messages));
  o.emplace("sentiment", str(c.sentiment, sp));
  o.emplace("summary", str(c.summary, sp));
  json::array tags(sp);
  for (const auto& t : c.tags) tags.emplace_back(json::string_view(t));
  o.emplace("tags", std::move(tags));
  o.emplace("score", num(c.score, sp));
  o.emplace("status", str(c.status, sp));
  json::object links(sp);
  for (const auto& [name, url] : c.links) links.emplace(name, json::string_view(url));
  o.emplace("links", std::move(links));
  if (include_raw) o.emplace("raw", c.raw ? json::value(*c.raw, sp) : json::value(json::object_kind, sp));
  return o;
}

std::string_view to_string(sort_field f) noexcept {
  switch (f) {
    case sort_field::started_at: return "started_at";
    case sort_field::created_at: return "created_at";
    case sort_field::updated_at: return "updated_at";
    case sort_field::duration_ms: return "duration_ms";
  }
  return "started_at";
}

std::optional<std::int64_t> sort_value(const conversation& c, sort_field f) noexcept {
  switch (f) {
    case sort_field::started_at: return c.started_at;
    case sort_field::created_at: return c.created_at;
    case sort_field::updated_at: return c.updated_at;
    case sort_field::duration_ms: return c.duration_ms;
  }
  return std::nullopt;
}

sort_key key_of(const conversation& c, const sort_spec& s) { return sort_key{sort_value(c, s.field), c.id}; }

bool before(const sort_key& a, const sort_key& b, const sort_spec& s) noexcept {
  if (a.value.has_value() != b.value.has_value()) return a.value.has_value();  // nulls last, either direction
  if (a.value && *a.value != *b.value) return s.descending ? *a.value > *b.value : *a.value < *b.value;
  return a.id < b.id;
}

}  // namespace cgw
