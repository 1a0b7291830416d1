// One caller never hurts another, at the server layer (spec "Hostile HTTP", "Overload",
// "Disconnect"; configuration.md's reload rules): strict framing, the header timeout, error
// bodies of the server layer, admission (max_in_flight, per-address connections), cancelling
// the request of a client that went away, and reloads that cannot change what the process is
// fixed to or apply half a file. Raw sockets where the HTTP must be malformed; loopback only.
#include "adapters/salesloft/sandbox/sandbox.hpp"
#include "config/loader.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/program.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <boost/json/parse.hpp>

namespace cgw::testing {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// A blocking TCP connection to the gateway on 127.0.0.1, for bytes that are not well-formed HTTP.
class raw_connection {
 public:
  explicit raw_connection(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~raw_connection() { close(); }
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;

  bool connected() const { return connected_; }
  // False once the peer has closed (EPIPE, ECONNRESET).
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  // Reads what is there within `wait`; sets closed_ at EOF or a reset.
  void read_for(std::chrono::milliseconds wait) {
    const auto until = steady::now() + wait;
    while (!closed_) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - steady::now()).count();
      if (left <= 0) return;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) return;
      char buf[4096];
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        return;
      }
      received_.append(buf, static_cast<std::size_t>(n));
    }
  }
  // Reads until `n` whole responses are there, the connection closes, or `limit` passes.
  void read_responses(std::size_t n, std::chrono::milliseconds limit);
  // Everything until the gateway closes the connection, or `limit` passes.
  const std::string& read_until_close(std::chrono::milliseconds limit) {
    read_for(limit);
    return received_;
  }
  bool closed() const { return closed_; }
  const std::string& received() const { return received_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
  bool connected_ = false;
  bool closed_ = false;
  std::string received_;
};

// How many whole HTTP responses a byte stream holds, one after the other (framed by Content-Length).
std::size_t responses_in(const std::string& text) {
  std::size_t count = 0;
  for (std::size_t at = 0; text.compare(at, 9, "HTTP/1.1 ") == 0; ++count) {
    const auto head_end = text.find("\r\n\r\n", at);
    if (head_end == std::string::npos) break;
    std::size_t length = 0;
    const auto field = text.find("\r\nContent-Length: ", at);
    if (field != std::string::npos && field < head_end) length = std::stoul(text.substr(field + 18));
    if (text.size() < head_end + 4 + length) break;
    at = head_end + 4 + length;
  }
  return count;
}

void raw_connection::read_responses(std::size_t n, std::chrono::milliseconds limit) {
  const auto until = steady::now() + limit;
  while (responses_in(received_) < n && !closed_ && steady::now() < until) read_for(50ms);
}

// The first response of a byte stream: status, lower-case headers, body (JSON or null).
struct raw_answer {
  unsigned status = 0;
  std::map<std::string, std::string> headers;
  boost::json::value body;
};

raw_answer first_response(const std::string& text) {
  raw_answer out;
  if (text.size() < 12 || text.compare(0, 9, "HTTP/1.1 ") != 0) return out;
  out.status = static_cast<unsigned>(std::stoul(text.substr(9, 3)));
  const auto head_end = text.find("\r\n\r\n");
  if (head_end == std::string::npos) return out;
  for (std::size_t at = text.find("\r\n") + 2; at < head_end;) {
    const auto eol = text.find("\r\n", at);
    const std::string line = text.substr(at, eol - at);
    if (auto colon = line.find(':'); colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      out.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    at = eol + 2;
  }
  std::size_t length = 0;
  if (auto it = out.headers.find("content-length"); it != out.headers.end()) length = std::stoul(it->second);
  boost::system::error_code ec;
  out.body = boost::json::parse(text.substr(head_end + 4, length), ec);
  if (ec) out.body = nullptr;
  return out;
}

// The value of one metric sample in /metrics ("name{labels}"); 0 when absent.
double metric(std::uint16_t port, const std::string& sample) {
  const auto text = request(port, "/metrics").text;
  const auto at = text.find("\n" + sample + " ");
  if (at == std::string::npos) return 0;
  return std::stod(text.substr(at + sample.size() + 2));
}

// The gateway configuration of these tests with `server` keys added to the harness's.
std::string with_server(std::string text, const std::string& server_keys) {
  const std::string harness_server = R"("server": {"threads": 2})";
  text.replace(text.find(harness_server), harness_server.size(),
               R"("server": {"threads": 2, )" + server_keys + "}");
  return text;
}

std::string salesloft_vendor(std::uint16_t port, const std::string& policies = "") {
  return R"({"salesloft": {"type": "salesloft", "base_url": "http://127.0.0.1:)" + std::to_string(port) +
         R"(", "auth": {"bearer_token": "sandbox-salesloft-token"})" + policies + "}}";
}

