#include "adapters/salesloft/translate.hpp"

#include "gateway/adapter/fields.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <map>

#include <boost/url/encode.hpp>
#include <boost/url/rfc/pchars.hpp>
#include <boost/url/url.hpp>

namespace cgw::adapters::salesloft {
namespace {

namespace json = boost::json;
using adapter::integer_at;
using adapter::object_at;

constexpr std::string_view list_path = "/v2/conversations";

bool has(const filter_set& s, filter f) {
  return s.test(static_cast<std::size_t>(f));
}

bool same_ascii(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(),
                    [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
}

void add_once(std::vector<std::string>& values, std::string_view v) {
  if (std::find(values.begin(), values.end(), v) == values.end()) values.emplace_back(v);
}

// "pt-BR, xx-YY", for a note.
std::string joined(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : ", ") + v;
  return out;
}

std::string_view sort_by(sort_field f) {
  switch (f) {
    case sort_field::updated_at:
      return "updated_at";
    case sort_field::duration_ms:
      return "duration";
    default:
      return "created_at";
  }
}

using adapter::json_path;
using adapter::json_scalar;

// One Salesloft record read from its events (MAPPING.md): the mapping rules of both paths, the
// DOM's replayed and the streamed answer's. Each value assigns what it feeds, so a duplicated key
// reads as its last value, as the DOM keeps it.
class record_reader final : public adapter::json_events {
 public:
  // `path` from the record itself (empty: the record).
  void on_value(json_path path, const json_scalar& v) override {
    if (!adapter::record_member(path, v, object_)) return;
    const std::string_view key = path[0].key;
    if (path.size() == 1) {
      // By length first: one comparison for most members, not a chain of them (the hottest branch
      // of a Salesloft page's parse).
      switch (key.size()) {
        case 2:
          if (key == "id") return void(id_ = adapter::text_of(v));
          break;
        case 5:
          if (key == "title") return void(title_ = adapter::text_of(v));
          break;
        case 8:
          if (key == "platform") return void(platform_ = adapter::text_of(v));
          if (key == "duration") return void(duration_ms_ = adapter::integer_of(v));
          if (key == "owner_id") return void(owner_id_ = adapter::text_of(v));
          break;
        case 9:
          if (key == "user_guid") return void(user_id_ = adapter::text_of(v));
          break;
        case 10:
          if (key == "created_at") return void(created_at_ = adapter::time_of(v));
          if (key == "updated_at") return void(updated_at_ = adapter::time_of(v));
          if (key == "media_type") return void(media_type_ = adapter::text_of(v));
          break;
        case 13:
          if (key == "language_code") return void(language_ = adapter::text_of(v));
          break;
        case 14:
          if (key == "event_end_date") return void(ended_at_ = adapter::time_of(v));
          break;
        case 16:
          if (key == "event_start_date") return void(started_at_ = adapter::time_of(v));
          break;
        default:
          break;
      }
      if (opt_string* ref = ref_of(key)) ref->reset();  // refilled from the object's member
      return;
    }
    // A reference object's member: account.id, person.id, recording._href, transcription._href.
    if (path.size() != 2 || path[1].element) return;
    const std::string_view member = path[1].key;
    if (opt_string* ref = ref_of(key);
        ref && member == (key == "account" || key == "person" ? "id" : "_href"))
      *ref = adapter::text_of(v);
  }
  void on_end(json_path) override {}

  result<conversation> finish(std::string_view vendor) && {
    conversation c;
    if (auto failed = std::move(*this).finish_into(c, vendor)) return *failed;
    return c;
  }

  // The same into `c` (a fresh record), for a page that builds its records in place.
  std::optional<failure> finish_into(conversation& c, std::string_view vendor) && {
    if (!object_) return failure::make(errc::upstream_error, "a Salesloft record is not an object");
    if (!id_ || id_->empty()) return failure::make(errc::upstream_error, "a Salesloft record has no id");
    set_identity(c, vendor, type_name, std::move(*id_));
    c.account_id = std::move(account_id_);
    c.title = std::move(title_);
    if (media_type_)
      c.channel = *media_type_ == "audio" ? "voice" : *media_type_ == "video" ? "video" : "other";
    c.platform = std::move(platform_);
    c.language = std::move(language_);
    c.created_at = created_at_;
    c.updated_at = updated_at_;
    c.started_at = started_at_ ? started_at_ : created_at_;
    c.ended_at = ended_at_;
    c.duration_ms = duration_ms_;
    c.owner_id = std::move(owner_id_);
    c.user_id = std::move(user_id_);
    c.person_id = std::move(person_id_);
    if (c.owner_id) c.agents.push_back(agent{c.owner_id, std::nullopt});
    c.links.reserve(static_cast<std::size_t>(recording_.has_value()) + transcription_.has_value());
    if (recording_) c.links.emplace_back("recording", std::move(*recording_));
    if (transcription_) c.links.emplace_back("transcript", std::move(*transcription_));
    return std::nullopt;
  }

