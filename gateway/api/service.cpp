#include "gateway/api/service.hpp"

#include "gateway/api/trace.hpp"

#include "gateway/api/answer.hpp"
#include "gateway/api/conversations.hpp"
#include "gateway/api/openapi.hpp"
#include "gateway/api/stats.hpp"
#include "gateway/metrics/catalog.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <random>

#include <boost/url/parse.hpp>
#include <boost/url/parse_query.hpp>

namespace cgw::api {
namespace {

bool has_sane_id(std::string_view id) {
  return !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

response make_response(unsigned version, bool keep_alive, answer a, std::string_view request_id) {
  response res{static_cast<http::status>(a.status), version};
  res.set(http::field::content_type, "application/json; charset=utf-8");
  res.set("X-Request-Id", request_id);
  res.set(http::field::cache_control, "no-store");
  for (auto& [name, value] : a.headers) res.set(name, value);
  res.body() = body_text(a);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

response to_response(const request& req, answer a, std::string_view request_id) {
  return make_response(req.version(), req.keep_alive(), std::move(a), request_id);
}

// Adds CORS headers for an allowed Origin; true when the origin is allowed.
bool apply_cors(const request& req, response& res, const config::cors_config& cors) {
  auto it = req.find(http::field::origin);
  if (it == req.end()) return false;
  std::string_view origin = it->value();
  if (std::find(cors.allowed_origins.begin(), cors.allowed_origins.end(), origin) ==
      cors.allowed_origins.end())
    return false;
  res.set(http::field::access_control_allow_origin, origin);
  res.set(http::field::vary, "Origin");
  res.set(http::field::access_control_expose_headers,
          "X-Request-Id, Retry-After, RateLimit, RateLimit-Policy");
  return true;
}

// The request's deadline: the configured one, lowered by X-Request-Timeout-Ms.
deadline deadline_for(const request& req, const config::gateway_config& cfg) {
  std::uint32_t ms = cfg.request_deadline_ms;
  if (auto it = req.find("X-Request-Timeout-Ms"); it != req.end()) {
    std::string_view v = it->value();
    std::uint32_t asked = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), asked);
    if (ec == std::errc() && p == v.data() + v.size() && asked > 0) ms = std::min(ms, asked);
  }
  return clock::now() + std::chrono::milliseconds(ms);
}

}  // namespace

const std::vector<route>& routes() {
  static const std::vector<route> table = {
      {"/v1/conversations", "List conversations from every selected vendor as one ordered stream", true},
      {"/v1/conversations/{id}", "One conversation by unified id", true},
      {"/v1/vendors", "The vendor instances the client may reach", true},
      {"/v1/conversations/stats",
       "Counts and duration figures of the matching conversations, grouped, across vendors", true},
      {"/healthz", "Liveness", false},
      {"/readyz", "Readiness: configuration loaded and not draining", false},
      {"/metrics", "Prometheus metrics", false},
      {"/openapi.json", "This OpenAPI document", false},
  };
  return table;
}

// What the access log says of the vendors of a list answer: who was asked, and who failed how.
void note_vendors(const answer& a, request_log& log) {
  const auto* meta = a.body.if_contains("meta");
  if (!meta || !meta->is_object()) return;
  if (const auto* p = meta->get_object().if_contains("partial"); p && p->is_bool())
    log.partial = p->get_bool();
  const auto* vendors = meta->get_object().if_contains("vendors");
  if (!vendors || !vendors->is_object()) return;
  for (const auto& [name, v] : vendors->get_object()) {
    if (!v.is_object()) continue;
    if (v.get_object().contains("latency_ms")) log.vendors.emplace_back(name);
    if (const auto* e = v.get_object().if_contains("error"); e && e->is_object())
      log.failures.push_back({std::string(name), std::string(e->at("code").as_string()),
                              std::string(e->at("message").as_string())});
  }
}

std::string request_id_for(const request& req) {
  if (auto it = req.find("X-Request-Id"); it != req.end() && has_sane_id(it->value()))
    return std::string(it->value());
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

response error_response(const failure& f, std::string_view request_id, unsigned version, bool keep_alive) {
  return make_response(version, keep_alive, error_answer(f, request_id), request_id);
}

service::service(runtime_ptr rt, std::shared_ptr<policy::client_limit_store> client_limits)
    : runtime_(std::move(rt)),
      client_limits_(client_limits ? std::move(client_limits)
                                   : std::make_shared<policy::memory_client_limit_store>()) {}

net::awaitable<response> service::handle(const request& req, upstream::client& http, request_log& log) {
  runtime_ptr rt = current();  // this request's configuration, whatever a reload does meanwhile
  auto trace = trace_for(req["traceparent"]);
  log.trace_id = std::move(trace.trace_id);
  log.traceparent = std::move(trace.traceparent);
  try {
    co_return co_await dispatch(req, *rt, http, log);
  } catch (const std::exception&) {
    log.status = 500;
    co_return error_response(failure::make(errc::internal, "internal error; quote the request id"),
                             log.request_id, req.version(), req.keep_alive());
  }
}

net::awaitable<response> service::dispatch(const request& req, const runtime& rt, upstream::client& http,
                                           request_log& log) {
  const auto& cfg = *rt.cfg;
  // Set once the client's rate limit was taken: every answer to it then carries the limit's headers.
  std::optional<std::pair<config::client_rate_limit, policy::client_limit_verdict>> limited;
  auto finish = [&](answer a) {
    log.status = a.status;
    log.spent = std::move(a.spent);
    if (limited) {
      a.headers.emplace_back("RateLimit-Policy", policy::rate_limit_policy_header(limited->first));
      a.headers.emplace_back("RateLimit", policy::rate_limit_header(limited->second));
    }
    response res = to_response(req, std::move(a), log.request_id);
    apply_cors(req, res, cfg.cors);
    return res;
  };
  auto fail = [&](errc code, std::string message, std::string param = {}) {
    log.status = http_status(code);
    response res = error_response(failure::make(code, std::move(message), std::move(param)), log.request_id,
                                  req.version(), req.keep_alive());
    apply_cors(req, res, cfg.cors);
    return res;
  };

  auto target = boost::urls::parse_origin_form(req.target());
  if (!target) co_return fail(errc::invalid_parameter, "the request target is not a valid URL path");
  const std::string path = target->path();
  const std::string_view query = target->encoded_query();

  const route* matched = nullptr;
  std::string id_param;
  for (const auto& r : routes()) {
    if (r.path == path) matched = &r;
  }
  if (!matched && path.starts_with("/v1/conversations/") && path.size() > 18) {
    matched = &routes()[1];
    id_param = path.substr(18);
  }
  if (!matched) co_return fail(errc::not_found, "no such endpoint: " + path);
  log.route = matched->path;

  if (req.method() == http::verb::options) {  // CORS preflight
    response res{http::status::no_content, req.version()};
    res.set("X-Request-Id", log.request_id);
    if (apply_cors(req, res, cfg.cors)) {
      res.set(http::field::access_control_allow_methods, "GET, OPTIONS");
      std::string headers;
      for (const auto& h : cfg.cors.allowed_headers) headers += (headers.empty() ? "" : ", ") + h;
      res.set(http::field::access_control_allow_headers, headers);
      res.set(http::field::access_control_max_age, std::to_string(cfg.cors.max_age_s));
    }
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    log.status = 204;
    co_return res;
  }
  if (req.method() != http::verb::get) {
    auto res = fail(errc::method_not_allowed, "only GET is allowed here");
    res.set(http::field::allow, "GET, OPTIONS");
    co_return res;
  }

  if (matched->path == "/healthz") co_return finish(answer{200, {{"status", "ok"}}});
  if (matched->path == "/openapi.json") co_return finish(answer{200, openapi_document(rt.vendor_types)});
  if (matched->path == "/metrics") {
    response res{http::status::ok, req.version()};
    res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.set("X-Request-Id", log.request_id);
    res.body() = metrics::registry::global().render();
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    log.status = 200;
    co_return res;
  }
  if (matched->path == "/readyz") {
    if (draining_) co_return fail(errc::draining, "the gateway is shutting down");
    co_return finish(answer{200, {{"status", "ready"}}});
  }

  auto who = authenticate(req, cfg);
  if (!who) co_return finish(error_answer(who.error(), log.request_id));
  log.client = who->client;
  if (who->rate_limit) {  // before any vendor call: a refused request costs no vendor anything
    limited.emplace(*who->rate_limit, co_await client_limits_->take(who->client, *who->rate_limit));
    if (!limited->second.allowed) {
      metrics::http_refusals.with({"rate_limited"}).add();
      auto f = failure::make(errc::rate_limited, "this client is over its rate limit; retry after " +
                                                     std::to_string(limited->second.retry_after_s) + " s");
      f.retry_after_s = limited->second.retry_after_s;
      co_return finish(error_answer(f, log.request_id));
    }
  }
  request_scope scope{rt, *who, http, deadline_for(req, cfg), log.request_id, log.traceparent};

  if (matched->path == "/v1/vendors") {
    if (!query.empty()) co_return fail(errc::unknown_parameter, "this endpoint takes no parameters");
    co_return finish(list_vendors(scope));
  }
  if (matched->path == "/v1/conversations/stats") {
    auto stats = co_await conversation_stats(scope, query, req[http::field::accept]);
    note_vendors(stats.a, log);
    auto res = finish(std::move(stats.a));
    if (stats.csv && res.result() == http::status::ok) use_csv(res, std::move(*stats.csv));
    co_return res;
  }
  if (!id_param.empty()) {
    bool include_raw = false;
    const std::string terminated(query);  // see parse_list_query: Boost.URL 1.81 reads to a NUL
    auto params = boost::urls::parse_query(terminated);
    if (!params) co_return fail(errc::invalid_parameter, "the query string is not well-formed");
    for (auto p : *params) {
      std::string key = p.key.decode();
      if (key == "include" && p.value.decode() == "raw")
        include_raw = true;
      else if (key == "include")
        co_return fail(errc::invalid_parameter, "include: expected raw", "include");
      else
        co_return fail(errc::unknown_parameter, key + ": unknown parameter", key);
    }
    if (auto colon = id_param.find(':'); colon != std::string::npos)
      log.vendors.push_back(id_param.substr(0, colon));
    answer a = co_await get_conversation(scope, id_param, include_raw);  // path() is already decoded
    if (a.status >= 500 && !log.vendors.empty()) {
      const auto& error = a.body.at("error").as_object();
      log.failures.push_back({log.vendors.front(), std::string(error.at("code").as_string()),
                              std::string(error.at("message").as_string())});
    }
    co_return finish(std::move(a));
  }
  auto q = parse_list_query(query);
  if (!q) co_return finish(error_answer(q.error(), log.request_id));
  answer a = co_await list_conversations(scope, *q);
  note_vendors(a, log);
  co_return finish(std::move(a));
}

}  // namespace cgw::api
