// The CPU stages of a list request, one at a time, with Google Benchmark: reading each vendor's
// page of 50 (parse + map), writing the answer, the cursor, and the merge of 4 x 50 records.
// Prints figures (bytes/s or items/s); it is not a test. tests/bench/run.sh measures the whole
// path under load; this says which stage a change moved.
//
//   micro_bench [--benchmark_filter=REGEX] [--benchmark_min_time=0.5] ...
//
// The vendor pages are the sandboxes' own answers, made in-process by their handlers (the same
// datasets and wire shapes vendor-sandbox serves) to the requests the adapters build.
#include "adapters/salesloft/sandbox/sandbox.hpp"
#include "adapters/salesloft/translate.hpp"
#include "adapters/twilio_flex_insights/sandbox/sandbox.hpp"
#include "adapters/twilio_flex_insights/translate.hpp"
#include "adapters/twilio_insights_v3/sandbox/sandbox.hpp"
#include "adapters/twilio_insights_v3/translate.hpp"
#include "adapters/zild/sandbox/sandbox.hpp"
#include "adapters/zild/translate.hpp"
#include "gateway/api/answer.hpp"
#include "gateway/api/cursor.hpp"
#include "gateway/core/json_writer.hpp"
#include "gateway/core/query.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace {

using namespace cgw;
namespace sb = cgw::sandbox;

constexpr std::uint32_t dataset_records = 1000;  // as run.sh's BENCH_RECORDS
constexpr std::size_t page_size = 50;
// A Host the pages' absolute links (Flex's next_page_url) name, and the endpoint that matches it.
constexpr std::string_view sandbox_host = "127.0.0.1:19102";

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "micro_bench: %s\n", why.c_str());
  std::exit(1);
}

sb::response ask(sb::handler& h, http::verb method, const std::string& target, std::string_view auth,
                 std::string body = {}) {
  sb::request req{method, target, 11};
  req.set(http::field::host, sandbox_host);
  req.set(http::field::authorization, auth);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = std::move(body);
    req.prepare_payload();
  }
  auto res = h.handle(req);
  if (res.result() != http::status::ok)
    die(target + " answered " + std::to_string(res.result_int()) + ": " + res.body());
  return res;
}

list_query query_of(std::string_view text) {
  auto q = parse_list_query(text);
  if (!q) die(std::string(text) + ": " + q.error().message);
  return std::move(*q);
}

upstream::endpoint flex_endpoint() {
  upstream::endpoint ep;
  ep.host = "127.0.0.1";
  ep.port = 19102;
  return ep;
}

// One vendor's page as the gateway receives it, and how today's adapter reads it.
struct vendor_case {
  std::string name;
  std::vector<std::string> bodies;  // one list answer, or (Zild, which cannot list) one answer per record
  bool scan = false;                // the Flex scan's one answer of every record, not a page of 50
  // Parse + map of bodies[i], today's path.
  std::function<std::vector<conversation>(std::size_t i, const std::string& body)> read;
  // The same without a DOM (the path taken unless include=raw), where the vendor has one.
  std::function<std::vector<conversation>(std::size_t i, const std::string& body)> read_events;
  std::size_t records = 0;  // what read() maps from all bodies (Flex skips records without an id)
};

std::vector<conversation> must(result<adapter::vendor_page> page, const std::string& vendor) {
  if (!page) die(vendor + ": " + page.error().message);
  return std::move(page->records);
}

adapter::vendor_body parsed(const std::string& body) {
  auto b = adapter::vendor_body::parse(body);
  if (!b) die("a sandbox answer is not JSON");
  return std::move(*b);
}

// run.sh's page of 50 of one vendor: sort=-created_at, which Salesloft and Insights serve natively.
list_query native_page_query(std::string_view vendor) {
  return query_of("vendor=" + std::string(vendor) + "&page_size=50&sort=-created_at");
}

