// The events path (answers read without a DOM) against the DOM path, vendor by vendor: equal
// records field by field and equal failures, over sandbox pages and hostile hand-written ones.
#include "adapters/salesloft/sandbox/sandbox.hpp"
#include "adapters/salesloft/translate.hpp"
#include "adapters/twilio_flex_insights/sandbox/sandbox.hpp"
#include "adapters/twilio_flex_insights/translate.hpp"
#include "adapters/twilio_insights_v3/sandbox/sandbox.hpp"
#include "adapters/twilio_insights_v3/translate.hpp"
#include "adapters/zild/sandbox/sandbox.hpp"
#include "adapters/zild/translate.hpp"
#include "gateway/adapter/json_events.hpp"
#include "gateway/adapter/vendor_body.hpp"
#include "tests/fuzz/insights_every_field.hpp"
#include "tests/fuzz/same_records.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

namespace cgw {
namespace {

namespace json = boost::json;
namespace sl = adapters::salesloft;
namespace v3 = adapters::twilio_insights_v3;
namespace flex = adapters::twilio_flex_insights;
namespace zd = adapters::zild;

using testing::through_dom;

// Depth `n` of nested arrays around `inner`.
std::string nested(int n, std::string_view inner) {
  return std::string(static_cast<std::size_t>(n), '[') + std::string(inner) +
         std::string(static_cast<std::size_t>(n), ']');
}

// Answers that every vendor's readers must read alike: not JSON, wrong roots, too deep.
std::vector<std::string> hostile_roots() {
  return {"",
          " ",
          "nul",
          "[]",
          "{}",
          "null",
          "42",
          "\"data\"",
          "{\"data\":",
          "{\"data\":[]} x",
          "{\"data\":[]}  \n",
          "{\"data\":[],}",
          "{\"data\":[1,,2]}",
          "{'data':[]}",
          "{\"data\":[]}{}",
          "\xff",
          "{\"a\":\"\\ud800\"}",
          "{\"data\":" + nested(63, "") + "}",
          "{\"data\":" + nested(64, "") + "}",
          nested(65, "")};
}

// Records every reader must read alike, whatever the name of its id (`key`, the readable `id`):
// ids of every JSON kind, duplicated, missing, and records that are not objects or nest deep.
std::vector<std::string> hostile_ids(std::string_view key, std::string_view id) {
  const std::string k = "\"" + std::string(key) + "\"", v = "\"" + std::string(id) + "\"";
  return {"{" + k + ":" + v + "," + k + ":null}",
          "{" + k + ":null," + k + ":" + v + "}",
          "{" + k + ":\"\"}",
          "{" + k + ":true}",
          "{" + k + ":1.5}",
          "{" + k + ":18446744073709551615}",
          "{" + k + ":18446744073709551616}",
          "{" + k + ":[" + v + "]}",
          "{\"no_id\":" + v + "}",
          "\"a record\"",
          "[{" + k + ":" + v + "}]",
          "null",
          "{" + k + ":" + v + ",\"deep\":" + nested(60, "1") + "}"};
}

// --- Salesloft -----------------------------------------------------------------------------------

std::string salesloft_page(const std::vector<json::object>& records, std::string_view metadata) {
  std::string out = "{\"data\":[";
  for (std::size_t i = 0; i < records.size(); ++i) out += (i ? "," : "") + json::serialize(records[i]);
  return out + "],\"metadata\":" + std::string(metadata) + "}";
}

void expect_same_salesloft(const std::string& text) {
  SCOPED_TRACE(text.substr(0, 300));
  auto dom = through_dom(text, [](const adapter::vendor_body& b) { return sl::read_page(b, "sl"); });
  auto events = sl::read_page(std::string_view(text), "sl");
  EXPECT_EQ(testing::first_difference(dom, events), "");
  constexpr std::string_view asked = "a1";
  auto dom_one =
      through_dom(text, [&](const adapter::vendor_body& b) { return sl::read_one(b, "sl", asked); });
  auto events_one = sl::read_one(std::string_view(text), "sl", asked);
  EXPECT_EQ(testing::first_difference(dom_one, events_one), "");
}

TEST(FastParse, SalesloftSandboxPagesReadAlike) {
  const auto records = sandbox::salesloft::make_dataset(300, 7);
  for (std::size_t from = 0; from < records.size(); from += 50) {
    std::vector<json::object> page(records.begin() + static_cast<long>(from),
                                   records.begin() + static_cast<long>(from + 50));
    const std::string text =
        salesloft_page(page, R"({"paging":{"per_page":50,"current_page":1,"next_page":2,"prev_page":null}})");
    auto events = sl::read_page(std::string_view(text), "sl");
    ASSERT_TRUE(events) << events.error().message;
    ASSERT_EQ(events->records.size(), 50u);
    EXPECT_FALSE(events->records.front().raw);  // only the DOM path keeps the vendor object
    expect_same_salesloft(text);
    // Each record alone, as a get answers it.
    for (std::size_t i = 0; i < 5; ++i) {
      const std::string one = "{\"data\":" + json::serialize(page[i]) + "}";
      const std::string id(page[i].at("id").is_string() ? std::string(page[i].at("id").get_string())
                                                        : json::serialize(page[i].at("id")));
      auto dom = through_dom(one, [&](const adapter::vendor_body& b) { return sl::read_one(b, "sl", id); });
      auto ev = sl::read_one(std::string_view(one), "sl", id);
      ASSERT_TRUE(ev) << ev.error().message;
      EXPECT_EQ(testing::first_difference(dom, ev), "");
    }
  }
}

TEST(FastParse, SalesloftHostilePagesReadAlike) {
  std::vector<std::string> pages = hostile_roots();
  const std::vector<std::string> records = {
      R"({"id":"a1","title":"q\"uote \\ back\nline \u00e9 \ud83d\ude00 caf)"
      "\xc3\xa9"
      R"( )"
      "\xe6\x97\xa5"
      R"("})",
      R"({"id":9223372036854775807,"duration":-9223372036854775808})",
      R"({"id":18446744073709551615,"duration":18446744073709551615})",
      R"({"id":18446744073709551616,"duration":1e308})",
      R"({"id":"a1","duration":-0.0,"title":-0})",
      R"({"id":"a1","duration":1200.0,"owner_id":12})",
      R"({"id":"a1","duration":"1200","title":"x"})",
      R"({"id":"a1","duration":"12.5","platform":true,"language_code":null})",
      R"({"id":"a1","duration":9e15,"media_type":"audio"})",
      R"({"id":"a1","duration":8999999999999999.0,"media_type":"video"})",
      R"({"id":"a1","duration":1e400,"media_type":"other"})",
      R"({"id":"a1","created_at":"2024-03-19T03:48:41.321Z","event_start_date":null,"updated_at":"2024-03-19T03:48:41+02:00"})",
      R"({"id":"a1","created_at":"2024-03-19T03:48:41","event_start_date":"2024-02-30T00:00:00Z","event_end_date":5})",
      R"({"id":"a1","account":{"id":7},"person":{"id":"p","id":null},"recording":{"_href":"https://r"},"transcription":{"_href":"t"}})",
      R"({"id":"a1","account":{"id":"x"},"account":5,"person":[{"id":"p"}],"recording":{"_href":{"x":1}}})",
      R"({"id":"a1","account":{"id":"x"},"account":{"name":"n"},"person":{"id":"p"},"person":{"id":"q"}})",
      R"({"id":"a1","id":null})",
      R"({"id":null,"id":"a1","title":"first","title":"last"})",
      R"({"title":"no id"})",
      R"({"id":""})",
      R"({"id":true})",
      R"({"id":1.5})",
      R"({"id":"a\u0031"})",
      R"({"i\u0064":"a1","owner_id":"o","user_guid":"u"})",
      R"("a record")",
      R"([{"id":"a1"}])",
      R"(null)",
      R"({"id":"a1","deep":)" + nested(61, "1") + "}",
      R"({"id":"a1","deep":)" + nested(62, "1") + "}",
  };
  for (const auto& r : records) {
    pages.push_back("{\"data\":" + r + "}");
    pages.push_back("{\"data\":[" + r + "]}");
    pages.push_back("{\"data\":[{\"id\":\"first\"}," + r +
                    ",{\"id\":\"b2\"}],\"metadata\":{\"paging\":{\"next_page\":3}}}");
  }
  for (const std::string metadata :
       {R"({"paging":{"next_page":2}})", R"({"paging":{"next_page":"2"}})", R"({"paging":{"next_page":0}})",
        R"({"paging":{"next_page":null}})", R"({"paging":{"next_page":2.0}})",
        R"({"paging":{"next_page":-1}})", R"({"paging":{"next_page":2},"filtering":{}})",
        R"({"paging":{"next_page":2},"paging":{}})", R"({"paging":{"next_page":2,"next_page":3}})",
        R"({"paging":[{"next_page":2}]})", R"([])", R"(null)"}) {
    pages.push_back(R"({"data":[{"id":"a1"}],"metadata":)" + metadata + "}");
    pages.push_back(R"({"metadata":)" + metadata + R"(,"data":[{"id":"a1"}]})");
  }
  for (const std::string envelope :
       {R"({"data":[{"id":"x"}],"data":[{"id":"a1"}]})", R"({"data":[{"id":"a1"}],"data":{"id":"a1"}})",
        R"({"data":[{"title":"no id"}],"data":[{"id":"a1"}]})", R"({"data":{"id":"a1"},"data":null})",
        R"({"Data":[]})", R"({"data":[],"data":5})", R"({"d\u0061ta":[{"id":"a1"}]})",
        R"({"data":[{"id":"a1"}]} )"})
    pages.push_back(envelope);
  for (const auto& text : pages) expect_same_salesloft(text);
}

