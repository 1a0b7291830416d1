// The Salesloft sandbox called directly (no sockets), and the sandbox kit's server and fault
// menu over real loopback sockets.
#include "adapters/salesloft/sandbox/sandbox.hpp"
#include "adapters/sandbox/faults.hpp"
#include "adapters/sandbox/server.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <limits>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>

namespace cgw::sandbox::salesloft {
namespace {

using namespace std::chrono_literals;
using record = json::object;

constexpr std::string_view bearer = "Bearer sandbox-salesloft-token";

options small(std::uint32_t records, std::uint32_t budget = 0) {
  options o;
  o.records = records;
  o.budget_per_minute = budget;
  return o;
}

request vendor_get(const std::string& target, std::string_view auth = bearer) {
  request req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!auth.empty()) req.set(http::field::authorization, auth);
  return req;
}

response get(handler& h, const std::string& target, std::string_view auth = bearer) {
  return h.handle(vendor_get(target, auth));
}

json::object body_of(const response& res) {
  return json::parse(res.body()).as_object();
}

std::string id_of(const record& r) {
  return std::string(r.at("id").as_string());
}

std::vector<std::string> ids_of(const std::vector<record>& records) {
  std::vector<std::string> ids;
  for (const auto& r : records) ids.push_back(id_of(r));
  return ids;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// Every record the list endpoint returns for query (which sets neither page nor per_page), page by page.
std::vector<record> walk(handler& h, const std::string& query, unsigned per_page = 100) {
  std::vector<record> out;
  for (unsigned page = 1; page <= 10'000; ++page) {
    const auto res = get(h, "/v2/conversations?per_page=" + std::to_string(per_page) +
                                "&page=" + std::to_string(page) + (query.empty() ? "" : "&" + query));
    EXPECT_EQ(res.result(), http::status::ok) << query << ": " << res.body();
    if (res.result() != http::status::ok) break;
    const auto body = body_of(res);
    const auto& paging = body.at("metadata").at("paging").as_object();
    EXPECT_EQ(paging.at("current_page").to_number<unsigned>(), page);
    EXPECT_EQ(paging.at("per_page").to_number<unsigned>(), per_page);
    EXPECT_EQ(paging.at("prev_page").is_null(), page == 1);
    for (const auto& r : body.at("data").as_array()) out.push_back(r.as_object());
    if (paging.at("next_page").is_null()) break;
    EXPECT_EQ(paging.at("next_page").to_number<unsigned>(), page + 1);
  }
  return out;
}

std::vector<std::string> expected_ids(handler& h, const std::function<bool(const record&)>& keep) {
  std::vector<std::string> ids;
  for (const auto& r : dataset(h)) {
    if (keep(r)) ids.push_back(id_of(r));
  }
  return ids;
}

// Field access for the independent predicates: a JSON null or a missing field is nullopt.
std::optional<std::string> text(const record& r, std::string_view field) {
  const auto& v = r.at(field);
  return v.is_string() ? std::optional(std::string(v.as_string())) : std::nullopt;
}
std::optional<std::string> ref_id(const record& r, std::string_view field) {
  const auto& v = r.at(field);
  return v.is_object() ? text(v.as_object(), "id") : std::nullopt;
}
std::optional<std::int64_t> duration(const record& r) {
  const auto& v = r.at("duration");
  return v.is_null() ? std::nullopt : std::optional(v.to_number<std::int64_t>());
}

// Titles have spaces, which a request target cannot carry raw.
std::string escaped(std::string text) {
  for (std::size_t at = text.find(' '); at != std::string::npos; at = text.find(' ', at))
    text.replace(at, 1, "%20");
  return text;
}

const record& first_with(handler& h, std::string_view field) {
  for (const auto& r : dataset(h)) {
    if (!r.at(field).is_null()) return r;
  }
  throw std::logic_error("no record has " + std::string(field));
}

class SalesloftSandbox : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { shared_ = make_handler(small(3000)).release(); }
  static void TearDownTestSuite() { delete shared_; }
  handler& h() { return *shared_; }

  static handler* shared_;  // one 3000-record dataset for the read-only tests
};
handler* SalesloftSandbox::shared_ = nullptr;

// --- dataset ---------------------------------------------------------------------------

TEST_F(SalesloftSandbox, DatasetIsDeterministicAndVaried) {
  EXPECT_EQ(make_dataset(50, 7), make_dataset(50, 7));
  EXPECT_NE(make_dataset(50, 7), make_dataset(50, 8));
  const auto& data = dataset(h());
  ASSERT_EQ(data.size(), 3000u);

  std::set<std::string> ids;
  std::map<std::string, int> titles;
  std::map<std::tuple<std::string, std::string, std::optional<std::int64_t>>, int> ties;
  std::map<std::string, int> nulls;
  const std::set<std::string> platforms{"bluejeans", "gotomeeting", "joinme",         "manual_upload",
                                        "ms_teams",  "salesloft",   "uberconference", "webex",
                                        "zoom",      "google_meet", "external_audio"};
  for (const auto& r : data) {
    ids.insert(id_of(r));
    EXPECT_EQ(id_of(r).size(), 36u);
    EXPECT_TRUE(platforms.contains(*text(r, "platform")));
    EXPECT_TRUE(text(r, "media_type") == "audio" || text(r, "media_type") == "video");
    EXPECT_EQ(text(r, "created_at")->size(), 24u);  // 2024-03-01T00:00:00.000Z
    EXPECT_TRUE(text(r, "created_at")->ends_with('Z'));
    EXPECT_LE(*text(r, "created_at"), *text(r, "updated_at"));
    if (const auto href =
            r.at("account").is_object() ? text(r.at("account").as_object(), "_href") : std::nullopt) {
      EXPECT_TRUE(href->starts_with("https://api.salesloft.com/v2/accounts/")) << *href;
    }
    if (auto t = text(r, "title")) ++titles[*t];
    ++ties[{*text(r, "created_at"), *text(r, "updated_at"), duration(r)}];
    for (const auto* field :
         {"duration", "title", "event_start_date", "language_code", "account", "transcription"}) {
      nulls[field] += r.at(field).is_null();
    }
  }
  EXPECT_EQ(ids.size(), data.size());
  EXPECT_TRUE(std::any_of(titles.begin(), titles.end(), [](const auto& t) { return t.second > 1; }));
  EXPECT_GT(std::count_if(ties.begin(), ties.end(), [](const auto& t) { return t.second > 1; }), 10);
  for (const auto& [field, count] : nulls) EXPECT_GT(count, 0) << field;
  const auto [oldest, newest] = std::minmax_element(
      data.begin(), data.end(),
      [](const record& a, const record& b) { return *text(a, "created_at") < *text(b, "created_at"); });
  EXPECT_LT(*text(*oldest, "created_at"), "2024-04-01");
  EXPECT_GT(*text(*newest, "created_at"), "2025-01-01");
}

// --- auth, routing -----------------------------------------------------------------------

TEST_F(SalesloftSandbox, RefusesMissingOrWrongToken) {
  for (const std::string_view auth : {"", "Bearer nope", "Basic c2FuZGJveA==", "sandbox-salesloft-token"}) {
    const auto res = get(h(), "/v2/conversations", auth);
    EXPECT_EQ(res.result(), http::status::unauthorized) << auth;
    EXPECT_TRUE(body_of(res).at("error").is_string());
  }
  EXPECT_EQ(get(h(), "/v2/conversations", "bearer sandbox-salesloft-token").result(), http::status::ok);
}

TEST_F(SalesloftSandbox, GetsOneConversationById) {
  const auto& wanted = dataset(h())[123];
  const auto res = get(h(), "/v2/conversations/" + id_of(wanted));
  ASSERT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(body_of(res).at("data").as_object(), wanted);

  const auto missing = get(h(), "/v2/conversations/3fa85f64-5717-4562-b3fc-2c963f66afa6");
  EXPECT_EQ(missing.result(), http::status::not_found);
  EXPECT_EQ(body_of(missing).at("error"), "Not Found");
  EXPECT_EQ(get(h(), "/v2/people").result(), http::status::not_found);
  auto post = vendor_get("/v2/conversations");
  post.method(http::verb::post);
  EXPECT_EQ(h().handle(post).result(), http::status::not_found);
}

// --- paging ------------------------------------------------------------------------------

TEST(SalesloftSandboxPaging, WalksEveryRecordExactlyOnce) {
  auto h = make_handler(small(250));
  const auto all = sorted(ids_of(dataset(*h)));
  for (const unsigned per_page : {1u, 7u, 100u}) {
    EXPECT_EQ(sorted(ids_of(walk(*h, "", per_page))), all) << per_page;
  }
}

// vendor_counts relies on it: total_count (and total_pages) with per_page=1 counts exactly the
// records every filter keeps, whatever the page asked for.
TEST(SalesloftSandboxPaging, TotalCountAppliesEveryFilter) {
  auto h = make_handler(small(400));
  const auto& data = dataset(*h);
  const auto text = [](const record& r, const char* k) {
    const auto* v = r.if_contains(k);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  const auto count = [&](const std::function<bool(const record&)>& keep) {
    return static_cast<std::int64_t>(std::count_if(data.begin(), data.end(), keep));
  };
  const std::string owner = text(data[3], "owner_id");
  const std::vector<std::pair<std::string, std::function<bool(const record&)>>> table = {
      {"", [](const record&) { return true; }},
      {"&platform=zoom", [&](const record& r) { return text(r, "platform") == "zoom"; }},
      {"&language_code=en-US", [&](const record& r) { return text(r, "language_code") == "en-US"; }},
      {"&media_type=audio", [&](const record& r) { return text(r, "media_type") == "audio"; }},
      {"&media_type=video&platform=webex",
       [&](const record& r) { return text(r, "media_type") == "video" && text(r, "platform") == "webex"; }},
      {"&created_at%5Bgte%5D=2024-06-01T00:00:00Z&created_at%5Blt%5D=2024-07-01T00:00:00Z",
       [&](const record& r) {
         return text(r, "created_at") >= "2024-06-01" && text(r, "created_at") < "2024-07-01";
       }},
      {"&duration%5Bgte%5D=600000",
       [&](const record& r) { return r.at("duration").is_int64() && r.at("duration").as_int64() >= 600000; }},
      {"&owner_ids%5B%5D=" + owner, [&](const record& r) { return text(r, "owner_id") == owner; }},
  };
  for (const auto& [filters, keep] : table) {
    const auto body =
        body_of(get(*h, "/v2/conversations?per_page=1&page=2&include_paging_counts=true" + filters));
    const auto& paging = body.at("metadata").at("paging").as_object();
    const auto want = count(keep);
    EXPECT_GT(want, 0) << filters << ": a filter that keeps nothing checks little";
    EXPECT_EQ(paging.at("total_count").to_number<std::int64_t>(), want) << filters;
    EXPECT_EQ(paging.at("total_pages").to_number<std::int64_t>(), want) << filters;  // per_page=1
  }
}

TEST(SalesloftSandboxPaging, CountsPagesOnRequestAndEmptiesPastTheEnd) {
  auto h = make_handler(small(250));
  const auto first = body_of(get(*h, "/v2/conversations?per_page=7&include_paging_counts=true"));
  const auto& paging = first.at("metadata").at("paging").as_object();
  EXPECT_EQ(paging.at("total_count").to_number<int>(), 250);
  EXPECT_EQ(paging.at("total_pages").to_number<int>(), 36);
  EXPECT_EQ(first.at("data").as_array().size(), 7u);

  const auto plain = body_of(get(*h, "/v2/conversations"));
  EXPECT_FALSE(plain.at("metadata").at("paging").as_object().contains("total_count"));
  EXPECT_EQ(plain.at("data").as_array().size(), 25u);  // the default per_page

  const auto past = body_of(get(*h, "/v2/conversations?page=999"));
  EXPECT_TRUE(past.at("data").as_array().empty());
  EXPECT_TRUE(past.at("metadata").at("paging").at("next_page").is_null());
  EXPECT_EQ(past.at("metadata").at("paging").at("prev_page").to_number<int>(), 998);
}

// --- filters -----------------------------------------------------------------------------

TEST_F(SalesloftSandbox, EachFilterMatchesAnIndependentPredicate) {
  const auto& data = dataset(h());
  const std::string title = *text(first_with(h(), "title"), "title");
  const record& pivot = data[10];
  const std::string pivot_updated = *text(pivot, "updated_at");
  const std::string owner = *text(data[0], "owner_id");
  const std::string user = *text(data[3], "user_guid");
  const std::string account = *ref_id(first_with(h(), "account"), "account");
  const std::string person = *ref_id(first_with(h(), "person"), "person");
  const std::string a = id_of(data[5]);
  const std::string b = id_of(data[17]);
  const auto is = [](std::string_view field, std::string value) {
    return [=](const record& r) { return text(r, field) == value; };
  };
  const auto in_range = [](std::int64_t lo, std::int64_t hi) {  // [lo, hi)
    return [=](const record& r) { return duration(r) && *duration(r) >= lo && *duration(r) < hi; };
  };

  const std::vector<std::pair<std::string, std::function<bool(const record&)>>> cases{
      {"title=" + escaped(title), is("title", title)},
      {"title[_starts_with]=Discovery",
       [](const record& r) { return text(r, "title").value_or("").starts_with("Discovery"); }},
      {"created_at[gte]=2024-09-01T00:00:00.000Z",
       [](const record& r) { return *text(r, "created_at") >= "2024-09-01T00:00:00.000Z"; }},
      // +02:00 sent encoded; the instant is 2024-06-01T00:00:00Z.
      {"created_at[lt]=2024-06-01T02:00:00%2B02:00",
       [](const record& r) { return *text(r, "created_at") < "2024-06-01T00:00:00.000Z"; }},
      {"created_at[lte]=2024-05-31T19:00:00-05:00",
       [](const record& r) { return *text(r, "created_at") <= "2024-06-01T00:00:00.000Z"; }},
      {"updated_at[gt]=" + pivot_updated,
       [&](const record& r) { return *text(r, "updated_at") > pivot_updated; }},
      {"updated_at[lte]=" + pivot_updated,
       [&](const record& r) { return *text(r, "updated_at") <= pivot_updated; }},
      {"duration[gte]=600000&duration[lt]=1200000", in_range(600'000, 1'200'000)},
      {"duration[gt]=3000000", [](const record& r) { return duration(r) > 3'000'000; }},
      {"duration[lte]=100000", in_range(std::numeric_limits<std::int64_t>::min(), 100'001)},
      {"language_code=en-GB", is("language_code", "en-GB")},
      {"platform=zoom", is("platform", "zoom")},
      {"media_type=video", is("media_type", "video")},
      {"is_api=true", [](const record& r) { return r.at("is_api").as_bool(); }},
      {"is_api=false", [](const record& r) { return !r.at("is_api").as_bool(); }},
      {"ids[]=" + a + "&ids[]=" + b, [&](const record& r) { return id_of(r) == a || id_of(r) == b; }},
      {"ids=" + a, [&](const record& r) { return id_of(r) == a; }},
      {"owner_ids[]=" + owner, is("owner_id", owner)},
      {"user_guids[]=" + user, is("user_guid", user)},
      {"account_ids[]=" + account, [&](const record& r) { return ref_id(r, "account") == account; }},
      {"person_ids[]=" + person, [&](const record& r) { return ref_id(r, "person") == person; }},
      {"platform=zoom&media_type=video&language_code=en-US&duration[gt]=1800000",
       [](const record& r) {
         return text(r, "platform") == "zoom" && text(r, "media_type") == "video" &&
                text(r, "language_code") == "en-US" && duration(r) > 1'800'000;
       }},
  };
  for (const auto& [query, keep] : cases) {
    const auto want = sorted(expected_ids(h(), keep));
    EXPECT_FALSE(want.empty()) << query;  // a filter that matches nothing proves little
    EXPECT_EQ(sorted(ids_of(walk(h(), query))), want) << query;
  }
  // Several records share a title, an owner, an account: the filters on them match groups.
  EXPECT_GT(expected_ids(h(), is("title", title)).size(), 1u);
  EXPECT_GT(expected_ids(h(), is("owner_id", owner)).size(), 1u);
}

TEST_F(SalesloftSandbox, ComparesTimestampsAtMicrosecondPrecision) {
  const std::string at = *text(dataset(h())[42], "created_at");  // ...ss.mmmZ
  const std::string whole = at.substr(0, 23);
  const auto same_instant = expected_ids(h(), [&](const record& r) { return text(r, "created_at") == at; });
  EXPECT_EQ(sorted(ids_of(walk(h(), "created_at[gte]=" + whole + "000Z&created_at[lt]=" + whole + "001Z"))),
            sorted(same_instant));
  ASSERT_FALSE(same_instant.empty());
  EXPECT_TRUE(walk(h(), "created_at[gt]=" + whole + "000Z&created_at[lte]=" + whole + "999Z").empty());
  // Digits past the microsecond are dropped.
  EXPECT_EQ(
      sorted(ids_of(walk(h(), "created_at[gte]=" + whole + "0009Z&created_at[lte]=" + whole + "0009Z"))),
      sorted(same_instant));
}

TEST_F(SalesloftSandbox, AcceptsPercentEncodedBracketsAndFormEncoding) {
  const std::string a = id_of(dataset(h())[1]);
  const std::string b = id_of(dataset(h())[2]);
  EXPECT_EQ(sorted(ids_of(walk(h(), "ids%5B%5D=" + a + "&ids%5B%5D=" + b))), sorted({a, b}));
  EXPECT_EQ(ids_of(walk(h(), "created_at%5Bgte%5D=2025-01-01T00:00:00Z")),
            ids_of(walk(h(), "created_at[gte]=2025-01-01T00:00:00Z")));
  const std::string title = *text(first_with(h(), "title"), "title");
  std::string plus_encoded = title;
  std::replace(plus_encoded.begin(), plus_encoded.end(), ' ', '+');
  EXPECT_EQ(ids_of(walk(h(), "title=" + plus_encoded)), ids_of(walk(h(), "title=" + escaped(title))));
  EXPECT_FALSE(walk(h(), "title=" + plus_encoded).empty());
}

// --- sorting -----------------------------------------------------------------------------

TEST_F(SalesloftSandbox, SortsEachFieldBothWaysWithNullsAsLargest) {
  const auto key = [](const record& r, const std::string& field) -> std::optional<std::string> {
    if (field != "duration") return text(r, field);
    if (!duration(r)) return std::nullopt;
    char padded[24];
    std::snprintf(padded, sizeof padded, "%020lld", static_cast<long long>(*duration(r)));
    return padded;
  };
  // PostgreSQL: NULL is larger than any value.
  const auto before_or_same = [](const std::optional<std::string>& x, const std::optional<std::string>& y) {
    return !y || (x && *x <= *y);
  };
  const auto all = sorted(ids_of(dataset(h())));
  for (const std::string field : {"created_at", "updated_at", "duration"}) {
    for (const std::string direction : {"asc", "desc", "DESC", "Asc"}) {
      const auto got = walk(h(), "sort_by=" + field + "&sort_direction=" + direction);
      EXPECT_EQ(sorted(ids_of(got)), all);
      const bool asc = direction == "asc" || direction == "Asc";
      for (std::size_t i = 1; i < got.size(); ++i) {
        const auto prev = key(got[i - 1], field);
        const auto next = key(got[i], field);
        ASSERT_TRUE(asc ? before_or_same(prev, next) : before_or_same(next, prev))
            << field << ' ' << direction << ' ' << i;
      }
      if (field == "duration") {  // there are null durations: last ascending, first descending
        EXPECT_FALSE(duration(asc ? got.back() : got.front()).has_value()) << direction;
      }
    }
  }
  EXPECT_EQ(ids_of(walk(h(), "")), ids_of(walk(h(), "sort_by=created_at&sort_direction=desc")));
}

TEST_F(SalesloftSandbox, BreaksTiesStablyButNotById) {
  const auto first = walk(h(), "sort_by=updated_at&sort_direction=asc", 7);
  EXPECT_EQ(ids_of(first), ids_of(walk(h(), "sort_by=updated_at&sort_direction=asc", 100)));
  bool some_tie_out_of_id_order = false;
  for (std::size_t i = 1; i < first.size(); ++i) {
    if (first[i - 1].at("updated_at") == first[i].at("updated_at") && id_of(first[i - 1]) > id_of(first[i])) {
      some_tie_out_of_id_order = true;
    }
  }
  EXPECT_TRUE(some_tie_out_of_id_order);
}

// --- validation --------------------------------------------------------------------------

TEST_F(SalesloftSandbox, RejectsInvalidValuesOfKnownParametersWith422) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"per_page=0", "per_page"},
      {"per_page=101", "per_page"},
      {"per_page=abc", "per_page"},
      {"per_page=", "per_page"},
      {"page=0", "page"},
      {"page=-3", "page"},
      {"sort_by=title", "sort_by"},
      {"sort_direction=up", "sort_direction"},
      {"created_at[gt]=yesterday", "created_at[gt]"},
      {"updated_at[lte]=2024-02-30T00:00:00Z", "updated_at[lte]"},
      {"created_at[gt]=2024-06-01T00:00:00+02:00", "created_at[gt]"},  // unencoded '+' decodes to a space
      {"duration[gt]=1.5", "duration[gt]"},
      {"is_api=yes", "is_api"},
      {"include_paging_counts=maybe", "include_paging_counts"},
      {"platform=skype", "platform"},
      {"media_type=text", "media_type"},
      {"language_code=klingon", "language_code"},
  };
  for (const auto& [query, parameter] : cases) {
    const auto res = get(h(), "/v2/conversations?" + query);
    EXPECT_EQ(res.result(), http::status::unprocessable_entity) << query;
    const auto errors = body_of(res).at("errors").as_object();
    ASSERT_TRUE(errors.contains(parameter)) << query << ": " << res.body();
    EXPECT_TRUE(errors.at(parameter).as_array().at(0).is_string());
  }
  EXPECT_EQ(body_of(get(h(), "/v2/conversations?per_page=101")).at("errors").at("per_page").as_array().at(0),
            "must be between 1 and 100");
}

// Salesloft ignores what it does not know [?]; the sandbox must not, or a misspelled filter in an
// adapter would pass behind the gateway's local re-filtering.
TEST_F(SalesloftSandbox, RejectsUnknownParametersWith400NamingThem) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"languge_code=en-US", "languge_code"},
      {"per_page=5&unknown=1", "unknown"},
      {"created_at[between]=x", "created_at[between]"},
      {"created_at%5Bgtee%5D=2024-01-01T00:00:00Z", "created_at[gtee]"},
      {"title[_ends_with]=x", "title[_ends_with]"},
      {"platform[]=zoom", "platform[]"},
      {"ids[0]=a", "ids[0]"},
      {"sort=title", "sort"},
      {"page_size=5", "page_size"},
  };
  for (const auto& [query, parameter] : cases) {
    const auto res = get(h(), "/v2/conversations?" + query);
    EXPECT_EQ(res.result(), http::status::bad_request) << query << ": " << res.body();
    const auto errors = body_of(res).at("errors").as_object();
    ASSERT_TRUE(errors.contains(parameter)) << query << ": " << res.body();
    EXPECT_EQ(errors.at(parameter).as_array().at(0), "is not a known parameter");
  }
  // Every documented parameter is still taken, bare or percent-encoded.
  for (const char* query :
       {"title=x", "title%5B_starts_with%5D=x", "ids%5B%5D=a", "ids=a", "is_api=true",
        "include_paging_counts=true", "duration[lte]=5", "updated_at[gt]=2024-01-01T00:00:00Z"})
    EXPECT_EQ(get(h(), std::string("/v2/conversations?") + query).result(), http::status::ok) << query;
}

