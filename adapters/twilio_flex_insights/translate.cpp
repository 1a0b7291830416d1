#include "adapters/twilio_flex_insights/translate.hpp"

#include "adapters/twilio_envelope.hpp"
#include "gateway/adapter/fields.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>

#include <boost/url/url.hpp>

namespace cgw::adapters::twilio_flex_insights {
namespace {

namespace json = boost::json;
using adapter::text_at;

constexpr std::string_view records_key = "conversations";

void add(filter_set& s, filter f) {
  s.set(static_cast<std::size_t>(f));
}

// ASCII case folding, as the unified agent filter compares names.
bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(),
                    [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
}

// `x` rounded to an integer; nullopt when it is not finite or does not fit (a vendor's talk_time
// can be any JSON number, and llround past the range gives garbage).
std::optional<std::int64_t> rounded(double x) {
  if (!(std::fabs(x) < 9.2e18)) return std::nullopt;
  return std::llround(x);
}

// started_at, ended_at, duration_ms and agents, all derived from the segments (MAPPING.md).
void derive_from_segments(conversation& c) {
  const segment* latest = nullptr;
  double talk_total = 0;
  bool talk_known = !c.segments.empty();
  for (const segment& s : c.segments) {
    if (s.started_at) {
      if (!c.started_at || *s.started_at < *c.started_at) c.started_at = s.started_at;
      // Of segments starting at the same instant, the one that talks longest ends the conversation.
      if (!latest || *s.started_at > *latest->started_at ||
          (*s.started_at == *latest->started_at &&
           s.talk_time_s.value_or(-1) > latest->talk_time_s.value_or(-1)))
        latest = &s;
    }
    if (s.talk_time_s)
      talk_total += *s.talk_time_s;
    else
      talk_known = false;
    if (s.agent_name && !s.agent_name->empty() &&
        std::none_of(c.agents.begin(), c.agents.end(),
                     [&](const agent& a) { return same_name(*a.name, *s.agent_name); }))
      c.agents.push_back(agent{std::nullopt, s.agent_name});
  }
  // An end past the range of micros is no end we can state (and the sum would overflow).
  if (auto talk = latest && latest->talk_time_s ? rounded(*latest->talk_time_s * 1e6) : std::nullopt) {
    micros end = 0;
    if (!__builtin_add_overflow(*latest->started_at, *talk, &end)) c.ended_at = end;
  }
  // A duration missing one segment's talk time would be too short, not approximately right.
  if (talk_known) c.duration_ms = rounded(talk_total * 1000);
}

using adapter::json_path;
using adapter::json_scalar;

// One Flex conversation read from its events (MAPPING.md): the mapping rules of both paths, the
// DOM's replayed and the streamed answer's. A duplicated key reads as its last value, as the DOM
// keeps it.
class record_reader final : public adapter::json_events {
 public:
  // `path` from the record itself (empty: the record).
  void on_value(json_path path, const json_scalar& v) override {
    if (path.empty()) *this = record_reader{};
    if (!adapter::record_member(path, v, object_)) return;
    const std::string_view key = path[0].key;
    if (path.size() == 1) {
      if (key == "conversation_id")
        id_ = adapter::text_of(v);
      else if (key == "account_id")
        account_id_ = adapter::text_of(v);
      else if (key == "segments")
        segments_.clear(), in_segments_ = v.is(json_scalar::kind::array);
      return;
    }
    if (key != "segments" || !in_segments_ || !path[1].element) return;
    if (path.size() == 2) {
      // The spec leaves segments untyped: what is not an object is not one.
      segment_open_ = v.is(json_scalar::kind::object);
      if (segment_open_) segments_.emplace_back();
      return;
    }
    if (path.size() != 3 || !segment_open_) return;
    segment& s = segments_.back();
    const std::string_view member = path[2].key;
    if (member == "segment_id")
      s.id = adapter::text_of(v);
    else if (member == "order")
      s.order = adapter::integer_of(v);
    else if (member == "offset")
      s.offset_s = adapter::number_of(v);
    else if (member == "talk_time")
      s.talk_time_s = adapter::number_of(v);
    else if (member == "timestamp")
      s.started_at = adapter::time_of(v);
    else if (member == "agent_name")
      s.agent_name = adapter::text_of(v);
  }
  void on_end(json_path) override {}

  bool is_object() const { return object_; }

  // Fails when the record is not an object or has no conversation_id (such a record cannot be addressed).
  result<conversation> finish(std::string_view vendor) && {
    if (!object_) return failure::make(errc::upstream_error, "a Flex Insights conversation is not an object");
    if (!id_ || id_->empty())
      return failure::make(errc::upstream_error, "a Flex Insights conversation has no conversation_id");
    conversation c;
    set_identity(c, vendor, type_name, std::move(*id_));
    c.account_id = std::move(account_id_);
    c.segments = std::move(segments_);
    derive_from_segments(c);
    return c;
  }

