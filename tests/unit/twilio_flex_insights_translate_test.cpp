// Twilio Flex Insights v1 translators, with no socket: mapping, envelope, paging links and
// their origin check, targets, pushdown, and the adapter's configuration checks.
#include "adapters/twilio_flex_insights/adapter.hpp"
#include "adapters/twilio_flex_insights/translate.hpp"
#include "gateway/adapter/vendor_http.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace cgw::adapters::twilio_flex_insights {
namespace {

namespace json = boost::json;

upstream::endpoint endpoint_of(const std::string& base_url) {
  return upstream::parse_endpoint(base_url).value();
}

// The vendor's own example (seed excerpt and OpenAPI readFull), segments as documented.
const char* example_record = R"({
  "segments": [
    {"order": 0, "offset": 1.542, "talk_time": 18, "timestamp": "2022-05-11T16:02:27.659Z",
     "agent_name": "First Agent", "segment_id": "02dd8a65-c9e3-550b-9e98-5b11abb9b3a4"},
    {"order": 0, "offset": 1.211, "talk_time": 10, "timestamp": "2022-05-21T16:02:27.659Z",
     "agent_name": "Second Agent", "segment_id": "02dd8a65-c9e3-550b-9e98-5b11abb9b3a5"}
  ],
  "account_id": "76e4c1c3-6f93-5d08-ae66-aad4b9092f2d",
  "segment_count": 2,
  "conversation_id": "2cb2452a-c6d9-564d-b285-b5404f073031"
})";

TEST(FlexMapping, VendorExampleFieldByField) {
  auto c = to_conversation(json::parse(example_record), "twilio_flex");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->id, "twilio_flex:2cb2452a-c6d9-564d-b285-b5404f073031");
  EXPECT_EQ(c->native_id, "2cb2452a-c6d9-564d-b285-b5404f073031");
  EXPECT_EQ(c->vendor, "twilio_flex");
  EXPECT_EQ(c->vendor_type, "twilio_flex_insights");
  EXPECT_EQ(c->account_id, "76e4c1c3-6f93-5d08-ae66-aad4b9092f2d");
  ASSERT_EQ(c->segments.size(), 2u);
  EXPECT_EQ(c->segments[0].id, "02dd8a65-c9e3-550b-9e98-5b11abb9b3a4");
  EXPECT_EQ(c->segments[0].order, 0);
  EXPECT_DOUBLE_EQ(*c->segments[0].offset_s, 1.542);
  EXPECT_DOUBLE_EQ(*c->segments[0].talk_time_s, 18);
  EXPECT_EQ(format_rfc3339_ms(*c->segments[0].started_at), "2022-05-11T16:02:27.659Z");
  EXPECT_EQ(c->segments[1].agent_name, "Second Agent");
  EXPECT_EQ(format_rfc3339_ms(*c->started_at), "2022-05-11T16:02:27.659Z");
  EXPECT_EQ(format_rfc3339_ms(*c->ended_at), "2022-05-21T16:02:37.659Z");  // latest timestamp + its 10 s
  EXPECT_EQ(c->duration_ms, 28'000);
  ASSERT_EQ(c->agents.size(), 2u);
  EXPECT_FALSE(c->agents[0].id.has_value());
  EXPECT_EQ(c->agents[0].name, "First Agent");
  EXPECT_EQ(c->agents[1].name, "Second Agent");
  // Nothing Flex lacks is invented.
  EXPECT_FALSE(c->created_at || c->updated_at || c->title || c->channel || c->platform || c->language);
  EXPECT_FALSE(c->owner_id || c->user_id || c->person_id);
}

struct derived_case {
  const char* name;
  const char* segments;  // the JSON value of "segments"
  std::optional<std::string> started, ended;
  std::optional<std::int64_t> duration_ms;
  std::vector<std::string> agents;
};

