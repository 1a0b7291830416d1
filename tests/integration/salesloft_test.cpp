// The real gateway against the real Salesloft sandbox over loopback: every filter
// (pushed down and local) returns exactly the records the sandbox's data says, in
// order, once each, for several page sizes and every sort key.
#include "adapters/salesloft/sandbox/sandbox.hpp"
#include "adapters/twilio_flex_insights/sandbox/sandbox.hpp"
#include "adapters/twilio_insights_v3/sandbox/sandbox.hpp"
#include "adapters/zild/sandbox/sandbox.hpp"
#include "config/loader.hpp"
#include "gateway/core/time.hpp"
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

namespace cgw::testing {
namespace {

namespace json = boost::json;
using record = json::object;

constexpr std::uint32_t dataset_size = 400;

// An independent reading of a raw Salesloft record, straight from vendors/README.md section 5.
std::optional<std::int64_t> raw_time(const record& r, std::string_view key) {
  auto it = r.find(key);
  if (it == r.end() || !it->value().is_string()) return std::nullopt;
  return parse_vendor_time(it->value().as_string());
}
std::optional<std::string> raw_text(const record& r, std::string_view key) {
  auto it = r.find(key);
  if (it == r.end() || !it->value().is_string()) return std::nullopt;
  return std::string(it->value().as_string());
}
std::optional<std::string> raw_ref(const record& r, std::string_view key) {
  auto it = r.find(key);
  if (it == r.end() || !it->value().is_object()) return std::nullopt;
  return raw_text(it->value().as_object(), "id");
}
std::optional<std::int64_t> raw_started(const record& r) {
  auto s = raw_time(r, "event_start_date");
  return s ? s : raw_time(r, "created_at");
}
std::optional<std::int64_t> raw_duration(const record& r) {
  auto it = r.find("duration");
  return it != r.end() && it->value().is_int64() ? std::optional(it->value().as_int64()) : std::nullopt;
}

class SalesloftEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sandbox::salesloft::options opts;
    opts.records = dataset_size;
    opts.budget_per_minute = 0;  // walks below make many calls; the budget has its own test
    sandbox_ = new sandbox::server(sandbox::salesloft::make_handler(opts));
    sandbox_port_ = sandbox_->start();
    data_ = &sandbox::salesloft::dataset(sandbox_->logic());
    gw_ = new gateway(config_with(vendors_json()));
  }
  static void TearDownTestSuite() {
    delete gw_;
    delete sandbox_;
  }
  static std::string vendors_json(const std::string& token = "sandbox-salesloft-token") {
    return R"({"salesloft": {"type": "salesloft", "base_url": "http://127.0.0.1:)" +
           std::to_string(sandbox_port_) + R"(", "auth": {"bearer_token": ")" + token + R"("}}})";
  }

  // The ids the data says a query must return, in the unified order.
  static std::vector<std::string> expected(
      const std::function<bool(const record&)>& keep,
      const std::function<std::optional<std::int64_t>(const record&)>& key, bool descending) {
    std::vector<std::pair<std::optional<std::int64_t>, std::string>> rows;
    for (const auto& r : *data_)
      if (keep(r)) rows.emplace_back(key(r), "salesloft:" + *raw_text(r, "id"));
    std::sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
      if (a.first.has_value() != b.first.has_value()) return a.first.has_value();
      if (a.first && *a.first != *b.first) return descending ? *a.first > *b.first : *a.first < *b.first;
      return a.second < b.second;
    });
    std::vector<std::string> ids;
    for (auto& r : rows) ids.push_back(r.second);
    return ids;
  }

  static std::vector<std::string> ids_of(const std::vector<record>& records) {
    std::vector<std::string> ids;
    for (const auto& r : records) ids.emplace_back(r.at("id").as_string());
    return ids;
  }

  static inline sandbox::server* sandbox_ = nullptr;
  static inline std::uint16_t sandbox_port_ = 0;
  static inline const std::vector<record>* data_ = nullptr;
  static inline gateway* gw_ = nullptr;
};

