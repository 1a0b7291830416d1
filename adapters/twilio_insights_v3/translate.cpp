#include "adapters/twilio_insights_v3/translate.hpp"

#include "adapters/twilio_envelope.hpp"
#include "gateway/adapter/fields.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <optional>

#include <boost/json/array.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace cgw::adapters::twilio_insights_v3 {
namespace {

namespace json = boost::json;
using adapter::integer_at;
using adapter::member;
using adapter::object_at;
using adapter::text_of;
using adapter::time_at;

constexpr std::string_view domain_path = "/v3/InsightsDomains/Conversations";
constexpr std::string_view domain_name = "Conversations";

constexpr std::array<std::string_view, field_count> field_names{
    "native_id", "account_id", "title",      "channel",     "platform", "language",  "started_at",
    "ended_at",  "created_at", "updated_at", "duration_ms", "agents",   "sentiment", "summary",
};

constexpr std::array<std::string_view, 6> unified_channels{"voice", "video", "chat", "sms", "email", "other"};

bool has(const filter_set& s, filter f) {
  return s.test(static_cast<std::size_t>(f));
}
void mark(filter_set& s, filter f) {
  s.set(static_cast<std::size_t>(f));
}

}  // namespace

std::optional<field> field_of(filter f) {
  switch (f) {
    case filter::started_after:
    case filter::started_before:
      return field::started_at;
    case filter::created_after:
    case filter::created_before:
      return field::created_at;
    case filter::updated_after:
    case filter::updated_before:
      return field::updated_at;
    case filter::min_duration_ms:
    case filter::max_duration_ms:
      return field::duration_ms;
    case filter::language:
      return field::language;
    case filter::channel:
      return field::channel;
    case filter::platform:
      return field::platform;
    case filter::agent:
      return field::agents;
    case filter::account_id:
      return field::account_id;
    case filter::title:
    case filter::title_prefix:
      return field::title;
    case filter::id:
      return field::native_id;
    default:
      return std::nullopt;  // owner_id, user_id, person_id, segment_id
  }
}

namespace {

field field_of(sort_field f) {
  switch (f) {
    case sort_field::created_at:
      return field::created_at;
    case sort_field::updated_at:
      return field::updated_at;
    case sort_field::duration_ms:
      return field::duration_ms;
    default:
      return field::started_at;
  }
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::toupper(c); });
  return out;
}

