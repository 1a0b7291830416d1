// The parrot module end to end: configured like any vendor, listed in /v1/vendors and in
// /openapi.json's vendor types, fanned out beside Salesloft and merged into one order, walked to
// its last record, and got by id; nothing outside this folder names it.
#include "adapters/module.hpp"
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace cgw::testing {
namespace {

namespace json = boost::json;

struct served {
  std::unique_ptr<sandbox::server> server;
  std::string entry;  // the vendor's config entry, named after its type
};

served serve(std::string_view type, std::uint32_t records) {
  const auto* m = adapters::find_module(type);
  if (!m) throw std::logic_error("no vendor module " + std::string(type));
  served s{std::make_unique<sandbox::server>(m->sandbox.make({.records = records, .budget = 0}))};
  const auto port = s.server->start();
  s.entry = "\"" + std::string(type) + "\": {\"type\": \"" + std::string(type) +
            "\", \"auth\": " + std::string(m->sandbox.auth) +
            ", \"base_url\": \"http://127.0.0.1:" + std::to_string(port) + "\"}";
  return s;
}

TEST(ParrotModule, IsConfiguredListedFannedOutAndMerged) {
  const auto parrot = serve("parrot", 120);
  const auto salesloft = serve("salesloft", 60);
  gateway gw(config_with("{" + parrot.entry + ", " + salesloft.entry + "}"));

  const auto vendors = gw.get("/v1/vendors");
  ASSERT_EQ(vendors.status, 200u) << vendors.text;
  bool listed = false;
  for (const auto& v : vendors.body.at("data").as_array())
    if (v.at("name") == "parrot") {
      listed = true;
      EXPECT_EQ(v.at("type"), "parrot") << v;
    }
  EXPECT_TRUE(listed) << vendors.text;

  const auto doc = gw.get("/openapi.json");
  ASSERT_EQ(doc.status, 200u);
  EXPECT_NE(doc.text.find("\"parrot\""), std::string::npos) << "vendor_type's enum lacks the type";

  // One merged page: both vendors, in created_at order, ties by id.
  const auto page = gw.get("/v1/conversations?sort=created_at&page_size=100");
  ASSERT_EQ(page.status, 200u) << page.text;
  EXPECT_EQ(page.meta().at("vendors").at("parrot").at("status"), "ok") << page.text;
  EXPECT_EQ(page.meta().at("vendors").at("salesloft").at("status"), "ok") << page.text;
  std::set<std::string> seen_vendors;
  std::string last_at, last_id;
  for (const auto& r : page.data()) {
    seen_vendors.insert(std::string(r.at("vendor").as_string()));
    const std::string at(r.at("created_at").as_string()), id(r.at("id").as_string());
    EXPECT_TRUE(last_at < at || (last_at == at && last_id < id))
        << last_at << " " << last_id << " then " << at << " " << id;
    last_at = at;
    last_id = id;
  }
  EXPECT_EQ(seen_vendors, (std::set<std::string>{"parrot", "salesloft"}));

  // Its whole stream, page by page through the cursors: every record once.
  std::size_t pages = 0;
  const auto all = walk(gw, "vendor=parrot&page_size=25&sort=-created_at", &pages);
  EXPECT_EQ(all.size(), 120u);
  EXPECT_GE(pages, 5u);
  std::set<std::string> ids;
  for (const auto& r : all) ids.insert(std::string(r.at("native_id").as_string()));
  EXPECT_EQ(ids.size(), 120u);

  const auto one = gw.get("/v1/conversations/parrot:p-0007");
  ASSERT_EQ(one.status, 200u) << one.text;
  EXPECT_EQ(one.body.at("native_id"), "p-0007");
  EXPECT_EQ(one.body.at("title"), "polly says 7");
  EXPECT_EQ(gw.get("/v1/conversations/parrot:p-9999").status, 404u);
}

}  // namespace
}  // namespace cgw::testing
