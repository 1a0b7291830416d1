// The real gateway against the real Zild sandbox over loopback: every record maps field by
// field as vendors/README.md section 5 says (the expectation is computed here, independently
// of the adapter), bad ids never reach the vendor, list fan-out reports Zild as unsupported
// without a call, and vendor failures become 502 / 504.
#include "adapters/zild/sandbox/sandbox.hpp"
#include "gateway/core/time.hpp"
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <regex>
#include <set>

namespace cgw::testing {
namespace {

namespace json = boost::json;
using record = json::object;
using namespace std::chrono_literals;

constexpr std::uint32_t dataset_size = 60;

// --- an independent reading of a raw Zild record ------------------------------------------

bool offset_less(std::string_view t) {
  return t.size() >= 19 && t.find_first_not_of("0123456789.", 19) == std::string_view::npos;
}

// A timestamp as the gateway must print it. Offset-less ones are UTC, so the answer is the
// same wall-clock text cut to milliseconds; only those with an offset need arithmetic.
json::value utc_ms(const json::value& v) {
  if (!v.is_string()) return nullptr;
  const std::string s(v.as_string());
  if (offset_less(s)) {
    const std::string fraction = s.size() > 20 ? s.substr(20) : "";
    return json::value(s.substr(0, 19) + "." + (fraction + "000").substr(0, 3) + "Z");
  }
  auto t = parse_rfc3339(s);
  return t ? json::value(format_rfc3339_ms(*t)) : json::value(nullptr);
}

// The TimeSpan forms the sandbox writes, read with a regex rather than the adapter's parser.
json::value span_ms(const json::value& v) {
  static const std::regex form(R"(^(?:(\d+)[.:])?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$)");
  if (!v.is_string()) return nullptr;
  const std::string s(v.as_string());
  std::smatch m;
  if (!std::regex_match(s, m, form)) return nullptr;
  const std::int64_t days = m[1].matched ? std::stoll(m[1]) : 0;
  const std::int64_t ms = ((days * 24 + std::stoll(m[2])) * 60 + std::stoll(m[3])) * 60'000 +
                          std::stoll(m[4]) * 1000 +
                          (m[5].matched ? std::stoll((m[5].str() + "00").substr(0, 3)) : 0);
  return ms;
}

json::value text_or_null(const json::value& v) {
  return v.is_string() ? v : json::value(nullptr);
}

json::object expected_conversation(const record& r) {
  const std::string id = std::to_string(r.at("id").as_int64());
  json::object c;
  c["id"] = "zild:" + id;
  c["vendor"] = "zild";
  c["vendor_type"] = "zild";
  c["native_id"] = id;
  c["account_id"] = std::to_string(r.at("tenantId").as_int64());
  c["title"] = text_or_null(r.at("contactName"));
  c["channel"] = nullptr;
  c["platform"] = nullptr;
  c["language"] = nullptr;
  c["started_at"] = utc_ms(r.at("createdAt"));
  c["ended_at"] = utc_ms(r.at("finishedAt"));
  c["created_at"] = utc_ms(r.at("createdAt"));
  c["updated_at"] = utc_ms(r.at("lastConversationUpdateTime"));
  c["duration_ms"] = span_ms(r.at("duration"));
  json::array agents;
  const std::int64_t agent_id = r.at("agentId").as_int64();
  if (agent_id > 0 || r.at("userName").is_string())
    agents.push_back(
        json::object{{"id", agent_id > 0 ? json::value(std::to_string(agent_id)) : json::value(nullptr)},
                     {"name", text_or_null(r.at("userName"))}});
  c["agents"] = std::move(agents);
  c["segments"] = json::array();
  json::array messages;
  if (r.at("messages").is_array())
    for (const auto& mv : r.at("messages").as_array()) {
      const auto& m = mv.as_object();
      messages.push_back(
          json::object{{"id", std::to_string(m.at("id").as_int64())},
                       {"sent_at", utc_ms(m.at("createdAt"))},
                       {"from", m.at("from")},
                       {"to", m.at("to")},
                       {"content", m.at("content")},
                       {"sentiment", text_or_null(m.at("sentiment"))},
                       // the enum integer as its decimal text (no labels are published)
                       {"type", m.contains("messageType") && m.at("messageType").is_int64()
                                    ? json::value(std::to_string(m.at("messageType").as_int64()))
                                    : json::value(nullptr)}});
    }
  c["messages"] = std::move(messages);
  c["sentiment"] = text_or_null(r.at("overallSentiment"));
  c["summary"] = text_or_null(r.at("conversationSummary"));
  json::array tags;
  if (r.at("tags").is_array())
    for (const auto& t : r.at("tags").as_array()) {
      const auto& name = t.at("name");
      if (name.is_string() && std::find(tags.begin(), tags.end(), name) == tags.end()) tags.push_back(name);
    }
  c["tags"] = std::move(tags);
  c["score"] = static_cast<double>(r.at("finalScore").as_int64());
  c["status"] = r.at("active").as_bool()        ? json::value("active")
                : !r.at("finishedAt").is_null() ? json::value("finished")
                : !r.at("queuedAt").is_null()   ? json::value("queued")
                                                : json::value(nullptr);
  json::object links;
  if (r.at("fileUrl").is_string() && r.at("fileUrl").as_string().starts_with("https://"))
    links["recording"] = r.at("fileUrl");
  c["links"] = std::move(links);
  return c;
}

class ZildEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sandbox::zild::options opts;
    opts.records = dataset_size;
    sandbox_ = new sandbox::server(sandbox::zild::make_handler(opts));
    sandbox_port_ = sandbox_->start();
    data_ = &sandbox::zild::dataset(sandbox_->logic());
    gw_ = new gateway(config_with(vendors_json()));
  }
  static void TearDownTestSuite() {
    delete gw_;
    delete sandbox_;
  }
  void TearDown() override { sandbox_->set_faults({}); }

