#include "tests/integration/harness.hpp"

#include "config/loader.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include <boost/asio/connect.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>

namespace cgw::testing {

http_answer request(std::uint16_t port, const std::string& target,
                    const std::map<std::string, std::string>& headers, const std::string& method) {
  net::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.prepare_payload();
  http::write(socket, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256 << 20);
  http::read(socket, buffer, parser);
  auto& res = parser.get();
  http_answer out;
  out.status = res.result_int();
  out.text = res.body();
  for (const auto& f : res) {
    std::string name(f.name_string());
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    out.headers[name] = std::string(f.value());
  }
  boost::system::error_code ec;
  out.body = boost::json::parse(out.text, ec);
  if (ec) out.body = nullptr;
  return out;
}

gateway::gateway(const std::string& config_json) {
  adapters::register_adapters(types_);
  config::load_options options;
  options.known_vendor_type = [this](std::string_view t) { return types_.knows(t); };
  auto cfg = config::load_text(config_json, options);
  if (!cfg) throw std::runtime_error("test configuration refused: " + cfg.error().message);
  auto rt = api::runtime::build(*cfg, types_);
  if (!rt) throw std::runtime_error("test runtime refused: " + rt.error().message);
  (*rt)->commit();
  service_ = std::make_unique<api::service>(*rt);
  server_ = std::make_unique<server::server>(*service_, **cfg);
  port_ = server_->start();
}

gateway::~gateway() {
  server_->shutdown(std::chrono::milliseconds(1000));
}

std::string config_with(const std::string& vendors_json, const std::string& clients_json,
                        const std::string& tenants_json) {
  // CGW_TEST_LOG_LEVEL=debug makes every gateway of the suite log all it can, for the secrets check
  // (tests/integration/logs_hold_no_secret.sh); process tests look for "level": "warn" to change it.
  const char* level = std::getenv("CGW_TEST_LOG_LEVEL");
  return R"({"listen": {"address": "127.0.0.1", "port": 0},
             "cursor_secret": "integration-test-cursor-secret-0123456789",
             "request_deadline_ms": 5000,
             "cache": {"ttl_ms": 0},
             "server": {"threads": 2},
             "logging": {"level": ")" +
         std::string(level ? level : "warn") + R"("},
             "clients": )" +
         clients_json + R"(, "tenants": )" + tenants_json + R"(, "vendors": )" + vendors_json + "}";
}

std::vector<boost::json::object> walk(const gateway& gw, const std::string& query, std::size_t* pages) {
  std::vector<boost::json::object> out;
  std::string cursor;
  std::size_t n = 0;
  while (true) {
    std::string target = "/v1/conversations?" + query + (cursor.empty() ? "" : "&cursor=" + cursor);
    auto page = gw.get(target);
    EXPECT_EQ(page.status, 200u) << target << " -> " << page.text;
    if (page.status != 200 || ++n > 10000) break;
    for (const auto& r : page.data()) out.push_back(r.as_object());
    const auto& next = page.meta().at("next_cursor");
    if (next.is_null()) break;
    cursor = std::string(next.as_string());
  }
  if (pages) *pages = n;
  return out;
}

}  // namespace cgw::testing
