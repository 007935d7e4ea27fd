// The wired-memory coordinator: concurrent tasks (inference requests, model loads) agree on one
// process-wide wired limit (see set_wired_limit in mlx/memory.h) through tickets, policies and a
// manager, as MLX Swift's WiredMemoryManager. See docs/wired-memory.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace mlx::core {

using WiredTicketId = std::uint64_t;

class WiredMemoryManager;
class WiredMemoryTicket;

enum class WiredMemoryTicketKind {
  // Real work (an inference request, its KV cache): while one runs, the limit follows the
  // policies.
  active,
  // Long-lived memory (model weights): counted in admission and in the policies' limits, but
  // never keeps the limit raised on its own.
  reservation,
};

// Computes the wired limit wanted by one group of tickets. Tickets whose policies share an id()
// form a group; the manager asks each group for its limit and applies the largest. The manager
// calls limit and can_admit under its lock: they must be quick and must not call the manager.
class WiredMemoryPolicy : public std::enable_shared_from_this<WiredMemoryPolicy> {
 public:
  // A fresh id: this policy is a group of its own.
  WiredMemoryPolicy();
  // Policies built with the same id share a group.
  explicit WiredMemoryPolicy(std::string id);
  virtual ~WiredMemoryPolicy() = default;

  // The wired limit this group wants while its tickets have these sizes (at least one).
  virtual size_t limit(size_t baseline, const std::vector<size_t>& active_sizes) const = 0;
  // Whether a ticket of new_size may start next to the group's tickets; start() waits while
  // this is false. Default: always.
  virtual bool can_admit(size_t baseline, const std::vector<size_t>& active_sizes,
                         size_t new_size) const {
    return true;
  }
  // For event labels ("<name>#id=<id>").
  virtual std::string name() const { return "WiredMemoryPolicy"; }

  const std::string& id() const { return id_; }

  // A ticket of this policy. The policy must be owned by a std::shared_ptr. A null manager means
  // WiredMemoryManager::shared().
  WiredMemoryTicket ticket(size_t size, WiredMemoryTicketKind kind = WiredMemoryTicketKind::active,
                           std::shared_ptr<WiredMemoryManager> manager = nullptr) const;

 private:
  std::string id_;
};

// baseline + the sum of the sizes: every ticket's memory is in use at once (KV caches of
// concurrent requests).
class WiredSumPolicy : public WiredMemoryPolicy {
 public:
  using WiredMemoryPolicy::WiredMemoryPolicy;
  size_t limit(size_t baseline, const std::vector<size_t>& active_sizes) const override;
  std::string name() const override { return "WiredSumPolicy"; }
};

// baseline + the largest size: the tickets share one region, or run one at a time.
class WiredMaxPolicy : public WiredMemoryPolicy {
 public:
  using WiredMemoryPolicy::WiredMemoryPolicy;
  size_t limit(size_t baseline, const std::vector<size_t>& active_sizes) const override;
  std::string name() const override { return "WiredMaxPolicy"; }
};

struct WiredMemoryEvent {
  enum class Kind {
    baseline_captured,    // the baseline limit was resolved (first start of a busy period)
    admission_wait,       // a policy refused admission; start() waits
    admission_granted,    // a ticket passed admission
    admission_cancelled,  // a waiting start() was cancelled (stop_token or timeout)
    ticket_started,
    ticket_start_ignored,  // the ticket was already started (or waiting)
    ticket_ended,
    ticket_end_ignored,  // the ticket was not started
    limit_computed,      // the policies' desired limit, while active work runs
    limit_applied,
    limit_apply_failed,  // the system refused the limit; message says why
    baseline_restored,   // no active work is left: back to the baseline
  };

  std::uint64_t sequence = 0;  // strictly increasing per manager
  std::chrono::steady_clock::time_point timestamp;
  Kind kind = Kind::baseline_captured;
  std::optional<WiredTicketId> ticket_id;
  std::optional<size_t> size;
  std::string policy;  // "<name>#id=<id>", empty when the event concerns no policy
  std::optional<size_t> baseline;
  std::optional<size_t> desired_limit;
  std::optional<size_t> applied_limit;  // the limit in force after the event
  size_t active_count = 0;              // started tickets (active and reservations)
  size_t waiter_count = 0;              // start() calls waiting for admission
  std::string message;                  // the reason of a limit_apply_failed or admission_cancelled
};

