// The upstream client against a scripted loopback server: interim answers are skipped, a
// connection with unread bytes never goes back to the pool, pools are per account, host
// resolutions are cached.
#include "gateway/upstream/client.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>

namespace cgw::upstream {
namespace {

using namespace std::chrono_literals;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

// Answers each request with the byte strings its script returns (each written on its own) and
// records on which connection each request came, with its Authorization.
class scripted_server {
 public:
  using script = std::function<std::vector<std::string>(const http::request<http::string_body>&)>;
  struct seen_request {
    std::size_t connection;
    std::string target, authorization;
  };

  explicit scripted_server(script s)
      : script_(std::move(s)), acceptor_(io_, {net::ip::make_address("127.0.0.1"), 0}) {
    net::co_spawn(io_, accept(), net::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~scripted_server() {
    io_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::vector<seen_request> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  net::awaitable<void> accept() {
    for (std::size_t id = 0;; ++id) {
      auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
      if (ec) co_return;
      net::co_spawn(io_, serve(beast::tcp_stream(std::move(socket)), id), net::detached);
    }
  }
  net::awaitable<void> serve(beast::tcp_stream stream, std::size_t id) {
    beast::flat_buffer buffer;
    for (int n = 0; n < 10'000; ++n) {
      http::request<http::string_body> req;
      auto [rec, rn] = co_await http::async_read(stream, buffer, req, use_tuple);
      if (rec) co_return;
      {
        std::lock_guard lock(mutex_);
        seen_.push_back({id, std::string(req.target()), std::string(req[http::field::authorization])});
      }
      for (const auto& bytes : script_(req)) {
        auto [wec, wn] = co_await net::async_write(stream, net::buffer(bytes), use_tuple);
        if (wec) co_return;
      }
    }
  }

  script script_;
  net::io_context io_;
  tcp::acceptor acceptor_;
  mutable std::mutex mutex_;
  std::vector<seen_request> seen_;
  std::thread thread_;
};

std::string ok(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// The last path segment of a target: the scripts answer it back.
std::string tail(const http::request<http::string_body>& req) {
  const std::string t(req.target());
  return t.substr(t.rfind('/') + 1);
}

class UpstreamClient : public ::testing::Test {
 protected:
  endpoint at(const scripted_server& s, std::string account = "account-1") {
    auto ep = parse_endpoint("http://127.0.0.1:" + std::to_string(s.port())).value();
    ep.account = std::move(account);
    return ep;
  }

  result<response> get(const endpoint& ep, const std::string& target,
                       const std::string& authorization = "Bearer a") {
    request req{http::verb::get, target, 11};
    req.set(http::field::authorization, authorization);
    auto done = net::co_spawn(io_, http_.send(ep, std::move(req), clock::now() + 2s), net::use_future);
    io_.run_for(5s);
    io_.restart();
    if (done.wait_for(0s) != std::future_status::ready)
      return failure::make(errc::internal, "send did not end");
    return done.get();
  }

  net::io_context io_;
  client http_{io_.get_executor()};
};

TEST_F(UpstreamClient, InterimAnswersAreSkippedWhetherInOneWriteOrSeveral) {
  scripted_server server([](const http::request<http::string_body>& req) -> std::vector<std::string> {
    const std::string hints = "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n";
    if (tail(req) == "together") return {hints + "HTTP/1.1 100 Continue\r\n\r\n" + ok("together")};
    return {hints, "HTTP/1.1 100 Continue\r\n\r\n", ok(tail(req))};
  });
  const auto ep = at(server);
  for (const std::string t : {"together", "apart", "together", "third"}) {
    auto r = get(ep, "/x/" + t);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->result_int(), 200u);
    EXPECT_EQ(r->body(), t) << "an answer of another request";
  }
  EXPECT_EQ(http_.connections_opened(), 1u);  // clean after each answer: pooled and reused
}

TEST_F(UpstreamClient, AConnectionWithUnreadBytesIsNotPooled) {
  scripted_server server([](const http::request<http::string_body>& req) -> std::vector<std::string> {
    // A second, unasked answer right behind the real one.
    return {ok(tail(req)) + ok("unasked")};
  });
  const auto ep = at(server);
  for (const std::string t : {"one", "two", "three"}) {
    auto r = get(ep, "/x/" + t);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->body(), t);
  }
  EXPECT_EQ(http_.connections_opened(), 3u);
}

TEST_F(UpstreamClient, AConnectionThatIsNotKeptAliveIsNotPooled) {
  scripted_server server([](const http::request<http::string_body>& req) -> std::vector<std::string> {
    const std::string body = tail(req);
    return {"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\n\r\n" + body};
  });
  const auto ep = at(server);
  for (const std::string t : {"one", "two"}) {
    auto r = get(ep, "/x/" + t);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->body(), t);
  }
  EXPECT_EQ(http_.connections_opened(), 2u);
  EXPECT_EQ(http_.resolutions(), 1u);  // the second connection used the cached resolution
}

TEST_F(UpstreamClient, PoolsArePerAccount) {
  scripted_server server([](const http::request<http::string_body>& req) -> std::vector<std::string> {
    return {ok(tail(req))};
  });
  const auto a = at(server, "account-a"), b = at(server, "account-b");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(get(a, "/x/a" + std::to_string(i), "Bearer a"));
    ASSERT_TRUE(get(b, "/x/b" + std::to_string(i), "Bearer b"));
  }
  EXPECT_EQ(http_.connections_opened(), 2u);
  std::map<std::size_t, std::set<std::string>> tokens;
  for (const auto& s : server.seen()) tokens[s.connection].insert(s.authorization);
  ASSERT_EQ(tokens.size(), 2u);
  for (const auto& [connection, t] : tokens) EXPECT_EQ(t.size(), 1u) << "connection " << connection;
}

TEST_F(UpstreamClient, EndlessInterimAnswersAreAnUpstreamError) {
  scripted_server server([](const http::request<http::string_body>&) -> std::vector<std::string> {
    std::string many;
    for (int i = 0; i < 20; ++i) many += "HTTP/1.1 100 Continue\r\n\r\n";
    return {many};
  });
  auto r = get(at(server), "/x/y");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::upstream_error);
  EXPECT_NE(r.error().message.find("interim"), std::string::npos) << r.error().message;
}

TEST_F(UpstreamClient, SwitchingProtocolsIsAnUpstreamError) {
  scripted_server server([](const http::request<http::string_body>&) -> std::vector<std::string> {
    return {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n"};
  });
  auto r = get(at(server), "/x/y");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::upstream_error);
  EXPECT_NE(r.error().message.find("101"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace cgw::upstream
