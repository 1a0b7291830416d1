// The Zild translators with no socket: the TimeSpan parser, id validation, status
// derivation, the mapping of a record field by field, and the adapter's refusals.
#include "adapters/zild/adapter.hpp"
#include "adapters/zild/translate.hpp"
#include "gateway/core/query.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>

namespace cgw::adapters::zild {
namespace {

namespace json = boost::json;

// --- TimeSpan ----------------------------------------------------------------------------

struct span_case {
  const char* text;
  std::optional<std::int64_t> ms;
};

TEST(ZildTimeSpan, ReadsEveryFormDotNetWritesAndNothingElse) {
  const std::vector<span_case> cases = {
      // hh:mm:ss and h:mm:ss
      {"00:00:00", 0},
      {"00:12:33", 753'000},
      {"2:00:00", 7'200'000},
      {"23:59:59", 86'399'000},
      // d.hh:mm:ss ("c") and d:hh:mm:ss ("g"/"G")
      {"1.02:03:04", 93'784'000},
      {"1:02:03:04", 93'784'000},
      {"12.00:00:00", 12 * 86'400'000LL},
      {"1.2:03:04", 93'784'000},
      {"10675199.02:48:05.4775807", 10675199LL * 86'400'000 + 2 * 3'600'000 + 48 * 60'000 + 5'477},
      // fractions: 7 digits, fewer, with days
      {"00:04:12.5000000", 252'500},
      {"00:00:07.25", 7'250},
      {"00:00:07.2", 7'200},
      {"00:00:07.002", 7'002},
      {"00:30:34.1230000", 1'834'123},
      {"00:00:00.9999999", 999},  // truncated, never rounded up
      {"00:00:00.0000001", 0},
      {"1.02:03:04.001", 93'784'001},
      {"1:02:03:04.5", 93'784'500},
      // white space around is tolerated, as TimeSpan.Parse does
      {"  00:01:00 ", 60'000},
      // negative spans are no conversation's length
      {"-00:00:05", std::nullopt},
      {"-1.02:03:04", std::nullopt},
      {"-00:00:00", std::nullopt},
      // garbage
      {"", std::nullopt},
      {"   ", std::nullopt},
      {"+00:00:05", std::nullopt},
      {"abc", std::nullopt},
      {"5", std::nullopt},
      {"12:30", std::nullopt},
      {"00:60:00", std::nullopt},
      {"00:00:60", std::nullopt},
      {"24:00:00", std::nullopt},
      {"100:00:00", std::nullopt},
      {"1.24:00:00", std::nullopt},
      {"00:1:00", std::nullopt},
      {"00:00:1", std::nullopt},
      {"00:00:001", std::nullopt},
      {"00:00:00.", std::nullopt},
      {"00:00:00.12345678", std::nullopt},
      {"00:00:00,5", std::nullopt},
      {"00:00:00.5x", std::nullopt},
      {"1..02:03:04", std::nullopt},
      {"1.02:03", std::nullopt},
      {"1:2:3:4:5", std::nullopt},
      {"10675200.00:00:00", std::nullopt},
      {"99999999999.00:00:00", std::nullopt},
      {"PT4M12S", std::nullopt},
      {"00:00:05Z", std::nullopt},
      {"0 0:00:05", std::nullopt},
  };
  for (const auto& c : cases) EXPECT_EQ(parse_timespan_ms(c.text), c.ms) << '"' << c.text << '"';
}

// --- native ids --------------------------------------------------------------------------

TEST(ZildNativeId, TakesCanonicalInt32Only) {
  const std::vector<std::pair<const char*, std::int32_t>> good = {
      {"0", 0},         {"7", 7},
      {"48213", 48213}, {"2147483647", 2147483647},
      {"-1", -1},       {"-2147483648", -2147483648}};
  for (const auto& [text, id] : good) {
    auto r = parse_native_id(text);
    ASSERT_TRUE(r) << text;
    EXPECT_EQ(*r, id);
  }
  for (const char* bad : {"", "abc", "12a", "a12", "+5", "007", "00", "-0", "-", "--5", " 5", "5 ", "4.2",
                          "1e3", "0x1F", "99999999999", "2147483648", "-2147483649", "١٢"}) {
    auto r = parse_native_id(bad);
    ASSERT_FALSE(r) << '"' << bad << '"';
    EXPECT_EQ(r.error().code, errc::invalid_id);
    EXPECT_EQ(r.error().parameter, "id");
    EXPECT_EQ(http_status(r.error().code), 400u);
  }
  EXPECT_EQ(get_target(48213, ""), "/api/Conversation/48213");
  EXPECT_EQ(get_target(-3, "/tenant-a"), "/tenant-a/api/Conversation/-3");
}

// --- status ------------------------------------------------------------------------------

TEST(ZildStatus, ActiveThenFinishedThenQueued) {
  const std::vector<std::pair<const char*, std::optional<std::string>>> cases = {
      {R"({"active": true, "finishedAt": null, "queuedAt": null})", "active"},
      {R"({"active": true, "finishedAt": "2024-06-01T10:00:00", "queuedAt": "2024-06-01T09:00:00"})",
       "active"},
      {R"({"active": false, "finishedAt": "2024-06-01T10:00:00", "queuedAt": "2024-06-01T09:00:00"})",
       "finished"},
      {R"({"active": false, "finishedAt": "2024-06-01T10:00:00Z"})", "finished"},
      {R"({"finishedAt": "2024-06-01T10:00:00"})", "finished"},
      {R"({"active": false, "finishedAt": null, "queuedAt": "2024-06-01T09:00:00.5"})", "queued"},
      {R"({"active": "false", "queuedAt": "2024-06-01T09:00:00"})", "queued"},
      {R"({"active": false, "finishedAt": null, "queuedAt": null})", std::nullopt},
      {R"({})", std::nullopt},
      // unreadable or never-set (.NET default) times are not "set"
      {R"({"active": false, "finishedAt": "soon", "queuedAt": "0001-01-01T00:00:00"})", std::nullopt},
      {R"({"active": false, "finishedAt": "0001-01-01T00:00:00", "queuedAt": "2024-06-01T09:00:00"})",
       "queued"},
      {R"({"active": 1, "finishedAt": "2024-06-01T10:00:00"})", "finished"},
  };
  for (const auto& [text, want] : cases) EXPECT_EQ(status_of(json::parse(text).as_object()), want) << text;
}

// --- timestamps --------------------------------------------------------------------------

TEST(ZildTime, OffsetLessIsUtcOffsetsAreHonouredDefaultIsNull) {
  const std::vector<std::pair<const char*, std::optional<std::string>>> cases = {
      {"2024-06-01T12:34:56", "2024-06-01T12:34:56.000Z"},
      {"2024-06-01T12:34:56.1234567", "2024-06-01T12:34:56.123Z"},
      {"2024-06-01T12:34:56.5", "2024-06-01T12:34:56.500Z"},
      {"2024-06-01T12:34:56Z", "2024-06-01T12:34:56.000Z"},
      {"2024-06-01T09:34:56.25-03:00", "2024-06-01T12:34:56.250Z"},
      {"2024-06-01T14:34:56+02:00", "2024-06-01T12:34:56.000Z"},
      {"2024-06-01T00:30:00-03:00", "2024-06-01T03:30:00.000Z"},
      {"0001-01-01T00:00:00", std::nullopt},
      {"0001-01-01T00:00:00Z", std::nullopt},
      {"2024-06-01", std::nullopt},
      {"yesterday", std::nullopt},
  };
  for (const auto& [text, want] : cases) {
    auto t = parse_time(text);
    EXPECT_EQ(t ? std::optional(format_rfc3339_ms(*t)) : std::nullopt, want) << text;
  }
}

// --- the mapping -------------------------------------------------------------------------

const char* full_record = R"({
  "id": 48213, "active": false, "liveAgent": true, "from": "+5511987654321",
  "conversationId": "CH0123456789abcdef0123456789abcdef", "waterMark": "5", "token": null,
  "createdAt": "2024-06-01T12:00:00.1234567", "finishedAt": "2024-06-02T14:03:04.1234567",
  "queuedAt": "2024-06-01T12:00:30", "lastConversationUpdateTime": "2024-06-02T14:03:05",
  "lastMessageContent": "Obrigado!", "contactName": "Maria Silva", "userId": 1041,
  "userName": "Mariana Costa", "counterpartUserId": 0, "counterpartUserName": null, "botId": 11,
  "botName": "Atendimento Virtual", "fileUrl": "https://files.zild.example/t7/conversa-48213.mp3",
  "fileName": "conversa-48213.mp3", "tenantId": 7, "conversationSummary": "Cliente pediu a segunda via.",
  "messages": [
    {"id": 9000001, "createdAt": "2024-06-01T12:00:01.5", "from": "+5511987654321", "to": "+551130100007",
     "content": "Olá", "conversationId": 48213, "sentiment": "Neutral", "offset": null, "isNPS": false,
     "contentSid": null, "messageType": 0, "mediaUrl": null, "mediaFileName": null, "tenantId": 7,
     "userId": 0, "contentVariables": null, "messageSid": "SM1", "messageStatus": 2, "sent": true,
     "delivered": true, "read": true, "errorCode": null, "errorMessage": null, "isReadByUser": true,
     "documentId": 0},
    {"id": 9000002, "createdAt": "2024-06-01T09:00:02-03:00", "from": "+551130100007", "to": "+5511987654321",
     "content": "Segue a segunda via.", "conversationId": 48213, "sentiment": null, "messageType": 2},
    "not a message"
  ],
  "score": 80, "finalScore": 85, "checklistId": 201, "channelId": 671, "conversationIntegrationType": 3,
  "duration": "1.02:03:04", "highImportanceErrorDetected": false,
  "tags": [
    {"id": 501, "name": "vip", "active": true, "createdAt": "2023-01-01T00:00:00", "tenantId": 7},
    {"id": 504, "name": "black-friday-2023", "active": false, "createdAt": "2023-01-01T00:00:00", "tenantId": 7},
    {"id": 505, "name": null, "active": true, "createdAt": "2023-01-01T00:00:00", "tenantId": 7},
    {"id": 501, "name": "vip", "active": true, "createdAt": "2023-01-01T00:00:00", "tenantId": 7}
  ],
  "conversationEvaluationStatus": 2, "conversationEvaluationStatusMessage": null, "queueId": 801,
  "queueName": "Suporte", "conversationEndedReasonId": 3, "agentType": 1, "conversationType": 99,
  "applicationStatusId": 2, "overallSentiment": "Positive", "callStatus": null, "disconnectionReason": null,
  "callSuccessful": false, "totalUnreadedMessagesByUser": 0,
  "dynamicVariables": [{"id": 70000, "name": "nome", "value": "Maria", "conversationId": 48213}],
  "dataCollection": null, "agentId": 305
})";

TEST(ZildMapping, FullRecordFieldByField) {
  const json::value record = json::parse(full_record);
  auto c = read_one(record, "zild", 48213);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->id, "zild:48213");
  EXPECT_EQ(c->vendor, "zild");
  EXPECT_EQ(c->vendor_type, "zild");
  EXPECT_EQ(c->native_id, "48213");
  EXPECT_EQ(c->account_id, "7");
  EXPECT_EQ(c->title, "Maria Silva");
  EXPECT_FALSE(c->channel || c->platform || c->language);
  EXPECT_EQ(format_rfc3339_ms(*c->started_at), "2024-06-01T12:00:00.123Z");
  EXPECT_EQ(c->created_at, c->started_at);
  EXPECT_EQ(format_rfc3339_us(*c->created_at), "2024-06-01T12:00:00.123456Z");
  EXPECT_EQ(format_rfc3339_ms(*c->ended_at), "2024-06-02T14:03:04.123Z");
  EXPECT_EQ(format_rfc3339_ms(*c->updated_at), "2024-06-02T14:03:05.000Z");
  EXPECT_EQ(c->duration_ms, 93'784'000);
  ASSERT_EQ(c->agents.size(), 1u);
  EXPECT_EQ(c->agents[0].id, "305");
  EXPECT_EQ(c->agents[0].name, "Mariana Costa");
  EXPECT_TRUE(c->segments.empty());
  ASSERT_EQ(c->messages.size(), 2u);  // the string entry is skipped, not fatal
  EXPECT_EQ(c->messages[0].id, "9000001");
  EXPECT_EQ(format_rfc3339_ms(*c->messages[0].sent_at), "2024-06-01T12:00:01.500Z");
  EXPECT_EQ(c->messages[0].from, "+5511987654321");
  EXPECT_EQ(c->messages[0].to, "+551130100007");
  EXPECT_EQ(c->messages[0].content, "Olá");
  EXPECT_EQ(c->messages[0].sentiment, "Neutral");
  EXPECT_EQ(c->messages[0].type, "0");  // the enum integer as its decimal string: no label is published
  EXPECT_EQ(format_rfc3339_ms(*c->messages[1].sent_at), "2024-06-01T12:00:02.000Z");
  EXPECT_FALSE(c->messages[1].sentiment.has_value());
  EXPECT_EQ(c->messages[1].type, "2");
  EXPECT_EQ(c->sentiment, "Positive");
  EXPECT_EQ(c->summary, "Cliente pediu a segunda via.");
  EXPECT_EQ(c->tags, (std::vector<std::string>{
                         "vip", "black-friday-2023"}));  // inactive kept, null skipped, once each
  EXPECT_EQ(c->score, 85.0);
  EXPECT_EQ(c->status, "finished");
  ASSERT_EQ(c->links.size(), 1u);
  EXPECT_EQ(c->links[0], (std::pair<std::string, std::string>{
                             "recording", "https://files.zild.example/t7/conversa-48213.mp3"}));
  EXPECT_FALSE(c->owner_id || c->user_id || c->person_id);
  ASSERT_TRUE(c->raw);
  EXPECT_EQ(json::value(*c->raw), record);  // the whole object, untouched

  // The public form carries the mapping, and raw only when asked.
  const json::object out = to_json(*c, false);
  EXPECT_EQ(out.at("duration_ms"), 93'784'000);
  EXPECT_EQ(out.at("messages").as_array().at(1).at("type"), "2");
  EXPECT_FALSE(out.contains("raw"));
  EXPECT_EQ(to_json(*c, true).at("raw"), record);
}

TEST(ZildMapping, MessageTypeIsTheEnumIntegerAsDecimalText) {
  struct type_case {
    const char* json;
    std::optional<std::string> type;
  };
  for (const auto& [message_type, type] : std::vector<type_case>{{"0", "0"},
                                                                 {"7", "7"},
                                                                 {"-1", "-1"},
                                                                 {"2147483647", "2147483647"},
                                                                 {"3.0", "3"},  // integral double
                                                                 {"null", std::nullopt},
                                                                 {"\"text\"", std::nullopt},
                                                                 {"1.5", std::nullopt},
                                                                 {"true", std::nullopt},
                                                                 {"[1]", std::nullopt}}) {
    auto c = to_conversation(json::parse(R"({"id": 1, "messages": [{"id": 5, "messageType": )" +
                                         std::string(message_type) + "}]}"),
                             "zild");
    ASSERT_TRUE(c) << message_type;
    ASSERT_EQ(c->messages.size(), 1u) << message_type;
    EXPECT_EQ(c->messages[0].type, type) << message_type;
  }
  auto absent = to_conversation(json::parse(R"({"id": 1, "messages": [{"id": 5}]})"), "zild");
  ASSERT_TRUE(absent);
  EXPECT_FALSE(absent->messages.at(0).type.has_value());
}

TEST(ZildMapping, NullsAndGarbageNeverFailTheRecord) {
  auto c = to_conversation(
      json::parse(R"json({"id": 5, "active": false, "createdAt": "not a time", "finishedAt": null,
      "queuedAt": null, "lastConversationUpdateTime": "0001-01-01T00:00:00", "contactName": "", "userName": null,
      "tenantId": "x7", "messages": null, "tags": null, "duration": "-00:00:05", "finalScore": "high",
      "overallSentiment": "", "conversationSummary": null, "fileUrl": "javascript:alert(1)", "agentId": 0})json"),
      "zild_b");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->id, "zild_b:5");
  EXPECT_EQ(c->account_id, "x7");
  EXPECT_FALSE(c->title || c->started_at || c->created_at || c->ended_at || c->updated_at || c->duration_ms);
  EXPECT_FALSE(c->sentiment || c->summary || c->score || c->status);
  EXPECT_TRUE(c->agents.empty());  // agentId 0 is .NET's default, and there is no name
  EXPECT_TRUE(c->messages.empty());
  EXPECT_TRUE(c->tags.empty());
  EXPECT_TRUE(c->links.empty());  // only web URLs become links

  auto wrong_types = to_conversation(json::parse(R"({"id": "77", "duration": 12, "messages": {"id": 1},
      "tags": "vip", "active": "yes", "finishedAt": 5})"),
                                     "zild");
  ASSERT_TRUE(wrong_types);
  EXPECT_EQ(wrong_types->native_id, "77");
  EXPECT_FALSE(wrong_types->duration_ms || wrong_types->status);
  EXPECT_TRUE(wrong_types->messages.empty() && wrong_types->tags.empty());
}

TEST(ZildMapping, AgentsFromAgentIdAndUserName) {
  struct agent_case {
    const char* fields;
    std::optional<std::pair<std::optional<std::string>, std::optional<std::string>>> agent;
  };
  const std::vector<agent_case> cases = {
      {R"("agentId": 305, "userName": "Ana Souza")", {{"305", "Ana Souza"}}},
      {R"("agentId": 305, "userName": null)", {{"305", std::nullopt}}},
      {R"("agentId": 0, "userName": "Ana Souza")", {{std::nullopt, "Ana Souza"}}},
      {R"("agentId": -4, "userName": "")", std::nullopt},
      {R"("agentId": 0, "userName": null)", std::nullopt},
      {R"("userName": "Ana Souza")", {{std::nullopt, "Ana Souza"}}},
      {R"("agentId": "306")", {{"306", std::nullopt}}},
  };
  for (const auto& c : cases) {
    auto conv = to_conversation(json::parse(std::string(R"({"id": 1, )") + c.fields + "}"), "zild");
    ASSERT_TRUE(conv) << c.fields;
    if (!c.agent) {
      EXPECT_TRUE(conv->agents.empty()) << c.fields;
      continue;
    }
    ASSERT_EQ(conv->agents.size(), 1u) << c.fields;
    EXPECT_EQ(conv->agents[0].id, c.agent->first) << c.fields;
    EXPECT_EQ(conv->agents[0].name, c.agent->second) << c.fields;
  }
}

TEST(ZildMapping, LinksOnlyForWebUrls) {
  const std::vector<std::pair<const char*, bool>> cases = {{"https://files.zild.example/a.mp3", true},
                                                           {"HTTP://files.zild.example/a.mp3", true},
                                                           {"recordings/a.mp3", false},
                                                           {"javascript:alert(1)", false},
                                                           {"https://", false},
                                                           {"ftp://files.zild.example/a.mp3", false}};
  for (const auto& [url, linked] : cases) {
    json::object o{{"id", 1}, {"fileUrl", url}};
    auto c = to_conversation(o, "zild");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->links.size(), linked ? 1u : 0u) << url;
  }
}

TEST(ZildMapping, RefusesWhatIsNotTheRecordAskedFor) {
  EXPECT_FALSE(to_conversation(json::parse(R"({"contactName": "x"})"), "zild"));
  EXPECT_FALSE(to_conversation(json::parse(R"({"id": ""})"), "zild"));
  EXPECT_FALSE(to_conversation(json::parse(R"({"id": null})"), "zild"));
  EXPECT_FALSE(to_conversation(json::parse(R"([{"id": 1}])"), "zild"));
  EXPECT_TRUE(read_one(json::parse(R"({"id": 42})"), "zild", 42));
  auto other = read_one(json::parse(R"({"id": 43})"), "zild", 42);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, errc::upstream_error);
  auto problem =
      read_one(json::parse(R"({"type": "about:blank", "title": "Not Found", "status": 404})"), "zild", 42);
  ASSERT_FALSE(problem);
  EXPECT_EQ(problem.error().code, errc::upstream_error);
}

