#include "gateway/adapter/walk.hpp"

#include "gateway/metrics/catalog.hpp"

#include <algorithm>
#include <iterator>
#include <unordered_set>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace cgw::adapter {
namespace {

using record_it = std::vector<conversation>::iterator;

// The positions of [first, last) in the order `s`, each key computed once.
std::vector<std::size_t> order_of(record_it first, record_it last, const sort_spec& s) {
  std::vector<std::pair<sort_key, std::size_t>> keys;
  keys.reserve(static_cast<std::size_t>(last - first));
  for (auto it = first; it != last; ++it)
    keys.emplace_back(key_of(*it, s), static_cast<std::size_t>(it - first));
  std::sort(keys.begin(), keys.end(),
            [&](const auto& a, const auto& b) { return before(a.first, b.first, s); });
  std::vector<std::size_t> out;
  out.reserve(keys.size());
  for (const auto& k : keys) out.push_back(k.second);
  return out;
}

// A tie group in place, at the tail of a walk's records.
void sort_records(record_it first, record_it last, const sort_spec& s) {
  if (last - first < 2) return;  // most tie groups are one record
  std::vector<conversation> sorted;
  sorted.reserve(static_cast<std::size_t>(last - first));
  for (std::size_t i : order_of(first, last, s))
    sorted.push_back(std::move(first[static_cast<std::ptrdiff_t>(i)]));
  std::move(sorted.begin(), sorted.end(), first);
}

// A whole scan, each record moved once.
void sort_records(std::vector<conversation>& records, const sort_spec& s) {
  if (records.size() < 2) return;
  std::vector<conversation> sorted;
  sorted.reserve(records.size());
  for (std::size_t i : order_of(records.begin(), records.end(), s)) sorted.push_back(std::move(records[i]));
  records = std::move(sorted);
}

// What a kept record costs, roughly: its strings and vectors (a kept record has no raw).
std::uint64_t footprint(const conversation& c) {
  std::uint64_t n = sizeof(conversation) + c.id.capacity() + c.vendor.capacity() + c.vendor_type.capacity() +
                    c.native_id.capacity();
  for (const auto* s : {&c.account_id, &c.title, &c.channel, &c.platform, &c.language, &c.sentiment,
                        &c.summary, &c.status, &c.owner_id, &c.user_id, &c.person_id})
    if (*s) n += s->value().capacity();
  n += c.agents.size() * sizeof(agent) + c.segments.size() * sizeof(segment) +
       c.messages.size() * sizeof(message);
  for (const auto& m : c.messages) n += m.content ? m.content->capacity() : 0;
  for (const auto& t : c.tags) n += sizeof(t) + t.capacity();
  for (const auto& [name, url] : c.links) n += sizeof(name) * 2 + name.capacity() + url.capacity();
  return n;
}

// How a kept page or scan served this walk: in meta (a hit, or shared with a walk in flight) and in
// cgw_computed_requests_total{vendor, kind, result}.
void count(call_context& ctx, std::string_view kind, policy::memo_outcome how) {
  if (how == policy::memo_outcome::hit) ++ctx.stats.cache_hits;
  if (how == policy::memo_outcome::coalesced) ++ctx.stats.coalesced;
  const char* result = how == policy::memo_outcome::hit         ? "hit"
                       : how == policy::memo_outcome::coalesced ? "coalesced"
                                                                : "computed";
  metrics::computed_requests.with({ctx.vendor, kind, result}).add();
}

// The pages of one walk, fetched so that no vendor can keep the walk going: every page checks
// the deadline (a page served from the cache never reaches the client's own check), a
// continuation this walk already followed is the vendor's pages looping, and the walk yields to
// the io thread between pages (a cache hit completes without suspending, so a long walk of hits
// would otherwise hold the thread and stall every connection on it).
class page_walk {
 public:
  page_walk(call_context& ctx, const page_fetcher& fetch, std::size_t per_page, std::size_t scan_limit)
      : ctx_(ctx),
        fetch_(fetch),
        scan_limit_(scan_limit),
        // Twice the pages `scan_limit` full pages take: room for short pages, a bound for empty ones.
        max_pages_(
            2 * ((scan_limit + std::max<std::size_t>(per_page, 1) - 1) / std::max<std::size_t>(per_page, 1)) +
            2) {}

