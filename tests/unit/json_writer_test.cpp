// The streaming writer against Boost.JSON: escapes, numbers at their limits, commas; and a
// record written by write_json reads back equal to to_json's DOM, for every shape of record.
#include "gateway/core/json_writer.hpp"
#include "gateway/core/conversation.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace cgw {
namespace {

namespace json = boost::json;

template <class F>
std::string written(F&& f) {
  std::string out;
  json_writer w(out);
  f(w);
  return out;
}

std::string string_text(std::string_view s) {
  return written([&](json_writer& w) { w.string(s); });
}

TEST(json_writer, EscapesEveryControlCharacterAsBoostJsonDoes) {
  const char* const named[0x20] = {nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                                   nullptr, "\\b",   "\\t",   "\\n",   nullptr, "\\f",   "\\r"};
  for (int c = 0; c < 0x20; ++c) {
    const std::string in(1, static_cast<char>(c));
    char hex[8];
    std::snprintf(hex, sizeof hex, "\\u%04x", c);
    const std::string want = std::string("\"") + (named[c] ? named[c] : hex) + "\"";
    EXPECT_EQ(string_text(in), want) << c;
    EXPECT_EQ(string_text(in), json::serialize(json::value(in))) << c;
    EXPECT_EQ(json::parse(string_text(in)).as_string(), in) << c;
  }
}

TEST(json_writer, EscapesQuotesAndBackslashesAndNothingElse) {
  EXPECT_EQ(string_text(R"(say "hi" \ bye)"), R"("say \"hi\" \\ bye")");
  EXPECT_EQ(string_text(""), R"("")");
  EXPECT_EQ(string_text("/<>'\x7f"), "\"/<>'\x7f\"");  // neither the solidus nor DEL
  const std::string every = [] {
    std::string s;
    for (int c = 1; c < 0x80; ++c) s.push_back(static_cast<char>(c));
    return s;
  }();
  EXPECT_EQ(string_text(every), json::serialize(json::value(every)));
  const std::string nul("a\0b", 3);
  EXPECT_EQ(string_text(nul), R"("a\u0000b")");
}

TEST(json_writer, EscapesEveryByteAtEveryPositionOfAWordAsBoostJsonDoes) {
  // The scan reads eight bytes at a time: every byte value, in every lane and in the tail, and
  // high bytes whose low seven bits are a quote, a backslash or a control character.
  for (int b = 0; b < 256; ++b)
    for (std::size_t at = 0; at < 19; ++at) {
      std::string s(19, 'a');
      s[at] = static_cast<char>(b);
      if (at + 1 < s.size()) s[at + 1] = static_cast<char>(b ^ 0x80);
      ASSERT_EQ(string_text(s), json::serialize(json::value(s))) << "byte " << b << " at " << at;
    }
}

TEST(json_writer, PassesNonAsciiUtf8Through) {
  for (std::string s : {"caf\xc3\xa9", "\xe2\x82\xac 5", "\xf0\x9f\x98\x80!", "\xd0\x9f\xd1\x80\xd0\xb8"}) {
    EXPECT_EQ(string_text(s), "\"" + s + "\"");
    EXPECT_EQ(string_text(s), json::serialize(json::value(s)));
    EXPECT_EQ(json::parse(string_text(s)).as_string(), s);
  }
}

TEST(json_writer, WritesIntegersAtTheirLimits) {
  using i64 = std::numeric_limits<std::int64_t>;
  using u64 = std::numeric_limits<std::uint64_t>;
  EXPECT_EQ(written([](json_writer& w) { w.int64(i64::min()); }), "-9223372036854775808");
  EXPECT_EQ(written([](json_writer& w) { w.int64(i64::max()); }), "9223372036854775807");
  EXPECT_EQ(written([](json_writer& w) { w.int64(0); }), "0");
  EXPECT_EQ(written([](json_writer& w) { w.uint64(u64::max()); }), "18446744073709551615");
  EXPECT_EQ(json::parse(written([](json_writer& w) { w.int64(i64::min()); })), json::value(i64::min()));
  EXPECT_EQ(json::parse(written([](json_writer& w) { w.uint64(u64::max()); })), json::value(u64::max()));
}

TEST(json_writer, WritesDoublesThatReadBackAsTheSameDoubles) {
  const double values[] = {0.5,
                           1e300,
                           -0.0,
                           0.0,
                           1.0,
                           -12.0,
                           0.1,
                           1.0 / 3,
                           123456789012345678.0,
                           std::numeric_limits<double>::denorm_min(),
                           std::numeric_limits<double>::min() / 3,
                           std::numeric_limits<double>::min(),
                           std::numeric_limits<double>::max(),
                           std::numeric_limits<double>::lowest(),
                           std::numeric_limits<double>::epsilon()};
  for (double d : values) {
    const std::string text = written([&](json_writer& w) { w.number(d); });
    const json::value back = json::parse(text);
    ASSERT_TRUE(back.is_double()) << text;  // not read back as an integer
    EXPECT_EQ(back.get_double(), d) << text;
    EXPECT_EQ(std::signbit(back.get_double()), std::signbit(d)) << text;
  }
  EXPECT_EQ(written([](json_writer& w) { w.number(0.5); }), "0.5");
  EXPECT_EQ(written([](json_writer& w) { w.number(1e300); }), "1e+300");
  EXPECT_EQ(written([](json_writer& w) { w.number(-0.0); }), "-0.0");
  EXPECT_EQ(written([](json_writer& w) { w.number(3.0); }), "3.0");
}

TEST(json_writer, WritesNullForWhatJsonCannotHold) {
  for (double d :
       {std::nan(""), std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()})
    EXPECT_EQ(written([&](json_writer& w) {
                w.begin_array();
                w.number(d);
                w.number(d);
                w.end_array();
              }),
              "[null,null]");
}

TEST(json_writer, WritesADomsNonFiniteNumbersAsNull) {
  // json::serialize would write `Infinity`, which is not JSON; a vendor's 1e999 parses as infinity.
  const json::value v = json::parse(R"({"a":[1e999,-1e999,1.5],"b":"\u0000"})");
  ASSERT_TRUE(std::isinf(v.at("a").at(0).as_double()));
  const std::string text = written([&](json_writer& w) { w.dom(v); });
  EXPECT_EQ(text, R"({"a":[null,null,1.5],"b":"\u0000"})");
}

TEST(json_writer, PlacesCommasAtEveryDepth) {
  const std::string text = written([](json_writer& w) {
    w.begin_object();
    w.key("a"), w.begin_array(), w.end_array();
    w.key("b"), w.begin_object(), w.end_object();
    w.key("c"), w.begin_array();
    w.int64(1), w.boolean(true), w.boolean(false), w.null(), w.string("x");
    w.begin_array(), w.begin_array(), w.end_array(), w.uint64(2), w.end_array();
    w.begin_object(), w.key("d"), w.raw(R"({"e":[1,2]})"), w.key("f"), w.null(), w.end_object();
    w.end_array();
    w.key("g"), w.dom(json::value{{"h", 1}});
    w.key("i"), w.dom(json::object{});
    w.raw_members(R"("j":1,"k":2)");
    w.raw_members("");
    w.key("l"), w.string("m");
    w.end_object();
  });
  EXPECT_EQ(text, R"({"a":[],"b":{},"c":[1,true,false,null,"x",[[],2],{"d":{"e":[1,2]},"f":null}],)"
                  R"("g":{"h":1},"i":{},"j":1,"k":2,"l":"m"})");
  EXPECT_NO_THROW(json::parse(text));
}

TEST(json_writer, WritesMembersForAnObjectOpenedElsewhere) {
  std::string out = "{";
  json_writer w(out);
  w.begin_members();
  w.key("a"), w.int64(1);
  w.key("b"), w.begin_array(), w.int64(2), w.int64(3), w.end_array();
  w.end_members();
  EXPECT_EQ(out, R"({"a":1,"b":[2,3])");
}

TEST(json_writer, SerializesLargeDomValuesWhole) {
  json::array big;
  for (int i = 0; i < 5000; ++i) big.emplace_back("entry " + std::to_string(i) + " \"quoted\"");
  const std::string text = written([&](json_writer& w) {
    w.begin_array();
    w.string("before");
    w.dom(json::value(big));
    w.end_array();
  });
  EXPECT_EQ(json::parse(text), (json::array{"before", big}));
}

// --- write_json against to_json ----------------------------------------------------------

const std::string tricky = std::string("q\"b\\s/\x01\x1f\n\t\r\b\f ") +
                           "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" + std::string(1, '\0') + "end";

conversation full_record() {
  using i64 = std::numeric_limits<std::int64_t>;
  conversation c;
  set_identity(c, "sales:eu", "salesloft", "n-" + tricky);
  c.account_id = "acct";
  c.title = tricky;
  c.channel = "phone";
  c.platform = "zoom";
  c.language = "";
  c.started_at = 1'700'000'000'123'456;
  c.ended_at = 0;
  c.created_at = -62'135'596'800'000'000;  // 0001-01-01
  c.updated_at = 253'402'300'799'999'999;  // 9999-12-31T23:59:59.999
  c.duration_ms = i64::max();
  c.agents = {{"a1", "Ann " + tricky}, {std::nullopt, std::nullopt}, {"", "\xe6\x97\xa5\xe6\x9c\xac"}};
  c.segments = {{"s1", i64::min(), 5, 0.5, 1e300, "Ann"},
                {std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt},
                {"s3", 0, i64::max(), -0.0, std::numeric_limits<double>::denorm_min(), tricky}};
  c.messages = {
      {"m1", 1, "a@x", "b@y", tricky, "positive", "email"},
      {std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt}};
  c.sentiment = "neutral";
  c.summary = std::string(3000, 'x') + tricky;
  c.tags = {"", tricky, "vip"};
  c.score = std::numeric_limits<double>::max();
  c.status = "completed";
  c.links = {{"app", "https://x/1?a=b&c=\"d\""}, {tricky, "u"}, {"app", "https://x/second"}};
  c.owner_id = "owner";  // filter-only: in neither form
  c.raw = std::make_shared<const json::object>(
      json::object{{"id", 1},
                   {"nested", {{"list", {1, -2, 3.25, nullptr, true}}, {"text", tricky}}},
                   {"big", i64::min()}});
  return c;
}

// Every field of the full record, one at a time, absent or emptied.
std::vector<conversation> shapes() {
  std::vector<conversation> out;
  conversation empty;
  set_identity(empty, "v", "t", "");
  out.push_back(empty);
  const conversation full = full_record();
  out.push_back(full);
  auto with = [&](auto&& change) {
    conversation c = full;
    change(c);
    out.push_back(std::move(c));
  };
  with([](conversation& c) { c.account_id.reset(), c.title.reset(), c.channel.reset(), c.platform.reset(); });
  with([](conversation& c) { c.language.reset(), c.sentiment.reset(), c.summary.reset(), c.status.reset(); });
  with([](conversation& c) {
    c.started_at.reset(), c.ended_at.reset(), c.created_at.reset(), c.updated_at.reset();
  });
  with([](conversation& c) { c.duration_ms.reset(), c.score.reset(); });
  with([](conversation& c) { c.duration_ms = std::numeric_limits<std::int64_t>::min(), c.score = -0.0; });
  with([](conversation& c) { c.score = std::numeric_limits<double>::denorm_min(); });
  with([](conversation& c) { c.score = 42.0; });  // integral: still a double
  with([](conversation& c) { c.agents.clear(), c.segments.clear(), c.messages.clear(); });
  with([](conversation& c) { c.tags.clear(), c.links.clear(); });
  with([](conversation& c) { c.raw.reset(); });
  with([](conversation& c) { c.raw = std::make_shared<const json::object>(); });
  with([](conversation& c) { c.started_at = std::numeric_limits<std::int64_t>::max(); });
  with([](conversation& c) { c.started_at = std::numeric_limits<std::int64_t>::min(); });
  return out;
}

TEST(json_writer, WriteJsonReadsBackAsToJsonForEveryShapeOfRecord) {
  const auto records = shapes();
  for (std::size_t i = 0; i < records.size(); ++i) {
    for (bool raw : {false, true}) {
      const std::string text = written([&](json_writer& w) { write_json(w, records[i], raw); });
      const json::object dom = to_json(records[i], raw);
      EXPECT_EQ(json::parse(text), dom) << "record " << i << (raw ? " with raw" : "") << ": " << text;
      EXPECT_EQ(dom.contains("raw"), raw);
    }
  }
}

TEST(json_writer, WritesTheDomsMembersInTheDomsOrder) {
  const conversation c = full_record();
  const json::object dom = to_json(c, true);
  // json::serialize keeps the DOM's member order; the writer's text differs only in number form.
  const json::object back = json::parse(written([&](json_writer& w) { write_json(w, c, true); })).as_object();
  ASSERT_EQ(back.size(), dom.size());
  auto a = back.begin();
  for (auto b = dom.begin(); b != dom.end(); ++a, ++b) EXPECT_EQ(a->key(), b->key());
  EXPECT_EQ(dom.at("links").as_object().at("app"),
            "https://x/1?a=b&c=\"d\"");  // a repeated name keeps its first URL
}

TEST(json_writer, NonFiniteNumbersAreNullInBothForms) {
  conversation c;
  set_identity(c, "v", "t", "1");
  c.score = std::nan("");
  c.segments = {
      {"s", 1, 2, std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(), "x"}};
  const json::object dom = to_json(c, false);
  EXPECT_TRUE(dom.at("score").is_null());
  EXPECT_TRUE(dom.at("segments").at(0).at("offset_s").is_null());
  EXPECT_EQ(json::parse(written([&](json_writer& w) { write_json(w, c, false); })), dom);
}

TEST(json_writer, WriteMembersFillsAnObjectOpenedElsewhere) {
  const conversation c = full_record();
  std::string out = "{";
  json_writer w(out);
  w.begin_members();
  write_members(w, c, false);
  w.end_members();
  out.push_back('}');
  EXPECT_EQ(json::parse(out), to_json(c, false));
}

}  // namespace
}  // namespace cgw
