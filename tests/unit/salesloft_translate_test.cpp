#include "adapters/salesloft/translate.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>

namespace cgw::adapters::salesloft {
namespace {

namespace json = boost::json;

const char* full_record = R"({
  "id": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "duration": 754000, "is_api": true, "platform": "zoom",
  "media_type": "video", "organization_id": "org-1", "title": "Discovery call", "owner_id": "owner-1",
  "user_guid": "user-1", "started_recording_at": 0, "event_end_date": "2025-02-13T22:24:31.792Z",
  "event_start_date": "2025-02-13T22:11:57.792Z", "language_code": "en-US",
  "created_at": "2025-02-13T22:30:00.000Z", "updated_at": "2025-02-14T08:00:00.5+01:00", "call_id": "c1",
  "account": {"id": "acc-1", "_href": "https://api.salesloft.com/v2/accounts/acc-1"},
  "person": {"id": "per-1", "_href": "https://api.salesloft.com/v2/people/per-1"},
  "recording": {"id": "rec-1", "_href": "https://api.salesloft.com/v2/recordings/rec-1"},
  "transcription": {"id": "tr-1", "_href": "https://api.salesloft.com/v2/transcriptions/tr-1"},
  "transcription_sentences": null, "transcription_artifact": null
})";

TEST(SalesloftMapping, FullRecordFieldByField) {
  // Read as the get endpoint answers it, so that raw is attached too.
  auto c = read_one(json::parse("{\"data\": " + std::string(full_record) + "}"), "salesloft",
                    "3fa85f64-5717-4562-b3fc-2c963f66afa6");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->id, "salesloft:3fa85f64-5717-4562-b3fc-2c963f66afa6");
  EXPECT_EQ(c->vendor_type, "salesloft");
  EXPECT_EQ(c->account_id, "acc-1");
  EXPECT_EQ(c->title, "Discovery call");
  EXPECT_EQ(c->channel, "video");
  EXPECT_EQ(c->platform, "zoom");
  EXPECT_EQ(c->language, "en-US");
  EXPECT_EQ(format_rfc3339_ms(*c->started_at), "2025-02-13T22:11:57.792Z");
  EXPECT_EQ(format_rfc3339_ms(*c->ended_at), "2025-02-13T22:24:31.792Z");
  EXPECT_EQ(format_rfc3339_ms(*c->created_at), "2025-02-13T22:30:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(*c->updated_at), "2025-02-14T07:00:00.500Z");
  EXPECT_EQ(c->duration_ms, 754000);
  ASSERT_EQ(c->agents.size(), 1u);
  EXPECT_EQ(c->agents[0].id, "owner-1");
  EXPECT_FALSE(c->agents[0].name.has_value());
  EXPECT_EQ(c->owner_id, "owner-1");
  EXPECT_EQ(c->user_id, "user-1");
  EXPECT_EQ(c->person_id, "per-1");
  ASSERT_EQ(c->links.size(), 2u);
  EXPECT_EQ(c->links[0], (std::pair<std::string, std::string>{
                             "recording", "https://api.salesloft.com/v2/recordings/rec-1"}));
  EXPECT_EQ(c->links[1].first, "transcript");
  ASSERT_TRUE(c->raw);
  EXPECT_EQ(json::value(*c->raw), json::parse(full_record));  // the whole native object
}

TEST(SalesloftMapping, NullsAndFallbacks) {
  auto c = to_conversation(json::parse(R"({"id": 42, "duration": null, "media_type": "audio", "title": null,
      "event_start_date": null, "created_at": "2025-01-01T00:00:00Z", "account": null, "owner_id": null})"),
                           "sl2");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->id, "sl2:42");
  EXPECT_EQ(c->channel, "voice");
  EXPECT_EQ(c->started_at, c->created_at);  // event_start_date missing: created_at stands in
  EXPECT_FALSE(c->duration_ms || c->title || c->account_id);
  EXPECT_TRUE(c->agents.empty());
}

