#include "adapters/twilio_flex_insights/sandbox/sandbox.hpp"

#include "gateway/core/digest.hpp"

#include <algorithm>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <numeric>
#include <optional>
#include <variant>

#include <boost/beast/core/string.hpp>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

namespace cgw::sandbox::twilio_flex_insights {
namespace {

constexpr std::string_view list_path = "/v1/Insights/Conversations";
constexpr std::uint64_t default_page_size = 50;
constexpr std::uint64_t max_page_size = 1000;

// Twilio's error codes: 20001 invalid parameter, 20003 authentication, 20429 too many requests;
// other statuses as Twilio numbers them (20404, 20500, 20503, ...).
int twilio_code(http::status status) {
  switch (status) {
    case http::status::bad_request:
      return 20001;
    case http::status::unauthorized:
      return 20003;
    default:
      return 20000 + static_cast<int>(status);
  }
}

response twilio_error(http::status status, int code, std::string_view message) {
  return json_response(
      status, json::object{{"code", code},
                           {"message", message},
                           {"more_info", "https://www.twilio.com/docs/errors/" + std::to_string(code)},
                           {"status", static_cast<int>(status)}});
}

// FNV-1a: a stable, platform-independent hash for the list order and the page-token check.
std::uint64_t fnv1a(std::string_view bytes, std::uint64_t h = 0xcbf29ce484222325ULL) {
  for (const unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

std::optional<std::uint64_t> unsigned_of(std::string_view text) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

struct list_query {
  std::string segment_id;  // empty: every conversation
  std::uint64_t page_size = default_page_size;
  std::uint64_t page = 0;
  std::optional<std::string> page_token;
};

struct bad_parameter {
  std::string message;
};

// The query of a list request. An unknown parameter is refused naming it: stricter than Twilio, which
// ignores it, so that a misspelled parameter in an adapter fails a test (vendors/README.md section 2).
std::variant<list_query, bad_parameter> parse_query(const boost::urls::params_view& params) {
  list_query q;
  bool has_page = false;
  for (const auto& p : params) {
    if (p.key == "SegmentId") {
      q.segment_id = p.value;
    } else if (p.key == "PageSize") {
      const auto n = unsigned_of(p.value);
      if (!n || *n < 1 || *n > max_page_size)
        return bad_parameter{"Invalid PageSize: must be an integer between 1 and 1000"};
      q.page_size = *n;
    } else if (p.key == "Page") {
      const auto n = unsigned_of(p.value);
      if (!n) return bad_parameter{"Invalid Page: must be an integer of at least 0"};
      q.page = *n;
      has_page = true;
    } else if (p.key == "PageToken") {
      q.page_token = p.value;
    } else {
      return bad_parameter{"Unknown parameter " + std::string(p.key) +
                           ": this list takes SegmentId, PageSize, Page and PageToken"};
    }
  }
  // Page is client state only: positions come from tokens, and Twilio refuses to page without one.
  if (has_page && q.page > 0 && !q.page_token) return bad_parameter{"PageToken is required for paging."};
  return q;
}

class conversations final : public handler {
 public:
  explicit conversations(options opts)
      : options_(std::move(opts)),
        records_(make_dataset(options_.records, options_.seed)),
        credentials_(digest::base64(options_.username + ":" + options_.password)),
        token_key_("flex-sandbox-" + std::to_string(options_.seed)) {
    order_.resize(records_.size());
    std::iota(order_.begin(), order_.end(), 0u);
    std::vector<std::uint64_t> rank(records_.size());
    for (std::uint32_t i = 0; i < records_.size(); ++i) {
      const auto& id = records_[i].at("conversation_id");
      rank[i] = fnv1a(id.is_string() ? std::string_view(id.get_string()) : std::to_string(i));
    }
    // Neither time order nor generation order: clients must not find an order to lean on.
    std::sort(order_.begin(), order_.end(), [&](std::uint32_t a, std::uint32_t b) {
      return rank[a] != rank[b] ? rank[a] < rank[b] : a < b;
    });
  }

  response handle(const request& req) override {
    const std::string target(req.target());  // Boost.URL 1.81 parsers may read up to a NUL
    const auto url = boost::urls::parse_origin_form(target);
    const std::string_view host = req[http::field::host];
    if (!url || host.empty()) return error(http::status::bad_request, "Bad Request");
    if (!authorized(req)) {
      response res = error(http::status::unauthorized, "Authenticate");
      res.set(http::field::www_authenticate, "Basic realm=\"Twilio API\"");
      return res;
    }
    std::string path = url->path();
    if (path.size() > 1 && path.ends_with('/')) path.pop_back();
    if (path != list_path)
      return error(http::status::not_found, "The requested resource " + path + " was not found");
    if (req.method() != http::verb::get) return error(http::status::method_not_allowed, "Method not allowed");
    const auto query = parse_query(url->params());
    if (const auto* bad = std::get_if<bad_parameter>(&query))
      return error(http::status::bad_request, bad->message);
    return list(std::get<list_query>(query), host);
  }

  response error(http::status status, std::string_view message) override {
    return twilio_error(status, twilio_code(status), message);
  }

  // Twilio documents 20429 as too many concurrent requests, and no Retry-After.
  response rate_limited(std::int32_t retry_after_s) override {
    response res = twilio_error(http::status::too_many_requests, 20429, "Too Many Requests");
    if (retry_after_s >= 0) res.set(http::field::retry_after, std::to_string(retry_after_s));
    return res;
  }

  // The page_loop fault: next_page_url links that alternate A -> B -> A.
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
  bool authorized(const request& req) const {
    constexpr std::string_view scheme = "Basic ";
    const std::string_view value = req[http::field::authorization];
    return value.size() > scheme.size() && beast::iequals(value.substr(0, scheme.size()), scheme) &&
           value.substr(scheme.size()) == credentials_;
  }

  // Tokens name a position and are bound to the SegmentId they were issued for.
  std::string token_for(std::uint64_t offset, std::string_view segment_id) const {
    char mac[17];
    std::snprintf(mac, sizeof mac, "%016" PRIx64,
                  fnv1a(segment_id, fnv1a(std::to_string(offset) + "|", fnv1a(token_key_))));
    return "PT" + std::to_string(offset) + "-" + mac;
  }

  std::optional<std::uint64_t> offset_of(std::string_view token, std::string_view segment_id) const {
    if (!token.starts_with("PT")) return std::nullopt;
    const auto dash = token.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    const auto offset = unsigned_of(token.substr(2, dash - 2));
    if (!offset || token_for(*offset, segment_id) != token) return std::nullopt;
    return offset;
  }

  // An absolute URL of this list: meta's links lead back to whoever was asked.
  static std::string page_url(std::string_view host, const list_query& q, std::uint64_t page,
                              const std::optional<std::string>& token) {
    boost::urls::url u;
    u.set_path(list_path);
    auto params = u.params();
    if (!q.segment_id.empty()) params.append({"SegmentId", q.segment_id});
    params.append({"PageSize", std::to_string(q.page_size)});
    params.append({"Page", std::to_string(page)});
    if (token) params.append({"PageToken", *token});
    return "http://" + std::string(host) + std::string(u.encoded_resource());
  }

  bool contains_segment(const json::object& record, std::string_view segment_id) const {
    const auto* segments = record.if_contains("segments");
    if (!segments || !segments->is_array()) return false;
    return std::any_of(segments->get_array().begin(), segments->get_array().end(), [&](const json::value& s) {
      const auto* id = s.is_object() ? s.get_object().if_contains("segment_id") : nullptr;
      return id && id->is_string() && id->get_string() == segment_id;
    });
  }

  response list(const list_query& q, std::string_view host) const {
    std::vector<std::uint32_t> hits;
    for (const auto i : order_)
      if (q.segment_id.empty() || contains_segment(records_[i], q.segment_id)) hits.push_back(i);
    std::uint64_t first = 0;
    if (q.page_token) {
      const auto offset = offset_of(*q.page_token, q.segment_id);
      if (!offset || *offset > hits.size())
        return twilio_error(http::status::bad_request, twilio_code(http::status::bad_request),
                            "Invalid PageToken");
      first = *offset;
    }
    const std::uint64_t last = std::min<std::uint64_t>(hits.size(), first + q.page_size);

    json::array page;
    page.reserve(last - first);
    for (auto k = first; k < last; ++k) page.push_back(records_[hits[k]]);
    json::value next = nullptr, previous = nullptr;
    if (last < hits.size()) {
      const std::string token =
          options_.forged_next_token.empty() ? token_for(last, q.segment_id) : options_.forged_next_token;
      next =
          page_url(options_.foreign_next_host.empty() ? host : std::string_view(options_.foreign_next_host),
                   q, q.page + 1, token);
    }
    if (looping_) {
      // Two links to the empty end of the list, told apart by Page (client state only), each naming
      // the other: no link repeats the page it is on, yet the walk never ends.
      next = page_url(host, q, q.page == 1 ? 2 : 1, token_for(hits.size(), q.segment_id));
    }
    if (first > 0) {
      const std::uint64_t back = first > q.page_size ? first - q.page_size : 0;
      previous = page_url(host, q, q.page > 0 ? q.page - 1 : 0, token_for(back, q.segment_id));
    }
    json::object meta{{"key", "conversations"},
                      {"url", page_url(host, q, q.page, q.page_token)},
                      {"page", q.page},
                      {"page_size", q.page_size},
                      {"first_page_url", page_url(host, q, 0, std::nullopt)},
                      {"previous_page_url", std::move(previous)},
                      {"next_page_url", std::move(next)}};
    json::object body;
    body["conversations"] = std::move(page);
    body["meta"] = std::move(meta);
    return json_response(http::status::ok, json::value(std::move(body)));
  }

  const options options_;
  const std::vector<json::object> records_;
  const std::string credentials_;  // base64("username:password")
  const std::string token_key_;
  std::vector<std::uint32_t> order_;  // positions in records_, in list order
  bool looping_ = false;              // answering under the page_loop fault (one request at a time)
};

conversations& as_flex(handler& h) {
  return dynamic_cast<conversations&>(h);
}

}  // namespace

std::unique_ptr<handler> make_handler(options opts) {
  return std::make_unique<conversations>(std::move(opts));
}

const std::vector<json::object>& dataset(handler& h) {
  return as_flex(h).records();
}

}  // namespace cgw::sandbox::twilio_flex_insights
