// Vendor text as the gateway repeats it: clipped between UTF-8 characters, never inside one, and
// kept out of /v1/vendors' last_error, which every tenant of the vendor instance reads.
#include "gateway/adapter/vendor_http.hpp"
#include "gateway/api/runtime.hpp"

#include <gtest/gtest.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace cgw {
namespace {

// RFC 3629 well-formedness, independent of the code under test.
bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    i += n;
  }
  return true;
}

std::string body_with_message(const std::string& text) {
  return boost::json::serialize(boost::json::object{{"message", text}});
}

struct clip_case {
  std::string label;
  std::string text;
  std::size_t kept_bytes;  // of the text, before "..."
};

TEST(VendorText, ClipsOnACharacterBoundary) {
  const std::string e_acute = "\xC3\xA9", euro = "\xE2\x82\xAC", emoji = "\xF0\x9F\x98\x80";
  const std::vector<clip_case> cases = {
      {"two-byte across 200", std::string(199, 'a') + e_acute + "tail", 199},
      {"three-byte across 200", std::string(198, 'a') + euro + "tail", 198},
      {"three-byte across 200, one in", std::string(199, 'a') + euro + "tail", 199},
      {"four-byte across 200", std::string(197, 'a') + emoji + "tail", 197},
      {"four-byte ending at 200", std::string(196, 'a') + emoji + "tail", 200},
      {"only multibyte",
       [&] {
         std::string s;
         for (int i = 0; i < 120; ++i) s += e_acute;
         return s;
       }(),
       200},
  };
  for (const auto& c : cases) {
    const std::string said = adapter::describe_error_body(body_with_message(c.text));
    EXPECT_TRUE(valid_utf8(said)) << c.label;
    EXPECT_EQ(said, c.text.substr(0, c.kept_bytes) + "...") << c.label;
  }
}

TEST(VendorText, ShortTextIsKeptWholeAndControlCharactersBecomeSpaces) {
  EXPECT_EQ(adapter::describe_error_body(body_with_message("caf\xC3\xA9 \xE2\x82\xAC"
                                                           "5")),
            "caf\xC3\xA9 \xE2\x82\xAC"
            "5");
  EXPECT_EQ(adapter::describe_error_body(body_with_message("a\nb\tc")), "a b c");
  const std::string exactly(200, 'z');
  EXPECT_EQ(adapter::describe_error_body(body_with_message(exactly)), exactly);
}

TEST(VendorText, EveryShapeIsClippedTheSameWay) {
  const std::string text = std::string(199, 'b') + "\xC3\xA9";
  for (const char* key : {"detail", "title", "error"}) {
    const std::string said =
        adapter::describe_error_body(boost::json::serialize(boost::json::object{{key, text}}));
    EXPECT_TRUE(valid_utf8(said)) << key;
    EXPECT_EQ(said, std::string(199, 'b') + "...") << key;
  }
  const std::string errors = adapter::describe_error_body(
      boost::json::serialize(boost::json::object{{"errors", {{"language_code", boost::json::array{text}}}}}));
  EXPECT_TRUE(valid_utf8(errors));
  EXPECT_LE(errors.size(), 203u);
}

TEST(VendorHealth, LastErrorIsTheCodeAndAGenericMessageNotTheVendorsText) {
  api::vendor_health health;
  EXPECT_TRUE(health.to_json().at("last_error").is_null());
  const std::string vendor_text =
      "the vendor answered HTTP 422 (language_code: tenant-7 secret project name)";
  health.record_failure(failure::make(errc::upstream_error, vendor_text), 12.5);
  auto o = health.to_json();
  ASSERT_TRUE(o.at("last_error").is_string());
  const std::string last(o.at("last_error").as_string());
  EXPECT_TRUE(last.starts_with("upstream_error: ")) << last;
  EXPECT_EQ(last.find("tenant-7"), std::string::npos) << last;
  EXPECT_EQ(last.find("422"), std::string::npos) << last;
  EXPECT_EQ(o.at("failures").as_uint64(), 1u);

  // Each code has words of its own.
  health.record_failure(
      failure::make(errc::upstream_timeout, "no answer from vendor.internal within the deadline"), 1);
  const std::string timeout(health.to_json().at("last_error").as_string());
  EXPECT_TRUE(timeout.starts_with("upstream_timeout: ")) << timeout;
  EXPECT_EQ(timeout.find("vendor.internal"), std::string::npos) << timeout;
  EXPECT_NE(timeout, last);
}

}  // namespace
}  // namespace cgw
