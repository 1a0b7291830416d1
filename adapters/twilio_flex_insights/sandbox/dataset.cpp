#include "adapters/twilio_flex_insights/sandbox/sandbox.hpp"

#include "adapters/sandbox/draws.hpp"
#include "gateway/core/time.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cinttypes>
#include <cstdio>

#include <boost/json/array.hpp>

namespace cgw::sandbox::twilio_flex_insights {
namespace {

namespace json = boost::json;
using namespace std::chrono;

// Case variants on purpose: Flex Insights stores the name as each segment's agent typed it, and
// the unified agent filter must match "Ann Lee" and "ann lee" alike.
constexpr std::array<std::string_view, 10> agent_names{
    "Ann Lee",   "ann lee",   "Bob Martinez", "Chen Wei",  "Dana Okafor",
    "Eve Adams", "EVE ADAMS", "Farid Haddad", "Grace Kim", "Hiro Tanaka"};

constexpr std::size_t account_pool = 12;
constexpr std::int64_t second_ms = 1000;
constexpr std::int64_t day_ms = 86'400 * second_ms;
constexpr std::int64_t first_start_ms =
    duration_cast<milliseconds>(sys_days{2024y / January / 8}.time_since_epoch()).count();

// A UUID-shaped id as the vendor's example shows them ("2cb2452a-c6d9-564d-b285-b5404f073031").
std::string uuid_like(draws& d) {
  const std::uint64_t hi = (d.next() & ~0xf000ULL) | 0x5000ULL;
  const std::uint64_t lo = (d.next() & ~(3ULL << 62)) | (2ULL << 62);
  char text[37];
  constexpr std::uint64_t low48 = (std::uint64_t{1} << 48) - 1;
  std::snprintf(text, sizeof text, "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%012" PRIx64,
                hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48, lo & low48);
  return text;
}

// One call's segments: consecutive legs handed from agent to agent, with a gap between them.
json::array make_segments(draws& d, std::int64_t start_ms, int count) {
  json::array segments;
  std::int64_t at = start_ms;
  for (int k = 0; k < count; ++k) {
    const std::int64_t talk_s = 5 + d.below(1200);
    json::object s;
    s["segment_id"] = uuid_like(d);
    s["order"] = k;
    s["offset"] = static_cast<double>(d.below(9000)) / 1000.0;  // seconds with decimals, as in the example
    // A leg whose talk time was never measured: the conversation's duration is then unknown.
    s["talk_time"] = d.chance(3) ? json::value(nullptr) : json::value(talk_s);
    s["timestamp"] = format_rfc3339_ms(at * 1000);
    s["agent_name"] = d.chance(4) ? json::value(nullptr) : json::value(d.pick(agent_names));
    segments.push_back(std::move(s));
    at += talk_s * second_ms + d.below(90) * second_ms;
  }
  // The array order is not promised to be time order: some conversations list their legs backwards.
  if (count > 1 && d.chance(20)) std::reverse(segments.begin(), segments.end());
  return segments;
}

}  // namespace

std::vector<json::object> make_dataset(std::uint32_t count, std::uint64_t seed) {
  draws d(seed);
  std::vector<std::string> accounts(account_pool);
  for (auto& a : accounts) a = uuid_like(d);

  std::vector<json::object> records;
  records.reserve(count);
  std::int64_t start_ms = first_start_ms;
  for (std::uint32_t i = 0; i < count; ++i) {
    // Some conversations start at the same millisecond as the previous one: ties the order must break by id.
    if (i == 0 || !d.chance(6)) start_ms = first_start_ms + d.below(500 * day_ms);
    json::object rec;
    rec["account_id"] = d.chance(10) ? json::value(nullptr) : json::value(d.pick(accounts));
    // The spec makes conversation_id nullable; such a record cannot be addressed by any client.
    rec["conversation_id"] = d.chance(2) ? json::value(nullptr) : json::value(uuid_like(d));
    const auto shape = d.below(100);
    if (shape < 4) {
      rec["segment_count"] = 0;
      rec["segments"] = nullptr;
    } else if (shape < 8) {
      rec["segment_count"] = 0;
      rec["segments"] = json::array{};
    } else {
      const int n = 1 + static_cast<int>(d.below(4));
      rec["segment_count"] = n;
      rec["segments"] = make_segments(d, start_ms, n);
    }
    records.push_back(std::move(rec));
  }
  return records;
}

}  // namespace cgw::sandbox::twilio_flex_insights
