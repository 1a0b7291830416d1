// The one interface every vendor adapter implements, and what it tells the gateway.
// The gateway never branches on a vendor name or type: everything it needs to
// know about a vendor is in `capabilities` and in what these calls return.
#pragma once

#include "config/config.hpp"
#include "gateway/core/conversation.hpp"
#include "gateway/core/error.hpp"
#include "gateway/core/query.hpp"
#include "gateway/core/stats.hpp"
#include "gateway/net/net.hpp"
#include "gateway/policy/guard.hpp"
#include "gateway/policy/memo.hpp"
#include "gateway/policy/transport.hpp"
#include "gateway/upstream/client.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

namespace cgw::adapter {

struct capabilities {
  bool can_list = false;
  bool can_get = false;
  filter_set pushdown;                   // filters it can send to the vendor in its own terms
  filter_set absent;                     // filters on fields its records never have: they match nothing
  std::vector<sort_field> native_sorts;  // sort keys the vendor serves in order
  std::string list_unsupported_reason;   // when !can_list
  policy::vendor_defaults limits;        // the vendor's documented rate and concurrency limits
};

struct scan_snapshot;  // walk.hpp
struct vendor_page;    // walk.hpp

// What one gateway request lends an adapter call.
struct call_context {
  upstream::client& http;  // this io thread's client
  deadline until;          // the vendor's share of the request's deadline
  std::string_view request_id;
  std::string_view vendor;  // the vendor instance name, for metrics and logs
  // The top of the vendor's transport stack (policy/guard.hpp); a call outside a runtime has the
  // bare client.
  const policy::transport& transport = policy::client_transport();
  std::string_view traceparent;   // W3C trace context sent on every vendor request
  policy::call_stats stats;       // what the calls cost: requests, retries, cache
  bool clients_deadline = false;  // `until` is the client's deadline, before the vendor's timeout_ms
  // What the vendor's pages computed: mapped pages and ordered scans, kept for `kept_for` (the
  // vendor's cache TTL; 0: shared only while in flight). nullptr: every walk reads and maps anew.
  policy::memo<vendor_page>* pages = nullptr;
  policy::memo<scan_snapshot>* scans = nullptr;
  clock::duration kept_for{};
  // A get's record keeps its vendor object (include=raw): the answer is read into a DOM. A list
  // reads list_query::include_raw instead. Left true, a get reads as it always did.
  bool include_raw = true;
};

// Ask for the records of one vendor that follow `after` in the total order of `query.sort`.
struct list_request {
  const list_query& query;
  std::optional<sort_key> after;  // exclusive; nullopt: from the start
  std::size_t want;               // at least this many records are returned unless the vendor runs out
};

struct list_result {
  std::vector<conversation> records;  // in the total order, strictly after `after`, every filter applied
  bool exhausted = false;             // no matching record follows the last one returned
  bool truncated = false;             // a scan cap was hit: the order covers only what was read
  std::string note;                   // said in meta when not empty (e.g. how the order was served)
};

// What explain=true shows for a vendor, without calling it.
struct plan {
  boost::json::object wire;  // vendor-specific: the requests it would make
  bool native_sort = false;
};

// GET /v1/conversations/stats: what a vendor is asked when it may aggregate itself.
struct aggregate_request {
  const stats_query& stats;  // the filters, group fields, measures and zone
  bool forced = false;       // method=vendor: the vendor's own way wherever it applies, whatever it costs
  bool plan_only = false;    // explain: the plan, with at most the calls the plan needs to decide
};

// How a vendor answers a stats query, and what that costs.
struct aggregate_plan {
  std::string method;          // vendor_aggregate, vendor_counts, or records (its own way costs more)
  std::string reason;          // why this method, for explain and notes
  boost::json::array calls;    // the requests it makes: {method, target[, body]}
  std::uint64_t requests = 0;  // how many (pages of a grouped answer counted as they come: at least this)
  double points = 0;           // their cost in the vendor's rate budget
};

struct aggregate_result {
  aggregate_plan plan;
  stats_table table;  // per group; the `vendor` group field, when asked, is left null for the gateway
  bool exact = true;  // false when a figure could not be computed from the vendor's aggregates
  std::string note;
};

class adapter {
 public:
  virtual ~adapter() = default;

  virtual const capabilities& caps() const noexcept = 0;

  // The next records of a list walk; a failure is this vendor's status in meta.
  virtual net::awaitable<result<list_result>> list(const list_request& req, call_context& ctx) const = 0;

  // One record by native id; not_found when the vendor says it does not exist.
  virtual net::awaitable<result<conversation>> get(std::string_view native_id, call_context& ctx) const = 0;

  // Which of the query's filters this vendor is sent (the rest are applied by the gateway).
  virtual filter_set pushed_down(const list_query& q) const = 0;

  // The requests a list walk would start with.
  virtual plan explain(const list_request& req) const = 0;

  // The configured vendor instance.
  virtual const config::vendor_config& config() const noexcept = 0;

  // Stats the vendor computes itself (server-side aggregation, vendor-side counts). nullopt: it
  // has no such way for this query, and the gateway reads the records (the list's walks). A plan
  // whose method is "records" says the records cost less. A failure is this vendor's status in meta.
  virtual net::awaitable<result<std::optional<aggregate_result>>> aggregate(const aggregate_request&,
                                                                            call_context&) const {
    co_return std::nullopt;
  }
};

// Builds an adapter from its vendor entry; a failure names the config key at fault.
using factory = std::function<result<std::unique_ptr<adapter>>(const config::vendor_config&)>;

// Adapter types by name. Filled once at start-up, read-only afterwards.
class registry {
 public:
  void add(std::string type, factory f);
  bool knows(std::string_view type) const;
  // A failure names the vendor key (`vendors.x.options.y: ...`).
  result<std::unique_ptr<adapter>> create(const config::vendor_config& cfg) const;
  std::vector<std::string> types() const;

 private:
  std::vector<std::pair<std::string, factory>> factories_;
};

}  // namespace cgw::adapter
