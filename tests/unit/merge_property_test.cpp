// Randomized property test of the whole list path (fan-out, walks, k-way merge,
// cursors) over fake vendors with ties, nulls, arbitrary tie orders, vendors that
// can and cannot sort, and random filters and page sizes: following next_cursor
// yields exactly the expected records, each once, in order.
#include "gateway/adapter/walk.hpp"
#include "gateway/api/conversations.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace cgw {
namespace ad = cgw::adapter;
namespace {

// A vendor in memory: a native order with arbitrary tie ranks, page-number paging,
// range bounds on its native sort fields, and (optionally) a pushed-down min duration.
class fake_vendor final : public ad::adapter {
 public:
  fake_vendor(std::string name, std::vector<conversation> data, std::vector<sort_field> native,
              bool push_duration, bool nulls_first, std::uint64_t seed)
      : data_(std::move(data)), push_duration_(push_duration), nulls_first_(nulls_first) {
    cfg_.name = std::move(name);
    cfg_.type = "fake";
    cfg_.timeout_ms = 60'000;
    caps_.can_list = true;
    caps_.can_get = true;
    caps_.native_sorts = std::move(native);
    if (push_duration_) caps_.pushdown.set(static_cast<std::size_t>(filter::min_duration_ms));
    salt_ = std::to_string(seed);
  }

  std::vector<conversation> data_;
  unsigned calls = 0;

  const ad::capabilities& caps() const noexcept override { return caps_; }
  const config::vendor_config& config() const noexcept override { return cfg_; }
  filter_set pushed_down(const list_query& q) const override { return q.filters() & caps_.pushdown; }
  ad::plan explain(const ad::list_request&) const override { return {}; }
  net::awaitable<result<conversation>> get(std::string_view native_id, ad::call_context& ctx) const override {
    ++ctx.stats.upstream_requests;
    for (const auto& c : data_)
      if (c.native_id == native_id) co_return c;
    co_return failure::make(errc::not_found, "none");
  }

  void without_list() {  // a vendor like Zild: get-by-id only
    caps_.can_list = false;
    caps_.can_get = true;
  }

  net::awaitable<result<ad::list_result>> list(const ad::list_request& req,
                                               ad::call_context& ctx) const override {
    ad::page_fetcher fetch = [this](const ad::page_ask& ask, ad::call_context& c) { return page(ask, c); };
    bool native = std::find(caps_.native_sorts.begin(), caps_.native_sorts.end(), req.query.sort.field) !=
                  caps_.native_sorts.end();
    if (native) co_return co_await ad::keyset_walk(req, ctx, fetch, 7, 100000);
    co_return co_await ad::scan_walk(req, ctx, fetch, 7, 100000);
  }

 private:
  net::awaitable<result<ad::vendor_page>> page(const ad::page_ask& ask, ad::call_context& ctx) const {
    ++ctx.stats.upstream_requests;
    const auto& q = ask.query;
    std::vector<std::size_t> rows;
    for (std::size_t i = 0; i < data_.size(); ++i) {
      const auto& c = data_[i];
      if (push_duration_ && q.min_duration_ms && !(c.duration_ms && *c.duration_ms >= *q.min_duration_ms))
        continue;
      if (ask.sorted && ask.bound) {
        auto v = sort_value(c, q.sort.field);
        if (!v || (q.sort.descending ? *v > *ask.bound : *v < *ask.bound))
          continue;  // SQL: null never matches
      }
      rows.push_back(i);
    }
    std::sort(rows.begin(), rows.end(), [&](std::size_t a, std::size_t b) {
      if (ask.sorted) {
        auto va = sort_value(data_[a], q.sort.field), vb = sort_value(data_[b], q.sort.field);
        if (va.has_value() != vb.has_value()) return nulls_first_ ? !va.has_value() : va.has_value();
        if (va && *va != *vb) return q.sort.descending ? *va > *vb : *va < *vb;
      }
      return rank(data_[a]) < rank(data_[b]);  // ties in an order of the vendor's own, not by id
    });
    std::size_t page = ask.continuation.empty() ? 1 : std::stoul(ask.continuation);
    ad::vendor_page out;
    for (std::size_t i = (page - 1) * ask.per_page; i < std::min(rows.size(), page * ask.per_page); ++i)
      out.records.push_back(data_[rows[i]]);
    if (page * ask.per_page < rows.size()) out.next = std::to_string(page + 1);
    co_return out;
  }

