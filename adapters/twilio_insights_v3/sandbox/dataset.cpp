#include "adapters/twilio_insights_v3/sandbox/sandbox.hpp"

#include "adapters/sandbox/draws.hpp"
#include "gateway/core/time.hpp"

#include <array>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <optional>

#include <boost/json/array.hpp>

namespace cgw::sandbox::twilio_insights_v3 {
namespace {

namespace json = boost::json;
using namespace std::chrono;

using rng = draws;

constexpr std::array<std::string_view, 7> other_languages{"es-MX", "fr-FR", "de-DE", "pt-BR",
                                                          "en-GB", "ja-JP", "hi-IN"};
// Weighted by repetition; "whatsapp" is outside the unified channel set.
constexpr std::array<std::string_view, 10> channels{"voice", "voice", "voice", "voice", "chat",
                                                    "chat",  "sms",   "email", "video", "whatsapp"};
constexpr std::array<std::string_view, 3> sentiments{"positive", "negative", "neutral"};
constexpr std::array<std::string_view, 10> agents{
    "Ada Lovelace",   "Grace Hopper", "Alan Turing",       "Katherine Johnson", "Linus Torvalds",
    "Barbara Liskov", "Ken Thompson", "Margaret Hamilton", "Edsger Dijkstra",   "Frances Allen"};

constexpr std::int64_t minute_ms = 60'000;
constexpr std::int64_t day_ms = 24 * 60 * minute_ms;
constexpr std::int64_t first_created_ms =
    duration_cast<milliseconds>(sys_days{2024y / June / 1}.time_since_epoch()).count();

// A Twilio SID: two letters and 32 lower-case hex digits.
std::string sid(std::string_view prefix, rng& r) {
  char hex[33];
  std::snprintf(hex, sizeof hex, "%016" PRIx64 "%016" PRIx64, r.next(), r.next());
  return std::string(prefix) + hex;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string language(rng& r) {
  const std::string_view tag = r.chance(50) ? "en-US" : r.pick(other_languages);
  // Some tags arrive in lower case: the gateway's language filter is case-insensitive.
  return r.chance(6) ? lower(tag) : std::string(tag);
}

std::string channel(rng& r) {
  std::string c(r.pick(channels));
  if (r.chance(10)) c[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(c[0])));  // "Voice"
  return c;
}

json::array languages(rng& r) {
  const auto n = r.below(100);
  if (n < 8) return {};
  json::array out{json::value(language(r))};
  if (n < 20) out.emplace_back(language(r));
  return out;
}

json::array channel_list(rng& r) {
  const auto n = r.below(100);
  if (n < 5) return {};
  json::array out{json::value(channel(r))};
  if (n < 12) out.emplace_back(channel(r));  // may repeat: a transfer back to the same channel
  return out;
}

json::array agent_names(rng& r) {
  const auto n = r.below(100);
  json::array out;
  if (n >= 10) out.emplace_back(r.pick(agents));
  if (n >= 85) out.emplace_back(r.pick(agents));
  return out;
}

}  // namespace

std::vector<json::object> make_dataset(std::uint32_t count, std::uint64_t seed) {
  rng r(seed);
  const std::string account = sid("AC", r);
  std::vector<json::object> records;
  records.reserve(count);
  std::int64_t created_ms = 0;
  std::optional<std::int64_t> duration_ms;
  for (std::uint32_t i = 0; i < count; ++i) {
    // Deliberate ties with the previous record, so that a client must not rely on DateCreated
    // or Duration alone to order or resume.
    if (i == 0 || !r.chance(8)) created_ms = first_created_ms + r.below(300 * day_ms);
    if (i == 0 || !r.chance(6)) {
      duration_ms.reset();
      if (!r.chance(7)) duration_ms = 5'000 + r.below(60 * minute_ms);  // null: still being analysed
    }
    json::object rec;
    rec["Id"] = sid("CA", r);
    rec["DateCreated"] = format_rfc3339_ms(created_ms * 1000);
    rec["Languages"] = languages(r);
    rec["Channels"] = channel_list(r);
    rec["OperatorResult.Value"] = r.chance(10) ? json::value(nullptr) : json::value(r.pick(sentiments));
    rec["Duration"] = duration_ms ? json::value(*duration_ms) : json::value(nullptr);
    rec["AgentNames"] = agent_names(r);
    rec["Direction"] = r.chance(70) ? "inbound" : "outbound";
    rec["AccountSid"] = account;
    records.push_back(std::move(rec));
  }
  return records;
}

}  // namespace cgw::sandbox::twilio_insights_v3
