#include "gateway/core/query.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include <boost/url/parse_query.hpp>

namespace cgw {
namespace {

constexpr std::array<std::string_view, filter_count> filter_names = {
    "started_after",   "started_before",  "created_after",
    "created_before",  "updated_after",   "updated_before",
    "min_duration_ms", "max_duration_ms", "language",
    "channel",         "platform",        "agent",
    "account_id",      "owner_id",        "user_id",
    "person_id",       "segment_id",      "id",
    "title",           "title_prefix",
};

constexpr std::array<std::string_view, 6> channel_names = {"voice", "video", "chat", "sms", "email", "other"};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(),
                    [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
}

failure bad(std::string_view param, std::string_view why) {
  return failure::make(errc::invalid_parameter, std::string(param) + ": " + std::string(why),
                       std::string(param));
}

result<std::int64_t> non_negative(std::string_view param, std::string_view value) {
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || ptr != value.data() + value.size() || n < 0)
    return bad(param, "expected a non-negative integer");
  return n;
}

bool contains(const std::vector<std::string>& list, const opt_string& v) {
  return v && std::find(list.begin(), list.end(), *v) != list.end();
}

bool in_range(const std::optional<micros>& v, const std::optional<micros>& from,
              const std::optional<micros>& to) {
  if (!v) return false;
  return (!from || *v >= *from) && (!to || *v < *to);
}

}  // namespace

result<std::vector<std::string>> comma_list(std::string_view param, std::string_view value) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    std::size_t end = value.find(',', start);
    std::string_view item = value.substr(start, end == std::string_view::npos ? value.npos : end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) return bad(param, "empty item in comma list");
    out.emplace_back(item);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

const std::vector<parameter_doc>& list_parameters() {
  static const std::vector<parameter_doc> table = {
      {"vendor", "string", "crm,phones",
       "Comma list of vendor names; default: every vendor the client may reach"},
      {"started_after", "string", "2025-01-01T00:00:00Z", "Start time >= this RFC 3339 instant"},
      {"started_before", "string", "2025-02-01T00:00:00Z", "Start time < this RFC 3339 instant"},
      {"created_after", "string", "2025-01-01T00:00:00Z", "Creation time >="},
      {"created_before", "string", "2025-02-01T00:00:00Z", "Creation time <"},
      {"updated_after", "string", "2025-01-01T00:00:00Z", "Last update >="},
      {"updated_before", "string", "2025-02-01T00:00:00Z", "Last update <"},
      {"min_duration_ms", "integer", "1000", "Duration >= (milliseconds)"},
      {"max_duration_ms", "integer", "600000", "Duration <= (milliseconds)"},
      {"language", "string", "en-US,fr-FR", "Comma list of BCP-47 codes; exact, case-insensitive"},
      {"channel", "string", "voice,chat", "Comma list of voice, video, chat, sms, email, other"},
      {"platform", "string", "zoom,ms_teams", "Comma list of source platforms; case-insensitive"},
      {"agent", "string", "Ann Lee", "Agent name; case-insensitive exact match on any agent"},
      {"account_id", "string", "acc-1,acc-2", "Comma list of account ids"},
      {"owner_id", "string", "owner-1", "Comma list of owner ids"},
      {"user_id", "string", "user-1", "Comma list of user ids"},
      {"person_id", "string", "person-1", "Comma list of person ids"},
      {"segment_id", "string", "02dd8a65-c9e3-550b-9e98-5b11abb9b3a4",
       "Conversations containing this segment"},
      {"id", "string", "crm:abc,phones:7",
       "Comma list of at most 100 unified ids (batch fetch); the answer keeps the requested order"},
      {"title", "string", "Discovery call", "Exact title"},
      {"title_prefix", "string", "Disc", "Title prefix"},
      {"sort", "string", "-started_at",
       "[-]started_at (default -started_at), [-]created_at, [-]updated_at, [-]duration_ms; ties by id, nulls "
       "last"},
      {"page_size", "integer", "50", "1..1000, default 50"},
      {"cursor", "string", "", "meta.next_cursor of the previous page (bound to the same filters and sort)"},
      {"include", "string", "raw", "raw: attach each vendor's native record as raw"},
      {"explain", "boolean", "true",
       "true: answer with the plan per vendor instead of data, calling no vendor"},
  };
  return table;
}

