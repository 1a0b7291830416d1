#include "adapters/zild/translate.hpp"

#include "gateway/adapter/fields.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

namespace cgw::adapters::zild {
namespace {

namespace json = boost::json;
using adapter::boolean_at;
using adapter::member;
using adapter::number_at;
using adapter::text_at;

constexpr std::string_view get_path = "/api/Conversation/";

// .NET's default(DateTime), which a non-nullable DateTime column carries when it was never set.
constexpr micros dotnet_min_value = -62'135'596'800'000'000;  // 0001-01-01T00:00:00Z

// TimeSpan.MaxValue is 10675199.02:48:05.4775807 (INT64_MAX ticks of 100 ns): more would overflow
// its ticks, so .NET never writes it. Checked in whole seconds, then ticks, to stay in range.
constexpr std::int64_t max_days = 10'675'199;
constexpr std::int64_t max_seconds = 922'337'203'685;
constexpr std::int64_t max_second_ticks = 4'775'807;

// A string field that says something: absent, null, a non-string and "" all read as nullopt.
std::optional<std::string> nonempty_text(const json::object& o, std::string_view key) {
  auto t = text_at(o, key);
  if (t && t->empty()) return std::nullopt;
  return t;
}

std::optional<micros> time_field(const json::object& o, std::string_view key) {
  const json::value* v = member(o, key);
  return v && v->is_string() ? parse_time(v->get_string()) : std::nullopt;
}

// Reads `min..max` decimal digits at `s[pos]`, advancing pos; nullopt when there are fewer or more.
std::optional<std::int64_t> read_digits(std::string_view s, std::size_t& pos, std::size_t min, std::size_t max) {
  std::size_t start = pos;
  std::int64_t v = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9' && pos - start < max) v = v * 10 + (s[pos++] - '0');
  const std::size_t n = pos - start;
  if (n < min || (pos < s.size() && s[pos] >= '0' && s[pos] <= '9')) return std::nullopt;
  return v;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Only absolute http(s) URLs become links: a dashboard renders them as anchors, and a
// `javascript:` or relative value from the vendor must not become one (raw keeps it).
bool is_web_url(std::string_view url) {
  auto starts = [&](std::string_view scheme) {
    return url.size() > scheme.size() &&
           std::equal(scheme.begin(), scheme.end(), url.begin(), [](char a, char b) { return a == (b | 0x20); });
  };
  return starts("https://") || starts("http://");
}

}  // namespace

result<std::int32_t> parse_native_id(std::string_view native_id) {
  auto refuse = [&] {
    return failure::make(errc::invalid_id, "id: a zild id is a decimal 32-bit integer (\"42\")", "id");
  };
  const bool negative = native_id.starts_with('-');
  const std::string_view digits = native_id.substr(negative ? 1 : 0);
  // from_chars alone would take "-0" and "007"; only the form the vendor itself writes names a record.
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
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
  if (total_seconds > max_seconds || (total_seconds == max_seconds && ticks > max_second_ticks)) return std::nullopt;
  return total_seconds * 1000 + ticks / 10'000;  // truncated, as format_rfc3339_ms truncates
}

std::optional<micros> parse_time(std::string_view text) {
  auto t = parse_vendor_time(text);
  if (t && *t == dotnet_min_value) return std::nullopt;
  return t;
}

std::optional<std::string> status_of(const json::object& record) {
  if (boolean_at(record, "active") == true) return "active";
  if (time_field(record, "finishedAt")) return "finished";
  if (time_field(record, "queuedAt")) return "queued";
  return std::nullopt;
}

std::string get_target(std::int32_t id, std::string_view path_prefix) {
  return std::string(path_prefix) + std::string(get_path) + std::to_string(id);
}

result<conversation> to_conversation(const json::value& record, std::string_view vendor) {
  if (!record.is_object()) return failure::make(errc::upstream_error, "a Zild record is not an object");
  const json::object& o = record.get_object();
  auto id = text_at(o, "id");
  if (!id || id->empty()) return failure::make(errc::upstream_error, "a Zild record has no id");
  conversation c;
  set_identity(c, vendor, type_name, std::move(*id));
  c.account_id = text_at(o, "tenantId");
  c.title = nonempty_text(o, "contactName");
  c.created_at = time_field(o, "createdAt");
  c.started_at = c.created_at;
  c.ended_at = time_field(o, "finishedAt");
  c.updated_at = time_field(o, "lastConversationUpdateTime");
  if (const json::value* d = member(o, "duration"); d && d->is_string()) c.duration_ms = parse_timespan_ms(d->get_string());

  // agentId is a non-nullable int: 0 (or less) is .NET's default, i.e. no agent id, not agent "0".
  auto agent_id = adapter::integer_at(o, "agentId");
  auto agent_name = nonempty_text(o, "userName");
  if (agent_id && *agent_id <= 0) agent_id.reset();
  if (agent_id || agent_name)
    c.agents.push_back(agent{agent_id ? std::optional(std::to_string(*agent_id)) : std::nullopt, std::move(agent_name)});

  if (const json::value* messages = member(o, "messages"); messages && messages->is_array()) {
    c.messages.reserve(messages->get_array().size());
    for (const auto& m : messages->get_array()) {
      if (!m.is_object()) continue;  // one unreadable message must not cost the conversation
      const json::object& mo = m.get_object();
      // messageType is an enum integer with no published label (seed: "messageType": 0; no source
      // names its values): type is the integer as its decimal string, never a guessed label.
      const auto kind = adapter::integer_at(mo, "messageType");
      c.messages.push_back(message{text_at(mo, "id"), time_field(mo, "createdAt"), text_at(mo, "from"),
                                   text_at(mo, "to"), text_at(mo, "content"), nonempty_text(mo, "sentiment"),
                                   kind ? std::optional(std::to_string(*kind)) : std::nullopt});
    }
  }
  c.sentiment = nonempty_text(o, "overallSentiment");
  c.summary = nonempty_text(o, "conversationSummary");
  if (const json::value* tags = member(o, "tags"); tags && tags->is_array()) {
    // Inactive tags count: `active` is the tag's state in the tenant's catalogue (can it still be
    // applied?), not whether this conversation carries it.
    for (const auto& t : tags->get_array()) {
      if (!t.is_object()) continue;
      auto name = nonempty_text(t.get_object(), "name");
      if (name && std::find(c.tags.begin(), c.tags.end(), *name) == c.tags.end()) c.tags.push_back(std::move(*name));
    }
  }
  c.score = number_at(o, "finalScore");
  c.status = status_of(o);
  if (auto url = nonempty_text(o, "fileUrl"); url && is_web_url(*url)) c.links.emplace_back("recording", std::move(*url));
  return c;
}

result<conversation> read_one(const adapter::vendor_body& body, std::string_view vendor, std::int32_t asked) {
  auto c = to_conversation(body.value(), vendor);
  if (!c) return c;
  c->raw = body.share(body.value().get_object());
  // A record under another id would be served under a unified id the client did not ask for.
  if (c->native_id != std::to_string(asked))
    return failure::make(errc::upstream_error, "the vendor answered with another conversation than the one asked for");
  return c;
}

}  // namespace cgw::adapters::zild
