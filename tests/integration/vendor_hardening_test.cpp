// Vendors that loop, lie or refuse, against the real gateway over loopback (issue 15, the
// gateway half): a scripted HTTP responder on 127.0.0.1:0 answers canned bytes and records
// what it received on which connection; Salesloft-type vendor entries point at it. Every wait
// is bounded: the gateway is asked through a client with a timeout.
#include "adapters/salesloft/sandbox/sandbox.hpp"
#include "adapters/twilio_flex_insights/sandbox/sandbox.hpp"
#include "adapters/twilio_insights_v3/sandbox/sandbox.hpp"
#include "adapters/zild/sandbox/sandbox.hpp"
#include "tests/integration/certificates.hpp"
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <unistd.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace cgw::testing {
namespace {

namespace json = boost::json;
namespace ssl = net::ssl;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

// --- a scripted vendor ---------------------------------------------------------------------------

// An HTTP/1.1 server on 127.0.0.1:0 (optionally TLS) on its own thread. For every request it
// writes the byte strings its script returns, each with a write of its own, and closes the
// connection after a reply whose last piece says "Connection: close".
class responder {
 public:
  using reply = std::vector<std::string>;
  using script = std::function<reply(const http::request<http::string_body>&)>;
  struct seen_request {
    std::size_t connection;
    std::string target;
    std::string authorization;  // compared by tests, never printed: it is the vendor credential
  };

  explicit responder(script s, std::shared_ptr<ssl::context> tls = nullptr)
      : script_(std::move(s)), tls_(std::move(tls)), acceptor_(io_, {net::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    net::co_spawn(io_, accept(), net::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~responder() {
    io_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return port_; }
  std::string base_url() const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
  }
  std::vector<seen_request> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  net::awaitable<void> accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
      if (ec) co_return;
      const std::size_t id = connections_++;
      if (tls_)
        net::co_spawn(io_, serve_tls(std::move(socket), id), net::detached);
      else
        net::co_spawn(io_, serve_plain(std::move(socket), id), net::detached);
    }
  }

  net::awaitable<void> serve_plain(tcp::socket socket, std::size_t id) {
    beast::tcp_stream stream(std::move(socket));
    co_await serve(stream, id);
  }

  net::awaitable<void> serve_tls(tcp::socket socket, std::size_t id) {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls_);
    beast::get_lowest_layer(stream).expires_after(5s);
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
    if (hec) co_return;  // the gateway refused the certificate: what the TLS cases expect
    beast::get_lowest_layer(stream).expires_never();
    co_await serve(stream, id);
  }

  template <class Stream>
  net::awaitable<void> serve(Stream& stream, std::size_t id) {
    beast::flat_buffer buffer;
    for (int n = 0; n < 100'000; ++n) {  // bounded: a connection serves at most this many requests
      http::request<http::string_body> req;
      auto [rec, rn] = co_await http::async_read(stream, buffer, req, use_tuple);
      if (rec) co_return;
      {
        std::lock_guard lock(mutex_);
        seen_.push_back({id, std::string(req.target()), std::string(req[http::field::authorization])});
      }
      const reply r = script_(req);
      for (const auto& bytes : r) {
        auto [wec, wn] = co_await net::async_write(stream, net::buffer(bytes), use_tuple);
        if (wec) co_return;
      }
      if (r.empty() || r.back().find("Connection: close") != std::string::npos) co_return;
    }
  }

  script script_;
  std::shared_ptr<ssl::context> tls_;
  net::io_context io_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<std::size_t> connections_{0};
  mutable std::mutex mutex_;
  std::vector<seen_request> seen_;
  std::thread thread_;
};

// A whole HTTP/1.1 answer with a JSON body.
std::string json_answer(const json::value& body, unsigned status = 200, const std::string& reason = "OK") {
  const std::string text = json::serialize(body);
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: " +
         std::to_string(text.size()) + "\r\n\r\n" + text;
}

// A Salesloft conversation record.
json::object salesloft_record(const std::string& id, int minute) {
  const std::string at =
      "2024-05-01T10:" + std::string(minute < 10 ? "0" : "") + std::to_string(minute) + ":00.000000Z";
  return {{"id", id},
          {"title", "call " + id},
          {"created_at", at},
          {"updated_at", at},
          {"duration", 60000 + minute}};
}

// Salesloft's list envelope.
json::object salesloft_page(json::array data, std::optional<int> next_page) {
  return {{"data", std::move(data)},
          {"metadata",
           {{"paging",
             {{"per_page", 100},
              {"current_page", 1},
              {"next_page", next_page ? json::value(*next_page) : json::value(nullptr)},
              {"prev_page", nullptr}}}}}};
}

// The `page` query parameter of a Salesloft list target (1 when absent).
int page_of(std::string_view target) {
  auto at = target.find("page=");
  while (at != std::string_view::npos && at > 0 && target[at - 1] != '?' && target[at - 1] != '&')
    at = target.find("page=", at + 1);
  return at == std::string_view::npos ? 1 : std::atoi(std::string(target.substr(at + 5)).c_str());
}

bool is_list(std::string_view target) {
  return target.starts_with("/v2/conversations?");
}

// --- the gateway, asked with a bound on every wait ----------------------------------------------

std::string config_text(const std::string& vendors, unsigned threads, bool cache,
                        unsigned deadline_ms = 3000) {
  const char* level = std::getenv("CGW_TEST_LOG_LEVEL");
  return R"({"listen": {"address": "127.0.0.1", "port": 0},
             "cursor_secret": "hardening-test-cursor-secret-0123456789",
             "request_deadline_ms": )" +
         std::to_string(deadline_ms) + R"(,)" +
         (cache ? std::string() : std::string(R"("cache": {"ttl_ms": 0},)")) + R"(
             "server": {"threads": )" +
         std::to_string(threads) + R"(},
             "logging": {"level": ")" +
         std::string(level ? level : "warn") + R"("},
             "clients": [], "tenants": {}, "vendors": )" +
         vendors + "}";
}