std::string_view to_string(filter f) noexcept {
  return filter_names[static_cast<std::size_t>(f)];
}

filter range_filter(sort_field f) noexcept {
  switch (f) {
    case sort_field::started_at:
      return filter::started_after;
    case sort_field::created_at:
      return filter::created_after;
    case sort_field::updated_at:
      return filter::updated_after;
    case sort_field::duration_ms:
      return filter::min_duration_ms;
  }
  return filter::started_after;
}

std::string canonical_language(std::string_view tag) {
  std::string out;
  out.reserve(tag.size());
  std::size_t index = 0, start = 0;
  while (start <= tag.size()) {
    std::size_t end = std::min(tag.find('-', start), tag.size());
    std::string part = lower(tag.substr(start, end - start));
    if (index > 0 && part.size() == 2) {
      std::transform(part.begin(), part.end(), part.begin(), [](unsigned char c) { return std::toupper(c); });
    } else if (index > 0 && part.size() == 4) {
      part[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(part[0])));
    }
    if (index > 0) out += '-';
    out += part;
    ++index;
    start = end + 1;
  }
  return out;
}

std::optional<std::pair<std::string_view, std::string_view>> split_unified_id(std::string_view id) {
  std::size_t colon = id.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon + 1 == id.size()) return std::nullopt;
  std::string_view vendor = id.substr(0, colon);
  if (!std::all_of(vendor.begin(), vendor.end(),
                   [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }))
    return std::nullopt;
  return std::pair{vendor, id.substr(colon + 1)};
}

filter_set list_query::filters() const {
  filter_set s;
  auto mark = [&](filter f, bool on) { s.set(static_cast<std::size_t>(f), on); };
  mark(filter::started_after, started_after.has_value());
  mark(filter::started_before, started_before.has_value());
  mark(filter::created_after, created_after.has_value());
  mark(filter::created_before, created_before.has_value());
  mark(filter::updated_after, updated_after.has_value());
  mark(filter::updated_before, updated_before.has_value());
  mark(filter::min_duration_ms, min_duration_ms.has_value());
  mark(filter::max_duration_ms, max_duration_ms.has_value());
  mark(filter::language, !languages.empty());
  mark(filter::channel, !channels.empty());
  mark(filter::platform, !platforms.empty());
  mark(filter::agent, agent.has_value());
  mark(filter::account_id, !account_ids.empty());
  mark(filter::owner_id, !owner_ids.empty());
  mark(filter::user_id, !user_ids.empty());
  mark(filter::person_id, !person_ids.empty());
  mark(filter::segment_id, segment_id.has_value());
  mark(filter::id, !ids.empty());
  mark(filter::title, title.has_value());
  mark(filter::title_prefix, title_prefix.has_value());
  return s;
}

bool list_query::matches(const conversation& c, filter f) const {
  switch (f) {
    case filter::started_after:
    case filter::started_before:
      return in_range(c.started_at, started_after, started_before);
    case filter::created_after:
    case filter::created_before:
      return in_range(c.created_at, created_after, created_before);
    case filter::updated_after:
    case filter::updated_before:
      return in_range(c.updated_at, updated_after, updated_before);
    case filter::min_duration_ms:
    case filter::max_duration_ms:
      return c.duration_ms && (!min_duration_ms || *c.duration_ms >= *min_duration_ms) &&
             (!max_duration_ms || *c.duration_ms <= *max_duration_ms);
    case filter::language:
      return c.language && std::any_of(languages.begin(), languages.end(),
                                       [&](const std::string& l) { return iequals(l, *c.language); });
    case filter::channel:
      return c.channel && contains(channels, lower(*c.channel));
    case filter::platform:
      return c.platform && contains(platforms, lower(*c.platform));
    case filter::agent:
      return std::any_of(c.agents.begin(), c.agents.end(),
                         [&](const cgw::agent& a) { return a.name && iequals(*a.name, *agent); });
    case filter::account_id:
      return contains(account_ids, c.account_id);
    case filter::owner_id:
      return contains(owner_ids, c.owner_id);
    case filter::user_id:
      return contains(user_ids, c.user_id);
    case filter::person_id:
      return contains(person_ids, c.person_id);
    case filter::segment_id:
      return std::any_of(c.segments.begin(), c.segments.end(),
                         [&](const segment& s) { return s.id && *s.id == *segment_id; });
    case filter::id:
      return std::find(ids.begin(), ids.end(), c.id) != ids.end();
    case filter::title:
      return c.title && *c.title == *title;
    case filter::title_prefix:
      return c.title && c.title->starts_with(*title_prefix);
  }
  return false;
}