// --- Twilio Insights v3 ---------------------------------------------------------------------------

using testing::insights_every_field;

void expect_same_insights(const std::string& text, const v3::dimension_map& dims) {
  SCOPED_TRACE(text.substr(0, 300));
  auto dom = through_dom(text, [&](const adapter::vendor_body& b) { return v3::read_page(b, dims, "ti"); });
  auto events = v3::read_page(std::string_view(text), dims, "ti");
  EXPECT_EQ(testing::first_difference(dom, events), "");
}

TEST(FastParse, InsightsSandboxPagesReadAlike) {
  const auto records = sandbox::twilio_insights_v3::make_dataset(300, 11);
  auto renamed = v3::default_dimensions();  // the sandbox's flat AccountSid, and a field mapped twice
  renamed[v3::field::account_id] = "AccountSid";
  renamed[v3::field::platform] = "Direction";
  renamed[v3::field::updated_at] = "DateCreated";
  for (std::size_t from = 0; from < records.size(); from += 50) {
    json::array items(records.begin() + static_cast<long>(from),
                      records.begin() + static_cast<long>(from + 50));
    const std::string text = json::serialize(
        json::object{{"domain", "Conversations"},
                     {"items", items},
                     {"meta", {{"key", "items"}, {"pageSize", 50}, {"nextToken", "eyJvIjo1MH0="}}}});
    auto events = v3::read_page(std::string_view(text), v3::default_dimensions(), "ti");
    ASSERT_TRUE(events) << events.error().message;
    ASSERT_EQ(events->records.size(), 50u);
    EXPECT_EQ(events->next, "eyJvIjo1MH0=");
    EXPECT_FALSE(events->records.front().raw);
    for (const auto& dims : {v3::default_dimensions(), insights_every_field(), renamed})
      expect_same_insights(text, dims);
    // meta first, then the items: the list is known only at the end either way.
    const std::string meta_first =
        json::serialize(json::object{{"meta", {{"key", "items"}}}, {"items", items}});
    expect_same_insights(meta_first, v3::default_dimensions());
  }
}

