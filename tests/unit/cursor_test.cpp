#include "gateway/api/cursor.hpp"

#include <gtest/gtest.h>

namespace cgw::api {
namespace {

const std::string secret = "0123456789abcdef0123456789abcdef-test";
const digest::hmac_sha256 mac(secret);

cursor_state sample() {
  return cursor_state{
      fingerprint_of("query-a"), sort_key{-1234567890123, "salesloft:3fa85f64"}, {"twilio_flex", "zild"}};
}

TEST(Cursor, RoundTrips) {
  auto text = encode_cursor(sample(), mac);
  for (char c : text)
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << text;
  auto back = decode_cursor(text, mac, fingerprint_of("query-a"));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->after, sample().after);
  EXPECT_EQ(back->exhausted, sample().exhausted);
}

TEST(Cursor, NullSortValueRoundTrips) {
  cursor_state s = sample();
  s.after.value.reset();
  auto back = decode_cursor(encode_cursor(s, mac), mac, s.query);
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->after.value.has_value());
}

TEST(Cursor, RefusesEveryAlteredCharacter) {
  auto text = encode_cursor(sample(), mac);
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::string altered = text;
    altered[i] = altered[i] == 'A' ? 'B' : 'A';
    auto r = decode_cursor(altered, mac, fingerprint_of("query-a"));
    ASSERT_FALSE(r) << "position " << i;
    EXPECT_EQ(r.error().code, errc::invalid_cursor);
  }
}

TEST(Cursor, RefusesAnotherSecretAnotherQueryAndJunk) {
  auto text = encode_cursor(sample(), mac);
  EXPECT_FALSE(decode_cursor(text, digest::hmac_sha256(secret + "x"), fingerprint_of("query-a")));
  auto other = decode_cursor(text, mac, fingerprint_of("query-b"));
  ASSERT_FALSE(other);
  EXPECT_NE(other.error().message.find("other filters"), std::string::npos);
  for (const char* junk :
       {"", "abc", "!!!!", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})
    EXPECT_FALSE(decode_cursor(junk, mac, fingerprint_of("query-a"))) << junk;
}

TEST(Cursor, StaysCompactForFourVendors) {
  cursor_state s{fingerprint_of("q"),
                 sort_key{1739484717792000, "twilio_insights:CA0123456789abcdef0123456789abcdef"},
                 {"salesloft", "twilio_flex", "twilio_insights", "zild"}};
  EXPECT_LT(encode_cursor(s, mac).size(), 200u);
}

}  // namespace
}  // namespace cgw::api