std::vector<std::string> list_query::native_ids_for(std::string_view vendor) const {
  std::vector<std::string> out;
  for (const auto& id : ids)
    if (auto parts = split_unified_id(id); parts && parts->first == vendor) out.emplace_back(parts->second);
  return out;
}

bool list_query::matches_all(const conversation& c) const {
  filter_set set = filters();
  for (std::size_t i = 0; i < filter_count; ++i)
    if (set.test(i) && !matches(c, static_cast<filter>(i))) return false;
  return true;
}

std::string list_query::fingerprint_material() const {
  // Length-prefixed fields, so that no two different queries share bytes.
  std::string out;
  auto field = [&](std::string_view s) { out.append(std::to_string(s.size())).append(1, ':').append(s); };
  auto opt_num = [&](const std::optional<std::int64_t>& v) { field(v ? std::to_string(*v) : "-"); };
  auto list = [&](const std::vector<std::string>& l) {
    field(std::to_string(l.size()));
    for (const auto& s : l) field(s);
  };
  list(vendors);
  opt_num(started_after), opt_num(started_before), opt_num(created_after), opt_num(created_before);
  opt_num(updated_after), opt_num(updated_before), opt_num(min_duration_ms), opt_num(max_duration_ms);
  list(languages), list(channels), list(platforms);
  field(agent ? "+" + *agent : "-");
  list(account_ids), list(owner_ids), list(user_ids), list(person_ids);
  field(segment_id ? "+" + *segment_id : "-");
  list(ids);
  field(title ? "+" + *title : "-");
  field(title_prefix ? "+" + *title_prefix : "-");
  field(to_string(sort.field));
  field(sort.descending ? "desc" : "asc");
  return out;
}

