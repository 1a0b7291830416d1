#include "gateway/core/time.hpp"

#include <gtest/gtest.h>

namespace cgw {
namespace {

TEST(Time, ParsesRfc3339WithOffsetsAndFractions) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:01.5Z"), 1'500'000);
  EXPECT_EQ(parse_rfc3339("2025-02-13T22:11:57.792Z"), parse_rfc3339("2025-02-13T23:11:57.792+01:00"));
  EXPECT_EQ(parse_rfc3339("2025-02-13T22:11:57.792123456Z").value() % 1'000'000, 792123);
  EXPECT_EQ(parse_rfc3339("1969-12-31T23:59:59Z"), -1'000'000);
}

TEST(Time, RejectsWhatIsNotRfc3339) {
  for (const char* bad : {"", "2025-02-13", "2025-02-13T22:11:57", "2025-13-01T00:00:00Z",
                          "2025-02-30T00:00:00Z", "2025-02-13T24:00:00Z", "2025-02-13T22:11:57.Z",
                          "2025-02-13T22:11:57Zjunk", "2025-02-13T22:11:57+0100", "yesterday"})
    EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
}

TEST(Time, VendorTimesWithoutOffsetAreUtc) {
  EXPECT_EQ(parse_vendor_time("2023-11-07T05:31:56"), parse_rfc3339("2023-11-07T05:31:56Z"));
  EXPECT_EQ(parse_vendor_time("2023-11-07T05:31:56.25"), parse_rfc3339("2023-11-07T05:31:56.250Z"));
}

TEST(Time, FormatsUtcMilliseconds) {
  EXPECT_EQ(format_rfc3339_ms(*parse_rfc3339("2025-02-13T23:11:57.792999+01:00")),
            "2025-02-13T22:11:57.792Z");
  EXPECT_EQ(format_rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339_us(1), "1970-01-01T00:00:00.000001Z");
}

TEST(Time, FormatsEveryYearParsingReadsBack) {
  for (const char* text :
       {"0000-01-01T00:00:00.000000Z", "0001-02-03T04:05:06.000007Z", "0999-10-11T12:13:14.150016Z",
        "2024-02-29T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"}) {
    auto t = parse_rfc3339(text);
    ASSERT_TRUE(t) << text;
    EXPECT_EQ(format_rfc3339_us(*t), text);
  }
  // Past the four-digit years (a vendor's start plus a huge duration): the year's own digits.
  EXPECT_EQ(format_rfc3339_ms(*parse_rfc3339("9999-12-31T23:59:59.999Z") + 1000),
            "10000-01-01T00:00:00.000Z");
  // Every millisecond form reads back as the instant it came from, truncated to the millisecond.
  for (micros t = -86'400'000'000LL * 3; t < 86'400'000'000LL * 40'000;
       t += 86'400'000'000LL * 7 + 3'723'004'005LL)
    EXPECT_EQ(parse_rfc3339(format_rfc3339_ms(t)), t - ((t % 1000) + 1000) % 1000) << t;
}

}  // namespace
}  // namespace cgw