std::unique_ptr<sandbox::handler> small_salesloft(std::uint32_t records) {
  sandbox::salesloft::options opts;
  opts.records = records;
  opts.budget_per_minute = 0;
  return sandbox::salesloft::make_handler(opts);
}

const std::string list_target = "/v1/conversations?page_size=1&sort=-created_at";

// ---- Framing -------------------------------------------------------------------------------------------

TEST(IsolationServer, MalformedFramingIsRefusedWith400AndNothingBehindItIsAnswered) {
  gateway gw(config_with("{}"));
  const std::string pipelined = "GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n";
  const struct {
    const char* name;
    std::string head;
    std::string request_id;  // what the client sent as X-Request-Id ("": none, a new one is made)
  } cases[] = {
      {"chunked GET",
       "GET /healthz HTTP/1.1\r\nHost: gw\r\nX-Request-Id: te-1\r\nTransfer-Encoding: "
       "chunked\r\n\r\n0\r\n\r\n",
       "te-1"},
      {"Content-Length with Transfer-Encoding",
       "GET /healthz HTTP/1.1\r\nHost: gw\r\nX-Request-Id: clte-1\r\nContent-Length: 5\r\nTransfer-Encoding: "
       "chunked\r\n\r\n0\r\n\r\n",
       ""},  // Beast refuses this head while parsing: the id it carried may not be read yet
      {"a body on GET",
       "GET /healthz HTTP/1.1\r\nHost: gw\r\nX-Request-Id: body-1\r\nContent-Length: 5\r\n\r\nhello",
       "body-1"},
      {"garbage request line", "HELLO\x01 THERE\r\n\r\n", ""},
      {"bad header", "GET /healthz HTTP/1.1\r\nHost: gw\r\nBad Header: y\r\n\r\n", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    raw_connection conn(gw.port());
    ASSERT_TRUE(conn.connected());
    ASSERT_TRUE(conn.send(c.head + pipelined));  // one write: the second request is already there
    const auto& text = conn.read_until_close(3s);
    EXPECT_TRUE(conn.closed()) << "the connection stayed open after the refusal";
    EXPECT_EQ(responses_in(text), 1u) << text;
    const auto answer = first_response(text);
    EXPECT_EQ(answer.status, 400u) << text;
    ASSERT_TRUE(answer.body.is_object()) << text;
    const auto& error = answer.body.at("error").as_object();
    EXPECT_EQ(error.at("code"), "invalid_request");
    EXPECT_FALSE(error.at("message").as_string().empty());
    ASSERT_TRUE(error.contains("request_id"));
    ASSERT_TRUE(answer.headers.contains("x-request-id"));
    EXPECT_EQ(error.at("request_id").as_string(), answer.headers.at("x-request-id"));
    EXPECT_FALSE(answer.headers.at("x-request-id").empty());
    if (!c.request_id.empty()) {
      EXPECT_EQ(answer.headers.at("x-request-id"), c.request_id);
    }
  }
  EXPECT_EQ(gw.get("/healthz").status, 200u);  // the gateway itself is unharmed
}

TEST(IsolationServer, AHeaderSectionTrickledSlowlyIsClosedWithinTheHeaderTimeout) {
  gateway gw(with_server(config_with("{}"), R"("header_timeout_ms": 1000)"));
  raw_connection conn(gw.port());
  ASSERT_TRUE(conn.connected());
  const auto first_byte = steady::now();
  ASSERT_TRUE(conn.send("GET /healthz HTTP/1.1\r\n"));
  // One header line per 300 ms, for at most 20 lines (6 s): far past the timeout unless it holds.
  for (int line = 0; line < 20 && !conn.closed(); ++line) {
    conn.read_for(300ms);
    if (conn.closed() || !conn.received().empty()) break;
    if (!conn.send("X-Trickle-" + std::to_string(line) + ": slow\r\n")) break;
  }
  conn.read_until_close(3s);
  const auto elapsed = steady::now() - first_byte;
  EXPECT_TRUE(conn.closed());
  EXPECT_LE(elapsed, 2000ms) << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
                             << " ms";
  EXPECT_GE(elapsed, 900ms);  // not before the timeout either
  auto answer = first_response(conn.received());
  EXPECT_EQ(answer.status, 408u) << conn.received();
  if (answer.body.is_object()) {
    EXPECT_EQ(answer.body.at("error").at("code"), "request_timeout");
    EXPECT_EQ(answer.body.at("error").at("request_id").as_string(), answer.headers["x-request-id"]);
  }
}

TEST(IsolationServer, AnOversizedRequestGets413WithARequestId) {
  gateway gw(config_with("{}"));
  const auto res =
      request(gw.port(), "/healthz", {{"X-Fill", std::string(20'000, 'a')}, {"X-Request-Id", "big-1"}});
  EXPECT_EQ(res.status, 413u);
  ASSERT_TRUE(res.body.is_object()) << res.text;
  EXPECT_EQ(res.body.at("error").at("code"), "payload_too_large");
  ASSERT_TRUE(res.body.at("error").as_object().contains("request_id")) << res.text;
  ASSERT_TRUE(res.headers.contains("x-request-id"));
  EXPECT_EQ(res.body.at("error").at("request_id").as_string(), res.headers.at("x-request-id"));
}

// ---- Admission -----------------------------------------------------------------------------------------

TEST(IsolationServer, BeyondMaxInFlightRequestsAre503OverloadedAtOnce) {
  sandbox::server vendor(small_salesloft(20));
  gateway gw(with_server(config_with(salesloft_vendor(vendor.start())), R"("max_in_flight": 4)"));
  vendor.set_faults({.latency_ms = 1500});
  const double refused_before = metric(gw.port(), R"(cgw_http_refusals_total{reason="overloaded"})");

  std::vector<std::future<std::pair<http_answer, double>>> calls;
  for (int i = 0; i < 16; ++i)
    calls.push_back(std::async(std::launch::async, [&] {
      const auto t0 = steady::now();
      auto res = gw.get(list_target);
      return std::make_pair(res, std::chrono::duration<double, std::milli>(steady::now() - t0).count());
    }));
  int ok = 0, overloaded = 0;
  for (auto& c : calls) {
    auto [res, ms] = c.get();
    if (res.status == 200) {
      ++ok;
      continue;
    }
    EXPECT_EQ(res.status, 503u) << res.text;
    if (res.status != 503) continue;
    ++overloaded;
    EXPECT_EQ(res.body.at("error").at("code"), "overloaded");
    EXPECT_EQ(res.headers["retry-after"], "1");
    EXPECT_EQ(res.body.at("error").at("request_id").as_string(), res.headers["x-request-id"]);
    EXPECT_LT(ms, 1000) << "a refusal waited for the slow vendor";
  }
  EXPECT_GE(ok, 1);
  EXPECT_GE(overloaded, 1);
  EXPECT_EQ(metric(gw.port(), R"(cgw_http_refusals_total{reason="overloaded"})") - refused_before,
            overloaded);
  // The gauge comes back down: only the /metrics request itself is in flight. A request leaves the
  // gauge once its answer is written, which the client may read a moment before that: bounded wait.
  double in_flight = 0;
  for (int i = 0; i < 100 && (in_flight = metric(gw.port(), "cgw_http_in_flight_requests")) != 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(in_flight, 1);
}

TEST(IsolationServer, ConnectionsBeyondThePerAddressCapAreClosedUnserved) {
  gateway gw(with_server(config_with("{}"), R"("max_connections_per_ip": 3)"));
  const double refused_before = metric(gw.port(), R"(cgw_http_refusals_total{reason="per_ip"})");
  std::vector<std::unique_ptr<raw_connection>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<raw_connection>(gw.port()));
    ASSERT_TRUE(held.back()->connected());
  }
  std::this_thread::sleep_for(300ms);  // the three are accepted (and counted) first
  raw_connection fourth(gw.port());
  ASSERT_TRUE(fourth.connected());  // the kernel completes the handshake; the gateway then closes it
  fourth.send("GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n");
  fourth.read_until_close(3s);
  EXPECT_TRUE(fourth.closed());
  EXPECT_EQ(responses_in(fourth.received()), 0u) << fourth.received();
  for (auto& conn : held) {
    ASSERT_TRUE(conn->send("GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n"));
    conn->read_responses(1, 2s);
    EXPECT_EQ(first_response(conn->received()).status, 200u) << conn->received();
    EXPECT_FALSE(conn->closed());  // kept alive
  }
  held.clear();
  // Closed connections free their slots; a refused one was counted.
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    try {
      served = gw.get("/healthz").status == 200;
    } catch (const std::exception&) {
      std::this_thread::sleep_for(20ms);
    }
  }
  EXPECT_TRUE(served);
  EXPECT_GE(metric(gw.port(), R"(cgw_http_refusals_total{reason="per_ip"})") - refused_before, 1);
}

// ---- Disconnect ----------------------------------------------------------------------------------------

TEST(IsolationServer, AClientThatGoesAwayCancelsItsRequest) {
  sandbox::server vendor(small_salesloft(20));
  gateway gw(config_with(salesloft_vendor(vendor.start())));
  vendor.set_faults({.latency_ms = 3000});
  const std::string cancelled = R"(cgw_http_requests_cancelled_total{route="/v1/conversations"})";
  const double before = metric(gw.port(), cancelled);
  {
    raw_connection conn(gw.port());
    ASSERT_TRUE(conn.connected());
    ASSERT_TRUE(conn.send("GET " + list_target + " HTTP/1.1\r\nHost: gw\r\n\r\n"));
    for (int i = 0; i < 100 && vendor.requests() == 0; ++i) std::this_thread::sleep_for(10ms);
    ASSERT_EQ(vendor.requests(), 1u);  // the vendor call is under way
    std::this_thread::sleep_for(100ms);
  }  // the client goes away
  const auto gone = steady::now();
  bool seen = false;
  while (!seen && steady::now() - gone < 1500ms) {
    seen =
        metric(gw.port(), cancelled) - before == 1 && metric(gw.port(), "cgw_http_in_flight_requests") == 1;
    if (!seen) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(seen)
      << "the request was not cancelled within 1.5 s of the disconnect (the vendor answers after 3 s)";
  // The gateway stays healthy and the vendor can be reached again.
  vendor.set_faults({});
  EXPECT_EQ(gw.get(list_target).status, 200u);
}

// Clients that go away just as their vendors answer, over and over: each cancellation reaches
// vendor calls that are finishing at that moment. (Vendor calls run on other io threads made a
// cancellation there use memory its request had already freed: the process died within seconds.)
// Bounded: 6 clients for 3 s; then the gateway must still answer.
TEST(IsolationServer, ClientsLeavingMidFanOutNeverCrash) {
  sandbox::server first(small_salesloft(200)), second(small_salesloft(200));
  const std::string vendors = R"({"salesloft": {"type": "salesloft", "base_url": "http://127.0.0.1:)" +
                              std::to_string(first.start()) +
                              R"(", "auth": {"bearer_token": "sandbox-salesloft-token"}},
      "salesloft_eu": {"type": "salesloft", "base_url": "http://127.0.0.1:)" +
                              std::to_string(second.start()) +
                              R"(", "auth": {"bearer_token": "sandbox-salesloft-token"}}})";
  gateway gw(config_with(vendors));
  constexpr int latency_ms = 30;
  first.set_faults({.latency_ms = latency_ms});
  second.set_faults({.latency_ms = latency_ms});
  ASSERT_EQ(gw.get("/v1/conversations?page_size=50&sort=-created_at").status, 200u);
  std::atomic<int> cancelled{0};
  const auto until = steady::now() + 3s;
  std::vector<std::thread> clients;
  for (int c = 0; c < 6; ++c)
    clients.emplace_back([&, c] {
      // Leave from 1 ms before to 1 ms after the vendors answer, in 0.1 ms steps.
      for (int i = 0; steady::now() < until; ++i) {
        raw_connection conn(gw.port());
        if (!conn.connected() || !conn.send("GET /v1/conversations?page_size=50&sort=-created_at HTTP/1.1\r\n"
                                            "Host: gw\r\n\r\n"))
          return;
        std::this_thread::sleep_for(
            std::chrono::microseconds((latency_ms - 1) * 1000 + ((i * 7 + c) % 21) * 100));
        conn.close();
        ++cancelled;
      }
    });
  for (auto& t : clients) t.join();
  EXPECT_GT(cancelled.load(), 100);
  first.set_faults({});
  second.set_faults({});
  const auto after = gw.get("/v1/conversations?page_size=50&sort=-created_at");
  EXPECT_EQ(after.status, 200u);
  EXPECT_EQ(after.data().size(), 50u);
}

// A client that stays, with a request pipelined behind a slow one: the watcher keeps the bytes and
// the first request is not cancelled.
TEST(IsolationServer, APipelinedRequestDoesNotCancelTheOneBeforeIt) {
  sandbox::server vendor(small_salesloft(20));
  gateway gw(config_with(salesloft_vendor(vendor.start())));
  vendor.set_faults({.latency_ms = 300});
  raw_connection conn(gw.port());
  ASSERT_TRUE(conn.connected());
  const std::string one = "GET " + list_target + " HTTP/1.1\r\nHost: gw\r\n\r\n";
  ASSERT_TRUE(conn.send(one));
  std::this_thread::sleep_for(100ms);  // the first is being handled when the second arrives
  ASSERT_TRUE(conn.send("GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n"));
  conn.read_responses(2, 3s);
  EXPECT_EQ(responses_in(conn.received()), 2u) << conn.received();
  EXPECT_EQ(first_response(conn.received()).status, 200u);
}

// ---- Reload (the real program) -------------------------------------------------------------------------

const std::string& binary = gateway_binary;

TEST(IsolationServer, AReloadThatChangesMaxInFlightIsRejectedAndTheOldLimitHolds) {
  sandbox::server vendor(small_salesloft(20));
  const auto vendors = salesloft_vendor(vendor.start());
  const auto path =
      write_config("iso_inflight.json", at_info(with_server(config_with(vendors), R"("max_in_flight": 2)")));
  child gw = child::spawn({binary, "--config", path});
  const auto port = listening_port(gw);
  ASSERT_NE(port, 0);

  replace_file(path, at_info(with_server(config_with(vendors), R"("max_in_flight": 64)")));
  kill(gw.pid, SIGHUP);
  const auto line = gw.line_with("reload rejected");
  EXPECT_NE(line.find("server.max_in_flight: cannot change on reload; restart to apply"), std::string::npos)
      << line;
  EXPECT_EQ(metric(port, R"(cgw_config_reloads_total{result="rejected"})"), 1);

  // Still 2: eight slow requests at once cannot all be admitted.
  vendor.set_faults({.latency_ms = 1500});
  std::vector<std::future<unsigned>> calls;
  for (int i = 0; i < 8; ++i)
    calls.push_back(std::async(std::launch::async, [&] { return request(port, list_target).status; }));
  int overloaded = 0;
  for (auto& c : calls) overloaded += c.get() == 503;
  EXPECT_GE(overloaded, 1);
}

TEST(IsolationServer, AReloadThatChangesListenIsRejectedAndAKeyIsStillRequired) {
  sandbox::server vendor(small_salesloft(20));
  const auto vendors = salesloft_vendor(vendor.start());
  const std::string key_hash = config::sha256_hex("iso-client-key");
  const auto keyed = at_info(
      config_with(vendors, R"([{"name": "dash", "key_sha256": ")" + key_hash + R"(", "tenant": "acme"}])",
                  R"({"acme": {"vendors": ["salesloft"]}})"));
  const auto path = write_config("iso_listen.json", keyed);
  child gw = child::spawn({binary, "--config", path});
  const auto port = listening_port(gw);
  ASSERT_NE(port, 0);
  ASSERT_EQ(request(port, "/v1/vendors").status, 401u);

  // No clients, on another (loopback) address: the loader accepts the file, the reload must not.
  std::string open = at_info(config_with(vendors));
  open.replace(open.find("127.0.0.1"), 9, "127.0.0.2");
  replace_file(path, open);
  kill(gw.pid, SIGHUP);
  const auto line = gw.line_with("reload rejected");
  EXPECT_NE(line.find("listen.address: cannot change on reload"), std::string::npos) << line;
  EXPECT_EQ(request(port, "/v1/vendors").status, 401u);
  EXPECT_EQ(request(port, "/v1/vendors", {{"X-API-Key", "iso-client-key"}}).status, 200u);
}

TEST(IsolationServer, ARejectedReloadAppliesNoneOfItsBreakerSettings) {
  sandbox::server vendor(small_salesloft(20));
  const auto port_v = vendor.start();
  const std::string policies = R"(, "retry": {"max_attempts": 1})";
  const auto path =
      write_config("iso_partial.json", at_info(config_with(salesloft_vendor(port_v, policies))));
  child gw = child::spawn({binary, "--config", path});
  const auto port = listening_port(gw);
  ASSERT_NE(port, 0);

  // A file whose salesloft breaker opens at the first failure, and whose zild entry (built after
  // salesloft, in name order) is refused by its adapter: the whole file must be rejected unapplied.
  std::string bad = salesloft_vendor(port_v, policies + R"(, "circuit": {"failure_threshold": 1})");
  bad.pop_back();
  bad += R"(, "zild": {"type": "zild", "base_url": "http://127.0.0.1:9", "auth": {"bearer_token": "t"},
                       "options": {"bogus": 1}}})";
  replace_file(path, at_info(config_with(bad)));
  kill(gw.pid, SIGHUP);
  const auto line = gw.line_with("reload rejected");
  EXPECT_NE(line.find("vendors.zild.options.bogus"), std::string::npos) << line;

  // Two vendor failures: with the running threshold (5) the circuit stays closed and both reach the vendor.
  vendor.set_faults({.error_status = 500});
  for (int i = 0; i < 2; ++i) EXPECT_EQ(request(port, list_target).status, 502u);
  EXPECT_EQ(vendor.requests(), 2u);
  const auto vendors = request(port, "/v1/vendors");
  ASSERT_EQ(vendors.status, 200u) << vendors.text;
  EXPECT_EQ(vendors.data().at(0).at("health").at("circuit"), "closed") << vendors.text;
}

}  // namespace
}  // namespace cgw::testing