TEST(FastParse, InsightsHostilePagesReadAlike) {
  std::vector<std::string> pages = hostile_roots();
  std::vector<std::string> items = {
      R"({"Id":"CA1","OperatorResult.Value":"positive","OperatorResult":{"Value":"negative"}})",
      R"({"Id":"CA1","OperatorResult":{"Value":"negative"},"OperatorResult.Value":null})",
      R"({"Id":"CA1","OperatorResult":{"Value":"negative"}})",
      R"({"Id":"CA1","OperatorResult":{"Value":"negative"},"OperatorResult":{"Other":1}})",
      R"({"Id":"CA1","OperatorResult":{"Value":"negative"},"OperatorResult":5})",
      R"({"Id":"CA1","OperatorResult":{"Value":"a","Value":"b"},"Account":{"Sid":"AC1"},"Account.Sid":"AC2"})",
      R"({"Id":"CA1","Summary":{"Text":{"Value":"deep"}},"Account":{"Sid":7}})",
      R"({"Id":"CA1","Summary":{"Text":{"Value":"deep"},"Text":null},"Summary.Text":{"Value":"x"}})",
      R"({"Id":"CA1","Summary":{"Text":[{"Value":"in an array"}]},"Account":[{"Sid":"AC"}]})",
      R"({"Id":["CA1","CA2"],"Languages":["en-us","fr"],"Channels":["VOICE","chat"]})",
      R"({"Id":[],"Languages":[]})",
      R"({"Id":[{"x":1}],"Languages":[["en"]]})",
      R"({"Id":[7],"Languages":[null,"en"],"Channels":[]})",
      R"({"Id":"CA1","Languages":"EN-gb","Channels":"Carrier pigeon","Direction":"inbound"})",
      R"({"Id":"CA1","Languages":"","Channels":""})",
      R"({"Id":"CA1","AgentNames":["a",1,null,"b",["c"],{"d":1},"a"]})",
      R"({"Id":"CA1","AgentNames":"solo"})",
      R"({"Id":"CA1","AgentNames":["x"],"AgentNames":"y"})",
      R"({"Id":"CA1","AgentNames":"y","AgentNames":["x"]})",
      R"({"Id":"CA1","AgentNames":null})",
      R"({"Id":"CA1","Duration":"1200","DateCreated":"2024-03-19T03:48:41.321Z","DateEnded":"2024-03-19T03:48:41"})",
      R"({"Id":"CA1","Duration":1200.0,"DateCreated":["2024-03-19T03:48:41Z"],"DateUpdated":5})",
      R"({"Id":"CA1","Duration":1e400,"DateCreated":null})",
      R"({"Id":"CA1","Duration":18446744073709551615})",
      R"({"Id":"CA1","Duration":-9223372036854775808})",
      R"({"Id":"CA1","Duration":[5]})",
      R"({"I\u0064":"CA\u00e9 \ud83d\ude00"})",
  };
  for (auto& item : hostile_ids("Id", "CA1")) items.push_back(std::move(item));
  for (const auto& item : items) {
    pages.push_back("{\"items\":[" + item + "]}");
    pages.push_back("{\"items\":[{\"Id\":\"first\"}," + item +
                    ",{\"Id\":\"CA2\"}],\"meta\":{\"nextToken\":\"t\"}}");
  }
  for (const std::string meta :
       {R"({"key":"items","nextToken":"t"})", R"({"key":"records"})", R"({"key":"other"})",
        R"({"key":"meta"})", R"({"key":5})", R"({"key":null,"nextToken":null})", R"({"nextToken":""})",
        R"({"nextToken":7})", R"({"nextToken":"a","nextToken":"b"})", R"({"key":"records","key":"items"})",
        R"([{"key":"records"}])", R"("items")", R"(null)"}) {
    for (const std::string body :
         {R"("items":[{"Id":"CA1"}])", R"("records":[{"Id":"R1"}],"items":[{"Id":"CA1"}])",
          R"("items":[{"Id":"CA1"}],"records":[{"Title":"no id"}])", R"("records":[{"Id":"R1"}])",
          R"("records":{"Id":"R1"},"items":[{"Id":"CA1"}])", R"("records":[{"Id":"R1"}],"records":5)",
          R"("records":[{"Id":"R1"}],"items":[{"Id":"CA1"}],"items":[{"Id":"CA2"}])",
          R"("5":[{"Id":"five"}])"}) {
      pages.push_back("{" + body + R"(,"meta":)" + meta + "}");
      pages.push_back(R"({"meta":)" + meta + "," + body + "}");
      pages.push_back(R"({"meta":{"key":"items"},)" + body + R"(,"meta":)" + meta + "}");
    }
  }
  for (const std::string envelope :
       {R"({"items":[],"items":null})", R"({"items":null,"items":[]})", R"({"Items":[]})", R"({"items":{}})",
        R"({"meta":{"key":"items"}})", R"({"items":[{"Id":"CA1"}]} )"})
    pages.push_back(envelope);
  for (const auto& text : pages)
    for (const auto& dims : {v3::default_dimensions(), insights_every_field()})
      expect_same_insights(text, dims);
}