TEST_F(SalesloftEndToEnd, DatasetHasTiesAndNulls) {
  std::set<std::int64_t> durations;
  std::size_t null_durations = 0, dup_durations = 0;
  for (const auto& r : *data_) {
    auto d = raw_duration(r);
    if (!d)
      ++null_durations;
    else if (!durations.insert(*d).second)
      ++dup_durations;
  }
  EXPECT_GT(null_durations, 0u);
  EXPECT_GT(dup_durations, 0u);
}

struct sort_case {
  const char* param;
  std::function<std::optional<std::int64_t>(const record&)> key;
  bool descending;
};

TEST_F(SalesloftEndToEnd, EverySortKeyEveryPageSizeExactlyOnce) {
  const std::vector<sort_case> sorts = {
      {"-started_at", raw_started, true},
      {"started_at", raw_started, false},
      {"-created_at", [](const record& r) { return raw_time(r, "created_at"); }, true},
      {"created_at", [](const record& r) { return raw_time(r, "created_at"); }, false},
      {"-updated_at", [](const record& r) { return raw_time(r, "updated_at"); }, true},
      {"updated_at", [](const record& r) { return raw_time(r, "updated_at"); }, false},
      {"-duration_ms", raw_duration, true},
      {"duration_ms", raw_duration, false},
  };
  for (const auto& s : sorts) {
    auto want = expected([](const record&) { return true; }, s.key, s.descending);
    ASSERT_EQ(want.size(), dataset_size);
    for (std::size_t page_size : {37u, 100u, 1000u}) {
      std::size_t pages = 0;
      auto got = ids_of(walk(
          *gw_, "vendor=salesloft&sort=" + std::string(s.param) + "&page_size=" + std::to_string(page_size),
          &pages));
      EXPECT_EQ(got, want) << "sort=" << s.param << " page_size=" << page_size;
      // A keyset walk cannot always tell that a full page was the last one: one empty page may close it.
      EXPECT_GE(pages, (dataset_size + page_size - 1) / page_size);
      EXPECT_LE(pages, (dataset_size + page_size - 1) / page_size + 1)
          << "sort=" << s.param << " page_size=" << page_size;
    }
  }
}

struct filter_case {
  std::string query;
  std::function<bool(const record&)> keep;
};

