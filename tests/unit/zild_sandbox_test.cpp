// The Zild sandbox called directly (no sockets): its data has every field of the vendor's
// seed and every case the adapter must handle, and it answers as the wire contract says.
#include "adapters/zild/sandbox/sandbox.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/json/parse.hpp>

namespace cgw::sandbox::zild {
namespace {

using record = json::object;

constexpr std::string_view bearer = "Bearer sandbox-zild-jwt";

// The field lists of shared/seeds/zild-conversation-by-id.txt, typed out independently of the generator.
const std::set<std::string> conversation_fields{"id",
                                                "active",
                                                "liveAgent",
                                                "from",
                                                "conversationId",
                                                "waterMark",
                                                "token",
                                                "createdAt",
                                                "finishedAt",
                                                "queuedAt",
                                                "lastConversationUpdateTime",
                                                "lastMessageContent",
                                                "contactName",
                                                "userId",
                                                "userName",
                                                "counterpartUserId",
                                                "counterpartUserName",
                                                "botId",
                                                "botName",
                                                "fileUrl",
                                                "fileName",
                                                "tenantId",
                                                "conversationSummary",
                                                "messages",
                                                "score",
                                                "finalScore",
                                                "checklistId",
                                                "channelId",
                                                "conversationIntegrationType",
                                                "duration",
                                                "highImportanceErrorDetected",
                                                "tags",
                                                "conversationEvaluationStatus",
                                                "conversationEvaluationStatusMessage",
                                                "queueId",
                                                "queueName",
                                                "conversationEndedReasonId",
                                                "agentType",
                                                "conversationType",
                                                "applicationStatusId",
                                                "overallSentiment",
                                                "callStatus",
                                                "disconnectionReason",
                                                "callSuccessful",
                                                "totalUnreadedMessagesByUser",
                                                "dynamicVariables",
                                                "dataCollection",
                                                "agentId"};
const std::set<std::string> message_fields{"id",
                                           "createdAt",
                                           "from",
                                           "to",
                                           "content",
                                           "conversationId",
                                           "sentiment",
                                           "offset",
                                           "isNPS",
                                           "contentSid",
                                           "messageType",
                                           "mediaUrl",
                                           "mediaFileName",
                                           "tenantId",
                                           "userId",
                                           "contentVariables",
                                           "messageSid",
                                           "messageStatus",
                                           "sent",
                                           "delivered",
                                           "read",
                                           "errorCode",
                                           "errorMessage",
                                           "isReadByUser",
                                           "documentId"};
const std::set<std::string> tag_fields{"id", "name", "active", "createdAt", "tenantId"};
const std::set<std::string> variable_fields{"id", "name", "value", "conversationId"};

std::set<std::string> keys_of(const json::object& o) {
  std::set<std::string> keys;
  for (const auto& kv : o) keys.emplace(kv.key());
  return keys;
}

options small(std::uint32_t records) {
  options o;
  o.records = records;
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

std::optional<std::string> text(const record& r, std::string_view field) {
  const auto& v = r.at(field);
  return v.is_string() ? std::optional(std::string(v.as_string())) : std::nullopt;
}

// An RFC 9457 problem for `status`, served with its media type.
void expect_problem(const response& res, http::status status, const std::string& context) {
  EXPECT_EQ(res.result(), status) << context;
  EXPECT_EQ(res[http::field::content_type], "application/problem+json; charset=utf-8") << context;
  const auto body = json::parse(res.body()).as_object();
  EXPECT_EQ(keys_of(body), (std::set<std::string>{"type", "title", "status", "detail"})) << context;
  EXPECT_EQ(body.at("status"), static_cast<int>(status)) << context;
  EXPECT_TRUE(body.at("title").is_string() && body.at("detail").is_string()) << context;
}

// True when a .NET timestamp has no offset: nothing after the seconds and fraction.
bool offset_less(std::string_view t) {
  return t.size() >= 19 && t.find_first_not_of("0123456789.", 19) == std::string_view::npos;
}

class ZildSandbox : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { shared_ = make_handler(small(300)).release(); }
  static void TearDownTestSuite() { delete shared_; }
  handler& h() { return *shared_; }
  static handler* shared_;
};
handler* ZildSandbox::shared_ = nullptr;

// --- the data ----------------------------------------------------------------------------

TEST_F(ZildSandbox, DatasetIsDeterministicAndHasEveryFieldOfTheSeed) {
  EXPECT_EQ(make_dataset(40, 7), make_dataset(40, 7));
  EXPECT_NE(make_dataset(40, 7), make_dataset(40, 8));
  const auto& data = dataset(h());
  ASSERT_EQ(data.size(), 300u);
  std::int64_t previous = 47'999;
  bool gaps = false;
  std::size_t messages = 0, tags = 0, variables = 0;
  for (const auto& r : data) {
    ASSERT_EQ(keys_of(r), conversation_fields) << r.at("id");
    const std::int64_t id = r.at("id").as_int64();
    EXPECT_GT(id, previous);
    gaps |= id > previous + 1;
    previous = id;
    if (r.at("messages").is_array())
      for (const auto& m : r.at("messages").as_array()) {
        EXPECT_EQ(keys_of(m.as_object()), message_fields);
        EXPECT_EQ(m.at("conversationId"), id);
        EXPECT_TRUE(m.at("messageType").is_int64());
        ++messages;
      }
    if (r.at("tags").is_array())
      for (const auto& t : r.at("tags").as_array()) {
        EXPECT_EQ(keys_of(t.as_object()), tag_fields);
        ++tags;
      }
    for (const auto* list : {"dynamicVariables", "dataCollection"})
      if (r.at(list).is_array())
        for (const auto& v : r.at(list).as_array()) {
          EXPECT_EQ(keys_of(v.as_object()), variable_fields);
          ++variables;
        }
  }
  EXPECT_EQ(data.front().at("id"), 48'000);
  EXPECT_TRUE(gaps);
  EXPECT_GT(messages, 300u);
  EXPECT_GT(tags, 50u);
  EXPECT_GT(variables, 50u);
  const auto at_the_top = make_dataset(5, 1, 2'147'483'646);  // ids never pass INT32_MAX
  ASSERT_FALSE(at_the_top.empty());
  EXPECT_LE(at_the_top.size(), 2u);
  EXPECT_LE(at_the_top.back().at("id").as_int64(), 2'147'483'647);
}

TEST_F(ZildSandbox, DataCoversEveryCaseTheAdapterHandles) {
  std::map<std::string, int> seen;
  std::set<std::string> durations;
  for (const auto& r : dataset(h())) {
    const bool active = r.at("active").as_bool();
    const bool finished = !r.at("finishedAt").is_null(), queued = !r.at("queuedAt").is_null();
    ++seen[active     ? (finished ? "active+finishedAt" : "active")
           : finished ? "finished"
           : queued   ? "queued"
                      : "none"];
    if (auto d = text(r, "duration"))
      durations.insert(*d);
    else
      ++seen["duration null"];
    for (const auto* field : {"createdAt", "lastConversationUpdateTime", "finishedAt", "queuedAt"})
      if (auto t = text(r, field)) {
        EXPECT_TRUE(offset_less(*t)) << field << ' ' << *t;
      }
    const std::string created = *text(r, "createdAt");
    ++seen[created.size() == 19   ? "createdAt whole second"
           : created.size() == 27 ? "createdAt 7 digits"
                                  : "createdAt trimmed"];
    if (r.at("messages").is_array()) {
      for (const auto& m : r.at("messages").as_array()) {
        ++seen[offset_less(m.at("createdAt").as_string()) ? "message offset-less" : "message with offset"];
        ++seen["messageType " + std::to_string(m.at("messageType").as_int64())];
      }
    } else {
      ++seen["messages null"];
    }
    if (r.at("tags").is_array()) {
      for (const auto& t : r.at("tags").as_array()) {
        if (!t.at("active").as_bool()) ++seen["tag inactive"];
        if (t.at("name").is_null()) ++seen["tag unnamed"];
      }
    } else {
      ++seen["tags null"];
    }
    ++seen[r.at("agentId") == 0 ? "agentId 0" : "agentId set"];
    ++seen[r.at("userName").is_null() ? "userName null" : "userName set"];
    ++seen[r.at("contactName").is_null() ? "contactName null" : "contactName set"];
    if (auto url = text(r, "fileUrl"))
      ++seen[url->starts_with("https://") ? "fileUrl web" : "fileUrl relative"];
  }
  for (const char* c : {"active",
                        "active+finishedAt",
                        "finished",
                        "queued",
                        "none",
                        "duration null",
                        "createdAt whole second",
                        "createdAt 7 digits",
                        "createdAt trimmed",
                        "message offset-less",
                        "message with offset",
                        "messageType 0",
                        "messageType 1",
                        "messages null",
                        "tag inactive",
                        "tag unnamed",
                        "tags null",
                        "agentId 0",
                        "agentId set",
                        "userName null",
                        "userName set",
                        "contactName null",
                        "fileUrl web",
                        "fileUrl relative"})
    EXPECT_GT(seen[c], 0) << c;
  EXPECT_GT(seen["message offset-less"], seen["message with offset"]);  // most have none
  for (const char* form : {"1.02:03:04", "00:04:12.5000000", "00:00:07.25", "00:00:00"})
    EXPECT_TRUE(durations.contains(form)) << form;
  EXPECT_TRUE(
      std::any_of(durations.begin(), durations.end(), [](const std::string& d) { return d.size() == 8; }));
  EXPECT_TRUE(
      std::any_of(durations.begin(), durations.end(), [](const std::string& d) { return d.size() == 16; }));
}

TEST(ZildSandboxData, EvenATinyDatasetHasEveryStatusAndDurationForm) {
  const auto data = make_dataset(8, 99);
  std::set<std::string> statuses, durations;
  for (const auto& r : data) {
    const bool finished = !r.at("finishedAt").is_null(), queued = !r.at("queuedAt").is_null();
    statuses.insert(r.at("active").as_bool() ? "active" : finished ? "finished" : queued ? "queued" : "none");
    durations.insert(r.at("duration").is_null() ? "null" : std::string(r.at("duration").as_string()));
  }
  EXPECT_EQ(statuses, (std::set<std::string>{"active", "finished", "queued", "none"}));
  for (const char* form : {"1.02:03:04", "00:04:12.5000000", "00:00:07.25", "null"})
    EXPECT_TRUE(durations.contains(form)) << form;
}

// --- the wire ----------------------------------------------------------------------------

TEST_F(ZildSandbox, GetsTheBareObjectById) {
  const record& wanted = dataset(h())[123];
  const std::string id = std::to_string(wanted.at("id").as_int64());
  const auto res = get(h(), "/api/Conversation/" + id);
  ASSERT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(json::parse(res.body()), wanted);
  EXPECT_EQ(res[http::field::content_type], "application/json; charset=utf-8");
  // ASP.NET Core: routes ignore case and a trailing slash; int binding takes a sign and leading zeros.
  for (const std::string& target : {"/API/conversation/" + id, "/api/Conversation/" + id + "/",
                                    "/api/Conversation/+" + id, "/api/Conversation/000" + id})
    EXPECT_EQ(json::parse(get(h(), target).body()), wanted) << target;
}

TEST_F(ZildSandbox, RefusesMissingOrWrongTokenWithAChallenge) {
  const std::string target = "/api/Conversation/" + std::to_string(dataset(h())[0].at("id").as_int64());
  for (const std::string_view auth :
       {"", "Bearer nope", "Basic c2FuZGJveA==", "sandbox-zild-jwt", "Bearer "}) {
    const auto res = get(h(), target, auth);
    EXPECT_EQ(res.result(), http::status::unauthorized) << auth;
    EXPECT_TRUE(res.body().empty()) << auth;
    EXPECT_TRUE(res[http::field::www_authenticate].starts_with("Bearer")) << auth;
  }
  EXPECT_EQ(get(h(), target, "Bearer nope")[http::field::www_authenticate],
            R"(Bearer error="invalid_token")");
  EXPECT_EQ(get(h(), target, "bearer sandbox-zild-jwt").result(), http::status::ok);
  // A bad id is judged only for an authorized caller, as the auth middleware runs before binding.
  EXPECT_EQ(get(h(), "/api/Conversation/abc", "").result(), http::status::unauthorized);
}

TEST_F(ZildSandbox, AnswersProblemsForUnknownIdsBadIdsAndPaths) {
  const auto& data = dataset(h());
  std::set<std::int64_t> ids;
  for (const auto& r : data) ids.insert(r.at("id").as_int64());
  std::int64_t gap = *ids.begin() + 1;
  while (ids.contains(gap)) ++gap;
  for (const std::int64_t unknown :
       {gap, *ids.begin() - 1, *ids.rbegin() + 1, std::int64_t{2'147'483'647}, std::int64_t{-5}})
    expect_problem(get(h(), "/api/Conversation/" + std::to_string(unknown)), http::status::not_found,
                   std::to_string(unknown));
  for (const std::string bad :
       {"abc", "99999999999", "2147483648", "1.5", "12a", "%20", "--1", "+-1", "0x10"})
    expect_problem(get(h(), "/api/Conversation/" + bad), http::status::bad_request, bad);
  // Unrouted paths are 404 whatever the token.
  for (const std::string path : {"/api/Conversation", "/api/Conversation/", "/api/Conversations/1",
                                 "/api/Conversation/1/messages", "/v2/conversations"}) {
    expect_problem(get(h(), path), http::status::not_found, path);
    expect_problem(get(h(), path, ""), http::status::not_found, path);
  }
  auto post = vendor_get("/api/Conversation/" + std::to_string(*ids.begin()));
  post.method(http::verb::post);
  const auto refused = h().handle(post);
  EXPECT_EQ(refused.result(), http::status::method_not_allowed);
  EXPECT_EQ(refused[http::field::allow], "GET");
}

// The endpoint takes nothing but its path id: any query parameter is one an adapter should not send.
TEST_F(ZildSandbox, RejectsAnyQueryParameterWith400NamingIt) {
  const std::string item = "/api/Conversation/" + std::to_string(dataset(h()).front().at("id").as_int64());
  for (const std::string parameter : {"includeMessages", "id", "tenantId"}) {
    const auto res = get(h(), item + "?" + parameter + "=1");
    expect_problem(res, http::status::bad_request, parameter);
    const std::string detail(json::parse(res.body()).at("detail").as_string());
    EXPECT_NE(detail.find("'" + parameter + "'"), std::string::npos) << detail;
  }
  EXPECT_EQ(get(h(), item).result(), http::status::ok);
  EXPECT_EQ(get(h(), item + "?x=1", "").result(), http::status::unauthorized);  // authentication comes first
}

// Every byte the server on `port` writes for `request_text` (which asks it to close), within 5 s.
std::string raw_exchange(std::uint16_t port, const std::string& request_text) {
  using namespace std::chrono_literals;
  net::io_context io;
  beast::tcp_stream stream(io);
  std::string bytes;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        constexpr auto tuple = net::as_tuple(net::use_awaitable);
        stream.expires_after(5s);
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

// The kit's early_hints fault applies to Zild too; page_loop has no paging to loop and serves as is.
TEST(ZildSandboxFaults, EarlyHintsComeFirstAndPageLoopChangesNothing) {
  server s(make_handler(small(5)));
  const std::uint16_t port = s.start();
  const std::string id = std::to_string(dataset(s.logic()).front().at("id").as_int64());
  const std::string ask = "GET /api/Conversation/" + id +
                          " HTTP/1.1\r\nHost: x\r\nAuthorization: " + std::string(bearer) +
                          "\r\nConnection: close\r\n\r\n";
  s.set_faults({.body = fault_menu::body_fault::early_hints});
  const std::string hinted = raw_exchange(port, ask);
  ASSERT_TRUE(hinted.starts_with("HTTP/1.1 103 Early Hints\r\n")) << hinted.substr(0, 200);
  const auto answer_at = hinted.find("\r\n\r\nHTTP/1.1 200 OK\r\n");
  ASSERT_NE(answer_at, std::string::npos) << hinted.substr(0, 300);
  const auto body_at = hinted.find("\r\n\r\n", answer_at + 4);
  ASSERT_NE(body_at, std::string::npos);
  EXPECT_EQ(json::parse(hinted.substr(body_at + 4)).at("id"), dataset(s.logic()).front().at("id"));

  s.set_faults({.body = fault_menu::body_fault::page_loop});
  const std::string looped = raw_exchange(port, ask);
  s.set_faults({});
  const std::string plain = raw_exchange(port, ask);
  ASSERT_TRUE(plain.starts_with("HTTP/1.1 200 OK\r\n")) << plain.substr(0, 200);
  EXPECT_EQ(looped, plain);
}

TEST_F(ZildSandbox, FaultsUseTheSameProblemShape) {
  expect_problem(h().error(http::status::service_unavailable, "injected fault"),
                 http::status::service_unavailable, "503");
  const auto limited = h().rate_limited(7);
  expect_problem(limited, http::status::too_many_requests, "429");
  EXPECT_EQ(limited[http::field::retry_after], "7");
  EXPECT_EQ(h().rate_limited(-1).count(http::field::retry_after), 0u);
}

}  // namespace
}  // namespace cgw::sandbox::zild