  static std::string vendors_json(const std::string& token = "sandbox-zild-jwt") {
    return R"({"zild": {"type": "zild", "base_url": "http://127.0.0.1:)" + std::to_string(sandbox_port_) +
           R"(", "auth": {"bearer_token": ")" + token + R"("}}})";
  }
  static std::string id_of(const record& r) { return std::to_string(r.at("id").as_int64()); }
  static const record& first_where(const std::function<bool(const record&)>& pred) {
    for (const auto& r : *data_)
      if (pred(r)) return r;
    throw std::logic_error("the sandbox data has no such record");
  }

  static inline sandbox::server* sandbox_ = nullptr;
  static inline std::uint16_t sandbox_port_ = 0;
  static inline const std::vector<record>* data_ = nullptr;
  static inline gateway* gw_ = nullptr;
};

TEST_F(ZildEndToEnd, EveryRecordMapsFieldByField) {
  for (const auto& r : *data_) {
    const std::string id = id_of(r);
    auto one = gw_->get("/v1/conversations/zild:" + id + "?include=raw");
    ASSERT_EQ(one.status, 200u) << id << ": " << one.text;
    json::object got = one.body.as_object();
    EXPECT_EQ(got.at("raw"), r) << id;  // the whole native object
    got.erase("raw");
    const json::object want = expected_conversation(r);
    for (const auto& [key, value] : want) {
      const json::value* have = got.if_contains(key);
      ASSERT_NE(have, nullptr) << id << " lacks " << key;
      EXPECT_EQ(*have, value) << id << " field " << key;
    }
    EXPECT_EQ(got.size(), want.size()) << id;  // and no field beyond the spec's
  }
  auto plain = gw_->get("/v1/conversations/zild:" + id_of((*data_)[0]));
  ASSERT_EQ(plain.status, 200u);
  EXPECT_FALSE(plain.body.as_object().contains("raw"));
}