// A keep-alive connection to the gateway whose every exchange ends within its timeout.
class timed_client {
 public:
  explicit timed_client(std::uint16_t port) : stream_(io_) {
    stream_.expires_after(2s);
    stream_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }

  // The answer, or nullopt when it did not come whole within `timeout`.
  std::optional<http_answer> get(const std::string& target, std::chrono::milliseconds timeout) {
    http::request<http::string_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(true);
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    beast::error_code result = net::error::would_block;
    stream_.expires_after(timeout);
    http::async_write(stream_, req, [&](beast::error_code ec, std::size_t) {
      if (ec) {
        result = ec;
        return;
      }
      http::async_read(stream_, buffer_, parser, [&](beast::error_code rec, std::size_t) { result = rec; });
    });
    io_.restart();
    io_.run();
    if (result) return std::nullopt;
    http_answer out;
    out.status = parser.get().result_int();
    out.text = parser.get().body();
    beast::error_code ec;
    out.body = json::parse(out.text, ec);  // rejects invalid UTF-8
    if (ec) out.body = nullptr;
    return out;
  }

 private:
  net::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

// One request on a connection of its own, bounded by `timeout`; fails the test when no answer came.
http_answer ask(const gateway& gw, const std::string& target, std::chrono::milliseconds timeout = 8000ms) {
  timed_client c(gw.port());
  auto a = c.get(target, timeout);
  EXPECT_TRUE(a.has_value()) << target << ": no answer within " << timeout.count() << " ms";
  return a ? *a : http_answer{};
}

const json::object& vendor_meta(const http_answer& a, const std::string& vendor) {
  return a.body.at("meta").at("vendors").at(vendor).as_object();
}

std::string vendor_error(const http_answer& a, const std::string& vendor) {
  const auto& m = vendor_meta(a, vendor);
  return m.contains("error") ? std::string(m.at("error").at("message").as_string()) : std::string();
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    i += n;
  }
  return true;
}

// --- the 502/504 rule -----------------------------------------------------------------------------

