#include "gateway/core/conversation.hpp"

#include <algorithm>
#include <cmath>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

namespace cgw {
namespace {

namespace json = boost::json;

// The public object's members, in order, once for every sink: json_writer (the answer's bytes)
// and dom_sink (the json::object of to_json), so that the two forms cannot drift apart.
template <class Sink>
void put(Sink& s, const std::string& v) {
  s.string(v);
}
template <class Sink>
void put(Sink& s, const opt_string& v) {
  v ? s.string(*v) : s.null();
}
template <class Sink>
void put(Sink& s, const std::optional<std::int64_t>& n) {
  n ? s.int64(*n) : s.null();
}
template <class Sink>
void put(Sink& s, const std::optional<double>& n) {
  n ? s.number(*n) : s.null();
}
template <class Sink, class T>
void member(Sink& s, std::string_view name, const T& v) {
  s.plain_key(name);
  put(s, v);
}
// An instant (micros is an int64, so it needs its own name): RFC 3339 to the millisecond.
template <class Sink>
void time_member(Sink& s, std::string_view name, const std::optional<micros>& t) {
  s.plain_key(name);
  t ? s.string(rfc3339_ms_text(*t).view()) : s.null();
}

// `name`: an array of one object per item, whose members `fields` writes.
template <class Sink, class T, class F>
void object_array(Sink& s, std::string_view name, const std::vector<T>& items, F fields) {
  s.plain_key(name), s.begin_array();
  for (const auto& item : items) {
    s.begin_object();
    fields(item);
    s.end_object();
  }
  s.end_array();
}

template <class Sink>
void members(Sink& s, const conversation& c, bool include_raw) {
  member(s, "id", c.id);
  member(s, "vendor", c.vendor);
  member(s, "vendor_type", c.vendor_type);
  member(s, "native_id", c.native_id);
  member(s, "account_id", c.account_id);
  member(s, "title", c.title);
  member(s, "channel", c.channel);
  member(s, "platform", c.platform);
  member(s, "language", c.language);
  time_member(s, "started_at", c.started_at);
  time_member(s, "ended_at", c.ended_at);
  time_member(s, "created_at", c.created_at);
  time_member(s, "updated_at", c.updated_at);
  member(s, "duration_ms", c.duration_ms);
  object_array(s, "agents", c.agents, [&](const agent& a) {
    member(s, "id", a.id);
    member(s, "name", a.name);
  });
  object_array(s, "segments", c.segments, [&](const segment& g) {
    member(s, "id", g.id);
    member(s, "order", g.order);
    time_member(s, "started_at", g.started_at);
    member(s, "offset_s", g.offset_s);
    member(s, "talk_time_s", g.talk_time_s);
    member(s, "agent_name", g.agent_name);
  });
  object_array(s, "messages", c.messages, [&](const message& m) {
    member(s, "id", m.id);
    time_member(s, "sent_at", m.sent_at);
    member(s, "from", m.from);
    member(s, "to", m.to);
    member(s, "content", m.content);
    member(s, "sentiment", m.sentiment);
    member(s, "type", m.type);
  });
  member(s, "sentiment", c.sentiment);
  member(s, "summary", c.summary);
  s.plain_key("tags"), s.begin_array();
  for (const auto& t : c.tags) s.string(t);
  s.end_array();
  member(s, "score", c.score);
  member(s, "status", c.status);
  s.plain_key("links"), s.begin_object();
  for (auto it = c.links.begin(); it != c.links.end(); ++it) {
    // A name given twice keeps its first URL: a parser keeps the last of duplicate keys.
    auto same = [&](const auto& l) { return l.first == it->first; };
    if (std::any_of(c.links.begin(), it, same)) continue;
    s.key(it->first), s.string(it->second);
  }
  s.end_object();
  if (include_raw) {
    s.plain_key("raw");
    if (c.raw)
      s.dom(*c.raw);
    else
      s.begin_object(), s.end_object();
  }
}

// Builds a json::value in `sp` from the calls json_writer takes. The keys it is given (literals
// and the record's link names) outlive the build.
class dom_sink {
 public:
  explicit dom_sink(json::storage_ptr sp) : sp_(std::move(sp)) {}

