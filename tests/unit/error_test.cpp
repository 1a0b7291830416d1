// The one table of error codes (core/error.cpp): each code's wire name, HTTP status, vendor
// status in meta, code as the whole answer, and call outcome.
#include "gateway/core/error.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace cgw {
namespace {

constexpr errc last = errc::deadline_exceeded;

TEST(ErrorTable, EveryCodeHasItsOwnNameAndAnErrorStatus) {
  std::set<std::string> names;
  for (int i = 0; i <= static_cast<int>(last); ++i) {
    const auto code = static_cast<errc>(i);
    EXPECT_TRUE(names.insert(to_string(code)).second) << to_string(code);
    EXPECT_GE(http_status(code), 400u) << to_string(code);
    EXPECT_LT(http_status(code), 600u) << to_string(code);
    // A vendor's failure becomes one of the four codes a client may see for it.
    const errc answer = as_answer_code(code);
    EXPECT_TRUE(answer == errc::not_found || answer == errc::rate_limited ||
                answer == errc::deadline_exceeded || answer == errc::upstream_error)
        << to_string(code);
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(last) + 1);
}

TEST(ErrorTable, VendorFailuresReadAsTheSpecSays) {
  EXPECT_STREQ(vendor_status(errc::circuit_open), "circuit_open");
  EXPECT_STREQ(vendor_status(errc::upstream_rate_limited), "rate_limited");
  EXPECT_STREQ(vendor_status(errc::upstream_timeout), "error");
  EXPECT_EQ(as_answer_code(errc::upstream_timeout), errc::deadline_exceeded);
  EXPECT_EQ(as_answer_code(errc::upstream_rate_limited), errc::rate_limited);
  EXPECT_EQ(as_answer_code(errc::upstream_unauthorized), errc::upstream_error);
  EXPECT_EQ(as_answer_code(errc::not_found), errc::not_found);
  EXPECT_STREQ(call_outcome(errc::upstream_timeout), "timeout");
  EXPECT_STREQ(call_outcome(errc::upstream_error), "error");
  EXPECT_EQ(http_status(errc::unsupported), 501u);
  EXPECT_EQ(http_status(errc::overloaded), 503u);
}

}  // namespace
}  // namespace cgw
