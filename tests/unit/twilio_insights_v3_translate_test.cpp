// The Twilio Insights v3 translators, called directly (no sockets), and the adapter factory's
// validation. Every query body the translators build is also fed to the sandbox's validator,
// which follows the vendor's OpenAPI schema: the adapter sends only queries the vendor allows.
#include "adapters/twilio_insights_v3/adapter.hpp"
#include "adapters/twilio_insights_v3/sandbox/sandbox.hpp"
#include "adapters/twilio_insights_v3/sandbox/semantic.hpp"
#include "adapters/twilio_insights_v3/translate.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

namespace cgw::adapters::twilio_insights_v3 {
namespace {

namespace json = boost::json;

constexpr std::string_view vendor = "twilio_insights";

const char* full_item = R"({
  "Id": "CA0123456789abcdef0123456789abcdef", "DateCreated": "2025-02-13T22:11:57.792Z",
  "Languages": ["en-us", "es-MX"], "Channels": ["Voice", "chat"], "OperatorResult.Value": "positive",
  "Duration": "754000", "AgentNames": ["Ada Lovelace", "Grace Hopper", 7], "Direction": "inbound"
})";

TEST(InsightsMapping, FullItemFieldByField) {
  auto c = to_conversation(json::parse(full_item), default_dimensions(), vendor);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->id, "twilio_insights:CA0123456789abcdef0123456789abcdef");
  EXPECT_EQ(c->native_id, "CA0123456789abcdef0123456789abcdef");
  EXPECT_EQ(c->vendor_type, "twilio_insights_v3");
  EXPECT_EQ(c->language, "en-US");  // the first language, in BCP-47's conventional case
  EXPECT_EQ(c->channel, "voice");   // the first channel, lower-cased
  EXPECT_EQ(c->sentiment, "positive");
  EXPECT_EQ(c->duration_ms, 754000);  // a number sent as a string
  EXPECT_EQ(format_rfc3339_ms(*c->started_at), "2025-02-13T22:11:57.792Z");
  EXPECT_EQ(c->created_at, c->started_at);
  EXPECT_FALSE(c->updated_at || c->ended_at || c->account_id || c->title || c->platform || c->summary);
  ASSERT_EQ(c->agents.size(), 2u);  // non-strings are skipped
  EXPECT_EQ(c->agents[1].name, "Grace Hopper");
  EXPECT_FALSE(c->agents[0].id.has_value());
}

TEST(InsightsMapping, EmptyArraysNullsAndOddChannels) {
  auto c = to_conversation(json::parse(R"({"Id": "CA1", "Languages": [], "Channels": ["WhatsApp"],
      "OperatorResult.Value": null, "Duration": null, "AgentNames": [], "DateCreated": null})"),
                           default_dimensions(), vendor);
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->language || c->sentiment || c->duration_ms || c->started_at);
  EXPECT_EQ(c->channel, "other");  // outside the unified set
  EXPECT_TRUE(c->agents.empty());
  auto sparse = to_conversation(json::parse(R"({"Id": 42, "Channels": [], "Duration": 1500.0})"),
                                default_dimensions(), vendor);
  ASSERT_TRUE(sparse);
  EXPECT_EQ(sparse->native_id, "42");
  EXPECT_FALSE(sparse->channel);
  EXPECT_EQ(sparse->duration_ms, 1500);
  EXPECT_FALSE(to_conversation(json::parse(R"({"Id": "CA1", "Duration": 1.5})"), default_dimensions(), vendor)
                   ->duration_ms);  // not whole milliseconds: unreadable
}

TEST(InsightsMapping, ReadsNestedDimensionsToo) {
  auto c = to_conversation(json::parse(R"({"Id": "CA1", "OperatorResult": {"Value": "negative"}})"),
                           default_dimensions(), vendor);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->sentiment, "negative");
}

