#include "gateway/core/query.hpp"

#include <gtest/gtest.h>

namespace cgw {
namespace {

TEST(Query, DefaultsWhenEmpty) {
  auto q = parse_list_query("");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->page_size, 50u);
  EXPECT_EQ(q->sort, (sort_spec{sort_field::started_at, true}));
  EXPECT_TRUE(q->filters().none());
}

TEST(Query, ParsesEveryParameter) {
  auto q = parse_list_query(
      "vendor=salesloft,zild&started_after=2025-01-01T00:00:00Z&started_before=2025-02-01T00:00:00%2B01:00"
      "&created_after=2024-01-01T00:00:00Z&created_before=2026-01-01T00:00:00Z&updated_after=2024-01-01T00:"
      "00:00Z"
      "&updated_before=2026-01-01T00:00:00Z&min_duration_ms=10&max_duration_ms=9000&language=en-us,FR-ca"
      "&channel=Voice,chat&platform=Zoom&agent=Ann%20Lee&account_id=a1,a2&owner_id=o1&user_id=u1&person_id=p1"
      "&segment_id=s1&id=salesloft:x,zild:7&title=Hello&title_prefix=He&sort=duration_ms&page_size=1000"
      "&cursor=abc&include=raw&explain=true");
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->vendors, (std::vector<std::string>{"salesloft", "zild"}));
  EXPECT_EQ(*q->started_before - *q->started_after, (31LL * 86400 - 3600) * 1'000'000);
  EXPECT_EQ(q->languages, (std::vector<std::string>{"en-US", "fr-CA"}));
  EXPECT_EQ(q->channels, (std::vector<std::string>{"voice", "chat"}));
  EXPECT_EQ(q->platforms, (std::vector<std::string>{"zoom"}));
  EXPECT_EQ(q->agent, "Ann Lee");
  EXPECT_EQ(q->ids.size(), 2u);
  EXPECT_EQ(q->sort, (sort_spec{sort_field::duration_ms, false}));
  EXPECT_EQ(q->page_size, 1000u);
  EXPECT_EQ(q->cursor, "abc");
  EXPECT_TRUE(q->include_raw);
  EXPECT_TRUE(q->explain);
  EXPECT_EQ(q->filters().count(), 20u);
}

struct bad_case {
  const char* query;
  errc code;
  const char* parameter;
};

class QueryErrors : public ::testing::TestWithParam<bad_case> {};

TEST_P(QueryErrors, NameTheParameter) {
  auto q = parse_list_query(GetParam().query);
  ASSERT_FALSE(q) << GetParam().query;
  EXPECT_EQ(q.error().code, GetParam().code);
  EXPECT_EQ(q.error().parameter, GetParam().parameter);
  EXPECT_EQ(q.error().message.rfind(GetParam().parameter, 0), 0u) << q.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    All, QueryErrors,
    ::testing::Values(bad_case{"pagesize=10", errc::unknown_parameter, "pagesize"},
                      bad_case{"started_after=yesterday", errc::invalid_parameter, "started_after"},
                      bad_case{"created_before=2025-01-01", errc::invalid_parameter, "created_before"},
                      bad_case{"updated_after=2025-01-01T00:00:00", errc::invalid_parameter, "updated_after"},
                      bad_case{"min_duration_ms=-1", errc::invalid_parameter, "min_duration_ms"},
                      bad_case{"max_duration_ms=1.5", errc::invalid_parameter, "max_duration_ms"},
                      bad_case{"page_size=0", errc::invalid_parameter, "page_size"},
                      bad_case{"page_size=1001", errc::invalid_parameter, "page_size"},
                      bad_case{"page_size=ten", errc::invalid_parameter, "page_size"},
                      bad_case{"sort=title", errc::invalid_parameter, "sort"},
                      bad_case{"channel=fax", errc::invalid_parameter, "channel"},
                      bad_case{"include=everything", errc::invalid_parameter, "include"},
                      bad_case{"explain=yes", errc::invalid_parameter, "explain"},
                      bad_case{"id=nocolon", errc::invalid_parameter, "id"},
                      bad_case{"vendor=Sales%20loft", errc::invalid_parameter, "vendor"},
                      bad_case{"language=en,,fr", errc::invalid_parameter, "language"},
                      bad_case{"title=", errc::invalid_parameter, "title"},
                      bad_case{"agent=a&agent=b", errc::invalid_parameter, "agent"}));

TEST(Query, AtMostOneHundredIds) {
  std::string ids = "id=";
  for (int i = 0; i < 101; ++i) ids += (i ? ",v:" : "v:") + std::to_string(i);
  auto q = parse_list_query(ids);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().parameter, "id");
}

TEST(Query, FiltersMatchAndAbsentFieldsMatchNothing) {
  conversation c;
  set_identity(c, "salesloft", "salesloft", "n1");
  c.language = "en-US";
  c.started_at = 100;
  c.duration_ms = 5000;
  c.title = "Discovery call";
  c.agents.push_back(agent{std::nullopt, std::string("Ann Lee")});
  auto q = parse_list_query(
      "language=EN-us&min_duration_ms=5000&max_duration_ms=5000&title_prefix=Disc&agent=ann%20lee");
  ASSERT_TRUE(q);
  EXPECT_TRUE(q->matches_all(c));
  auto seg = parse_list_query("segment_id=s1");
  EXPECT_FALSE(seg->matches_all(c));  // no segments: matches nothing
  auto plat = parse_list_query("platform=zoom");
  EXPECT_FALSE(plat->matches_all(c));  // platform is null
  auto range = parse_list_query("started_after=1970-01-01T00:00:00.000101Z");
  EXPECT_FALSE(range->matches_all(c));  // 100 us is before 101 us
  auto inclusive = parse_list_query("started_after=1970-01-01T00:00:00.000100Z");
  EXPECT_TRUE(inclusive->matches_all(c));  // started_after is >=
}

TEST(Query, FingerprintIgnoresPagingButNotFilters) {
  auto a = parse_list_query("language=en-US&page_size=10");
  auto b = parse_list_query("language=en-us&page_size=20&cursor=x&include=raw");
  auto c = parse_list_query("language=fr-FR");
  auto d = parse_list_query("language=en-US&sort=started_at");
  EXPECT_EQ(a->fingerprint_material(), b->fingerprint_material());
  EXPECT_NE(a->fingerprint_material(), c->fingerprint_material());
  EXPECT_NE(a->fingerprint_material(), d->fingerprint_material());
}

TEST(Order, NullsLastTiesById) {
  sort_spec desc{sort_field::duration_ms, true}, asc{sort_field::duration_ms, false};
  sort_key a{5, "v:a"}, b{5, "v:b"}, big{9, "v:z"}, null_a{std::nullopt, "v:a"}, null_b{std::nullopt, "v:b"};
  EXPECT_TRUE(before(a, b, desc));
  EXPECT_TRUE(before(a, b, asc));
  EXPECT_TRUE(before(big, a, desc));
  EXPECT_TRUE(before(a, big, asc));
  EXPECT_TRUE(before(big, null_a, desc));
  EXPECT_TRUE(before(big, null_a, asc));
  EXPECT_TRUE(before(null_a, null_b, desc));
  EXPECT_FALSE(before(null_a, a, asc));
}

TEST(Query, CanonicalLanguage) {
  EXPECT_EQ(canonical_language("EN-us"), "en-US");
  EXPECT_EQ(canonical_language("zh-hant-tw"), "zh-Hant-TW");
  EXPECT_EQ(canonical_language("fr"), "fr");
}

}  // namespace
}  // namespace cgw