// --- the adapter: configuration, capabilities, and what it refuses without a call ----------

config::vendor_config zild_config(std::string token = "jwt") {
  config::vendor_config cfg;
  cfg.name = "zild";
  cfg.type = "zild";
  cfg.base_url = "http://127.0.0.1:9";  // never contacted: every call below fails before I/O
  cfg.auth.bearer_token = config::secret(std::move(token));
  return cfg;
}

TEST(ZildAdapter, RefusesConfigWithoutBearerTokenOrWithABadUrl) {
  auto no_token = make_adapter(zild_config(""));
  ASSERT_FALSE(no_token);
  EXPECT_EQ(no_token.error().parameter, "vendors.zild.auth.bearer_token");
  EXPECT_NE(no_token.error().message.find("vendors.zild.auth.bearer_token"), std::string::npos);

  // An option key (it takes none) is refused by its module: VendorModules.AnOptionKeyOutsideTheSchema...
  auto bad_url = zild_config();
  bad_url.base_url = "not a url";
  auto refused = make_adapter(bad_url);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().parameter, "vendors.zild.base_url");
}

TEST(ZildAdapter, CannotListAndPushesNothingDown) {
  auto a = make_adapter(zild_config());
  ASSERT_TRUE(a) << a.error().message;
  const auto& caps = (*a)->caps();
  EXPECT_FALSE(caps.can_list);
  EXPECT_TRUE(caps.can_get);
  EXPECT_EQ(caps.list_unsupported_reason, "the vendor has no list endpoint");
  EXPECT_TRUE(caps.pushdown.none());
  EXPECT_TRUE(caps.native_sorts.empty());
  for (filter f : {filter::language, filter::channel, filter::platform, filter::owner_id, filter::user_id,
                   filter::person_id, filter::segment_id})
    EXPECT_TRUE(caps.absent.test(static_cast<std::size_t>(f))) << to_string(f);
  for (filter f : {filter::started_after, filter::created_before, filter::updated_after,
                   filter::min_duration_ms, filter::agent, filter::account_id, filter::id, filter::title})
    EXPECT_FALSE(caps.absent.test(static_cast<std::size_t>(f))) << to_string(f);  // Zild has these fields

  auto q = parse_list_query(
      "vendor=zild&started_after=2024-01-01T00:00:00Z&title=x&account_id=7&id=zild:1&agent=a");
  ASSERT_TRUE(q);
  EXPECT_TRUE((*a)->pushed_down(*q).none());
}

