// The Twilio Insights v3 sandbox called directly (no sockets): its data, Metadata, semantic
// query evaluation (every operator, at both levels), ordering, paging by token, errors in
// Twilio's v1.0 shape, auth and rate limiting. Expected answers come from independent
// predicates over the raw records, never from the sandbox's own engine.
#include "adapters/twilio_insights_v3/sandbox/sandbox.hpp"

#include "gateway/core/query.hpp"
#include "gateway/core/time.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace cgw::sandbox::twilio_insights_v3 {
namespace {

using record = json::object;

constexpr std::string_view query_path = "/v3/InsightsDomains/Conversations/Query";
constexpr std::string_view metadata_path = "/v3/InsightsDomains/Conversations/Metadata";
constexpr std::string_view basic =
    "Basic QUNzYW5kYm94OnNhbmRib3gtaW5zaWdodHMtc2VjcmV0";  // ACsandbox:sandbox-insights-secret

options small(std::uint32_t records, std::uint32_t per_minute = 0) {
  options o;
  o.records = records;
  o.requests_per_minute = per_minute;
  return o;
}

request vendor_request(http::verb method, const std::string& target, std::string_view auth = basic) {
  request req{method, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!auth.empty()) req.set(http::field::authorization, auth);
  return req;
}

response get(handler& h, const std::string& target, std::string_view auth = basic) {
  return h.handle(vendor_request(http::verb::get, target, auth));
}

response post(handler& h, const std::string& body, const std::string& query_string = "",
              std::string_view content_type = "application/json") {
  auto req = vendor_request(http::verb::post, std::string(query_path) + query_string);
  if (!content_type.empty()) req.set(http::field::content_type, content_type);
  req.body() = body;
  req.prepare_payload();
  return h.handle(req);
}

json::object body_of(const response& res) {
  return json::parse(res.body()).as_object();
}

// A query body around a `query` object given as JSON text.
std::string body(const std::string& query_json) {
  return R"({"domain": "Conversations", "query": )" + query_json + "}";
}

std::string url_encoded(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// Every item of a query, following nextToken; checks the envelope of each page on the way.
std::vector<record> walk(handler& h, const std::string& query_json, unsigned page_size = 100,
                         unsigned* pages = nullptr) {
  std::vector<record> out;
  auto res = post(h, body(query_json), "?pageSize=" + std::to_string(page_size));
  for (unsigned n = 1; n < 10'000; ++n) {
    EXPECT_EQ(res.result(), http::status::ok) << query_json << ": " << res.body();
    if (res.result() != http::status::ok) break;
    const auto page = body_of(res);
    EXPECT_EQ(page.at("domain"), "Conversations");
    const auto& meta = page.at("meta").as_object();
    EXPECT_EQ(meta.at("key"), "items");
    EXPECT_EQ(meta.at("pageSize").to_number<std::size_t>(), page.at("items").as_array().size());
    EXPECT_EQ(meta.contains("previousToken"), n > 1);
    for (const auto& item : page.at("items").as_array()) out.push_back(item.as_object());
    if (pages) *pages = n;
    const auto* next = meta.if_contains("nextToken");
    if (!next || next->is_null()) break;
    EXPECT_EQ(page.at("items").as_array().size(), std::min(page_size, 1000u));
    res = get(h, std::string(query_path) + "?pageToken=" + url_encoded(next->as_string()));
  }
  return out;
}

std::string id_of(const record& r) {
  return std::string(r.at("Id").as_string());
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

// Independent readings of a raw record.
std::optional<std::int64_t> created(const record& r) {
  const auto& v = r.at("DateCreated");
  return v.is_string() ? parse_vendor_time(v.as_string()) : std::nullopt;
}
std::optional<std::int64_t> duration(const record& r) {
  const auto& v = r.at("Duration");
  return v.is_int64() ? std::optional(v.as_int64()) : std::nullopt;
}
std::vector<std::string> list(const record& r, std::string_view field) {
  std::vector<std::string> out;
  for (const auto& v : r.at(field).as_array()) out.emplace_back(v.as_string());
  return out;
}
std::optional<std::string> sentiment(const record& r) {
  const auto& v = r.at("OperatorResult.Value");
  return v.is_string() ? std::optional(std::string(v.as_string())) : std::nullopt;
}

class InsightsSandbox : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { shared_ = make_handler(small(1200)).release(); }
  static void TearDownTestSuite() { delete shared_; }
  handler& h() { return *shared_; }
  const std::vector<record>& data() { return dataset(h()); }

  std::vector<std::string> expected(const std::function<bool(const record&)>& keep) {
    std::vector<std::string> ids;
    for (const auto& r : data())
      if (keep(r)) ids.push_back(id_of(r));
    return sorted(ids);
  }
  // The ids a filter list selects, in any order.
  std::vector<std::string> selected(const std::string& filters_json) {
    return sorted(ids_of(walk(h(), R"({"dimensions": ["Id"], "filters": )" + filters_json + "}", 500)));
  }

  static handler* shared_;
};
handler* InsightsSandbox::shared_ = nullptr;

// --- data and metadata ---------------------------------------------------------------------

TEST_F(InsightsSandbox, DatasetIsDeterministicAndVaried) {
  EXPECT_EQ(make_dataset(40, 7), make_dataset(40, 7));
  EXPECT_NE(make_dataset(40, 7), make_dataset(40, 8));
  ASSERT_EQ(data().size(), 1200u);
  const std::regex sid("CA[0-9a-f]{32}");
  const std::regex when(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  std::set<std::string> ids;
  std::map<std::string, int> dates, counts;
  std::set<std::string> channels;
  for (const auto& r : data()) {
    EXPECT_TRUE(std::regex_match(id_of(r), sid)) << id_of(r);
    ids.insert(id_of(r));
    const std::string date(r.at("DateCreated").as_string());
    EXPECT_TRUE(std::regex_match(date, when)) << date;
    ++dates[date];
    const auto langs = list(r, "Languages");
    counts["no language"] += langs.empty();
    counts["two languages"] += langs.size() == 2;
    counts["lower-case language"] += !langs.empty() && langs[0] != canonical_language(langs[0]);
    for (const auto& c : list(r, "Channels")) channels.insert(c);
    counts["no channel"] += list(r, "Channels").empty();
    counts["no sentiment"] += !sentiment(r);
    counts["no duration"] += !duration(r);
    counts["no agent"] += list(r, "AgentNames").empty();
    counts["two agents"] += list(r, "AgentNames").size() == 2;
  }
  EXPECT_EQ(ids.size(), data().size());
  EXPECT_GT(std::count_if(dates.begin(), dates.end(), [](const auto& d) { return d.second > 1; }), 20);
  for (const auto& [what, n] : counts) EXPECT_GT(n, 0) << what;
  for (const auto* c : {"voice", "Voice", "chat", "sms", "email", "video", "whatsapp"})
    EXPECT_TRUE(channels.contains(c)) << c;
}

TEST_F(InsightsSandbox, MetadataListsTheCube) {
  const auto res = get(h(), std::string(metadata_path));
  ASSERT_EQ(res.result(), http::status::ok);
  const auto meta = body_of(res);
  EXPECT_EQ(meta.at("domain"), "Conversations");
  const auto& cube = meta.at("cubes").as_array().at(0).as_object();
  EXPECT_EQ(cube.at("name"), "Conversations");
  EXPECT_TRUE(cube.at("description").is_string());
  std::map<std::string, std::string> types;
  for (const auto& d : cube.at("dimensions").as_array()) {
    types[std::string(d.at("name").as_string())] = d.at("type").as_string();
    EXPECT_TRUE(d.at("description").is_string());
  }
  for (const auto* name :
       {"Id", "DateCreated", "Languages", "Channels", "OperatorResult.Value", "Duration", "AgentNames"})
    EXPECT_TRUE(types.contains(name)) << name;
  EXPECT_EQ(types["DateCreated"], "date");
  EXPECT_EQ(types["Duration"], "number");
  for (const auto& m : cube.at("measures").as_array()) {
    EXPECT_TRUE(m.at("name").is_string() && m.at("type").is_string() && m.at("aggregation").is_string());
  }

  auto o = small(5);
  o.omit_dimensions = {"Languages", "Duration"};
  auto lacking = make_handler(o);
  const auto dims =
      body_of(get(*lacking, std::string(metadata_path))).at("cubes").at(0).at("dimensions").as_array();
  EXPECT_EQ(dims.size(), types.size() - 2);
  for (const auto& d : dims) EXPECT_NE(d.at("name"), "Languages");
  const auto refused = post(*lacking, body(R"({"dimensions": ["Id", "Languages"]})"));
  EXPECT_EQ(refused.result(), http::status::bad_request);
  EXPECT_EQ(body_of(refused).at("message"), "query.dimensions[1]: unknown dimension Languages");
  // A measure over a missing dimension goes with it.
  EXPECT_EQ(post(*lacking, body(R"({"measures": ["TotalDuration"]})")).result(), http::status::bad_request);
}

// --- paging --------------------------------------------------------------------------------

TEST_F(InsightsSandbox, PagesByTokenExactlyOnceForAnyPageSize) {
  const std::string query = R"({"dimensions": ["Id", "Duration"], "orderBy": [{"field": "Duration"}]})";
  for (unsigned size : {7u, 100u, 1200u, 5000u}) {
    unsigned pages = 0;
    const auto got = walk(h(), query, size, &pages);
    EXPECT_EQ(sorted(ids_of(got)), sorted(ids_of(data()))) << size;
    EXPECT_EQ(pages, (1200 + std::min(size, 1000u) - 1) / std::min(size, 1000u)) << size;
    for (const auto& item : got) EXPECT_EQ(item.size(), 2u);  // only the requested dimensions
  }
  // One item per page: a smaller dataset keeps the test quick.
  auto few = make_handler(small(150));
  unsigned pages = 0;
  EXPECT_EQ(sorted(ids_of(walk(*few, query, 1, &pages))), sorted(ids_of(dataset(*few))));
  EXPECT_EQ(pages, 150u);
}

TEST_F(InsightsSandbox, LastPagesEndBothWays) {
  std::set<std::string> endings;
  for (unsigned size : {100u, 150u, 400u, 1200u}) {
    std::string query_string = "?pageSize=" + std::to_string(size);
    auto res = post(h(), body(R"({"dimensions": ["Id"]})"), query_string);
    for (int guard = 0; guard < 100; ++guard) {
      const auto meta = body_of(res).at("meta").as_object();
      const auto* next = meta.if_contains("nextToken");
      if (!next || next->is_null()) {
        endings.insert(next ? "null" : "absent");
        break;
      }
      res = get(h(), std::string(query_path) + "?pageToken=" + url_encoded(next->as_string()));
    }
  }
  EXPECT_EQ(endings, (std::set<std::string>{"absent", "null"}));
}

TEST_F(InsightsSandbox, PageSizeDefaultsAndCaps) {
  EXPECT_EQ(body_of(post(h(), body(R"({"dimensions": ["Id"]})"))).at("meta").at("pageSize"), 50);
  EXPECT_EQ(body_of(post(h(), body(R"({"dimensions": ["Id"]})"), "?pageSize=5000")).at("meta").at("pageSize"),
            1000);
  auto o = small(30);
  o.max_page_size = 8;
  auto capped = make_handler(o);
  EXPECT_EQ(
      body_of(post(*capped, body(R"({"dimensions": ["Id"]})"), "?pageSize=20")).at("items").as_array().size(),
      8u);
  EXPECT_EQ(walk(*capped, R"({"dimensions": ["Id"]})", 8).size(), 30u);
}

TEST_F(InsightsSandbox, RefusesTokensItDidNotIssue) {
  const auto first = body_of(post(h(), body(R"({"dimensions": ["Id"]})"), "?pageSize=3"));
  const std::string token(first.at("meta").at("nextToken").as_string());
  EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="),
            std::string::npos)
      << token;  // base64, as Twilio's are
  EXPECT_EQ(token.size() % 4, 0u) << token;
  EXPECT_EQ(get(h(), std::string(query_path) + "?pageToken=" + url_encoded(token)).result(),
            http::status::ok);
  std::string tampered = token;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  for (const std::string& bad : {url_encoded(tampered), std::string("eyJwYWdlIjoyLCJxdWVyeSI6ImJvb2tzIn0="),
                                 std::string("x"), std::string("")}) {
    const auto res = get(h(), std::string(query_path) + "?pageToken=" + bad);
    ASSERT_EQ(res.result(), http::status::bad_request) << bad;
    const auto error = body_of(res);
    EXPECT_EQ(error.at("code"), 20001);
    EXPECT_EQ(error.at("httpStatusCode"), 400);
    EXPECT_EQ(error.at("userError"), true);
    EXPECT_TRUE(error.at("message").is_string());
    EXPECT_TRUE(error.at("params").at("twilioErrorCodeUrl").is_string());
  }
  if (token.find('+') != std::string::npos) {  // a raw '+' reads as a space, as form decoding has it
    EXPECT_EQ(get(h(), std::string(query_path) + "?pageToken=" + token).result(), http::status::bad_request);
  }
  EXPECT_EQ(get(h(), std::string(query_path)).result(), http::status::bad_request);  // no token at all
}

TEST(InsightsSandboxTokens, ExpireAfterTheirLifetime) {
  auto o = small(20);
  o.token_ttl_ms = 30;
  auto h = make_handler(o);
  const auto first = body_of(post(*h, body(R"({"dimensions": ["Id"]})"), "?pageSize=5"));
  const std::string target =
      std::string(query_path) + "?pageToken=" + url_encoded(first.at("meta").at("nextToken").as_string());
  EXPECT_EQ(get(*h, target).result(), http::status::ok);
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  const auto expired = get(*h, target);
  EXPECT_EQ(expired.result(), http::status::bad_request);
  EXPECT_EQ(body_of(expired).at("code"), 20001);
}

// --- filters -------------------------------------------------------------------------------

TEST_F(InsightsSandbox, EveryComparisonOnEveryType) {
  const record& a = data()[11];
  const std::string id = id_of(a);
  const std::int64_t mid = *created(a);
  const std::string at(a.at("DateCreated").as_string());
  // The same instant with an offset: dates compare as instants, not as text.
  const std::string shifted = format_rfc3339_us(mid + 7'200'000'000LL).substr(0, 26) + "+02:00";
  const std::int64_t d = 600'000;

  EXPECT_EQ(selected(R"([{"op": "AND", "expressions": [{"op": "EQ", "field": "Id", "values": [")" + id +
                     R"("]}]}])"),
            (std::vector<std::string>{id}));
  EXPECT_EQ(selected(R"([{"op": "AND", "expressions": [{"op": "NE", "field": "Id", "values": [")" + id +
                     R"("]}]}])"),
            expected([&](const record& r) { return id_of(r) != id; }));
  EXPECT_EQ(selected(R"([{"op": "AND", "expressions": [{"op": "GT", "field": "DateCreated", "values": [")" +
                     shifted + R"("]}]}])"),
            expected([&](const record& r) { return *created(r) > mid; }));
  EXPECT_EQ(selected(R"([{"op": "AND", "expressions": [{"op": "EQ", "field": "DateCreated", "values": [")" +
                     shifted + R"("]}]}])"),
            expected([&](const record& r) { return *created(r) == mid; }));
  EXPECT_EQ(selected(R"([{"op": "AND", "expressions": [{"op": "LT", "field": "DateCreated", "values": [")" +
                     at + R"("]}]}])"),
            expected([&](const record& r) { return *created(r) < mid; }));
  // Numbers compare numerically ("900000" > "5000000" as text): nulls never match, NE included.
  EXPECT_EQ(
      selected(
          R"([{"op": "AND", "expressions": [{"op": "GT", "field": "Duration", "values": ["600000"]}]}])"),
      expected([&](const record& r) { return duration(r) && *duration(r) > d; }));
  EXPECT_EQ(
      selected(
          R"([{"op": "AND", "expressions": [{"op": "LT", "field": "Duration", "values": ["600000.5"]}]}])"),
      expected([&](const record& r) { return duration(r) && *duration(r) <= d; }));
  EXPECT_EQ(
      selected(
          R"([{"op": "AND", "expressions": [{"op": "NE", "field": "OperatorResult.Value", "values": ["positive"]}]}])"),
      expected([&](const record& r) { return sentiment(r) && *sentiment(r) != "positive"; }));
  // Lists match when any element does; an empty list matches nothing.
  const auto has = [](const std::vector<std::string>& v, std::string_view x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  EXPECT_EQ(
      selected(
          R"([{"op": "AND", "expressions": [{"op": "IN", "field": "Languages", "values": ["fr-FR", "de-DE"]}]}])"),
      expected([&](const record& r) {
        auto l = list(r, "Languages");
        return has(l, "fr-FR") || has(l, "de-DE");
      }));
  EXPECT_EQ(
      selected(R"([{"op": "AND", "expressions": [{"op": "NE", "field": "Channels", "values": ["voice"]}]}])"),
      expected([&](const record& r) {
        auto c = list(r, "Channels");
        return std::any_of(c.begin(), c.end(), [](const std::string& x) { return x != "voice"; });
      }));
  EXPECT_EQ(
      selected(R"([{"op": "AND", "expressions": [{"op": "EQ", "field": "Channels", "values": ["voice"]}]}])"),
      expected([&](const record& r) {
        return has(list(r, "Channels"), "voice");
      }));  // case-sensitive: not "Voice"
  EXPECT_EQ(
      selected(R"([{"op": "AND", "expressions": [{"op": "GT", "field": "AgentNames", "values": ["L"]}]}])"),
      expected([&](const record& r) {
        auto n = list(r, "AgentNames");
        return std::any_of(n.begin(), n.end(), [](const std::string& x) { return x > "L"; });
      }));
}