 private:
  opt_string* ref_of(std::string_view key) {
    if (key == "account") return &account_id_;
    if (key == "person") return &person_id_;
    if (key == "recording") return &recording_;
    if (key == "transcription") return &transcription_;
    return nullptr;
  }

  bool object_ = false;
  opt_string id_, title_, media_type_, platform_, language_, owner_id_, user_id_;
  opt_string account_id_, person_id_, recording_, transcription_;
  std::optional<micros> created_at_, updated_at_, started_at_, ended_at_;
  std::optional<std::int64_t> duration_ms_;
};

// Room made for a page's records at once (the gateway asks for at most 100; most pages are smaller).
constexpr std::size_t expected_records = 64;

// A list answer read from its events: {data: [records], metadata: {paging: {next_page}}}.
class page_reader final : public adapter::json_events {
 public:
  explicit page_reader(std::string_view vendor) : vendor_(vendor) {}

  void on_value(json_path path, const json_scalar& v) override {
    if (path.empty()) {
      envelope_ = v.is(json_scalar::kind::object);
      return;
    }
    if (!envelope_) return;
    if (path.size() == 1)
      member_ = path[0].key == "data"       ? member::data
                : path[0].key == "metadata" ? member::metadata
                                            : member::other;
    if (member_ == member::data) {
      if (path.size() == 1) {  // a later "data" replaces an earlier one, as in the DOM
        data_ = v.is(json_scalar::kind::array);
        records_.clear();
        records_.reserve(expected_records);
        error_.reset();
      } else if (data_) {
        if (path.size() == 2) record_ = record_reader{};
        record_.on_value(path.subspan(2), v);
        if (path.size() == 2 && !v.is(json_scalar::kind::object) && !v.is(json_scalar::kind::array))
          end_record();
      }
    } else if (member_ == member::metadata) {
      const bool paging = path.size() >= 2 && !path[1].element && path[1].key == "paging";
      if (path.size() == 1 || (path.size() == 2 && paging))
        next_.reset();
      else if (paging && path.size() == 3 && !path[2].element && path[2].key == "next_page")
        next_ = adapter::integer_of(v);
    }
  }
  void on_end(json_path path) override {
    if (data_ && path.size() == 2 && member_ == member::data) end_record();
  }

  result<adapter::vendor_page> finish() && {
    if (!envelope_ || !data_)
      return failure::make(errc::upstream_error, "the Salesloft answer has no data array");
    if (error_) return *error_;
    adapter::vendor_page page;
    page.records = std::move(records_);
    if (next_ && *next_ > 0) page.next = std::to_string(*next_);
    return page;
  }

 private:
  void end_record() {
    if (error_) return;  // the DOM path stops at the first: the rest is only read to the end
    if (auto failed = std::move(record_).finish_into(records_.emplace_back(), vendor_)) {
      records_.pop_back();
      error_ = std::move(failed);
    }
  }

  std::string_view vendor_;
  bool envelope_ = false, data_ = false;
  enum class member { other, data, metadata } member_ = member::other;  // the top-level member being read
  record_reader record_;
  std::vector<conversation> records_;
  std::optional<failure> error_;
  std::optional<std::int64_t> next_;
};

// A single-record answer read from its events: {data: {...}}.
class one_reader final : public adapter::json_events {
 public:
  void on_value(json_path path, const json_scalar& v) override {
    if (path.empty()) {
      envelope_ = v.is(json_scalar::kind::object);
      return;
    }
    if (!envelope_ || path[0].key != "data") return;
    if (path.size() == 1) data_ = true, record_ = record_reader{};
    record_.on_value(path.subspan(1), v);
  }
  void on_end(json_path) override {}