TEST(InsightsMapping, AKeyThatIsTheWholeDimensionNameWinsOverTheNestedPath) {
  for (const auto* text :
       {R"({"Id": "CA1", "OperatorResult.Value": null, "OperatorResult": {"Value": "negative"}})",
        R"({"Id": "CA1", "OperatorResult": {"Value": "negative"}, "OperatorResult.Value": null})"}) {
    auto c = to_conversation(json::parse(text), default_dimensions(), vendor);
    ASSERT_TRUE(c);
    EXPECT_FALSE(c->sentiment) << text;
  }
  // A later holder replaces an earlier one, as the DOM keeps the last of duplicated keys.
  auto c = to_conversation(
      json::parse(R"({"Id": "CA1", "OperatorResult": {"Value": "negative"}, "OperatorResult": {}})"),
      default_dimensions(), vendor);
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->sentiment);
  auto page = read_page(
      R"({"items": [{"Id": "CA1", "OperatorResult.Value": null, "OperatorResult": {"Value": "n"}}]})",
      default_dimensions(), vendor);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_FALSE(page->records[0].sentiment);
}

TEST(InsightsMapping, RefusesItemsWithoutIdAndBadEnvelopes) {
  EXPECT_FALSE(to_conversation(json::parse(R"({"DateCreated": "2025-01-01T00:00:00Z"})"),
                               default_dimensions(), vendor));
  EXPECT_FALSE(to_conversation(json::parse(R"({"Id": ""})"), default_dimensions(), vendor));
  EXPECT_FALSE(to_conversation(json::parse(R"(["CA1"])"), default_dimensions(), vendor));
  EXPECT_FALSE(read_page(json::parse(R"({"data": []})"), default_dimensions(), vendor));
  EXPECT_FALSE(read_page(json::parse(R"([])"), default_dimensions(), vendor));
  EXPECT_FALSE(read_page(json::parse(R"({"items": [{"Id": null}]})"), default_dimensions(), vendor));
}

TEST(InsightsMapping, CustomDimensionsFeedOtherFields) {
  auto dims = default_dimensions();
  dims[field::updated_at] = "DateUpdated";
  dims[field::title] = "Topic";
  dims[field::sentiment].clear();
  auto c = to_conversation(json::parse(R"({"Id": "CA1", "DateUpdated": "2025-01-02T03:04:05.678+01:00",
      "Topic": ["Billing", "Refund"], "OperatorResult.Value": "positive"})"),
                           dims, vendor);
  ASSERT_TRUE(c);
  EXPECT_EQ(format_rfc3339_ms(*c->updated_at), "2025-01-02T02:04:05.678Z");
  EXPECT_EQ(c->title, "Billing");
  EXPECT_FALSE(c->sentiment);  // unmapped: never read
}

TEST(InsightsPage, AbsentAndNullTokensBothEndTheWalk) {
  const auto dims = default_dimensions();
  auto page = read_page(json::parse(R"({"domain": "Conversations", "items": [{"Id": "CA1"}, {"Id": "CA2"}],
      "meta": {"key": "items", "pageSize": 2, "nextToken": "eyJvIjoyfQ=="}})"),
                        dims, vendor);
  ASSERT_TRUE(page) << page.error().message;
  ASSERT_EQ(page->records.size(), 2u);
  EXPECT_EQ(*page->records[1].raw, (json::object{{"Id", "CA2"}}));  // its own native object
  EXPECT_EQ(page->next, "eyJvIjoyfQ==");
  for (const auto* last :
       {R"({"items": [], "meta": {"key": "items", "pageSize": 0}})",
        R"({"items": [{"Id": "CA3"}], "meta": {"key": "items", "pageSize": 1, "nextToken": null}})",
        R"({"items": [], "meta": {"nextToken": ""}})", R"({"items": []})"}) {
    auto p = read_page(json::parse(last), dims, vendor);
    ASSERT_TRUE(p) << last;
    EXPECT_FALSE(p->next.has_value()) << last;
  }
  // meta.key names the list; a key naming nothing falls back to "items".
  auto keyed = read_page(json::parse(R"({"rows": [{"Id": "CA9"}], "meta": {"key": "rows"}})"), dims, vendor);
  ASSERT_TRUE(keyed);
  EXPECT_EQ(keyed->records.at(0).native_id, "CA9");
  EXPECT_TRUE(read_page(json::parse(R"({"items": [{"Id": "CA9"}], "meta": {"key": "key"}})"), dims, vendor));
}