TEST_F(SalesloftEndToEnd, EveryFilterReturnsExactlyWhatTheDataSays) {
  // Values taken from the data itself, so every filter matches something.
  const record& a = (*data_)[3];
  const record& b = (*data_)[17];
  auto lang = *raw_text(a, "language_code");
  auto platform = *raw_text(a, "platform");
  auto owner = *raw_text(a, "owner_id");
  auto user = *raw_text(b, "user_guid");
  auto title = *raw_text(a, "title");
  auto account = raw_ref(a, "account").value_or("none");
  auto person = raw_ref(b, "person").value_or("none");
  auto mid = *raw_time(a, "created_at");
  auto when = [](std::int64_t t) { return format_rfc3339_us(t); };
  auto duration = raw_duration(a).value_or(60000);
  const std::string id_a = *raw_text(a, "id"), id_b = *raw_text(b, "id");

  std::vector<filter_case> cases = {
      {"created_after=" + when(mid), [&](const record& r) { return *raw_time(r, "created_at") >= mid; }},
      {"created_before=" + when(mid), [&](const record& r) { return *raw_time(r, "created_at") < mid; }},
      {"updated_after=" + when(mid), [&](const record& r) { return *raw_time(r, "updated_at") >= mid; }},
      {"updated_before=" + when(mid), [&](const record& r) { return *raw_time(r, "updated_at") < mid; }},
      {"started_after=" + when(mid), [&](const record& r) { return raw_started(r) >= mid; }},
      {"started_before=" + when(mid),
       [&](const record& r) {
         auto s = raw_started(r);
         return s && *s < mid;
       }},
      {"min_duration_ms=" + std::to_string(duration),
       [&](const record& r) {
         auto d = raw_duration(r);
         return d && *d >= duration;
       }},
      {"max_duration_ms=" + std::to_string(duration),
       [&](const record& r) {
         auto d = raw_duration(r);
         return d && *d <= duration;
       }},
      {"language=" + lang, [&](const record& r) { return raw_text(r, "language_code") == lang; }},
      {"language=" + lang + ",xx-YY", [&](const record& r) { return raw_text(r, "language_code") == lang; }},
      {"language=pt-BR," + lang, [&](const record& r) { return raw_text(r, "language_code") == lang; }},
      {"platform=whatsapp," + platform, [&](const record& r) { return raw_text(r, "platform") == platform; }},
      {"channel=chat,voice,email", [&](const record& r) { return raw_text(r, "media_type") == "audio"; }},
      {"platform=" + platform, [&](const record& r) { return raw_text(r, "platform") == platform; }},
      {"channel=voice", [&](const record& r) { return raw_text(r, "media_type") == "audio"; }},
      {"channel=video,voice", [&](const record& r) { return raw_text(r, "media_type").has_value(); }},
      {"channel=chat", [&](const record&) { return false; }},
      {"owner_id=" + owner, [&](const record& r) { return raw_text(r, "owner_id") == owner; }},
      {"user_id=" + user, [&](const record& r) { return raw_text(r, "user_guid") == user; }},
      {"account_id=" + account, [&](const record& r) { return raw_ref(r, "account") == account; }},
      {"person_id=" + person, [&](const record& r) { return raw_ref(r, "person") == person; }},
      {"title=" + title, [&](const record& r) { return raw_text(r, "title") == title; }},
      {"title_prefix=" + title.substr(0, 4),
       [&](const record& r) {
         auto t = raw_text(r, "title");
         return t && t->starts_with(title.substr(0, 4));
       }},
      {"agent=anyone", [&](const record&) { return false; }},
      {"segment_id=s1", [&](const record&) { return false; }},
      {"language=" + lang + "&min_duration_ms=1000&created_after=" + when(mid - 86400LL * 1'000'000 * 90),
       [&](const record& r) {
         auto d = raw_duration(r);
         return raw_text(r, "language_code") == lang && d && *d >= 1000 &&
                *raw_time(r, "created_at") >= mid - 86400LL * 1'000'000 * 90;
       }},
  };
  for (const auto& c : cases) {
    for (const char* sort : {"-started_at", "created_at"}) {
      bool desc = sort[0] == '-';
      auto key = desc ? std::function(raw_started)
                      : std::function([](const record& r) { return raw_time(r, "created_at"); });
      auto want = expected(c.keep, key, desc);
      std::string q = c.query;
      // Escape '+' in offsets and spaces in titles for the URL.
      std::string escaped;
      for (char ch : q)
        escaped += ch == '+' ? std::string("%2B") : ch == ' ' ? std::string("%20") : std::string(1, ch);
      auto got =
          ids_of(walk(*gw_, "vendor=salesloft&page_size=40&sort=" + std::string(sort) + "&" + escaped));
      EXPECT_EQ(got, want) << c.query << " sort=" << sort;
    }
  }
}

TEST_F(SalesloftEndToEnd, BatchOfIdsComesInRequestOrder) {
  const std::string a = *raw_text((*data_)[3], "id"), b = *raw_text((*data_)[17], "id"),
                    c = *raw_text((*data_)[9], "id");
  auto page = gw_->get("/v1/conversations?vendor=salesloft&id=salesloft:" + b +
                       ",salesloft:nope,salesloft:" + a + ",zild:1,salesloft:" + c + "&page_size=2");
  ASSERT_EQ(page.status, 200u) << page.text;
  EXPECT_EQ(ids_of({page.data()[0].as_object(), page.data()[1].as_object()}),
            (std::vector<std::string>{"salesloft:" + b, "salesloft:" + a}));
  EXPECT_EQ(page.meta().at("vendors").at("salesloft").at("pushed_down"), json::array({"id"}));
  EXPECT_EQ(page.meta().at("vendors").at("salesloft").at("upstream_requests"), 1);
  auto rest = gw_->get("/v1/conversations?vendor=salesloft&id=salesloft:" + b +
                       ",salesloft:nope,salesloft:" + a + ",zild:1,salesloft:" + c +
                       "&page_size=2&cursor=" + std::string(page.meta().at("next_cursor").as_string()));
  ASSERT_EQ(rest.status, 200u) << rest.text;
  ASSERT_EQ(rest.data().size(), 1u);
  EXPECT_EQ(rest.data()[0].at("id").as_string(), "salesloft:" + c);
  EXPECT_TRUE(rest.meta().at("next_cursor").is_null());
}

