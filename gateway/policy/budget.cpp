#include "gateway/policy/budget.hpp"

#include <algorithm>
#include <cmath>

namespace cgw::policy {
namespace {

clock::duration seconds(double s) {
  return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(std::max(0.0, s)));
}

int whole_seconds(clock::duration d) {
  return std::max(1, static_cast<int>(std::ceil(std::chrono::duration<double>(d).count())));
}

}  // namespace

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
  if (a.reported && now >= a.expires) a.reported = false;
  std::erase_if(a.in_flight, [&](const auto& e) { return e.second.second + std::chrono::seconds(limit.per_s) < now; });
  if (!a.reported && points > 0) {
    // No word from the vendor: assume a fresh window of `points`, as the vendor would count it.
    a.reported = true;
    a.remaining = points;
    a.dispatched_before = a.dispatched;
    a.expires = now + std::chrono::seconds(limit.per_s);
    a.reported_seq = a.next_seq;
  }

  clock::time_point start = std::max(now, a.paused_until);
  if (a.reported && a.remaining - (a.dispatched - a.dispatched_before) < cost) start = std::max(start, a.expires);
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
  a.dispatched += cost;
  d.ticket = {++a.next_seq, cost, a.dispatched};
  a.in_flight.emplace(d.ticket.seq, std::pair{cost, now});
  return d;
}

void memory_budget_store::settle_at(const std::string& account_name, const config::rate_limit_config& limit,
                                    const budget_ticket& ticket, const budget_report& report, clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto& a = accounts_[account_name];
  if (!report.answered) return;  // it stays counted as possibly spent until its window is over
  a.in_flight.erase(ticket.seq);
  if (report.rate_limited) {
    const int wait_s = report.retry_after_s > 0 ? report.retry_after_s : report.reset_s.value_or(1);
    a.paused_until = std::max(a.paused_until, now + std::chrono::seconds(std::max(1, wait_s)));
    return;
  }
  if (!report.remaining || ticket.seq <= a.reported_seq) return;  // an older answer than the one we trust
  // Requests reserved before this one and not yet answered may reach the vendor after it:
  // count them as dispatched after the report, so the vendor's figure is never overdrawn.
  double unanswered_before = 0;
  for (auto it = a.in_flight.begin(); it != a.in_flight.end() && it->first < ticket.seq; ++it)
    unanswered_before += it->second.first;
  a.reported = true;
  a.remaining = *report.remaining;
  a.dispatched_before = ticket.dispatched - unanswered_before;
  a.reported_seq = ticket.seq;
  a.expires = now + std::chrono::seconds(report.reset_s && *report.reset_s > 0 ? *report.reset_s : limit.per_s);
}

net::awaitable<budget_decision> memory_budget_store::reserve(const std::string& account,
                                                             const config::rate_limit_config& limit, double cost,
                                                             deadline latest) {
  co_return reserve_at(account, limit, cost, latest, clock::now());
}

net::awaitable<void> memory_budget_store::settle(const std::string& account, const config::rate_limit_config& limit,
                                                 const budget_ticket& ticket, const budget_report& report) {
  settle_at(account, limit, ticket, report, clock::now());
  co_return;
}

}  // namespace cgw::policy
