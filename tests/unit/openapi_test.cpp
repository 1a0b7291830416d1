// The OpenAPI document matches the router: every route, and every list parameter the parser
// accepts (and nothing it does not).
#include "gateway/api/openapi.hpp"
#include "gateway/api/service.hpp"
#include "gateway/core/query.hpp"

#include <gtest/gtest.h>

#include <boost/json/array.hpp>

#include <set>

namespace cgw::api {
namespace {

TEST(OpenApi, EveryRouteIsDocumented) {
  auto doc = openapi_document({"type_a", "type_b"});
  EXPECT_EQ(doc.at("openapi"), "3.1.0");
  const auto& paths = doc.at("paths").as_object();
  EXPECT_EQ(paths.size(), routes().size());
  for (const auto& r : routes()) {
    ASSERT_TRUE(paths.contains(r.path)) << r.path;
    const auto& op = paths.at(r.path).at("get").as_object();
    EXPECT_TRUE(op.at("responses").as_object().contains("200")) << r.path;
    EXPECT_EQ(op.contains("security"), r.needs_key) << r.path;
    if (r.needs_key) {
      EXPECT_TRUE(op.at("responses").as_object().contains("401")) << r.path;
    }
  }
}

TEST(OpenApi, VendorTypesAreTheRegisteredOnes) {
  auto doc = openapi_document({"type_a", "type_b"});
  const auto& e =
      doc.at("components").at("schemas").at("Conversation").at("properties").at("vendor_type").at("enum");
  EXPECT_EQ(e, (boost::json::array{"type_a", "type_b"}));
}

TEST(OpenApi, ListParametersAreExactlyWhatTheParserAccepts) {
  auto doc = openapi_document({"type_a", "type_b"});
  std::set<std::string> documented;
  for (const auto& p : doc.at("paths").at("/v1/conversations").at("get").at("parameters").as_array()) {
    std::string name(p.at("name").as_string());
    documented.insert(name);
    std::string example;
    for (char c : std::string_view(p.at("example").as_string()))
      example += c == ' ' ? std::string("%20") : std::string(1, c);
    if (name == "cursor") continue;  // a cursor is only valid when the gateway made it
    auto q = parse_list_query(name + "=" + example);
    EXPECT_TRUE(q) << name << "=" << example << ": " << (q ? "" : q.error().message);
  }
  EXPECT_EQ(documented.size(), list_parameters().size());
  auto unknown = parse_list_query("not_a_parameter=1");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(documented.count("not_a_parameter"), 0u);
  EXPECT_EQ(unknown.error().code, errc::unknown_parameter);
}

TEST(OpenApi, SchemasAreReferencedNotDangling) {
  auto doc = openapi_document({"type_a", "type_b"});
  const auto& schemas = doc.at("components").at("schemas").as_object();
  std::string text = boost::json::serialize(doc);
  for (std::size_t at = 0; (at = text.find("#/components/schemas/", at)) != std::string::npos;) {
    at += 21;
    std::string name = text.substr(at, text.find('"', at) - at);
    EXPECT_TRUE(schemas.contains(name)) << name;
  }
}

}  // namespace
}  // namespace cgw::api