  // The page at `ask.continuation`; fails past the deadline (deadline_exceeded when it is the
  // client's, upstream_timeout when the vendor's timeout_ms ran out), with upstream_error
  // when the continuation was followed before in this walk, or with whatever the fetch fails with.
  net::awaitable<result<vendor_page>> next(const page_ask& ask) {
    if (pages_ > 0) co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
    if (clock::now() >= ctx_.until) {
      // The client's own shorter deadline is not the vendor being slow (spec "Client deadline").
      if (ctx_.clients_deadline)
        co_return failure::make(errc::deadline_exceeded, "the request's deadline ended the walk (" +
                                                             std::to_string(pages_) + " pages read)");
      co_return failure::make(errc::upstream_timeout, "the vendor's pages did not end within the deadline (" +
                                                          std::to_string(pages_) + " pages read)");
    }
    // The continuation itself is not quoted: it is the vendor's text (a link may carry a token).
    if (!seen_.insert(ask.continuation).second)
      co_return failure::make(errc::upstream_error,
                              "the vendor's pages loop: a next-page position came back that "
                              "this walk had already read (after " +
                                  std::to_string(pages_) + " pages)");
    ++pages_;
    auto page = co_await fetch(ask);
    if (page) read_ += page->records.size();
    co_return page;
  }

  // True when no further page may be read: `scan_limit` records, or the page cap, reached.
  bool at_cap() const { return read_ >= scan_limit_ || pages_ >= max_pages_; }

 private:
  // The page, mapped by the vendor's fetcher, or a copy of the one kept (or being read) for the
  // same ask (the page itself when nobody else holds it). A raw page is not kept: its records
  // hold the vendor's whole parsed answer.
  net::awaitable<result<vendor_page>> fetch(const page_ask& ask) {
    if (!ctx_.pages || ask.query.include_raw) co_return co_await fetch_(ask, ctx_);
    std::string key = std::string(ctx_.vendor) + (ask.sorted ? "|sorted|" : "|") +
                      (ask.bound ? std::to_string(*ask.bound) : "-") + "|" + std::to_string(ask.per_page) +
                      "|" + std::to_string(ask.continuation.size()) + ":" + ask.continuation + "|" +
                      ask.query.fingerprint_material();
    std::optional<failure> failed;
    const bool keeps = ctx_.kept_for.count() > 0;
    auto compute = [&]() -> net::awaitable<policy::memo<vendor_page>::computed> {
      auto own = co_await fetch_(ask, ctx_);
      if (!own) {
        failed = own.error();
        co_return policy::memo<vendor_page>::computed{};
      }
      // Unasked, raw is not kept. The size matters only to a page that is kept (TTL above 0).
      std::uint64_t bytes = sizeof(vendor_page);
      for (auto& r : own->records) r.raw.reset(), bytes += keeps ? footprint(r) : 0;
      co_return policy::memo<vendor_page>::computed{std::make_shared<vendor_page>(std::move(*own)), bytes};
    };
    auto [kept, how] = co_await ctx_.pages->get(key, ctx_.kept_for, ctx_.until, compute);
    if (!kept) co_return failed.value_or(failure::make(errc::internal, "the page ended without an answer"));
    count(ctx_, "page", how);
    co_return policy::take(std::move(kept));
  }