TEST(InsightsMetadata, CollectsDimensionsOfEveryCube) {
  auto names = read_metadata(json::parse(R"({"domain": "Conversations", "cubes": [
      {"name": "A", "measures": [], "dimensions": [{"name": "Id", "type": "string"}, {"name": "DateCreated"}]},
      {"name": "B", "measures": [{"name": "Count"}], "dimensions": [{"name": "Languages"}, {"type": "x"}]},
      {"name": "C"}]})"));
  ASSERT_TRUE(names);
  EXPECT_EQ(*names, (std::set<std::string>{"Id", "DateCreated", "Languages"}));
  EXPECT_FALSE(read_metadata(json::parse(R"({"domain": "Conversations"})")));
  EXPECT_FALSE(read_metadata(json::parse(R"([1])")));
}

TEST(InsightsMetadata, MissingDimensionsBecomeAbsentFields) {
  std::vector<std::pair<field, std::string>> missing;
  const auto dims =
      present_in(default_dimensions(), {"Id", "DateCreated", "Channels", "AgentNames"}, &missing);
  EXPECT_EQ(missing,
            (std::vector<std::pair<field, std::string>>{{field::language, "Languages"},
                                                        {field::duration_ms, "Duration"},
                                                        {field::sentiment, "OperatorResult.Value"}}));
  EXPECT_FALSE(dims.has(field::language));
  EXPECT_TRUE(dims.has(field::started_at));
  const auto absent = absent_filters(dims);
  for (filter f : {filter::language, filter::min_duration_ms, filter::max_duration_ms, filter::updated_after,
                   filter::account_id, filter::segment_id})
    EXPECT_TRUE(absent.test(static_cast<std::size_t>(f))) << to_string(f);
  for (filter f : {filter::started_after, filter::created_before, filter::channel, filter::agent, filter::id})
    EXPECT_FALSE(absent.test(static_cast<std::size_t>(f))) << to_string(f);
  EXPECT_FALSE(native_sort(sort_field::duration_ms, dims));
  EXPECT_TRUE(native_sort(sort_field::created_at, dims));
  EXPECT_FALSE(native_sort(sort_field::updated_at, default_dimensions()));
}

// --- options ---------------------------------------------------------------------------

TEST(InsightsOptions, DefaultsAndOverrides) {
  auto none = read_dimension_options({}, "vendors.ti.options");
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, default_dimensions());
  EXPECT_EQ(default_dimensions().dimensions(),
            (std::vector<std::string>{"Id", "Channels", "Languages", "DateCreated", "Duration", "AgentNames",
                                      "OperatorResult.Value"}));
  auto custom = read_dimension_options(
      json::parse(R"({"dimensions": {"updated_at": "DateUpdated", "duration_ms": null, "native_id": "Sid"}})")
          .as_object(),
      "vendors.ti.options");
  ASSERT_TRUE(custom) << custom.error().message;
  EXPECT_EQ((*custom)[field::updated_at], "DateUpdated");
  EXPECT_FALSE(custom->has(field::duration_ms));
  EXPECT_EQ((*custom)[field::native_id], "Sid");
  EXPECT_EQ((*custom)[field::language], "Languages");  // untouched defaults stay
}

TEST(InsightsOptions, ErrorsNameTheKey) {
  const std::vector<std::pair<const char*, const char*>> cases{
      {R"({"dimensions": {"foo": "X"}})", "vendors.ti.options.dimensions.foo: unknown unified field"},
      {R"({"dimensions": {"language": 3}})",
       "vendors.ti.options.dimensions.language: expected a dimension name or null"},
      {R"({"dimensions": {"language": ""}})",
       "vendors.ti.options.dimensions.language: expected a dimension name or null"},
      {R"({"dimensions": ["Id"]})",
       "vendors.ti.options.dimensions: expected an object of unified field -> dimension name"},
      {R"({"dimensions": {"native_id": null}})", "vendors.ti.options.dimensions.native_id: required"},
  };
  for (const auto& [options, message] : cases) {
    auto r = read_dimension_options(json::parse(options).as_object(), "vendors.ti.options");
    ASSERT_FALSE(r) << options;
    EXPECT_EQ(r.error().message.rfind(message, 0), 0u) << r.error().message;
    EXPECT_EQ(r.error().parameter.rfind("vendors.ti.options.dimensions", 0), 0u);
  }
}

