// The Twilio Flex Insights v1 sandbox called directly (no sockets), then over loopback: the
// dataset, auth, PageSize/Page/PageToken, links built from the Host header, SegmentId, the
// test hooks, and Twilio's error and 429 bodies.
#include "adapters/twilio_flex_insights/sandbox/sandbox.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

namespace cgw::sandbox::twilio_flex_insights {
namespace {

using record = json::object;

constexpr std::string_view basic =
    "Basic QUNzYW5kYm94OnNhbmRib3gtZmxleC1zZWNyZXQ=";  // ACsandbox:sandbox-flex-secret
constexpr std::string_view host = "127.0.0.1:9102";
constexpr std::string_view list_path = "/v1/Insights/Conversations";

options small(std::uint32_t records) {
  options o;
  o.records = records;
  return o;
}

request vendor_get(const std::string& target, std::string_view auth = basic) {
  request req{http::verb::get, target, 11};
  req.set(http::field::host, host);
  if (!auth.empty()) req.set(http::field::authorization, auth);
  return req;
}

response get(handler& h, const std::string& target, std::string_view auth = basic) {
  return h.handle(vendor_get(target, auth));
}

json::object body_of(const response& res) {
  return json::parse(res.body()).as_object();
}

// A Twilio error body: {code, message, more_info, status}, and nothing else.
void expect_twilio_error(const response& res, http::status status, std::int64_t code) {
  EXPECT_EQ(res.result(), status);
  const auto body = body_of(res);
  EXPECT_EQ(body.size(), 4u) << res.body();
  EXPECT_EQ(body.at("code").to_number<std::int64_t>(), code) << res.body();
  EXPECT_EQ(body.at("status").to_number<int>(), static_cast<int>(status));
  EXPECT_TRUE(body.at("message").is_string());
  EXPECT_EQ(body.at("more_info").as_string(), "https://www.twilio.com/docs/errors/" + std::to_string(code));
}

std::optional<std::string> conversation_id(const record& r) {
  const auto& v = r.at("conversation_id");
  return v.is_string() ? std::optional(std::string(v.as_string())) : std::nullopt;
}

// The origin-form target of an absolute link, after checking it names `expected_host`.
std::string target_of(std::string_view link, std::string_view expected_host = host) {
  const std::string text(link);
  const auto url = boost::urls::parse_absolute_uri(text);
  EXPECT_TRUE(url) << link;
  if (!url) return {};
  EXPECT_EQ(url->scheme(), "http");
  EXPECT_EQ(url->encoded_authority(), expected_host) << link;
  EXPECT_EQ(url->encoded_path(), list_path) << link;
  return std::string(url->encoded_path()) + "?" + std::string(url->encoded_query());
}

// Every record of a list, following next_page_url exactly as returned.
std::vector<record> walk(handler& h, const std::string& query, std::size_t* pages = nullptr) {
  std::vector<record> out;
  std::string target = std::string(list_path) + (query.empty() ? "" : "?" + query);
  std::size_t n = 0;
  for (std::int64_t page = 0; n < 10'000; ++page) {
    const auto res = get(h, target);
    EXPECT_EQ(res.result(), http::status::ok) << target << ": " << res.body();
    if (res.result() != http::status::ok) break;
    ++n;
    const auto body = body_of(res);
    const auto& meta = body.at("meta").as_object();
    EXPECT_EQ(meta.at("key"), "conversations");
    EXPECT_EQ(meta.at("page").to_number<std::int64_t>(), page);
    EXPECT_FALSE(target_of(meta.at("url").as_string()).empty());
    EXPECT_EQ(meta.at("previous_page_url").is_null(), page == 0);
    EXPECT_FALSE(target_of(meta.at("first_page_url").as_string()).empty());
    for (const auto& r : body.at("conversations").as_array()) out.push_back(r.as_object());
    if (meta.at("next_page_url").is_null()) break;
    target = target_of(meta.at("next_page_url").as_string());
  }
  if (pages) *pages = n;
  return out;
}

// Records are compared whole: the list must serve exactly the dataset's objects.
std::vector<std::string> keys_of(const std::vector<record>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(json::serialize(r));
  return out;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

class FlexSandbox : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { shared_ = make_handler(small(3000)).release(); }
  static void TearDownTestSuite() { delete shared_; }
  handler& h() { return *shared_; }
  static handler* shared_;
};
handler* FlexSandbox::shared_ = nullptr;

// --- dataset ---------------------------------------------------------------------------------

TEST_F(FlexSandbox, DatasetIsDeterministicAndVaried) {
  EXPECT_EQ(make_dataset(50, 7), make_dataset(50, 7));
  EXPECT_NE(make_dataset(50, 7), make_dataset(50, 8));
  const auto& data = dataset(h());
  ASSERT_EQ(data.size(), 3000u);
  std::set<std::string> ids, segment_ids, agents;
  std::map<std::string, int> counts;
  for (const auto& r : data) {
    EXPECT_EQ(r.size(), 4u);
    if (auto id = conversation_id(r))
      EXPECT_TRUE(ids.insert(*id).second) << *id;
    else
      ++counts["null id"];
    if (r.at("account_id").is_null()) ++counts["null account"];
    const auto& segments = r.at("segments");
    if (segments.is_null()) {
      ++counts["null segments"];
      EXPECT_EQ(r.at("segment_count"), 0);
      continue;
    }
    const auto& list = segments.as_array();
    EXPECT_EQ(r.at("segment_count").to_number<std::size_t>(), list.size());
    EXPECT_LE(list.size(), 4u);
    if (list.empty()) ++counts["empty segments"];
    std::string previous;
    for (const auto& v : list) {
      const auto& s = v.as_object();
      EXPECT_TRUE(segment_ids.insert(std::string(s.at("segment_id").as_string())).second);
      EXPECT_EQ(s.at("segment_id").as_string().size(), 36u);
      EXPECT_TRUE(s.at("order").is_int64());
      EXPECT_TRUE(s.at("offset").is_double());
      const std::string ts(s.at("timestamp").as_string());
      EXPECT_EQ(ts.size(), 24u);  // 2024-03-01T00:00:00.000Z
      if (!previous.empty() && ts < previous) ++counts["listed backwards"];
      previous = ts;
      if (s.at("talk_time").is_null())
        ++counts["null talk_time"];
      else
        EXPECT_TRUE(s.at("talk_time").is_int64());
      if (s.at("agent_name").is_string())
        agents.insert(std::string(s.at("agent_name").as_string()));
      else
        ++counts["null agent"];
      if (s.at("offset").as_double() != std::floor(s.at("offset").as_double())) ++counts["fractional offset"];
    }
  }
  for (const auto* what : {"null id", "null account", "null segments", "empty segments", "listed backwards",
                           "null talk_time", "null agent", "fractional offset"})
    EXPECT_GT(counts[what], 0) << what;
  EXPECT_TRUE(agents.contains("Ann Lee") && agents.contains("ann lee"));
}

// --- auth, routing, errors ------------------------------------------------------------------

TEST_F(FlexSandbox, RefusesMissingOrWrongCredentials) {
  for (const std::string_view auth : {std::string_view(""), std::string_view("Basic QUNzYW5kYm94Ondyb25n"),
                                      std::string_view("Bearer sandbox-flex-secret"),
                                      std::string_view("QUNzYW5kYm94OnNhbmRib3gtZmxleC1zZWNyZXQ=")}) {
    const auto res = get(h(), std::string(list_path), auth);
    expect_twilio_error(res, http::status::unauthorized, 20003);
    EXPECT_TRUE(std::string_view(res[http::field::www_authenticate]).starts_with("Basic"));
  }
  EXPECT_EQ(get(h(), std::string(list_path), "basic QUNzYW5kYm94OnNhbmRib3gtZmxleC1zZWNyZXQ=").result(),
            http::status::ok);
  options other = small(5);
  other.username = "SKkey";
  other.password = "key-secret";
  EXPECT_EQ(get(*make_handler(other), std::string(list_path), "Basic U0trZXk6a2V5LXNlY3JldA==").result(),
            http::status::ok);
}

TEST_F(FlexSandbox, AnswersOtherPathsAndMethodsWithTwilioErrors) {
  expect_twilio_error(get(h(), "/v1/Insights/Segments"), http::status::not_found, 20404);
  auto post = vendor_get(std::string(list_path));
  post.method(http::verb::post);
  expect_twilio_error(h().handle(post), http::status::method_not_allowed, 20405);
  expect_twilio_error(h().error(http::status::service_unavailable, "injected"),
                      http::status::service_unavailable, 20503);
  EXPECT_EQ(get(h(), std::string(list_path) + "/").result(),
            http::status::ok);  // a trailing slash is the same resource
}

TEST_F(FlexSandbox, RefusesBadPagingParameters) {
  for (const char* query : {"PageSize=0", "PageSize=1001", "PageSize=abc", "PageSize=", "PageSize=-5",
                            "Page=-1", "Page=x", "Page=2", "PageToken=PT5-0000000000000000",
                            "PageToken=forged", "PageToken=PT999999-0000000000000000"}) {
    const auto res = get(h(), std::string(list_path) + "?" + query);
    expect_twilio_error(res, http::status::bad_request, 20001);
  }
  EXPECT_EQ(body_of(get(h(), std::string(list_path) + "?Page=2")).at("message"),
            "PageToken is required for paging.");
  // Page 0 without a token is fine.
  EXPECT_EQ(get(h(), std::string(list_path) + "?Page=0").result(), http::status::ok);
}

// Twilio ignores unknown parameters; the sandbox must not, or a misspelled SegmentId in an adapter
// would silently list every conversation behind the gateway's local re-filtering.
TEST_F(FlexSandbox, RejectsUnknownParametersWith400NamingThem) {
  for (const std::string parameter : {"SegmentID", "segmentId", "Colour", "PageSize%5B%5D"}) {
    const auto res = get(h(), std::string(list_path) + "?PageSize=5&" + parameter + "=x");
    expect_twilio_error(res, http::status::bad_request, 20001);
    const std::string message(body_of(res).at("message").as_string());
    const std::string decoded = parameter == "PageSize%5B%5D" ? "PageSize[]" : parameter;
    EXPECT_NE(message.find("Unknown parameter " + decoded), std::string::npos) << message;
  }
  EXPECT_EQ(get(h(), std::string(list_path) + "?SegmentId=x&PageSize=5&Page=0").result(), http::status::ok);
}

// The page_loop fault: the first page as usual, then next_page_url links alternating A -> B -> A,
// none of them the page it is on, all of them valid links of this sandbox.
TEST(FlexSandboxFaults, PageLoopAlternatesTwoLinks) {
  auto h = make_handler(small(30));
  const auto loop = [&](const std::string& target) { return h->page_loop(vendor_get(target)); };
  const auto first = loop(std::string(list_path) + "?PageSize=10");
  ASSERT_EQ(first.result(), http::status::ok) << first.body();
  EXPECT_EQ(body_of(first).at("conversations").as_array().size(), 10u);
  const std::string a = target_of(body_of(first).at("meta").at("next_page_url").as_string());
  std::vector<std::string> seen{a};
  std::string at = a;
  for (int hop = 0; hop < 4; ++hop) {
    const auto res = loop(at);
    ASSERT_EQ(res.result(), http::status::ok) << at << ": " << res.body();
    EXPECT_TRUE(body_of(res).at("conversations").as_array().empty()) << at;
    const std::string next = target_of(body_of(res).at("meta").at("next_page_url").as_string());
    EXPECT_NE(next, at) << "a link to the page itself is not the fault";
    seen.push_back(next);
    at = next;
  }
  // A, B, A, B, A
  EXPECT_EQ(seen[0], seen[2]);
  EXPECT_EQ(seen[1], seen[3]);
  EXPECT_EQ(seen[2], seen[4]);
  EXPECT_NE(seen[0], seen[1]);
  // The links are the sandbox's own: served without the fault they end the list.
  EXPECT_TRUE(body_of(get(*h, seen[1])).at("meta").at("next_page_url").is_null());
}

TEST_F(FlexSandbox, RateLimitIsTwilios20429) {
  const auto plain = h().rate_limited(-1);
  expect_twilio_error(plain, http::status::too_many_requests, 20429);
  EXPECT_EQ(plain.find(http::field::retry_after), plain.end());
  EXPECT_EQ(h().rate_limited(3)[http::field::retry_after], "3");
}

// --- paging ----------------------------------------------------------------------------------

TEST(FlexSandboxPaging, WalksEveryRecordOnceInOneStableOrderThatIsNotTime) {
  auto h = make_handler(small(250));
  const auto all = sorted(keys_of(dataset(*h)));
  std::vector<std::string> reference;
  for (const unsigned size : {1u, 7u, 50u, 1000u}) {
    std::size_t pages = 0;
    const auto got = keys_of(walk(*h, "PageSize=" + std::to_string(size), &pages));
    EXPECT_EQ(sorted(got), all) << size;
    EXPECT_EQ(pages, std::max<std::size_t>(1, (250 + size - 1) / size)) << size;
    if (reference.empty()) reference = got;
    EXPECT_EQ(got, reference) << "the order must not depend on the page size";
  }
  EXPECT_NE(reference, keys_of(dataset(*h)));  // not generation order
  std::vector<std::string> starts;
  for (const auto& k : reference) {
    const auto r = json::parse(k).as_object();
    const auto& s = r.at("segments");
    if (s.is_array() && !s.as_array().empty())
      starts.emplace_back(s.as_array()[0].at("timestamp").as_string());
  }
  EXPECT_FALSE(std::is_sorted(starts.begin(), starts.end()));
  EXPECT_FALSE(std::is_sorted(starts.rbegin(), starts.rend()));

  const auto first = body_of(get(*h, std::string(list_path)));
  EXPECT_EQ(first.at("conversations").as_array().size(), 50u);  // the default PageSize
  EXPECT_EQ(first.at("meta").at("page_size"), 50);
}

TEST(FlexSandboxPaging, LinksCarryTheParametersAndLeadBack) {
  auto h = make_handler(small(30));
  const auto first = body_of(get(*h, std::string(list_path) + "?PageSize=10"));
  const auto& meta = first.at("meta").as_object();
  const std::string next(meta.at("next_page_url").as_string());
  EXPECT_TRUE(
      next.starts_with("http://127.0.0.1:9102/v1/Insights/Conversations?PageSize=10&Page=1&PageToken="))
      << next;
  EXPECT_EQ(meta.at("first_page_url"), "http://127.0.0.1:9102/v1/Insights/Conversations?PageSize=10&Page=0");
  const auto second = body_of(get(*h, target_of(next)));
  const std::string previous(second.at("meta").at("previous_page_url").as_string());
  // The previous link leads back to the first page's records.
  EXPECT_EQ(body_of(get(*h, target_of(previous))).at("conversations"), first.at("conversations"));
  // Another Host, other links: they always point back at whoever was asked.
  auto req = vendor_get(std::string(list_path) + "?PageSize=10");
  req.set(http::field::host, "[::1]:7000");
  const auto v6 = body_of(h->handle(req));
  EXPECT_TRUE(
      std::string(v6.at("meta").at("next_page_url").as_string()).starts_with("http://[::1]:7000/v1/"));
  req.erase(http::field::host);
  expect_twilio_error(h->handle(req), http::status::bad_request, 20001);
}

TEST(FlexSandboxPaging, TokensAreBoundToTheirSegmentFilter) {
  auto h = make_handler(small(30));
  const auto first = body_of(get(*h, std::string(list_path) + "?PageSize=5"));
  const std::string next = target_of(first.at("meta").at("next_page_url").as_string());
  const auto token = next.substr(next.find("PageToken="));
  EXPECT_EQ(get(*h, std::string(list_path) + "?PageSize=5&" + token).result(), http::status::ok);
  // The page size may change between pages; the filter may not.
  EXPECT_EQ(get(*h, std::string(list_path) + "?PageSize=9&" + token).result(), http::status::ok);
  expect_twilio_error(get(*h, std::string(list_path) + "?SegmentId=x&" + token), http::status::bad_request,
                      20001);
}

TEST_F(FlexSandbox, SegmentIdListsTheConversationsWithThatSegment) {
  const auto& data = dataset(h());
  int checked = 0;
  for (std::size_t i = 0; i < data.size() && checked < 5; i += 97) {
    const auto& segments = data[i].at("segments");
    if (!segments.is_array() || segments.as_array().empty()) continue;
    const std::string segment(segments.as_array().back().at("segment_id").as_string());
    const auto got = walk(h(), "SegmentId=" + segment + "&PageSize=1000");
    ASSERT_EQ(got.size(), 1u) << segment;
    EXPECT_EQ(got[0], data[i]);
    ++checked;
  }
  EXPECT_EQ(checked, 5);
  const auto none =
      body_of(get(h(), std::string(list_path) + "?SegmentId=02dd8a65-c9e3-550b-9e98-5b11abb9b3a4"));
  EXPECT_TRUE(none.at("conversations").as_array().empty());
  EXPECT_TRUE(none.at("meta").at("next_page_url").is_null());
  EXPECT_EQ(none.at("meta").at("url"),
            "http://127.0.0.1:9102/v1/Insights/"
            "Conversations?SegmentId=02dd8a65-c9e3-550b-9e98-5b11abb9b3a4&PageSize=50&Page=0");
}

// --- test hooks --------------------------------------------------------------------------------

TEST(FlexSandboxHooks, ForeignNextHostAndForgedToken) {
  options foreign = small(30);
  foreign.foreign_next_host = "127.0.0.1:1";
  auto h = make_handler(foreign);
  const auto meta = body_of(get(*h, std::string(list_path) + "?PageSize=10")).at("meta").as_object();
  EXPECT_TRUE(std::string(meta.at("next_page_url").as_string()).starts_with("http://127.0.0.1:1/v1/"));
  EXPECT_TRUE(std::string(meta.at("url").as_string()).starts_with("http://127.0.0.1:9102/v1/"));

  options forged = small(30);
  forged.forged_next_token = "PT10-ffffffffffffffff";
  auto f = make_handler(forged);
  const auto next = body_of(get(*f, std::string(list_path) + "?PageSize=10")).at("meta").at("next_page_url");
  EXPECT_NE(std::string(next.as_string()).find("PageToken=PT10-ffffffffffffffff"), std::string::npos);
  expect_twilio_error(get(*f, target_of(next.as_string())), http::status::bad_request, 20001);
}

// --- over loopback -----------------------------------------------------------------------------

// A blocking GET on a fresh connection, with the Host a real client would send.
response fetch(std::uint16_t port, const std::string& target, std::string_view auth = basic) {
  net::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  request req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  req.set(http::field::authorization, auth);
  http::write(socket, req);
  beast::flat_buffer buffer;
  response res;
  http::read(socket, buffer, res);
  return res;
}

TEST(FlexSandboxServer, LinksLeadBackToTheRunningSandboxAnd429IsAFault) {
  server s(make_handler(small(40)));
  const auto port = s.start();
  const std::string own = "127.0.0.1:" + std::to_string(port);
  std::string target = std::string(list_path) + "?PageSize=15";
  std::size_t records = 0, pages = 0;
  while (pages < 10) {
    const auto res = fetch(port, target);
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    ++pages;
    const auto body = body_of(res);
    records += body.at("conversations").as_array().size();
    const auto& next = body.at("meta").at("next_page_url");
    if (next.is_null()) break;
    target = target_of(next.as_string(), own);
  }
  EXPECT_EQ(records, 40u);
  EXPECT_EQ(pages, 3u);

  s.set_faults({.rate_limit_count = 1});
  expect_twilio_error(fetch(port, std::string(list_path)), http::status::too_many_requests, 20429);
  EXPECT_EQ(fetch(port, std::string(list_path)).result(), http::status::ok);
  EXPECT_EQ(s.requests(), 5u);
}

// A vendor that counts the answers it computes.
struct counting_handler final : handler {
  explicit counting_handler(std::unique_ptr<handler> h) : inner(std::move(h)) {}
  response handle(const request& req) override {
    ++computed;
    return inner->handle(req);
  }
  response error(http::status s, std::string_view m) override { return inner->error(s, m); }
  response rate_limited(std::int32_t s) override { return inner->rate_limited(s); }
  std::unique_ptr<handler> inner;
  std::atomic<int> computed{0};
};

TEST(SandboxMemo, ReplaysCleanAnswersNeverFaultedOnes) {
  auto counted = std::make_unique<counting_handler>(make_handler(small(40)));
  auto* vendor = counted.get();
  server s(std::move(counted));
  s.set_memoize(true);
  const auto port = s.start();
  const std::string target = std::string(list_path) + "?PageSize=15";
  const auto first = fetch(port, target);
  const auto again = fetch(port, target);
  EXPECT_EQ(again.result(), http::status::ok);
  EXPECT_EQ(again.body(), first.body());
  EXPECT_EQ(vendor->computed, 1);  // the second answer was replayed
  EXPECT_EQ(s.requests(), 2u);     // and still counted

  s.set_faults({.error_status = 503, .error_count = 1});  // a fault is never replayed over
  EXPECT_EQ(fetch(port, target).result(), http::status::service_unavailable);
  EXPECT_EQ(fetch(port, std::string(list_path) + "?PageSize=16").result(), http::status::ok);
  EXPECT_EQ(vendor->computed, 2);  // a new target is computed
  s.set_memoize(false);
  EXPECT_EQ(fetch(port, target).result(), http::status::ok);
  EXPECT_EQ(vendor->computed, 3);
}

}  // namespace
}  // namespace cgw::sandbox::twilio_flex_insights