// --- cost and rate limit -----------------------------------------------------------------

TEST(SalesloftSandboxBudget, ChargesDeepPagesMoreAndAnswers429WhenSpent) {
  auto h = make_handler(small(30, 10));
  const auto cost_and_remaining = [](const response& res) {
    return std::string(res["x-ratelimit-endpoint-cost"]) + " of " +
           std::string(res["x-ratelimit-remaining-minute"]);
  };
  EXPECT_EQ(cost_and_remaining(get(*h, "/v2/conversations")), "1 of 9");
  EXPECT_EQ(cost_and_remaining(get(*h, "/v2/conversations?page=101")), "3 of 6");
  EXPECT_EQ(get(*h, "/v2/conversations", "Bearer wrong").result(), http::status::unauthorized);
  EXPECT_EQ(cost_spent(*h), 4u);  // refused requests are not charged

  const auto refused = get(*h, "/v2/conversations?page=151");  // costs 8; 6 remain
  EXPECT_EQ(refused.result(), http::status::too_many_requests);
  EXPECT_EQ(cost_and_remaining(refused), "8 of 6");
  EXPECT_TRUE(body_of(refused).at("error").is_string());
  // Salesloft documents only its x-ratelimit-* headers: a client must not learn to wait for a Retry-After.
  EXPECT_EQ(refused.find(http::field::retry_after), refused.end());
  EXPECT_EQ(cost_spent(*h), 4u);

  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(get(*h, "/v2/conversations/" + id_of(dataset(*h)[0])).result(), http::status::ok);
  EXPECT_EQ(get(*h, "/v2/conversations").result(), http::status::too_many_requests);
  EXPECT_EQ(cost_spent(*h), 10u);
}