TEST_F(InsightsSandbox, GroupsCombineAtBothLevels) {
  const auto has = [](const std::vector<std::string>& v, std::string_view x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  const auto positive = [&](const record& r) { return sentiment(r) == "positive"; };
  const auto chat = [&](const record& r) { return has(list(r, "Channels"), "chat"); };
  const auto long_call = [&](const record& r) { return duration(r) && *duration(r) > 1'800'000; };
  const std::string is_positive = R"({"op": "EQ", "field": "OperatorResult.Value", "values": ["positive"]})";
  const std::string is_chat = R"({"op": "IN", "field": "Channels", "values": ["chat"]})";
  const std::string is_long = R"({"op": "GT", "field": "Duration", "values": ["1800000"]})";

  // Top-level groups are ANDed; OR inside a group.
  EXPECT_EQ(selected("[{\"op\": \"OR\", \"expressions\": [" + is_positive + ", " + is_chat +
                     "]}, {\"expressions\": [" + is_long + "]}]"),
            expected([&](const record& r) { return (positive(r) || chat(r)) && long_call(r); }));
  // Comparisons at the top level, and AND/OR over a field's values.
  EXPECT_EQ(selected("[" + is_positive + ", " + is_long + "]"),
            expected([&](const record& r) { return positive(r) && long_call(r); }));
  EXPECT_EQ(
      selected(R"([{"op": "OR", "field": "OperatorResult.Value", "values": ["positive", "neutral"]}])"),
      expected([&](const record& r) { return sentiment(r) == "positive" || sentiment(r) == "neutral"; }));
  EXPECT_EQ(
      selected(
          R"([{"op": "AND", "expressions": [{"op": "AND", "field": "AgentNames", "values": ["Ada Lovelace", "Alan Turing"]}]}])"),
      expected([&](const record& r) {
        auto n = list(r, "AgentNames");
        return has(n, "Ada Lovelace") && has(n, "Alan Turing");
      }));
  // Nested groups inside expressions.
  EXPECT_EQ(
      selected("[{\"op\": \"AND\", \"expressions\": [{\"op\": \"OR\", \"expressions\": [" + is_chat + ", " +
               is_long +
               "]}, {\"op\": \"NE\", \"field\": \"OperatorResult.Value\", \"values\": [\"negative\"]}]}]"),
      expected([&](const record& r) {
        return (chat(r) || long_call(r)) && sentiment(r) && *sentiment(r) != "negative";
      }));
  // Empty groups: AND holds, OR does not.
  EXPECT_EQ(selected(R"([{"op": "AND", "expressions": []}])").size(), data().size());
  EXPECT_TRUE(selected(R"([{"op": "OR", "expressions": []}])").empty());
}

// --- order ---------------------------------------------------------------------------------

TEST_F(InsightsSandbox, OrdersByEveryKeyWithNullsLast) {
  const auto got = walk(h(), R"({"dimensions": ["Id", "Duration", "DateCreated"],
      "orderBy": [{"field": "Duration", "direction": "DESC"}, {"field": "DateCreated", "direction": "ASC"}]})",
                        250);
  ASSERT_EQ(got.size(), data().size());
  bool seen_null = false, some_tie = false;
  for (std::size_t i = 1; i < got.size(); ++i) {
    const auto a = duration(got[i - 1]), b = duration(got[i]);
    if (!a) seen_null = true;
    if (seen_null) {
      EXPECT_FALSE(b) << i;  // nulls come last, even descending
      EXPECT_LE(*created(got[i - 1]), *created(got[i])) << i;
      continue;
    }
    if (!b) continue;
    ASSERT_GE(*a, *b) << i;
    if (*a == *b) {
      some_tie = true;
      EXPECT_LE(*created(got[i - 1]), *created(got[i])) << i;
    }
  }
  EXPECT_TRUE(seen_null);
  EXPECT_TRUE(some_tie);
  // Ascending: nulls still last.
  const auto asc = walk(
      h(), R"({"dimensions": ["Id", "Duration"], "orderBy": [{"field": "Duration", "direction": "ASC"}]})",
      1000);
  EXPECT_TRUE(duration(asc.front()).has_value());
  EXPECT_FALSE(duration(asc.back()).has_value());
  // Lists order by their first element; ties keep a stable order across page sizes.
  EXPECT_EQ(ids_of(walk(h(), R"({"dimensions": ["Id"], "orderBy": [{"field": "Languages"}]})", 7)),
            ids_of(walk(h(), R"({"dimensions": ["Id"], "orderBy": [{"field": "Languages"}]})", 1000)));
}

