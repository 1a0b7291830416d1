// The pieces of the list's fan-out that the stats endpoint shares (conversations.cpp): vendor
// selection, each vendor's share of the deadline, and how a vendor's outcome reads in meta.
#pragma once

#include "gateway/api/conversations.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>

#include <algorithm>
#include <exception>
#include <vector>

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

// Runs `run(std::move(runs[i]), leg)` for every i of `which` at once, each result back into its
// place. `run` returns an awaitable Run; `leg` is `scope` with the client of the io thread the
// run is on. The k-th run goes to the k-th io thread from this one (scope.io), so that vendor
// answers arriving together are read and mapped at once, on as many threads: only the last
// one's work stands between the slowest vendor and the reply. The runs share nothing but what
// the scope holds for every thread (runtime, guards, memos, metrics); a cancellation reaches each
// on its own thread (co_spawn dispatches it there). A bug's exception is rethrown (the request
// boundary catches it); an empty `which` does nothing (parallel_group throws on it).
template <class Run, class Fn>
net::awaitable<void> in_parallel(std::vector<Run>& runs, const std::vector<std::size_t>& which,
                                 const request_scope& scope, Fn run) {
  if (which.empty()) co_return;
  const std::size_t threads = std::max<std::size_t>(1, scope.io.size());
  const std::size_t here = std::find(scope.io.begin(), scope.io.end(), &scope.http) - scope.io.begin();
  std::vector<request_scope> legs;
  legs.reserve(which.size());  // never reallocated: each run holds its leg
  for (std::size_t k = 0; k < which.size(); ++k) {
    upstream::client& http = scope.io.empty() || k % threads == 0 ? scope.http : *scope.io[(here + k) % threads];
    legs.push_back(request_scope{scope.rt, scope.who, http, scope.until, scope.request_id, scope.traceparent, scope.io});
  }
  using op_type = decltype(net::co_spawn(scope.http.get_executor(), run(Run{}, scope), net::deferred));
  std::vector<op_type> ops;
  for (std::size_t k = 0; k < which.size(); ++k)
    ops.push_back(net::co_spawn(legs[k].http.get_executor(), run(std::move(runs[which[k]]), legs[k]), net::deferred));
  auto [order, exceptions, done] = co_await net::experimental::make_parallel_group(std::move(ops))
                                       .async_wait(net::experimental::wait_for_all(), net::use_awaitable);
  for (std::size_t k = 0; k < done.size(); ++k) {
    if (exceptions[k]) std::rethrow_exception(exceptions[k]);
    runs[which[k]] = std::move(done[k]);
  }
}

}  // namespace cgw::api