TEST(SalesloftSandboxBudget, FollowsTheDocumentedCostTable) {
  auto h = make_handler(small(30, 0));
  std::uint64_t total = 0;
  for (const auto& [page, cost] : std::vector<std::pair<int, int>>{
           {1, 1}, {100, 1}, {101, 3}, {150, 3}, {151, 8}, {250, 8}, {251, 10}, {500, 10}, {501, 30}}) {
    const auto res = get(*h, "/v2/conversations?page=" + std::to_string(page));
    EXPECT_EQ(res.result(), http::status::ok);
    EXPECT_EQ(res["x-ratelimit-endpoint-cost"], std::to_string(cost)) << page;
    EXPECT_FALSE(res["x-ratelimit-remaining-minute"].empty());
    total += cost;
  }
  EXPECT_EQ(cost_spent(*h), total);
}

// --- the fault menu parser ---------------------------------------------------------------

TEST(SandboxFaults, ParsesJsonAndFlagsAlike) {
  const auto menu = parse_faults(json::parse(R"({"error_status": 503, "error_count": 2, "latency_ms": 10,
      "rate_limit_count": 1, "retry_after_s": 7, "body": "slow_drip", "body_fault_count": 3})")
                                     .as_object());
  ASSERT_TRUE(menu);
  fault_menu flags;
  for (const auto& [flag, value] :
       std::vector<std::pair<std::string, std::string>>{{"--fault-status", "503"},
                                                        {"--fault-count", "2"},
                                                        {"--latency-ms", "10"},
                                                        {"--rate-limit-count", "1"},
                                                        {"--retry-after", "7"},
                                                        {"--fault-body", "slow_drip"},
                                                        {"--fault-body-count", "3"}}) {
    const auto applied = apply_fault_flag(flags, flag, value);
    ASSERT_TRUE(applied && *applied) << flag;
  }
  EXPECT_EQ(*menu, flags);
  EXPECT_EQ(*menu, (fault_menu{10, 503, 2, 1, 7, fault_menu::body_fault::slow_drip, 3}));

  const auto unknown = apply_fault_flag(flags, "--port", "1");
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(*unknown);
  for (const auto* bad : {R"({"nope": 1})", R"({"error_status": 200})", R"({"error_status": "503"})",
                          R"({"body": "sideways"})", R"({"latency_ms": -1})"}) {
    EXPECT_FALSE(parse_faults(json::parse(bad).as_object())) << bad;
  }
  EXPECT_EQ(parse_faults(json::parse(R"({"nope": 1})").as_object()).error().parameter, "nope");
  EXPECT_FALSE(apply_fault_flag(flags, "--fault-status", "5o3"));
  EXPECT_FALSE(apply_fault_flag(flags, "--fault-body", "sideways"));
}