TEST_F(SalesloftEndToEnd, MetaSaysWhatWentDownAndWhatStayedLocal) {
  auto page = gw_->get(
      "/v1/conversations?vendor=salesloft&language=en-US&started_after=2020-01-01T00:00:00Z&page_size=5");
  ASSERT_EQ(page.status, 200u) << page.text;
  const auto& v = page.meta().at("vendors").at("salesloft").as_object();
  EXPECT_EQ(v.at("status"), "ok");
  EXPECT_EQ(v.at("pushed_down"), json::array({"language"}));
  EXPECT_EQ(v.at("filtered_locally"), json::array({"started_after"}));
  EXPECT_GE(v.at("upstream_requests").as_int64(), 1);
  EXPECT_EQ(page.meta().at("partial"), false);
  EXPECT_FALSE(page.meta().at("next_cursor").is_null());
}

TEST_F(SalesloftEndToEnd, NativeSortCostsOneVendorCallPerPage) {
  auto page = gw_->get("/v1/conversations?vendor=salesloft&sort=-created_at&page_size=50");
  ASSERT_EQ(page.status, 200u);
  EXPECT_EQ(page.meta().at("vendors").at("salesloft").at("upstream_requests"), 1);
  auto next = gw_->get("/v1/conversations?vendor=salesloft&sort=-created_at&page_size=50&cursor=" +
                       std::string(page.meta().at("next_cursor").as_string()));
  ASSERT_EQ(next.status, 200u);
  EXPECT_EQ(next.meta().at("vendors").at("salesloft").at("upstream_requests"), 1);
}

TEST_F(SalesloftEndToEnd, GetByIdMapsTheRecord) {
  const record& a = (*data_)[5];
  auto id = *raw_text(a, "id");
  auto one = gw_->get("/v1/conversations/salesloft:" + id + "?include=raw");
  ASSERT_EQ(one.status, 200u) << one.text;
  EXPECT_EQ(one.body.at("id").as_string(), "salesloft:" + id);
  EXPECT_EQ(one.body.at("native_id").as_string(), id);
  EXPECT_EQ(one.body.at("vendor_type"), "salesloft");
  EXPECT_EQ(one.body.at("raw").as_object(), a);  // the whole native object
  EXPECT_EQ(one.body.at("created_at").as_string(), format_rfc3339_ms(*raw_time(a, "created_at")));
  auto encoded = gw_->get("/v1/conversations/salesloft%3A" + id);
  EXPECT_EQ(encoded.status, 200u);
}

TEST_F(SalesloftEndToEnd, IncludeRawCarriesEachRecordsOwnNativeObject) {
  std::map<std::string, const record*> by_id;
  for (const auto& r : *data_) by_id.emplace(*raw_text(r, "id"), &r);
  auto page = gw_->get("/v1/conversations?vendor=salesloft&sort=-created_at&page_size=50&include=raw");
  ASSERT_EQ(page.status, 200u) << page.text;
  ASSERT_EQ(page.data().size(), 50u);
  for (const auto& c : page.data()) {
    const std::string native(c.at("native_id").as_string());
    ASSERT_TRUE(by_id.contains(native)) << native;
    EXPECT_EQ(c.at("raw").as_object(), *by_id.at(native)) << native;
  }
  auto plain = gw_->get("/v1/conversations?vendor=salesloft&sort=-created_at&page_size=5");
  ASSERT_EQ(plain.status, 200u);
  EXPECT_FALSE(plain.data().at(0).as_object().contains("raw"));
}

