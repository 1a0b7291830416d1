// The pieces of the list's fan-out that the stats endpoint shares (conversations.cpp): vendor
// selection, each vendor's share of the deadline, and how a vendor's outcome reads in meta.
#pragma once

#include "gateway/api/conversations.hpp"

#include <boost/json/array.hpp>

namespace cgw::api {

// The names of the filters in `s`, in canonical order.
boost::json::array filter_names(const filter_set& s);

// Milliseconds since `t0`.
double ms_since(clock::time_point t0);

// A vendor failure's status in meta: circuit_open, rate_limited or error.
std::string_view status_of(const failure& f);

// The context of one vendor's calls within a request (its guard, its share of the deadline).
adapter::call_context call_for(const request_scope& scope, const std::string& vendor,
                               const config::vendor_config& cfg);

// How the cache served a vendor's calls: miss, coalesced, hit, or "" without calls.
std::string_view cache_outcome(const policy::call_stats& s);

// The vendors a request selects; fails with invalid_parameter (unknown vendor) or forbidden.
result<std::vector<std::string>> select_vendors(const request_scope& scope, const list_query& q);

// A batch by ids from a vendor that cannot list: one get per id; the first failure other than
// not_found / invalid_id is the vendor's.
net::awaitable<result<adapter::list_result>> get_each(const adapter::adapter& a, const list_query& q,
                                                      std::vector<std::string> ids,
                                                      adapter::call_context& ctx);

}  // namespace cgw::api