  config::vendor_config cfg_;
  ad::capabilities caps_;
  // A stable position of the vendor's own for a record, unrelated to id order; records may be
  // added between pages, so it is derived from the record rather than stored.
  std::size_t rank(const conversation& c) const { return std::hash<std::string>{}(c.id + salt_); }
  std::string salt_;
  bool push_duration_, nulls_first_;
};

struct world {
  std::shared_ptr<api::runtime> rt = std::make_shared<api::runtime>();
  api::caller who{"test", "t", {}};
  std::vector<fake_vendor*> vendors;

  fake_vendor& add(std::unique_ptr<fake_vendor> v) {
    auto name = v->config().name;
    vendors.push_back(v.get());
    rt->adapters.emplace(name, std::move(v));
    rt->health.emplace(name, std::make_shared<api::vendor_health>());
    who.vendors.push_back(name);
    std::sort(who.vendors.begin(), who.vendors.end());
    return *vendors.back();
  }

  // One page through the real list path.
  api::answer page(const std::string& query) {
    auto q = parse_list_query(query);
    EXPECT_TRUE(q) << query;
    net::io_context ioc;
    upstream::client http(ioc.get_executor());
    api::request_scope scope{*rt, who, http, clock::now() + std::chrono::seconds(30), "test"};
    api::answer out;
    net::co_spawn(ioc, api::list_conversations(scope, *q), [&](std::exception_ptr e, api::answer a) {
      if (e) std::rethrow_exception(e);
      out = std::move(a);
    });
    ioc.run();
    return out;
  }

