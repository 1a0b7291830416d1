#include "gateway/core/conversation.hpp"

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

namespace cgw {
namespace {

namespace json = boost::json;

json::value str(const opt_string& s) { return s ? json::value(*s) : json::value(nullptr); }
json::value when(const std::optional<micros>& t) {
  return t ? json::value(format_rfc3339_ms(*t)) : json::value(nullptr);
}
template <class T>
json::value num(const std::optional<T>& n) {
  return n ? json::value(*n) : json::value(nullptr);
}

}  // namespace

void set_identity(conversation& c, std::string_view vendor, std::string_view vendor_type, std::string native_id) {
  c.vendor = vendor;
  c.vendor_type = vendor_type;
  c.id.reserve(vendor.size() + 1 + native_id.size());
  c.id.assign(vendor).append(1, ':').append(native_id);
  c.native_id = std::move(native_id);
}

json::object to_json(const conversation& c, bool include_raw) {
  json::object o;
  o.reserve(28);
  o.emplace("id", c.id);
  o.emplace("vendor", c.vendor);
  o.emplace("vendor_type", c.vendor_type);
  o.emplace("native_id", c.native_id);
  o.emplace("account_id", str(c.account_id));
  o.emplace("title", str(c.title));
  o.emplace("channel", str(c.channel));
  o.emplace("platform", str(c.platform));
  o.emplace("language", str(c.language));
  o.emplace("started_at", when(c.started_at));
  o.emplace("ended_at", when(c.ended_at));
  o.emplace("created_at", when(c.created_at));
  o.emplace("updated_at", when(c.updated_at));
  o.emplace("duration_ms", num(c.duration_ms));
  json::array agents;
  for (const auto& a : c.agents) agents.push_back(json::object{{"id", str(a.id)}, {"name", str(a.name)}});
  o.emplace("agents", std::move(agents));
  json::array segments;
  for (const auto& s : c.segments)
    segments.push_back(json::object{{"id", str(s.id)},
                                    {"order", num(s.order)},
                                    {"started_at", when(s.started_at)},
                                    {"offset_s", num(s.offset_s)},
                                    {"talk_time_s", num(s.talk_time_s)},
                                    {"agent_name", str(s.agent_name)}});
  o.emplace("segments", std::move(segments));
  json::array messages;
  for (const auto& m : c.messages)
    messages.push_back(json::object{{"id", str(m.id)},
                                    {"sent_at", when(m.sent_at)},
                                    {"from", str(m.from)},
                                    {"to", str(m.to)},
                                    {"content", str(m.content)},
                                    {"sentiment", str(m.sentiment)},
                                    {"type", str(m.type)}});
  o.emplace("messages", std::move(messages));
  o.emplace("sentiment", str(c.sentiment));
  o.emplace("summary", str(c.summary));
  json::array tags;
  for (const auto& t : c.tags) tags.emplace_back(t);
  o.emplace("tags", std::move(tags));
  o.emplace("score", num(c.score));
  o.emplace("status", str(c.status));
  json::object links;
  for (const auto& [name, url] : c.links) links.emplace(name, url);
  o.emplace("links", std::move(links));
  if (include_raw) o.emplace("raw", c.raw ? *c.raw : json::object());
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