  call_context& ctx_;
  const page_fetcher& fetch_;
  std::size_t scan_limit_, max_pages_;
  std::size_t pages_ = 0, read_ = 0;
  std::unordered_set<std::string> seen_;
};

struct scan_outcome {
  std::vector<conversation> records;
  bool truncated = false;
};

// Reads pages until the vendor runs out or `scan_limit` records (or the page cap) were read.
net::awaitable<result<scan_outcome>> read_all(const list_query& q, call_context& ctx,
                                              const page_fetcher& fetch, bool sorted, std::size_t per_page,
                                              std::size_t scan_limit) {
  scan_outcome out;
  page_ask ask{q, sorted, std::nullopt, {}, per_page};
  page_walk pages(ctx, fetch, per_page, scan_limit);
  while (true) {
    auto page = co_await pages.next(ask);
    if (!page) co_return page.error();
    if (out.records.empty())
      out.records = std::move(page->records);  // a scan is often one page
    else
      out.records.insert(out.records.end(), std::make_move_iterator(page->records.begin()),
                         std::make_move_iterator(page->records.end()));
    if (!page->next) break;
    if (pages.at_cap()) {
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

std::size_t keyset_page_size(std::size_t want) {
  return want + std::max<std::size_t>(2, want / 10) + 1;
}

bool admits(const list_request& req, const conversation& c) {
  if (req.after && !before(*req.after, c, req.query.sort)) return false;
  return req.query.matches_all(c);
}

net::awaitable<result<list_result>> keyset_walk(const list_request& req, call_context& ctx,
                                                const page_fetcher& fetch, std::size_t max_per_page,
                                                std::size_t scan_limit) {
  const sort_spec& s = req.query.sort;
  list_result out;
  // One page size for the whole walk (page numbers mean offsets only under a fixed size), with
  // room for the records tied with the cursor at the start and an open tie group at the end, so
  // that one vendor page usually serves one gateway page.
  const std::size_t per_page = std::clamp<std::size_t>(keyset_page_size(req.want), 1, max_per_page);
  out.records.reserve(per_page);
  std::vector<conversation> nulls_seen;
  bool saw_everything = false;  // an unbounded walk that ran out has seen the null-valued records too

  if (!req.after || req.after->value) {
    page_ask ask{req.query, true, req.after ? req.after->value : std::nullopt, {}, per_page};
    page_walk pages(ctx, fetch, per_page, scan_limit);
    // The records sharing the last sort value are the tail of out.records from `group`: final
    // once the value changes, each record moved once (from its page).
    std::size_t group = 0;
    // A record the vendor repeats within its tie group is kept once. Nearly every group is one
    // record: its ids are compared in place until it grows, and indexed from then on.
    std::unordered_set<std::string> group_ids;
    auto first_in_group = [&](const std::string& id) {
      constexpr std::size_t scanned = 8;
      const auto begin = out.records.begin() + static_cast<std::ptrdiff_t>(group);
      if (out.records.size() - group < scanned)
        return std::none_of(begin, out.records.end(), [&](const conversation& c) { return c.id == id; });
      if (group_ids.empty())
        for (auto it = begin; it != out.records.end(); ++it) group_ids.insert(it->id);
      return group_ids.insert(id).second;
    };
    std::optional<std::int64_t> group_value;
    auto flush = [&] {
      const auto begin = out.records.begin() + static_cast<std::ptrdiff_t>(group);
      sort_records(begin, out.records.end(), s);
      out.records.erase(
          std::remove_if(begin, out.records.end(), [&](const conversation& r) { return !admits(req, r); }),
          out.records.end());
      group = out.records.size();
      group_ids.clear();
    };
    while (true) {
      auto page = co_await pages.next(ask);
      if (!page) co_return page.error();
      for (auto& r : page->records) {
        auto v = sort_value(r, s.field);
        if (!v) {
          if (!ask.bound) nulls_seen.push_back(std::move(r));
          continue;
        }
        if (group_value && *v != *group_value) {
          if (s.descending ? *v > *group_value : *v < *group_value)
            co_return failure::make(errc::upstream_error,
                                    "the vendor returned records out of the requested order");
          flush();
        }
        group_value = v;
        if (first_in_group(r.id)) out.records.push_back(std::move(r));
      }
      if (!page->next) {
        flush();
        saw_everything = !ask.bound;
        break;
      }
      if (group >= req.want) {  // the open tie group is fetched again next time
        out.records.erase(out.records.begin() + static_cast<std::ptrdiff_t>(group), out.records.end());
        co_return out;
      }
      if (pages.at_cap()) {
        // Capped like a scan: the order covers what was read. A tie group (bounded by the cap, its
        // repeats dropped) is cut here too; the next gateway page walks again from its cursor.
        flush();
        out.truncated = true;
        out.exhausted = true;
        co_return out;
      }
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

namespace {

// Reads, filters and orders the whole scan of `req.query` (its cursor aside).
net::awaitable<result<scan_snapshot>> scan(const list_request& req, call_context& ctx,
                                           const page_fetcher& fetch, std::size_t max_per_page,
                                           std::size_t scan_limit) {
  auto all = co_await read_all(req.query, ctx, fetch, false, max_per_page, scan_limit);
  if (!all) co_return all.error();
  scan_snapshot out;
  out.truncated = all->truncated;
  out.records = std::move(all->records);
  std::erase_if(out.records, [&](const conversation& r) { return !req.query.matches_all(r); });
  if (!req.query.include_raw)
    for (auto& r : out.records) r.raw.reset();  // may be kept: without the vendor's answers
  sort_records(out.records, req.query.sort);
  co_return out;
}

}  // namespace

net::awaitable<result<list_result>> scan_walk(const list_request& req, call_context& ctx,
                                              const page_fetcher& fetch, std::size_t max_per_page,
                                              std::size_t scan_limit) {
  std::shared_ptr<const scan_snapshot> snapshot;
  if (!ctx.scans || req.query.include_raw) {  // a raw scan is not kept: it holds the vendor's answers
    auto own = co_await scan(req, ctx, fetch, max_per_page, scan_limit);
    if (!own) co_return own.error();
    snapshot = std::make_shared<const scan_snapshot>(std::move(*own));
  } else {
    // The vendor instance and everything that decides the scan: filters and sort, not the cursor.
    const std::string key = std::string(ctx.vendor) + "|" + req.query.fingerprint_material();
    std::optional<failure> failed;
    auto compute = [&]() -> net::awaitable<policy::memo<scan_snapshot>::computed> {
      auto own = co_await scan(req, ctx, fetch, max_per_page, scan_limit);
      if (!own) {
        failed = own.error();
        co_return policy::memo<scan_snapshot>::computed{};
      }
      std::uint64_t bytes = sizeof(scan_snapshot);
      if (ctx.kept_for.count() > 0)  // the size matters only to a scan that is kept
        for (const auto& r : own->records) bytes += footprint(r);
      co_return policy::memo<scan_snapshot>::computed{std::make_shared<scan_snapshot>(std::move(*own)),
                                                      bytes};
    };
    auto [value, how] = co_await ctx.scans->get(key, ctx.kept_for, ctx.until, compute);
    if (!value) co_return failed.value_or(failure::make(errc::internal, "the scan ended without an answer"));
    count(ctx, "scan", how);
    snapshot = std::move(value);
  }
  // The page: the first `want` records strictly after the cursor (the snapshot is in the order).
  const auto& records = snapshot->records;
  const auto from = !req.after
                        ? records.begin()
                        : std::partition_point(records.begin(), records.end(), [&](const conversation& c) {
                            return !before(*req.after, c, req.query.sort);
                          });
  const std::size_t left = static_cast<std::size_t>(records.end() - from);
  list_result out;
  out.truncated = snapshot->truncated;
  out.exhausted = left <= req.want;
  out.records.assign(from, from + static_cast<std::ptrdiff_t>(std::min(left, req.want)));
  out.note = "the vendor cannot serve this order: the gateway read the matching records and sorted them";
  co_return out;
}

}  // namespace cgw::adapter
