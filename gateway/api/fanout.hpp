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

#include <exception>
#include <vector>

namespace cgw::api {

// The names of the filters in `s`, in canonical order.
boost::json::array filter_names(const filter_set& s);

// Milliseconds since `t0`.
double ms_since(clock::time_point t0);

// The context of one vendor's calls within a request (its transport stack, its share of the deadline).
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

// Runs `run(std::move(runs[i]))` for every i of `which` at once on this thread's executor, each
// result back into its place. `run` returns an awaitable Run. Every run stays on the request's
// own thread: Boost 1.81's co_spawn forwards a cancellation to another executor with a pointer
// into the parent's state, so a client that went away while a run on another thread was in
// flight freed memory that thread then used (tests/integration/isolation_server_test.cpp,
// ClientsLeavingMidFanOutNeverCrash). A bug's exception is rethrown (the request boundary
// catches it); an empty `which` does nothing (parallel_group throws on it).
template <class Run, class Fn>
net::awaitable<void> in_parallel(std::vector<Run>& runs, const std::vector<std::size_t>& which, Fn run) {
  if (which.empty()) co_return;
  auto ex = co_await net::this_coro::executor;
  using op_type = decltype(net::co_spawn(ex, run(Run{}), net::deferred));
  std::vector<op_type> ops;
  for (std::size_t i : which) ops.push_back(net::co_spawn(ex, run(std::move(runs[i])), net::deferred));
  auto [order, exceptions, done] = co_await net::experimental::make_parallel_group(std::move(ops))
                                       .async_wait(net::experimental::wait_for_all(), net::use_awaitable);
  for (std::size_t k = 0; k < done.size(); ++k) {
    if (exceptions[k]) std::rethrow_exception(exceptions[k]);
    runs[which[k]] = std::move(done[k]);
  }
}

}  // namespace cgw::api
