// The two ways an adapter serves "the records after `after`, in order" on top of
// its vendor's paging. Both are vendor-neutral: an adapter supplies one function
// that fetches one vendor page, and picks the walk its vendor can support.
#pragma once

#include "gateway/adapter/adapter.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace cgw::adapter {

// What a walk asks of the adapter for one vendor page.
struct page_ask {
  const list_query& query;
  bool sorted = false;  // ask the vendor to order by query.sort
  std::optional<std::int64_t>
      bound;                 // inclusive bound on the sort field: >= when ascending, <= when descending
  std::string continuation;  // "" for the first page, else what the previous page returned
  std::size_t per_page = 0;
};

// One vendor page: mapped records in the vendor's order (not yet filtered locally).
struct vendor_page {
  std::vector<conversation> records;
  std::optional<std::string> next;  // continuation for the next page; nullopt on the last one
};

using page_fetcher = std::function<net::awaitable<result<vendor_page>>(const page_ask&, call_context&)>;

// Keyset walk, for a vendor that sorts by the field and filters a range on it: it
// re-anchors every walk at the cursor's watermark (so deep vendor pages are never
// needed), completes tie groups across vendor pages before ordering them by id, and
// finishes with the records whose sort value is null. Fails when the vendor breaks
// the order it was asked for. Like a scan, it reads at most `scan_limit` records (and a page cap),
// then returns what it read, ordered, with `truncated`.
//
// Both walks are bounded whatever the vendor's pages say: each page checks ctx.until (failing with
// upstream_timeout), a continuation already followed in the walk fails with upstream_error ("the
// vendor's pages loop"), and the walk yields to its executor between pages. A page is mapped once
// and kept in ctx.pages (unless include=raw), keyed by the vendor and what decides the page (the
// query without its cursor, the order asked, the bound, the continuation, the page size): a hit
// costs a copy of its records, no parse and no mapping.
net::awaitable<result<list_result>> keyset_walk(const list_request& req, call_context& ctx,
                                                const page_fetcher& fetch, std::size_t max_per_page,
                                                std::size_t scan_limit);

// A vendor's scan of one query: every record that passes the query's filters, in its order.
struct scan_snapshot {
  std::vector<conversation> records;
  bool truncated = false;  // the scan cap cut it: the order covers only what was read
};

// Scan walk, for a vendor that cannot serve the order: read every matching page (at
// most `scan_limit` records; `truncated` says when the cap cut it), filter, order, and return
// the first `want` records that follow `after`. The ordered scan is kept in ctx.scans, keyed by
// the vendor and the query without its cursor, so that the next pages of a walk (and identical
// walks in flight together) cost a binary search and a copy instead of a scan.
net::awaitable<result<list_result>> scan_walk(const list_request& req, call_context& ctx,
                                              const page_fetcher& fetch, std::size_t max_per_page,
                                              std::size_t scan_limit);

// The vendor page size a keyset walk asks for to serve `want` records (before the vendor's cap).
std::size_t keyset_page_size(std::size_t want);

// True when `c` passes every filter and comes strictly after `after`.
bool admits(const list_request& req, const conversation& c);

}  // namespace cgw::adapter