result<list_query> parse_list_query(std::string_view query_string) {
  list_query q;
  // Boost.URL 1.81's compiled parse_query reads up to a NUL (strlen) past the view it is given:
  // hand it a terminated copy, never a view into a request buffer.
  const std::string text(query_string);
  auto parsed = boost::urls::parse_query(text);
  if (!parsed) return failure::make(errc::invalid_parameter, "the query string is not well-formed");

  std::vector<std::string> seen;
  for (auto param : *parsed) {
    std::string key = param.key.decode();
    std::string value = param.value.decode();
    if (key.empty() && value.empty() && !param.has_value) continue;  // "a=1&&b=2"
    const auto& known = list_parameters();
    if (std::none_of(known.begin(), known.end(), [&](const parameter_doc& p) { return p.name == key; }))
      return failure::make(errc::unknown_parameter, key + ": unknown parameter", key);
    if (std::find(seen.begin(), seen.end(), key) != seen.end())
      return bad(key, "given more than once; use a comma list");
    seen.push_back(key);
    if (value.empty() && key != "cursor") return bad(key, "must not be empty");

    auto time = [&](std::optional<micros>& out) -> result<void> {
      out = parse_rfc3339(value);
      if (!out) return bad(key, "not an RFC 3339 time");
      return {};
    };
    auto list = [&](std::vector<std::string>& out) -> result<void> {
      auto items = comma_list(key, value);
      if (!items) return items.error();
      out = std::move(*items);
      return {};
    };
    result<void> ok;
    if (key == "vendor") {
      ok = list(q.vendors);
      if (ok)
        for (const auto& v : q.vendors)
          if (!split_unified_id(v + ":x")) return bad(key, "not a vendor name: " + v);
    } else if (key == "started_after")
      ok = time(q.started_after);
    else if (key == "started_before")
      ok = time(q.started_before);
    else if (key == "created_after")
      ok = time(q.created_after);
    else if (key == "created_before")
      ok = time(q.created_before);
    else if (key == "updated_after")
      ok = time(q.updated_after);
    else if (key == "updated_before")
      ok = time(q.updated_before);
    else if (key == "min_duration_ms" || key == "max_duration_ms") {
      auto n = non_negative(key, value);
      if (!n) return n.error();
      (key == "min_duration_ms" ? q.min_duration_ms : q.max_duration_ms) = *n;
    } else if (key == "language") {
      ok = list(q.languages);
      for (auto& l : q.languages) l = canonical_language(l);
    } else if (key == "channel") {
      ok = list(q.channels);
      for (auto& c : q.channels) {
        c = lower(c);
        if (std::find(channel_names.begin(), channel_names.end(), c) == channel_names.end())
          return bad(key, "expected voice, video, chat, sms, email or other, not \"" + c + "\"");
      }
    } else if (key == "platform") {
      ok = list(q.platforms);
      for (auto& p : q.platforms) p = lower(p);
    } else if (key == "agent")
      q.agent = value;
    else if (key == "account_id")
      ok = list(q.account_ids);
    else if (key == "owner_id")
      ok = list(q.owner_ids);
    else if (key == "user_id")
      ok = list(q.user_ids);
    else if (key == "person_id")
      ok = list(q.person_ids);
    else if (key == "segment_id")
      q.segment_id = value;
    else if (key == "id") {
      ok = list(q.ids);
      if (ok && q.ids.size() > max_batch_ids) return bad(key, "at most 100 ids");
      // A repeated id is asked once and served once, at its first place.
      for (std::size_t i = 0; i < q.ids.size(); ++i)
        if (std::find(q.ids.begin(), q.ids.begin() + static_cast<std::ptrdiff_t>(i), q.ids[i]) !=
            q.ids.begin() + static_cast<std::ptrdiff_t>(i))
          q.ids.erase(q.ids.begin() + static_cast<std::ptrdiff_t>(i--));
      for (const auto& id : q.ids)
        if (!split_unified_id(id)) return bad(key, "not a unified id <vendor>:<native id>: " + id);
    } else if (key == "title")
      q.title = value;
    else if (key == "title_prefix")
      q.title_prefix = value;
    else if (key == "sort") {
      std::string_view s = value;
      q.sort.descending = s.starts_with('-');
      if (q.sort.descending) s.remove_prefix(1);
      if (s == "started_at")
        q.sort.field = sort_field::started_at;
      else if (s == "created_at")
        q.sort.field = sort_field::created_at;
      else if (s == "updated_at")
        q.sort.field = sort_field::updated_at;
      else if (s == "duration_ms")
        q.sort.field = sort_field::duration_ms;
      else
        return bad(key, "expected [-]started_at, [-]created_at, [-]updated_at or [-]duration_ms");
    } else if (key == "page_size") {
      auto n = non_negative(key, value);
      if (!n || *n < 1 || *n > static_cast<std::int64_t>(max_page_size))
        return bad(key, "expected an integer from 1 to 1000");
      q.page_size = static_cast<std::size_t>(*n);
    } else if (key == "cursor") {
      if (!value.empty()) q.cursor = value;
    } else if (key == "include") {
      if (value != "raw") return bad(key, "expected raw");
      q.include_raw = true;
    } else if (key == "explain") {
      if (value != "true" && value != "false") return bad(key, "expected true or false");
      q.explain = value == "true";
    } else {
      return failure::make(errc::unknown_parameter, key + ": unknown parameter", key);
    }
    if (!ok) return ok.error();
  }
  return q;
}

}  // namespace cgw