config::vendor_config vendor_entry(const char* options_json = "{}") {
  config::vendor_config cfg;
  cfg.name = "ti";
  cfg.type = "twilio_insights_v3";
  cfg.base_url = "http://127.0.0.1:9";
  cfg.auth.username = config::secret("ACsandbox");
  cfg.auth.password = config::secret("secret");
  cfg.options = json::parse(options_json).as_object();
  return cfg;
}

TEST(InsightsFactory, RefusesWhatItCannotUseNamingTheKey) {
  EXPECT_TRUE(make_adapter(vendor_entry()));
  auto no_password = vendor_entry();
  no_password.auth.password = {};
  EXPECT_EQ(make_adapter(no_password).error().parameter, "vendors.ti.auth.password");
  auto no_user = vendor_entry();
  no_user.auth.username = {};
  EXPECT_EQ(make_adapter(no_user).error().parameter, "vendors.ti.auth.username");
  auto bearer = vendor_entry();
  bearer.auth.bearer_token = config::secret("t");
  EXPECT_EQ(make_adapter(bearer).error().parameter, "vendors.ti.auth.bearer_token");
  auto bad_field = make_adapter(vendor_entry(R"({"dimensions": {"foo": "Bar"}})"));
  ASSERT_FALSE(bad_field);
  EXPECT_EQ(bad_field.error().message, "vendors.ti.options.dimensions.foo: unknown unified field");
  auto bad_url = vendor_entry();
  bad_url.base_url = "ftp://x";
  EXPECT_EQ(make_adapter(bad_url).error().parameter, "vendors.ti.base_url");
}

TEST(InsightsFactory, CapabilitiesFollowTheConfiguredDimensions) {
  auto a = make_adapter(vendor_entry(R"({"dimensions": {"updated_at": "DateUpdated", "language": null}})"));
  ASSERT_TRUE(a);
  const auto& caps = (*a)->caps();
  EXPECT_TRUE(caps.can_list && caps.can_get);
  EXPECT_EQ(caps.native_sorts, (std::vector<sort_field>{sort_field::started_at, sort_field::created_at,
                                                        sort_field::updated_at, sort_field::duration_ms}));
  EXPECT_TRUE(caps.absent.test(static_cast<std::size_t>(filter::language)));
  EXPECT_TRUE(caps.pushdown.test(static_cast<std::size_t>(filter::updated_after)));
  EXPECT_FALSE(caps.pushdown.test(static_cast<std::size_t>(filter::agent)));
  auto plain = make_adapter(vendor_entry());
  EXPECT_TRUE((*plain)->caps().absent.test(static_cast<std::size_t>(filter::updated_after)));
}

// --- requests -----------------------------------------------------------------------------

list_query query(const char* text) {
  auto q = parse_list_query(text);
  EXPECT_TRUE(q) << text << ": " << q.error().message;
  return q ? *q : list_query{};
}

// The sandbox's validator: the vendor's schema (QueryDefinition) plus its cube.
class vendor_schema {
 public:
  vendor_schema() : table_(records_, {}) {}
  std::string refusal(const json::object& body) const {
    auto q = sandbox::twilio_insights_v3::parse_query(body.at("query"), table_);
    return q ? std::string() : q.error().message;
  }

 private:
  std::vector<json::object> records_;
  sandbox::twilio_insights_v3::table table_;
};

struct body_case {
  const char* unified;
  const char* filters;  // the expected `filters` array
};

class InsightsPushdown : public ::testing::TestWithParam<body_case> {};

TEST_P(InsightsPushdown, SendsTheVendorsTerms) {
  const auto q = query(GetParam().unified);
  adapter::page_ask ask{q, false, std::nullopt, {}, 1000};
  const auto body = query_body(ask, default_dimensions(), vendor);
  EXPECT_EQ(body.at("query").at("filters"), json::parse(GetParam().filters)) << json::serialize(body);
  EXPECT_EQ(vendor_schema().refusal(body), "") << json::serialize(body);
}