std::string capitalized(std::string_view s) {
  std::string out = lower(s);
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

// Appends `value` unless it is already there (case variants often coincide: "en" / "en").
void add_once(json::array& values, std::string value) {
  if (std::find(values.begin(), values.end(), json::value(value)) == values.end()) values.emplace_back(value);
}

// Whole milliseconds around an instant: the vendor's time values carry milliseconds, so a
// bound is widened to the enclosing millisecond and the walk's own check makes it exact.
micros floor_ms(micros t) {
  return t - ((t % 1000) + 1000) % 1000;
}
micros ceil_ms(micros t) {
  return floor_ms(t + 999);
}

json::object leaf(std::string_view op, const std::string& dimension, json::array values) {
  return json::object{{"op", op}, {"field", dimension}, {"values", std::move(values)}};
}

// Top-level filter groups are ANDed; GT/LT are strict, so an inclusive bound is OR(GT|LT, EQ).
class filter_builder {
 public:
  void at_least(const std::string& dim, const std::string& v) { inclusive("GT", dim, v); }
  void at_most(const std::string& dim, const std::string& v) { inclusive("LT", dim, v); }
  void below(const std::string& dim, const std::string& v) { leaves_.push_back(leaf("LT", dim, {v})); }
  void in(const std::string& dim, json::array values) {
    leaves_.push_back(leaf("IN", dim, std::move(values)));
  }
  void equals(const std::string& dim, const std::string& v) { leaves_.push_back(leaf("EQ", dim, {v})); }

  json::array finish() && {
    json::array out;
    if (!leaves_.empty()) out.push_back(json::object{{"op", "AND"}, {"expressions", std::move(leaves_)}});
    for (auto& g : groups_) out.push_back(std::move(g));
    return out;
  }

 private:
  void inclusive(std::string_view strict, const std::string& dim, const std::string& v) {
    groups_.push_back(json::object{
        {"op", "OR"}, {"expressions", json::array{leaf(strict, dim, {v}), leaf("EQ", dim, {v})}}});
  }

  json::array leaves_;
  json::array groups_;
};

json::object order(const std::string& dimension, bool descending) {
  return json::object{{"field", dimension}, {"direction", descending ? "DESC" : "ASC"}};
}

json::object body_of(const dimension_map& dims, json::array filters, json::array order_by) {
  json::array dimensions;
  for (auto& d : dims.dimensions()) dimensions.emplace_back(d);
  return json::object{{"domain", domain_name},
                      {"query", json::object{{"measures", json::array{}},
                                             {"dimensions", std::move(dimensions)},
                                             {"filters", std::move(filters)},
                                             {"orderBy", std::move(order_by)}}}};
}

// Twilio's channel names are matched case-insensitively; anything outside the unified set is "other".
std::optional<std::string> unified_channel(std::optional<std::string> raw) {
  if (!raw || raw->empty()) return std::nullopt;
  std::string c = lower(*raw);
  return std::find(unified_channels.begin(), unified_channels.end(), c) != unified_channels.end() ? c
                                                                                                  : "other";
}

using adapter::json_path;
using adapter::json_scalar;
using adapter::kept_scalar;

// One dimension's value in an item as either path reads it: the value, and for an array its
// first element and its string elements.
struct dimension_value {
  bool seen = false, first_seen = false;
  kept_scalar value, first;
  std::vector<std::string> strings;

  void clear() { seen = first_seen = false, strings.clear(); }
  void begin(const json_scalar& v) {
    clear();
    seen = true;
    value.keep(v);
  }
  void element(std::size_t index, const json_scalar& v) {
    if (index == 0) first_seen = true, first.keep(v);
    if (v.is(json_scalar::kind::string)) strings.emplace_back(v.s);
  }
  bool is_array() const { return value.get().is(json_scalar::kind::array); }
};

// One Insights item read from its events (MAPPING.md): the mapping rules of both paths, the DOM's
// replayed and the streamed answer's. Item keys are dimension names, dots included
// ("OperatorResult.Value"); a vendor that nests them instead ({"OperatorResult": {"Value": ..}})
// is read too, but a key that is the whole name wins, even when its value is null.
class item_reader final : public adapter::json_events {
 public:
  explicit item_reader(const dimension_map& dims) {
    for (std::size_t f = 0; f < field_count; ++f) {
      slot& s = slots_[f];
      s.name = dims[static_cast<field>(f)];
      if (s.name.find('.') == std::string_view::npos) continue;
      for (std::size_t start = 0;;) {
        const std::size_t dot = s.name.find('.', start);
        s.steps.push_back(s.name.substr(start, dot == std::string_view::npos ? dot : dot - start));
        if (dot == std::string_view::npos) break;
        start = dot + 1;
      }
    }
  }

  // Before the next item.
  void reset() {
    object_ = false;
    for (slot& s : slots_) s.direct.clear(), s.nested.clear();
  }

  // `path` from the item itself (empty: the item).
  void on_value(json_path path, const json_scalar& v) override {
    if (!adapter::record_member(path, v, object_)) return;
    for (slot& s : slots_) {
      if (s.name.empty()) continue;
      if (path[0].key == s.name) feed(s.direct, path.size() - 1, path, v);
      if (s.steps.empty() || path.size() > s.steps.size() + 1) continue;
      bool on_steps = true;
      for (std::size_t n = 0; n < path.size() && n < s.steps.size() && on_steps; ++n)
        on_steps = !path[n].element && path[n].key == s.steps[n];
      if (!on_steps) continue;
      if (path.size() < s.steps.size())
        s.nested.clear();  // a new holder: its members refill it
      else
        feed(s.nested, path.size() - s.steps.size(), path, v);
    }
  }
  void on_end(json_path) override {}

  result<conversation> finish(std::string_view vendor) {
    conversation c;
    if (auto failed = finish_into(c, vendor)) return *failed;
    return c;
  }

  // Fills `c` (a fresh record, already in its place) with the item; the failure when it is not one.
  std::optional<failure> finish_into(conversation& c, std::string_view vendor) {
    if (!object_) return failure::make(errc::upstream_error, "an Insights item is not an object");
    auto id = text(field::native_id);
    if (!id || id->empty())
      return failure::make(
          errc::upstream_error,
          "an Insights item has no " + std::string(slots_[static_cast<std::size_t>(field::native_id)].name));
    set_identity(c, vendor, type_name, std::move(*id));
    c.account_id = text(field::account_id);
    c.title = text(field::title);
    c.channel = unified_channel(text(field::channel));
    c.platform = text(field::platform);
    if (auto lang = text(field::language); lang && !lang->empty()) c.language = canonical_language(*lang);
    c.started_at = time(field::started_at);
    c.ended_at = time(field::ended_at);
    c.created_at = time(field::created_at);
    c.updated_at = time(field::updated_at);
    if (const dimension_value* d = value_of(field::duration_ms))
      c.duration_ms = adapter::integer_of(d->value.get());
    if (const dimension_value* names = value_of(field::agents)) {
      if (names->is_array())
        for (const auto& n : names->strings) c.agents.push_back(agent{std::nullopt, n});
      else if (names->value.get().is(json_scalar::kind::string))
        c.agents.push_back(agent{std::nullopt, std::string(names->value.get().s)});
    }
    c.sentiment = text(field::sentiment);
    c.summary = text(field::summary);
    return std::nullopt;
  }

 private:
  struct slot {
    std::string_view name;                // the dimension, "" when unmapped
    std::vector<std::string_view> steps;  // its dotted parts, when it has a dot
    dimension_value direct, nested;
  };

  // A value at `below` levels under a slot's path: the value itself, or an element of it.
  static void feed(dimension_value& d, std::size_t below, json_path path, const json_scalar& v) {
    if (below == 0)
      d.begin(v);
    else if (below == 1 && path.back().element && d.seen)
      d.element(path.back().index, v);
  }

  const dimension_value* value_of(field f) const {
    const slot& s = slots_[static_cast<std::size_t>(f)];
    if (s.direct.seen) return &s.direct;
    return s.nested.seen ? &s.nested : nullptr;
  }
  // A text dimension's value; an array stands for its first element ("Languages[0]").
  std::optional<std::string> text(field f) const {
    const dimension_value* d = value_of(f);
    if (!d) return std::nullopt;
    if (d->is_array()) return d->first_seen ? adapter::text_of(d->first.get()) : std::nullopt;
    return adapter::text_of(d->value.get());
  }
  std::optional<micros> time(field f) const {
    const dimension_value* d = value_of(f);
    return d ? adapter::time_of(d->value.get()) : std::nullopt;
  }

  bool object_ = false;
  std::array<slot, field_count> slots_;
};

// The items of one top-level array: each mapped, the first failure kept (the DOM path stops at it).
class item_list final : public adapter::json_events {
 public:
  explicit item_list(const dimension_map& dims, std::string_view vendor) : item_(dims), vendor_(vendor) {}

  // `path` from the array (its elements: path[0]).
  void on_value(json_path path, const json_scalar& v) override {
    if (path.size() == 1) item_.reset();
    item_.on_value(path.subspan(1), v);
    if (path.size() == 1 && !v.is(json_scalar::kind::object) && !v.is(json_scalar::kind::array)) end_item();
  }
  void on_end(json_path path) override {
    if (path.size() == 1) end_item();
  }

  std::vector<conversation> records;
  std::optional<failure> error;

 private:
  // Each record is built in its place: a page's records are not moved once more.
  void end_item() {
    if (error) return;
    if (records.empty()) records.reserve(expected_records);
    if (auto failed = item_.finish_into(records.emplace_back(), vendor_)) {
      error = std::move(failed);
      records.pop_back();
    }
  }

  static constexpr std::size_t expected_records = 64;  // a page of 50 and the walk's margin

  item_reader item_;
  std::string_view vendor_;
};

// A query answer read from its events: {items: [...], meta: {key, nextToken}}, in any order.
using page_reader = meta_keyed_answer<item_list>;

}  // namespace