TEST_F(SalesloftEndToEnd, ErrorsNameWhatIsWrong) {
  auto missing = gw_->get("/v1/conversations/salesloft:00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(missing.body.at("error").at("code"), "not_found");
  EXPECT_EQ(gw_->get("/v1/conversations/nope:1").status, 404u);
  auto bad_id = gw_->get("/v1/conversations/no-colon");
  EXPECT_EQ(bad_id.status, 400u);
  EXPECT_EQ(bad_id.body.at("error").at("code"), "invalid_id");
  auto bad = gw_->get("/v1/conversations?started_after=yesterday");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(bad.body.at("error").at("parameter"), "started_after");
  EXPECT_FALSE(bad.body.at("error").at("request_id").as_string().empty());
  auto unknown = gw_->get("/v1/conversations?colour=red");
  EXPECT_EQ(unknown.status, 400u);
  EXPECT_EQ(unknown.body.at("error").at("code"), "unknown_parameter");
  EXPECT_EQ(gw_->get("/v1/conversations?vendor=nobody").status, 400u);
  EXPECT_EQ(gw_->get("/v1/nothing").status, 404u);
  EXPECT_EQ(request(gw_->port(), "/v1/conversations", {}, "DELETE").status, 405u);
  auto tampered = gw_->get("/v1/conversations?cursor=AAAA");
  EXPECT_EQ(tampered.status, 400u);
  EXPECT_EQ(tampered.body.at("error").at("code"), "invalid_cursor");
}

TEST_F(SalesloftEndToEnd, CursorIsBoundToItsFilters) {
  auto page = gw_->get("/v1/conversations?vendor=salesloft&language=en-US&page_size=3");
  ASSERT_EQ(page.status, 200u);
  std::string cursor(page.meta().at("next_cursor").as_string());
  auto other = gw_->get("/v1/conversations?vendor=salesloft&language=fr-FR&page_size=3&cursor=" + cursor);
  EXPECT_EQ(other.status, 400u);
  EXPECT_EQ(other.body.at("error").at("code"), "invalid_cursor");
  auto same = gw_->get("/v1/conversations?vendor=salesloft&language=en-us&page_size=9&cursor=" + cursor);
  EXPECT_EQ(same.status, 200u);  // page size may change between pages
}

// Salesloft's language_code takes 17 documented values (pt-BR is not one: any other is a 422). A
// unified value that Insights records can have must not cost a Salesloft call, nor mark the page
// partial: Salesloft answered "nothing" without being asked.
TEST_F(SalesloftEndToEnd, ALanguageSalesloftCannotHaveIsNeverSentAndTheAnswerIsNotPartial) {
  sandbox::twilio_flex_insights::options fl;
  fl.records = 40;
  sandbox::twilio_insights_v3::options in;
  in.records = 200;
  in.requests_per_minute = 0;
  sandbox::zild::options zi;
  zi.records = 10;
  sandbox::server flex(sandbox::twilio_flex_insights::make_handler(fl));
  sandbox::server insights(sandbox::twilio_insights_v3::make_handler(in));
  sandbox::server zild(sandbox::zild::make_handler(zi));
  const auto at = [](std::uint16_t port) { return "\"http://127.0.0.1:" + std::to_string(port) + "\""; };
  const std::string salesloft_entry = vendors_json();
  gateway all(config_with(salesloft_entry.substr(0, salesloft_entry.size() - 1) +
                          R"(, "twilio_flex": {"type": "twilio_flex_insights", "base_url": )" +
                          at(flex.start()) +
                          R"(, "auth": {"username": "ACsandbox", "password": "sandbox-flex-secret"}},
                              "twilio_insights": {"type": "twilio_insights_v3", "base_url": )" +
                          at(insights.start()) +
                          R"(, "auth": {"username": "ACsandbox", "password": "sandbox-insights-secret"}},
                              "zild": {"type": "zild", "base_url": )" +
                          at(zild.start()) + R"(, "auth": {"bearer_token": "sandbox-zild-jwt"}}})"));

  const auto asked_before = sandbox_->requests();
  auto page = all.get("/v1/conversations?language=pt-BR&page_size=50");
  ASSERT_EQ(page.status, 200u) << page.text;
  EXPECT_EQ(page.meta().at("partial"), false) << page.text;
  const auto& sl = page.meta().at("vendors").at("salesloft").as_object();
  EXPECT_EQ(sl.at("status"), "ok") << page.text;
  EXPECT_EQ(sl.at("returned"), 0);
  EXPECT_EQ(sl.at("upstream_requests"), 0);
  EXPECT_NE(std::string(sl.at("note").as_string()).find("pt-BR"), std::string::npos) << sl;
  EXPECT_EQ(sandbox_->requests(), asked_before) << "the Salesloft sandbox was asked";
  EXPECT_EQ(page.meta().at("vendors").at("twilio_insights").at("status"), "ok");
  // The value is real elsewhere: Insights has pt-BR conversations, and only those come back.
  ASSERT_FALSE(page.data().empty()) << page.text;
  for (const auto& c : page.data()) {
    EXPECT_EQ(c.at("vendor"), "twilio_insights");
    EXPECT_EQ(c.at("language"), "pt-BR");
  }
  // Case-insensitive on the way in, the vendor's spelling on the wire: de-ch is Salesloft's de-CH.
  auto swiss = all.get("/v1/conversations?vendor=salesloft&language=de-ch,pt-br&page_size=1000");
  ASSERT_EQ(swiss.status, 200u) << swiss.text;
  const auto want =
      expected([](const record& r) { return raw_text(r, "language_code") == "de-CH"; }, raw_started, true);
  ASSERT_FALSE(want.empty());
  EXPECT_EQ(ids_of([&] {
              std::vector<record> rs;
              for (const auto& c : swiss.data()) rs.push_back(c.as_object());
              return rs;
            }()),
            want);
  EXPECT_EQ(swiss.meta().at("vendors").at("salesloft").at("pushed_down"), json::array({"language"}));
}

// The spec's own example platform: no Salesloft record can be on whatsapp, so Salesloft alone
// answers "nothing", ok, without a request (it used to be a 422 and then a 502).
TEST_F(SalesloftEndToEnd, APlatformSalesloftCannotHaveIsAnEmptyAnswerWithoutARequest) {
  const auto asked_before = sandbox_->requests();
  auto page = gw_->get("/v1/conversations?platform=whatsapp&vendor=salesloft");
  ASSERT_EQ(page.status, 200u) << page.text;
  EXPECT_TRUE(page.data().empty()) << page.text;
  EXPECT_EQ(page.meta().at("partial"), false);
  EXPECT_TRUE(page.meta().at("next_cursor").is_null());
  const auto& sl = page.meta().at("vendors").at("salesloft").as_object();
  EXPECT_EQ(sl.at("status"), "ok") << page.text;
  EXPECT_EQ(sl.at("upstream_requests"), 0);
  EXPECT_NE(std::string(sl.at("note").as_string()).find("whatsapp"), std::string::npos) << sl;
  for (const char* other :
       {"channel=sms,email&vendor=salesloft", "language=ja-JP&vendor=salesloft&sort=-created_at"}) {
    auto none = gw_->get(std::string("/v1/conversations?") + other);
    ASSERT_EQ(none.status, 200u) << other << ": " << none.text;
    EXPECT_TRUE(none.data().empty()) << other;
    EXPECT_EQ(none.meta().at("vendors").at("salesloft").at("status"), "ok") << other;
  }
  EXPECT_EQ(sandbox_->requests(), asked_before) << "the Salesloft sandbox was asked";
  // explain says so, and plans no request.
  auto plan = gw_->get("/v1/conversations?platform=whatsapp&vendor=salesloft&explain=true");
  ASSERT_EQ(plan.status, 200u) << plan.text;
  const auto& requests = plan.body.at("plan").at("vendors").at("salesloft").at("requests").as_object();
  EXPECT_TRUE(requests.contains("skipped")) << plan.text;
  EXPECT_FALSE(requests.contains("target")) << plan.text;
}

// A Salesloft (or a connection out of step) that answers a get with another conversation.
class another_conversation final : public sandbox::handler {
 public:
  another_conversation(std::unique_ptr<sandbox::handler> inner, std::string asked, std::string served)
      : inner_(std::move(inner)), asked_(std::move(asked)), served_(std::move(served)) {}
  sandbox::response handle(const sandbox::request& req) override {
    sandbox::request copy = req;
    if (copy.target() == "/v2/conversations/" + asked_) copy.target("/v2/conversations/" + served_);
    return inner_->handle(copy);
  }
  sandbox::response error(http::status status, std::string_view message) override {
    return inner_->error(status, message);
  }
  sandbox::response rate_limited(std::int32_t s) override { return inner_->rate_limited(s); }

 private:
  std::unique_ptr<sandbox::handler> inner_;
  std::string asked_, served_;
};

TEST_F(SalesloftEndToEnd, AGetAnsweredWithAnotherConversationIsAVendorError) {
  const std::string asked = *raw_text((*data_)[0], "id"), served = *raw_text((*data_)[1], "id");
  sandbox::salesloft::options opts;
  opts.records = dataset_size;
  opts.budget_per_minute = 0;
  sandbox::server lying(
      std::make_unique<another_conversation>(sandbox::salesloft::make_handler(opts), asked, served));
  const std::string port = std::to_string(lying.start());
  gateway gw(config_with(R"({"salesloft": {"type": "salesloft", "base_url": "http://127.0.0.1:)" + port +
                         R"(", "auth": {"bearer_token": "sandbox-salesloft-token"}}})"));
  auto one = gw.get("/v1/conversations/salesloft:" + asked);
  EXPECT_EQ(one.status, 502u) << one.text;
  EXPECT_EQ(one.body.at("error").at("code"), "upstream_error") << one.text;
  EXPECT_NE(std::string(one.body.at("error").at("message").as_string()).find("another conversation"),
            std::string::npos)
      << one.text;
  EXPECT_EQ(one.text.find(served), std::string::npos) << "the other conversation reached the client";
  EXPECT_EQ(gw.get("/v1/conversations/salesloft:" + served).status, 200u);  // unaltered gets still work
}