  bool envelope_ = false, data_ = false;
  record_reader record_;
};

result<conversation> check_asked(result<conversation> c, std::string_view asked) {
  if (!c) return c;
  // A record under another id would be served under a unified id the client did not ask for (or
  // be another caller's answer read from a connection out of step).
  if (c->native_id != asked)
    return failure::make(errc::upstream_error,
                         "the vendor answered with another conversation than the one asked for");
  return c;
}

}  // namespace

vendor_values vendor_values_of(const list_query& q) {
  vendor_values out;
  // The unified filter is case-insensitive; Salesloft compares its documented spelling exactly.
  for (const auto& l : q.languages)
    for (std::string_view code : language_codes)
      if (same_ascii(l, code)) add_once(out.language_codes, code);
  for (const auto& p : q.platforms)  // lower case, as the vendor's values are
    if (std::find(platforms.begin(), platforms.end(), p) != platforms.end()) add_once(out.platforms, p);
  // chat, sms, email and other have no media_type: a Salesloft record is audio or video.
  for (const auto& c : q.channels) {
    if (c == "voice") add_once(out.media_types, "audio");
    if (c == "video") add_once(out.media_types, "video");
  }
  return out;
}

std::optional<std::string> nothing_matches(const list_query& q) {
  const vendor_values v = vendor_values_of(q);
  auto none = [](std::string_view filter, const std::vector<std::string>& values,
                 std::string_view parameter) {
    return "Salesloft has no " + std::string(parameter) + " for " + std::string(filter) + " " +
           joined(values) + ": no record of this vendor can match, it was not asked";
  };
  if (!q.languages.empty() && v.language_codes.empty()) return none("language", q.languages, "language_code");
  if (!q.platforms.empty() && v.platforms.empty()) return none("platform", q.platforms, "platform");
  if (!q.channels.empty() && v.media_types.empty()) return none("channel", q.channels, "media_type");
  return std::nullopt;
}

filter_set pushed_down(const list_query& q) {
  filter_set set = q.filters();
  filter_set out;
  auto push = [&](filter f, bool exact = true) {
    if (has(set, f) && exact) out.set(static_cast<std::size_t>(f));
  };
  // Each enumerated parameter takes one value: pushed when at most one value of the filter is one
  // the vendor has (the others match no Salesloft record anyway; none at all needs no call).
  const vendor_values values = vendor_values_of(q);
  push(filter::created_after), push(filter::created_before);
  push(filter::updated_after), push(filter::updated_before);
  push(filter::min_duration_ms), push(filter::max_duration_ms);
  push(filter::language, values.language_codes.size() <= 1);
  push(filter::platform, values.platforms.size() <= 1);
  push(filter::channel, values.media_types.size() <= 1);
  push(filter::account_id), push(filter::owner_id), push(filter::user_id), push(filter::person_id);
  push(filter::id), push(filter::title), push(filter::title_prefix);
  return out;
}

std::uint32_t page_cost(std::string_view continuation) {
  std::uint64_t page = 1;
  std::from_chars(continuation.data(), continuation.data() + continuation.size(), page);
  return page <= 100 ? 1 : page <= 150 ? 3 : page <= 250 ? 8 : page <= 500 ? 10 : 30;
}

std::string list_target(const adapter::page_ask& ask, std::string_view path_prefix, std::string_view vendor) {
  const list_query& q = ask.query;
  const filter_set push = pushed_down(q);
  boost::urls::url u;
  u.set_path(std::string(path_prefix) + std::string(list_path));
  auto params = u.params();

  // Range filters and the keyset bound share brackets: the tighter one wins.
  auto time_range = [&](std::string_view field, const std::optional<micros>& gte,
                        const std::optional<micros>& lt, bool keyed) {
    std::optional<micros> from = gte, to_incl;
    if (keyed && ask.bound) {
      if (ask.query.sort.descending)
        to_incl = ask.bound;
      else
        from = from ? std::max(*from, *ask.bound) : *ask.bound;
    }
    std::string f(field);
    if (from) params.append({f + "[gte]", format_rfc3339_us(*from)});
    if (lt) params.append({f + "[lt]", format_rfc3339_us(*lt)});
    if (to_incl) params.append({f + "[lte]", format_rfc3339_us(*to_incl)});
  };
  const bool sorted = ask.sorted;
  const sort_field field = q.sort.field;
  time_range("created_at", has(push, filter::created_after) ? q.created_after : std::nullopt,
             has(push, filter::created_before) ? q.created_before : std::nullopt,
             sorted && field == sort_field::created_at);
  time_range("updated_at", has(push, filter::updated_after) ? q.updated_after : std::nullopt,
             has(push, filter::updated_before) ? q.updated_before : std::nullopt,
             sorted && field == sort_field::updated_at);
  {
    std::optional<std::int64_t> from = q.min_duration_ms, to = q.max_duration_ms;
    if (sorted && field == sort_field::duration_ms && ask.bound) {
      if (q.sort.descending)
        to = to ? std::min(*to, *ask.bound) : *ask.bound;
      else
        from = from ? std::max(*from, *ask.bound) : *ask.bound;
    }
    if (from) params.append({"duration[gte]", std::to_string(*from)});
    if (to) params.append({"duration[lte]", std::to_string(*to)});
  }
  // Only values the vendor has are ever sent (any other is a 422); with none, no request is made.
  const vendor_values enumerated = vendor_values_of(q);
  if (has(push, filter::language) && !enumerated.language_codes.empty())
    params.append({"language_code", enumerated.language_codes.front()});
  if (has(push, filter::platform) && !enumerated.platforms.empty())
    params.append({"platform", enumerated.platforms.front()});
  if (has(push, filter::channel) && !enumerated.media_types.empty())
    params.append({"media_type", enumerated.media_types.front()});
  auto array = [&](filter f, std::string_view name, const std::vector<std::string>& values) {
    if (!has(push, f)) return;
    for (const auto& v : values) params.append({std::string(name) + "[]", v});
  };
  array(filter::account_id, "account_ids", q.account_ids);
  array(filter::owner_id, "owner_ids", q.owner_ids);
  array(filter::user_id, "user_guids", q.user_ids);
  array(filter::person_id, "person_ids", q.person_ids);
  array(filter::id, "ids", q.native_ids_for(vendor));
  if (has(push, filter::title)) params.append({"title", *q.title});
  if (has(push, filter::title_prefix)) params.append({"title[_starts_with]", *q.title_prefix});
  if (sorted) {
    params.append({"sort_by", sort_by(field)});
    params.append({"sort_direction", q.sort.descending ? "desc" : "asc"});
  }
  params.append({"per_page", std::to_string(ask.per_page)});
  params.append({"page", ask.continuation.empty() ? std::string("1") : ask.continuation});
  // Boost.URL leaves brackets bare in a query; strict servers refuse them, Rails decodes either.
  std::string target(u.encoded_resource());
  for (std::size_t at = 0; (at = target.find_first_of("[]", at)) != std::string::npos;)
    target.replace(at, 1, target[at] == '[' ? "%5B" : "%5D");
  return target;
}

std::string get_target(std::string_view native_id, std::string_view path_prefix) {
  return std::string(path_prefix) + std::string(list_path) + "/" +
         boost::urls::encode(native_id, boost::urls::pchars);
}

result<conversation> to_conversation(const json::value& record, std::string_view vendor) {
  record_reader r;
  adapter::replay(record, r);
  return std::move(r).finish(vendor);
}

result<adapter::vendor_page> read_page(const adapter::vendor_body& body, std::string_view vendor) {
  const json::object* envelope = body.value().if_object();
  const json::value* data = envelope ? adapter::member(*envelope, "data") : nullptr;
  if (!data || !data->is_array())
    return failure::make(errc::upstream_error, "the Salesloft answer has no data array");
  adapter::vendor_page page;
  page.records.reserve(data->get_array().size());
  for (const auto& record : data->get_array()) {
    auto c = to_conversation(record, vendor);
    if (!c) return c.error();
    c->raw = body.share(record.get_object());
    page.records.push_back(std::move(*c));
  }
  const json::object* metadata = object_at(*envelope, "metadata");
  const json::object* paging = metadata ? object_at(*metadata, "paging") : nullptr;
  if (auto next = paging ? integer_at(*paging, "next_page") : std::nullopt; next && *next > 0)
    page.next = std::to_string(*next);
  return page;
}

result<conversation> read_one(const adapter::vendor_body& body, std::string_view vendor,
                              std::string_view asked) {
  const json::object* envelope = body.value().if_object();
  const json::value* data = envelope ? adapter::member(*envelope, "data") : nullptr;
  if (!data) return failure::make(errc::upstream_error, "the Salesloft answer has no data object");
  auto c = check_asked(to_conversation(*data, vendor), asked);
  if (c) c->raw = body.share(data->get_object());
  return c;
}

result<adapter::vendor_page> read_page(std::string_view text, std::string_view vendor) {
  page_reader r(vendor);
  if (auto ok = adapter::read_events(text, r); !ok) return ok.error();
  return std::move(r).finish();
}

result<conversation> read_one(std::string_view text, std::string_view vendor, std::string_view asked) {
  one_reader r;
  if (auto ok = adapter::read_events(text, r); !ok) return ok.error();
  if (!r.envelope_ || !r.data_)
    return failure::make(errc::upstream_error, "the Salesloft answer has no data object");
  return check_asked(std::move(r.record_).finish(vendor), asked);
}

}  // namespace cgw::adapters::salesloft

