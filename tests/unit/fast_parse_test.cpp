// The events path (answers read without a DOM) against the DOM path, vendor by vendor: equal
// records field by field and equal failures, over sandbox pages and hostile hand-written ones.
#include "adapters/salesloft/sandbox/sandbox.hpp"
#include "adapters/salesloft/translate.hpp"
#include "gateway/adapter/json_events.hpp"
#include "gateway/adapter/vendor_body.hpp"
#include "tests/fuzz/same_records.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

namespace cgw {
namespace {

namespace json = boost::json;
namespace sl = adapters::salesloft;

// What fetch_json makes of a body before a translator reads it.
template <class Read>
auto through_dom(std::string_view text, Read read) -> decltype(read(std::declval<const adapter::vendor_body&>())) {
  auto body = adapter::vendor_body::parse(text);
  if (!body) return failure::make(errc::upstream_error, "the vendor's answer is not valid JSON");
  return read(*body);
}

std::string same_pages(const adapter::vendor_page& a, const adapter::vendor_page& b) {
  if (a.next != b.next) return "next";
  return testing::first_difference(a.records, b.records);
}

std::string same_one(const conversation& a, const conversation& b) { return testing::first_difference(a, b); }

// Depth `n` of nested arrays around `inner`.
std::string nested(int n, std::string_view inner) {
  return std::string(static_cast<std::size_t>(n), '[') + std::string(inner) + std::string(static_cast<std::size_t>(n), ']');
}

// Answers that every vendor's readers must read alike: not JSON, wrong roots, too deep.
std::vector<std::string> hostile_roots() {
  return {"", " ", "nul", "[]", "{}", "null", "42", "\"data\"", "{\"data\":", "{\"data\":[]} x", "{\"data\":[]}  \n",
          "{\"data\":[],}", "{\"data\":[1,,2]}", "{'data':[]}", "{\"data\":[]}{}", "\xff", "{\"a\":\"\\ud800\"}",
          "{\"data\":" + nested(63, "") + "}", "{\"data\":" + nested(64, "") + "}", nested(65, "")};
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
  EXPECT_EQ(testing::first_difference(dom, events, same_pages), "");
  constexpr std::string_view asked = "a1";
  auto dom_one = through_dom(text, [&](const adapter::vendor_body& b) { return sl::read_one(b, "sl", asked); });
  auto events_one = sl::read_one(std::string_view(text), "sl", asked);
  EXPECT_EQ(testing::first_difference(dom_one, events_one, same_one), "");
}

TEST(FastParse, SalesloftSandboxPagesReadAlike) {
  const auto records = sandbox::salesloft::make_dataset(300, 7);
  for (std::size_t from = 0; from < records.size(); from += 50) {
    std::vector<json::object> page(records.begin() + static_cast<long>(from), records.begin() + static_cast<long>(from + 50));
    const std::string text = salesloft_page(page, R"({"paging":{"per_page":50,"current_page":1,"next_page":2,"prev_page":null}})");
    auto events = sl::read_page(std::string_view(text), "sl");
    ASSERT_TRUE(events) << events.error().message;
    ASSERT_EQ(events->records.size(), 50u);
    EXPECT_FALSE(events->records.front().raw);  // only the DOM path keeps the vendor object
    expect_same_salesloft(text);
    // Each record alone, as a get answers it.
    for (std::size_t i = 0; i < 5; ++i) {
      const std::string one = "{\"data\":" + json::serialize(page[i]) + "}";
      const std::string id(page[i].at("id").is_string() ? std::string(page[i].at("id").get_string()) : json::serialize(page[i].at("id")));
      auto dom = through_dom(one, [&](const adapter::vendor_body& b) { return sl::read_one(b, "sl", id); });
      auto ev = sl::read_one(std::string_view(one), "sl", id);
      ASSERT_TRUE(ev) << ev.error().message;
      EXPECT_EQ(testing::first_difference(dom, ev, same_one), "");
    }
  }
}

TEST(FastParse, SalesloftHostilePagesReadAlike) {
  std::vector<std::string> pages = hostile_roots();
  const std::vector<std::string> records = {
      R"({"id":"a1","title":"q\"uote \\ back\nline \u00e9 \ud83d\ude00 caf)" "\xc3\xa9" R"( )" "\xe6\x97\xa5" R"("})",
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
    pages.push_back("{\"data\":[{\"id\":\"first\"}," + r + ",{\"id\":\"b2\"}],\"metadata\":{\"paging\":{\"next_page\":3}}}");
  }
  for (const std::string metadata :
       {R"({"paging":{"next_page":2}})", R"({"paging":{"next_page":"2"}})", R"({"paging":{"next_page":0}})",
        R"({"paging":{"next_page":null}})", R"({"paging":{"next_page":2.0}})", R"({"paging":{"next_page":-1}})",
        R"({"paging":{"next_page":2},"filtering":{}})", R"({"paging":{"next_page":2},"paging":{}})",
        R"({"paging":{"next_page":2,"next_page":3}})", R"({"paging":[{"next_page":2}]})", R"([])", R"(null)"}) {
    pages.push_back(R"({"data":[{"id":"a1"}],"metadata":)" + metadata + "}");
    pages.push_back(R"({"metadata":)" + metadata + R"(,"data":[{"id":"a1"}]})");
  }
  for (const std::string envelope :
       {R"({"data":[{"id":"x"}],"data":[{"id":"a1"}]})", R"({"data":[{"id":"a1"}],"data":{"id":"a1"}})",
        R"({"data":[{"title":"no id"}],"data":[{"id":"a1"}]})", R"({"data":{"id":"a1"},"data":null})",
        R"({"Data":[]})", R"({"data":[],"data":5})", R"({"d\u0061ta":[{"id":"a1"}]})", R"({"data":[{"id":"a1"}]} )"})
    pages.push_back(envelope);
  for (const auto& text : pages) expect_same_salesloft(text);
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