TEST_F(ZildEndToEnd, TimeSpansAndOffsetLessTimestamps) {
  const std::vector<std::pair<std::string, json::value>> spans = {
      {"1.02:03:04", 93'784'000}, {"00:04:12.5000000", 252'500}, {"00:00:07.25", 7'250}, {"00:00:00", 0}};
  for (const auto& [form, ms] : spans) {
    const std::string& text = form;  // clang 14 cannot capture a structured binding
    const record& r = first_where([&](const record& x) { return x.at("duration") == json::value(text); });
    auto one = gw_->get("/v1/conversations/zild:" + id_of(r));
    ASSERT_EQ(one.status, 200u) << form;
    EXPECT_EQ(one.body.at("duration_ms"), ms) << form;
  }
  const record& no_span = first_where([](const record& x) { return x.at("duration").is_null(); });
  EXPECT_TRUE(gw_->get("/v1/conversations/zild:" + id_of(no_span)).body.at("duration_ms").is_null());

  // Seven fraction digits, no offset: UTC, cut to milliseconds.
  const record& precise =
      first_where([](const record& x) { return x.at("createdAt").as_string().size() == 27; });
  const std::string created(precise.at("createdAt").as_string());
  auto one = gw_->get("/v1/conversations/zild:" + id_of(precise));
  EXPECT_EQ(one.body.at("created_at").as_string(), created.substr(0, 23) + "Z") << created;
  // A whole second, no offset.
  const record& whole =
      first_where([](const record& x) { return x.at("createdAt").as_string().size() == 19; });
  EXPECT_EQ(gw_->get("/v1/conversations/zild:" + id_of(whole)).body.at("started_at").as_string(),
            std::string(whole.at("createdAt").as_string()) + ".000Z");

  // A message written in São Paulo time (-03:00) comes out three hours later, in UTC.
  const record& local = first_where([](const record& x) {
    if (!x.at("messages").is_array()) return false;
    for (const auto& m : x.at("messages").as_array())
      if (m.at("createdAt").as_string().ends_with("-03:00")) return true;
    return false;
  });
  auto with_local = gw_->get("/v1/conversations/zild:" + id_of(local));
  ASSERT_EQ(with_local.status, 200u);
  const auto& raw_messages = local.at("messages").as_array();
  for (std::size_t i = 0; i < raw_messages.size(); ++i) {
    const std::string raw_at(raw_messages[i].at("createdAt").as_string());
    if (!raw_at.ends_with("-03:00")) continue;
    const std::string sent_at(with_local.body.at("messages").at(i).at("sent_at").as_string());
    EXPECT_EQ(std::stoi(sent_at.substr(11, 2)), (std::stoi(raw_at.substr(11, 2)) + 3) % 24)
        << raw_at << " -> " << sent_at;
    EXPECT_EQ(sent_at.substr(13, 6), raw_at.substr(13, 6)) << raw_at << " -> " << sent_at;
  }
}

TEST_F(ZildEndToEnd, UnknownIdIsNotFoundAfterOneVendorCall) {
  const auto before = sandbox_->requests();
  auto missing = gw_->get("/v1/conversations/zild:2147483647");
  EXPECT_EQ(missing.status, 404u) << missing.text;
  EXPECT_EQ(missing.body.at("error").at("code"), "not_found");
  EXPECT_EQ(sandbox_->requests(), before + 1);
}

TEST_F(ZildEndToEnd, IdsThatAreNotInt32AreRefusedWithoutAVendorCall) {
  const auto before = sandbox_->requests();
  for (const std::string native :
       {"abc", "99999999999", "2147483648", "%2B5", "007", "-0", "1.5", "%201", "1e3"}) {
    auto bad = gw_->get("/v1/conversations/zild:" + native);
    EXPECT_EQ(bad.status, 400u) << native << ": " << bad.text;
    EXPECT_EQ(bad.body.at("error").at("code"), "invalid_id") << native;
    const json::value* parameter = bad.body.at("error").as_object().if_contains("parameter");
    EXPECT_TRUE(parameter && *parameter == "id") << native;
  }
  EXPECT_EQ(sandbox_->requests(), before);
}

TEST_F(ZildEndToEnd, ListFanOutSaysUnsupportedWithoutAVendorCall) {
  const auto before = sandbox_->requests();
  for (const std::string query : {"vendor=zild", "", "vendor=zild&title=x&sort=created_at",
                                  "vendor=zild&started_after=2024-01-01T00:00:00Z&page_size=5"}) {
    auto page = gw_->get("/v1/conversations?" + query);
    ASSERT_EQ(page.status, 200u) << query << ": " << page.text;
    EXPECT_TRUE(page.data().empty()) << query;
    const auto& zild = page.meta().at("vendors").at("zild").as_object();
    EXPECT_EQ(zild.at("status"), "unsupported") << query;
    EXPECT_EQ(zild.at("reason"), "the vendor has no list endpoint") << query;
    EXPECT_EQ(page.meta().at("partial"), false) << query;
    EXPECT_TRUE(page.meta().at("next_cursor").is_null()) << query;
  }
  EXPECT_EQ(sandbox_->requests(), before);

  auto vendors = gw_->get("/v1/vendors");
  ASSERT_EQ(vendors.status, 200u);
  const auto& v = vendors.data().at(0).as_object();
  EXPECT_EQ(v.at("type"), "zild");
  EXPECT_EQ(v.at("can_list"), false);
  EXPECT_EQ(v.at("can_get"), true);
  EXPECT_TRUE(v.at("pushdown_filters").as_array().empty());
  EXPECT_EQ(vendors.text.find("sandbox-zild-jwt"), std::string::npos);
}

