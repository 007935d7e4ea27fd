// The wired-memory coordinator: every rule of API.md B4, on testing managers whose applier and
// clock the tests control, plus the shared manager against the real set_wired_limit in a child
// process the system refuses.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "core/allocator_internal.h"
#include "mlx/memory.h"
#include "mlx/wired.h"

namespace {

using namespace mlx::core;
using Kind = WiredMemoryEvent::Kind;
using Clock = WiredMemoryManager::Clock;
using namespace std::chrono_literals;

// Records the limits applied; refuses those above `refuse_above`.
struct FakeSystem {
  std::mutex mu;
  std::vector<size_t> applied;
  size_t refuse_above = SIZE_MAX;
  Clock::time_point now = Clock::time_point{} + 1000s;

  WiredMemoryManager::ApplyLimit applier() {
    return [this](size_t limit) {
      std::lock_guard lk(mu);
      if (limit > refuse_above) {
        throw std::invalid_argument("refused " + std::to_string(limit));
      }
      applied.push_back(limit);
    };
  }
  WiredMemoryManager::Now clock() {
    return [this] {
      std::lock_guard lk(mu);
      return now;
    };
  }
  void advance(std::chrono::milliseconds d) {
    std::lock_guard lk(mu);
    now += d;
  }
  std::vector<size_t> take_applied() {
    std::lock_guard lk(mu);
    return std::exchange(applied, {});
  }
};

std::vector<Kind> kinds(const std::vector<WiredMemoryEvent>& events) {
  std::vector<Kind> out;
  for (const auto& e : events) {
    out.push_back(e.kind);
  }
  return out;
}

// Admits while the group's sizes plus the new one fit in `capacity`.
class CappedSumPolicy : public WiredSumPolicy {
 public:
  explicit CappedSumPolicy(size_t capacity) : capacity_(capacity) {}
  bool can_admit(size_t, const std::vector<size_t>& active_sizes, size_t new_size) const override {
    size_t total = new_size;
    for (size_t s : active_sizes) {
      total += s;
    }
    return total <= capacity_;
  }