// --- the server over loopback ------------------------------------------------------------

// One keep-alive connection; each exchange has its own deadline.
class client {
 public:
  explicit client(std::uint16_t port) {
    stream_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }

  // The answer, or the error that ended the exchange (timeout, end of stream, partial message).
  std::pair<beast::error_code, response> exchange(request req, std::chrono::milliseconds timeout = 5s) {
    beast::error_code ec;
    response res;
    net::co_spawn(
        io_,
        [&]() -> net::awaitable<void> {
          constexpr auto tuple = net::as_tuple(net::use_awaitable);
          stream_.expires_after(timeout);
          if (auto [e, n] = co_await http::async_write(stream_, req, tuple); e) {
            ec = e;
            co_return;
          }
          http::response_parser<http::string_body> parser;
          parser.body_limit(std::numeric_limits<std::uint64_t>::max());
          std::tie(ec, std::ignore) = co_await http::async_read(stream_, buffer_, parser, tuple);
          res = parser.release();
        },
        net::detached);
    io_.run();
    io_.restart();
    return {ec, std::move(res)};
  }

 private:
  net::io_context io_;
  beast::tcp_stream stream_{io_};
  beast::flat_buffer buffer_;
};

request control_post(const std::string& json_body) {
  request req{http::verb::post, "/__sandbox/faults", 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::content_type, "application/json");
  req.body() = json_body;
  req.prepare_payload();
  return req;
}