TEST(SalesloftMapping, RefusesRecordsWithoutIdAndBadEnvelopes) {
  EXPECT_FALSE(to_conversation(json::parse(R"({"title": "x"})"), "s"));
  EXPECT_FALSE(to_conversation(json::parse(R"([1])"), "s"));
  EXPECT_FALSE(read_page(json::parse(R"({"items": []})"), "s"));
  EXPECT_FALSE(read_page(json::parse(R"([])"), "s"));
}

TEST(SalesloftPage, ReadsPaging) {
  auto page = read_page(json::parse(R"({"data": [{"id": "a"}, {"id": "b"}],
      "metadata": {"paging": {"per_page": 2, "current_page": 1, "next_page": 2, "prev_page": null}}})"),
                        "s");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->records.size(), 2u);
  EXPECT_EQ(*page->records[1].raw, (json::object{{"id", "b"}}));  // each record keeps its own native object
  EXPECT_EQ(page->next, "2");
  auto last = read_page(json::parse(R"({"data": [], "metadata": {"paging": {"next_page": null}}})"), "s");
  ASSERT_TRUE(last);
  EXPECT_FALSE(last->next.has_value());
}

// The decoded query parameters of a target, in order.
std::vector<std::pair<std::string, std::string>> params_of(const std::string& target) {
  std::vector<std::pair<std::string, std::string>> out;
  auto u = boost::urls::parse_origin_form(target);
  EXPECT_TRUE(u) << target;
  for (auto p : u->params()) out.emplace_back(p.key, p.value);
  return out;
}

struct pushdown_case {
  const char* unified;
  std::vector<std::pair<std::string, std::string>> wire;  // expected parameters besides per_page and page
};

class SalesloftPushdown : public ::testing::TestWithParam<pushdown_case> {};

TEST_P(SalesloftPushdown, SendsTheVendorsTerms) {
  auto q = parse_list_query(GetParam().unified);
  ASSERT_TRUE(q) << q.error().message;
  adapter::page_ask ask{*q, false, std::nullopt, {}, 25};
  auto params = params_of(list_target(ask, "", "salesloft"));
  ASSERT_GE(params.size(), 2u);
  EXPECT_EQ(params[params.size() - 2], (std::pair<std::string, std::string>{"per_page", "25"}));
  EXPECT_EQ(params.back(), (std::pair<std::string, std::string>{"page", "1"}));
  params.resize(params.size() - 2);
  EXPECT_EQ(params, GetParam().wire);
}

INSTANTIATE_TEST_SUITE_P(
    Table, SalesloftPushdown,
    ::testing::Values(
        pushdown_case{"created_after=2025-01-01T00:00:00Z&created_before=2025-02-01T01:00:00%2B01:00",
                      {{"created_at[gte]", "2025-01-01T00:00:00.000000Z"},
                       {"created_at[lt]", "2025-02-01T00:00:00.000000Z"}}},
        pushdown_case{"updated_after=2025-01-01T00:00:00.123456Z",
                      {{"updated_at[gte]", "2025-01-01T00:00:00.123456Z"}}},
        pushdown_case{"min_duration_ms=1000&max_duration_ms=2000",
                      {{"duration[gte]", "1000"}, {"duration[lte]", "2000"}}},
        pushdown_case{"language=en-us", {{"language_code", "en-US"}}},
        pushdown_case{"language=en-US,fr-FR", {}},  // one value only: the rest is local
        pushdown_case{"platform=Zoom", {{"platform", "zoom"}}},
        pushdown_case{"channel=voice", {{"media_type", "audio"}}},
        pushdown_case{"channel=video", {{"media_type", "video"}}}, pushdown_case{"channel=chat", {}},
        // Value domains: only values Salesloft documents go down, in its spelling.
        pushdown_case{"language=pt-BR,fr-fr", {{"language_code", "fr-FR"}}},
        pushdown_case{"language=EN-ab", {{"language_code", "en-AB"}}},
        pushdown_case{"language=de-ch,xx-YY,pt-BR", {{"language_code", "de-CH"}}},
        pushdown_case{"platform=whatsapp,ms_teams", {{"platform", "ms_teams"}}},
        pushdown_case{"platform=zoom,webex", {}},  // two documented values: one parameter cannot say both
        pushdown_case{"channel=chat,voice,sms", {{"media_type", "audio"}}},
        pushdown_case{"channel=voice,video",
                      {}},  // every media_type: only the null ones are left out, locally
        // Never on the wire, even if a target were built (the adapter makes no call for these).
        pushdown_case{"language=pt-BR", {}}, pushdown_case{"platform=whatsapp", {}},
        pushdown_case{"channel=other", {}},
        pushdown_case{"account_id=a,b&owner_id=o&user_id=u&person_id=p",
                      {{"account_ids[]", "a"},
                       {"account_ids[]", "b"},
                       {"owner_ids[]", "o"},
                       {"user_guids[]", "u"},
                       {"person_ids[]", "p"}}},
        pushdown_case{"title=Hello%20there&title_prefix=Hel",
                      {{"title", "Hello there"}, {"title[_starts_with]", "Hel"}}},
        pushdown_case{"agent=x&segment_id=s&started_after=2025-01-01T00:00:00Z", {}}));