 private:
  bool object_ = false, in_segments_ = false, segment_open_ = false;
  opt_string id_, account_id_;
  std::vector<segment> segments_;
};

// The records of one top-level array: mapped, those without an id counted, and the first that is
// not an object kept as the failure (the DOM path stops at it).
class record_list final : public adapter::json_events {
 public:
  explicit record_list(std::string_view vendor) : vendor_(vendor) {}

  // `path` from the array (its elements: path[0]).
  void on_value(json_path path, const json_scalar& v) override {
    record_.on_value(path.subspan(1), v);
    if (path.size() == 1 && !v.is(json_scalar::kind::object) && !v.is(json_scalar::kind::array)) end_record();
  }
  void on_end(json_path path) override {
    if (path.size() == 1) end_record();
  }

  page_read read;
  std::optional<failure> error;

 private:
  void end_record() {
    if (error) return;
    if (!record_.is_object()) {
      error = failure::make(errc::upstream_error, "a Flex Insights conversation is not an object");
      return;
    }
    auto c = std::move(record_).finish(vendor_);
    if (!c)
      ++read.skipped;  // no conversation_id: nothing could ever address it
    else
      read.page.records.push_back(std::move(*c));
  }

  std::string_view vendor_;
  record_reader record_;
};

// A list answer read from its events: {conversations: [...], meta: {key, next_page_url}}, in any order.
using page_reader = meta_keyed_answer<record_list>;

// `out` with the page that follows, from meta.next_page_url (checked as read_page says).
result<page_read> with_next(page_read out, const std::optional<std::string>& next,
                            const upstream::endpoint& ep, std::string_view target) {
  if (next && !next->empty()) {
    auto next_target = upstream::same_origin_target(ep, *next);
    if (!next_target) return next_target.error();
    if (*next_target == target)
      return failure::make(errc::upstream_error, "the vendor's next-page link repeats the page just read");
    out.page.next = std::move(*next_target);
  }
  return out;
}

}  // namespace

filter_set pushed_down(const list_query& q) {
  filter_set out;
  if (q.segment_id) add(out, filter::segment_id);
  return out;
}

filter_set absent_filters() {
  filter_set out;
  for (filter f : {filter::created_after, filter::created_before, filter::updated_after,
                   filter::updated_before, filter::language, filter::channel, filter::platform,
                   filter::owner_id, filter::user_id, filter::person_id, filter::title, filter::title_prefix})
    add(out, f);
  return out;
}

std::string first_page_target(const list_query& q, std::size_t page_size, std::string_view path_prefix) {
  boost::urls::url u;
  u.set_path(std::string(path_prefix) + std::string(list_path));
  auto params = u.params();
  if (q.segment_id) params.append({"SegmentId", *q.segment_id});
  params.append({"PageSize", std::to_string(std::clamp<std::size_t>(page_size, 1, max_per_page))});
  return std::string(u.encoded_resource());
}

result<conversation> to_conversation(const json::value& record, std::string_view vendor) {
  record_reader reader;
  adapter::replay(record, reader);
  return std::move(reader).finish(vendor);
}

result<page_read> read_page(const adapter::vendor_body& body, std::string_view vendor,
                            const upstream::endpoint& ep, std::string_view target) {
  const json::object* envelope = body.value().if_object();
  const json::object* meta = envelope ? adapter::object_at(*envelope, "meta") : nullptr;
  // Twilio names the records' key in meta.key; "conversations" is what this endpoint documents.
  const std::string key = (meta ? text_at(*meta, "key") : std::nullopt).value_or(std::string(records_key));
  const json::value* records = envelope ? adapter::member(*envelope, key) : nullptr;
  if (!records || !records->is_array())
    return failure::make(errc::upstream_error,
                         "the Flex Insights answer has no " + std::string(records_key) + " array");
  page_read out;
  out.page.records.reserve(records->get_array().size());
  for (const auto& record : records->get_array()) {
    if (!record.is_object())
      return failure::make(errc::upstream_error, "a Flex Insights conversation is not an object");
    auto c = to_conversation(record, vendor);
    if (!c) {
      ++out.skipped;  // no conversation_id: nothing could ever address it
      continue;
    }
    c->raw = body.share(record.get_object());
    out.page.records.push_back(std::move(*c));
  }
  return with_next(std::move(out), meta ? text_at(*meta, "next_page_url") : std::nullopt, ep, target);
}

result<page_read> read_page(std::string_view text, std::string_view vendor, const upstream::endpoint& ep,
                            std::string_view target) {
  page_reader reader(record_list(vendor), "next_page_url");
  if (auto parsed = adapter::read_events(text, reader); !parsed) return parsed.error();
  record_list* records =
      reader.is_object() ? reader.find(reader.key().value_or(std::string(records_key))) : nullptr;
  if (!records)
    return failure::make(errc::upstream_error,
                         "the Flex Insights answer has no " + std::string(records_key) + " array");
  if (records->error) return *records->error;
  return with_next(std::move(records->read), reader.next(), ep, target);
}

}  // namespace cgw::adapters::twilio_flex_insights