 private:
  size_t capacity_;
};

class WiredManagerTest : public ::testing::Test {
 protected:
  std::shared_ptr<WiredMemoryManager> make(WiredMemoryManagerConfiguration config = {}) {
    return WiredMemoryManager::make_for_testing(config, sys_.applier(), sys_.clock());
  }
  FakeSystem sys_;
};

TEST(WiredPolicy, SumAndMax) {
  WiredSumPolicy sum;
  WiredMaxPolicy max;
  EXPECT_EQ(sum.limit(100, {10, 20, 30}), 160u);
  EXPECT_EQ(max.limit(100, {10, 30, 20}), 130u);
  EXPECT_EQ(sum.limit(7, {}), 7u);
  EXPECT_EQ(max.limit(7, {}), 7u);
  // Saturates instead of wrapping.
  EXPECT_EQ(sum.limit(SIZE_MAX - 5, {3, 3}), SIZE_MAX);
  EXPECT_EQ(max.limit(SIZE_MAX - 5, {10}), SIZE_MAX);
  EXPECT_TRUE(sum.can_admit(0, {1, 2}, SIZE_MAX));

  // Fresh ids differ; explicit ids group policies.
  EXPECT_NE(sum.id(), max.id());
  EXPECT_NE(WiredSumPolicy().id(), WiredSumPolicy().id());
  EXPECT_EQ(WiredSumPolicy("weights").id(), "weights");
  EXPECT_EQ(sum.name(), "WiredSumPolicy");
  EXPECT_EQ(max.name(), "WiredMaxPolicy");
}

TEST_F(WiredManagerTest, BaselineCapturedThenRestored) {
  auto m = make({.baseline_override = 1000});
  auto events = m->events();
  auto policy = std::make_shared<WiredSumPolicy>("kv");
  EXPECT_EQ(m->start(1, 100, policy), 1100u);
  EXPECT_EQ(m->baseline(), 1000u);
  EXPECT_EQ(m->current_limit(), 1100u);
  EXPECT_EQ(m->end(1, *policy), 1000u);
  EXPECT_EQ(m->baseline(), std::nullopt);
  EXPECT_EQ(m->current_limit(), 1000u);
  EXPECT_EQ(sys_.take_applied(), (std::vector<size_t>{1100, 1000}));

  auto got = events.drain();
  EXPECT_EQ(kinds(got),
            (std::vector<Kind>{Kind::baseline_captured, Kind::admission_granted,
                               Kind::ticket_started, Kind::limit_computed, Kind::limit_applied,
                               Kind::ticket_ended, Kind::limit_applied, Kind::baseline_restored}));
  std::vector<std::string> lines;
  for (const auto& e : got) {
    std::ostringstream os;
    os << e;
    lines.push_back(os.str());
  }
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "#1 baseline_captured baseline=1000 applied=1000 active=0 waiting=0",
                       "#2 admission_granted ticket=1 size=100 policy=WiredSumPolicy#id=kv "
                       "baseline=1000 active=0 waiting=0",
                       "#3 ticket_started ticket=1 size=100 policy=WiredSumPolicy#id=kv "
                       "baseline=1000 active=1 waiting=0",
                       "#4 limit_computed baseline=1000 desired=1100 active=1 waiting=0",
                       "#5 limit_applied baseline=1000 desired=1100 applied=1100 active=1 "
                       "waiting=0",
                       "#6 ticket_ended ticket=1 size=100 policy=WiredSumPolicy#id=kv "
                       "baseline=1000 active=0 waiting=0",
                       "#7 limit_applied baseline=1000 desired=1000 applied=1000 active=0 "
                       "waiting=0",
                       "#8 baseline_restored baseline=1000 applied=1000 active=0 waiting=0"}));
  EXPECT_EQ(got[0].timestamp, Clock::time_point{} + 1000s);
}

// Without an override the baseline is the last limit the manager applied (0 at first).
TEST_F(WiredManagerTest, BaselineWithoutOverride) {
  auto m = make();
  auto policy = std::make_shared<WiredSumPolicy>();
  EXPECT_EQ(m->start(1, 100, policy), 100u);
  EXPECT_EQ(m->baseline(), 0u);
  EXPECT_EQ(m->end(1, *policy), 0u);
  EXPECT_EQ(m->start(2, 50, policy), 50u);
  EXPECT_EQ(m->end(2, *policy), 0u);
  EXPECT_EQ(sys_.take_applied(), (std::vector<size_t>{100, 0, 50, 0}));
}

TEST_F(WiredManagerTest, MaximumOverPolicyGroups) {
  auto m = make({.baseline_override = 1000});
  auto sum = std::make_shared<WiredSumPolicy>();
  auto max = std::make_shared<WiredMaxPolicy>();
  // A second policy object with the same id joins the same group.
  auto sum_twin = std::make_shared<WiredSumPolicy>(sum->id());
  EXPECT_EQ(m->start(1, 100, sum), 1100u);
  EXPECT_EQ(m->start(2, 200, sum_twin), 1300u);
  EXPECT_EQ(m->start(3, 250, max), 1300u);  // max group: 1250
  EXPECT_EQ(m->start(4, 50, max), 1300u);
  EXPECT_EQ(m->start(5, 400, max), 1400u);  // max group: 1400 > 1300
  EXPECT_EQ(sys_.take_applied(), (std::vector<size_t>{1100, 1300, 1400}));
  for (WiredTicketId id : {1, 2, 3, 4, 5}) {
    m->end(id, *sum);
  }
  EXPECT_EQ(m->current_limit(), 1000u);
}