TEST_F(InsightsSandbox, MeasuresGroupByTheDimensions) {
  const auto groups = walk(h(), R"({"measures": ["Count", "TotalDuration"], "dimensions": ["Direction"],
      "orderBy": [{"field": "Count", "direction": "DESC"}]})");
  ASSERT_EQ(groups.size(), 2u);
  std::int64_t total = 0, inbound = 0, inbound_duration = 0;
  for (const auto& r : data()) {
    if (r.at("Direction") != "inbound") continue;
    ++inbound;
    inbound_duration += duration(r).value_or(0);
  }
  for (const auto& g : groups) total += g.at("Count").as_int64();
  EXPECT_EQ(total, static_cast<std::int64_t>(data().size()));
  EXPECT_EQ(groups[0].at("Direction"), "inbound");  // 70 % of the data
  EXPECT_EQ(groups[0].at("Count").as_int64(), inbound);
  EXPECT_EQ(groups[0].at("TotalDuration").as_int64(), inbound_duration);
}

// --- validation ------------------------------------------------------------------------------

TEST_F(InsightsSandbox, RefusesMalformedQueriesWith400) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"not json", "The body must be a JSON object"},
      {R"(["query"])", "The body must be a JSON object"},
      {R"({"domain": "Conversations"})", "query: required"},
      {R"({"domain": "Insights", "query": {"dimensions": ["Id"]}})", "domain must be Conversations"},
      {R"({"query": {"dimensions": ["Id"]}, "pageSize": 3})", "Unknown key pageSize"},
      {body(R"({})"), "query: ask for at least one dimension or measure"},
      {body(R"({"dimensions": ["Id"], "limit": 3})"), "query.limit: unknown key"},
      {body(R"({"dimensions": "Id"})"), "query.dimensions: expected an array of strings"},
      {body(R"({"dimensions": ["Nope"]})"), "query.dimensions[0]: unknown dimension Nope"},
      {body(R"({"measures": ["Sum"]})"), "query.measures[0]: unknown measure Sum"},
      {body(R"({"dimensions": ["Id"], "filters": {}})"), "query.filters: expected an array"},
      {body(R"({"dimensions": ["Id"], "filters": [{"op": "XOR", "expressions": []}]})"),
       "query.filters[0].op: expected one of AND, OR, EQ, NE, GT, LT, IN"},
      {body(
           R"({"dimensions": ["Id"], "filters": [{"op": "AND", "expressions": [{"field": "Id", "values": ["x"]}]}]})"),
       "query.filters[0].expressions[0].op: required"},
      {body(
           R"({"dimensions": ["Id"], "filters": [{"op": "AND", "expressions": [{"op": "EQ", "field": "Id", "values": ["a", "b"]}]}]})"),
       "query.filters[0].expressions[0].values: this operator takes exactly one value"},
      {body(
           R"({"dimensions": ["Id"], "filters": [{"op": "AND", "expressions": [{"op": "IN", "field": "Id", "values": []}]}]})"),
       "query.filters[0].expressions[0].values: at least one value is required"},
      {body(
           R"({"dimensions": ["Id"], "filters": [{"op": "AND", "expressions": [{"op": "IN", "field": "Id", "values": [1]}]}]})"),
       "query.filters[0].expressions[0].values[0]: expected a string"},
      {body(
           R"({"dimensions": ["Id"], "filters": [{"op": "AND", "expressions": [{"op": "GT", "field": "DateCreated", "values": ["yesterday"]}]}]})"),
       "query.filters[0].expressions[0].values[0]: not an RFC 3339 date"},
      {body(
           R"({"dimensions": ["Id"], "filters": [{"op": "AND", "expressions": [{"op": "LT", "field": "Duration", "values": ["1e"]}]}]})"),
       "query.filters[0].expressions[0].values[0]: not a number"},
      {body(
           R"({"dimensions": ["Id"], "filters": [{"op": "EQ", "field": "Colour", "values": ["red"], "expressions": []}]})"),
       "query.filters[0].field: unknown dimension Colour"},
      {body(R"({"dimensions": ["Id"], "filters": [{"op": "AND"}]})"),
       "query.filters[0]: AND and OR need expressions, or a field with values"},
      {body(
           R"({"dimensions": ["Id"], "filters": [{"op": "AND", "expressions": [], "values": ["x"], "extra": 1}]})"),
       "query.filters[0].extra: unknown key"},
      {body(R"({"dimensions": ["Id"], "orderBy": [{"field": "Id", "direction": "desc"}]})"),
       "query.orderBy[0].direction: expected ASC or DESC"},
      {body(R"({"dimensions": ["Id"], "orderBy": [{"field": "Nope"}]})"),
       "query.orderBy[0].field: unknown dimension or measure Nope"},
      {body(R"({"measures": ["Count"], "dimensions": ["Direction"], "orderBy": [{"field": "Id"}]})"),
       "query.orderBy[0].field: dimension Id is not in the query"},
  };
  for (const auto& [text, message] : cases) {
    const auto res = post(h(), text, "?pageSize=5");
    ASSERT_EQ(res.result(), http::status::bad_request) << text;
    const auto error = body_of(res);
    EXPECT_EQ(error.at("message"), json::value(message)) << text;
    EXPECT_EQ(error.at("code"), 20001);
    EXPECT_EQ(error.at("httpStatusCode"), 400);
  }
  std::string deep = R"({"op": "EQ", "field": "Id", "values": ["x"]})";
  for (int i = 0; i < 12; ++i) deep = R"({"op": "AND", "expressions": [)" + deep + "]}";
  EXPECT_EQ(post(h(), body(R"({"dimensions": ["Id"], "filters": [)" + deep + "]}")).result(),
            http::status::bad_request);
  for (const char* size : {"?pageSize=0", "?pageSize=-1", "?pageSize=ten"})
    EXPECT_EQ(post(h(), body(R"({"dimensions": ["Id"]})"), size).result(), http::status::bad_request) << size;
  EXPECT_EQ(post(h(), body(R"({"dimensions": ["Id"]})"), "", "").result(),
            http::status::unsupported_media_type);
  EXPECT_EQ(post(h(), body(R"({"dimensions": ["Id"]})"), "", "text/plain").result(),
            http::status::unsupported_media_type);
  EXPECT_EQ(post(h(), body(R"({"dimensions": ["Id"]})"), "", "application/json; charset=utf-8").result(),
            http::status::ok);
}