namespace cgw::adapters::salesloft {
namespace {

// One option of a grouped field: its group value, and how it narrows the query ("any": not at all).
struct field_option {
  std::optional<std::string> label;
  std::function<void(list_query&)> narrow;  // empty: leaves the query as it is
};

std::string count_target(const list_query& q, std::string_view path_prefix, std::string_view vendor) {
  const adapter::page_ask ask{q, false, std::nullopt, {}, 1};
  return list_target(ask, path_prefix, vendor) + "&include_paging_counts=true";
}

}  // namespace

std::variant<counts_plan, std::string> plan_counts(const stats_query& sq, std::string_view path_prefix,
                                                   std::string_view vendor) {
  const list_query& q = sq.filters;
  if (sq.measures != std::vector<measure>{measure::count})
    return std::string("Salesloft counts records only: the duration measures need the records");
  filter_set local = q.filters() & ~pushed_down(q);
  // A grouped field's filter goes down one value per call, so it is pushed whatever its values.
  for (const auto& g : sq.group_by) {
    if (g.kind == group_kind::platform) local.reset(static_cast<std::size_t>(filter::platform));
    if (g.kind == group_kind::language) local.reset(static_cast<std::size_t>(filter::language));
    if (g.kind == group_kind::channel) local.reset(static_cast<std::size_t>(filter::channel));
  }
  if (local.any())
    return "the filter " + std::string(to_string(static_cast<filter>(std::countr_zero(local.to_ulong())))) +
           " is applied by the gateway, so Salesloft's count would be too large";
  counts_plan plan;
  std::vector<std::vector<field_option>> fields;
  const vendor_values filtered = vendor_values_of(q);
  auto enumerated = [&](auto values, const std::vector<std::string>& kept, bool filtered_on, auto label_of,
                        auto narrow_to) {
    std::vector<field_option> out;
    for (std::string_view v : values) {
      if (filtered_on && std::find(kept.begin(), kept.end(), v) == kept.end()) continue;
      const std::string value(v);
      out.push_back({label_of(value), [narrow_to, value](list_query& c) { narrow_to(c, value); }});
    }
    if (!filtered_on) out.push_back({std::nullopt, {}});  // "any": the null group by subtraction
    return out;
  };
  for (const auto& g : sq.group_by) {
    switch (g.kind) {
      case group_kind::vendor:
      case group_kind::agent:   // agents carry an owner id, never a name: always the null group
      case group_kind::status:  // no status, no sentiment: the null group
      case group_kind::sentiment:
        fields.push_back({{std::nullopt, {}}});
        continue;
      case group_kind::platform:
        fields.push_back(enumerated(
            platforms, filtered.platforms, !q.platforms.empty(),
            [](const std::string& v) { return std::optional(v); },
            [](list_query& c, const std::string& v) { c.platforms = {v}; }));
        continue;
      case group_kind::language:
        fields.push_back(enumerated(
            language_codes, filtered.language_codes, !q.languages.empty(),
            [](const std::string& v) { return std::optional(canonical_language(v)); },
            [](list_query& c, const std::string& v) { c.languages = {canonical_language(v)}; }));
        continue;
      case group_kind::channel:
        fields.push_back(enumerated(
            media_types, filtered.media_types, !q.channels.empty(),
            [](const std::string& v) { return std::optional<std::string>(v == "audio" ? "voice" : "video"); },
            [](list_query& c, const std::string& v) { c.channels = {v == "audio" ? "voice" : "video"}; }));
        continue;
      case group_kind::time: {
        // started_at is event_start_date, else created_at: no filter of Salesloft's reads it.
        if (g.time == sort_field::started_at)
          return std::string("Salesloft cannot count by started_at (event_start_date has no filter)");
        auto& from = g.time == sort_field::created_at ? q.created_after : q.updated_after;
        auto& to = g.time == sort_field::created_at ? q.created_before : q.updated_before;
        if (!from || !to)
          return "counting by " + g.name() + " needs both of its bounds (" + std::string(to_string(g.time)) +
                 "_after and _before) to know the buckets";
        std::vector<field_option> buckets;
        for (micros b = bucket_start(*from, g.unit, sq.tz_minutes); b < *to;
             b = next_bucket(b, g.unit, sq.tz_minutes)) {
          if (buckets.size() >= max_count_calls)
            return "too many buckets of " + g.name() + " to count them one by one";
          const micros lo = std::max(b, *from), hi = std::min(next_bucket(b, g.unit, sq.tz_minutes), *to);
          const bool created = g.time == sort_field::created_at;
          buckets.push_back({format_rfc3339_ms(b), [lo, hi, created](list_query& c) {
                               (created ? c.created_after : c.updated_after) = lo;
                               (created ? c.created_before : c.updated_before) = hi;
                             }});
        }
        fields.push_back(std::move(buckets));
        continue;
      }
    }
  }
  plan.probe_target = count_target(q, path_prefix, vendor);
  std::size_t cells = 1;
  for (const auto& f : fields) {
    if (f.empty()) cells = 0;  // a filter keeps no value Salesloft has: nothing to count
    cells *= f.size();
    if (cells > max_count_calls) return std::string("too many value combinations to count them one by one");
  }
  for (const auto& f : fields) {
    plan.labels.emplace_back();
    for (const auto& o : f) plan.labels.back().push_back(o.label);
    plan.any.push_back(!f.back().narrow);
  }
  for (std::size_t n = 0; n < cells; ++n) {
    count_cell cell;
    list_query narrowed = q;
    bool all_any = true;
    std::size_t rest = n;
    for (std::size_t i = fields.size(); i-- > 0;) {  // the last field varies fastest
      const std::size_t k = rest % fields[i].size();
      rest /= fields[i].size();
      cell.options.insert(cell.options.begin(), k);
      if (fields[i][k].narrow) fields[i][k].narrow(narrowed);
      all_any &= !fields[i][k].narrow;
    }
    cell.target = count_target(narrowed, path_prefix, vendor);
    if (all_any) plan.total_cell = plan.cells.size();
    plan.cells.push_back(std::move(cell));
  }
  return plan;
}

result<std::uint64_t> read_total_count(const adapter::vendor_body& body) {
  const json::object* envelope = body.value().if_object();
  const json::object* metadata = envelope ? object_at(*envelope, "metadata") : nullptr;
  const json::object* paging = metadata ? object_at(*metadata, "paging") : nullptr;
  const auto total = paging ? integer_at(*paging, "total_count") : std::nullopt;
  if (!total || *total < 0)
    return failure::make(errc::upstream_error, "the Salesloft answer has no metadata.paging.total_count");
  return static_cast<std::uint64_t>(*total);
}

stats_table counts_table(const counts_plan& plan, const std::vector<std::uint64_t>& counts,
                         bool& consistent) {
  consistent = true;
  std::map<std::vector<std::size_t>, std::int64_t> by_options;
  for (std::size_t i = 0; i < plan.cells.size() && i < counts.size(); ++i)
    by_options[plan.cells[i].options] = static_cast<std::int64_t>(counts[i]);
  // Field by field, "any" becomes "null": any minus the sum of the values, other fields fixed.
  // The value entries are never changed by a field's step, so each step reads them as counted.
  for (std::size_t f = 0; f < plan.labels.size(); ++f) {
    if (!plan.any[f]) continue;
    const std::size_t any = plan.labels[f].size() - 1;
    for (auto& [options, count] : by_options) {
      if (options[f] != any) continue;
      auto other = options;
      for (std::size_t v = 0; v < any; ++v) {
        other[f] = v;
        if (auto it = by_options.find(other); it != by_options.end()) count -= it->second;
      }
    }
  }
  stats_table out;
  for (const auto& [options, count] : by_options) {
    if (count < 0) consistent = false;
    if (count <= 0) continue;  // a group with no record is no row, as when the records are read
    group_key key;
    for (std::size_t f = 0; f < options.size(); ++f) key.push_back(plan.labels[f][options[f]]);
    partial p;
    p.count = static_cast<std::uint64_t>(count);
    p.complete = false;
    out.merge(key, p);
  }
  return out;
}

}  // namespace cgw::adapters::salesloft