class SandboxServer : public ::testing::Test {
 protected:
  SandboxServer() : server_(make_handler(small(40))), port_(server_.start()) {}
  server server_;
  std::uint16_t port_;
};

TEST_F(SandboxServer, KeepsAliveCountsAndInjectsAnErrorOnce) {
  client c(port_);
  for (int i = 0; i < 2; ++i) {  // two exchanges on one connection
    const auto [ec, res] = c.exchange(vendor_get("/v2/conversations?per_page=5"));
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(res.result(), http::status::ok);
    EXPECT_TRUE(res.keep_alive());
    EXPECT_EQ(body_of(res).at("data").as_array().size(), 5u);
  }
  EXPECT_EQ(server_.requests(), 2u);

  server_.set_faults({.error_status = 503, .error_count = 1});
  const auto [ec1, faulted] = c.exchange(vendor_get("/v2/conversations"));
  ASSERT_FALSE(ec1);
  EXPECT_EQ(faulted.result(), http::status::service_unavailable);
  EXPECT_TRUE(body_of(faulted).at("error").is_string());
  const auto [ec2, healed] = c.exchange(vendor_get("/v2/conversations"));
  ASSERT_FALSE(ec2);
  EXPECT_EQ(healed.result(), http::status::ok);

  const auto [ec3, stats] = c.exchange(vendor_get("/__sandbox/stats", ""));
  ASSERT_FALSE(ec3);
  EXPECT_EQ(body_of(stats).at("requests").to_number<int>(), 4);  // control requests are not counted
  EXPECT_EQ(server_.requests(), 4u);
}