vendor_case salesloft_case() {
  sb::salesloft::options o;
  o.records = dataset_records;
  o.budget_per_minute = 0;
  const auto q = native_page_query("salesloft");
  const auto target =
      adapters::salesloft::list_target({.query = q, .sorted = true, .per_page = page_size}, "", "salesloft");
  auto body =
      ask(*sb::salesloft::make_handler(o), http::verb::get, target, "Bearer sandbox-salesloft-token").body();
  return {"salesloft",
          {std::move(body)},
          false,
          [](std::size_t, const std::string& body) {
            return must(adapters::salesloft::read_page(parsed(body), "salesloft"), "salesloft");
          },
          [](std::size_t, const std::string& body) {
            return must(adapters::salesloft::read_page(std::string_view(body), "salesloft"), "salesloft");
          }};
}

vendor_case flex_case(std::size_t per_page) {
  sb::twilio_flex_insights::options o;
  o.records = dataset_records;
  auto h = sb::twilio_flex_insights::make_handler(o);
  const auto q = query_of("vendor=twilio_flex&page_size=50");
  const auto target = adapters::twilio_flex_insights::first_page_target(q, per_page, "");
  auto body = ask(*h, http::verb::get, target, "Basic QUNzYW5kYm94OnNhbmRib3gtZmxleC1zZWNyZXQ=").body();
  const bool scan = per_page != page_size;
  return {scan ? "twilio_flex_scan_" + std::to_string(per_page) : "twilio_flex",
          {std::move(body)},
          scan,
          [target](std::size_t, const std::string& body) {
            auto r = adapters::twilio_flex_insights::read_page(parsed(body), "twilio_flex", flex_endpoint(),
                                                               target);
            if (!r) die("twilio_flex: " + r.error().message);
            return std::move(r->page.records);
          },
          [target](std::size_t, const std::string& body) {
            auto r = adapters::twilio_flex_insights::read_page(std::string_view(body), "twilio_flex",
                                                               flex_endpoint(), target);
            if (!r) die("twilio_flex: " + r.error().message);
            return std::move(r->page.records);
          }};
}

vendor_case insights_case() {
  namespace v3 = adapters::twilio_insights_v3;
  sb::twilio_insights_v3::options o;
  o.records = dataset_records;
  o.requests_per_minute = 0;
  const auto q = native_page_query("twilio_insights");
  const auto dims = v3::default_dimensions();
  auto query = json::serialize(
      v3::query_body({.query = q, .sorted = true, .per_page = page_size}, dims, "twilio_insights"));
  auto body = ask(*sb::twilio_insights_v3::make_handler(o), http::verb::post, v3::query_target("", page_size),
                  "Basic QUNzYW5kYm94OnNhbmRib3gtaW5zaWdodHMtc2VjcmV0", std::move(query))
                  .body();
  return {"twilio_insights",
          {std::move(body)},
          false,
          [dims](std::size_t, const std::string& body) {
            return must(v3::read_page(parsed(body), dims, "twilio_insights"), "twilio_insights");
          },
          [dims](std::size_t, const std::string& body) {
            return must(v3::read_page(std::string_view(body), dims, "twilio_insights"), "twilio_insights");
          }};
}

vendor_case zild_case() {
  sb::zild::options o;
  o.records = page_size;
  auto h = sb::zild::make_handler(o);
  vendor_case c{"zild", {}, false, {}};
  std::vector<std::int32_t> ids;
  for (const auto& r : sb::zild::dataset(*h)) {
    const auto id = static_cast<std::int32_t>(r.at("id").to_number<std::int64_t>());
    ids.push_back(id);
    c.bodies.push_back(
        ask(*h, http::verb::get, adapters::zild::get_target(id, ""), "Bearer sandbox-zild-jwt").body());
  }
  // Zild has no list endpoint: its "page" is 50 answers to GET /api/Conversation/{id}, read one by one.
  c.read = [ids](std::size_t i, const std::string& body) {
    auto r = adapters::zild::read_one(parsed(body), "zild", ids[i]);
    if (!r) die("zild: " + r.error().message);
    std::vector<conversation> one;
    one.push_back(std::move(*r));
    return one;
  };
  c.read_events = [ids](std::size_t i, const std::string& body) {
    auto r = adapters::zild::read_one(std::string_view(body), "zild", ids[i]);
    if (!r) die("zild: " + r.error().message);
    std::vector<conversation> one;
    one.push_back(std::move(*r));
    return one;
  };
  return c;
}

