// The vendor modules as registered (adapters/module.hpp), held to what they declare: a type
// each, a port each, an adapter built from the sandbox's own credentials whose capabilities
// are the module's, option keys checked against the module's schema, and a sandbox whose
// one-record requests name records it serves.
#include "adapters/module.hpp"
#include "config/loader.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace cgw::adapters {
namespace {

// A configuration whose one vendor, named after its type, is the module's sandbox entry.
std::string config_for(const vendor_module& m, std::string_view extra = "") {
  return R"({"listen": {"address": "127.0.0.1", "port": 0},
             "cursor_secret": "unit-test-cursor-secret-0123456789abcdef",
             "vendors": {")" +
         std::string(m.type) + R"(": {"type": ")" + std::string(m.type) + R"(", "auth": )" +
         std::string(m.sandbox.auth) + R"(, "base_url": "http://127.0.0.1:9")" + std::string(extra) + "}}}";
}

result<std::unique_ptr<adapter::adapter>> build(const vendor_module& m, std::string_view extra = "") {
  adapter::registry r;
  register_adapters(r);
  auto cfg =
      config::load_text(config_for(m, extra), {.known_vendor_type = [&](auto t) { return r.knows(t); }});
  if (!cfg) return cfg.error();
  return r.create((*cfg)->vendors.at(std::string(m.type)));
}

TEST(VendorModules, EachHasATypeAndAPortOfItsOwn) {
  ASSERT_FALSE(modules().empty());
  std::set<std::string_view> types;
  std::set<std::uint16_t> ports;
  for (const vendor_module* m : modules()) {
    EXPECT_FALSE(m->type.empty());
    EXPECT_TRUE(types.insert(m->type).second) << "two modules of type " << m->type;
    EXPECT_TRUE(ports.insert(m->sandbox.port_offset).second) << m->type << " shares a sandbox port";
    EXPECT_EQ(find_module(m->type), m);
    EXPECT_TRUE(m->make_adapter && m->sandbox.make && m->sandbox.one_record_requests) << m->type;
  }
  EXPECT_EQ(find_module("no_such_vendor"), nullptr);
}

TEST(VendorModules, TheAdapterBuiltFromTheSandboxEntryCanWhatTheModuleSays) {
  for (const vendor_module* m : modules()) {
    SCOPED_TRACE(m->type);
    auto a = build(*m);
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ((*a)->caps().can_list, m->can_list);
    EXPECT_EQ((*a)->caps().can_get, m->can_get);
    EXPECT_EQ((*a)->config().type, m->type);
  }
}

TEST(VendorModules, AnOptionKeyOutsideTheSchemaIsRefusedNamingIt) {
  for (const vendor_module* m : modules()) {
    SCOPED_TRACE(m->type);
    auto a = build(*m, R"(, "options": {"no_such_option": 1})");
    ASSERT_FALSE(a);
    const std::string key = "vendors." + std::string(m->type) + ".options.no_such_option";
    EXPECT_EQ(a.error().parameter, key);
    EXPECT_EQ(a.error().message.rfind(key + ": unknown key", 0), 0u) << a.error().message;
    for (const auto& o : m->options) EXPECT_NE(a.error().message.find(o.key), std::string::npos) << o.key;
  }
}

TEST(VendorModules, OneRecordRequestsNameRecordsOfTheSandbox) {
  for (const vendor_module* m : modules()) {
    SCOPED_TRACE(m->type);
    auto h = m->sandbox.make({.records = 40});
    ASSERT_TRUE(h);
    const auto asks = m->sandbox.one_record_requests(*h, "the_instance", 3);
    ASSERT_EQ(asks.size(), 3u);
    std::set<std::string> ids;
    for (const auto& a : asks) {
      EXPECT_TRUE(a.target.starts_with("/v1/conversations")) << a.target;
      EXPECT_NE(a.target.find("the_instance"), std::string::npos) << a.target;
      EXPECT_TRUE(ids.insert(a.native_id).second) << "two requests for " << a.native_id;
    }
    EXPECT_TRUE(m->sandbox.one_record_requests(*h, "the_instance", 0).empty());
  }
}

}  // namespace
}  // namespace cgw::adapters