TEST_F(WiredManagerTest, ReservationsAloneNeverRaiseTheLimit) {
  auto m = make({.baseline_override = 1000});
  auto events = m->events();
  auto policy = std::make_shared<WiredSumPolicy>();
  EXPECT_EQ(m->start(1, 5000, policy, WiredMemoryTicketKind::reservation), 1000u);
  EXPECT_EQ(m->current_limit(), 1000u);
  EXPECT_EQ(m->active_count(), 1u);
  // Active work counts the reservation of its group.
  EXPECT_EQ(m->start(2, 100, policy), 6100u);
  // Active work gone: back to the baseline at once, whatever the hysteresis says.
  EXPECT_EQ(m->end(2, *policy), 1000u);
  EXPECT_EQ(m->end(1, *policy), 1000u);
  EXPECT_EQ(sys_.take_applied(), (std::vector<size_t>{1000, 6100, 1000}));
  auto got = kinds(events.drain());
  EXPECT_EQ(std::count(got.begin(), got.end(), Kind::baseline_restored), 3);
  EXPECT_EQ(std::count(got.begin(), got.end(), Kind::limit_computed), 1);
}

TEST_F(WiredManagerTest, GrowImmediatelyShrinkPastThresholdAfterCooldown) {
  auto m = make({.shrink_threshold_ratio = 0.25, .shrink_cooldown = 1s, .baseline_override = 0});
  auto policy = std::make_shared<WiredSumPolicy>();
  EXPECT_EQ(m->start(1, 1000, policy), 1000u);
  EXPECT_EQ(m->start(2, 100, policy), 1100u);  // growth: at once
  EXPECT_EQ(m->end(2, *policy), 1100u);        // 1000 is only 9% lower: kept
  EXPECT_EQ(m->start(3, 2000, policy), 3000u);
  sys_.advance(500ms);
  EXPECT_EQ(m->end(3, *policy), 3000u);  // 67% lower, but within the cooldown: kept
  sys_.advance(600ms);
  EXPECT_EQ(m->start(4, 0, policy), 1000u);  // 1.1 s since the last change: shrinks
  sys_.advance(2s);
  EXPECT_EQ(m->end(4, *policy), 1000u);  // unchanged desired limit: nothing to apply
  EXPECT_EQ(sys_.take_applied(), (std::vector<size_t>{1000, 1100, 3000, 1000}));
  EXPECT_EQ(m->end(1, *policy), 0u);
  EXPECT_EQ(sys_.take_applied(), (std::vector<size_t>{0}));
}

TEST_F(WiredManagerTest, ShrinkThresholdZeroAndCooldownZeroFollowAtOnce) {
  auto m = make({.shrink_threshold_ratio = -3, .shrink_cooldown = -1s, .baseline_override = 0});
  EXPECT_EQ(m->configuration().shrink_threshold_ratio, 0.0);
  EXPECT_EQ(m->configuration().shrink_cooldown.count(), 0.0);
  auto policy = std::make_shared<WiredSumPolicy>();
  m->start(1, 1000, policy);
  m->start(2, 1, policy);
  EXPECT_EQ(m->end(2, *policy), 1000u);
  m->end(1, *policy);
  EXPECT_EQ(sys_.take_applied(), (std::vector<size_t>{1000, 1001, 1000, 0}));
}

TEST_F(WiredManagerTest, ConfigurationClampedAndOnlyChangedWhenIdle) {
  auto m = make({.shrink_threshold_ratio = 1.5, .baseline_override = std::nullopt});
  EXPECT_EQ(m->configuration().shrink_threshold_ratio, 1.0);
  EXPECT_EQ(m->configuration().shrink_cooldown.count(), 1.0);
  EXPECT_TRUE(m->configuration().policy_only_when_unsupported);
  EXPECT_EQ(m->configuration().baseline_override, std::nullopt);

  auto policy = std::make_shared<WiredSumPolicy>();
  m->start(1, 10, policy);
  try {
    m->update_configuration({.baseline_override = 5});
    FAIL() << "expected std::logic_error";
  } catch (const std::logic_error& e) {
    EXPECT_STREQ(e.what(),
                 "[WiredMemoryManager::update_configuration] The configuration can only change "
                 "while no active ticket runs and no start waits (1 tickets, 0 waiting).");
  }
  m->end(1, *policy);
  m->update_configuration({.baseline_override = 5});
  EXPECT_EQ(m->start(2, 10, policy), 15u);
  m->end(2, *policy);
}