const std::vector<vendor_case>& cases() {
  static const std::vector<vendor_case> all = [] {
    std::vector<vendor_case> v;
    v.push_back(salesloft_case());
    v.push_back(flex_case(page_size));
    v.push_back(insights_case());
    v.push_back(zild_case());
    v.push_back(flex_case(dataset_records));  // the Flex scan: one answer of every record
    for (auto& c : v) {
      for (std::size_t i = 0; i < c.bodies.size(); ++i) {
        const std::size_t n = c.read(i, c.bodies[i]).size();
        if (c.read_events && c.read_events(i, c.bodies[i]).size() != n)
          die(c.name + ": the paths map unlike counts");
        c.records += n;
      }
      if (c.records == 0) die(c.name + ": the sandbox's answer maps to no record");
    }
    return v;
  }();
  return all;
}

std::size_t bytes_of(const vendor_case& c) {
  std::size_t n = 0;
  for (const auto& b : c.bodies) n += b.size();
  return n;
}

// Each vendor's page of 50 mapped, as the merge receives it (raw dropped, as when include=raw is not asked).
std::vector<conversation> records_of(const vendor_case& c) {
  std::vector<conversation> out;
  for (std::size_t i = 0; i < c.bodies.size(); ++i)
    for (auto& r : c.read(i, c.bodies[i])) {
      r.raw.reset();
      out.push_back(std::move(r));
    }
  return out;
}

// ---- parse + map -----------------------------------------------------------------------------

// `events`: the DOM-less reader, else today's DOM path.
void parse_map(benchmark::State& state, const vendor_case& c, bool events) {
  const auto& read = events ? c.read_events : c.read;
  for (auto _ : state)
    for (std::size_t i = 0; i < c.bodies.size(); ++i) benchmark::DoNotOptimize(read(i, c.bodies[i]));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes_of(c)));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * c.records));
  state.counters["page_bytes"] = static_cast<double>(bytes_of(c));
}

// parse+map (new path): register the DOM-less reader of each vendor here, on the same cases()
// bodies, as parse_map/<vendor>/<path> beside parse_map/<vendor>/dom, so both show in one run.

// ---- write -----------------------------------------------------------------------------------

// Today's answer: to_json of every record into one arena, the envelope, json::serialize (as
// list_conversations and service.cpp do).
// The page's meta, as the list handler builds it.
json::object page_meta(std::size_t size, const json::storage_ptr& sp = {}) {
  json::object meta(sp);
  meta["page_size"] = size;
  meta["next_cursor"] = "c2FsZXNsb2Z0OjEyMzQ1Njc4OTA";
  meta["partial"] = false;
  meta["timing"] = json::object{{"slowest_vendor_ms", 1.2}, {"total_ms", 1.5}};
  return meta;
}

// Before: to_json of every record into one arena, then json::serialize of the whole DOM.
std::string write_dom(const std::vector<conversation>& page) {
  const json::storage_ptr arena = json::make_shared_resource<json::monotonic_resource>();
  json::array data(arena);
  data.reserve(page.size());
  for (const auto& c : page) data.push_back(to_json(c, false, arena));
  json::object body(arena);
  body["data"] = std::move(data);
  body["meta"] = page_meta(page.size(), arena);
  return json::serialize(body);
}

// Now: the records written straight into the answer's text, meta after them (list_conversations).
std::string write_streaming(const std::vector<conversation>& page) {
  api::answer a;
  a.members.reserve(16 + page.size() * 1024);
  json_writer w(a.members);
  w.begin_members();
  w.key("data"), w.begin_array();
  for (const auto& c : page) write_json(w, c, false);
  w.end_array(), w.end_members();
  a.body["meta"] = page_meta(page.size());
  return api::body_text(a);
}