std::string_view to_string(field f) noexcept {
  return field_names[static_cast<std::size_t>(f)];
}

std::vector<std::string> dimension_map::dimensions() const {
  std::vector<std::string> out;
  for (const auto& name : names_)
    if (!name.empty() && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  return out;
}

dimension_map default_dimensions() {
  dimension_map m;
  m[field::native_id] = "Id";
  m[field::started_at] = "DateCreated";
  m[field::created_at] = "DateCreated";
  m[field::language] = "Languages";
  m[field::channel] = "Channels";
  m[field::sentiment] = "OperatorResult.Value";
  m[field::duration_ms] = "Duration";
  m[field::agents] = "AgentNames";
  return m;
}

result<dimension_map> read_dimension_options(const json::object& options, std::string_view key_prefix) {
  dimension_map m = default_dimensions();
  const std::string base = std::string(key_prefix) + ".dimensions";
  const json::value* given = member(options, "dimensions");
  if (!given) return m;
  if (!given->is_object())
    return failure::make(errc::invalid_parameter,
                         base + ": expected an object of unified field -> dimension name", base);
  for (const auto& [key, value] : given->get_object()) {
    const std::string path = base + "." + std::string(key);
    const auto it = std::find(field_names.begin(), field_names.end(), std::string_view(key));
    if (it == field_names.end())
      return failure::make(errc::invalid_parameter, path + ": unknown unified field", path);
    const auto f = static_cast<field>(it - field_names.begin());
    if (value.is_null()) {
      m[f].clear();
    } else if (value.is_string() && !value.get_string().empty()) {
      m[f] = std::string(value.get_string());
    } else {
      return failure::make(errc::invalid_parameter, path + ": expected a dimension name or null", path);
    }
  }
  if (!m.has(field::native_id)) {
    const std::string path = base + ".native_id";
    return failure::make(errc::invalid_parameter,
                         path + ": required: the dimension that identifies a conversation", path);
  }
  return m;
}

result<std::set<std::string>> read_metadata(const json::value& body) {
  const json::object* envelope = body.if_object();
  const json::value* cubes = envelope ? member(*envelope, "cubes") : nullptr;
  if (!cubes || !cubes->is_array())
    return failure::make(errc::upstream_error, "the Insights Metadata answer has no cubes array");
  std::set<std::string> names;
  for (const auto& cube : cubes->get_array()) {
    const json::value* dims = cube.is_object() ? member(cube.get_object(), "dimensions") : nullptr;
    if (!dims || !dims->is_array()) continue;
    for (const auto& d : dims->get_array())
      if (auto name = d.is_object() ? adapter::text_at(d.get_object(), "name") : std::nullopt)
        names.insert(*name);
  }
  return names;
}

dimension_map present_in(const dimension_map& configured, const std::set<std::string>& cube,
                         std::vector<std::pair<field, std::string>>* missing) {
  dimension_map out = configured;
  for (std::size_t i = 0; i < field_count; ++i) {
    const auto f = static_cast<field>(i);
    if (!out.has(f) || cube.contains(out[f])) continue;
    if (missing) missing->emplace_back(f, out[f]);
    out[f].clear();
  }
  return out;
}

filter_set absent_filters(const dimension_map& dims) {
  filter_set out;
  for (std::size_t i = 0; i < filter_count; ++i) {
    const auto on = field_of(static_cast<filter>(i));
    if (!on || !dims.has(*on)) out.set(i);
  }
  return out;
}

filter_set pushable_filters(const dimension_map& dims) {
  filter_set out;
  // platform and agent compare case-insensitively and title_prefix has no operator: they stay local.
  for (filter f :
       {filter::started_after, filter::started_before, filter::created_after, filter::created_before,
        filter::updated_after, filter::updated_before, filter::min_duration_ms, filter::max_duration_ms,
        filter::language, filter::channel, filter::account_id, filter::title, filter::id})
    if (dims.has(*field_of(f))) mark(out, f);
  return out;
}

filter_set pushed_down(const list_query& q, const dimension_map& dims) {
  filter_set out = q.filters() & pushable_filters(dims);
  // "other" stands for every channel name outside the unified set: no IN list can say that.
  if (std::find(q.channels.begin(), q.channels.end(), "other") != q.channels.end())
    out.reset(static_cast<std::size_t>(filter::channel));
  return out;
}

bool native_sort(sort_field f, const dimension_map& dims) {
  return dims.has(field_of(f));
}

json::object query_body(const adapter::page_ask& ask, const dimension_map& dims, std::string_view vendor) {
  const list_query& q = ask.query;
  const filter_set push = pushed_down(q, dims);
  filter_builder b;
  const auto time_range = [&](filter after, filter before, field f, const std::optional<micros>& from,
                              const std::optional<micros>& to) {
    if (has(push, after)) b.at_least(dims[f], format_rfc3339_ms(floor_ms(*from)));
    if (has(push, before)) b.below(dims[f], format_rfc3339_ms(ceil_ms(*to)));
  };
  time_range(filter::started_after, filter::started_before, field::started_at, q.started_after,
             q.started_before);
  time_range(filter::created_after, filter::created_before, field::created_at, q.created_after,
             q.created_before);
  time_range(filter::updated_after, filter::updated_before, field::updated_at, q.updated_after,
             q.updated_before);
  // Durations are whole milliseconds (MAPPING.md), so the inclusive bounds are exact.
  if (has(push, filter::min_duration_ms))
    b.at_least(dims[field::duration_ms], std::to_string(*q.min_duration_ms));
  if (has(push, filter::max_duration_ms))
    b.at_most(dims[field::duration_ms], std::to_string(*q.max_duration_ms));

  const field sort_on = field_of(q.sort.field);
  const bool sorted = ask.sorted && dims.has(sort_on);
  if (sorted && ask.bound) {  // the keyset walk's inclusive watermark
    const bool duration = q.sort.field == sort_field::duration_ms;
    const micros bound = *ask.bound;
    if (q.sort.descending)
      b.at_most(dims[sort_on], duration ? std::to_string(bound) : format_rfc3339_ms(ceil_ms(bound)));
    else
      b.at_least(dims[sort_on], duration ? std::to_string(bound) : format_rfc3339_ms(floor_ms(bound)));
  }

  // Equality on strings is exact and case-sensitive (MAPPING.md): send the spellings the vendor uses.
  if (has(push, filter::language)) {
    json::array values;
    for (const auto& l : q.languages) {
      add_once(values, canonical_language(l));
      add_once(values, lower(l));
    }
    b.in(dims[field::language], std::move(values));
  }
  if (has(push, filter::channel)) {
    json::array values;
    for (const auto& c : q.channels) {
      add_once(values, c);
      add_once(values, capitalized(c));
      add_once(values, upper(c));
    }
    b.in(dims[field::channel], std::move(values));
  }
  if (has(push, filter::account_id)) {
    json::array values;
    for (const auto& a : q.account_ids) add_once(values, a);
    b.in(dims[field::account_id], std::move(values));
  }
  if (has(push, filter::title)) b.equals(dims[field::title], *q.title);
  if (has(push, filter::id)) {
    json::array values;
    for (auto& id : q.native_ids_for(vendor)) add_once(values, std::move(id));
    b.in(dims[field::native_id], std::move(values));
  }

  // Id breaks ties so that the vendor's pages never reshuffle records that share a sort value.
  json::array order_by;
  if (sorted) order_by.push_back(order(dims[sort_on], q.sort.descending));
  order_by.push_back(order(dims[field::native_id], false));
  return body_of(dims, std::move(b).finish(), std::move(order_by));
}

json::object get_body(std::string_view native_id, const dimension_map& dims) {
  filter_builder b;
  b.equals(dims[field::native_id], std::string(native_id));
  return body_of(dims, std::move(b).finish(), json::array{order(dims[field::native_id], false)});
}

std::string metadata_target(std::string_view path_prefix) {
  return std::string(path_prefix) + std::string(domain_path) + "/Metadata";
}

std::string query_target(std::string_view path_prefix, std::size_t page_size) {
  return std::string(path_prefix) + std::string(domain_path) + "/Query?pageSize=" + std::to_string(page_size);
}

std::string next_page_target(std::string_view path_prefix, std::string_view page_token) {
  // Tokens are base64 ("eyJ...fQ="): '+' would read as a space and '=' or '/' confuse some
  // parsers, so everything but unreserved characters is percent-encoded.
  return std::string(path_prefix) + std::string(domain_path) +
         "/Query?pageToken=" + boost::urls::encode(page_token, boost::urls::unreserved_chars);
}

result<conversation> to_conversation(const json::value& item, const dimension_map& dims,
                                     std::string_view vendor) {
  item_reader reader(dims);
  adapter::replay(item, reader);
  return reader.finish(vendor);
}

result<adapter::vendor_page> read_page(const adapter::vendor_body& body, const dimension_map& dims,
                                       std::string_view vendor) {
  const json::object* envelope = body.value().if_object();
  if (!envelope) return failure::make(errc::upstream_error, "the Insights answer is not an object");
  const json::object* meta = object_at(*envelope, "meta");
  // meta.key names the list ("items"); a key naming nothing falls back to the documented one.
  const json::value* items = nullptr;
  if (auto key = meta ? adapter::text_at(*meta, "key") : std::nullopt) items = member(*envelope, *key);
  if (!items || !items->is_array()) items = member(*envelope, "items");
  if (!items || !items->is_array())
    return failure::make(errc::upstream_error, "the Insights answer has no items array");
  adapter::vendor_page page;
  page.records.reserve(items->get_array().size());
  for (const auto& item : items->get_array()) {
    auto c = to_conversation(item, dims, vendor);
    if (!c) return c.error();
    c->raw = body.share(item.get_object());
    page.records.push_back(std::move(*c));
  }
  // An absent and a null nextToken both mean the last page.
  if (auto next = meta ? adapter::text_at(*meta, "nextToken") : std::nullopt; next && !next->empty())
    page.next = std::move(*next);
  return page;
}

result<adapter::vendor_page> read_page(std::string_view text, const dimension_map& dims,
                                       std::string_view vendor) {
  page_reader reader(item_list(dims, vendor), "nextToken");
  if (auto parsed = adapter::read_events(text, reader); !parsed) return parsed.error();
  if (!reader.is_object()) return failure::make(errc::upstream_error, "the Insights answer is not an object");
  // meta.key names the list ("items"); a key naming nothing falls back to the documented one.
  item_list* items = reader.key() ? reader.find(*reader.key()) : nullptr;
  if (!items) items = reader.find("items");
  if (!items) return failure::make(errc::upstream_error, "the Insights answer has no items array");
  if (items->error) return *items->error;
  adapter::vendor_page page;
  page.records = std::move(items->records);
  // An absent and a null nextToken both mean the last page.
  if (auto& next = reader.next(); next && !next->empty()) page.next = std::move(*next);
  return page;
}

}  // namespace cgw::adapters::twilio_insights_v3