TEST_F(WiredManagerTest, DuplicateStartAndEndAreIgnored) {
  auto m = make({.baseline_override = 0});
  auto events = m->events();
  auto policy = std::make_shared<WiredSumPolicy>("p");
  EXPECT_EQ(m->start(7, 100, policy), 100u);
  EXPECT_EQ(m->start(7, 500, policy), 100u);
  EXPECT_EQ(m->active_count(), 1u);
  EXPECT_EQ(m->end(7, *policy), 0u);
  EXPECT_EQ(m->end(7, *policy), 0u);
  EXPECT_EQ(m->end(8, *policy), 0u);
  auto got = events.drain();
  std::vector<WiredMemoryEvent> ignored;
  std::copy_if(got.begin(), got.end(), std::back_inserter(ignored), [](const auto& e) {
    return e.kind == Kind::ticket_start_ignored || e.kind == Kind::ticket_end_ignored;
  });
  ASSERT_EQ(ignored.size(), 3u);
  EXPECT_EQ(ignored[0].kind, Kind::ticket_start_ignored);
  EXPECT_EQ(ignored[0].ticket_id, 7u);
  EXPECT_EQ(ignored[0].size, 500u);
  EXPECT_EQ(ignored[0].policy, "WiredSumPolicy#id=p");
  EXPECT_EQ(ignored[1].kind, Kind::ticket_end_ignored);
  EXPECT_EQ(ignored[1].ticket_id, 7u);
  EXPECT_EQ(ignored[2].ticket_id, 8u);
  EXPECT_EQ(sys_.take_applied(), (std::vector<size_t>{100, 0}));
}

TEST_F(WiredManagerTest, AdmissionWaitsUntilAnotherTicketEnds) {
  auto m = make({.baseline_override = 0});
  auto events = m->events();
  auto capped = std::make_shared<CappedSumPolicy>(1000);
  auto other = std::make_shared<WiredSumPolicy>();
  EXPECT_EQ(m->start(1, 600, capped), 600u);
  // Another group does not count against this one's admission.
  EXPECT_EQ(m->start(2, 5000, other), 5000u);

  // Reads events until ticket 3 has waited `n` times; returns everything read.
  std::vector<WiredMemoryEvent> got;
  auto until_waits = [&](int n) {
    while (std::count_if(got.begin(), got.end(), [](const auto& e) {
             return e.kind == Kind::admission_wait && e.ticket_id == 3u;
           }) < n) {
      auto e = events.next_for(10s);
      ASSERT_TRUE(e.has_value());
      got.push_back(*e);
    }
  };
  std::atomic<size_t> granted{0};
  std::thread waiter([&] { granted = m->start(3, 600, capped); });
  until_waits(1);
  // An end in another group wakes the waiter, which checks again and keeps waiting.
  m->end(2, *other);
  until_waits(2);
  EXPECT_EQ(granted.load(), 0u);
  EXPECT_EQ(m->waiter_count(), 1u);
  m->end(1, *capped);
  waiter.join();
  EXPECT_EQ(granted.load(), 600u);
  EXPECT_EQ(m->waiter_count(), 0u);

  for (auto& e : events.drain()) {
    got.push_back(std::move(e));
  }
  std::vector<Kind> for3;
  for (const auto& e : got) {
    if (e.ticket_id == 3u) {
      for3.push_back(e.kind);
      if (e.kind == Kind::admission_wait) {
        EXPECT_EQ(e.waiter_count, 0u);  // counted from the wait on
      }
    }
  }
  EXPECT_EQ(for3, (std::vector<Kind>{Kind::admission_wait, Kind::admission_wait,
                                     Kind::admission_granted, Kind::ticket_started}));
  m->end(3, *capped);
  EXPECT_EQ(m->current_limit(), 0u);
}