TEST_F(InsightsSandbox, UnknownPathsAndMethods) {
  const auto missing = get(h(), "/v3/InsightsDomains/Conversations/Nope");
  EXPECT_EQ(missing.result(), http::status::not_found);
  EXPECT_EQ(body_of(missing).at("code"), 20404);
  const auto wrong = h().handle(vendor_request(http::verb::delete_, std::string(metadata_path)));
  EXPECT_EQ(wrong.result(), http::status::method_not_allowed);
  EXPECT_EQ(std::string(wrong[http::field::allow]), "GET");
}

// Insights documents pageSize on the POST and pageToken on the GET; anything else is refused by
// name, so that an adapter's misspelling fails a test instead of changing the page size unseen.
TEST_F(InsightsSandbox, RejectsUnknownQueryParametersWith400NamingThem) {
  const auto first = body_of(post(h(), body(R"({"dimensions": ["Id"]})"), "?pageSize=3"));
  const std::string token = url_encoded(first.at("meta").at("nextToken").as_string());
  const std::vector<std::pair<response, std::string>> cases{
      {post(h(), body(R"({"dimensions": ["Id"]})"), "?pagesize=3"), "pagesize"},
      {post(h(), body(R"({"dimensions": ["Id"]})"), "?pageSize=3&pageToken=" + token), "pageToken"},
      {get(h(), std::string(query_path) + "?pageToken=" + token + "&pageSize=3"), "pageSize"},
      {get(h(), std::string(query_path) + "?PageToken=" + token), "PageToken"},
      {get(h(), std::string(metadata_path) + "?domain=Conversations"), "domain"},
  };
  for (const auto& [res, parameter] : cases) {
    ASSERT_EQ(res.result(), http::status::bad_request) << parameter << ": " << res.body();
    const auto error = body_of(res);
    EXPECT_EQ(error.at("message"), json::value("Unknown query parameter " + parameter));
    EXPECT_EQ(error.at("code"), 20001);
    EXPECT_EQ(error.at("httpStatusCode"), 400);
    EXPECT_EQ(error.at("userError"), true);
  }
  EXPECT_EQ(get(h(), std::string(query_path) + "?pageToken=" + token).result(), http::status::ok);
  EXPECT_EQ(get(h(), std::string(metadata_path)).result(), http::status::ok);
}