const char* to_string(WiredMemoryEvent::Kind kind);
std::ostream& operator<<(std::ostream& os, WiredMemoryEvent::Kind kind);
// One line: "#<sequence> <kind> ticket=<id> size=<n> policy=<label> baseline=... desired=...
// applied=... active=<n> waiting=<n>", fields without a value left out.
std::ostream& operator<<(std::ostream& os, const WiredMemoryEvent& e);

struct WiredMemoryManagerConfiguration {
  // While active work runs, the limit only shrinks when it drops by at least this fraction of the
  // current limit (clamped to [0, 1])...
  double shrink_threshold_ratio = 0.25;
  // ...and at least this long after the last change. Negative counts as 0.
  std::chrono::duration<double> shrink_cooldown{1.0};
  // When the manager cannot apply limits (the system refuses them, or a testing manager has no
  // applier), it keeps running admission and the policies' limits as accounting only. When
  // false, a refused limit leaves the accounting at the last limit the system accepted, and a
  // manager without an applier does nothing (start and end return 0).
  bool policy_only_when_unsupported = true;
  // The baseline to use instead of the limit in force at the first start.
  std::optional<size_t> baseline_override;
};

// Thrown by start() when its admission wait is cancelled (stop requested, or timed out). The
// ticket did not start.
class WiredMemoryAdmissionCancelled : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
struct WiredSubscriber;
}

// A queue of the events a manager emits from subscription on (WiredMemoryManager::events()).
// Unbounded: drain it. Destroying or closing it unsubscribes.
class WiredMemoryEventStream {
 public:
  explicit WiredMemoryEventStream(std::shared_ptr<detail::WiredSubscriber> sub);
  WiredMemoryEventStream(WiredMemoryEventStream&&) noexcept = default;
  WiredMemoryEventStream& operator=(WiredMemoryEventStream&& other) noexcept;
  ~WiredMemoryEventStream();

  // Waits for the next event; nullopt when stop is requested or the stream is closed.
  std::optional<WiredMemoryEvent> next(std::stop_token stop = {});
  // Waits at most `timeout`.
  std::optional<WiredMemoryEvent> next_for(std::chrono::nanoseconds timeout);
  std::optional<WiredMemoryEvent> try_next();
  // Every event queued now.
  std::vector<WiredMemoryEvent> drain();
  void close();

 private:
  std::shared_ptr<detail::WiredSubscriber> sub_;
};

// A callback subscription (WiredMemoryManager::subscribe). The callback runs on the thread that
// caused the event, in sequence order, under the manager's lock: it must be quick and must not
// call the manager (exceptions it throws are dropped). Destroying or closing the handle stops the
// calls (close waits for a call in progress).
class WiredMemorySubscription {
 public:
  explicit WiredMemorySubscription(std::shared_ptr<detail::WiredSubscriber> sub);
  WiredMemorySubscription(WiredMemorySubscription&&) noexcept = default;
  WiredMemorySubscription& operator=(WiredMemorySubscription&& other) noexcept;
  ~WiredMemorySubscription();
  void close();

 private:
  std::shared_ptr<detail::WiredSubscriber> sub_;
};

// Coordinates the wired limit across concurrent tickets (all methods are thread-safe):
// - The baseline is resolved at the first start of a busy period (baseline_override, else the
//   limit in force, else the last limit the manager applied, else 0) and restored when the last
//   ticket ends.
// - The desired limit is the largest of the groups' policy limits. It is applied only while at
//   least one active ticket runs; with reservations alone the limit is the baseline.
// - Growth is applied at once; a shrink while active work runs only when it is large enough and
//   the cooldown has passed (see WiredMemoryManagerConfiguration).
// - start() waits while the ticket's policy refuses admission (given the sizes of its own group),
//   re-checking whenever a ticket ends; the wait is cancellable.
// - Starting a started ticket or ending one that is not started is ignored (and reported).
// - A limit the system refuses is reported (limit_apply_failed) and kept as accounting only.
class WiredMemoryManager : public std::enable_shared_from_this<WiredMemoryManager> {
 public:
  using Clock = std::chrono::steady_clock;
  // Applies a wired limit to the system; throws (any std::exception) when it is refused.
  using ApplyLimit = std::function<void(size_t)>;
  using Now = std::function<Clock::time_point()>;

  // The process-wide manager; it applies limits with set_wired_limit.
  static WiredMemoryManager& shared();
  static void configure_shared(const WiredMemoryManagerConfiguration& configuration);
  // An isolated manager for tests: `apply` stands for set_wired_limit (none: limits cannot be
  // applied, see policy_only_when_unsupported) and `now` for the clock (the shrink cooldown and
  // event timestamps; admission timeouts use the real clock).
  static std::shared_ptr<WiredMemoryManager> make_for_testing(
      const WiredMemoryManagerConfiguration& configuration = {}, ApplyLimit apply = {},
      Now now = {});

