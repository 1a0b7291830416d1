#include "gateway/core/stats.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>

#include <boost/json/object.hpp>
#include <boost/url/parse_query.hpp>

namespace cgw {
namespace {

namespace json = boost::json;
using namespace std::chrono;

constexpr std::array<std::string_view, measure_count> measure_names = {
    "count",           "duration_ms.sum", "duration_ms.avg", "duration_ms.min",
    "duration_ms.max", "duration_ms.p50", "duration_ms.p90"};

constexpr std::array<std::pair<std::string_view, group_kind>, 7> plain_groups = {
    {{"vendor", group_kind::vendor},
     {"channel", group_kind::channel},
     {"platform", group_kind::platform},
     {"language", group_kind::language},
     {"agent", group_kind::agent},
     {"status", group_kind::status},
     {"sentiment", group_kind::sentiment}}};

constexpr std::array<std::string_view, 4> unit_names = {"hour", "day", "week", "month"};

constexpr micros hour_us = 3'600'000'000LL;
constexpr micros day_us = 24 * hour_us;

failure bad(std::string_view param, std::string_view why) {
  return failure::make(errc::invalid_parameter, std::string(param) + ": " + std::string(why),
                       std::string(param));
}

micros floor_div(micros a, micros b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

result<group_field> group_field_of(std::string_view item) {
  for (const auto& [name, kind] : plain_groups)
    if (item == name) return group_field{kind};
  const std::size_t colon = item.find(':');
  const std::string_view field = item.substr(0, colon);
  group_field g{group_kind::time};
  if (field == "started_at")
    g.time = sort_field::started_at;
  else if (field == "created_at")
    g.time = sort_field::created_at;
  else if (field == "updated_at")
    g.time = sort_field::updated_at;
  else
    return bad("group_by",
               "expected vendor, channel, platform, language, agent, status, sentiment or "
               "<started_at|created_at|updated_at>:<hour|day|week|month>, not \"" +
                   std::string(item) + "\"");
  const auto unit = colon == std::string_view::npos
                        ? unit_names.end()
                        : std::find(unit_names.begin(), unit_names.end(), item.substr(colon + 1));
  if (unit == unit_names.end())
    return bad("group_by", "a time bucket is " + std::string(field) + ":hour, :day, :week or :month, not \"" +
                               std::string(item) + "\"");
  g.unit = static_cast<bucket_unit>(unit - unit_names.begin());
  return g;
}

// "+02:00" / "-05:30" / "UTC"; a '+' that arrived unencoded reads as a space.
std::optional<int> tz_of(std::string_view v) {
  if (v == "UTC" || v == "utc" || v == "Z") return 0;
  if (v.size() != 6 || (v[0] != '+' && v[0] != '-' && v[0] != ' ') || v[3] != ':') return std::nullopt;
  auto digit = [&](std::size_t i) { return v[i] >= '0' && v[i] <= '9'; };
  if (!digit(1) || !digit(2) || !digit(4) || !digit(5)) return std::nullopt;
  const int h = (v[1] - '0') * 10 + (v[2] - '0'), m = (v[4] - '0') * 10 + (v[5] - '0');
  if (h > 23 || m > 59) return std::nullopt;
  return (v[0] == '-' ? -1 : 1) * (h * 60 + m);
}

std::optional<std::string> lower_opt(const opt_string& s) {
  if (!s) return std::nullopt;
  std::string out(*s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// A CSV field: quoted when it holds a comma, a quote or a line break (RFC 4180 section 2).
void csv_field(std::string& out, std::string_view v) {
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(v);
    return;
  }
  out.push_back('"');
  for (char c : v) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

std::string number_text(double v) {
  if (std::trunc(v) == v && std::fabs(v) < 9e15) return std::to_string(static_cast<std::int64_t>(v));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// The value of one measure of one group; null when it cannot be computed.
json::value measure_value(const partial& p, measure m) {
  switch (m) {
    case measure::count:
      return p.count;
    case measure::sum:
      return p.with_duration ? json::value(p.sum) : json::value(nullptr);
    case measure::avg:
      return p.with_duration ? json::value(static_cast<double>(p.sum) / static_cast<double>(p.with_duration))
                             : json::value(nullptr);
    case measure::min:
      return p.min ? json::value(*p.min) : json::value(nullptr);
    case measure::max:
      return p.max ? json::value(*p.max) : json::value(nullptr);
    case measure::p50:
    case measure::p90: {
      if (!p.complete) return nullptr;
      auto v = percentile(p.durations, m == measure::p50 ? 50 : 90);
      return v ? json::value(*v) : json::value(nullptr);
    }
  }
  return nullptr;
}

}  // namespace

std::string group_field::name() const {
  for (const auto& [n, k] : plain_groups)
    if (k == kind && kind != group_kind::time) return std::string(n);
  return std::string(to_string(time)) + ":" + std::string(unit_names[static_cast<std::size_t>(unit)]);
}

std::string_view to_string(measure m) noexcept {
  return measure_names[static_cast<std::size_t>(m)];
}

bool stats_query::wants(measure m) const {
  return std::find(measures.begin(), measures.end(), m) != measures.end();
}

std::string stats_query::normalized() const {
  // The vendor list is a set here, and the walk's sort decides nothing of the answer.
  list_query f = filters;
  std::sort(f.vendors.begin(), f.vendors.end());
  f.vendors.erase(std::unique(f.vendors.begin(), f.vendors.end()), f.vendors.end());
  f.sort = {};
  std::string out = f.fingerprint_material();
  auto field = [&](std::string_view s) { out.append(std::to_string(s.size())).append(1, ':').append(s); };
  field(std::to_string(group_by.size()));
  for (const auto& g : group_by) field(g.name());
  field(std::to_string(measures.size()));
  for (auto m : measures) field(to_string(m));
  field(std::to_string(tz_minutes));
  field(method);
  return out;
}

const std::vector<parameter_doc>& stats_parameters() {
  static const std::vector<parameter_doc> table = {
      {"group_by", "string", "channel,started_at:day",
       "Comma list, at most 3, of vendor, channel, platform, language, agent, status, sentiment, or a time "
       "bucket "
       "<started_at|created_at|updated_at>:<hour|day|week|month>; default: one row for everything"},
      {"measures", "string", "count,duration_ms.avg",
       "Comma list of count (default), duration_ms.sum, duration_ms.avg, duration_ms.min, duration_ms.max, "
       "duration_ms.p50, duration_ms.p90 (nearest rank)"},
      {"tz", "string", "+02:00",
       "UTC (default) or a fixed offset +hh:mm / -hh:mm (send + as %2B): where day, week (ISO, Monday) and "
       "month "
       "buckets start"},
      {"method", "string", "records",
       "Overrides the planner, for checks and comparisons: records (read the records everywhere) or vendor "
       "(the "
       "vendor's own aggregation or counts wherever they apply, whatever they cost); default: the cheapest"},
      {"explain", "boolean", "true",
       "true: answer with each vendor's plan (method, calls, their cost) instead of rows; reads no records"},
  };
  return table;
}

result<stats_query> parse_stats_query(std::string_view query_string) {
  const std::string text(query_string);  // Boost.URL 1.81 reads to a NUL: see parse_list_query
  auto parsed = boost::urls::parse_query(text);
  if (!parsed) return failure::make(errc::invalid_parameter, "the query string is not well-formed");
  stats_query q;
  std::string rest;  // the list's own parameters, still encoded, for its parser
  std::vector<std::string> seen;
  for (auto param : *parsed) {
    const std::string key = param.key.decode();
    const std::string value = param.value.decode();
    if (key.empty() && value.empty() && !param.has_value) continue;
    if (key == "sort" || key == "page_size" || key == "cursor" || key == "include")
      return failure::make(
          errc::unknown_parameter,
          key + ": unknown parameter here: stats rows are ordered by their group values and not paged", key);
    const bool own = key == "group_by" || key == "measures" || key == "tz" || key == "method";
    if (!own) {
      rest += (rest.empty() ? "" : "&") + std::string(param.key) +
              (param.has_value ? "=" + std::string(param.value) : "");
      continue;
    }
    if (std::find(seen.begin(), seen.end(), key) != seen.end())
      return bad(key, "given more than once; use a comma list");
    seen.push_back(key);
    if (value.empty()) return bad(key, "must not be empty");
    if (key == "group_by") {
      auto items = comma_list(key, value);
      if (!items) return items.error();
      if (items->size() > max_group_by) return bad(key, "at most 3 fields");
      for (const auto& item : *items) {
        auto g = group_field_of(item);
        if (!g) return g.error();
        if (std::find(q.group_by.begin(), q.group_by.end(), *g) != q.group_by.end())
          return bad(key, "\"" + item + "\" given twice");
        q.group_by.push_back(*g);
      }
    } else if (key == "measures") {
      auto items = comma_list(key, value);
      if (!items) return items.error();
      for (const auto& item : *items) {
        const auto it = std::find(measure_names.begin(), measure_names.end(), item);
        if (it == measure_names.end())
          return bad(key,
                     "expected count, duration_ms.sum, duration_ms.avg, duration_ms.min, duration_ms.max, "
                     "duration_ms.p50 or duration_ms.p90, not \"" +
                         item + "\"");
        const auto m = static_cast<measure>(it - measure_names.begin());
        if (!q.wants(m)) q.measures.push_back(m);
      }
      std::sort(q.measures.begin(), q.measures.end());
    } else if (key == "tz") {
      auto tz = tz_of(value);
      if (!tz) return bad(key, "expected UTC or a fixed offset +hh:mm / -hh:mm, not \"" + value + "\"");
      q.tz_minutes = *tz;
    } else {
      if (value != "records" && value != "vendor") return bad(key, "expected records or vendor");
      q.method = value;
    }
  }
  if (q.measures.empty()) q.measures.push_back(measure::count);
  auto list = parse_list_query(rest);
  if (!list) return list.error();
  q.filters = std::move(*list);
  q.explain = q.filters.explain;
  return q;
}

micros bucket_start(micros t, bucket_unit unit, int tz_minutes) {
  const micros offset = static_cast<micros>(tz_minutes) * 60'000'000LL;
  const micros local = t + offset;
  switch (unit) {
    case bucket_unit::hour:
      return floor_div(local, hour_us) * hour_us - offset;
    case bucket_unit::day:
      return floor_div(local, day_us) * day_us - offset;
    case bucket_unit::week: {
      const micros day = floor_div(local, day_us);
      const micros monday = day - ((day + 3) % 7 + 7) % 7;  // 1970-01-01 was a Thursday
      return monday * day_us - offset;
    }
    case bucket_unit::month: {
      const year_month_day ymd{sys_days{days{floor_div(local, day_us)}}};
      const sys_days first{ymd.year() / ymd.month() / 1};
      return static_cast<micros>(first.time_since_epoch().count()) * day_us - offset;
    }
  }
  return t;
}

micros next_bucket(micros start, bucket_unit unit, int tz_minutes) {
  switch (unit) {
    case bucket_unit::hour:
      return start + hour_us;
    case bucket_unit::day:
      return start + day_us;
    case bucket_unit::week:
      return start + 7 * day_us;
    case bucket_unit::month:
      return bucket_start(start + 32 * day_us, unit, tz_minutes);
  }
  return start;
}

bool group_less::operator()(const group_key& a, const group_key& b) const {
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (a[i] == b[i]) continue;
    if (!a[i]) return false;  // nulls last
    if (!b[i]) return true;
    return *a[i] < *b[i];
  }
  return a.size() < b.size();
}

std::vector<std::optional<std::string>> group_values(const conversation& c, const group_field& f,
                                                     int tz_minutes) {
  switch (f.kind) {
    case group_kind::vendor:
      return {c.vendor};
    case group_kind::channel:
      return {lower_opt(c.channel)};
    case group_kind::platform:
      return {lower_opt(c.platform)};
    case group_kind::language:
      return {c.language ? std::optional(canonical_language(*c.language)) : std::nullopt};
    case group_kind::status:
      return {c.status};
    case group_kind::sentiment:
      return {c.sentiment};
    case group_kind::agent: {
      std::vector<std::optional<std::string>> names;
      for (const auto& a : c.agents)
        if (a.name && std::find(names.begin(), names.end(), a.name) == names.end())
          names.emplace_back(a.name);
      if (names.empty()) names.emplace_back(std::nullopt);  // no named agent: the null group
      return names;
    }
    case group_kind::time: {
      const auto t = sort_value(c, f.time);
      if (!t) return {std::nullopt};
      return {format_rfc3339_ms(bucket_start(*t, f.unit, tz_minutes))};
    }
  }
  return {std::nullopt};
}

void partial::add_duration(std::optional<std::int64_t> d, bool keep) {
  ++count;
  if (!d) return;
  ++with_duration;
  sum += *d;
  min = min ? std::min(*min, *d) : *d;
  max = max ? std::max(*max, *d) : *d;
  if (keep) durations.push_back(*d);
}

void partial::merge(const partial& o) {
  count += o.count;
  with_duration += o.with_duration;
  sum += o.sum;
  if (o.min) min = min ? std::min(*min, *o.min) : *o.min;
  if (o.max) max = max ? std::max(*max, *o.max) : *o.max;
  complete = complete && o.complete;
  if (complete)
    durations.insert(durations.end(), o.durations.begin(), o.durations.end());
  else
    durations.clear();
}

std::vector<group_key> group_keys(const conversation& c, const stats_query& q) {
  // The cartesian product of the fields' values: only `agent` has more than one.
  std::vector<group_key> keys{group_key{}};
  for (const auto& f : q.group_by) {
    const auto values = group_values(c, f, q.tz_minutes);
    std::vector<group_key> next;
    next.reserve(keys.size() * values.size());
    for (const auto& k : keys)
      for (const auto& v : values) {
        next.push_back(k);
        next.back().push_back(v);
      }
    keys = std::move(next);
  }
  return keys;
}

void stats_table::add(const conversation& c, const stats_query& q) {
  const bool keep = q.needs_records();
  for (const auto& k : group_keys(c, q)) rows_[k].add_duration(c.duration_ms, keep);
}

void stats_table::merge(const group_key& key, const partial& p) {
  auto [it, fresh] = rows_.try_emplace(key, p);
  if (!fresh) it->second.merge(p);
}

void stats_table::merge(const stats_table& other) {
  for (const auto& [k, p] : other.rows_) merge(k, p);
}

std::optional<std::int64_t> percentile(const std::vector<std::int64_t>& sorted, int p) {
  if (sorted.empty()) return std::nullopt;
  // Nearest rank: the smallest value with at least p % of the values at or below it.
  const auto rank = static_cast<std::size_t>(
      std::ceil(static_cast<double>(p) / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

json::array rows_json(const stats_table& t, const stats_query& q) {
  json::array out;
  out.reserve(t.size());
  for (const auto& [key, p0] : t.rows()) {
    partial p = p0;
    std::sort(p.durations.begin(), p.durations.end());
    json::object group;
    for (std::size_t i = 0; i < q.group_by.size(); ++i)
      group[q.group_by[i].name()] = key[i] ? json::value(*key[i]) : json::value(nullptr);
    json::object row{{"group", std::move(group)}};
    json::object duration;
    for (auto m : q.measures) {
      if (m == measure::count)
        row["count"] = p.count;
      else
        duration[to_string(m).substr(std::string_view("duration_ms.").size())] = measure_value(p, m);
    }
    if (!duration.empty()) row["duration_ms"] = std::move(duration);
    out.push_back(std::move(row));
  }
  return out;
}

std::string rows_csv(const stats_table& t, const stats_query& q) {
  std::string out;
  bool first = true;
  auto cell = [&](std::string_view v) {
    if (!first) out.push_back(',');
    first = false;
    csv_field(out, v);
  };
  for (const auto& g : q.group_by) cell(g.name());
  for (auto m : q.measures) cell(to_string(m));
  out += "\r\n";
  for (const auto& [key, p0] : t.rows()) {
    partial p = p0;
    std::sort(p.durations.begin(), p.durations.end());
    first = true;
    for (const auto& v : key) cell(v ? *v : "");  // null: an empty field
    for (auto m : q.measures) {
      const json::value v = measure_value(p, m);
      cell(v.is_null()     ? ""
           : v.is_double() ? number_text(v.get_double())
           : v.is_uint64() ? std::to_string(v.get_uint64())
                           : std::to_string(v.to_number<std::int64_t>()));
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace cgw
