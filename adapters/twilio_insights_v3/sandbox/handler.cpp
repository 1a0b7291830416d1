#include "adapters/twilio_insights_v3/sandbox/sandbox.hpp"

#include "adapters/twilio_insights_v3/sandbox/cube.hpp"
#include "adapters/twilio_insights_v3/sandbox/semantic.hpp"
#include "gateway/core/digest.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

#include <boost/beast/core/string.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

namespace cgw::sandbox::twilio_insights_v3 {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::string_view metadata_path = "/v3/InsightsDomains/Conversations/Metadata";
constexpr std::string_view query_path = "/v3/InsightsDomains/Conversations/Query";
constexpr std::uint32_t default_page_size = 50;
constexpr std::int64_t unlimited = std::numeric_limits<std::int32_t>::max();

// Twilio's error code for an HTTP status, as its v1.0 error bodies carry them.
int twilio_code(unsigned status) {
  switch (status) {
    case 400:
      return 20001;
    case 401:
      return 20003;
    case 405:
      return 20004;
    default:
      return 20000 + static_cast<int>(status);  // 20404, 20429, 20500, ...
  }
}

std::optional<std::uint64_t> positive(std::string_view text) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || v == 0) return std::nullopt;
  return v;
}

// A keyed FNV-1a tag: enough to tell the sandbox's own tokens from anything else (not security).
std::string tag(std::uint64_t key, std::string_view payload) {
  std::uint64_t h = 0xcbf29ce484222325ULL ^ key;
  for (const unsigned char c : payload) h = (h ^ c) * 0x100000001b3ULL;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

std::int64_t ms_of(clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// The per-minute request budget: a fixed window opened by the first request after the previous
// one closed, so that a test well under a minute long never sees a refill.
class budget {
 public:
  explicit budget(std::uint32_t per_minute) : per_minute_(per_minute) {}

  // Charges one request if the window has room; false, charging nothing, otherwise.
  bool try_charge(clock::time_point now) {
    if (remaining(now) == 0) return false;
    ++used_;
    return true;
  }
  std::int64_t limit() const { return per_minute_ == 0 ? unlimited : per_minute_; }
  std::int64_t remaining(clock::time_point now) {
    if (now >= window_start_ + 1min) {
      window_start_ = now;
      used_ = 0;
    }
    return per_minute_ == 0 ? unlimited : std::int64_t{per_minute_} - used_;
  }
  // Whole seconds until the window closes, at least 1.
  std::int32_t reset_s(clock::time_point now) const {
    return std::max<std::int32_t>(
        1, std::chrono::ceil<std::chrono::seconds>(window_start_ + 1min - now).count());
  }

 private:
  std::uint32_t per_minute_;
  std::uint32_t used_ = 0;
  clock::time_point window_start_ = clock::time_point::min();
};

// What a page token stands for.
struct position {
  json::value query;
  std::uint64_t page_size = default_page_size;
  std::uint64_t offset = 0;
  std::int64_t issued_ms = 0;
};

class insights final : public handler {
 public:
  explicit insights(options opts)
      : options_(std::move(opts)),
        records_(make_dataset(options_.records, options_.seed)),
        table_(records_, options_.omit_dimensions),
        budget_(options_.requests_per_minute),
        token_key_(options_.seed * 0x9e3779b97f4a7c15ULL + 0x51ed) {}

  response handle(const request& req) override {
    const auto now = clock::now();
    // Boost.URL's parsers may read past a view's end: parse a terminated copy.
    const std::string target(req.target());
    const auto url = boost::urls::parse_origin_form(target);
    response res = !url ? error(http::status::bad_request, "The request target is not a valid URL")
                   : !authorized(req)         ? unauthorized()
                   : !budget_.try_charge(now) ? error(http::status::too_many_requests, "Too many requests")
                                              : route(req, *url, now);
    set_rate_headers(res, now);
    return res;
  }

  response error(http::status status, std::string_view message) override {
    const auto code = twilio_code(static_cast<unsigned>(status));
    response res =
        json_response(status, json::object{{"code", code},
                                           {"message", message},
                                           {"httpStatusCode", static_cast<unsigned>(status)},
                                           {"userError", static_cast<unsigned>(status) < 500},
                                           {"params",
                                            {{"twilioErrorCodeUrl", "https://www.twilio.com/docs/errors/" +
                                                                        std::to_string(code)}}}});
    set_rate_headers(res, clock::now());
    return res;
  }

  // The fault menu's 429: X-RateLimit-Reset carries its seconds (none with -1).
  response rate_limited(std::int32_t retry_after_s) override {
    response res = error(http::status::too_many_requests, "Too many requests");
    res.set("X-RateLimit-Remaining", "0");
    if (retry_after_s >= 0)
      res.set("X-RateLimit-Reset", std::to_string(retry_after_s));
    else
      res.erase("X-RateLimit-Reset");
    return res;
  }

  // The page_loop fault: every query page comes back empty with a nextToken that stands for that
  // same page, so the token never changes however often it is followed.
  response page_loop(const request& req) override {
    looping_ = true;
    struct unset {
      bool& flag;
      ~unset() { flag = false; }
    } guard{looping_};
    return handle(req);
  }

  const std::vector<json::object>& records() const { return records_; }

 private:
  // Insights documents pageSize on the POST and pageToken on the GET, nothing else; the vendor's
  // handling of others is unknown. Refused naming the parameter, so that an adapter's misspelling
  // fails a test (vendors/README.md section 2); nullopt when every parameter is one of `allowed`.
  std::optional<response> unknown_parameter(const boost::urls::params_view& params,
                                            std::initializer_list<std::string_view> allowed) {
    for (const auto& p : params)
      if (std::find(allowed.begin(), allowed.end(), p.key) == allowed.end())
        return error(http::status::bad_request, "Unknown query parameter " + std::string(p.key));
    return std::nullopt;
  }

  void set_rate_headers(response& res, clock::time_point now) {
    res.set("X-RateLimit-Limit", std::to_string(budget_.limit()));
    res.set("X-RateLimit-Remaining", std::to_string(budget_.remaining(now)));
    res.set("X-RateLimit-Reset", std::to_string(budget_.reset_s(now)));
  }

  bool authorized(const request& req) const {
    constexpr std::string_view scheme = "Basic ";
    const std::string_view value = req[http::field::authorization];
    if (value.size() <= scheme.size() || !beast::iequals(value.substr(0, scheme.size()), scheme))
      return false;
    const auto pair = digest::from_base64(value.substr(scheme.size()));
    return pair && *pair == options_.username + ":" + options_.password;
  }

  response unauthorized() {
    response res = error(http::status::unauthorized, "Authenticate");
    res.set(http::field::www_authenticate, "Basic realm=\"Twilio API\"");
    return res;
  }

  response route(const request& req, const boost::urls::url_view& url, clock::time_point now) {
    const std::string path = url.path();
    const bool get = req.method() == http::verb::get;
    if (path == metadata_path) {
      if (!get) return not_allowed("GET");
      if (auto refused = unknown_parameter(url.params(), {})) return std::move(*refused);
      return metadata();
    }
    if (path == query_path) {
      const bool post = req.method() == http::verb::post;
      if (!post && !get) return not_allowed("GET, POST");
      if (auto refused = unknown_parameter(url.params(), {post ? "pageSize" : "pageToken"}))
        return std::move(*refused);
      return post ? start(req, url.params(), now) : next(url.params(), now);
    }
    return error(http::status::not_found, "The requested resource " + path + " was not found");
  }

  response not_allowed(std::string_view allow) {
    response res = error(http::status::method_not_allowed, "Method not allowed");
    res.set(http::field::allow, allow);
    return res;
  }

  static std::string_view aggregation_name(cube::aggregation how) {
    switch (how) {
      case cube::aggregation::count:
        return "count";
      case cube::aggregation::count_of:
        return "count";
      case cube::aggregation::min:
        return "min";
      case cube::aggregation::max:
        return "max";
      default:
        return "sum";
    }
  }

  response metadata() {
    json::array measures, dimensions;
    for (const auto* m : table_.measures())
      measures.push_back({{"name", m->name},
                          {"description", m->description},
                          {"type", "number"},
                          {"aggregation", aggregation_name(m->how)}});
    for (const auto* d : table_.dimensions())
      dimensions.push_back(
          {{"name", d->name}, {"description", d->description}, {"type", cube::type_name(d->type)}});
    json::object c{{"name", cube::name},
                   {"description", cube::description},
                   {"measures", std::move(measures)},
                   {"dimensions", std::move(dimensions)}};
    return json_response(http::status::ok,
                         json::object{{"domain", cube::domain}, {"cubes", json::array{std::move(c)}}});
  }

  // POST ?pageSize=N with {domain?, query}: the first page.
  response start(const request& req, const boost::urls::params_view& params, clock::time_point now) {
    const std::string_view type = req[http::field::content_type];
    if (!beast::iequals(type.substr(0, type.find(';')), "application/json"))
      return error(http::status::unsupported_media_type, "Content-Type must be application/json");
    position at;
    if (auto it = params.find("pageSize"); it != params.end()) {
      const auto n = positive((*it).value);
      if (!n) return error(http::status::bad_request, "pageSize must be a positive integer");
      at.page_size = *n;
    }
    json::parse_options limits;
    limits.max_depth = 32;
    boost::system::error_code ec;
    json::value body = json::parse(req.body(), ec, {}, limits);
    if (ec || !body.is_object()) return error(http::status::bad_request, "The body must be a JSON object");
    for (const auto& [key, value] : body.get_object()) {
      if (key == "domain") {
        if (!value.is_string() || value.get_string() != cube::domain)
          return error(http::status::bad_request, "domain must be Conversations");
      } else if (key != "query") {
        return error(http::status::bad_request, "Unknown key " + std::string(key));
      }
    }
    const json::value* query = body.get_object().if_contains("query");
    if (!query) return error(http::status::bad_request, "query: required");
    at.query = *query;
    at.issued_ms = ms_of(now);
    return page(at);
  }

  // GET ?pageToken=T: the page T stands for.
  response next(const boost::urls::params_view& params, clock::time_point now) {
    const auto it = params.find("pageToken");
    if (it == params.end()) return error(http::status::bad_request, "pageToken: required");
    auto at = read_token((*it).value);
    if (!at ||
        (options_.token_ttl_ms != 0 && ms_of(now) - at->issued_ms > std::int64_t{options_.token_ttl_ms}))
      return error(http::status::bad_request, "The page token is not valid or has expired");
    return page(*at);
  }

  response page(const position& at) {
    auto q = parse_query(at.query, table_);
    if (!q) return error(http::status::bad_request, q.error().message);
    const std::uint64_t size =
        std::min<std::uint64_t>(at.page_size, std::max<std::uint32_t>(1, options_.max_page_size));
    if (looping_) {
      json::object meta{{"key", "items"}, {"pageSize", 0}, {"nextToken", token(at, at.offset)}};
      return json_response(
          http::status::ok,
          json::object{{"domain", cube::domain}, {"items", json::array{}}, {"meta", std::move(meta)}});
    }
    auto result = run(*q, table_, at.offset, size);
    const std::uint64_t end = at.offset + result.items.size();
    json::object meta{{"key", "items"}, {"pageSize", result.items.size()}};
    if (at.offset > 0) meta["previousToken"] = token(at, at.offset > size ? at.offset - size : 0);
    if (end < result.total)
      meta["nextToken"] = token(at, end);
    else if ((at.offset / size) % 2 == 1)
      meta["nextToken"] = nullptr;  // both spellings of "last page"
    json::object body{
        {"domain", cube::domain}, {"items", std::move(result.items)}, {"meta", std::move(meta)}};
    return json_response(http::status::ok, body);
  }

  std::string token(const position& at, std::uint64_t offset) const {
    const std::string payload = json::serialize(
        json::object{{"q", at.query}, {"s", at.page_size}, {"o", offset}, {"t", at.issued_ms}});
    return digest::base64(tag(token_key_, payload) + ":" + payload);
  }

  // nullopt for anything this sandbox did not issue.
  std::optional<position> read_token(std::string_view text) const {
    const auto bytes = digest::from_base64(text);
    const auto colon = bytes ? bytes->find(':') : std::string::npos;
    if (colon == std::string::npos) return std::nullopt;
    const std::string_view payload = std::string_view(*bytes).substr(colon + 1);
    if (bytes->substr(0, colon) != tag(token_key_, payload)) return std::nullopt;
    boost::system::error_code ec;
    const json::value v = json::parse(payload, ec);
    const json::object* o = v.if_object();
    if (ec || !o) return std::nullopt;
    for (const char* key : {"q", "s", "o", "t"})
      if (!o->contains(key) || (key != std::string_view("q") && !o->at(key).is_number())) return std::nullopt;
    position at;
    at.query = o->at("q");
    at.page_size = o->at("s").to_number<std::uint64_t>();
    at.offset = o->at("o").to_number<std::uint64_t>();
    at.issued_ms = o->at("t").to_number<std::int64_t>();
    return at;
  }

  const options options_;
  const std::vector<json::object> records_;
  const table table_;  // reads records_
  budget budget_;
  const std::uint64_t token_key_;
  bool looping_ = false;  // answering under the page_loop fault (one request at a time)
};

insights& as_insights(handler& h) {
  return dynamic_cast<insights&>(h);
}

}  // namespace

std::unique_ptr<handler> make_handler(options opts) {
  return std::make_unique<insights>(std::move(opts));
}

const std::vector<json::object>& dataset(handler& h) {
  return as_insights(h).records();
}

}  // namespace cgw::sandbox::twilio_insights_v3