  void begin_object() { open(json::object(sp_)); }
  void begin_array() { open(json::array(sp_)); }
  void end_object() { open_.pop_back(); }
  void end_array() { open_.pop_back(); }
  void key(std::string_view name) { key_ = name; }
  void plain_key(std::string_view name) { key_ = name; }
  void string(std::string_view s) { put(json::value(json::string_view(s), sp_)); }
  void null() { put(json::value(nullptr, sp_)); }
  void int64(std::int64_t n) { put(json::value(n, sp_)); }
  // As json_writer: JSON holds no NaN or infinity.
  void number(double d) {
    if (std::isfinite(d))
      put(json::value(d, sp_));
    else
      null();
  }
  void dom(const json::object& o) { put(json::value(o, sp_)); }

  json::value& root() { return root_; }

 private:
  json::value& put(json::value v) {
    if (open_.empty()) return root_ = std::move(v);
    json::value& top = *open_.back();
    if (top.is_array()) return top.get_array().emplace_back(std::move(v));
    return top.get_object().emplace(key_, std::move(v)).first->value();
  }
  // Only the innermost open container grows, so the addresses of the outer ones hold.
  void open(json::value v) { open_.push_back(&put(std::move(v))); }

  json::storage_ptr sp_;
  json::value root_;
  std::vector<json::value*> open_;
  std::string_view key_;
};

}  // namespace

void set_identity(conversation& c, std::string_view vendor, std::string_view vendor_type,
                  std::string native_id) {
  c.vendor = vendor;
  c.vendor_type = vendor_type;
  c.id.reserve(vendor.size() + 1 + native_id.size());
  c.id.assign(vendor).append(1, ':').append(native_id);
  c.native_id = std::move(native_id);
}

json::object to_json(const conversation& c, bool include_raw, const json::storage_ptr& sp) {
  dom_sink s(sp);
  s.begin_object();
  s.root().get_object().reserve(28);
  members(s, c, include_raw);
  s.end_object();
  return std::move(s.root().get_object());
}

void write_json(json_writer& w, const conversation& c, bool include_raw) {
  w.begin_object();
  members(w, c, include_raw);
  w.end_object();
}

void write_members(json_writer& w, const conversation& c, bool include_raw) {
  members(w, c, include_raw);
}

std::string_view to_string(sort_field f) noexcept {
  switch (f) {
    case sort_field::started_at:
      return "started_at";
    case sort_field::created_at:
      return "created_at";
    case sort_field::updated_at:
      return "updated_at";
    case sort_field::duration_ms:
      return "duration_ms";
  }
  return "started_at";
}

std::optional<std::int64_t> sort_value(const conversation& c, sort_field f) noexcept {
  switch (f) {
    case sort_field::started_at:
      return c.started_at;
    case sort_field::created_at:
      return c.created_at;
    case sort_field::updated_at:
      return c.updated_at;
    case sort_field::duration_ms:
      return c.duration_ms;
  }
  return std::nullopt;
}

sort_key key_of(const conversation& c, const sort_spec& s) {
  return sort_key{sort_value(c, s.field), c.id};
}

namespace {

bool before(const std::optional<std::int64_t>& a, std::string_view a_id, const std::optional<std::int64_t>& b,
            std::string_view b_id, const sort_spec& s) noexcept {
  if (a.has_value() != b.has_value()) return a.has_value();  // nulls last, either direction
  if (a && *a != *b) return s.descending ? *a > *b : *a < *b;
  return a_id < b_id;
}

}  // namespace

bool before(const sort_key& a, const sort_key& b, const sort_spec& s) noexcept {
  return before(a.value, a.id, b.value, b.id, s);
}

bool before(const sort_key& a, const conversation& b, const sort_spec& s) noexcept {
  return before(a.value, a.id, sort_value(b, s.field), b.id, s);
}

bool before(const sort_key& a, const sort_key_ref& b, const sort_spec& s) noexcept {
  return before(a.value, a.id, b.value, b.id, s);
}

bool before(const sort_key_ref& a, const sort_key_ref& b, const sort_spec& s) noexcept {
  return before(a.value, a.id, b.value, b.id, s);
}

}  // namespace cgw