TEST_F(WiredManagerTest, AdmissionCancelledByStopToken) {
  auto m = make({.baseline_override = 0});
  auto events = m->events();
  auto capped = std::make_shared<CappedSumPolicy>(1000);
  m->start(1, 800, capped);
  std::stop_source stop;
  std::string error;
  std::thread waiter([&] {
    try {
      m->start(2, 300, capped, WiredMemoryTicketKind::active, stop.get_token());
    } catch (const WiredMemoryAdmissionCancelled& e) {
      error = e.what();
    }
  });
  while (m->waiter_count() == 0) {
    std::this_thread::sleep_for(1ms);
  }
  stop.request_stop();
  waiter.join();
  EXPECT_EQ(error,
            "[WiredMemoryManager::start] Admission of ticket 2 (300 bytes, WiredSumPolicy#id=" +
                capped->id() + ") was cancelled: stop was requested.");
  EXPECT_EQ(m->waiter_count(), 0u);
  EXPECT_EQ(m->active_count(), 1u);
  auto got = events.drain();
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back().kind, Kind::admission_cancelled);
  EXPECT_EQ(got.back().ticket_id, 2u);
  EXPECT_EQ(got.back().message, "stop was requested");

  // Already stopped: cancelled without waiting.
  EXPECT_THROW(m->start(3, 300, capped, WiredMemoryTicketKind::active, stop.get_token()),
               WiredMemoryAdmissionCancelled);
  // Admissible: the stop token does not matter.
  EXPECT_EQ(m->start(4, 200, capped, WiredMemoryTicketKind::active, stop.get_token()), 1000u);
  m->end(4, *capped);
  m->end(1, *capped);
}

TEST_F(WiredManagerTest, AdmissionCancelledByTimeout) {
  auto m = make({.baseline_override = 0});
  auto events = m->events();
  auto capped = std::make_shared<CappedSumPolicy>(1000);
  m->start(1, 800, capped);
  auto before = std::chrono::steady_clock::now();
  try {
    m->start(2, 300, capped, WiredMemoryTicketKind::active, 50ms);
    FAIL() << "expected WiredMemoryAdmissionCancelled";
  } catch (const WiredMemoryAdmissionCancelled& e) {
    EXPECT_EQ(std::string(e.what()),
              "[WiredMemoryManager::start] Admission of ticket 2 (300 "
              "bytes, WiredSumPolicy#id=" +
                  capped->id() + ") was cancelled: it timed out after 50 ms.");
  }
  EXPECT_GE(std::chrono::steady_clock::now() - before, 50ms);
  auto got = events.drain();
  EXPECT_EQ(got.back().kind, Kind::admission_cancelled);
  EXPECT_EQ(got.back().message, "it timed out after 50 ms");
  EXPECT_EQ(m->waiter_count(), 0u);
  // A timeout that is not needed does not fire.
  m->end(1, *capped);
  EXPECT_EQ(m->start(3, 300, capped, WiredMemoryTicketKind::active, 1ms), 300u);
  m->end(3, *capped);
}

