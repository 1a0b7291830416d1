// The client rate limit's token bucket and its IETF rate-limit headers, clock-injected.
#include "gateway/policy/client_limit.hpp"

#include <gtest/gtest.h>

namespace cgw::policy {
namespace {

using namespace std::chrono_literals;
const clock::time_point t0 = clock::time_point{} + 1000h;
const config::client_rate_limit two_a_second_burst_four{2, 4};

TEST(ClientLimit, ABurstThenTheRefillRate) {
  memory_client_limit_store store;
  for (int i = 0; i < 4; ++i) {
    auto v = store.take_at("dash", two_a_second_burst_four, t0);
    ASSERT_TRUE(v.allowed) << i;
    EXPECT_EQ(v.remaining, 3 - i);
  }
  auto refused = store.take_at("dash", two_a_second_burst_four, t0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_s, 1);  // one token in half a second: Retry-After rounds up
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_TRUE(store.take_at("dash", two_a_second_burst_four, t0 + 500ms).allowed);
  EXPECT_FALSE(store.take_at("dash", two_a_second_burst_four, t0 + 600ms).allowed);
  // Another client has its own bucket.
  EXPECT_TRUE(store.take_at("other", two_a_second_burst_four, t0 + 600ms).allowed);
}

TEST(ClientLimit, ARefusedRequestTakesNothing) {
  memory_client_limit_store store;
  const config::client_rate_limit one_a_second{1, 1};
  ASSERT_TRUE(store.take_at("c", one_a_second, t0).allowed);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(store.take_at("c", one_a_second, t0 + 100ms).allowed);
  EXPECT_TRUE(store.take_at("c", one_a_second, t0 + 1s).allowed);  // refusals did not dig a hole
}

TEST(ClientLimit, ASmallerBurstAfterAReloadCapsTheBucket) {
  memory_client_limit_store store;
  ASSERT_TRUE(store.take_at("c", {1, 100}, t0).allowed);  // 99 left
  const config::client_rate_limit smaller{1, 2};
  EXPECT_TRUE(store.take_at("c", smaller, t0).allowed);
  EXPECT_TRUE(store.take_at("c", smaller, t0).allowed);
  EXPECT_FALSE(store.take_at("c", smaller, t0).allowed);
}

TEST(ClientLimit, HeadersFollowTheIetfDraft) {
  EXPECT_EQ(rate_limit_policy_header(two_a_second_burst_four), "\"client\";q=4;w=2");
  EXPECT_EQ(rate_limit_policy_header({50, 100}), "\"client\";q=100;w=2");
  memory_client_limit_store store;
  auto v = store.take_at("c", two_a_second_burst_four, t0);
  EXPECT_EQ(rate_limit_header(v), "\"client\";r=3;t=1");  // one token short of full: half a second
}

}  // namespace
}  // namespace cgw::policy