TEST(FlexMapping, DerivedFieldsFollowTheSegments) {
  const std::vector<derived_case> cases = {
      {"null segments", "null", {}, {}, {}, {}},
      {"empty segments", "[]", {}, {}, {}, {}},
      {"not an array", R"({"segment_id": "s"})", {}, {}, {}, {}},
      {"listed latest first",
       R"([{"timestamp": "2024-01-01T10:05:00.000Z", "talk_time": 30, "agent_name": "Ann Lee"},
           {"timestamp": "2024-01-01T10:00:00.000Z", "talk_time": 200, "agent_name": "ann lee"}])",
       "2024-01-01T10:00:00.000Z",
       "2024-01-01T10:05:30.000Z",
       230'000,
       {"Ann Lee"}},
      {"latest segment without talk time",
       R"([{"timestamp": "2024-01-01T10:00:00.000Z", "talk_time": 20},
           {"timestamp": "2024-01-01T10:01:00.000Z", "talk_time": null, "agent_name": "Bob"}])",
       "2024-01-01T10:00:00.000Z",
       {},
       {},
       {"Bob"}},
      {"same start: the longer leg ends it",
       R"([{"timestamp": "2024-01-01T10:00:00+02:00", "talk_time": 5},
           {"timestamp": "2024-01-01T08:00:00Z", "talk_time": 7.5}])",
       "2024-01-01T08:00:00.000Z",
       "2024-01-01T08:00:07.500Z",
       12'500,
       {}},
      {"unreadable timestamp and junk entries",
       R"([{"timestamp": "yesterday", "talk_time": 3, "agent_name": ""}, 7, "x",
           {"timestamp": "2024-02-01T00:00:00.000Z", "talk_time": 4, "agent_name": null}])",
       "2024-02-01T00:00:00.000Z",
       "2024-02-01T00:00:04.000Z",
       7'000,
       {}},
  };
  for (const auto& k : cases) {
    auto c = to_conversation(
        json::parse(std::string(R"({"conversation_id": "c1", "segments": )") + k.segments + "}"), "flex");
    ASSERT_TRUE(c) << k.name;
    EXPECT_EQ(c->started_at ? std::optional(format_rfc3339_ms(*c->started_at)) : std::nullopt, k.started)
        << k.name;
    EXPECT_EQ(c->ended_at ? std::optional(format_rfc3339_ms(*c->ended_at)) : std::nullopt, k.ended) << k.name;
    EXPECT_EQ(c->duration_ms, k.duration_ms) << k.name;
    std::vector<std::string> agents;
    for (const auto& a : c->agents) agents.push_back(*a.name);
    EXPECT_EQ(agents, k.agents) << k.name;
  }
}

TEST(FlexMapping, RefusesRecordsThatCannotBeAddressed) {
  EXPECT_FALSE(to_conversation(json::parse(R"({"conversation_id": null, "segments": []})"), "f"));
  EXPECT_FALSE(to_conversation(json::parse(R"({"conversation_id": ""})"), "f"));
  EXPECT_FALSE(to_conversation(json::parse(R"({"account_id": "a"})"), "f"));
  EXPECT_FALSE(to_conversation(json::parse(R"([1])"), "f"));
  auto numeric = to_conversation(json::parse(R"({"conversation_id": 42, "account_id": null})"), "f");
  ASSERT_TRUE(numeric);
  EXPECT_EQ(numeric->id, "f:42");
  EXPECT_FALSE(numeric->account_id.has_value());
}

// --- pages and their links -------------------------------------------------------------------

const upstream::endpoint local = endpoint_of("http://127.0.0.1:9102");
const std::string first = "/v1/Insights/Conversations?PageSize=1000";

TEST(FlexPage, ReadsRecordsSkipsTheUnaddressableAndFollowsTheLink) {
  auto page = read_page(json::parse(R"({"conversations": [{"conversation_id": "a"}, {"conversation_id": null},
      {"segments": null}, {"conversation_id": "b"}], "meta": {"key": "conversations",
      "next_page_url": "http://127.0.0.1:9102/v1/Insights/Conversations?PageSize=1000&Page=1&PageToken=PT1-x%2By"}})"),
                        "f", local, first);
  ASSERT_TRUE(page) << page.error().message;
  ASSERT_EQ(page->page.records.size(), 2u);
  EXPECT_EQ(page->page.records[1].native_id, "b");
  EXPECT_EQ(*page->page.records[1].raw, (json::object{{"conversation_id", "b"}}));  // its own native object
  EXPECT_EQ(page->skipped, 2u);
  // Exactly as returned, escapes included, made origin-form.
  EXPECT_EQ(page->page.next, "/v1/Insights/Conversations?PageSize=1000&Page=1&PageToken=PT1-x%2By");
}