TEST_F(SandboxServer, HangsUntilTheClientGivesUpAndStopStillReturns) {
  client c(port_);
  const auto [ec, res] = c.exchange(control_post(R"({"body": "hang"})"));
  ASSERT_FALSE(ec);
  EXPECT_EQ(res.result(), http::status::no_content);

  const auto [timed_out, none] = client(port_).exchange(vendor_get("/v2/conversations"), 300ms);
  EXPECT_EQ(timed_out, beast::error::timeout);

  // A hung request still in flight must not keep stop() from returning.
  client waiting(port_);
  std::thread pending([&] { EXPECT_TRUE(waiting.exchange(vendor_get("/v2/conversations"), 10s).first); });
  while (server_.requests() < 2) std::this_thread::sleep_for(5ms);
  const auto before = clock::now();
  server_.stop();
  pending.join();
  EXPECT_LT(clock::now() - before, 2s);
  EXPECT_THROW(client{port_}, boost::system::system_error);
}

TEST_F(SandboxServer, RejectsABadFaultMenu) {
  const auto [ec, res] = client(port_).exchange(control_post(R"({"error_status": "soon"})"));
  ASSERT_FALSE(ec);
  EXPECT_EQ(res.result(), http::status::bad_request);
  EXPECT_TRUE(body_of(res).at("error").is_string());
}

