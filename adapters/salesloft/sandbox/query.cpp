#include "adapters/salesloft/sandbox/query.hpp"

#include "adapters/salesloft/sandbox/wire.hpp"
#include "gateway/core/time.hpp"

#include <algorithm>
#include <charconv>
#include <span>
#include <string_view>

#include <boost/beast/core/string.hpp>

namespace cgw::sandbox::salesloft {
namespace {

namespace json = boost::json;

// Filters by exact value; the record field has the parameter's name. An empty list allows any value.
struct text_filter {
  std::string_view name;
  std::optional<std::string> list_query::*wanted;
  std::span<const std::string_view> allowed;
};
constexpr std::array<text_filter, 4> text_filters{{
    {"title", &list_query::title, {}},
    {"language_code", &list_query::language_code, wire::language_codes},
    {"platform", &list_query::platform, wire::platforms},
    {"media_type", &list_query::media_type, wire::media_types},
}};

// Filters by membership: "ids[]=a&ids[]=b". `reference` fields hold {id, _href}.
struct list_filter {
  std::string_view name;
  std::vector<std::string> list_query::*wanted;
  std::string_view field;
  bool reference;
};
constexpr std::array<list_filter, 5> list_filters{{
    {"ids", &list_query::ids, "id", false},
    {"owner_ids", &list_query::owner_ids, "owner_id", false},
    {"user_guids", &list_query::user_guids, "user_guid", false},
    {"account_ids", &list_query::account_ids, "account", true},
    {"person_ids", &list_query::person_ids, "person", true},
}};

// Indexed by ordered_field.
constexpr std::array<std::string_view, 3> ordered_names{"created_at", "updated_at", "duration"};

struct bound {
  std::string_view name;
  std::optional<std::int64_t> range::*member;
};
constexpr std::array<bound, 4> bounds{
    {{"lt", &range::lt}, {"lte", &range::lte}, {"gt", &range::gt}, {"gte", &range::gte}}};

// The entry of table whose `name` is name, or nullptr.
template <class Table>
const typename Table::value_type* find(const Table& table, std::string_view name) {
  const auto it = std::ranges::find(table, name, &Table::value_type::name);
  return it == table.end() ? nullptr : &*it;
}

std::optional<std::string_view> text(const json::object& record, std::string_view field) {
  const auto* v = record.if_contains(field);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string_view(v->get_string());
}

std::optional<std::string_view> reference_id(const json::object& record, std::string_view field) {
  const auto* v = record.if_contains(field);
  if (v == nullptr || !v->is_object()) return std::nullopt;
  return text(v->get_object(), "id");
}

std::optional<std::int64_t> integer(std::string_view text) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<bool> boolean(std::string_view text) {
  if (text == "true") return true;
  if (text == "false") return false;
  return std::nullopt;
}

failure invalid(std::string_view parameter, std::string message) {
  return failure::make(errc::invalid_parameter, std::move(message), std::string(parameter));
}

// Salesloft ignores what it does not know [?]; the sandbox refuses it, so that a misspelled
// parameter in an adapter fails a test instead of silently widening the answer (vendors/README.md §2).
failure unknown(std::string_view parameter) {
  return failure::make(errc::unknown_parameter, "is not a known parameter", std::string(parameter));
}

// "created_at[gte]" -> {"created_at", "gte"}; "ids[]" -> {"ids", ""}; "page" -> {"page", nullopt}.
std::pair<std::string_view, std::optional<std::string_view>> split(std::string_view key) {
  const auto open = key.find('[');
  if (open == std::string_view::npos || !key.ends_with(']')) return {key, std::nullopt};
  return {key.substr(0, open), key.substr(open + 1, key.size() - open - 2)};
}

// title[_starts_with] and the range operators.
std::optional<failure> apply_operator(list_query& q, std::string_view key, std::string_view name,
                                      std::string_view op, std::string_view value) {
  if (name == "title" && op == "_starts_with") {
    q.title_prefix = value;
    return std::nullopt;
  }
  const auto field = std::ranges::find(ordered_names, name);
  const auto* b = find(bounds, op);
  if (field == ordered_names.end() || b == nullptr) return unknown(key);
  const auto index = static_cast<std::size_t>(field - ordered_names.begin());
  const bool timestamp = static_cast<ordered_field>(index) != ordered_field::duration;
  const auto v = timestamp ? parse_vendor_time(value) : integer(value);
  if (!v) return invalid(key, timestamp ? "must be an ISO-8601 timestamp" : "must be an integer");
  q.ranges[index].*(b->member) = *v;
  return std::nullopt;
}

std::optional<failure> apply(list_query& q, std::string_view key, std::string_view value) {
  const auto [name, op] = split(key);
  if (const auto* f = find(list_filters, name); f != nullptr && (!op || op->empty())) {
    (q.*(f->wanted)).emplace_back(value);  // "ids[]=a", or a lone scalar "ids=a"
    return std::nullopt;
  }
  if (op) return apply_operator(q, key, name, *op, value);
  if (const auto* f = find(text_filters, name)) {
    if (!f->allowed.empty() && std::ranges::find(f->allowed, value) == f->allowed.end()) {
      return invalid(key, "is not included in the list");
    }
    q.*(f->wanted) = value;
  } else if (name == "is_api" || name == "include_paging_counts") {
    const auto b = boolean(value);
    if (!b) return invalid(key, "must be true or false");
    if (name == "is_api") {
      q.is_api = *b;
    } else {
      q.include_paging_counts = *b;
    }
  } else if (name == "sort_by") {
    const auto field = std::ranges::find(ordered_names, value);
    if (field == ordered_names.end()) return invalid(key, "must be one of created_at, updated_at, duration");
    q.sort_by = static_cast<ordered_field>(field - ordered_names.begin());
  } else if (name == "sort_direction") {
    const bool asc = boost::beast::iequals(value, "asc");
    if (!asc && !boost::beast::iequals(value, "desc")) return invalid(key, "must be one of ASC, DESC");
    q.ascending = asc;
  } else if (name == "per_page") {
    const auto n = integer(value);
    if (!n || *n < 1 || *n > 100) return invalid(key, "must be between 1 and 100");
    q.per_page = static_cast<std::uint32_t>(*n);
  } else if (name == "page") {
    const auto n = integer(value);
    if (!n || *n < 1) return invalid(key, "must be greater than or equal to 1");
    q.page = static_cast<std::uint64_t>(*n);
  } else {
    return unknown(key);
  }
  return std::nullopt;
}

}  // namespace

record_keys keys_of(const json::object& record) {
  const auto timestamp = [&](std::string_view field) -> std::optional<std::int64_t> {
    const auto t = text(record, field);
    return t ? parse_vendor_time(*t) : std::nullopt;
  };
  const auto* duration = record.if_contains("duration");
  return {timestamp("created_at"), timestamp("updated_at"),
          duration != nullptr && duration->is_int64() ? std::optional(duration->get_int64()) : std::nullopt};
}

bool range::admits(const std::optional<std::int64_t>& value) const {
  if (!lt && !lte && !gt && !gte) return true;
  return value && (!lt || *value < *lt) && (!lte || *value <= *lte) && (!gt || *value > *gt) &&
         (!gte || *value >= *gte);
}

bool list_query::matches(const json::object& record, const record_keys& keys) const {
  for (const auto& f : text_filters) {
    if (const auto& want = this->*(f.wanted); want && text(record, f.name) != *want) return false;
  }
  if (title_prefix) {
    const auto t = text(record, "title");
    if (!t || !t->starts_with(*title_prefix)) return false;
  }
  if (is_api) {
    const auto* v = record.if_contains("is_api");
    if (v == nullptr || !v->is_bool() || v->get_bool() != *is_api) return false;
  }
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    if (!ranges[i].admits(keys[i])) return false;
  }
  for (const auto& f : list_filters) {
    const auto& want = this->*(f.wanted);
    if (want.empty()) continue;
    const auto v = f.reference ? reference_id(record, f.field) : text(record, f.field);
    if (!v || std::ranges::find(want, *v) == want.end()) return false;
  }
  return true;
}

result<list_query> parse_list_query(const boost::urls::params_view& params) {
  list_query q;
  for (const auto& p : params) {
    if (auto bad = apply(q, p.key, p.value)) return *bad;
  }
  return q;
}

}  // namespace cgw::sandbox::salesloft