TEST(ZildAdapter, RefusesBadIdsAndListsWithoutAVendorCall) {
  auto a = make_adapter(zild_config());
  ASSERT_TRUE(a);
  net::io_context io;
  upstream::client http(io.get_executor());
  auto q = parse_list_query("");
  ASSERT_TRUE(q);
  const auto until = clock::now() + std::chrono::seconds(5);

  for (const char* bad : {"abc", "99999999999", "", "+5", "007"}) {
    adapter::call_context ctx{http, until, "test"};
    auto done = net::co_spawn(io, (*a)->get(bad, ctx), net::use_future);
    io.run();
    io.restart();
    auto r = done.get();
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, errc::invalid_id) << bad;
    EXPECT_EQ(ctx.stats.upstream_requests, 0u) << bad;
  }

  adapter::call_context ctx{http, until, "test"};
  const adapter::list_request ask{*q, std::nullopt, 50};
  auto listed = net::co_spawn(io, (*a)->list(ask, ctx), net::use_future);
  io.run();
  auto r = listed.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::unsupported);
  EXPECT_EQ(r.error().message, "the vendor has no list endpoint");
  EXPECT_EQ(ctx.stats.upstream_requests, 0u);
  EXPECT_EQ(http.connections_opened(), 0u);
}

}  // namespace
}  // namespace cgw::adapters::zild