// The page_loop fault: empty pages whose nextToken stands for the very page it came with.
TEST_F(InsightsSandbox, PageLoopKeepsTheSameNextToken) {
  auto start = vendor_request(http::verb::post, std::string(query_path) + "?pageSize=5");
  start.set(http::field::content_type, "application/json");
  start.body() = body(R"({"dimensions": ["Id"]})");
  start.prepare_payload();
  const auto first = h().page_loop(start);
  ASSERT_EQ(first.result(), http::status::ok) << first.body();
  EXPECT_TRUE(body_of(first).at("items").as_array().empty());
  const std::string token(body_of(first).at("meta").at("nextToken").as_string());
  for (int hop = 0; hop < 3; ++hop) {
    const auto res = h().page_loop(
        vendor_request(http::verb::get, std::string(query_path) + "?pageToken=" + url_encoded(token)));
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    EXPECT_TRUE(body_of(res).at("items").as_array().empty());
    EXPECT_EQ(body_of(res).at("meta").at("nextToken"), json::value(token));
  }
  // The token is one the sandbox issued: without the fault it is the query's first page.
  const auto real = get(h(), std::string(query_path) + "?pageToken=" + url_encoded(token));
  ASSERT_EQ(real.result(), http::status::ok);
  EXPECT_EQ(body_of(real).at("items").as_array().size(), 5u);
  // Metadata has no paging: served as it is.
  EXPECT_EQ(h().page_loop(vendor_request(http::verb::get, std::string(metadata_path))).body(),
            get(h(), std::string(metadata_path)).body());
}