namespace cgw::adapters::twilio_insights_v3 {
namespace {

constexpr std::array<std::string_view, cube_measure_count> measure_keys{
    "count", "duration_ms.sum", "duration_ms.count", "duration_ms.min", "duration_ms.max"};

// The unified field whose dimension a group field reads; nullopt: no dimension can (vendor, status).
std::optional<field> grouped_field(const group_field& g) {
  switch (g.kind) {
    case group_kind::channel:
      return field::channel;
    case group_kind::platform:
      return field::platform;
    case group_kind::language:
      return field::language;
    case group_kind::agent:
      return field::agents;
    case group_kind::sentiment:
      return field::sentiment;
    case group_kind::time:
      return g.time == sort_field::created_at   ? field::created_at
             : g.time == sort_field::updated_at ? field::updated_at
                                                : field::started_at;
    default:
      return std::nullopt;
  }
}

// A measure's value: a number, or a numeric string (item values may be either).
std::optional<double> number_in(const json::object& item, const std::string& name) {
  const json::value* v = item.if_contains(name);
  if (!v) return std::nullopt;
  if (v->is_number()) return v->to_number<double>();
  if (v->is_string()) {
    const std::string text(v->get_string());
    char* end = nullptr;
    const double d = std::strtod(text.c_str(), &end);
    if (!text.empty() && end == text.c_str() + text.size()) return d;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(cube_measure m) noexcept {
  return measure_keys[static_cast<std::size_t>(m)];
}

measure_map default_measures() {
  measure_map m;
  m[cube_measure::count] = "Count";
  m[cube_measure::duration_sum] = "TotalDuration";
  m[cube_measure::duration_count] = "DurationCount";
  m[cube_measure::duration_min] = "MinDuration";
  m[cube_measure::duration_max] = "MaxDuration";
  return m;
}

result<measure_map> read_measure_options(const json::object& options, std::string_view key_prefix) {
  measure_map m = default_measures();
  const std::string base = std::string(key_prefix) + ".measures";
  const json::value* given = member(options, "measures");
  if (!given) return m;
  if (!given->is_object())
    return failure::make(errc::invalid_parameter,
                         base + ": expected an object of unified aggregate -> measure name", base);
  for (const auto& [key, value] : given->get_object()) {
    const std::string path = base + "." + std::string(key);
    const auto it = std::find(measure_keys.begin(), measure_keys.end(), std::string_view(key));
    if (it == measure_keys.end())
      return failure::make(errc::invalid_parameter,
                           path +
                               ": unknown aggregate (expected count, duration_ms.sum, duration_ms.count, "
                               "duration_ms.min or duration_ms.max)",
                           path);
    const auto f = static_cast<cube_measure>(it - measure_keys.begin());
    if (value.is_null())
      m[f].clear();
    else if (value.is_string() && !value.get_string().empty())
      m[f] = std::string(value.get_string());
    else
      return failure::make(errc::invalid_parameter, path + ": expected a measure name or null", path);
  }
  return m;
}

std::set<std::string> read_metadata_measures(const json::value& body) {
  std::set<std::string> names;
  const json::object* envelope = body.if_object();
  const json::value* cubes = envelope ? member(*envelope, "cubes") : nullptr;
  if (!cubes || !cubes->is_array()) return names;
  for (const auto& cube : cubes->get_array()) {
    const json::value* ms = cube.is_object() ? member(cube.get_object(), "measures") : nullptr;
    if (!ms || !ms->is_array()) continue;
    for (const auto& m : ms->get_array())
      if (auto name = m.is_object() ? adapter::text_at(m.get_object(), "name") : std::nullopt)
        names.insert(*name);
  }
  return names;
}

measure_map measures_present_in(const measure_map& configured, const std::set<std::string>& cube,
                                std::vector<std::pair<cube_measure, std::string>>* missing) {
  measure_map out = configured;
  for (std::size_t i = 0; i < cube_measure_count; ++i) {
    const auto m = static_cast<cube_measure>(i);
    if (!out.has(m) || cube.contains(out[m])) continue;
    if (missing) missing->emplace_back(m, out[m]);
    out[m].clear();
  }
  return out;
}

std::variant<json::object, std::string> aggregate_body(const stats_query& q, const dimension_map& dims,
                                                       const measure_map& measures, std::string_view vendor,
                                                       bool forced) {
  if (q.needs_records() && !forced) return std::string("percentiles need the records");
  if (const filter_set local = q.filters.filters() & ~pushed_down(q.filters, dims); local.any())
    return "the filter " + std::string(to_string(static_cast<filter>(std::countr_zero(local.to_ulong())))) +
           " is applied by the gateway, so the cube's aggregates would include records it drops";
  std::vector<cube_measure> needed{cube_measure::count};
  if (q.wants(measure::sum) || q.wants(measure::avg))
    needed.insert(needed.end(), {cube_measure::duration_sum, cube_measure::duration_count});
  if (q.wants(measure::min)) needed.push_back(cube_measure::duration_min);
  if (q.wants(measure::max)) needed.push_back(cube_measure::duration_max);
  json::array names;
  for (auto m : needed) {
    if (!measures.has(m))
      return "the cube has no measure for " + std::string(to_string(m)) + " (options.measures." +
             std::string(to_string(m)) + ")";
    names.emplace_back(measures[m]);
  }
  json::array dimensions;
  for (const auto& g : q.group_by) {
    const auto f = grouped_field(g);
    if (!f || !dims.has(*f)) continue;  // no dimension: every group value is null, as for its records
    if (std::find(dimensions.begin(), dimensions.end(), json::value(dims[*f])) == dimensions.end())
      dimensions.emplace_back(dims[*f]);
  }
  // IN on a list dimension matches any element, the unified filter only the first (MAPPING.md): the
  // filtered list dimensions are grouped by too, so that each group can be judged by its first element.
  for (filter f : {filter::language, filter::channel}) {
    const std::string& d = dims[*field_of(f)];
    if (q.filters.filters().test(static_cast<std::size_t>(f)) &&
        std::find(dimensions.begin(), dimensions.end(), json::value(d)) == dimensions.end())
      dimensions.emplace_back(d);
  }
  const adapter::page_ask ask{q.filters, false, std::nullopt, {}, max_per_page};
  json::object base = query_body(ask, dims, vendor);
  json::object& query = base.at("query").as_object();
  query["measures"] = std::move(names);
  query["dimensions"] = std::move(dimensions);
  query["orderBy"] =
      json::array{};  // grouped answers come in the cube's order; rows are ordered by the gateway
  return base;
}

result<void> add_aggregate_items(const json::array& items, const stats_query& q, const dimension_map& dims,
                                 const measure_map& measures, std::string_view vendor, stats_table& table) {
  for (const auto& item : items) {
    if (!item.is_object()) return failure::make(errc::upstream_error, "an Insights item is not an object");
    // The item's dimensions read exactly as a record's would (first list element, channel and
    // language spellings), so both methods give the same group values.
    json::object as_record = item.get_object();
    as_record[dims[field::native_id]] = "aggregate";
    auto c = to_conversation(as_record, dims, vendor);
    if (!c) return c.error();
    const filter_set set = q.filters.filters();
    if ((has(set, filter::language) && !q.filters.matches(*c, filter::language)) ||
        (has(set, filter::channel) && !q.filters.matches(*c, filter::channel)))
      continue;  // the vendor's IN matched a later element of the list

    const json::object& o = item.get_object();
    partial p;
    p.complete = false;
    p.count = static_cast<std::uint64_t>(number_in(o, measures[cube_measure::count]).value_or(0));
    if (measures.has(cube_measure::duration_count))
      p.with_duration =
          static_cast<std::uint64_t>(number_in(o, measures[cube_measure::duration_count]).value_or(0));
    if (measures.has(cube_measure::duration_sum))
      p.sum = static_cast<std::int64_t>(
          std::llround(number_in(o, measures[cube_measure::duration_sum]).value_or(0)));
    if (measures.has(cube_measure::duration_min))
      if (auto v = number_in(o, measures[cube_measure::duration_min])) p.min = std::llround(*v);
    if (measures.has(cube_measure::duration_max))
      if (auto v = number_in(o, measures[cube_measure::duration_max])) p.max = std::llround(*v);
    if (p.count == 0) continue;
    for (const auto& key : group_keys(*c, q)) table.merge(key, p);
  }
  return {};
}

}  // namespace cgw::adapters::twilio_insights_v3