// Only Flex has segments: the others are skipped as unmatchable (status ok, nothing to say), so Flex
// failing is one vendor of several failing, not every vendor failing.
TEST(VendorHardening, AFilterOnlyTheFailingVendorCanMatchIsAPartialAnswerNot502) {
  sandbox::salesloft::options sl;
  sl.records = 30;
  sl.budget_per_minute = 0;
  sandbox::twilio_flex_insights::options fl;
  fl.records = 30;
  sandbox::twilio_insights_v3::options in;
  in.records = 30;
  in.requests_per_minute = 0;
  sandbox::zild::options zi;
  zi.records = 5;
  sandbox::server salesloft(sandbox::salesloft::make_handler(sl)),
      flex(sandbox::twilio_flex_insights::make_handler(fl)),
      insights(sandbox::twilio_insights_v3::make_handler(in)), zild(sandbox::zild::make_handler(zi));
  auto url = [](sandbox::server& s) { return "http://127.0.0.1:" + std::to_string(s.start()); };
  const std::string vendors = R"({"salesloft": {"type": "salesloft", "base_url": ")" + url(salesloft) +
                              R"(", "auth": {"bearer_token": "sandbox-salesloft-token"}},
      "twilio_flex": {"type": "twilio_flex_insights", "base_url": ")" +
                              url(flex) +
                              R"(", "auth": {"username": "ACsandbox", "password": "sandbox-flex-secret"}},
      "twilio_insights": {"type": "twilio_insights_v3", "base_url": ")" +
                              url(insights) +
                              R"(", "auth": {"username": "ACsandbox", "password": "sandbox-insights-secret"}},
      "zild": {"type": "zild", "base_url": ")" +
                              url(zild) + R"(", "auth": {"bearer_token": "sandbox-zild-jwt"}}})";
  gateway gw(config_text(vendors, 2, false));
  flex.set_faults({.error_status = 500});

  auto a = ask(gw, "/v1/conversations?segment_id=seg-0001");
  ASSERT_EQ(a.status, 200u) << a.text;
  EXPECT_EQ(a.body.at("meta").at("partial"), true) << a.text;
  EXPECT_EQ(vendor_meta(a, "twilio_flex").at("status"), "error") << a.text;
  EXPECT_NE(vendor_error(a, "twilio_flex").find("HTTP 500"), std::string::npos) << a.text;
  for (const char* other : {"salesloft", "twilio_insights"}) {
    EXPECT_EQ(vendor_meta(a, other).at("status"), "ok") << other << ": " << a.text;
  }
  EXPECT_TRUE(a.body.at("data").as_array().empty());

  // Asked alone, the failing vendor is every vendor asked: still 502.
  auto alone = ask(gw, "/v1/conversations?segment_id=seg-0001&vendor=twilio_flex");
  EXPECT_EQ(alone.status, 502u) << alone.text;
}

// --- pages that loop --------------------------------------------------------------------------------

// Polls /healthz on a connection of its own every ~20 ms until stopped; the slowest answer is kept.
class health_poller {
 public:
  explicit health_poller(std::uint16_t port)
      : thread_([this, port] {
          timed_client c(port);
          for (int i = 0; i < 2000 && !stop_; ++i) {  // bounded: 2000 polls at most
            const auto t0 = steady::now();
            auto a = c.get("/healthz", 2000ms);
            const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0);
            std::lock_guard lock(mutex_);
            ++polls_;
            if (!a || a->status != 200) ++failures_;
            worst_ = std::max(worst_, took);
            if (!a) break;  // the connection's state is unknown after a timeout
            std::this_thread::sleep_for(20ms);
          }
        }) {}
  ~health_poller() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::chrono::milliseconds worst() const { return worst_; }
  int polls() const { return polls_; }
  int failures() const { return failures_; }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::chrono::milliseconds worst_{0};
  int polls_ = 0, failures_ = 0;
  std::thread thread_;
};

struct loop_case {
  std::string label;
  std::function<std::optional<int>(int page)> next_page;  // the next_page a page names
};

class LoopingPages : public ::testing::TestWithParam<loop_case> {};

