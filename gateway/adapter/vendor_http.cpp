#include "gateway/adapter/vendor_http.hpp"

#include "gateway/core/digest.hpp"

namespace cgw::adapter {
namespace {

namespace json = boost::json;

constexpr std::size_t max_message = 200;

// The length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no overlong forms,
// no surrogates, nothing past U+10FFFF), or 0 when it is not one.
std::size_t utf8_sequence(std::string_view s) {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = b(0);
  if (lead < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range
  if (lead >= 0xC2 && lead <= 0xDF)
    n = 2;
  else if (lead >= 0xE0 && lead <= 0xEF)
    n = 3, lo = lead == 0xE0 ? 0xA0 : 0x80, hi = lead == 0xED ? 0x9F : 0xBF;
  else if (lead >= 0xF0 && lead <= 0xF4)
    n = 4, lo = lead == 0xF0 ? 0x90 : 0x80, hi = lead == 0xF4 ? 0x8F : 0xBF;
  else
    return 0;
  if (s.size() < n || b(1) < lo || b(1) > hi) return 0;
  for (std::size_t i = 2; i < n; ++i)
    if (b(i) < 0x80 || b(i) > 0xBF) return 0;
  return n;
}

// At most max_message bytes of vendor text, cut between characters, never inside one: it goes into
// JSON answers, which must stay valid UTF-8. Control characters become spaces, bytes that are not
// UTF-8 (a header value may hold anything) become '?'.
std::string clip(std::string_view s) {
  std::string out;
  std::size_t at = 0;
  while (at < s.size()) {
    std::size_t n = utf8_sequence(s.substr(at));
    const bool valid = n != 0;
    if (!valid) n = 1;
    if (out.size() + (valid ? n : 1) > max_message) break;
    if (!valid)
      out += '?';
    else if (n == 1)
      out += static_cast<unsigned char>(s[at]) < 0x20 ? ' ' : s[at];
    else
      out.append(s.substr(at, n));
    at += n;
  }
  if (at < s.size()) out += "...";
  return out;
}

const json::string* string_at(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? &it->value().get_string() : nullptr;
}

std::string code_text(const json::object& o) {
  auto it = o.find("code");
  if (it == o.end()) return {};
  if (it->value().is_int64()) return std::to_string(it->value().get_int64());
  if (it->value().is_string()) return clip(it->value().get_string());
  return {};
}

}  // namespace

std::string describe_error_body(std::string_view body) {
  auto v = vendor_body::parse(body);
  if (!v || !v->value().is_object()) return {};
  const auto& o = v->value().get_object();
  std::string code = code_text(o);
  if (auto* msg = string_at(o, "message"))
    return code.empty() ? clip(*msg) : "code " + code + ": " + clip(*msg);
  if (auto* detail = string_at(o, "detail")) return clip(*detail);
  if (auto* title = string_at(o, "title")) return clip(*title);
  if (auto* error = string_at(o, "error")) return clip(*error);
  if (auto it = o.find("errors"); it != o.end() && it->value().is_object()) {
    std::string out;
    for (const auto& [field, problems] : it->value().get_object()) {
      if (!out.empty()) out += "; ";
      out += std::string(field) + ":";
      if (problems.is_array())
        for (const auto& p : problems.get_array())
          if (p.is_string()) out += " " + std::string(p.get_string());
      if (out.size() > max_message) break;
    }
    return clip(out);
  }
  return code.empty() ? std::string{} : "code " + code;
}

namespace {

bool is_json_type(std::string_view type) {
  const std::string_view media = type.substr(0, type.find(';'));
  auto ends_with_json = [](std::string_view m) {
    return m.size() >= 4 && (m.substr(m.size() - 4) == "json" || m.substr(m.size() - 4) == "JSON");
  };
  return media.empty() || ends_with_json(media);  // application/json, application/problem+json, ...
}

}  // namespace

net::awaitable<result<policy::shared_response>> fetch_text(call_context& ctx, const upstream::endpoint& ep,
                                                           upstream::request req, std::size_t max_body_bytes,
                                                           double cost) {
  if (!ctx.traceparent.empty()) req.set("traceparent", ctx.traceparent);
  const upstream::limits lim{max_body_bytes};
  policy::vendor_call call{ctx.http, ep, req, ctx.until, ctx.clients_deadline, lim, cost, ctx.stats};
  auto res = co_await ctx.transport.send(call);
  if (!res) co_return res.error();
  const upstream::response& answer = **res;
  const unsigned status = answer.result_int();
  if (status < 200 || status >= 300) {
    std::string said = describe_error_body(answer.body());
    std::string suffix = said.empty() ? std::string{} : " (" + said + ")";
    switch (status) {
      case 404:
        co_return failure::make(errc::not_found, "the vendor has no such record");
      case 401:
      case 403:
        co_return failure::make(
            errc::upstream_unauthorized,
            "the vendor refused the gateway's credentials: HTTP " + std::to_string(status));
      case 429: {
        auto f = failure::make(errc::upstream_rate_limited, "the vendor is rate limiting" + suffix);
        f.retry_after_s = policy::retry_after_seconds(answer);
        co_return f;
      }
      default:
        co_return failure::make(errc::upstream_error,
                                "the vendor answered HTTP " + std::to_string(status) + suffix);
    }
  }
  if (auto type = answer.find(http::field::content_type);
      type != answer.end() && !is_json_type(type->value()))
    co_return failure::make(errc::upstream_error,
                            "the vendor answered Content-Type \"" + clip(type->value()) + "\", not JSON");
  co_return std::move(*res);
}

net::awaitable<result<vendor_body>> fetch_json(call_context& ctx, const upstream::endpoint& ep,
                                               upstream::request req, std::size_t max_body_bytes,
                                               double cost) {
  auto answer = co_await fetch_text(ctx, ep, std::move(req), max_body_bytes, cost);
  if (!answer) co_return answer.error();
  auto body = vendor_body::parse((*answer)->body());
  if (!body) co_return failure::make(errc::upstream_error, "the vendor's answer is not valid JSON");
  co_return std::move(*body);
}

}  // namespace cgw::adapter

namespace cgw::adapter {

std::string authorization_header(const config::vendor_auth& auth) {
  if (!auth.bearer_token.empty()) return "Bearer " + auth.bearer_token.reveal();
  return "Basic " + digest::base64(auth.username.reveal() + ":" + auth.password.reveal());
}

upstream::request vendor_request(http::verb method, std::string target, const std::string& authorization) {
  upstream::request req{method, target, 11};
  req.set(http::field::authorization, authorization);
  req.set(http::field::accept, "application/json");
  return req;
}

result<upstream::endpoint> vendor_endpoint(const config::vendor_config& cfg) {
  const std::string key = "vendors." + cfg.name;
  auto ep = upstream::parse_endpoint(cfg.base_url, cfg.ca_file);
  if (!ep) return failure::make(errc::invalid_parameter, key + "." + ep.error().message, key + ".base_url");
  ep->max_idle = cfg.max_connections;
  // The pool key's account: the same digest the policies key the account by, never the secret.
  ep->account = policy::account_key(ep->origin(), authorization_header(cfg.auth));
  return ep;
}

}  // namespace cgw::adapter