TEST(SalesloftPushdown, IdsGoDownAsThisInstancesNativeIds) {
  auto q = parse_list_query("id=salesloft:a,zild:7,salesloft:b%2Fc");
  ASSERT_TRUE(q);
  EXPECT_TRUE(pushed_down(*q).test(static_cast<std::size_t>(filter::id)));
  adapter::page_ask ask{*q, false, std::nullopt, {}, 25};
  auto params = params_of(list_target(ask, "", "salesloft"));
  EXPECT_EQ(params[0], (std::pair<std::string, std::string>{"ids[]", "a"}));
  EXPECT_EQ(params[1], (std::pair<std::string, std::string>{"ids[]", "b/c"}));
  EXPECT_EQ(params[2].first, "per_page");
}

TEST(SalesloftKeyset, BoundMergesWithTheUsersRange) {
  auto q = parse_list_query("sort=created_at&created_after=2025-01-01T00:00:00Z");
  ASSERT_TRUE(q);
  adapter::page_ask ask{*q, true, *parse_rfc3339("2025-03-01T00:00:00Z"), "3", 51};
  auto params = params_of(list_target(ask, "/base", "salesloft"));
  EXPECT_EQ(params, (std::vector<std::pair<std::string, std::string>>{
                        {"created_at[gte]", "2025-03-01T00:00:00.000000Z"},
                        {"sort_by", "created_at"},
                        {"sort_direction", "asc"},
                        {"per_page", "51"},
                        {"page", "3"}}));
  auto desc = parse_list_query("sort=-duration_ms&max_duration_ms=100");
  adapter::page_ask ask2{*desc, true, 500, {}, 10};
  auto p2 = params_of(list_target(ask2, "", "salesloft"));
  EXPECT_EQ(p2[0], (std::pair<std::string, std::string>{"duration[lte]", "100"}));  // the tighter bound wins
  EXPECT_EQ(p2[1], (std::pair<std::string, std::string>{"sort_by", "duration"}));
  EXPECT_EQ(list_target(ask2, "/api", "salesloft").rfind("/api/v2/conversations?", 0), 0u);
}

TEST(SalesloftGet, EncodesTheId) {
  EXPECT_EQ(get_target("a/b c", ""), "/v2/conversations/a%2Fb%20c");
}

TEST(SalesloftGet, RefusesAnotherRecordThanTheOneAsked) {
  const json::value body = json::parse(R"({"data": {"id": "b-id", "title": "someone else's"}})");
  auto other = read_one(body, "salesloft", "a-id");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, errc::upstream_error);
  EXPECT_NE(other.error().message.find("another conversation"), std::string::npos) << other.error().message;
  auto same = read_one(body, "salesloft", "b-id");
  ASSERT_TRUE(same) << same.error().message;
  EXPECT_EQ(same->id, "salesloft:b-id");
  EXPECT_FALSE(read_one(body, "salesloft", "B-ID"));  // one conversation, one spelling of its id
}