// --- Twilio Flex Insights ------------------------------------------------------------------------

constexpr std::string_view flex_target = "/v1/Insights/Conversations?PageSize=50";

const upstream::endpoint& flex_endpoint() {
  static const upstream::endpoint ep = [] {
    auto parsed = upstream::parse_endpoint("http://127.0.0.1:39101");
    EXPECT_TRUE(parsed);
    return *parsed;
  }();
  return ep;
}

std::string same_flex_pages(const flex::page_read& a, const flex::page_read& b) {
  if (a.skipped != b.skipped) return "skipped";
  return testing::first_difference(a.page, b.page);
}

void expect_same_flex(const std::string& text) {
  SCOPED_TRACE(text.substr(0, 300));
  auto dom = through_dom(text, [](const adapter::vendor_body& b) {
    return flex::read_page(b, "tf", flex_endpoint(), flex_target);
  });
  auto events = flex::read_page(std::string_view(text), "tf", flex_endpoint(), flex_target);
  EXPECT_EQ(testing::first_difference(dom, events, same_flex_pages), "");
}

TEST(FastParse, FlexSandboxPagesReadAlike) {
  const auto records = sandbox::twilio_flex_insights::make_dataset(300, 5);
  const json::object meta{
      {"key", "conversations"},
      {"page_size", 50},
      {"next_page_url", "http://127.0.0.1:39101/v1/Insights/Conversations?PageSize=50&Page=1&PageToken=PT1"}};
  for (std::size_t from = 0; from < records.size(); from += 50) {
    json::array page(records.begin() + static_cast<long>(from),
                     records.begin() + static_cast<long>(from + 50));
    const std::string text = json::serialize(json::object{{"conversations", page}, {"meta", meta}});
    auto events = flex::read_page(std::string_view(text), "tf", flex_endpoint(), flex_target);
    ASSERT_TRUE(events) << events.error().message;
    EXPECT_EQ(events->page.records.size() + events->skipped, 50u);
    ASSERT_TRUE(events->page.next);
    EXPECT_FALSE(events->page.records.front().raw);
    EXPECT_FALSE(events->page.records.front().segments.empty());
    expect_same_flex(text);
    // meta before its records, and a key naming another array.
    expect_same_flex(json::serialize(json::object{{"meta", meta}, {"conversations", page}}));
    expect_same_flex(json::serialize(
        json::object{{"rows", page}, {"meta", {{"key", "rows"}}}, {"conversations", json::array{}}}));
  }
}