void write_answer(benchmark::State& state, const vendor_case& c,
                  std::string (*write)(const std::vector<conversation>&)) {
  const auto page = records_of(c);
  if (json::parse(write(page)) != json::parse(write_dom(page))) {
    state.SkipWithError("the two writers disagree");
    return;
  }
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto text = write(page);
    bytes += text.size();
    benchmark::DoNotOptimize(text);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * page.size()));
  state.counters["answer_bytes"] = static_cast<double>(write(page).size());
}

// ---- cursor ----------------------------------------------------------------------------------

const digest::hmac_sha256 cursor_mac("bench-cursor-secret-of-32-bytes!");

api::cursor_state sample_cursor() {
  return {api::fingerprint_of("tenant page_size=50&sort=-started_at"),
          sort_key{1'717'171'717'000'000, "salesloft:1234567890"},
          {"zild", "twilio_flex"}};
}

void cursor_encode(benchmark::State& state) {
  const auto s = sample_cursor();
  for (auto _ : state) benchmark::DoNotOptimize(api::encode_cursor(s, cursor_mac));
  state.SetItemsProcessed(state.iterations());
}

void cursor_decode(benchmark::State& state) {
  const auto s = sample_cursor();
  const auto text = api::encode_cursor(s, cursor_mac);
  if (!api::decode_cursor(text, cursor_mac, s.query)) die("the cursor does not decode");
  for (auto _ : state) benchmark::DoNotOptimize(api::decode_cursor(text, cursor_mac, s.query));
  state.SetItemsProcessed(state.iterations());
}

// ---- merge -----------------------------------------------------------------------------------

// What list_conversations does after the fan-out: the key of every record of every run, then
// the first page_size of them in the total order (a partial_sort over key_of / before).
void merge_4x50(benchmark::State& state) {
  const sort_spec order{sort_field::started_at, true};
  std::vector<std::vector<conversation>> runs;
  for (const auto& c : cases())
    if (!c.scan) {
      auto r = records_of(c);
      std::sort(r.begin(), r.end(), [&](const conversation& a, const conversation& b) {
        return before(key_of(a, order), key_of(b, order), order);
      });
      runs.push_back(std::move(r));
    }
  struct head {
    sort_key key;
    std::size_t run;
    std::size_t index;
  };
  std::size_t total = 0;
  for (const auto& r : runs) total += r.size();
  for (auto _ : state) {
    std::vector<head> heads;
    heads.reserve(total);
    for (std::size_t i = 0; i < runs.size(); ++i)
      for (std::size_t j = 0; j < runs[i].size(); ++j) heads.push_back(head{key_of(runs[i][j], order), i, j});
    const std::size_t take = std::min(page_size, heads.size());
    std::partial_sort(heads.begin(), heads.begin() + static_cast<std::ptrdiff_t>(take), heads.end(),
                      [&](const head& a, const head& b) { return before(a.key, b.key, order); });
    benchmark::DoNotOptimize(heads.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * total));
  state.counters["records"] = static_cast<double>(total);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  for (const auto& c : cases()) {
    benchmark::RegisterBenchmark(("parse_map/" + c.name + "/dom").c_str(), parse_map, std::cref(c), false);
    if (c.read_events)  // parse+map (new path)
      benchmark::RegisterBenchmark(("parse_map/" + c.name + "/events").c_str(), parse_map, std::cref(c),
                                   true);
  }
  for (const auto& c : cases())
    if (!c.scan) {
      benchmark::RegisterBenchmark(("write/" + c.name + "/dom").c_str(), write_answer, std::cref(c),
                                   write_dom);
      benchmark::RegisterBenchmark(("write/" + c.name + "/streaming").c_str(), write_answer, std::cref(c),
                                   write_streaming);
    }
  benchmark::RegisterBenchmark("cursor/encode", cursor_encode);
  benchmark::RegisterBenchmark("cursor/decode", cursor_decode);
  benchmark::RegisterBenchmark("merge/4x50", merge_4x50);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