// With the cache on (the default) the looping pages come back as cache hits, which complete without
// suspending; on a one-thread gateway nothing else would run while the walk followed them.
TEST_P(LoopingPages, EndWithALoopErrorWithinTheDeadlineAndHealthzNeverWaits) {
  const loop_case& lc = GetParam();
  responder vendor([&](const http::request<http::string_body>& req) -> responder::reply {
    const int page = page_of(req.target());
    // Later pages hold earlier records: every walk below sorts descending, so the order holds.
    return {json_answer(salesloft_page(json::array{salesloft_record("p" + std::to_string(page), 10 - page)},
                                       lc.next_page(page)))};
  });
  const std::string vendors = R"({"looping": {"type": "salesloft", "base_url": ")" + vendor.base_url() +
                              R"(", "auth": {"bearer_token": "hardening-loop-token"}}})";
  gateway gw(config_text(vendors, 1, true));
  health_poller health(gw.port());
  std::this_thread::sleep_for(50ms);  // the poller is connected and answered before the walks start

  // Several walks, each sort a different walk (keyset on created_at, scans otherwise), the later
  // ones served from the cache.
  const std::vector<std::string> queries = {"sort=-created_at", "sort=-started_at", "sort=-updated_at",
                                            "sort=-duration_ms", "sort=-created_at"};
  // At least 300 ms of walks, so that the poller asks many times while they run.
  const auto start = steady::now();
  for (int round = 0; round < 200 && (round < 3 || steady::now() - start < 300ms); ++round) {
    std::this_thread::sleep_for(10ms);
    for (const auto& q : queries) {
      const auto t0 = steady::now();
      auto a = ask(gw, "/v1/conversations?vendor=looping&" + q, 6000ms);
      const auto took = steady::now() - t0;
      EXPECT_LT(took, 3000ms) << q << ": past the request deadline";
      ASSERT_TRUE(a.body.is_object()) << q << ": " << a.text;
      EXPECT_EQ(a.status, 502u) << a.text;  // the only vendor asked failed
      EXPECT_EQ(vendor_meta(a, "looping").at("status"), "error") << a.text;
      EXPECT_NE(vendor_error(a, "looping").find("the vendor's pages loop"), std::string::npos) << a.text;
    }
  }
  health.stop();
  EXPECT_GE(health.polls(), 8);
  EXPECT_EQ(health.failures(), 0);
  EXPECT_LE(health.worst(), 100ms) << "/healthz waited behind the looping walks";
  // Each walk reads each page once; the cache answers the repeats.
  EXPECT_LE(vendor.seen().size(), 3 * queries.size());
}

INSTANTIATE_TEST_SUITE_P(
    VendorHardening, LoopingPages,
    ::testing::Values(loop_case{"SamePage", [](int page) { return std::optional(page); }},
                      // 1 -> 2 -> 3 -> 2: A -> B -> A after the first page.
                      loop_case{"AlternatingPages",
                                [](int page) { return std::optional(page == 2 ? 3 : 2); }}),
    [](const auto& info) { return info.param.label; });

// Without the cache every looping page is a real request; the loop is still seen at once rather
// than followed until the deadline.
TEST(VendorHardening, LoopingPagesWithoutTheCacheEndAtTheFirstRepeat) {
  responder vendor([](const http::request<http::string_body>&) -> responder::reply {
    return {json_answer(salesloft_page(json::array{salesloft_record("same", 1)}, 1))};
  });
  const std::string vendors = R"({"looping": {"type": "salesloft", "base_url": ")" + vendor.base_url() +
                              R"(", "auth": {"bearer_token": "hardening-loop-token"}}})";
  gateway gw(config_text(vendors, 1, false));
  const auto t0 = steady::now();
  auto a = ask(gw, "/v1/conversations?vendor=looping&sort=-created_at");
  EXPECT_LT(steady::now() - t0, 1000ms);
  EXPECT_NE(vendor_error(a, "looping").find("the vendor's pages loop"), std::string::npos) << a.text;
  EXPECT_EQ(vendor.seen().size(), 2u);  // page 1, then page 1 again as named by next_page
}

// --- interim answers ----------------------------------------------------------------------------------