TEST(FastParse, FlexHostilePagesReadAlike) {
  std::vector<std::string> pages = hostile_roots();
  std::vector<std::string> records = {
      R"({"conversation_id":"c1","account_id":"AC","segments":[{"segment_id":"s1","order":1,"offset":0.5,"talk_time":12.25,"timestamp":"2024-03-19T03:48:41Z","agent_name":"Ann"}]})",
      R"({"conversation_id":"c1","segments":[{"timestamp":"2024-03-19T03:48:41Z","talk_time":1,"agent_name":"ann"},{"timestamp":"2024-03-19T03:48:41Z","talk_time":2,"agent_name":"ANN"},{"timestamp":"2024-03-19T03:48:40Z","agent_name":"Bob"}]})",
      R"({"conversation_id":"c1","segments":[{"timestamp":"2024-03-19T03:48:41Z","talk_time":1e300},{"talk_time":-0.0}]})",
      R"({"conversation_id":"c1","segments":[{"timestamp":"9999-12-31T23:59:59Z","talk_time":9e12}]})",
      R"({"conversation_id":"c1","segments":[{"talk_time":"12"},{"talk_time":null},{"order":"3","offset":"1"}]})",
      R"({"conversation_id":"c1","segments":[1,"s",null,[{"segment_id":"nested"}],{"segment_id":5,"order":2.0,"offset":18446744073709551615}]})",
      R"({"conversation_id":"c1","segments":[{"segment_id":"a","segment_id":"b","agent_name":"x","agent_name":null}]})",
      R"({"conversation_id":"c1","segments":[{"segment_id":"a"}],"segments":[{"segment_id":"b"}]})",
      R"({"conversation_id":"c1","segments":[{"segment_id":"a"}],"segments":{"segment_id":"b"}})",
      R"({"conversation_id":"c1","segments":{"x":[{"segment_id":"b"}]}})",
      R"({"conversation_id":"c1","segments":[]})",
      R"({"conversation_id":"c1","segments":[{"timestamp":"2024-02-30T00:00:00Z","talk_time":3},{"timestamp":5}]})",
      R"({"conversation_id":"c1","segments":[{"agent_name":""},{"agent_name":"caf\u00e9"},{"agent_name":"CAF\u00c9"}]})",
      R"({"conversation_id":7,"account_id":8})",
  };
  for (auto& r : hostile_ids("conversation_id", "c1")) records.push_back(std::move(r));
  for (const auto& r : records) {
    pages.push_back("{\"conversations\":[" + r + "]}");
    pages.push_back("{\"conversations\":[{\"conversation_id\":\"first\"}," + r +
                    ",{\"conversation_id\":\"c2\"}]}");
  }
  for (const std::string meta :
       {R"({"key":"conversations"})", R"({"key":"rows"})", R"({"key":"other"})", R"({"key":5})",
        R"({"key":null})", R"({"key":"rows","key":"conversations"})",
        R"({"next_page_url":"http://127.0.0.1:39101/v1/Insights/Conversations?Page=2"})",
        R"({"next_page_url":"http://evil.example/v1/Insights/Conversations?Page=2"})",
        R"({"next_page_url":"/relative"})",
        R"({"next_page_url":"http://127.0.0.1:39101/v1/Insights/Conversations?PageSize=50"})",
        R"({"next_page_url":null})", R"({"next_page_url":""})", R"({"next_page_url":7})",
        R"([{"key":"rows"}])", R"(null)"}) {
    for (const std::string body :
         {R"("conversations":[{"conversation_id":"c1"}])",
          R"("rows":[{"conversation_id":"r1"}],"conversations":[{"conversation_id":"c1"}])",
          R"("conversations":[{"conversation_id":"c1"}],"rows":[5])", R"("rows":[{"conversation_id":"r1"}])",
          R"("rows":{"conversation_id":"r1"},"conversations":[{"conversation_id":"c1"}])",
          R"("rows":[{"conversation_id":"r1"}],"rows":5)",
          R"("conversations":[{"conversation_id":"c1"}],"conversations":[{"account_id":"no id"}])",
          R"("5":[{"conversation_id":"five"}])"}) {
      pages.push_back("{" + body + R"(,"meta":)" + meta + "}");
      pages.push_back(R"({"meta":)" + meta + "," + body + "}");
      pages.push_back(R"({"meta":{"key":"rows"},)" + body + R"(,"meta":)" + meta + "}");
    }
  }
  for (const std::string envelope :
       {R"({"conversations":[],"conversations":null})", R"({"conversations":null,"conversations":[]})",
        R"({"Conversations":[]})", R"({"conversations":{}})", R"({"conversations":[]} )"})
    pages.push_back(envelope);
  for (const auto& text : pages) expect_same_flex(text);
}