  ~WiredMemoryManager();
  WiredMemoryManager(const WiredMemoryManager&) = delete;
  WiredMemoryManager& operator=(const WiredMemoryManager&) = delete;

  // Throws std::logic_error while active tickets run or a start() waits.
  void update_configuration(const WiredMemoryManagerConfiguration& configuration);
  // As clamped.
  WiredMemoryManagerConfiguration configuration() const;

  // Starts ticket `id` and returns the limit in force (applied, or as accounting). Waits while
  // the policy refuses admission; throws WiredMemoryAdmissionCancelled when `stop` is requested
  // or `timeout` passes first. Throws std::invalid_argument for a null policy.
  size_t start(WiredTicketId id, size_t size, std::shared_ptr<const WiredMemoryPolicy> policy,
               WiredMemoryTicketKind kind = WiredMemoryTicketKind::active,
               std::stop_token stop = {});
  size_t start(WiredTicketId id, size_t size, std::shared_ptr<const WiredMemoryPolicy> policy,
               WiredMemoryTicketKind kind, std::chrono::nanoseconds timeout,
               std::stop_token stop = {});
  // Ends ticket `id` and returns the limit in force (the baseline after the last ticket).
  size_t end(WiredTicketId id, const WiredMemoryPolicy& policy);

  WiredMemoryEventStream events();
  WiredMemorySubscription subscribe(std::function<void(const WiredMemoryEvent&)> callback);

  // The limit the manager last applied (or accounted), if any.
  std::optional<size_t> current_limit() const;
  // The baseline of the current busy period, if one is running.
  std::optional<size_t> baseline() const;
  size_t active_count() const;
  size_t waiter_count() const;

 private:
  struct State;
  struct Token {};

 public:
  WiredMemoryManager(Token, const WiredMemoryManagerConfiguration& configuration, ApplyLimit apply,
                     std::function<size_t()> read_limit, Now now);

 private:
  size_t start_impl(WiredTicketId id, size_t size, std::shared_ptr<const WiredMemoryPolicy> policy,
                    WiredMemoryTicketKind kind, std::optional<std::chrono::nanoseconds> timeout,
                    std::stop_token stop);

  std::unique_ptr<State> state_;
};

// One unit of memory demand (a model's weights, one request's KV cache). Move-only; a ticket that
// is started when it is destroyed is ended. One ticket object is used by one thread at a time.
class WiredMemoryTicket {
 public:
  // A null manager means WiredMemoryManager::shared().
  WiredMemoryTicket(size_t size, std::shared_ptr<const WiredMemoryPolicy> policy,
                    std::shared_ptr<WiredMemoryManager> manager = nullptr,
                    WiredMemoryTicketKind kind = WiredMemoryTicketKind::active,
                    std::optional<WiredTicketId> id = std::nullopt);
  WiredMemoryTicket(WiredMemoryTicket&& other) noexcept;
  WiredMemoryTicket& operator=(WiredMemoryTicket&& other) noexcept;
  ~WiredMemoryTicket();

  // A process-wide unique ticket id.
  static WiredTicketId new_id();

  WiredTicketId id() const { return id_; }
  size_t size() const { return size_; }
  const std::shared_ptr<const WiredMemoryPolicy>& policy() const { return policy_; }
  WiredMemoryManager& manager() const { return *manager_; }
  WiredMemoryTicketKind kind() const { return kind_; }
  bool started() const { return started_; }

  // See WiredMemoryManager::start and end. Calling them again is ignored by the manager (and
  // reported as an event).
  size_t start(std::stop_token stop = {});
  size_t start(std::chrono::nanoseconds timeout, std::stop_token stop = {});
  size_t end();

  // Starts the ticket, runs fn and ends the ticket, also when fn throws. Returns fn's result.
  template <class F>
  std::invoke_result_t<F&> with_wired_limit(F&& fn) {
    start();
    struct Ender {
      WiredMemoryTicket& ticket;
      ~Ender() { ticket.end(); }
    } ender{*this};
    return std::invoke(fn);
  }

 private:
  WiredTicketId id_;
  size_t size_;
  std::shared_ptr<const WiredMemoryPolicy> policy_;
  std::shared_ptr<WiredMemoryManager> manager_;
  WiredMemoryTicketKind kind_;
  bool started_ = false;
};

}  // namespace mlx::core