struct domain_case {
  const char* unified;
  const char* note_part;  // nullptr: the vendor must be asked
};

class SalesloftValueDomains : public ::testing::TestWithParam<domain_case> {};

TEST_P(SalesloftValueDomains, AValueTheVendorCannotHaveIsNeverAsked) {
  auto q = parse_list_query(GetParam().unified);
  ASSERT_TRUE(q) << q.error().message;
  const auto none = nothing_matches(*q);
  if (!GetParam().note_part) {
    EXPECT_FALSE(none.has_value()) << *none;
    return;
  }
  ASSERT_TRUE(none.has_value());
  EXPECT_NE(none->find(GetParam().note_part), std::string::npos) << *none;
  // The filter counts as answered by the vendor: nothing is left for the gateway to filter.
  const filter_set set = q->filters();
  EXPECT_EQ(pushed_down(*q) & set, set & ~filter_set().set(static_cast<std::size_t>(filter::started_after)));
}

INSTANTIATE_TEST_SUITE_P(
    Table, SalesloftValueDomains,
    ::testing::Values(domain_case{"language=pt-BR", "language pt-BR"},
                      domain_case{"language=pt-BR,xx-yy", "language pt-BR, xx-YY"},
                      domain_case{"language=pt-br,EN-us", nullptr}, domain_case{"language=en-WL", nullptr},
                      domain_case{"platform=whatsapp", "platform whatsapp"},
                      domain_case{"platform=WhatsApp,zoom", nullptr},
                      domain_case{"channel=chat,sms,email,other", "channel chat, sms, email, other"},
                      domain_case{"channel=chat,video", nullptr},
                      domain_case{"platform=whatsapp&started_after=2025-01-01T00:00:00Z",
                                  "platform whatsapp"},
                      domain_case{"started_after=2025-01-01T00:00:00Z", nullptr}));

TEST(SalesloftValueDomains, NamesTheVendorParameterOfTheMissingValue) {
  auto q = parse_list_query("language=pt-BR");
  ASSERT_TRUE(q);
  EXPECT_NE(nothing_matches(*q)->find("language_code"), std::string::npos);
  auto values = vendor_values_of(*parse_list_query("language=fr-ca,pt-BR&platform=Zoom&channel=voice,chat"));
  EXPECT_EQ(values.language_codes, std::vector<std::string>{"fr-CA"});
  EXPECT_EQ(values.platforms, std::vector<std::string>{"zoom"});
  EXPECT_EQ(values.media_types, std::vector<std::string>{"audio"});
}

}  // namespace
}  // namespace cgw::adapters::salesloft

