// Vendor base URLs and the next-page links vendors hand back: only well-formed http(s)
// origins pass, and a link is followed only to the vendor's own origin.
#include "gateway/upstream/client.hpp"

#include <gtest/gtest.h>

namespace cgw::upstream {
namespace {

TEST(Endpoint, ReadsAWellFormedBaseUrl) {
  auto ep = parse_endpoint("https://api.example.com:8443/api/");
  ASSERT_TRUE(ep);
  EXPECT_TRUE(ep->tls);
  EXPECT_EQ(ep->host, "api.example.com");
  EXPECT_EQ(ep->port, 8443);
  EXPECT_EQ(ep->path_prefix, "/api");
  EXPECT_EQ(parse_endpoint("http://127.0.0.1")->port, 80);
}

TEST(Endpoint, RefusesJunkInThePortAndElsewhere) {
  for (const char* bad :
       {"http://127.0.0.1:39101-v1/Insights", "http://h:443x", "http://h:0", "http://h:99999",
        "http://h:123456/", "ftp://h/", "http://user:pw@h/", "http:///path", "not a url"})
    EXPECT_FALSE(parse_endpoint(bad)) << bad;
}

TEST(Endpoint, FollowsOnlyLinksToItsOwnOrigin) {
  auto ep = parse_endpoint("http://127.0.0.1:39101");
  ASSERT_TRUE(ep);
  EXPECT_EQ(*same_origin_target(*ep, "http://127.0.0.1:39101/v1/x?PageToken=a"), "/v1/x?PageToken=a");
  for (const char* foreign :
       {"http://127.0.0.1:39101-v1/Insights/Conversations?PageSize=6", "http://127.0.0.1:39102/v1",
        "https://127.0.0.1:39101/v1", "http://evil.example:39101/v1"})
    EXPECT_FALSE(same_origin_target(*ep, foreign)) << foreign;
}

}  // namespace
}  // namespace cgw::upstream