TEST_F(WiredManagerTest, RefusedLimitIsReportedAndKeptAsAccounting) {
  sys_.refuse_above = 1500;
  auto m = make({.baseline_override = 1000});
  auto events = m->events();
  auto policy = std::make_shared<WiredSumPolicy>();
  EXPECT_EQ(m->start(1, 400, policy), 1400u);
  EXPECT_EQ(m->start(2, 400, policy), 1800u);  // refused: policy-only accounting
  auto got = events.drain();
  ASSERT_EQ(got.back().kind, Kind::limit_apply_failed);
  EXPECT_EQ(got.back().message, "refused 1800");
  EXPECT_EQ(got.back().desired_limit, 1800u);
  EXPECT_EQ(got.back().applied_limit, 1800u);
  EXPECT_EQ(m->end(2, *policy), 1800u);  // 1400 is 22% lower: within the threshold, kept
  EXPECT_EQ(m->end(1, *policy), 1000u);
  EXPECT_EQ(sys_.take_applied(), (std::vector<size_t>{1400, 1000}));

  // Without policy-only mode the accounting stays at what the system accepted.
  m->update_configuration({.policy_only_when_unsupported = false, .baseline_override = 1000});
  EXPECT_EQ(m->start(3, 400, policy), 1400u);
  EXPECT_EQ(m->start(4, 400, policy), 1400u);
  EXPECT_EQ(events.drain().back().applied_limit, 1400u);
  m->end(4, *policy);
  EXPECT_EQ(m->end(3, *policy), 1000u);
}

TEST(WiredManager, WithoutApplier) {
  auto policy = std::make_shared<WiredSumPolicy>();
  // Policy-only: admission and limits run as accounting.
  auto m = WiredMemoryManager::make_for_testing({.baseline_override = 64});
  auto events = m->events();
  EXPECT_EQ(m->start(1, 100, policy), 164u);
  EXPECT_EQ(m->end(1, *policy), 64u);
  EXPECT_EQ(kinds(events.drain()),
            (std::vector<Kind>{Kind::baseline_captured, Kind::admission_granted,
                               Kind::ticket_started, Kind::limit_computed, Kind::limit_applied,
                               Kind::ticket_ended, Kind::limit_applied, Kind::baseline_restored}));
  // Not policy-only: nothing happens.
  auto off = WiredMemoryManager::make_for_testing(
      {.policy_only_when_unsupported = false, .baseline_override = std::nullopt});
  auto off_events = off->events();
  EXPECT_EQ(off->start(1, 100, policy), 0u);
  EXPECT_EQ(off->active_count(), 0u);
  EXPECT_EQ(off->end(1, *policy), 0u);
  EXPECT_TRUE(off_events.drain().empty());
}

TEST_F(WiredManagerTest, TicketStartEndAndDestructor) {
  auto m = make({.baseline_override = 0});
  auto events = m->events();
  auto policy = std::make_shared<WiredSumPolicy>();
  {
    WiredMemoryTicket t = policy->ticket(100, WiredMemoryTicketKind::active, m);
    EXPECT_EQ(t.size(), 100u);
    EXPECT_EQ(t.kind(), WiredMemoryTicketKind::active);
    EXPECT_EQ(&t.manager(), m.get());
    EXPECT_EQ(t.policy(), policy);
    EXPECT_FALSE(t.started());
    EXPECT_EQ(t.start(), 100u);
    EXPECT_TRUE(t.started());
    WiredMemoryTicket moved = std::move(t);
    EXPECT_TRUE(moved.started());
    EXPECT_EQ(m->active_count(), 1u);
  }  // the moved-to ticket ends on destruction, the moved-from one does nothing
  EXPECT_EQ(m->active_count(), 0u);
  EXPECT_EQ(m->current_limit(), 0u);

  WiredMemoryTicket t(50, policy, m);
  t.start();
  EXPECT_EQ(t.end(), 0u);
  EXPECT_EQ(t.end(), 0u);  // ignored, reported
  auto got = kinds(events.drain());
  EXPECT_EQ(std::count(got.begin(), got.end(), Kind::ticket_ended), 2);
  EXPECT_EQ(std::count(got.begin(), got.end(), Kind::ticket_end_ignored), 1);
  EXPECT_NE(WiredMemoryTicket(1, policy, m).id(), WiredMemoryTicket(1, policy, m).id());
  EXPECT_EQ(WiredMemoryTicket(1, policy, m, WiredMemoryTicketKind::reservation, 42).id(), 42u);
  EXPECT_THROW(WiredMemoryTicket(1, nullptr, m), std::invalid_argument);
  EXPECT_THROW(m->start(1, 1, nullptr), std::invalid_argument);
}