namespace cgw::adapters::salesloft {
namespace {

stats_query stats_of(const std::string& query) {
  auto q = parse_stats_query(query);
  EXPECT_TRUE(q) << query << ": " << (q ? "" : q.error().message);
  return q ? *q : stats_query{};
}

TEST(SalesloftCounts, OneCallPerValueAndAnAnyCellForTheNullGroup) {
  auto plan = plan_counts(stats_of("group_by=channel,platform&created_after=2024-06-01T00:00:00Z"), "", "sl");
  ASSERT_TRUE(std::holds_alternative<counts_plan>(plan)) << std::get<std::string>(plan);
  const auto& p = std::get<counts_plan>(plan);
  EXPECT_EQ(p.cells.size(), 3u * 12u);  // (audio, video, any) x (11 platforms, any)
  ASSERT_TRUE(p.total_cell);
  EXPECT_EQ(p.cells[*p.total_cell].target, p.probe_target);
  for (const auto& cell : p.cells) {
    EXPECT_NE(cell.target.find("per_page=1"), std::string::npos) << cell.target;
    EXPECT_NE(cell.target.find("include_paging_counts=true"), std::string::npos) << cell.target;
    EXPECT_NE(cell.target.find("created_at%5Bgte%5D=2024-06-01T00:00:00.000000Z"), std::string::npos)
        << cell.target;
  }
  EXPECT_NE(p.cells[0].target.find("media_type=audio"), std::string::npos);
  EXPECT_NE(p.cells[0].target.find("platform=bluejeans"), std::string::npos);
}

TEST(SalesloftCounts, WhatCannotBeCountedSaysWhy) {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"measures=count,duration_ms.sum", "duration"},
      {"group_by=started_at:day", "started_at"},
      {"group_by=created_at:day&created_after=2024-06-01T00:00:00Z", "bounds"},
      {"group_by=vendor&platform=zoom,webex", "platform"},  // two values: filtered by the gateway
      {"group_by=created_at:hour&created_after=2024-01-01T00:00:00Z&created_before=2024-03-01T00:00:00Z",
       "too many"},
  };
  for (const auto& [query, why] : table) {
    auto plan = plan_counts(stats_of(query), "", "sl");
    ASSERT_TRUE(std::holds_alternative<std::string>(plan)) << query;
    EXPECT_NE(std::get<std::string>(plan).find(why), std::string::npos)
        << query << ": " << std::get<std::string>(plan);
  }
  // Grouped by the filtered field, each call carries one of its values: countable.
  auto grouped = plan_counts(stats_of("group_by=platform&platform=zoom,webex"), "", "sl");
  ASSERT_TRUE(std::holds_alternative<counts_plan>(grouped));
  EXPECT_EQ(std::get<counts_plan>(grouped).cells.size(), 2u);  // no "any": the filter excludes nulls
}

TEST(SalesloftCounts, NullGroupsBySubtraction) {
  // Two grouped fields of one value each, plus "any": the four cells (v,v) (v,any) (any,v) (any,any).
  auto planned =
      plan_counts(stats_of("group_by=channel,language&channel=voice&language=en-US,fr-FR"), "", "sl");
  ASSERT_TRUE(std::holds_alternative<counts_plan>(planned));
  counts_plan p = std::get<counts_plan>(planned);
  ASSERT_EQ(p.cells.size(), 2u);  // voice x (en-US, fr-FR): both filters exclude nulls
  // A plan with "any" on both fields, built by hand: labels {a, any} x {x, any}.
  counts_plan two;
  two.labels = {{"a", std::nullopt}, {"x", std::nullopt}};
  two.any = {true, true};
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 2; ++j) two.cells.push_back({{i, j}, ""});
  // counts: (a,x)=3 (a,any)=5 (any,x)=4 (any,any)=10
  bool consistent = false;
  const auto t = counts_table(two, {3, 5, 4, 10}, consistent);
  EXPECT_TRUE(consistent);
  std::map<std::string, std::uint64_t> got;
  for (const auto& [key, part] : t.rows()) {
    got[key[0].value_or("null") + "/" + key[1].value_or("null")] = part.count;
    EXPECT_FALSE(part.complete);  // no durations behind a count
  }
  EXPECT_EQ(got, (std::map<std::string, std::uint64_t>{
                     {"a/x", 3}, {"a/null", 2}, {"null/x", 1}, {"null/null", 4}}));
  const auto dropped = counts_table(two, {3, 2, 4, 10}, consistent);  // (a,null) = 2 - 3 < 0
  EXPECT_EQ(dropped.size(), 3u);                                      // the negative group is no row
  EXPECT_FALSE(consistent);
}

TEST(SalesloftCounts, TotalCountIsRequired) {
  auto ok = read_total_count(
      json::parse(R"({"data": [], "metadata": {"paging": {"total_count": 42, "total_pages": 42}}})"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 42u);
  EXPECT_FALSE(read_total_count(json::parse(R"({"data": [], "metadata": {"paging": {"per_page": 1}}})")));
}

}  // namespace
}  // namespace cgw::adapters::salesloft