INSTANTIATE_TEST_SUITE_P(
    Table, InsightsPushdown,
    ::testing::Values(
        body_case{
            "started_after=2025-01-01T01:00:00%2B01:00",
            R"([{"op": "OR", "expressions": [{"op": "GT", "field": "DateCreated", "values": ["2025-01-01T00:00:00.000Z"]},
                                                  {"op": "EQ", "field": "DateCreated", "values": ["2025-01-01T00:00:00.000Z"]}]}])"},
        // Sub-millisecond bounds widen to whole milliseconds; the walk's own check makes them exact.
        body_case{
            "created_after=2025-01-01T00:00:00.000500Z&created_before=2025-01-01T00:00:00.000500Z",
            R"([{"op": "AND", "expressions": [{"op": "LT", "field": "DateCreated", "values": ["2025-01-01T00:00:00.001Z"]}]},
                      {"op": "OR", "expressions": [{"op": "GT", "field": "DateCreated", "values": ["2025-01-01T00:00:00.000Z"]},
                                                  {"op": "EQ", "field": "DateCreated", "values": ["2025-01-01T00:00:00.000Z"]}]}])"},
        body_case{"min_duration_ms=1000&max_duration_ms=2000",
                  R"([{"op": "OR", "expressions": [{"op": "GT", "field": "Duration", "values": ["1000"]},
                                                  {"op": "EQ", "field": "Duration", "values": ["1000"]}]},
                      {"op": "OR", "expressions": [{"op": "LT", "field": "Duration", "values": ["2000"]},
                                                  {"op": "EQ", "field": "Duration", "values": ["2000"]}]}])"},
        body_case{
            "language=en-us,FR",
            R"([{"op": "AND", "expressions": [{"op": "IN", "field": "Languages", "values": ["en-US", "en-us", "fr"]}]}])"},
        body_case{"channel=voice,chat",
                  R"([{"op": "AND", "expressions": [{"op": "IN", "field": "Channels",
                                                     "values": ["voice", "Voice", "VOICE", "chat", "Chat", "CHAT"]}]}])"},
        body_case{"channel=voice,other", "[]"},  // "other" is every unknown channel: local
        body_case{
            "id=twilio_insights:CA1,zild:7,twilio_insights:CA2",
            R"([{"op": "AND", "expressions": [{"op": "IN", "field": "Id", "values": ["CA1", "CA2"]}]}])"},
        // Case-insensitive matches and prefixes stay local; updated_at and platform have no dimension.
        body_case{"agent=ada%20lovelace&title_prefix=Re&platform=zoom&updated_after=2025-01-01T00:00:00Z",
                  "[]"},
        body_case{
            "language=en-US&started_before=2025-03-01T00:00:00Z",
            R"([{"op": "AND", "expressions": [{"op": "LT", "field": "DateCreated", "values": ["2025-03-01T00:00:00.000Z"]},
                                                   {"op": "IN", "field": "Languages", "values": ["en-US", "en-us"]}]}])"}));

TEST(InsightsPushdown, ReportsExactlyWhatGoesDown) {
  const auto dims = default_dimensions();
  const auto names = [&](const char* text) {
    std::vector<std::string_view> out;
    const auto set = pushed_down(query(text), dims);
    for (std::size_t i = 0; i < filter_count; ++i)
      if (set.test(i)) out.push_back(to_string(static_cast<filter>(i)));
    return out;
  };
  EXPECT_EQ(names("language=en-US&agent=x&started_after=2025-01-01T00:00:00Z"),
            (std::vector<std::string_view>{"started_after", "language"}));
  EXPECT_EQ(names("channel=other&min_duration_ms=3&updated_before=2025-01-01T00:00:00Z"),
            (std::vector<std::string_view>{"min_duration_ms"}));
  EXPECT_EQ(names("id=twilio_insights:CA1&title=x&platform=zoom"), (std::vector<std::string_view>{"id"}));
  auto mapped = dims;
  mapped[field::title] = "Topic";
  mapped[field::account_id] = "AccountSid";
  EXPECT_EQ(pushed_down(query("title=x&account_id=AC1"), mapped).count(), 2u);
}

