#include "gateway/policy/budget.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cgw::policy {
namespace {

clock::duration seconds(double s) {
  return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(std::max(0.0, s)));
}

int whole_seconds(clock::duration d) {
  return std::max(1, static_cast<int>(std::ceil(std::chrono::duration<double>(d).count())));
}

}  // namespace

double memory_budget_store::account::in_flight_cost() const {
  double sum = 0;
  for (const auto& [seq, call] : in_flight) sum += call.first;
  return sum;
}

double memory_budget_store::account::available() const {
  switch (kind) {
    case window::none:
      return std::numeric_limits<double>::infinity();
    case window::assumed:
      return remaining - spent;
    case window::reported:
      return remaining - in_flight_cost();
  }
  return 0;
}

budget_decision memory_budget_store::reserve_at(const std::string& account_name,
                                                const config::rate_limit_config& limit, double cost,
                                                deadline latest, clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto& a = accounts_[account_name];
  const double points = limit.points;
  const double rate = points / std::max<std::uint32_t>(1, limit.per_s);  // points per second
  if (!a.started) {
    a.started = true;
    a.tokens = points;
    a.refilled = now;
  }
  if (points > 0) {
    a.tokens = std::min(points, a.tokens + std::chrono::duration<double>(now - a.refilled).count() * rate);
    a.refilled = now;
  }
  if (a.kind != window::none && now >= a.expires) a.kind = window::none;
  std::erase_if(a.in_flight,
                [&](const auto& e) { return e.second.second + std::chrono::seconds(limit.per_s) < now; });
  if (a.kind == window::none && points > 0) {
    // No word from the vendor: assume a fresh window of `points`, as the vendor would count it;
    // calls still in flight may be counted in it.
    a.kind = window::assumed;
    a.remaining = points;
    a.spent = a.in_flight_cost();
    a.expires = now + std::chrono::seconds(limit.per_s);
  }

  clock::time_point start = std::max(now, a.paused_until);
  if (a.available() < cost) start = std::max(start, a.expires);
  budget_decision d;
  if (start > now) {
    d.what = start > latest ? budget_decision::verdict::refuse : budget_decision::verdict::wait_and_retry;
    d.wait = start - now;
    d.retry_after_s = whole_seconds(d.wait);
    return d;
  }
  if (points > 0 && a.tokens < cost) {
    d.wait = seconds((cost - a.tokens) / rate);
    if (now + d.wait > latest) {
      d.what = budget_decision::verdict::refuse;
      d.retry_after_s = whole_seconds(d.wait);
      return d;
    }
  }
  if (points > 0) a.tokens -= cost;  // reserved: later callers queue behind this one
  if (a.kind == window::assumed) a.spent += cost;
  d.ticket = {++a.next_seq, cost};
  a.in_flight.emplace(d.ticket.seq, std::pair{cost, now});
  return d;
}

void memory_budget_store::settle_at(const std::string& account_name, const config::rate_limit_config& limit,
                                    const budget_ticket& ticket, const budget_report& report,
                                    clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto& a = accounts_[account_name];
  if (!report.answered) return;  // it stays counted as possibly spent until its window is over
  a.in_flight.erase(ticket.seq);
  if (report.rate_limited) {
    const int wait_s = report.retry_after_s > 0 ? report.retry_after_s : report.reset_s.value_or(1);
    a.paused_until = std::max(a.paused_until, now + std::chrono::seconds(std::max(1, wait_s)));
    return;
  }
  if (!report.remaining) return;
  const auto reset =
      std::chrono::seconds(report.reset_s && *report.reset_s > 0 ? *report.reset_s : limit.per_s);
  if (a.kind != window::reported || now >= a.expires) {
    // The first figure of a window: the vendor counted it by now, so the window it belongs to
    // ends by `now + reset`.
    a.kind = window::reported;
    a.remaining = *report.remaining;
    a.expires = now + reset;
    return;
  }
  // Answers overtake each other: a higher figure was counted before the lowest one.
  a.remaining = std::min(a.remaining, *report.remaining);
  if (report.reset_s && *report.reset_s > 0) a.expires = std::min(a.expires, now + reset);
}

void memory_budget_store::refund_at(const std::string& account_name, const config::rate_limit_config& limit,
                                    const budget_ticket& ticket) {
  std::lock_guard lock(mutex_);
  auto it = accounts_.find(account_name);
  if (it == accounts_.end()) return;
  auto& a = it->second;
  if (a.in_flight.erase(ticket.seq) == 0) return;  // settled or expired already: nothing to give back
  if (limit.points > 0) a.tokens = std::min<double>(limit.points, a.tokens + ticket.cost);
  if (a.kind == window::assumed) a.spent = std::max(0.0, a.spent - ticket.cost);
}

net::awaitable<budget_decision> memory_budget_store::reserve(const std::string& account,
                                                             const config::rate_limit_config& limit,
                                                             double cost, deadline latest) {
  co_return reserve_at(account, limit, cost, latest, clock::now());
}

net::awaitable<void> memory_budget_store::settle(const std::string& account,
                                                 const config::rate_limit_config& limit,
                                                 const budget_ticket& ticket, const budget_report& report) {
  settle_at(account, limit, ticket, report, clock::now());
  co_return;
}

net::awaitable<void> memory_budget_store::refund(const std::string& account,
                                                 const config::rate_limit_config& limit,
                                                 const budget_ticket& ticket) {
  refund_at(account, limit, ticket);
  co_return;
}

}  // namespace cgw::policy