TEST(VendorHardening, EarlyHintsBeforeEachAnswerAreSkippedAndAnswersStayInStep) {
  const std::string hints = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n";
  responder vendor([&](const http::request<http::string_body>& req) -> responder::reply {
    const std::string target(req.target());
    if (is_list(target)) {  // the interim and the final answer in one write: read as one buffer
      json::array data;
      for (int i = 1; i <= 3; ++i) data.push_back(salesloft_record("10" + std::to_string(i), 10 - i));
      return {hints + json_answer(salesloft_page(std::move(data), std::nullopt))};
    }
    const std::string id = target.substr(target.rfind('/') + 1);
    return {hints, "HTTP/1.1 100 Continue\r\n\r\n",
            json_answer(json::object{{"data", salesloft_record(id, 1)}})};
  });
  const std::string vendors = R"({"hints": {"type": "salesloft", "base_url": ")" + vendor.base_url() +
                              R"(", "auth": {"bearer_token": "hardening-hints-token"}}})";
  gateway gw(config_text(vendors, 1, false));

  auto list = ask(gw, "/v1/conversations?vendor=hints&sort=-created_at");
  ASSERT_EQ(list.status, 200u) << list.text;
  std::vector<std::string> ids;
  for (const auto& r : list.body.at("data").as_array()) ids.emplace_back(r.at("native_id").as_string());
  EXPECT_EQ(ids, (std::vector<std::string>{"101", "102", "103"}));

  for (const std::string id : {"101", "102", "103", "102"}) {
    auto one = ask(gw, "/v1/conversations/hints:" + id);
    ASSERT_EQ(one.status, 200u) << id << ": " << one.text;
    EXPECT_EQ(one.body.at("native_id"), id.c_str()) << "the answer is another request's";
  }
  // The gets went over the pooled connection of the list, one after another.
  const auto seen = vendor.seen();
  ASSERT_EQ(seen.size(), 5u);
  for (const auto& s : seen) EXPECT_EQ(s.connection, seen.front().connection) << s.target;
}

// --- pools per account ----------------------------------------------------------------------------

TEST(VendorHardening, TwoAccountsOnOneOriginNeverShareAConnection) {
  responder vendor([](const http::request<http::string_body>& req) -> responder::reply {
    const std::string target(req.target());
    if (is_list(target))
      return {json_answer(salesloft_page(json::array{salesloft_record("7", 7)}, std::nullopt))};
    return {json_answer(json::object{{"data", salesloft_record(target.substr(target.rfind('/') + 1), 1)}})};
  });
  const std::string vendors = R"({"team_a": {"type": "salesloft", "base_url": ")" + vendor.base_url() +
                              R"(", "auth": {"bearer_token": "hardening-account-a"}},
      "team_b": {"type": "salesloft", "base_url": ")" +
                              vendor.base_url() + R"(", "auth": {"bearer_token": "hardening-account-b"}}})";
  gateway gw(config_text(vendors, 1, false));
  for (int i = 0; i < 3; ++i) {
    for (const char* team : {"team_a", "team_b"}) {
      auto one = ask(gw, "/v1/conversations/" + std::string(team) + ":" + std::to_string(i));
      EXPECT_EQ(one.status, 200u) << one.text;
    }
    EXPECT_EQ(ask(gw, "/v1/conversations?page_size=5").status, 200u);  // both at once
  }
  std::map<std::size_t, std::set<std::string>> accounts;  // per connection
  std::set<std::string> all;
  for (const auto& s : vendor.seen())
    accounts[s.connection].insert(s.authorization), all.insert(s.authorization);
  EXPECT_EQ(all, (std::set<std::string>{"Bearer hardening-account-a", "Bearer hardening-account-b"}));
  for (const auto& [connection, tokens] : accounts)
    EXPECT_EQ(tokens.size(), 1u) << "connection " << connection << " carried " << tokens.size()
                                 << " accounts";
  EXPECT_LT(accounts.size(), vendor.seen().size()) << "connections were never reused";
}

// --- TLS on loopback ------------------------------------------------------------------------------

std::shared_ptr<ssl::context> server_tls(const pem& p) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  ctx->use_certificate_chain(net::buffer(p.cert));
  ctx->use_private_key(net::buffer(p.key), ssl::context::pem);
  return ctx;
}