TEST(InsightsBody, AsksForEveryMappedDimensionAndOrdersById) {
  const auto q = query("sort=-started_at");
  adapter::page_ask scan{q, false, std::nullopt, {}, 1000};
  EXPECT_EQ(query_body(scan, default_dimensions(), vendor),
            json::parse(R"({"domain": "Conversations", "query": {
      "measures": [], "dimensions": ["Id", "Channels", "Languages", "DateCreated", "Duration", "AgentNames", "OperatorResult.Value"],
      "filters": [], "orderBy": [{"field": "Id", "direction": "ASC"}]}})"));
  adapter::page_ask sorted{q, true, std::nullopt, {}, 56};
  EXPECT_EQ(
      query_body(sorted, default_dimensions(), vendor).at("query").at("orderBy"),
      json::parse(R"([{"field": "DateCreated", "direction": "DESC"}, {"field": "Id", "direction": "ASC"}])"));
}

TEST(InsightsBody, KeysetBoundIsAnInclusiveRangeGroup) {
  const auto desc = query("sort=-created_at");
  adapter::page_ask from{desc, true, *parse_rfc3339("2025-03-01T00:00:00.123400Z"), {}, 51};
  EXPECT_EQ(
      query_body(from, default_dimensions(), vendor).at("query").at("filters"),
      json::parse(
          R"([{"op": "OR", "expressions": [{"op": "LT", "field": "DateCreated", "values": ["2025-03-01T00:00:00.124Z"]},
                                                         {"op": "EQ", "field": "DateCreated", "values": ["2025-03-01T00:00:00.124Z"]}]}])"));
  const auto asc = query("sort=duration_ms&max_duration_ms=9000");
  adapter::page_ask up{asc, true, 4000, {}, 51};
  const auto body = query_body(up, default_dimensions(), vendor);
  EXPECT_EQ(
      body.at("query").at("filters"),
      json::parse(R"([{"op": "OR", "expressions": [{"op": "LT", "field": "Duration", "values": ["9000"]},
                                                         {"op": "EQ", "field": "Duration", "values": ["9000"]}]},
                            {"op": "OR", "expressions": [{"op": "GT", "field": "Duration", "values": ["4000"]},
                                                         {"op": "EQ", "field": "Duration", "values": ["4000"]}]}])"));
  EXPECT_EQ(body.at("query").at("orderBy").at(0),
            json::parse(R"({"field": "Duration", "direction": "ASC"})"));
  EXPECT_EQ(vendor_schema().refusal(body), "");
  // A scan (unsorted ask) never carries a bound.
  adapter::page_ask scan{asc, false, std::nullopt, {}, 1000};
  EXPECT_EQ(query_body(scan, default_dimensions(), vendor).at("query").at("filters").as_array().size(), 1u);
}

TEST(InsightsBody, GetAsksForOneIdAndTheSchemaAgrees) {
  const auto body = get_body("CA42", default_dimensions());
  EXPECT_EQ(
      body.at("query").at("filters"),
      json::parse(R"([{"op": "AND", "expressions": [{"op": "EQ", "field": "Id", "values": ["CA42"]}]}])"));
  EXPECT_EQ(vendor_schema().refusal(body), "");
}

TEST(InsightsTargets, PathsAndAnEncodedToken) {
  EXPECT_EQ(metadata_target("/base"), "/base/v3/InsightsDomains/Conversations/Metadata");
  EXPECT_EQ(query_target("", 56), "/v3/InsightsDomains/Conversations/Query?pageSize=56");
  const std::string token = "eyJ+a/b=c&d==";
  const std::string target = next_page_target("", token);
  EXPECT_EQ(target.rfind("/v3/InsightsDomains/Conversations/Query?pageToken=", 0), 0u);
  EXPECT_EQ(target.find_first_of("+/=&", target.find('?') + 11), std::string::npos) << target;
  // A form-decoding server reads back exactly the token ('+' would have become a space).
  auto u = boost::urls::parse_origin_form(target);
  ASSERT_TRUE(u);
  EXPECT_EQ((*u->params().find("pageToken")).value, token);
}

}  // namespace
}  // namespace cgw::adapters::twilio_insights_v3