// Batch by ids: Zild takes part through one get per id; ids it cannot hold cost no call.
TEST_F(ZildEndToEnd, BatchByIdsGetsEachValidId) {
  const record& a = (*data_)[3];
  const record& b = (*data_)[11];
  const auto before = sandbox_->requests();
  auto page = gw_->get("/v1/conversations?id=zild:" + id_of(b) + ",zild:abc,zild:" + id_of(a) +
                       ",zild:2147483647,zild:99999999999&include=raw");
  ASSERT_EQ(page.status, 200u) << page.text;
  EXPECT_EQ(sandbox_->requests(),
            before + 3);  // two records and one unknown id; abc and 99999999999 never sent
  std::set<std::string> ids;
  for (const auto& c : page.data()) {
    ids.emplace(c.at("id").as_string());
    const record& raw = c.at("id") == json::value("zild:" + id_of(a)) ? a : b;
    EXPECT_EQ(c.at("raw"), raw);
  }
  EXPECT_EQ(ids, (std::set<std::string>{"zild:" + id_of(a), "zild:" + id_of(b)}));
  EXPECT_EQ(page.meta().at("vendors").at("zild").at("status"), "ok");
  EXPECT_EQ(page.meta().at("partial"), false);
}

// Vendor failures, each against a fresh gateway so one test's vendor health cannot color another's.
TEST_F(ZildEndToEnd, VendorErrorsAreBadGateway) {
  gateway gw(config_with(vendors_json()));
  const std::string target = "/v1/conversations/zild:" + id_of((*data_)[1]);
  sandbox_->set_faults({.error_status = 503, .error_count = 1});
  EXPECT_EQ(gw.get(target).status, 200u);  // one 503 is retried
  sandbox_->set_faults({.error_status = 503});
  const auto before = sandbox_->requests();
  auto unavailable = gw.get(target);
  EXPECT_EQ(unavailable.status, 502u) << unavailable.text;
  EXPECT_EQ(unavailable.body.at("error").at("code"), "upstream_error");
  EXPECT_NE(unavailable.body.at("error").at("message").as_string().find("503"), std::string_view::npos);
  EXPECT_EQ(sandbox_->requests(), before + 3);  // retry.max_attempts
  sandbox_->set_faults({});
  EXPECT_EQ(gw.get(target).status, 200u);

  sandbox_->set_faults({.body = sandbox::fault_menu::body_fault::malformed, .body_fault_count = 1});
  auto malformed = gw.get(target);
  EXPECT_EQ(malformed.status, 502u) << malformed.text;
  EXPECT_EQ(malformed.body.at("error").at("code"), "upstream_error");

  gateway wrong(config_with(vendors_json("not-the-jwt")));
  auto refused = wrong.get(target);
  EXPECT_EQ(refused.status, 502u) << refused.text;
  EXPECT_EQ(refused.body.at("error").at("code"), "upstream_error");
  EXPECT_EQ(refused.text.find("not-the-jwt"), std::string::npos);
}

TEST_F(ZildEndToEnd, AHangingVendorIsAGatewayTimeoutWithinTheBound) {
  gateway gw(config_with(vendors_json()));
  sandbox_->set_faults({.body = sandbox::fault_menu::body_fault::hang, .body_fault_count = 1});
  const auto t0 = std::chrono::steady_clock::now();
  auto hung = gw.get("/v1/conversations/zild:" + id_of((*data_)[2]), {{"X-Request-Timeout-Ms", "300"}});
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(hung.status, 504u) << hung.text;
  EXPECT_EQ(hung.body.at("error").at("code"), "deadline_exceeded");
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 1500ms);
}

}  // namespace
}  // namespace cgw::testing