// --- Zild ----------------------------------------------------------------------------------------

void expect_same_zild(const std::string& text, std::int32_t asked) {
  SCOPED_TRACE(text.substr(0, 300));
  auto dom = through_dom(text, [&](const adapter::vendor_body& b) { return zd::read_one(b, "zd", asked); });
  auto events = zd::read_one(std::string_view(text), "zd", asked);
  EXPECT_EQ(testing::first_difference(dom, events), "");
}

TEST(FastParse, ZildSandboxRecordsReadAlike) {
  const auto records = sandbox::zild::make_dataset(200, 3);
  for (const auto& r : records) {
    const std::string text = json::serialize(r);
    const auto id = static_cast<std::int32_t>(r.at("id").to_number<std::int64_t>());
    auto events = zd::read_one(std::string_view(text), "zd", id);
    ASSERT_TRUE(events) << events.error().message;
    EXPECT_FALSE(events->raw);
    expect_same_zild(text, id);
    expect_same_zild(text, id ^ 1);  // another record than the one asked for
  }
}

TEST(FastParse, ZildHostileRecordsReadAlike) {
  std::vector<std::string> texts = hostile_roots();
  for (
      const std::string& body : std::vector<std::string>{
          R"("contactName":"","userName":"u","agentId":0,"overallSentiment":"","conversationSummary":null)",
          R"("agentId":-3,"userName":"","x":1)",
          R"("agentId":7.0,"userName":5)",
          R"("agentId":"12","tenantId":9)",
          R"("createdAt":"0001-01-01T00:00:00","finishedAt":"2024-06-11T14:57:37.0974662","queuedAt":"x")",
          R"("active":"true","finishedAt":null,"queuedAt":"2024-06-11T14:57:37Z")",
          R"("active":false,"active":true)",
          R"("active":1,"queuedAt":5)",
          R"("duration":"1.02:03:04.5678901","lastConversationUpdateTime":"2024-02-30T00:00:00Z")",
          R"("duration":"-00:00:01")",
          R"("duration":1200)",
          R"("duration":"10675199.02:48:05.4775808")",
          R"("messages":[{"id":1,"createdAt":"2024-06-11T14:57:37Z","from":"a","to":"b","content":"hi","sentiment":"","messageType":2},5,null,[{"id":"n"}],{"messageType":"3","messageType":1.0}])",
          R"("messages":[{"id":"m1"}],"messages":[{"id":"m2"}])",
          R"("messages":[{"id":"m1"}],"messages":null)",
          R"("messages":{"id":"m1"})",
          R"("messages":[{"content":"q\"uote \u00e9 \ud83d\ude00","content":null,"messageType":18446744073709551615}])",
          R"("tags":[{"name":"a"},{"name":"b","active":false},{"name":"a"},{"name":""},{"name":null},"c",{"name":"d","name":"e"},{"x":1}])",
          R"("tags":[{"name":"a"}],"tags":[{"name":"b"}])",
          R"("tags":{"name":"a"})",
          R"("finalScore":9.5,"fileUrl":"https://r.example/a.mp3")",
          R"("finalScore":"9","fileUrl":"javascript:void")",
          R"("finalScore":1e400,"fileUrl":"HTTP://R")",
          R"("finalScore":-0.0,"fileUrl":"http://")",
          R"("deep":)" + nested(60, "1")}) {
    texts.push_back(R"({"id":42,)" + body + "}");
    texts.push_back("{" + body + R"(,"id":"42"})");
  }
  for (const std::string record :
       {R"({"id":42.0})", R"({"id":"042"})", R"({"i\u0064":42})", R"({"id":43})", R"({"id":42} )"})
    texts.push_back(record);
  for (auto& record : hostile_ids("id", "42")) texts.push_back(std::move(record));
  for (const auto& text : texts) expect_same_zild(text, 42);
}

TEST(FastParse, EventsRefuseWhatTheDomRefuses) {
  struct none final : adapter::json_events {
    void on_value(adapter::json_path, const adapter::json_scalar&) override {}
    void on_end(adapter::json_path) override {}
  } sink;
  for (const auto& text : hostile_roots()) {
    SCOPED_TRACE(text.substr(0, 80));
    const bool dom = adapter::vendor_body::parse(text).has_value();
    auto events = adapter::read_events(text, sink);
    EXPECT_EQ(dom, events.has_value());
    if (!events) EXPECT_EQ(events.error().message, "the vendor's answer is not valid JSON");
  }
}

}  // namespace
}  // namespace cgw
