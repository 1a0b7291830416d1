#include "adapters/zild/sandbox/sandbox.hpp"

#include "adapters/sandbox/draws.hpp"
#include "gateway/core/time.hpp"

#include <array>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <limits>
#include <optional>

namespace cgw::sandbox::zild {
namespace {

namespace json = boost::json;
using namespace std::chrono;

using rng = draws;

// .NET keeps time in 100 ns ticks; these are ticks since the Unix epoch.
using ticks = std::int64_t;
constexpr ticks tick_per_second = 10'000'000;
constexpr ticks tick_per_ms = 10'000;
constexpr ticks tick_per_minute = 60 * tick_per_second;
constexpr ticks tick_per_day = 24 * 60 * tick_per_minute;
constexpr ticks first_created =
    duration_cast<seconds>(sys_days{2024y / June / 1}.time_since_epoch()).count() * tick_per_second;
constexpr int sao_paulo_offset_minutes = -180;

struct person {
  std::int32_t id;
  std::string_view name;
};

constexpr std::array<std::int32_t, 3> tenants{7, 12, 31};
constexpr std::array<person, 6> human_agents{{{1041, "Mariana Costa"},
                                              {1042, "João Pereira"},
                                              {1057, "Ana Souza"},
                                              {1063, "Lucas Almeida"},
                                              {1078, "Beatriz Lima"},
                                              {1090, "Rafael Gomes"}}};
constexpr std::array<person, 3> bots{{{11, "Atendimento Virtual"}, {14, "Zé Vendas"}, {19, "Cobrança Bot"}}};
constexpr std::array<std::int32_t, 4> ai_agents{301, 302, 305, 306};
constexpr std::array<std::string_view, 12> contacts{
    "Maria Silva",        "José Santos",     "Ana Oliveira",   "Carlos Souza",
    "Fernanda Rodrigues", "Paulo Ferreira",  "Juliana Alves",  "Marcos Ribeiro",
    "Camila Carvalho",    "Ricardo Martins", "Patrícia Rocha", "Diego Barbosa"};
constexpr std::array<std::string_view, 3> queues{"Suporte", "Vendas", "Financeiro"};
constexpr std::array<std::string_view, 3> sentiments{"Positive", "Neutral", "Negative"};
constexpr std::array<std::string_view, 4> call_statuses{"completed", "no-answer", "busy", "failed"};
constexpr std::array<std::string_view, 3> disconnections{"user_hangup", "agent_hangup", "inactivity"};
constexpr std::array<std::int32_t, 8> conversation_types{0, 1, 2, 3, 4, 5, 6, 99};
constexpr std::array<std::string_view, 10> contact_lines{"Olá, preciso de ajuda com meu pedido",
                                                         "Qual o prazo de entrega?",
                                                         "Quero cancelar minha assinatura",
                                                         "O boleto venceu, como faço?",
                                                         "Obrigado!",
                                                         "Can I change my delivery address?",
                                                         "Meu cartão foi recusado",
                                                         "Pode me enviar a segunda via?",
                                                         "Ainda não recebi o produto",
                                                         "Perfeito, resolvido"};
constexpr std::array<std::string_view, 8> business_lines{"Olá! Sou o assistente virtual. Como posso ajudar?",
                                                         "Pode me informar o número do pedido?",
                                                         "Vou transferir você para um atendente.",
                                                         "Seu pedido será entregue em até 3 dias úteis.",
                                                         "Segue a segunda via do boleto.",
                                                         "Sure, which address should we use?",
                                                         "Posso ajudar em algo mais?",
                                                         "Atendimento encerrado. Até logo!"};
constexpr std::array<std::string_view, 4> summaries{
    "Cliente perguntou sobre o prazo de entrega; informado prazo de 3 dias úteis.",
    "Solicitação de segunda via de boleto atendida.",
    "Cliente pediu cancelamento; encaminhado ao time de retenção.",
    "Customer asked to change the delivery address; updated by the agent."};

// A tag of a tenant's catalogue; the catalogue has a retired (inactive) tag and one without a name.
struct tag_def {
  std::int32_t id;
  std::optional<std::string_view> name;
  bool active;
};
constexpr std::array<tag_def, 7> tag_catalogue{{{501, "vip", true},
                                                {502, "reclamação", true},
                                                {503, "segunda-via", true},
                                                {504, "black-friday-2023", false},
                                                {505, std::nullopt, true},
                                                {506, "cancelamento", true},
                                                {507, "nps-detrator", true}}};

enum class kind { active, finished, queued, idle, active_with_finish };

// How a duration is written: .NET's "c" format ("1.02:03:04", "00:04:12.5000000"), the
// fraction cut to its significant digits ("00:00:07.25"), or null.
enum class span_style { dotnet, short_fraction, null };

// Cases the first records take, so every form is in any dataset of a few records.
struct forced_case {
  kind k;
  std::optional<std::int64_t> duration_ms;
  span_style style;
};
constexpr std::array<forced_case, 8> forced{{
    {kind::active, std::nullopt, span_style::null},
    {kind::finished, 93'784'000, span_style::dotnet},  // 1.02:03:04
    {kind::queued, 0, span_style::dotnet},             // 00:00:00
    {kind::idle, std::nullopt, span_style::null},
    {kind::active_with_finish, 61'000, span_style::dotnet},  // 00:01:01
    {kind::finished, 252'500, span_style::dotnet},           // 00:04:12.5000000
    {kind::finished, 7'250, span_style::short_fraction},     // 00:00:07.25
    {kind::finished, 1'834'123, span_style::dotnet},         // 00:30:34.1230000
}};

// System.Text.Json's DateTime form: no offset for a UTC kind, fraction digits up to 7 with
// trailing zeros cut, none at all on a whole second; with an offset, local time and "+hh:mm".
std::string format_time(ticks t, std::optional<int> offset_minutes = std::nullopt) {
  const ticks local = t + offset_minutes.value_or(0) * tick_per_minute;
  const ticks whole = local >= 0 ? local / tick_per_second : (local - tick_per_second + 1) / tick_per_second;
  ticks fraction = local - whole * tick_per_second;
  std::string out = format_rfc3339_us(whole * 1'000'000).substr(0, 19);
  if (fraction != 0) {
    char digits[8];
    std::snprintf(digits, sizeof digits, "%07" PRId64, fraction);
    std::string_view f(digits, 7);
    while (f.back() == '0') f.remove_suffix(1);
    out += '.';
    out += f;
  }
  if (offset_minutes) {
    const int m = *offset_minutes < 0 ? -*offset_minutes : *offset_minutes;
    char zone[16];
    std::snprintf(zone, sizeof zone, "%c%02d:%02d", *offset_minutes < 0 ? '-' : '+', m / 60, m % 60);
    out += zone;
  }
  return out;
}

std::string format_span(std::int64_t ms, span_style style) {
  const std::int64_t days = ms / 86'400'000, hours = ms / 3'600'000 % 24, minutes = ms / 60'000 % 60,
                     secs = ms / 1000 % 60, millis = ms % 1000;
  char text[48];
  int n =
      days ? std::snprintf(text, sizeof text, "%" PRId64 ".%02" PRId64 ":%02" PRId64 ":%02" PRId64, days,
                           hours, minutes, secs)
           : std::snprintf(text, sizeof text, "%02" PRId64 ":%02" PRId64 ":%02" PRId64, hours, minutes, secs);
  std::string out(text, static_cast<std::size_t>(n));
  if (millis != 0) {
    std::snprintf(text, sizeof text, "%03" PRId64 "0000", millis);
    std::string_view f(text, 7);
    if (style == span_style::short_fraction)
      while (f.back() == '0') f.remove_suffix(1);
    out += '.';
    out += f;
  }
  return out;
}

std::string phone(rng& r) {
  return "+55119" + std::to_string(10'000'000 + r.below(90'000'000));
}

template <class T>
json::value or_null(bool present, T&& value) {
  return present ? json::value(std::forward<T>(value)) : json::value(nullptr);
}

// Like or_null, but make() runs only when present. C++ leaves the order of function arguments
// unspecified: a condition and a value that both draw from the rng must not be two arguments.
template <class F>
json::value maybe(bool present, F make) {
  return present ? json::value(make()) : json::value(nullptr);
}

json::array variables(rng& r, std::int64_t conversation_id, std::int64_t& next_id,
                      std::initializer_list<std::pair<std::string_view, std::string_view>> pool) {
  json::array out;
  for (const auto& [name, value] : pool) {
    if (!r.chance(60)) continue;
    out.push_back(json::object{
        {"id", next_id++}, {"name", name}, {"value", value}, {"conversationId", conversation_id}});
  }
  return out;
}

kind random_kind(rng& r) {
  const auto roll = r.below(100);
  return roll < 15 ? kind::active : roll < 85 ? kind::finished : roll < 93 ? kind::queued : kind::idle;
}

}  // namespace

std::vector<json::object> make_dataset(std::uint32_t count, std::uint64_t seed, std::int32_t first_id) {
  rng r(seed);
  std::vector<json::object> records;
  records.reserve(count);
  std::int64_t id = first_id;
  std::int64_t message_id = 9'000'000, variable_id = 70'000;
  for (std::uint32_t i = 0; i < count; ++i, id += 1 + (r.chance(15) ? r.below(4) : 0)) {
    if (id > std::numeric_limits<std::int32_t>::max()) break;
    const forced_case c = i < forced.size() ? forced[i] : forced_case{random_kind(r), 0, span_style::dotnet};
    const bool voice = r.chance(25);
    const std::int32_t tenant = r.pick(tenants);
    const bool live_agent = c.k != kind::idle && r.chance(45);
    const person& human = r.pick(human_agents);
    const bool has_bot = !live_agent || r.chance(50);
    const person& bot = r.pick(bots);
    const std::int32_t ai_agent = r.chance(65) ? r.pick(ai_agents) : 0;  // 0: .NET's default, no agent
    const std::string contact_phone = phone(r);
    const std::string business_phone = "+551130" + std::to_string(100'000 + tenant);

    // Times. A whole-second creation time is common (imports); otherwise 100 ns precision.
    // One draw per statement: the operands of + are unsequenced.
    ticks created = first_created + r.below(180) * tick_per_day;
    created += r.below(tick_per_day / tick_per_second) * tick_per_second;
    created += r.chance(15) ? 0 : r.below(tick_per_second);
    std::optional<std::int64_t> span_ms = c.duration_ms;
    span_style style = c.style;
    if (i >= forced.size()) {
      span_ms = c.k == kind::queued ? std::int64_t{0} : 20'000 + r.below(voice ? 40 * 60'000 : 3 * 3'600'000);
      if (c.k == kind::finished && r.chance(3)) span_ms = std::int64_t{1} * 86'400'000 + r.below(86'400'000);
      style = (c.k == kind::active || r.chance(8)) ? span_style::null
              : r.chance(20)                       ? span_style::short_fraction
                                                   : span_style::dotnet;
    }
    const bool finished = c.k == kind::finished || c.k == kind::active_with_finish;
    const ticks length = span_ms.value_or(10 * 60'000) * tick_per_ms;
    const ticks ended = created + length;
    const bool queued = c.k == kind::queued || (c.k != kind::idle && r.chance(30));
    ticks queued_at = created + (5 + r.below(120)) * tick_per_second;
    queued_at += r.below(tick_per_second);

    // Messages, in time order; about a quarter are written in São Paulo local time with an offset.
    const bool null_messages = i >= forced.size() && r.chance(5);
    json::array messages;
    const auto message_count = null_messages ? 0 : r.below(9);
    ticks at = created;
    std::string last_content;
    for (std::int64_t m = 0; m < message_count; ++m) {
      at += r.below(length / (message_count + 1) + 1);
      const bool inbound = m % 2 == 0;
      const std::int32_t type = r.chance(80) ? 0 : static_cast<std::int32_t>(1 + r.below(3));
      last_content = std::string(inbound ? r.pick(contact_lines) : r.pick(business_lines));
      const bool failed = !inbound && r.chance(4);
      const bool template_message = !inbound && m == 1 && r.chance(30);
      json::object msg;
      msg["id"] = message_id++;
      msg["createdAt"] =
          format_time(at, r.chance(25) ? std::optional(sao_paulo_offset_minutes) : std::nullopt);
      msg["from"] = inbound ? contact_phone : business_phone;
      msg["to"] = inbound ? business_phone : contact_phone;
      msg["content"] = last_content;
      msg["conversationId"] = id;
      msg["sentiment"] = maybe(inbound && r.chance(70), [&] { return r.pick(sentiments); });
      msg["offset"] = or_null(voice, format_span((at - created) / tick_per_ms, span_style::dotnet));
      msg["isNPS"] = inbound && r.chance(3);
      msg["contentSid"] = or_null(template_message, "HX" + r.hex(32));
      msg["messageType"] = type;
      msg["mediaUrl"] =
          or_null(type != 0, "https://media.zild.example/t" + std::to_string(tenant) + "/" + r.hex(16));
      msg["mediaFileName"] = or_null(type != 0, "anexo-" + std::to_string(m) + ".jpg");
      msg["tenantId"] = tenant;
      msg["userId"] = live_agent && !inbound ? human.id : 0;
      msg["contentVariables"] =
          or_null(template_message, R"({"1":")" + std::string(r.pick(contacts)) + R"("})");
      msg["messageSid"] = or_null(!voice, "SM" + r.hex(32));
      msg["messageStatus"] = failed ? 4 : static_cast<std::int32_t>(r.below(4));
      msg["sent"] = !failed;
      msg["delivered"] = !failed && r.chance(90);
      msg["read"] = !failed && r.chance(60);
      msg["errorCode"] = or_null(failed, "63016");
      msg["errorMessage"] =
          or_null(failed, "Failed to send freeform message because you are outside the allowed window.");
      msg["isReadByUser"] = inbound ? r.chance(85) : true;
      msg["documentId"] = type == 3 ? 40'000 + r.below(1000) : 0;
      messages.push_back(std::move(msg));
    }
    const ticks last_update = finished ? std::max(ended, at) : std::max(created, at);

    json::value tags;
    // The first two records carry the retired tag and the unnamed one.
    if (const auto roll = i < 2 ? 50 : r.below(100); roll < 10) {
      tags = nullptr;
    } else {
      json::array list;
      if (roll >= 30) {
        const auto n = 1 + r.below(3);
        for (std::int64_t t = 0; t < n; ++t) {
          const tag_def& def = i < 2 && t == 0 ? tag_catalogue[i == 0 ? 3 : 4] : r.pick(tag_catalogue);
          list.push_back(
              json::object{{"id", def.id},
                           {"name", def.name ? json::value(*def.name) : json::value(nullptr)},
                           {"active", def.active},
                           {"createdAt", format_time(first_created - (def.id - 400) * tick_per_day)},
                           {"tenantId", tenant}});
        }
      }
      tags = std::move(list);
    }

    json::object rec;
    rec["id"] = id;
    rec["active"] = c.k == kind::active || c.k == kind::active_with_finish;
    rec["liveAgent"] = live_agent;
    rec["from"] = contact_phone;
    rec["conversationId"] = or_null(!voice, "CH" + r.hex(32));
    rec["waterMark"] = or_null(!voice && r.chance(50), std::to_string(message_count));
    rec["token"] = maybe(!voice && r.chance(10), [&] { return r.hex(40); });
    rec["createdAt"] = format_time(created);
    rec["finishedAt"] = or_null(finished, format_time(ended));
    rec["queuedAt"] = or_null(queued, format_time(queued_at));
    rec["lastConversationUpdateTime"] = format_time(last_update);
    rec["lastMessageContent"] = or_null(!last_content.empty(), last_content);
    rec["contactName"] = maybe(!r.chance(10), [&] { return r.pick(contacts); });
    rec["userId"] = live_agent ? human.id : 0;
    rec["userName"] = or_null(live_agent, human.name);
    rec["counterpartUserId"] = live_agent && r.chance(10) ? r.pick(human_agents).id : 0;
    rec["counterpartUserName"] = nullptr;
    rec["botId"] = has_bot ? bot.id : 0;
    rec["botName"] = or_null(has_bot, bot.name);
    // A recording for calls; a rare relative path shows that only web URLs become links.
    const std::string file = "conversa-" + std::to_string(id) + ".mp3";
    const bool relative_file = voice && r.chance(10);
    rec["fileUrl"] =
        or_null(voice, relative_file ? "recordings/" + file
                                     : "https://files.zild.example/t" + std::to_string(tenant) + "/" + file);
    rec["fileName"] = or_null(voice, file);
    rec["tenantId"] = tenant;
    rec["conversationSummary"] = maybe(finished && r.chance(70), [&] { return r.pick(summaries); });
    rec["messages"] = null_messages ? json::value(nullptr) : json::value(std::move(messages));
    const std::int64_t score = r.below(101);
    rec["score"] = score;
    rec["finalScore"] = r.chance(20) ? 0 : std::min<std::int64_t>(100, score + r.below(10));
    rec["checklistId"] = r.chance(50) ? 200 + r.below(20) : 0;
    rec["channelId"] = 600 + tenant * 10 + (voice ? 1 : 0);
    rec["conversationIntegrationType"] = voice ? 7 : r.below(19);
    rec["duration"] =
        or_null(style != span_style::null && span_ms.has_value(), format_span(span_ms.value_or(0), style));
    rec["highImportanceErrorDetected"] = r.chance(5);
    rec["tags"] = std::move(tags);
    rec["conversationEvaluationStatus"] = finished ? r.below(5) : 0;
    rec["conversationEvaluationStatusMessage"] =
        or_null(finished && r.chance(10), "Avaliação pendente de revisão");
    rec["queueId"] = queued ? 800 + r.below(3) : 0;
    rec["queueName"] = or_null(queued, r.pick(queues));
    rec["conversationEndedReasonId"] = finished ? 1 + r.below(6) : 0;
    rec["agentType"] = ai_agent ? 1 + r.below(6) : 0;
    rec["conversationType"] = r.pick(conversation_types);
    rec["applicationStatusId"] = r.below(5);
    rec["overallSentiment"] = maybe(finished && r.chance(75), [&] { return r.pick(sentiments); });
    rec["callStatus"] = or_null(voice, r.pick(call_statuses));
    rec["disconnectionReason"] = or_null(voice && finished, r.pick(disconnections));
    rec["callSuccessful"] = voice && r.chance(70);
    rec["totalUnreadedMessagesByUser"] = c.k == kind::active ? r.below(5) : 0;
    rec["dynamicVariables"] =
        r.chance(15)
            ? json::value(nullptr)
            : json::value(variables(r, id, variable_id, {{"nome", "Maria"}, {"pedido", "PD-20931"}}));
    rec["dataCollection"] =
        r.chance(30)
            ? json::value(nullptr)
            : json::value(variables(r, id, variable_id, {{"cpf_informado", "sim"}, {"nota_nps", "9"}}));
    rec["agentId"] = ai_agent;
    records.push_back(std::move(rec));
  }
  return records;
}

}  // namespace cgw::sandbox::zild