  // Every id of a walk to the end, or a test failure.
  std::vector<std::string> walk(const std::string& query, const std::function<void(int)>& between = {}) {
    std::vector<std::string> ids;
    std::string cursor;
    for (int n = 0; n < 100000; ++n) {
      const auto a = page(query + (cursor.empty() ? "" : "&cursor=" + cursor));
      const auto body = boost::json::parse(api::body_text(a));  // the records are written as text
      EXPECT_EQ(a.status, 200u) << body;
      if (a.status != 200) break;
      for (const auto& r : body.at("data").as_array()) ids.emplace_back(r.at("id").as_string());
      const auto& next = body.at("meta").at("next_cursor");
      if (next.is_null()) break;
      cursor = std::string(next.as_string());
      if (between) between(n);
    }
    return ids;
  }
};

std::shared_ptr<config::gateway_config> test_config() {
  auto cfg = std::make_shared<config::gateway_config>();
  cfg->cursor_secret = config::secret("property-test-cursor-secret-0123456789abc");
  return cfg;
}

conversation random_record(std::mt19937_64& rng, const std::string& vendor, int n) {
  auto maybe = [&](int range) -> std::optional<std::int64_t> {
    if (rng() % 5 == 0) return std::nullopt;          // nulls, often
    return static_cast<std::int64_t>(rng() % range);  // small ranges: many ties
  };
  conversation c;
  set_identity(c, vendor, "fake", "r" + std::to_string(rng() % 1000) + "-" + std::to_string(n));
  c.started_at = maybe(12);
  c.created_at = maybe(30);
  c.updated_at = maybe(5);
  c.duration_ms = maybe(8);
  if (rng() % 3) c.language = rng() % 2 ? "en-US" : "fr-FR";
  return c;
}

const sort_field all_fields[] = {sort_field::started_at, sort_field::created_at, sort_field::updated_at,
                                 sort_field::duration_ms};

TEST(MergeProperty, EveryWalkYieldsEachMatchingRecordOnceInOrder) {
  std::mt19937_64 rng(20261121);
  for (int round = 0; round < 1500; ++round) {
    world w;
    w.rt->cfg = test_config();
    w.rt->cursor_mac.emplace(w.rt->cfg->cursor_secret.reveal());
    const int vendor_count = 1 + static_cast<int>(rng() % 4);
    for (int v = 0; v < vendor_count; ++v) {
      std::string name = "v" + std::to_string(v);
      std::vector<conversation> data;
      const int n = static_cast<int>(rng() % 40);
      for (int i = 0; i < n; ++i) data.push_back(random_record(rng, name, i));
      std::vector<sort_field> native;
      for (auto f : all_fields)
        if (rng() % 2) native.push_back(f);
      w.add(std::make_unique<fake_vendor>(name, std::move(data), native, rng() % 2, rng() % 2, rng()));
    }
    const sort_spec sort{all_fields[rng() % 4], rng() % 2 == 0};
    std::string query = "sort=" + std::string(sort.descending ? "-" : "") +
                        std::string(to_string(sort.field)) + "&page_size=" + std::to_string(1 + rng() % 12);
    if (rng() % 3 == 0) query += "&min_duration_ms=" + std::to_string(rng() % 6);
    if (rng() % 4 == 0) query += "&language=en-us";
    if (rng() % 5 == 0) query += "&vendor=v0";
    auto q = parse_list_query(query);
    ASSERT_TRUE(q);

    std::vector<conversation> expected;
    for (auto* v : w.vendors) {
      if (!q->vendors.empty() && v->config().name != "v0") continue;
      for (const auto& c : v->data_)
        if (q->matches_all(c)) expected.push_back(c);
    }
    std::sort(expected.begin(), expected.end(), [&](const conversation& a, const conversation& b) {
      return before(key_of(a, sort), key_of(b, sort), sort);
    });
    std::vector<std::string> want;
    for (const auto& c : expected) want.push_back(c.id);

    auto got = w.walk(query);
    ASSERT_EQ(got, want) << "round " << round << ": " << query;
  }
}

TEST(MergeProperty, BatchesComeInRequestOrderAcrossVendorsWithAndWithoutLists) {
  std::mt19937_64 rng(99);
  for (int round = 0; round < 500; ++round) {
    world w;
    w.rt->cfg = test_config();
    w.rt->cursor_mac.emplace(w.rt->cfg->cursor_secret.reveal());
    std::vector<std::string> pool;
    for (int v = 0; v < 3; ++v) {
      std::string name = "v" + std::to_string(v);
      std::vector<conversation> data;
      for (int i = 0; i < 15; ++i) data.push_back(random_record(rng, name, i));
      for (const auto& c : data) pool.push_back(c.id);
      auto& vendor = w.add(std::make_unique<fake_vendor>(name, std::move(data), std::vector<sort_field>{},
                                                         false, false, rng()));
      if (rng() % 2) vendor.without_list();
    }
    pool.push_back("v1:unknown");
    pool.push_back("nobody:1");
    std::vector<std::string> ids;
    const std::size_t n = 1 + rng() % 30;
    for (std::size_t i = 0; i < n; ++i) ids.push_back(pool[rng() % pool.size()]);
    std::string query = "page_size=" + std::to_string(1 + rng() % 8) + "&id=";
    for (std::size_t i = 0; i < ids.size(); ++i) query += (i ? "," : "") + ids[i];
    if (rng() % 3 == 0) query += "&language=fr-FR";
    auto q = parse_list_query(query);
    ASSERT_TRUE(q);
    std::vector<std::string> want;
    for (const auto& id : ids) {
      if (std::find(want.begin(), want.end(), id) != want.end()) continue;
      for (auto* v : w.vendors)
        for (const auto& c : v->data_)
          if (c.id == id && q->matches_all(c)) want.push_back(id);
    }
    ASSERT_EQ(w.walk(query), want) << "round " << round << ": " << query;
  }
}

TEST(MergeProperty, DataChangingBetweenPagesNeverRepeatsARecord) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 300; ++round) {
    world w;
    w.rt->cfg = test_config();
    w.rt->cursor_mac.emplace(w.rt->cfg->cursor_secret.reveal());
    for (int v = 0; v < 3; ++v) {
      std::string name = "v" + std::to_string(v);
      std::vector<conversation> data;
      for (int i = 0; i < 30; ++i) data.push_back(random_record(rng, name, i));
      w.add(std::make_unique<fake_vendor>(
          name, std::move(data), std::vector<sort_field>{sort_field::created_at}, false, rng() % 2, rng()));
    }
    const std::string query =
        std::string(rng() % 2 ? "sort=-created_at" : "sort=started_at") + "&page_size=4";
    int added = 0;
    auto ids = w.walk(query, [&](int) {
      auto& v = *w.vendors[rng() % 3];
      if (!v.data_.empty() && rng() % 2)
        v.data_.erase(v.data_.begin() + static_cast<long>(rng() % v.data_.size()));
      v.data_.push_back(random_record(rng, v.config().name, 1000 + added++));
    });
    std::set<std::string> unique(ids.begin(), ids.end());
    ASSERT_EQ(unique.size(), ids.size()) << "round " << round << ": a record came twice";
  }
}

}  // namespace
}  // namespace cgw
