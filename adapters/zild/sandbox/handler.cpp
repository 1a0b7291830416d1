#include "adapters/zild/sandbox/sandbox.hpp"

#include <charconv>
#include <limits>
#include <unordered_map>

#include <boost/beast/core/string.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>

namespace cgw::sandbox::zild {
namespace {

// ASP.NET Core routes case-insensitively; the documented path is /api/Conversation/{id}.
constexpr std::string_view item_prefix = "/api/conversation/";

// An RFC 9457 problem, as ASP.NET Core's ProblemDetails writes it. "about:blank" says the
// status code is all there is to know, so the title is the status's reason phrase.
response problem(http::status status, std::string_view detail) {
  response res = json_response(status, json::object{{"type", "about:blank"},
                                                    {"title", http::obsolete_reason(status)},
                                                    {"status", static_cast<int>(status)},
                                                    {"detail", detail}});
  res.set(http::field::content_type, "application/problem+json; charset=utf-8");
  return res;
}

// What ASP.NET Core's int model binding takes: an optional sign, decimal digits, within int32.
std::optional<std::int32_t> bind_int32(std::string_view text) {
  const bool plus = text.starts_with('+');  // from_chars takes '-' but not '+'
  if (plus) text.remove_prefix(1);
  if (text.empty() || (plus && (text.starts_with('-') || text.starts_with('+')))) return std::nullopt;
  std::int32_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

class conversations final : public handler {
 public:
  explicit conversations(options opts)
      : options_(std::move(opts)),
        records_(make_dataset(options_.records, options_.seed, options_.first_id)) {
    for (std::size_t i = 0; i < records_.size(); ++i)
      by_id_.emplace(static_cast<std::int32_t>(records_[i].at("id").as_int64()), i);
  }

  // Routing first, then authentication, then binding, as ASP.NET Core's pipeline runs:
  // an unknown path is 404 whatever the token, a bad id is only judged for an authorized caller.
  response handle(const request& req) override {
    const std::string target(req.target());  // terminated: Boost.URL 1.81 may read to a NUL
    const auto url = boost::urls::parse_origin_form(target);
    if (!url) return problem(http::status::bad_request, "The request target is not valid.");
    std::string path = url->path();  // decoded
    if (path.size() > 1 && path.ends_with('/')) path.pop_back();
    const bool routed = path.size() > item_prefix.size() &&
                        beast::iequals(std::string_view(path).substr(0, item_prefix.size()), item_prefix) &&
                        path.find('/', item_prefix.size()) == std::string::npos;
    if (!routed) return problem(http::status::not_found, "No endpoint matches the request path.");
    if (req.method() != http::verb::get) {
      response res{http::status::method_not_allowed, 11};  // ASP.NET Core answers 405 with no body
      res.set(http::field::allow, "GET");
      return res;
    }
    if (auto denied = authenticate(req)) return std::move(*denied);
    // The endpoint takes its id in the path and nothing else. ASP.NET Core would ignore a query
    // parameter; the sandbox refuses it naming it, so that an adapter sending one fails a test.
    if (const auto params = url->params(); !params.empty())
      return problem(http::status::bad_request,
                     "The query parameter '" + std::string((*params.begin()).key) + "' is not known.");

    const std::string_view segment = std::string_view(path).substr(item_prefix.size());
    const auto id = bind_int32(segment);
    if (!id)
      return problem(http::status::bad_request,
                     "The value '" + std::string(segment) + "' is not valid for id.");
    const auto it = by_id_.find(*id);
    if (it == by_id_.end())
      return problem(http::status::not_found, "Conversation " + std::to_string(*id) + " was not found.");
    return json_response(http::status::ok, records_[it->second]);
  }

  response error(http::status status, std::string_view message) override { return problem(status, message); }

  // Zild publishes no rate limit; an injected one is a problem with Retry-After when asked for.
  response rate_limited(std::int32_t retry_after_s) override {
    response res = problem(http::status::too_many_requests, "Too many requests.");
    if (retry_after_s >= 0) res.set(http::field::retry_after, std::to_string(retry_after_s));
    return res;
  }

  const std::vector<json::object>& records() const { return records_; }

 private:
  // ASP.NET Core's JwtBearer handler: 401 with an empty body and a WWW-Authenticate challenge,
  // which says invalid_token when a token was sent and is not the one this sandbox issues.
  std::optional<response> authenticate(const request& req) const {
    constexpr std::string_view scheme = "Bearer ";
    const std::string_view value = req[http::field::authorization];
    const bool bearer =
        value.size() > scheme.size() && beast::iequals(value.substr(0, scheme.size()), scheme);
    if (bearer && value.substr(scheme.size()) == options_.bearer_token) return std::nullopt;
    response res{http::status::unauthorized, 11};
    res.set(http::field::www_authenticate, bearer ? R"(Bearer error="invalid_token")" : "Bearer");
    return res;
  }

  const options options_;
  const std::vector<json::object> records_;
  std::unordered_map<std::int32_t, std::size_t> by_id_;
};

conversations& as_zild(handler& h) {
  return dynamic_cast<conversations&>(h);
}

}  // namespace

std::unique_ptr<handler> make_handler(options opts) {
  return std::make_unique<conversations>(std::move(opts));
}

const std::vector<json::object>& dataset(handler& h) {
  return as_zild(h).records();
}

}  // namespace cgw::sandbox::zild