TEST_F(SandboxServer, AnswersRateLimitInSalesloftsTermsThenRecovers) {
  server_.set_faults({.latency_ms = 150, .rate_limit_count = 1, .retry_after_s = 7});
  client c(port_);
  const auto before = clock::now();
  const auto [ec, limited] = c.exchange(vendor_get("/v2/conversations"));
  ASSERT_FALSE(ec);
  EXPECT_GE(clock::now() - before, 150ms);
  EXPECT_EQ(limited.result(), http::status::too_many_requests);
  // The menu's Retry-After is for vendors that send one; Salesloft documents only x-ratelimit-*.
  EXPECT_EQ(limited.find(http::field::retry_after), limited.end());
  EXPECT_EQ(limited["x-ratelimit-remaining-minute"], "0");
  EXPECT_TRUE(body_of(limited).at("error").is_string());
  EXPECT_EQ(c.exchange(vendor_get("/v2/conversations")).second.result(), http::status::ok);
}

TEST_F(SandboxServer, ServesMalformedTruncatedAndOversizeBodies) {
  server_.set_faults({.body = fault_menu::body_fault::malformed, .body_fault_count = 1});
  const auto [ec1, malformed] = client(port_).exchange(vendor_get("/v2/conversations"));
  ASSERT_FALSE(ec1);
  EXPECT_EQ(malformed.result(), http::status::ok);
  boost::system::error_code parse_error;
  json::parse(malformed.body(), parse_error);
  EXPECT_TRUE(parse_error);

  server_.set_faults({.body = fault_menu::body_fault::truncated});
  const auto [ec2, truncated] = client(port_).exchange(vendor_get("/v2/conversations"));
  EXPECT_EQ(ec2, http::error::partial_message);

  server_.set_faults({.body = fault_menu::body_fault::oversize});
  const auto [ec3, oversize] = client(port_).exchange(vendor_get("/v2/conversations"));
  ASSERT_FALSE(ec3);
  EXPECT_GE(oversize.body().size(), std::size_t{16} << 20);
  EXPECT_TRUE(json::parse(oversize.body()).is_array());
}

// Every byte the server writes for one request sent as `request_text` (which asks it to close).
std::string raw_exchange(std::uint16_t port, const std::string& request_text) {
  net::io_context io;
  beast::tcp_stream stream(io);
  std::string bytes;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        constexpr auto tuple = net::as_tuple(net::use_awaitable);
        stream.expires_after(5s);  // bounds the whole exchange: the loop below ends at EOF or then
        if (auto [e] =
                co_await stream.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), tuple);
            e)
          co_return;
        if (auto [e, n] = co_await net::async_write(stream, net::buffer(request_text), tuple); e) co_return;
        std::array<char, 4096> chunk;
        for (;;) {
          auto [e, n] = co_await stream.async_read_some(net::buffer(chunk), tuple);
          bytes.append(chunk.data(), n);
          if (e) co_return;
        }
      },
      net::detached);
  io.run();
  return bytes;
}