TEST(VendorHardening, HttpsVendorsAreVerifiedAndEachRefusalIsACleanVendorError) {
  const auto dir = std::filesystem::temp_directory_path() / ("cgw-tls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const authority trusted = make_ca("hardening test CA"), stranger = make_ca("a CA nobody trusts");
  const std::string ca_file = (dir / "ca.pem").string();
  std::ofstream(ca_file) << to_pem(trusted.cert.get());

  auto records = [](const http::request<http::string_body>&) -> responder::reply {
    return {json_answer(salesloft_page(
        json::array{salesloft_record("tls-2", 2), salesloft_record("tls-1", 1)}, std::nullopt))};
  };
  const std::string here = "IP:127.0.0.1,DNS:localhost";
  responder good(records, server_tls(server_cert(trusted, here, -3600, 86400)));
  responder wrong_name(records, server_tls(server_cert(trusted, "DNS:vendor.example", -3600, 86400)));
  responder untrusted(records, server_tls(server_cert(stranger, here, -3600, 86400)));
  responder expired(records, server_tls(server_cert(trusted, here, -2 * 86400, -86400)));
  // A server that speaks TLS 1.0 and 1.1 only (and allows their old ciphers): below the gateway's minimum.
  auto old_protocols = server_tls(server_cert(trusted, here, -3600, 86400));
  SSL_CTX_set_security_level(old_protocols->native_handle(), 0);
  SSL_CTX_set_min_proto_version(old_protocols->native_handle(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(old_protocols->native_handle(), TLS1_1_VERSION);
  SSL_CTX_set_cipher_list(old_protocols->native_handle(), "DEFAULT@SECLEVEL=0");
  responder old_tls(records, old_protocols);

  // By address (the certificate's IP entry is checked) and by name (SNI and its DNS entry).
  const auto by_name = [](const responder& r) { return "https://localhost:" + std::to_string(r.port()); };
  std::string vendors = "{";
  for (const auto& [name, url] :
       std::vector<std::pair<std::string, std::string>>{{"tls_good", good.base_url()},
                                                        {"tls_good_by_name", by_name(good)},
                                                        {"tls_wrong_name", wrong_name.base_url()},
                                                        {"tls_wrong_name_by_name", by_name(wrong_name)},
                                                        {"tls_untrusted", untrusted.base_url()},
                                                        {"tls_expired", expired.base_url()},
                                                        {"tls_old_protocol", old_tls.base_url()}})
    vendors += (vendors.size() > 1 ? ", \"" : "\"") + name + R"(": {"type": "salesloft", "base_url": ")" +
               url + R"(", "ca_file": ")" + ca_file +
               R"(", "auth": {"bearer_token": "hardening-tls-token"}})";
  vendors += "}";
  gateway gw(config_text(vendors, 1, false));

  // Kept-alive TLS connections are pooled like plain ones: three walks, one connection.
  for (const std::string sort : {"-created_at", "-updated_at", "-duration_ms"})
    EXPECT_EQ(ask(gw, "/v1/conversations?vendor=tls_good&sort=" + sort).status, 200u) << sort;
  {
    const auto seen = good.seen();
    ASSERT_EQ(seen.size(), 3u);
    for (const auto& s : seen)
      EXPECT_EQ(s.connection, seen.front().connection) << "a TLS connection was not reused";
  }
  for (const std::string name : {"tls_good", "tls_good_by_name"}) {
    auto ok = ask(gw, "/v1/conversations?vendor=" + name + "&sort=-created_at");
    ASSERT_EQ(ok.status, 200u) << ok.text;
    ASSERT_EQ(ok.body.at("data").as_array().size(), 2u) << ok.text;
    EXPECT_EQ(ok.body.at("data").as_array()[0].at("native_id"), "tls-2");
  }

  // Each refusal: the vendor's status is error, its message says which check refused, in time.
  for (const auto& [name, reason] : std::vector<std::pair<std::string, std::string>>{
           {"tls_wrong_name", "IP address mismatch"},
           {"tls_wrong_name_by_name", "hostname mismatch"},
           {"tls_untrusted", "unable to get local issuer certificate"},
           {"tls_expired", "certificate has expired"}}) {
    const auto t0 = steady::now();
    auto a = ask(gw, "/v1/conversations?vendor=" + name);
    EXPECT_LT(steady::now() - t0, 2000ms) << name;
    ASSERT_TRUE(a.body.is_object()) << name << ": " << a.text;
    EXPECT_EQ(a.status, 502u) << name << ": " << a.text;
    EXPECT_EQ(vendor_meta(a, name).at("status"), "error") << a.text;
    const std::string message = vendor_error(a, name);
    EXPECT_NE(message.find("TLS"), std::string::npos) << message;
    EXPECT_NE(message.find("certificate"), std::string::npos) << message;
    EXPECT_NE(message.find(reason), std::string::npos) << name << ": " << message;
  }
  {
    auto a = ask(gw, "/v1/conversations?vendor=tls_old_protocol");
    EXPECT_EQ(a.status, 502u) << a.text;
    const std::string message = vendor_error(a, "tls_old_protocol");
    EXPECT_NE(message.find("TLS handshake failed"), std::string::npos) << message;
    EXPECT_NE(message.find("protocol"), std::string::npos) << message;
  }
  EXPECT_TRUE(wrong_name.seen().empty() && untrusted.seen().empty() && expired.seen().empty() &&
              old_tls.seen().empty())
      << "a request was sent over a refused connection";

  // All at once: the good one answers, the refused ones are partial failures, the gateway is fine.
  auto all = ask(gw, "/v1/conversations?sort=-created_at");
  ASSERT_EQ(all.status, 200u) << all.text;
  EXPECT_EQ(all.body.at("meta").at("partial"), true);
  EXPECT_EQ(all.body.at("data").as_array().size(),
            4u);  // the good vendor's two records, by address and by name
  EXPECT_EQ(ask(gw, "/healthz").status, 200u);
  std::filesystem::remove_all(dir);
}

// --- vendor error text ------------------------------------------------------------------------------

TEST(VendorHardening, VendorErrorTextIsClippedBetweenCharactersAndKeptOutOfVendorHealth) {
  // 199 ASCII bytes, then a two-byte character across the 200-byte clip.
  const std::string said = std::string(199, 'x') + "\xC3\xA9" + " and more vendor text";
  responder vendor([&](const http::request<http::string_body>&) -> responder::reply {
    return {json_answer(json::object{{"error", said}}, 500, "Internal Server Error")};
  });
  const std::string vendors = R"({"wordy": {"type": "salesloft", "base_url": ")" + vendor.base_url() +
                              R"(", "auth": {"bearer_token": "hardening-wordy-token"}}})";
  gateway gw(config_text(vendors, 1, false));

  auto a = ask(gw, "/v1/conversations?vendor=wordy");
  EXPECT_EQ(a.status, 502u);
  ASSERT_TRUE(a.body.is_object()) << "the answer is not JSON (invalid UTF-8?): " << a.text.size() << " bytes";
  const std::string message = vendor_error(a, "wordy");
  EXPECT_TRUE(valid_utf8(message));
  EXPECT_NE(message.find(std::string(199, 'x')), std::string::npos) << message;
  EXPECT_EQ(message.find("and more vendor text"), std::string::npos) << "not clipped: " << message;

  auto vendors_page = ask(gw, "/v1/vendors");
  ASSERT_EQ(vendors_page.status, 200u) << vendors_page.text;
  const auto& health = vendors_page.body.at("data").as_array().at(0).at("health").as_object();
  ASSERT_TRUE(health.at("last_error").is_string()) << vendors_page.text;
  const std::string last_error(health.at("last_error").as_string());
  EXPECT_TRUE(last_error.starts_with("upstream_error: ")) << last_error;
  EXPECT_EQ(last_error.find("xxxx"), std::string::npos)
      << "the vendor's text reached /v1/vendors: " << last_error;
  EXPECT_EQ(last_error.find("HTTP 500"), std::string::npos) << last_error;
}

}  // namespace
}  // namespace cgw::testing