TEST_F(SalesloftEndToEnd, RequestIdIsEchoed) {
  auto page = gw_->get("/healthz", {{"X-Request-Id", "abc-123"}});
  EXPECT_EQ(page.status, 200u);
  EXPECT_EQ(page.headers["x-request-id"], "abc-123");
  EXPECT_EQ(gw_->get("/readyz").status, 200u);
}

TEST_F(SalesloftEndToEnd, WrongVendorCredentialIsAVendorError) {
  gateway wrong(config_with(vendors_json("not-the-token")));
  auto page = wrong.get("/v1/conversations?vendor=salesloft");
  EXPECT_EQ(page.status, 502u) << page.text;
  EXPECT_EQ(page.meta().at("vendors").at("salesloft").at("error").at("code"), "upstream_unauthorized");
  EXPECT_EQ(page.text.find("not-the-token"), std::string::npos);
}

TEST_F(SalesloftEndToEnd, ClientKeysAndTenants) {
  const std::string key = "client-key-for-tests";
  gateway keyed(
      config_with(vendors_json(),
                  R"([{"name": "dash", "key_sha256": ")" + config::sha256_hex(key) + R"(", "tenant": "t"}])",
                  R"({"t": {"vendors": ["salesloft"]}})"));
  EXPECT_EQ(keyed.get("/v1/conversations?page_size=1").status, 401u);
  EXPECT_EQ(keyed.get("/v1/conversations?page_size=1", {{"Authorization", "Bearer wrong"}}).status, 401u);
  EXPECT_EQ(keyed.get("/v1/conversations?page_size=1", {{"Authorization", "Bearer " + key}}).status, 200u);
  EXPECT_EQ(keyed.get("/v1/conversations?page_size=1", {{"X-API-Key", key}}).status, 200u);
  EXPECT_EQ(keyed.get("/healthz").status, 200u);  // no key needed
  auto vendors = keyed.get("/v1/vendors", {{"X-API-Key", key}});
  ASSERT_EQ(vendors.status, 200u);
  EXPECT_EQ(vendors.data().size(), 1u);
  EXPECT_EQ(vendors.data()[0].at("name"), "salesloft");
  EXPECT_EQ(vendors.text.find("sandbox-salesloft-token"), std::string::npos);
}

}  // namespace
}  // namespace cgw::testing
