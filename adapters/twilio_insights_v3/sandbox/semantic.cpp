#include "adapters/twilio_insights_v3/sandbox/semantic.hpp"

#include "gateway/core/time.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <numeric>

#include <boost/json/serialize.hpp>

namespace cgw::sandbox::twilio_insights_v3 {
namespace {

namespace json = boost::json;

constexpr std::array<std::string_view, 7> op_names{"AND", "OR", "EQ", "NE", "GT", "LT", "IN"};
constexpr int max_depth = 8;  // nested AND/OR levels; deeper is refused rather than recursed into

failure bad(const std::string& path, std::string_view why) {
  return failure::make(errc::invalid_parameter, path + ": " + std::string(why), path);
}

std::optional<double> number_text(std::string_view s) {
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// A JSON value as a dimension's scalar; nullopt when it is not of the dimension's type.
std::optional<scalar> scalar_of(const json::value& v, cube::value_type type) {
  switch (type) {
    case cube::value_type::number:
      if (v.is_number()) return scalar(v.to_number<double>());
      if (v.is_string()) {
        if (auto n = number_text(v.get_string())) return scalar(*n);
      }
      return std::nullopt;
    case cube::value_type::date:
      if (v.is_string()) {
        if (auto t = parse_vendor_time(v.get_string())) return scalar(*t);
      }
      return std::nullopt;
    default:
      if (v.is_string()) return scalar(std::string(v.get_string()));
      return std::nullopt;
  }
}

cell cell_of(const json::object& record, const cube::dimension& d) {
  const json::value* v = record.if_contains(d.name);
  if (!v || v->is_null()) return std::nullopt;
  std::vector<scalar> out;
  if (v->is_array()) {
    for (const auto& e : v->get_array())
      if (auto s = scalar_of(e, d.type)) out.push_back(std::move(*s));
    return out;
  }
  auto s = scalar_of(*v, d.type);
  if (!s) return std::nullopt;
  out.push_back(std::move(*s));
  return out;
}

template <class Items>
std::optional<std::size_t> index_named(const Items& items, std::string_view name) {
  for (std::size_t i = 0; i < items.size(); ++i)
    if (items[i]->name == name) return i;
  return std::nullopt;
}

result<std::vector<std::string>> strings(const json::value* v, const std::string& path) {
  std::vector<std::string> out;
  if (!v) return out;
  if (!v->is_array()) return bad(path, "expected an array of strings");
  for (std::size_t i = 0; i < v->get_array().size(); ++i) {
    const auto& e = v->get_array()[i];
    if (!e.is_string()) return bad(path + "[" + std::to_string(i) + "]", "expected a string");
    out.emplace_back(e.get_string());
  }
  return out;
}

result<void> only_keys(const json::object& o, std::initializer_list<std::string_view> allowed,
                       const std::string& path) {
  for (const auto& [key, value] : o)
    if (std::find(allowed.begin(), allowed.end(), std::string_view(key)) == allowed.end())
      return bad(path + "." + std::string(key), "unknown key");
  return {};
}

result<filter_node> parse_node(const json::value& v, const std::string& path, bool top, int depth,
                               const table& t) {
  if (depth > max_depth) return bad(path, "filters are nested too deeply");
  if (!v.is_object()) return bad(path, "expected an object");
  const json::object& o = v.get_object();
  if (auto ok = only_keys(o, {"op", "field", "values", "expressions"}, path); !ok) return ok.error();

  filter_node node;
  const json::value* op_value = o.if_contains("op");
  if (!op_value && !top) return bad(path + ".op", "required");
  if (op_value) {
    const auto it = op_value->is_string() ? std::find(op_names.begin(), op_names.end(),
                                                      std::string_view(op_value->get_string()))
                                          : op_names.end();
    if (it == op_names.end()) return bad(path + ".op", "expected one of AND, OR, EQ, NE, GT, LT, IN");
    node.kind = static_cast<op>(it - op_names.begin());
  }
  const json::value* expressions = o.if_contains("expressions");
  if (expressions && !expressions->is_array()) return bad(path + ".expressions", "expected an array");
  const bool has_expressions = expressions && !expressions->get_array().empty();

  std::optional<std::size_t> dim;
  if (const json::value* f = o.if_contains("field")) {
    if (!f->is_string()) return bad(path + ".field", "expected a dimension name");
    dim = index_named(t.dimensions(), f->get_string());
    if (!dim) return bad(path + ".field", "unknown dimension " + std::string(f->get_string()));
  }
  auto texts = strings(o.if_contains("values"), path + ".values");
  if (!texts) return texts.error();

  const bool combines = node.kind == op::all || node.kind == op::any;
  if (combines && has_expressions) {
    if (dim) return bad(path, "give either expressions or a field with values, not both");
    for (std::size_t i = 0; i < expressions->get_array().size(); ++i) {
      auto child = parse_node(expressions->get_array()[i], path + ".expressions[" + std::to_string(i) + "]",
                              false, depth + 1, t);
      if (!child) return child.error();
      node.children.push_back(std::move(*child));
    }
    return node;
  }
  if (combines && !dim) {
    if (!expressions) return bad(path, "AND and OR need expressions, or a field with values");
    return node;  // no expressions: an empty AND holds, an empty OR does not
  }
  if (!combines && has_expressions)
    return bad(path + ".expressions", "a comparison takes a field and values");
  if (!dim) return bad(path + ".field", "required");
  if (texts->empty()) return bad(path + ".values", "at least one value is required");
  if ((node.kind == op::eq || node.kind == op::ne || node.kind == op::gt || node.kind == op::lt) &&
      texts->size() != 1)
    return bad(path + ".values", "this operator takes exactly one value");

  const cube::dimension& d = *t.dimensions()[*dim];
  std::vector<scalar> values;
  for (std::size_t i = 0; i < texts->size(); ++i) {
    auto s = scalar_of(json::value((*texts)[i]), d.type);
    if (!s)
      return bad(path + ".values[" + std::to_string(i) + "]",
                 d.type == cube::value_type::date ? "not an RFC 3339 date" : "not a number");
    values.push_back(std::move(*s));
  }
  if (combines) {  // AND / OR over `field EQ value` for each value
    for (auto& value : values) node.children.push_back(filter_node{op::eq, *dim, {std::move(value)}, {}});
    return node;
  }
  node.dim = *dim;
  node.values = std::move(values);
  return node;
}

bool compare(op kind, const scalar& e, const std::vector<scalar>& values) {
  switch (kind) {
    case op::eq:
      return e == values[0];
    case op::ne:
      return e != values[0];
    case op::gt:
      return e > values[0];
    case op::lt:
      return e < values[0];
    default:
      return std::find(values.begin(), values.end(), e) != values.end();
  }
}

bool holds(const filter_node& n, const table& t, std::size_t row) {
  switch (n.kind) {
    case op::all:
      return std::all_of(n.children.begin(), n.children.end(),
                         [&](const filter_node& c) { return holds(c, t, row); });
    case op::any:
      return std::any_of(n.children.begin(), n.children.end(),
                         [&](const filter_node& c) { return holds(c, t, row); });
    default: {
      const cell& c = t.at(row, n.dim);
      return c &&
             std::any_of(c->begin(), c->end(), [&](const scalar& e) { return compare(n.kind, e, n.values); });
    }
  }
}

// A group of rows: one record without measures, every record sharing the dimension values with.
using group = std::vector<std::size_t>;

std::optional<scalar> measure_value(const cube::measure& m, const group& g, const table& t) {
  if (m.how == cube::aggregation::count) return scalar(static_cast<double>(g.size()));
  const auto dim = index_named(t.dimensions(), m.over);
  if (!dim) return std::nullopt;
  // Rows without a value of `over` take no part (SQL's aggregates over NULL); none at all: null,
  // except for count_of, which is then 0.
  std::optional<double> acc;
  double with_value = 0;
  for (std::size_t row : g) {
    const cell& c = t.at(row, *dim);
    if (!c || c->empty()) continue;
    const double v = std::get<double>(c->front());
    ++with_value;
    switch (m.how) {
      case cube::aggregation::min:
        acc = acc ? std::min(*acc, v) : v;
        break;
      case cube::aggregation::max:
        acc = acc ? std::max(*acc, v) : v;
        break;
      default:
        acc = acc.value_or(0) + v;
        break;
    }
  }
  if (m.how == cube::aggregation::count_of) return scalar(with_value);
  return acc ? std::optional<scalar>(*acc) : std::nullopt;
}

std::optional<scalar> sort_value(const order_key& k, const semantic_query& q, const group& g,
                                 const table& t) {
  if (k.measure) return measure_value(*t.measures()[q.measures[k.index]], g, t);
  const cell& c = t.at(g.front(), k.index);
  return c && !c->empty() ? std::optional<scalar>(c->front()) : std::nullopt;
}

json::value number_json(double v) {
  if (std::trunc(v) == v && std::fabs(v) < 9e15) return static_cast<std::int64_t>(v);
  return v;
}

}  // namespace

table::table(const std::vector<json::object>& records, const std::vector<std::string>& omitted)
    : records_(records) {
  const auto kept = [&](std::string_view name) {
    return std::find(omitted.begin(), omitted.end(), name) == omitted.end();
  };
  for (const auto& d : cube::dimensions)
    if (kept(d.name)) dimensions_.push_back(&d);
  for (const auto& m : cube::measures)
    if (m.over.empty() || kept(m.over)) measures_.push_back(&m);
  cells_.reserve(records.size());
  for (const auto& r : records) {
    auto& row = cells_.emplace_back();
    for (const auto* d : dimensions_) row.push_back(cell_of(r, *d));
  }
}

result<semantic_query> parse_query(const json::value& query, const table& t) {
  if (!query.is_object()) return bad("query", "expected an object");
  const json::object& o = query.get_object();
  if (auto ok = only_keys(o, {"measures", "dimensions", "filters", "orderBy"}, "query"); !ok)
    return ok.error();
  semantic_query q;

  auto measures = strings(o.if_contains("measures"), "query.measures");
  if (!measures) return measures.error();
  for (std::size_t i = 0; i < measures->size(); ++i) {
    auto m = index_named(t.measures(), (*measures)[i]);
    if (!m) return bad("query.measures[" + std::to_string(i) + "]", "unknown measure " + (*measures)[i]);
    if (std::find(q.measures.begin(), q.measures.end(), *m) == q.measures.end()) q.measures.push_back(*m);
  }
  auto dimensions = strings(o.if_contains("dimensions"), "query.dimensions");
  if (!dimensions) return dimensions.error();
  for (std::size_t i = 0; i < dimensions->size(); ++i) {
    auto d = index_named(t.dimensions(), (*dimensions)[i]);
    if (!d)
      return bad("query.dimensions[" + std::to_string(i) + "]", "unknown dimension " + (*dimensions)[i]);
    if (std::find(q.dimensions.begin(), q.dimensions.end(), *d) == q.dimensions.end())
      q.dimensions.push_back(*d);
  }
  if (q.dimensions.empty() && q.measures.empty())
    return bad("query", "ask for at least one dimension or measure");

  if (const json::value* filters = o.if_contains("filters")) {
    if (!filters->is_array()) return bad("query.filters", "expected an array");
    for (std::size_t i = 0; i < filters->get_array().size(); ++i) {
      auto node = parse_node(filters->get_array()[i], "query.filters[" + std::to_string(i) + "]", true, 0, t);
      if (!node) return node.error();
      q.filters.push_back(std::move(*node));
    }
  }

  if (const json::value* order_by = o.if_contains("orderBy")) {
    if (!order_by->is_array()) return bad("query.orderBy", "expected an array");
    for (std::size_t i = 0; i < order_by->get_array().size(); ++i) {
      const std::string path = "query.orderBy[" + std::to_string(i) + "]";
      const json::value& v = order_by->get_array()[i];
      if (!v.is_object()) return bad(path, "expected an object");
      if (auto ok = only_keys(v.get_object(), {"field", "direction"}, path); !ok) return ok.error();
      const json::value* f = v.get_object().if_contains("field");
      if (!f || !f->is_string()) return bad(path + ".field", "expected a dimension or measure name");
      order_key k;
      const std::string_view name = f->get_string();
      // Grouped answers order by what they contain; row answers by any dimension.
      if (auto m = index_named(t.measures(), name)) {
        const auto at = std::find(q.measures.begin(), q.measures.end(), *m);
        if (at == q.measures.end())
          return bad(path + ".field", "measure " + std::string(name) + " is not in the query");
        k.measure = true;
        k.index = static_cast<std::size_t>(at - q.measures.begin());
      } else if (auto d = index_named(t.dimensions(), name)) {
        if (!q.measures.empty() &&
            std::find(q.dimensions.begin(), q.dimensions.end(), *d) == q.dimensions.end())
          return bad(path + ".field", "dimension " + std::string(name) + " is not in the query");
        k.index = *d;
      } else {
        return bad(path + ".field", "unknown dimension or measure " + std::string(name));
      }
      if (const json::value* dir = v.get_object().if_contains("direction")) {
        if (!dir->is_string() || (dir->get_string() != "ASC" && dir->get_string() != "DESC"))
          return bad(path + ".direction", "expected ASC or DESC");
        k.descending = dir->get_string() == "DESC";
      }
      q.order.push_back(k);
    }
  }
  return q;
}

query_page run(const semantic_query& q, const table& t, std::size_t offset, std::size_t limit) {
  std::vector<group> groups;
  std::map<std::string, std::size_t> group_of;  // grouping key -> index into groups
  for (std::size_t row = 0; row < t.records().size(); ++row) {
    if (!std::all_of(q.filters.begin(), q.filters.end(),
                     [&](const filter_node& n) { return holds(n, t, row); }))
      continue;
    if (q.measures.empty()) {
      groups.push_back({row});
      continue;
    }
    json::array key;
    for (std::size_t d : q.dimensions) {
      const json::value* v = t.records()[row].if_contains(t.dimensions()[d]->name);
      key.push_back(v ? *v : json::value(nullptr));
    }
    const auto [it, fresh] = group_of.emplace(json::serialize(key), groups.size());
    if (fresh) groups.emplace_back();
    groups[it->second].push_back(row);
  }

  std::vector<std::vector<std::optional<scalar>>> keys(groups.size());
  for (std::size_t g = 0; g < groups.size(); ++g)
    for (const auto& k : q.order) keys[g].push_back(sort_value(k, q, groups[g], t));
  // Groups were made in dataset order, so their index is the final tie-break: the order is total
  // and only the requested prefix needs sorting.
  std::vector<std::size_t> order(groups.size());
  std::iota(order.begin(), order.end(), 0);
  const auto before = [&](std::size_t a, std::size_t b) {
    for (std::size_t i = 0; i < q.order.size(); ++i) {
      const auto& x = keys[a][i];
      const auto& y = keys[b][i];
      if (!x || !y) {
        if (x.has_value() != y.has_value()) return x.has_value();  // nulls last either way
        continue;
      }
      if (*x != *y) return q.order[i].descending ? *x > *y : *x < *y;
    }
    return a < b;
  };
  const std::size_t end = std::min(groups.size(), offset + std::min(limit, groups.size()));
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(end), order.end(), before);

  query_page page;
  page.total = groups.size();
  for (std::size_t i = std::min(offset, groups.size()); i < groups.size() && i - offset < limit; ++i) {
    const group& g = groups[order[i]];
    json::object item;
    for (std::size_t d : q.dimensions) {
      const auto name = t.dimensions()[d]->name;
      const json::value* v = t.records()[g.front()].if_contains(name);
      item[name] = v ? *v : json::value(nullptr);
    }
    for (std::size_t m : q.measures) {
      const auto value = measure_value(*t.measures()[m], g, t);
      item[t.measures()[m]->name] = value ? number_json(std::get<double>(*value)) : json::value(nullptr);
    }
    page.items.push_back(std::move(item));
  }
  return page;
}

}  // namespace cgw::sandbox::twilio_insights_v3