TEST_F(WiredManagerTest, WithWiredLimitEndsEvenWhenFnThrows) {
  auto m = make({.baseline_override = 10});
  auto policy = std::make_shared<WiredSumPolicy>();
  WiredMemoryTicket t(100, policy, m);
  int result = t.with_wired_limit([&] {
    EXPECT_EQ(m->current_limit(), 110u);
    return 7;
  });
  EXPECT_EQ(result, 7);
  EXPECT_EQ(m->active_count(), 0u);
  EXPECT_THROW(t.with_wired_limit([&] {
    EXPECT_EQ(m->active_count(), 1u);
    throw std::runtime_error("inference failed");
  }),
               std::runtime_error);
  EXPECT_EQ(m->active_count(), 0u);
  EXPECT_FALSE(t.started());
  EXPECT_EQ(m->current_limit(), 10u);
}

TEST_F(WiredManagerTest, CallbackSubscription) {
  auto m = make({.baseline_override = 0});
  std::vector<Kind> seen;
  auto sub = m->subscribe([&](const WiredMemoryEvent& e) { seen.push_back(e.kind); });
  auto policy = std::make_shared<WiredSumPolicy>();
  m->start(1, 10, policy);
  EXPECT_EQ(seen.size(), 5u);
  sub.close();
  m->end(1, *policy);
  EXPECT_EQ(seen.size(), 5u);
  // Events are numbered only while someone listens.
  auto events = m->events();
  m->start(2, 10, policy);
  auto first = events.try_next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->kind, Kind::baseline_captured);
  EXPECT_EQ(first->sequence, 6u);
  events.close();
  EXPECT_EQ(events.next(), std::nullopt);
  m->end(2, *policy);
}

TEST_F(WiredManagerTest, EventStreamBlocksForTheNextEvent) {
  auto m = make({.baseline_override = 0});
  auto events = m->events();
  EXPECT_EQ(events.next_for(1ms), std::nullopt);
  auto policy = std::make_shared<WiredSumPolicy>();
  std::thread producer([&] {
    std::this_thread::sleep_for(10ms);
    m->start(1, 10, policy);
    m->end(1, *policy);
  });
  auto e = events.next();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->kind, Kind::baseline_captured);
  producer.join();
  std::stop_source stop;
  stop.request_stop();
  events.drain();
  EXPECT_EQ(events.next(stop.get_token()), std::nullopt);
}

