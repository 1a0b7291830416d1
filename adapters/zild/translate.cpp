#include "adapters/zild/translate.hpp"

#include "gateway/adapter/fields.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

namespace cgw::adapters::zild {
namespace {

namespace json = boost::json;

constexpr std::string_view get_path = "/api/Conversation/";

// .NET's default(DateTime), which a non-nullable DateTime column carries when it was never set.
constexpr micros dotnet_min_value = -62'135'596'800'000'000;  // 0001-01-01T00:00:00Z

// TimeSpan.MaxValue is 10675199.02:48:05.4775807 (INT64_MAX ticks of 100 ns): more would overflow
// its ticks, so .NET never writes it. Checked in whole seconds, then ticks, to stay in range.
constexpr std::int64_t max_days = 10'675'199;
constexpr std::int64_t max_seconds = 922'337'203'685;
constexpr std::int64_t max_second_ticks = 4'775'807;

using adapter::json_path;
using adapter::json_scalar;

// A string field that says something: absent, null, a non-string and "" all read as nullopt.
std::optional<std::string> nonempty_text(const json_scalar& v) {
  auto t = adapter::text_of(v);
  if (t && t->empty()) return std::nullopt;
  return t;
}

std::optional<micros> time_field(const json_scalar& v) {
  return v.is(json_scalar::kind::string) ? parse_time(v.s) : std::nullopt;
}

// Reads `min..max` decimal digits at `s[pos]`, advancing pos; nullopt when there are fewer or more.
std::optional<std::int64_t> read_digits(std::string_view s, std::size_t& pos, std::size_t min,
                                        std::size_t max) {
  std::size_t start = pos;
  std::int64_t v = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9' && pos - start < max) v = v * 10 + (s[pos++] - '0');
  const std::size_t n = pos - start;
  if (n < min || (pos < s.size() && s[pos] >= '0' && s[pos] <= '9')) return std::nullopt;
  return v;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Only absolute http(s) URLs become links: a dashboard renders them as anchors, and a
// `javascript:` or relative value from the vendor must not become one (raw keeps it).
bool is_web_url(std::string_view url) {
  auto starts = [&](std::string_view scheme) {
    return url.size() > scheme.size() && std::equal(scheme.begin(), scheme.end(), url.begin(),
                                                    [](char a, char b) { return a == (b | 0x20); });
  };
  return starts("https://") || starts("http://");
}

// One Zild record read from its events (MAPPING.md): the mapping rules of both paths, the DOM's
// replayed and the streamed answer's. A duplicated key reads as its last value, as the DOM keeps it.
class record_reader final : public adapter::json_events {
 public:
  // `path` from the record itself (empty: the record).
  void on_value(json_path path, const json_scalar& v) override {
    if (!adapter::record_member(path, v, object_)) return;
    const std::string_view key = path[0].key;
    if (path.size() == 1) return top(key, v);
    if (!path[1].element) return;
    const bool item = v.is(json_scalar::kind::object);  // an element; what is not an object is skipped
    if (key == "messages" && in_messages_) {
      if (path.size() == 2) {
        message_open_ = item;
        if (item) messages_.emplace_back();
      } else if (path.size() == 3 && message_open_) {
        message_field(path[2].key, v);
      }
    } else if (key == "tags" && in_tags_) {
      if (path.size() == 2) {
        tag_open_ = item;
        if (item) tags_.emplace_back();
      } else if (path.size() == 3 && tag_open_ && path[2].key == "name") {
        tags_.back() = nonempty_text(v);
      }
    }
  }
  void on_end(json_path) override {}

  // "active", "finished", "queued" from active/finishedAt/queuedAt; nullopt when none applies.
  std::optional<std::string> status() const {
    if (active_ == true) return "active";
    if (ended_at_) return "finished";
    if (queued_at_) return "queued";
    return std::nullopt;
  }

  result<conversation> finish(std::string_view vendor) && {
    if (!object_) return failure::make(errc::upstream_error, "a Zild record is not an object");
    if (!id_ || id_->empty()) return failure::make(errc::upstream_error, "a Zild record has no id");
    conversation c;
    set_identity(c, vendor, type_name, std::move(*id_));
    c.account_id = std::move(account_id_);
    c.title = std::move(title_);
    c.created_at = created_at_;
    c.started_at = c.created_at;
    c.ended_at = ended_at_;
    c.updated_at = updated_at_;
    c.duration_ms = duration_ms_;
    // agentId is a non-nullable int: 0 (or less) is .NET's default, i.e. no agent id, not agent "0".
    if (agent_id_ && *agent_id_ <= 0) agent_id_.reset();
    if (agent_id_ || agent_name_)
      c.agents.push_back(agent{agent_id_ ? std::optional(std::to_string(*agent_id_)) : std::nullopt,
                               std::move(agent_name_)});
    c.messages = std::move(messages_);
    c.sentiment = std::move(sentiment_);
    c.summary = std::move(summary_);
    // Inactive tags count: `active` is the tag's state in the tenant's catalogue (can it still be
    // applied?), not whether this conversation carries it.
    for (auto& name : tags_)
      if (name && std::find(c.tags.begin(), c.tags.end(), *name) == c.tags.end())
        c.tags.push_back(std::move(*name));
    c.score = score_;
    c.status = status();
    if (file_url_ && is_web_url(*file_url_)) c.links.emplace_back("recording", std::move(*file_url_));
    return c;
  }

 private:
  void top(std::string_view key, const json_scalar& v) {
    if (key == "id")
      id_ = adapter::text_of(v);
    else if (key == "tenantId")
      account_id_ = adapter::text_of(v);
    else if (key == "contactName")
      title_ = nonempty_text(v);
    else if (key == "createdAt")
      created_at_ = time_field(v);
    else if (key == "finishedAt")
      ended_at_ = time_field(v);
    else if (key == "queuedAt")
      queued_at_ = time_field(v);
    else if (key == "lastConversationUpdateTime")
      updated_at_ = time_field(v);
    else if (key == "duration")
      duration_ms_ = v.is(json_scalar::kind::string) ? parse_timespan_ms(v.s) : std::nullopt;
    else if (key == "agentId")
      agent_id_ = adapter::integer_of(v);
    else if (key == "userName")
      agent_name_ = nonempty_text(v);
    else if (key == "messages")
      messages_.clear(), in_messages_ = v.is(json_scalar::kind::array);
    else if (key == "overallSentiment")
      sentiment_ = nonempty_text(v);
    else if (key == "conversationSummary")
      summary_ = nonempty_text(v);
    else if (key == "tags")
      tags_.clear(), in_tags_ = v.is(json_scalar::kind::array);
    else if (key == "finalScore")
      score_ = adapter::number_of(v);
    else if (key == "active")
      active_ = adapter::boolean_of(v);
    else if (key == "fileUrl")
      file_url_ = nonempty_text(v);
  }

  void message_field(std::string_view key, const json_scalar& v) {
    message& m = messages_.back();
    if (key == "id")
      m.id = adapter::text_of(v);
    else if (key == "createdAt")
      m.sent_at = time_field(v);
    else if (key == "from")
      m.from = adapter::text_of(v);
    else if (key == "to")
      m.to = adapter::text_of(v);
    else if (key == "content")
      m.content = adapter::text_of(v);
    else if (key == "sentiment")
      m.sentiment = nonempty_text(v);
    // messageType is an enum integer with no published label (seed: "messageType": 0; no source
    // names its values): type is the integer as its decimal string, never a guessed label.
    else if (key == "messageType") {
      const auto kind = adapter::integer_of(v);
      m.type = kind ? std::optional(std::to_string(*kind)) : std::nullopt;
    }
  }

  bool object_ = false, in_messages_ = false, message_open_ = false, in_tags_ = false, tag_open_ = false;
  opt_string id_, account_id_, title_, agent_name_, sentiment_, summary_, file_url_;
  std::optional<micros> created_at_, ended_at_, queued_at_, updated_at_;
  std::optional<std::int64_t> duration_ms_, agent_id_;
  std::optional<double> score_;
  std::optional<bool> active_;
  std::vector<message> messages_;
  std::vector<opt_string> tags_;  // one per tag object: its name, if it says one
};

// The record checked against the get that asked for it.
result<conversation> check_asked(result<conversation> c, std::int32_t asked) {
  if (!c) return c;
  // A record under another id would be served under a unified id the client did not ask for.
  if (c->native_id != std::to_string(asked))
    return failure::make(errc::upstream_error,
                         "the vendor answered with another conversation than the one asked for");
  return c;
}

}  // namespace

result<std::int32_t> parse_native_id(std::string_view native_id) {
  auto refuse = [&] {
    return failure::make(errc::invalid_id, "id: a zild id is a decimal 32-bit integer (\"42\")", "id");
  };
  const bool negative = native_id.starts_with('-');
  const std::string_view digits = native_id.substr(negative ? 1 : 0);
  // from_chars alone would take "-0" and "007"; only the form the vendor itself writes names a record.
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      (digits.size() > 1 && digits.front() == '0') || (negative && digits == "0"))
    return refuse();
  std::int32_t id = 0;
  auto [end, ec] = std::from_chars(native_id.data(), native_id.data() + native_id.size(), id);
  if (ec != std::errc() || end != native_id.data() + native_id.size()) return refuse();  // out of int32 range
  return id;
}

std::optional<std::int64_t> parse_timespan_ms(std::string_view s) {
  // TimeSpan.Parse tolerates surrounding white space; so do we.
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  // A negative duration is not a conversation's length; a sign of either kind is not a form .NET writes.
  if (s.empty() || s.front() == '-' || s.front() == '+') return std::nullopt;

  std::size_t pos = 0;
  std::int64_t days = 0, hours = 0, minutes = 0, seconds = 0;
  auto first = read_digits(s, pos, 1, 8);
  const std::size_t first_digits = pos;
  if (!first || pos == s.size()) return std::nullopt;
  auto expect = [&](char c) { return pos < s.size() && s[pos++] == c; };
  if (s[pos] == '.') {  // "c" format: d.hh:mm:ss
    ++pos;
    days = *first;
    auto h = read_digits(s, pos, 1, 2);
    if (!h || !expect(':')) return std::nullopt;
    hours = *h;
    auto m = read_digits(s, pos, 2, 2);
    if (!m || !expect(':')) return std::nullopt;
    minutes = *m;
    auto sec = read_digits(s, pos, 2, 2);
    if (!sec) return std::nullopt;
    seconds = *sec;
  } else if (s[pos] == ':') {  // h:mm:ss, or the "g"/"G" formats' d:hh:mm:ss
    ++pos;
    const std::size_t second_at = pos;
    auto b = read_digits(s, pos, 1, 2);
    const bool b_two_digits = pos - second_at == 2;
    if (!b || !expect(':')) return std::nullopt;
    auto c = read_digits(s, pos, 2, 2);
    if (!c) return std::nullopt;
    if (pos < s.size() && s[pos] == ':') {
      ++pos;
      auto d = read_digits(s, pos, 2, 2);
      if (!d) return std::nullopt;
      days = *first, hours = *b, minutes = *c, seconds = *d;
    } else {
      if (first_digits > 2 || !b_two_digits) return std::nullopt;  // h or hh, then mm
      hours = *first, minutes = *b, seconds = *c;
    }
  } else {
    return std::nullopt;
  }
  std::int64_t ticks = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    auto f = read_digits(s, pos, 1, 7);  // .NET writes and reads at most 7 digits (100 ns ticks)
    if (!f) return std::nullopt;
    ticks = *f;
    for (std::size_t n = pos - start; n < 7; ++n) ticks *= 10;
  }
  if (pos != s.size() || days > max_days || hours > 23 || minutes > 59 || seconds > 59) return std::nullopt;
  const std::int64_t total_seconds = ((days * 24 + hours) * 60 + minutes) * 60 + seconds;
  if (total_seconds > max_seconds || (total_seconds == max_seconds && ticks > max_second_ticks))
    return std::nullopt;
  return total_seconds * 1000 + ticks / 10'000;  // truncated, as format_rfc3339_ms truncates
}

std::optional<micros> parse_time(std::string_view text) {
  auto t = parse_vendor_time(text);
  if (t && *t == dotnet_min_value) return std::nullopt;
  return t;
}

std::optional<std::string> status_of(const json::object& record) {
  record_reader reader;
  adapter::replay(json::value(record), reader);
  return reader.status();
}

std::string get_target(std::int32_t id, std::string_view path_prefix) {
  return std::string(path_prefix) + std::string(get_path) + std::to_string(id);
}

result<conversation> to_conversation(const json::value& record, std::string_view vendor) {
  record_reader reader;
  adapter::replay(record, reader);
  return std::move(reader).finish(vendor);
}

result<conversation> read_one(const adapter::vendor_body& body, std::string_view vendor, std::int32_t asked) {
  auto c = to_conversation(body.value(), vendor);
  if (c) c->raw = body.share(body.value().get_object());
  return check_asked(std::move(c), asked);
}

result<conversation> read_one(std::string_view text, std::string_view vendor, std::int32_t asked) {
  record_reader reader;
  if (auto parsed = adapter::read_events(text, reader); !parsed) return parsed.error();
  return check_asked(std::move(reader).finish(vendor), asked);
}

}  // namespace cgw::adapters::zild
