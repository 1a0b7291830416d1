#include "gateway/adapter/walk.hpp"

#include <algorithm>
#include <iterator>
#include <limits>

namespace cgw::adapter {
namespace {

// The first `keep` records in the order `s` (all of them by default), each key computed once and
// only the kept records moved.
std::vector<conversation> ordered(std::vector<conversation> records, const sort_spec& s,
                                  std::size_t keep = std::numeric_limits<std::size_t>::max()) {
  std::vector<std::pair<sort_key, std::size_t>> keys;
  keys.reserve(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) keys.emplace_back(key_of(records[i], s), i);
  const auto kept = keys.begin() + static_cast<std::ptrdiff_t>(std::min(keep, keys.size()));
  std::partial_sort(keys.begin(), kept, keys.end(),
                    [&](const auto& a, const auto& b) { return before(a.first, b.first, s); });
  std::vector<conversation> out;
  out.reserve(static_cast<std::size_t>(kept - keys.begin()));
  for (auto it = keys.begin(); it != kept; ++it) out.push_back(std::move(records[it->second]));
  return out;
}

void sort_records(std::vector<conversation>& records, const sort_spec& s) { records = ordered(std::move(records), s); }

struct scan_outcome {
  std::vector<conversation> records;
  bool truncated = false;
};

// Reads pages until the vendor runs out or `scan_limit` records were read.
net::awaitable<result<scan_outcome>> read_all(const list_query& q, call_context& ctx, const page_fetcher& fetch,
                                              bool sorted, std::size_t per_page, std::size_t scan_limit) {
  scan_outcome out;
  page_ask ask{q, sorted, std::nullopt, {}, per_page};
  std::size_t read = 0;
  while (true) {
    auto page = co_await fetch(ask, ctx);
    if (!page) co_return page.error();
    read += page->records.size();
    if (out.records.empty()) out.records = std::move(page->records);  // a scan is often one page
    else out.records.insert(out.records.end(), std::make_move_iterator(page->records.begin()),
                            std::make_move_iterator(page->records.end()));
    if (!page->next) break;
    if (read >= scan_limit) {
      out.truncated = true;
      break;
    }
    ask.continuation = std::move(*page->next);
  }
  co_return out;
}

// The records of `all` with a null sort value that the request admits, in id order.
std::vector<conversation> null_tail(std::vector<conversation>& all, const list_request& req) {
  std::vector<conversation> out;
  for (auto& r : all)
    if (!sort_value(r, req.query.sort.field) && admits(req, r)) out.push_back(std::move(r));
  sort_records(out, req.query.sort);
  return out;
}

}  // namespace

std::size_t keyset_page_size(std::size_t want) { return want + std::max<std::size_t>(2, want / 10) + 1; }

bool admits(const list_request& req, const conversation& c) {
  if (req.after && !before(*req.after, key_of(c, req.query.sort), req.query.sort)) return false;
  return req.query.matches_all(c);
}

net::awaitable<result<list_result>> keyset_walk(const list_request& req, call_context& ctx, const page_fetcher& fetch,
                                                std::size_t max_per_page, std::size_t scan_limit) {
  const sort_spec& s = req.query.sort;
  list_result out;
  // One page size for the whole walk (page numbers mean offsets only under a fixed size), with
  // room for the records tied with the cursor at the start and an open tie group at the end, so
  // that one vendor page usually serves one gateway page.
  const std::size_t per_page = std::clamp<std::size_t>(keyset_page_size(req.want), 1, max_per_page);
  std::vector<conversation> nulls_seen;
  bool saw_everything = false;  // an unbounded walk that ran out has seen the null-valued records too

  if (!req.after || req.after->value) {
    page_ask ask{req.query, true, req.after ? req.after->value : std::nullopt, {}, per_page};
    std::vector<conversation> group;  // records sharing the last sort value: final once the value changes
    std::optional<std::int64_t> group_value;
    auto flush = [&] {
      sort_records(group, s);
      for (auto& r : group)
        if (admits(req, r)) out.records.push_back(std::move(r));
      group.clear();
    };
    while (true) {
      auto page = co_await fetch(ask, ctx);
      if (!page) co_return page.error();
      for (auto& r : page->records) {
        auto v = sort_value(r, s.field);
        if (!v) {
          if (!ask.bound) nulls_seen.push_back(std::move(r));
          continue;
        }
        if (group_value && *v != *group_value) {
          if (s.descending ? *v > *group_value : *v < *group_value)
            co_return failure::make(errc::upstream_error, "the vendor returned records out of the requested order");
          flush();
        }
        group_value = v;
        group.push_back(std::move(r));
      }
      if (!page->next) {
        flush();
        saw_everything = !ask.bound;
        break;
      }
      if (out.records.size() >= req.want) co_return out;  // the open tie group is fetched again next time
      ask.continuation = std::move(*page->next);
    }
    if (out.records.size() >= req.want && !saw_everything) co_return out;  // null-valued records may follow
  }

  // The records whose sort value is null come last. A bounded walk never saw them
  // (a range filter excludes nulls), so they take one unsorted read of the filtered set.
  if (!saw_everything) {
    auto all = co_await read_all(req.query, ctx, fetch, false, max_per_page, scan_limit);
    if (!all) co_return all.error();
    out.truncated = all->truncated;
    nulls_seen = std::move(all->records);
  }
  for (auto& r : null_tail(nulls_seen, req)) out.records.push_back(std::move(r));
  out.exhausted = true;
  co_return out;
}

net::awaitable<result<list_result>> scan_walk(const list_request& req, call_context& ctx, const page_fetcher& fetch,
                                              std::size_t max_per_page, std::size_t scan_limit) {
  auto all = co_await read_all(req.query, ctx, fetch, false, max_per_page, scan_limit);
  if (!all) co_return all.error();
  list_result out;
  out.truncated = all->truncated;
  std::vector<conversation> admitted = std::move(all->records);
  std::erase_if(admitted, [&](const conversation& r) { return !admits(req, r); });  // gone now, not at the end
  // Only the first `want` are returned; the next page scans again from its cursor.
  out.exhausted = admitted.size() <= req.want;
  out.records = ordered(std::move(admitted), req.query.sort, req.want);
  out.note = "the vendor cannot serve this order: the gateway read the matching records and sorted them";
  co_return out;
}

}  // namespace cgw::adapter