namespace cgw::adapters::twilio_insights_v3 {
namespace {

stats_query stats_of(const std::string& query) {
  auto q = parse_stats_query(query);
  EXPECT_TRUE(q) << query;
  return q ? *q : stats_query{};
}

TEST(InsightsAggregate, BodyAsksForTheGroupDimensionsAndTheMeasuresItNeeds) {
  const auto q =
      stats_of("group_by=channel,started_at:day,vendor&measures=count,duration_ms.avg&language=en-US");
  auto body = aggregate_body(q, default_dimensions(), default_measures(), "ins", false);
  ASSERT_TRUE(std::holds_alternative<json::object>(body)) << std::get<std::string>(body);
  const auto& query = std::get<json::object>(body).at("query").as_object();
  EXPECT_EQ(json::serialize(query.at("measures")), R"(["Count","TotalDuration","DurationCount"])");
  // The language filter's list dimension is grouped by too, to judge each group by its first element.
  EXPECT_EQ(json::serialize(query.at("dimensions")), R"(["Channels","DateCreated","Languages"])");
  EXPECT_NE(json::serialize(query.at("filters")).find("Languages"), std::string::npos);

  for (const auto& [query_text, why] : std::vector<std::pair<std::string, std::string>>{
           {"measures=duration_ms.p50", "percentiles"},
           {"group_by=channel&agent=Ann", "agent"},  // compared case-insensitively: stays local
       }) {
    auto refused =
        aggregate_body(stats_of(query_text), default_dimensions(), default_measures(), "ins", false);
    ASSERT_TRUE(std::holds_alternative<std::string>(refused)) << query_text;
    EXPECT_NE(std::get<std::string>(refused).find(why), std::string::npos) << std::get<std::string>(refused);
  }
  measure_map no_min = default_measures();
  no_min[cube_measure::duration_min].clear();
  auto missing =
      aggregate_body(stats_of("measures=duration_ms.min"), default_dimensions(), no_min, "ins", false);
  ASSERT_TRUE(std::holds_alternative<std::string>(missing));
  EXPECT_NE(std::get<std::string>(missing).find("options.measures.duration_ms.min"), std::string::npos);
}

TEST(InsightsAggregate, GroupsMapLikeRecordsAndMergeAgentsSplit) {
  const auto q =
      stats_of("group_by=channel,agent&measures=count,duration_ms.sum,duration_ms.max&channel=voice");
  const auto items = json::parse(R"([
    {"Channels": ["Voice"], "AgentNames": ["Ann", "Bob", "Ann"], "Languages": ["en-US"], "Count": 2, "TotalDuration": 30, "DurationCount": 2, "MaxDuration": 20},
    {"Channels": ["voice", "chat"], "AgentNames": ["Ann"], "Count": "3", "TotalDuration": 60, "DurationCount": 3, "MaxDuration": 25},
    {"Channels": ["chat", "voice"], "AgentNames": [], "Count": 7, "TotalDuration": 70, "DurationCount": 7, "MaxDuration": 90}
  ])")
                         .as_array();
  stats_table t;
  ASSERT_TRUE(add_aggregate_items(items, q, default_dimensions(), default_measures(), "ins", t));
  std::map<std::string, std::pair<std::uint64_t, std::int64_t>> got;
  for (const auto& [key, p] : t.rows())
    got[key[0].value_or("null") + "/" + key[1].value_or("null")] = {p.count, p.sum};
  // "Voice" and "voice" are one channel; the third group's first channel is chat: the filter drops it.
  EXPECT_EQ(got, (std::map<std::string, std::pair<std::uint64_t, std::int64_t>>{{"voice/Ann", {5, 90}},
                                                                                {"voice/Bob", {2, 30}}}));
  EXPECT_EQ(t.rows().begin()->second.max, 25);
}

}  // namespace
}  // namespace cgw::adapters::twilio_insights_v3