TEST(FlexPage, LastPageAndEmptyPage) {
  for (const char* last : {R"({"conversations": [], "meta": {"next_page_url": null}})",
                           R"({"conversations": [], "meta": {"next_page_url": ""}})",
                           R"({"conversations": [], "meta": {}})", R"({"conversations": []})"}) {
    auto page = read_page(json::parse(last), "f", local, first);
    ASSERT_TRUE(page) << last;
    EXPECT_TRUE(page->page.records.empty());
    EXPECT_FALSE(page->page.next.has_value()) << last;
  }
  // meta.key names where the records are.
  auto keyed = read_page(json::parse(R"({"items": [{"conversation_id": "a"}], "meta": {"key": "items"}})"),
                         "f", local, first);
  ASSERT_TRUE(keyed);
  EXPECT_EQ(keyed->page.records.size(), 1u);
}

TEST(FlexPage, RefusesLinksToAnyOtherOrigin) {
  for (const char* link : {"http://127.0.0.2:9102/v1/Insights/Conversations?PageToken=PT1",
                           "http://127.0.0.1:9103/v1/Insights/Conversations?PageToken=PT1",
                           "https://127.0.0.1:9102/v1/Insights/Conversations?PageToken=PT1",
                           "http://evil.example/v1/Insights/Conversations?PageToken=PT1",
                           "http://user:pw@127.0.0.1:9102/v1/Insights/Conversations",
                           "/v1/Insights/Conversations?PageToken=PT1", "not a url"}) {
    json::object body{{"conversations", json::array{}}, {"meta", json::object{{"next_page_url", link}}}};
    auto page = read_page(json::value(body), "f", local, first);
    ASSERT_FALSE(page) << link;
    EXPECT_EQ(page.error().code, errc::upstream_error) << link;
    EXPECT_EQ(page.error().message.find("PageToken"), std::string::npos) << page.error().message;
  }
  // The default port counts as the same origin when spelled out.
  auto https = endpoint_of("https://flex-api.twilio.com");
  json::object body{
      {"conversations", json::array{}},
      {"meta", json::object{{"next_page_url",
                             "https://flex-api.twilio.com:443/v1/Insights/Conversations?PageToken=PT2"}}}};
  auto page = read_page(json::value(body), "f", https, first);
  ASSERT_TRUE(page) << page.error().message;
  EXPECT_EQ(page->page.next, "/v1/Insights/Conversations?PageToken=PT2");
}

TEST(FlexPage, RefusesALinkBackToTheSamePageAndBadEnvelopes) {
  json::object loop{{"conversations", json::array{}},
                    {"meta", json::object{{"next_page_url", "http://127.0.0.1:9102" + first}}}};
  EXPECT_FALSE(read_page(json::value(loop), "f", local, first));
  EXPECT_FALSE(read_page(json::parse(R"({"data": []})"), "f", local, first));
  EXPECT_FALSE(read_page(json::parse(R"({"conversations": {}})"), "f", local, first));
  EXPECT_FALSE(read_page(json::parse(R"([])"), "f", local, first));
  EXPECT_FALSE(read_page(json::parse(R"({"conversations": [1]})"), "f", local, first));
}

// --- targets and pushdown --------------------------------------------------------------------

TEST(FlexTargets, FirstPageCarriesOnlyDocumentedParameters) {
  auto plain = parse_list_query("agent=ann&started_after=2024-01-01T00:00:00Z").value();
  EXPECT_EQ(first_page_target(plain, 1000, ""), "/v1/Insights/Conversations?PageSize=1000");
  EXPECT_EQ(first_page_target(plain, 5000, "/proxy"), "/proxy/v1/Insights/Conversations?PageSize=1000");
  auto seg = parse_list_query("segment_id=a%26b%20c").value();
  EXPECT_EQ(first_page_target(seg, 7, ""), "/v1/Insights/Conversations?SegmentId=a%26b%20c&PageSize=7");
}