// 8 threads start and end many tickets of several groups and kinds, some of them waiting for
// admission; the event stream must stay consistent.
TEST_F(WiredManagerTest, HammerKeepsTheAccountingExact) {
  constexpr int kThreads = 8;
  constexpr int kTickets = 300;
  constexpr size_t kBaseline = 1 << 20;
  auto m =
      make({.shrink_threshold_ratio = 0.1, .shrink_cooldown = 0s, .baseline_override = kBaseline});
  std::mutex events_mu;
  std::vector<WiredMemoryEvent> events;
  auto sub = m->subscribe([&](const WiredMemoryEvent& e) {
    std::lock_guard lk(events_mu);
    events.push_back(e);
  });
  std::vector<std::shared_ptr<const WiredMemoryPolicy>> policies = {
      std::make_shared<WiredSumPolicy>(), std::make_shared<WiredMaxPolicy>(),
      std::make_shared<CappedSumPolicy>(3 * 4096)};
  auto weights = std::make_shared<WiredSumPolicy>();
  WiredMemoryTicket reservation(1 << 16, weights, m, WiredMemoryTicketKind::reservation);
  reservation.start();

  std::atomic<int> cancelled{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t) * 7919u + 1u);
      for (int i = 0; i < kTickets; ++i) {
        const auto& policy = policies[rng() % policies.size()];
        auto kind =
            rng() % 4 == 0 ? WiredMemoryTicketKind::reservation : WiredMemoryTicketKind::active;
        WiredMemoryTicket ticket(4096 * (1 + rng() % 3), policy, m, kind);
        try {
          ticket.with_wired_limit([&] {
            if (rng() % 8 == 0) {
              std::this_thread::yield();
            }
          });
        } catch (const WiredMemoryAdmissionCancelled&) {
          ++cancelled;
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  reservation.end();
  sub.close();

  EXPECT_EQ(cancelled.load(), 0);
  EXPECT_EQ(m->active_count(), 0u);
  EXPECT_EQ(m->waiter_count(), 0u);
  EXPECT_EQ(m->current_limit(), kBaseline);
  std::vector<size_t> applied = sys_.take_applied();
  ASSERT_FALSE(applied.empty());
  EXPECT_EQ(applied.back(), kBaseline);
  EXPECT_GE(*std::min_element(applied.begin(), applied.end()), kBaseline);

  std::lock_guard lk(events_mu);
  std::map<WiredTicketId, int> started, ended;
  std::uint64_t last = 0;
  for (const auto& e : events) {
    EXPECT_GT(e.sequence, last);
    last = e.sequence;
    if (e.applied_limit) {
      EXPECT_GE(*e.applied_limit, kBaseline);
    }
    if (e.kind == Kind::limit_applied) {
      EXPECT_EQ(e.applied_limit, e.desired_limit);
    }
    EXPECT_NE(e.kind, Kind::ticket_start_ignored);
    EXPECT_NE(e.kind, Kind::ticket_end_ignored);
    EXPECT_NE(e.kind, Kind::limit_apply_failed);
    if (e.kind == Kind::ticket_started) {
      ++started[*e.ticket_id];
    } else if (e.kind == Kind::ticket_ended) {
      ++ended[*e.ticket_id];
    }
  }
  EXPECT_EQ(started.size(), size_t{kThreads * kTickets + 1});
  EXPECT_EQ(started, ended);
  for (const auto& [id, n] : started) {
    EXPECT_EQ(n, 1) << id;
  }
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().kind, Kind::baseline_restored);
  EXPECT_EQ(events.back().applied_limit, kBaseline);
}

// The shared manager applies limits with set_wired_limit. In a child that the system refuses
// (no CAP_IPC_LOCK, 64 KiB RLIMIT_MEMLOCK), a large ticket reports limit_apply_failed with the
// allocator's message and is kept as accounting; the real limit never moved.
TEST(WiredSharedManager, RefusedBySystemInChild) {
  auto result = testing_child::run_in_child([](std::string& report) {
    if (!testing_child::restrict_memlock(65536)) {
      report = "could not restrict RLIMIT_MEMLOCK and CAP_IPC_LOCK";
      return 2;
    }
    WiredMemoryManager& m = WiredMemoryManager::shared();
    WiredMemoryManager::configure_shared(
        {.shrink_cooldown = 0s, .baseline_override = std::nullopt});
    auto events = m.events();
    auto policy = std::make_shared<WiredSumPolicy>("kv");
    auto real = [] { return std::to_string(allocator::detail::get_wired_limit()); };
    WiredMemoryTicket small = policy->ticket(32768);
    report += "small " + std::to_string(small.start());
    report += " real " + real() + "\n";
    WiredMemoryTicket big = policy->ticket(size_t{1} << 20);
    report += "big " + std::to_string(big.start());
    report += " real " + real() + "\n";
    for (const auto& e : events.drain()) {
      if (e.kind == Kind::limit_apply_failed) {
        report += e.message + "\n";
      }
    }
    big.end();
    report += "end " + std::to_string(small.end());
    report += " real " + real();
    return 0;
  });
  EXPECT_EQ(result.exit_code, 0) << result.report;
  EXPECT_EQ(result.report,
            "small 32768 real 32768\n"
            "big 1081344 real 32768\n"
            "[set_wired_limit] Setting a wired limit of 1081344 bytes exceeds the system limit of "
            "65536 bytes (RLIMIT_MEMLOCK).\n"
            "end 0 real 0");
}

}  // namespace
