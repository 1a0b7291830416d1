// The semantic query engine of the Insights v3 sandbox: the `query` object of
// POST /v3/InsightsDomains/Conversations/Query, validated as the OpenAPI file defines it
// (components.schemas.QueryDefinition), and evaluated over the sandbox's records.
//
// Filter semantics (the vendor documents none; this is the sandbox's documented choice):
//  - `filters` is a list of nodes, all of which must hold. A node's `op` is one of
//    AND, OR, EQ, NE, GT, LT, IN at any level (a top-level node without `op` is an AND).
//  - AND / OR combine the node's `expressions` (nodes themselves: nesting is allowed; an empty
//    AND holds, an empty OR does not). Given a `field` and `values` instead, they combine
//    `field EQ value` over the values.
//  - EQ, NE, GT, LT take one value; IN takes one or more. Values are strings read as the
//    dimension's type: dates as instants (RFC 3339), numbers numerically, strings byte-wise
//    and case-sensitively.
//  - A list dimension matches when any element matches (NE too); an empty list and a null
//    match nothing, NE included (SQL's NULL semantics).
// Order: `orderBy` keys in turn, nulls (and empty lists) last in both directions, then the
// record's position in the dataset, which is neither time nor id order.
// With measures, rows are grouped by the requested dimensions; without, each record is an item.
#pragma once

#include "adapters/twilio_insights_v3/sandbox/cube.hpp"
#include "gateway/core/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace cgw::sandbox::twilio_insights_v3 {

// A comparable value: numbers as double, dates as microseconds, strings as text. Values of one
// dimension always hold the same alternative.
using scalar = std::variant<double, std::int64_t, std::string>;

// One record's value of one dimension: null, or its elements (exactly one for a scalar dimension).
using cell = std::optional<std::vector<scalar>>;

// The records as the engine reads them, over the cube minus the omitted dimensions.
class table {
 public:
  // Keeps a reference to `records`. Never fails: a value of the wrong type reads as null.
  table(const std::vector<boost::json::object>& records, const std::vector<std::string>& omitted);

  const std::vector<const cube::dimension*>& dimensions() const { return dimensions_; }
  const std::vector<const cube::measure*>& measures() const { return measures_; }
  const std::vector<boost::json::object>& records() const { return records_; }
  // The cell of record `row` for dimension number `dim` (an index into dimensions()).
  const cell& at(std::size_t row, std::size_t dim) const { return cells_[row][dim]; }

 private:
  const std::vector<boost::json::object>& records_;
  std::vector<const cube::dimension*> dimensions_;
  std::vector<const cube::measure*> measures_;
  std::vector<std::vector<cell>> cells_;  // [row][dimension]
};

enum class op { all, any, eq, ne, gt, lt, in };

struct filter_node {
  op kind = op::all;
  std::size_t dim = 0;                // comparisons: the dimension compared
  std::vector<scalar> values;         // comparisons: the operands, typed
  std::vector<filter_node> children;  // all / any
};

struct order_key {
  bool measure = false;  // index into the query's measures, else into the table's dimensions
  std::size_t index = 0;
  bool descending = false;
};

struct semantic_query {
  std::vector<std::size_t> dimensions;  // into table::dimensions(), in the order asked
  std::vector<std::size_t> measures;    // into table::measures()
  std::vector<filter_node> filters;     // all must hold
  std::vector<order_key> order;
};

// The `query` object, validated against the table's cube. Fails with invalid_parameter whose
// message names the JSON path at fault ("query.filters[0].expressions[1].op: expected one of ...").
result<semantic_query> parse_query(const boost::json::value& query, const table& t);

struct query_page {
  boost::json::array items;  // each keyed by the requested dimension and measure names
  std::size_t total = 0;     // items in the whole answer
};

// The items [offset, offset + limit) of the answer to `q`. Never fails.
query_page run(const semantic_query& q, const table& t, std::size_t offset, std::size_t limit);

}  // namespace cgw::sandbox::twilio_insights_v3