TEST(FlexTargets, PushesDownOnlySegmentIdAndKnowsWhatItLacks) {
  auto q = parse_list_query("segment_id=s&agent=x&account_id=a&min_duration_ms=5").value();
  filter_set only_segment;
  only_segment.set(static_cast<std::size_t>(filter::segment_id));
  EXPECT_EQ(pushed_down(q), only_segment);
  EXPECT_TRUE(pushed_down(parse_list_query("agent=x").value()).none());
  const filter_set absent = absent_filters();
  for (filter f :
       {filter::created_after, filter::updated_before, filter::title, filter::title_prefix, filter::platform,
        filter::language, filter::channel, filter::owner_id, filter::user_id, filter::person_id})
    EXPECT_TRUE(absent.test(static_cast<std::size_t>(f))) << to_string(f);
  for (filter f :
       {filter::started_after, filter::started_before, filter::min_duration_ms, filter::max_duration_ms,
        filter::agent, filter::account_id, filter::segment_id, filter::id})
    EXPECT_FALSE(absent.test(static_cast<std::size_t>(f))) << to_string(f);
}

// --- errors the vendor sends, as the adapter kit reads them ----------------------------------

TEST(FlexErrors, TwilioErrorBodyIsSummarizedNotEchoed) {
  const std::string body = R"({"code": 20001, "message": "Invalid PageToken", "more_info":
      "https://www.twilio.com/docs/errors/20001", "status": 400})";
  const std::string said = adapter::describe_error_body(body);
  EXPECT_EQ(said, "code 20001: Invalid PageToken");
  EXPECT_EQ(said.find("more_info"), std::string::npos);
}

// --- configuration -----------------------------------------------------------------------------

config::vendor_config flex_config() {
  config::vendor_config cfg;
  cfg.name = "twilio_flex";
  cfg.type = "twilio_flex_insights";
  cfg.base_url = "https://flex-api.twilio.com";
  cfg.auth.username = config::secret("SKxxxxxxxx");
  cfg.auth.password = config::secret("secret");
  return cfg;
}

TEST(FlexConfig, NeedsBasicCredentialsAndAValidPageSize) {
  auto ok = make_adapter(flex_config());
  ASSERT_TRUE(ok) << ok.error().message;
  const auto& caps = (*ok)->caps();
  EXPECT_TRUE(caps.can_list);
  EXPECT_FALSE(caps.can_get);
  EXPECT_TRUE(caps.native_sorts.empty());

  auto bearer = flex_config();
  bearer.auth = {};
  bearer.auth.bearer_token = config::secret("t");
  auto refused = make_adapter(bearer);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().parameter, "vendors.twilio_flex.auth.username");
  EXPECT_NE(refused.error().message.find("vendors.twilio_flex.auth.username"), std::string::npos);
  EXPECT_EQ(refused.error().message.find("SKxxxxxxxx"), std::string::npos);

  auto no_password = flex_config();
  no_password.auth.password = config::secret("");
  EXPECT_FALSE(make_adapter(no_password));

  for (const char* bad : {R"({"page_size": 0})", R"({"page_size": 1001})", R"({"page_size": "50"})"}) {
    auto cfg = flex_config();
    cfg.options = json::parse(bad).as_object();
    auto r = make_adapter(cfg);
    ASSERT_FALSE(r) << bad;
    EXPECT_TRUE(r.error().parameter.starts_with("vendors.twilio_flex.options.")) << r.error().parameter;
  }
  auto sized = flex_config();
  sized.options = json::parse(R"({"page_size": 50})").as_object();
  auto small = make_adapter(sized);
  ASSERT_TRUE(small);
  const list_query q;
  const adapter::list_request req{q, std::nullopt, 10};
  auto p = (*small)->explain(req);
  EXPECT_FALSE(p.native_sort);
  EXPECT_EQ(p.wire.at("target"), "/v1/Insights/Conversations?PageSize=50");
  EXPECT_NE(std::string(p.wire.at("paging").as_string()).find("next_page_url"), std::string::npos);
}

}  // namespace
}  // namespace cgw::adapters::twilio_flex_insights