TEST_F(SandboxServer, WritesEarlyHintsBeforeTheAnswer) {
  server_.set_faults({.body = fault_menu::body_fault::early_hints, .body_fault_count = 1});
  const std::string bytes =
      raw_exchange(port_, "GET /v2/conversations?per_page=2 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " +
                              std::string(bearer) + "\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(bytes.starts_with("HTTP/1.1 103 Early Hints\r\n")) << bytes.substr(0, 200);
  const auto interim_end = bytes.find("\r\n\r\n");
  ASSERT_NE(interim_end, std::string::npos);
  const std::string_view final_answer = std::string_view(bytes).substr(interim_end + 4);
  ASSERT_TRUE(final_answer.starts_with("HTTP/1.1 200 OK\r\n")) << final_answer.substr(0, 200);
  const auto body_at = final_answer.find("\r\n\r\n");
  ASSERT_NE(body_at, std::string_view::npos);
  EXPECT_EQ(json::parse(final_answer.substr(body_at + 4)).at("data").as_array().size(), 2u);
  EXPECT_EQ(final_answer.find("HTTP/1.1 103"),
            std::string_view::npos);  // one interim answer, then the answer

  // Counted: the next request gets its answer alone. An HTTP/1.0 client is never sent a 1xx.
  const std::string plain =
      raw_exchange(port_, "GET /v2/missing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(plain.starts_with("HTTP/1.1 401")) << plain.substr(0, 100);
  server_.set_faults({.body = fault_menu::body_fault::early_hints});
  const std::string old = raw_exchange(port_, "GET /v2/missing HTTP/1.0\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(old.starts_with("HTTP/1.0 401")) << old.substr(0, 100);
}

TEST_F(SandboxServer, EarlyHintsLeaveAKeepAliveConnectionInStep) {
  server_.set_faults({.body = fault_menu::body_fault::early_hints});
  const std::string two = "GET /v2/conversations/" + id_of(dataset(server_.logic())[1]) +
                          " HTTP/1.1\r\nHost: x\r\nAuthorization: " + std::string(bearer) + "\r\n\r\n";
  const std::string last = "GET /v2/missing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  const std::string bytes = raw_exchange(port_, two + last);  // pipelined on one connection
  std::vector<std::string> status_lines;
  for (std::size_t at = 0; (at = bytes.find("HTTP/1.1 ", at)) != std::string::npos; at += 9)
    status_lines.push_back(bytes.substr(at, 12));
  EXPECT_EQ(status_lines,
            (std::vector<std::string>{"HTTP/1.1 103", "HTTP/1.1 200", "HTTP/1.1 103", "HTTP/1.1 401"}));
  EXPECT_NE(bytes.find(id_of(dataset(server_.logic())[1])), std::string::npos);
}

TEST_F(SandboxServer, PageLoopPointsAnEmptyPageAtItself) {
  server_.set_faults({.body = fault_menu::body_fault::page_loop});
  client c(port_);
  for (const std::string page : {"1", "3"}) {
    const auto [ec, res] = c.exchange(vendor_get("/v2/conversations?per_page=5&page=" + page));
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    const auto body = body_of(res);
    EXPECT_TRUE(body.at("data").as_array().empty()) << res.body();
    const auto& paging = body.at("metadata").at("paging").as_object();
    EXPECT_EQ(paging.at("current_page").to_number<int>(), std::stoi(page));
    EXPECT_EQ(paging.at("next_page").to_number<int>(), std::stoi(page)) << res.body();
  }
  // One conversation has no paging: served as it is.
  const auto& record = dataset(server_.logic())[0];
  const auto [ec, one] = c.exchange(vendor_get("/v2/conversations/" + id_of(record)));
  ASSERT_FALSE(ec);
  EXPECT_EQ(body_of(one).at("data").as_object(), record);
  server_.set_faults({});
  const auto [ec2, healed] = c.exchange(vendor_get("/v2/conversations?per_page=5&page=1"));
  ASSERT_FALSE(ec2);
  EXPECT_EQ(body_of(healed).at("data").as_array().size(), 5u);
  EXPECT_EQ(body_of(healed).at("metadata").at("paging").at("next_page").to_number<int>(), 2);
}

TEST(SandboxFaults, NamesTheExchangeFaults) {
  for (const auto fault : {fault_menu::body_fault::page_loop, fault_menu::body_fault::early_hints}) {
    const std::string name(to_string(fault));
    const auto menu = parse_faults(json::object{{"body", name}});
    ASSERT_TRUE(menu) << name;
    EXPECT_EQ(menu->body, fault);
    fault_menu flags;
    ASSERT_TRUE(apply_fault_flag(flags, "--fault-body", name));
    EXPECT_EQ(flags.body, fault);
  }
  EXPECT_EQ(to_string(fault_menu::body_fault::page_loop), "page_loop");
  EXPECT_EQ(to_string(fault_menu::body_fault::early_hints), "early_hints");
}

TEST_F(SandboxServer, DripsAValidAnswerSlowly) {
  server_.set_faults({.body = fault_menu::body_fault::slow_drip});
  client c(port_);
  // A short answer (404) keeps the test to about two seconds.
  const auto before = clock::now();
  const auto [ec, res] = c.exchange(vendor_get("/v2/missing"), 10s);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_GE(clock::now() - before, 1s);
  EXPECT_EQ(res.result(), http::status::not_found);
  EXPECT_EQ(body_of(res).at("error"), "Not Found");
  // Bytes keep arriving, so only a deadline on the whole answer catches it.
  EXPECT_EQ(c.exchange(vendor_get("/v2/missing"), 300ms).first, beast::error::timeout);
}

}  // namespace
}  // namespace cgw::sandbox::salesloft