// --- auth, rate limit, faults -----------------------------------------------------------------

TEST(InsightsSandboxAuth, BasicAuthOrA401InTwiliosShape) {
  auto h = make_handler(small(5));
  for (const std::string_view auth :
       {std::string_view(""), std::string_view("Basic QUNzYW5kYm94Ondyb25n"),
        std::string_view("Bearer sandbox-insights-secret"), std::string_view("Basic !!")}) {
    const auto res = get(*h, std::string(metadata_path), auth);
    ASSERT_EQ(res.result(), http::status::unauthorized) << auth;
    const auto error = body_of(res);
    EXPECT_EQ(error.at("code"), 20003);
    EXPECT_EQ(error.at("httpStatusCode"), 401);
    EXPECT_FALSE(res[http::field::www_authenticate].empty());
  }
  EXPECT_EQ(
      get(*h, std::string(metadata_path), "basic QUNzYW5kYm94OnNhbmRib3gtaW5zaWdodHMtc2VjcmV0").result(),
      http::status::ok);
}

TEST(InsightsSandboxBudget, RateHeadersOnEveryAnswerAnd429WhenSpent) {
  auto h = make_handler(small(5, 3));
  const auto first = get(*h, std::string(metadata_path));
  EXPECT_EQ(first["X-RateLimit-Limit"], "3");
  EXPECT_EQ(first["X-RateLimit-Remaining"], "2");
  const int reset = std::stoi(std::string(first["X-RateLimit-Reset"]));
  EXPECT_GE(reset, 1);
  EXPECT_LE(reset, 60);
  const auto refused = get(*h, std::string(metadata_path), "Basic eDp5");
  EXPECT_EQ(refused.result(), http::status::unauthorized);
  EXPECT_EQ(refused["X-RateLimit-Remaining"], "2");  // a refused credential is not charged
  EXPECT_EQ(post(*h, body(R"({"dimensions": ["Id"]})"))["X-RateLimit-Remaining"], "1");
  EXPECT_EQ(get(*h, "/nowhere")["X-RateLimit-Remaining"], "0");
  const auto limited = get(*h, std::string(metadata_path));
  EXPECT_EQ(limited.result(), http::status::too_many_requests);
  EXPECT_EQ(body_of(limited).at("code"), 20429);
  EXPECT_EQ(body_of(limited).at("httpStatusCode"), 429);
  EXPECT_EQ(limited["X-RateLimit-Remaining"], "0");
  EXPECT_GE(std::stoi(std::string(limited["X-RateLimit-Reset"])), 1);

  auto unlimited = make_handler(small(5, 0));
  for (int i = 0; i < 50; ++i)
    ASSERT_EQ(get(*unlimited, std::string(metadata_path)).result(), http::status::ok);
  EXPECT_FALSE(get(*unlimited, std::string(metadata_path))["X-RateLimit-Limit"].empty());
}

TEST(InsightsSandboxFaults, InjectedAnswersWearTheVendorsShape) {
  auto h = make_handler(small(5));
  const auto limited = h->rate_limited(7);
  EXPECT_EQ(limited.result(), http::status::too_many_requests);
  EXPECT_EQ(limited["X-RateLimit-Reset"], "7");
  EXPECT_EQ(limited["X-RateLimit-Remaining"], "0");
  EXPECT_EQ(body_of(limited).at("code"), 20429);
  EXPECT_TRUE(h->rate_limited(-1)["X-RateLimit-Reset"].empty());
  const auto failed = h->error(http::status::service_unavailable, "injected fault");
  EXPECT_EQ(body_of(failed).at("httpStatusCode"), 503);
  EXPECT_EQ(body_of(failed).at("userError"), false);
  EXPECT_EQ(body_of(failed).at("message"), "injected fault");
}

}  // namespace
}  // namespace cgw::sandbox::twilio_insights_v3
