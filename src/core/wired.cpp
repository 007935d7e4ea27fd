// The wired-memory coordinator. One mutex guards the manager's state; admission waits on a
// condition variable woken by every end. The applier (set_wired_limit for the shared manager)
// runs under that mutex, so limits reach the system in the order they were decided.
#include "mlx/wired.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <ostream>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "core/allocator_internal.h"
#include "mlx/memory.h"

namespace mlx::core {

namespace {

size_t saturating_add(size_t a, size_t b) {
  return a > std::numeric_limits<size_t>::max() - b ? std::numeric_limits<size_t>::max() : a + b;
}

std::string policy_label(const WiredMemoryPolicy& policy) {
  return policy.name() + "#id=" + policy.id();
}

}  // namespace

// ---- policies ----

WiredMemoryPolicy::WiredMemoryPolicy() {
  static std::atomic<std::uint64_t> counter{0};
  id_ = "policy-" + std::to_string(++counter);
}

WiredMemoryPolicy::WiredMemoryPolicy(std::string id) : id_(std::move(id)) {}

WiredMemoryTicket WiredMemoryPolicy::ticket(size_t size, WiredMemoryTicketKind kind,
                                            std::shared_ptr<WiredMemoryManager> manager) const {
  return WiredMemoryTicket(size, shared_from_this(), std::move(manager), kind);
}

size_t WiredSumPolicy::limit(size_t baseline, const std::vector<size_t>& active_sizes) const {
  size_t total = baseline;
  for (size_t s : active_sizes) {
    total = saturating_add(total, s);
  }
  return total;
}

size_t WiredMaxPolicy::limit(size_t baseline, const std::vector<size_t>& active_sizes) const {
  size_t largest =
      active_sizes.empty() ? 0 : *std::max_element(active_sizes.begin(), active_sizes.end());
  return saturating_add(baseline, largest);
}

// ---- events ----

const char* to_string(WiredMemoryEvent::Kind kind) {
  using K = WiredMemoryEvent::Kind;
  switch (kind) {
    case K::baseline_captured:
      return "baseline_captured";
    case K::admission_wait:
      return "admission_wait";
    case K::admission_granted:
      return "admission_granted";
    case K::admission_cancelled:
      return "admission_cancelled";
    case K::ticket_started:
      return "ticket_started";
    case K::ticket_start_ignored:
      return "ticket_start_ignored";
    case K::ticket_ended:
      return "ticket_ended";
    case K::ticket_end_ignored:
      return "ticket_end_ignored";
    case K::limit_computed:
      return "limit_computed";
    case K::limit_applied:
      return "limit_applied";
    case K::limit_apply_failed:
      return "limit_apply_failed";
    case K::baseline_restored:
      return "baseline_restored";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, WiredMemoryEvent::Kind kind) {
  return os << to_string(kind);
}

std::ostream& operator<<(std::ostream& os, const WiredMemoryEvent& e) {
  os << '#' << e.sequence << ' ' << e.kind;
  auto field = [&os](const char* name, const std::optional<size_t>& v) {
    if (v) {
      os << ' ' << name << '=' << *v;
    }
  };
  if (e.ticket_id) {
    os << " ticket=" << *e.ticket_id;
  }
  field("size", e.size);
  if (!e.policy.empty()) {
    os << " policy=" << e.policy;
  }
  field("baseline", e.baseline);
  field("desired", e.desired_limit);
  field("applied", e.applied_limit);
  os << " active=" << e.active_count << " waiting=" << e.waiter_count;
  if (!e.message.empty()) {
    os << " (" << e.message << ')';
  }
  return os;
}

// ---- subscriptions ----

namespace detail {

struct WiredSubscriber {
  std::mutex mu;
  std::condition_variable_any cv;
  std::deque<WiredMemoryEvent> queue;
  std::function<void(const WiredMemoryEvent&)> callback;  // empty: queue the events
  bool closed = false;

  void deliver(const WiredMemoryEvent& e) {
    std::lock_guard lk(mu);
    if (closed) {
      return;
    }
    if (callback) {
      // The manager is in the middle of an update: an exception must not escape into it.
      try {
        callback(e);
      } catch (...) {
      }
      return;
    }
    queue.push_back(e);
    cv.notify_all();
  }
  void close() {
    std::lock_guard lk(mu);
    closed = true;
    queue.clear();
    cv.notify_all();
  }
};

}  // namespace detail

WiredMemoryEventStream::WiredMemoryEventStream(std::shared_ptr<detail::WiredSubscriber> sub)
    : sub_(std::move(sub)) {}

WiredMemoryEventStream& WiredMemoryEventStream::operator=(WiredMemoryEventStream&& other) noexcept {
  if (this != &other) {
    close();
    sub_ = std::move(other.sub_);
  }
  return *this;
}

WiredMemoryEventStream::~WiredMemoryEventStream() { close(); }

void WiredMemoryEventStream::close() {
  if (sub_) {
    sub_->close();
  }
}

std::optional<WiredMemoryEvent> WiredMemoryEventStream::next(std::stop_token stop) {
  if (!sub_) {
    return std::nullopt;
  }
  std::unique_lock lk(sub_->mu);
  if (!sub_->cv.wait(lk, stop, [&] { return sub_->closed || !sub_->queue.empty(); }) ||
      sub_->queue.empty()) {
    return std::nullopt;
  }
  WiredMemoryEvent e = std::move(sub_->queue.front());
  sub_->queue.pop_front();
  return e;
}

std::optional<WiredMemoryEvent> WiredMemoryEventStream::next_for(std::chrono::nanoseconds timeout) {
  if (!sub_) {
    return std::nullopt;
  }
  std::unique_lock lk(sub_->mu);
  if (!sub_->cv.wait_for(lk, timeout, [&] { return sub_->closed || !sub_->queue.empty(); }) ||
      sub_->queue.empty()) {
    return std::nullopt;
  }
  WiredMemoryEvent e = std::move(sub_->queue.front());
  sub_->queue.pop_front();
  return e;
}

std::optional<WiredMemoryEvent> WiredMemoryEventStream::try_next() {
  return next_for(std::chrono::nanoseconds(0));
}

std::vector<WiredMemoryEvent> WiredMemoryEventStream::drain() {
  if (!sub_) {
    return {};
  }
  std::lock_guard lk(sub_->mu);
  std::vector<WiredMemoryEvent> out(std::make_move_iterator(sub_->queue.begin()),
                                    std::make_move_iterator(sub_->queue.end()));
  sub_->queue.clear();
  return out;
}

WiredMemorySubscription::WiredMemorySubscription(std::shared_ptr<detail::WiredSubscriber> sub)
    : sub_(std::move(sub)) {}

WiredMemorySubscription& WiredMemorySubscription::operator=(
    WiredMemorySubscription&& other) noexcept {
  if (this != &other) {
    close();
    sub_ = std::move(other.sub_);
  }
  return *this;
}

WiredMemorySubscription::~WiredMemorySubscription() { close(); }

void WiredMemorySubscription::close() {
  if (sub_) {
    sub_->close();
  }
}

// ---- the manager ----

struct WiredMemoryManager::State {
  struct Ticket {
    size_t size;
    std::string group;  // the policy's id
    std::string label;
    WiredMemoryTicketKind kind;
  };

  mutable std::mutex mu;
  std::condition_variable_any admission;
  WiredMemoryManagerConfiguration config;
  ApplyLimit apply;                    // empty: limits cannot be applied
  std::function<size_t()> read_limit;  // the limit in force in the system, when known
  Now now;

  std::optional<size_t> baseline;
  std::optional<size_t> current_limit;
  std::optional<Clock::time_point> last_change;
  std::map<WiredTicketId, Ticket> tickets;  // ordered by id: the sizes come in start order
  std::unordered_map<std::string, std::shared_ptr<const WiredMemoryPolicy>> policies;
  std::unordered_set<WiredTicketId> waiters;
  std::uint64_t ends = 0;  // bumped by every end, to wake admission waiters
  std::uint64_t sequence = 0;
  std::vector<std::shared_ptr<detail::WiredSubscriber>> subscribers;

  bool supported() const { return static_cast<bool>(apply) || config.policy_only_when_unsupported; }

  bool has_active_work() const {
    return std::any_of(tickets.begin(), tickets.end(), [](const auto& t) {
      return t.second.kind == WiredMemoryTicketKind::active;
    });
  }

  std::vector<size_t> group_sizes(const std::string& group) const {
    std::vector<size_t> sizes;
    for (const auto& [id, t] : tickets) {
      if (t.group == group) {
        sizes.push_back(t.size);
      }
    }
    return sizes;
  }

  void emit(WiredMemoryEvent e) {
    std::erase_if(subscribers, [](const auto& s) {
      std::lock_guard lk(s->mu);
      return s->closed;
    });
    if (subscribers.empty()) {
      return;
    }
    e.sequence = ++sequence;
    e.timestamp = now();
    e.active_count = tickets.size();
    e.waiter_count = waiters.size();
    for (const auto& s : subscribers) {
      s->deliver(e);
    }
  }

  WiredMemoryEvent event(WiredMemoryEvent::Kind kind) const {
    WiredMemoryEvent e;
    e.kind = kind;
    e.baseline = baseline;
    return e;
  }

  // The baseline of a busy period: resolved at its first start, and again at any start while no
  // active work runs (to pick up changes made outside the manager).
  size_t resolve_baseline() {
    if (baseline && has_active_work()) {
      return *baseline;
    }
    size_t resolved = config.baseline_override ? *config.baseline_override
                      : read_limit             ? read_limit()
                                               : current_limit.value_or(0);
    if (baseline != resolved) {
      baseline = resolved;
      auto e = event(WiredMemoryEvent::Kind::baseline_captured);
      e.applied_limit = resolved;
      emit(std::move(e));
    }
    return resolved;
  }

  size_t desired_limit() const {
    std::map<std::string, std::vector<size_t>> groups;
    for (const auto& [id, t] : tickets) {
      groups[t.group].push_back(t.size);
    }
    size_t desired = *baseline;
    for (const auto& [group, sizes] : groups) {
      desired = std::max(desired, policies.at(group)->limit(*baseline, sizes));
    }
    return desired;
  }

  void apply_if_needed(size_t limit) {
    if (current_limit == limit) {
      return;
    }
    if (current_limit && limit < *current_limit && has_active_work()) {
      double drop =
          static_cast<double>(*current_limit - limit) / static_cast<double>(*current_limit);
      if (drop < config.shrink_threshold_ratio) {
        return;
      }
      if (last_change && now() - *last_change < config.shrink_cooldown) {
        return;
      }
    }
    std::string failure;
    if (apply) {
      try {
        apply(limit);
      } catch (const std::exception& ex) {
        failure = ex.what();
      }
    }
    if (failure.empty() || config.policy_only_when_unsupported) {
      current_limit = limit;
      last_change = now();
    }
    auto e = event(failure.empty() ? WiredMemoryEvent::Kind::limit_applied
                                   : WiredMemoryEvent::Kind::limit_apply_failed);
    e.desired_limit = limit;
    e.applied_limit = current_limit;
    e.message = std::move(failure);
    emit(std::move(e));
  }

  // Reservations alone never raise the limit: without active work it goes back to the baseline.
  void apply_current_limit() {
    if (!has_active_work()) {
      if (current_limit != baseline) {
        apply_if_needed(*baseline);
        auto e = event(WiredMemoryEvent::Kind::baseline_restored);
        e.applied_limit = current_limit;
        emit(std::move(e));
      }
      return;
    }
    size_t desired = desired_limit();
    auto e = event(WiredMemoryEvent::Kind::limit_computed);
    e.desired_limit = desired;
    emit(std::move(e));
    apply_if_needed(desired);
  }

  size_t limit_in_force() const { return current_limit.value_or(baseline.value_or(0)); }
};

namespace {

WiredMemoryManagerConfiguration clamped(WiredMemoryManagerConfiguration c) {
  // Written so that NaN becomes 0.
  c.shrink_threshold_ratio =
      c.shrink_threshold_ratio >= 0 ? std::min(c.shrink_threshold_ratio, 1.0) : 0.0;
  c.shrink_cooldown = std::max(c.shrink_cooldown, std::chrono::duration<double>(0));
  return c;
}

}  // namespace

WiredMemoryManager::WiredMemoryManager(Token, const WiredMemoryManagerConfiguration& configuration,
                                       ApplyLimit apply, std::function<size_t()> read_limit,
                                       Now now)
    : state_(std::make_unique<State>()) {
  state_->config = clamped(configuration);
  state_->apply = std::move(apply);
  state_->read_limit = std::move(read_limit);
  state_->now = now ? std::move(now) : Now([] { return Clock::now(); });
}

WiredMemoryManager::~WiredMemoryManager() = default;

WiredMemoryManager& WiredMemoryManager::shared() {
  // Never destroyed: tickets held by static objects may end after main returns.
  static auto* instance =
      new std::shared_ptr<WiredMemoryManager>(std::make_shared<WiredMemoryManager>(
          Token{}, WiredMemoryManagerConfiguration{}, [](size_t limit) { set_wired_limit(limit); },
          [] { return allocator::detail::get_wired_limit(); }, Now{}));
  return **instance;
}

void WiredMemoryManager::configure_shared(const WiredMemoryManagerConfiguration& configuration) {
  shared().update_configuration(configuration);
}

std::shared_ptr<WiredMemoryManager> WiredMemoryManager::make_for_testing(
    const WiredMemoryManagerConfiguration& configuration, ApplyLimit apply, Now now) {
  return std::make_shared<WiredMemoryManager>(Token{}, configuration, std::move(apply), nullptr,
                                              std::move(now));
}

void WiredMemoryManager::update_configuration(
    const WiredMemoryManagerConfiguration& configuration) {
  std::lock_guard lk(state_->mu);
  if (state_->has_active_work() || !state_->waiters.empty()) {
    throw std::logic_error(
        "[WiredMemoryManager::update_configuration] The configuration can only change while no "
        "active ticket runs and no start waits (" +
        std::to_string(state_->tickets.size()) + " tickets, " +
        std::to_string(state_->waiters.size()) + " waiting).");
  }
  state_->config = clamped(configuration);
}

WiredMemoryManagerConfiguration WiredMemoryManager::configuration() const {
  std::lock_guard lk(state_->mu);
  return state_->config;
}

size_t WiredMemoryManager::start(WiredTicketId id, size_t size,
                                 std::shared_ptr<const WiredMemoryPolicy> policy,
                                 WiredMemoryTicketKind kind, std::stop_token stop) {
  return start_impl(id, size, std::move(policy), kind, std::nullopt, std::move(stop));
}

size_t WiredMemoryManager::start(WiredTicketId id, size_t size,
                                 std::shared_ptr<const WiredMemoryPolicy> policy,
                                 WiredMemoryTicketKind kind, std::chrono::nanoseconds timeout,
                                 std::stop_token stop) {
  return start_impl(id, size, std::move(policy), kind, timeout, std::move(stop));
}

size_t WiredMemoryManager::start_impl(WiredTicketId id, size_t size,
                                      std::shared_ptr<const WiredMemoryPolicy> policy,
                                      WiredMemoryTicketKind kind,
                                      std::optional<std::chrono::nanoseconds> timeout,
                                      std::stop_token stop) {
  using K = WiredMemoryEvent::Kind;
  if (!policy) {
    throw std::invalid_argument("[WiredMemoryManager::start] Ticket " + std::to_string(id) +
                                " has no policy.");
  }
  // Computed before locking, so that time spent waiting for the lock counts.
  std::optional<Clock::time_point> deadline;
  if (timeout) {
    deadline = Clock::now() + *timeout;
  }
  State& st = *state_;
  std::unique_lock lk(st.mu);
  if (!st.supported()) {
    return 0;
  }
  size_t baseline = st.resolve_baseline();
  const std::string label = policy_label(*policy);
  if (st.tickets.count(id) || st.waiters.count(id)) {
    auto e = st.event(K::ticket_start_ignored);
    e.ticket_id = id;
    e.size = size;
    e.policy = label;
    st.emit(std::move(e));
    return st.limit_in_force();
  }

  while (!policy->can_admit(baseline, st.group_sizes(policy->id()), size)) {
    auto e = st.event(K::admission_wait);
    e.ticket_id = id;
    e.size = size;
    e.policy = label;
    st.emit(std::move(e));

    st.waiters.insert(id);
    const std::uint64_t ends = st.ends;
    auto ended = [&] { return st.ends != ends; };
    bool woken = deadline ? st.admission.wait_until(lk, stop, *deadline, ended)
                          : st.admission.wait(lk, stop, ended);
    st.waiters.erase(id);
    if (!woken) {
      std::string why =
          stop.stop_requested()
              ? std::string("stop was requested")
              : "it timed out after " +
                    std::to_string(
                        std::chrono::duration_cast<std::chrono::milliseconds>(*timeout).count()) +
                    " ms";
      auto c = st.event(K::admission_cancelled);
      c.ticket_id = id;
      c.size = size;
      c.policy = label;
      c.message = why;
      st.emit(std::move(c));
      throw WiredMemoryAdmissionCancelled("[WiredMemoryManager::start] Admission of ticket " +
                                          std::to_string(id) + " (" + std::to_string(size) +
                                          " bytes, " + label + ") was cancelled: " + why + ".");
    }
    baseline = st.resolve_baseline();
  }

  auto e = st.event(K::admission_granted);
  e.ticket_id = id;
  e.size = size;
  e.policy = label;
  st.emit(e);
  st.tickets[id] = State::Ticket{size, policy->id(), label, kind};
  st.policies[policy->id()] = std::move(policy);
  e.kind = K::ticket_started;
  st.emit(std::move(e));
  st.apply_current_limit();
  return st.limit_in_force();
}

size_t WiredMemoryManager::end(WiredTicketId id, const WiredMemoryPolicy& policy) {
  using K = WiredMemoryEvent::Kind;
  State& st = *state_;
  std::lock_guard lk(st.mu);
  if (!st.supported()) {
    return 0;
  }
  auto it = st.tickets.find(id);
  if (it == st.tickets.end()) {
    auto e = st.event(K::ticket_end_ignored);
    e.ticket_id = id;
    e.policy = policy_label(policy);
    st.emit(std::move(e));
    return st.limit_in_force();
  }
  State::Ticket ticket = std::move(it->second);
  st.tickets.erase(it);
  auto e = st.event(K::ticket_ended);
  e.ticket_id = id;
  e.size = ticket.size;
  e.policy = ticket.label;
  st.emit(std::move(e));
  if (st.group_sizes(ticket.group).empty()) {
    st.policies.erase(ticket.group);
  }
  ++st.ends;
  st.admission.notify_all();

  if (st.tickets.empty()) {
    size_t baseline = st.baseline.value_or(0);
    st.apply_if_needed(baseline);
    auto r = st.event(K::baseline_restored);
    r.applied_limit = st.current_limit;
    st.emit(std::move(r));
    st.baseline.reset();
    return baseline;
  }
  st.apply_current_limit();
  return st.limit_in_force();
}

WiredMemoryEventStream WiredMemoryManager::events() {
  auto sub = std::make_shared<detail::WiredSubscriber>();
  std::lock_guard lk(state_->mu);
  state_->subscribers.push_back(sub);
  return WiredMemoryEventStream(std::move(sub));
}

WiredMemorySubscription WiredMemoryManager::subscribe(
    std::function<void(const WiredMemoryEvent&)> callback) {
  auto sub = std::make_shared<detail::WiredSubscriber>();
  sub->callback = std::move(callback);
  std::lock_guard lk(state_->mu);
  state_->subscribers.push_back(sub);
  return WiredMemorySubscription(std::move(sub));
}

std::optional<size_t> WiredMemoryManager::current_limit() const {
  std::lock_guard lk(state_->mu);
  return state_->current_limit;
}

std::optional<size_t> WiredMemoryManager::baseline() const {
  std::lock_guard lk(state_->mu);
  return state_->baseline;
}

size_t WiredMemoryManager::active_count() const {
  std::lock_guard lk(state_->mu);
  return state_->tickets.size();
}

size_t WiredMemoryManager::waiter_count() const {
  std::lock_guard lk(state_->mu);
  return state_->waiters.size();
}

// ---- tickets ----

WiredTicketId WiredMemoryTicket::new_id() {
  static std::atomic<WiredTicketId> counter{0};
  return ++counter;
}

WiredMemoryTicket::WiredMemoryTicket(size_t size, std::shared_ptr<const WiredMemoryPolicy> policy,
                                     std::shared_ptr<WiredMemoryManager> manager,
                                     WiredMemoryTicketKind kind, std::optional<WiredTicketId> id)
    : id_(id ? *id : new_id()),
      size_(size),
      policy_(std::move(policy)),
      manager_(manager ? std::move(manager) : WiredMemoryManager::shared().shared_from_this()),
      kind_(kind) {
  if (!policy_) {
    throw std::invalid_argument("[WiredMemoryTicket] Ticket " + std::to_string(id_) +
                                " has no policy.");
  }
}

WiredMemoryTicket::WiredMemoryTicket(WiredMemoryTicket&& other) noexcept
    : id_(other.id_),
      size_(other.size_),
      policy_(other.policy_),
      manager_(other.manager_),
      kind_(other.kind_),
      started_(std::exchange(other.started_, false)) {}

WiredMemoryTicket& WiredMemoryTicket::operator=(WiredMemoryTicket&& other) noexcept {
  if (this != &other) {
    if (started_) {
      end();
    }
    id_ = other.id_;
    size_ = other.size_;
    policy_ = other.policy_;
    manager_ = other.manager_;
    kind_ = other.kind_;
    started_ = std::exchange(other.started_, false);
  }
  return *this;
}

WiredMemoryTicket::~WiredMemoryTicket() {
  if (started_) {
    end();
  }
}

size_t WiredMemoryTicket::start(std::stop_token stop) {
  size_t limit = manager_->start(id_, size_, policy_, kind_, std::move(stop));
  started_ = true;
  return limit;
}

size_t WiredMemoryTicket::start(std::chrono::nanoseconds timeout, std::stop_token stop) {
  size_t limit = manager_->start(id_, size_, policy_, kind_, timeout, std::move(stop));
  started_ = true;
  return limit;
}

size_t WiredMemoryTicket::end() {
  started_ = false;
  return manager_->end(id_, *policy_);
}

}  // namespace mlx::core
