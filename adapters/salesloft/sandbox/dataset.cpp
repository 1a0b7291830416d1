#include "adapters/salesloft/sandbox/sandbox.hpp"

#include "adapters/salesloft/sandbox/wire.hpp"
#include "gateway/core/time.hpp"

#include <array>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <optional>

namespace cgw::sandbox::salesloft {
namespace {

namespace json = boost::json;
using namespace std::chrono;

// splitmix64: tiny, and unlike std's distributions it yields the same numbers on every platform.
class rng {
 public:
  explicit rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::int64_t below(std::uint64_t n) { return static_cast<std::int64_t>(next() % n); }
  bool chance(unsigned percent) { return below(100) < percent; }
  template <class Items>
  const auto& pick(const Items& items) {
    return items[static_cast<std::size_t>(below(std::size(items)))];
  }

 private:
  std::uint64_t state_;
};

constexpr std::array<std::string_view, 20> companies{
    "Acme",     "Globex",         "Initech",          "Umbrella",         "Hooli",
    "Soylent",  "Cyberdyne",      "Tyrell",           "Massive Dynamic",  "Pied Piper",
    "Vandelay", "Dunder Mifflin", "Wonka Industries", "Stark Industries", "Wayne Enterprises",
    "Oscorp",   "Aperture",       "Black Mesa",       "Gringotts",        "Prestige Worldwide"};

constexpr std::array<std::string_view, 7> title_openings{
    "Discovery call with ",        "Product demo for ", "Pricing discussion with ",
    "Quarterly business review: ", "Follow-up with ",   "Onboarding kickoff with ",
    "Renewal check-in with "};

constexpr std::int64_t minute_ms = 60'000;
constexpr std::int64_t day_ms = 24 * 60 * minute_ms;
constexpr std::int64_t first_created_ms =
    duration_cast<milliseconds>(sys_days{2024y / March / 1}.time_since_epoch()).count();
constexpr std::size_t user_pool = 12;
constexpr std::size_t account_pool = 160;
constexpr std::size_t person_pool = 900;

std::string format_ms(std::int64_t ms) {
  return format_rfc3339_ms(ms * 1000);
}

std::string uuid(rng& r) {
  const std::uint64_t hi = (r.next() & ~0xf000ULL) | 0x4000ULL;        // version 4
  const std::uint64_t lo = (r.next() & ~(3ULL << 62)) | (2ULL << 62);  // RFC 4122 variant
  char text[37];
  constexpr std::uint64_t low48 = (std::uint64_t{1} << 48) - 1;
  std::snprintf(text, sizeof text, "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%012" PRIx64,
                hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48, lo & low48);
  return text;
}

json::value reference(const std::string& id, const std::string& href) {
  return json::object{{"id", id}, {"_href", std::string(wire::api_base) + href}};
}

template <class T>
json::value or_null(bool present, T&& value) {
  return present ? json::value(std::forward<T>(value)) : json::value(nullptr);
}

// The three fields the deliberate ties share.
struct tie_fields {
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::optional<std::int64_t> duration_ms;
};

tie_fields fresh_times(rng& r) {
  tie_fields t;
  t.created_ms = first_created_ms + r.below(365 * day_ms);
  t.updated_ms = r.chance(20) ? t.created_ms : t.created_ms + r.below(21 * day_ms);
  if (!r.chance(5)) t.duration_ms = 30'000 + r.below(90 * minute_ms);  // null: recording never processed
  return t;
}

}  // namespace

std::vector<json::object> make_dataset(std::uint32_t count, std::uint64_t seed) {
  rng r(seed);
  const std::string organization = uuid(r);
  std::vector<std::string> users(user_pool);
  for (auto& u : users) u = uuid(r);

  std::vector<json::object> records;
  records.reserve(count);
  tie_fields times;
  for (std::uint32_t i = 0; i < count; ++i) {
    // Ties with the previous record: several records share created_at, updated_at and duration,
    // so a client must not rely on those alone to order or resume.
    if (i == 0 || !r.chance(6)) times = fresh_times(r);

    const std::string id = uuid(r);
    const std::string_view platform = r.pick(wire::platforms);
    const bool audio_only = platform == "salesloft" || platform == "external_audio";
    const bool uploaded = platform == "manual_upload" || platform == "external_audio";
    const auto account = static_cast<std::size_t>(r.below(account_pool));
    const std::string account_id = std::to_string(48'000 + account);
    const std::string person_id = std::to_string(700'000 + r.below(person_pool));
    const std::string& owner = r.pick(users);
    const std::string& user = r.chance(80) ? owner : r.pick(users);
    const std::string title =
        std::string(r.pick(title_openings)) + std::string(companies[account % companies.size()]);
    const std::string_view language = r.chance(55) ? "en-US" : r.pick(wire::language_codes);
    // The meeting ended a little before the recording was processed into a conversation.
    const std::int64_t event_end = times.created_ms - r.below(15 * minute_ms);
    const std::int64_t event_start = event_end - times.duration_ms.value_or(30 * minute_ms);
    const std::string transcription = uuid(r);
    const std::string transcription_href = "/transcriptions/" + transcription;
    const bool has_event = !r.chance(10);
    const bool has_transcription = !r.chance(20);

    json::object rec;
    rec["id"] = id;
    rec["duration"] = or_null(times.duration_ms.has_value(), times.duration_ms.value_or(0));
    rec["is_api"] = r.chance(uploaded ? 60 : 3);
    rec["platform"] = platform;
    rec["media_type"] = (audio_only || r.chance(15)) ? "audio" : "video";
    rec["organization_id"] = organization;
    rec["title"] = or_null(!r.chance(3), title);
    rec["owner_id"] = owner;
    rec["user_guid"] = user;
    rec["started_recording_at"] = event_start + r.below(minute_ms);
    rec["event_end_date"] = or_null(has_event, format_ms(event_end));
    rec["event_start_date"] = or_null(has_event, format_ms(event_start));
    rec["language_code"] = or_null(!r.chance(8), language);
    rec["created_at"] = format_ms(times.created_ms);
    rec["updated_at"] = format_ms(times.updated_ms);
    rec["call_id"] = or_null(platform == "salesloft", std::to_string(100'000'000 + r.below(900'000'000)));
    rec["account"] = r.chance(92) ? reference(account_id, "/accounts/" + account_id) : nullptr;
    rec["person"] = r.chance(85) ? reference(person_id, "/people/" + person_id) : nullptr;
    rec["recording"] = r.chance(95) ? reference(uuid(r), "/conversations/" + id + "/recording") : nullptr;
    rec["transcription"] = or_null(has_transcription, reference(transcription, transcription_href));
    rec["transcription_sentences"] =
        or_null(has_transcription, reference(transcription, transcription_href + "/sentences"));
    rec["transcription_artifact"] =
        or_null(has_transcription, reference(transcription, transcription_href + "/artifact"));
    records.push_back(std::move(rec));
  }
  return records;
}

}  // namespace cgw::sandbox::salesloft
