// The lease book's rules on a fake clock: who may report a lease, when leases wait for their
// holder, when they expire and whether the attempt is charged. No socket, no store, no sleeps.
#include "coordinator/lease_book.h"

#include <catch2/catch.hpp>
#include <string>

#include "common/sha256.h"

namespace emoscope {
namespace {

constexpr int64_t kLeaseMs = 1000;
const std::string kSessionA = std::string(32, 'a');
const std::string kSessionB = std::string(32, 'b');
const std::string kSessionC = std::string(32, 'c');

HelloMessage HelloWith(int64_t capacity, const std::string& session = "",
                       std::vector<LeaseClaim> claims = {}) {
  HelloMessage hello;
  hello.capacity = capacity;
  hello.session = session;
  hello.leases = std::move(claims);
  return hello;
}

WorkerUpdate Beat(const std::string& session) {
  WorkerUpdate update;
  update.session = session;
  return update;
}

}  // namespace

TEST_CASE("a lease is accepted only from its holder, in its session, and only once", "[lease_book]") {
  LeaseBook book(kLeaseMs);
  book.Recover(1, {}, {}, 0);
  book.Hello("w1", "", HelloWith(2), kSessionA, 0);
  book.Hello("w2", "", HelloWith(2), kSessionB, 0);
  const Grant grant = book.NewLease("w1", 7, 0);
  CHECK(grant.epoch == (int64_t{1} << 32) + 1);
  CHECK(grant.attempt == 1);
  CHECK(book.FreeSlots("w1") == 1);

  // Another worker, in its own valid session, cannot report it.
  CHECK(book.Outcome("w2", "", kSessionB, 7, grant.epoch, 10).verdict == OutcomeVerdict::kNotCurrent);
  // The holder's routing id without its session is not the holder.
  const OutcomeDecision forged = book.Outcome("w1", "", kSessionB, 7, grant.epoch, 10);
  CHECK(forged.verdict == OutcomeVerdict::kUnknownSession);
  CHECK(forged.lease_exists);
  // Under CURVE, the session with another key is not the holder either.
  CHECK(book.Outcome("w1", "some-other-key", kSessionA, 7, grant.epoch, 10).verdict ==
        OutcomeVerdict::kUnknownSession);
  // A wrong epoch is not the lease.
  CHECK(book.Outcome("w1", "", kSessionA, 7, grant.epoch + 1, 10).verdict == OutcomeVerdict::kNotCurrent);

  const OutcomeDecision accepted = book.Outcome("w1", "", kSessionA, 7, grant.epoch, 10);
  CHECK(accepted.verdict == OutcomeVerdict::kAccepted);
  CHECK(accepted.attempt == 1);
  CHECK_FALSE(book.Leased(7));
  CHECK(book.FreeSlots("w1") == 2);
  CHECK(book.Outcome("w1", "", kSessionA, 7, grant.epoch, 11).verdict == OutcomeVerdict::kNotCurrent);
}

TEST_CASE("epochs continue from the run number in the high bits and never repeat within a run",
          "[lease_book]") {
  LeaseBook book(kLeaseMs);
  book.Recover(5, {}, {}, 0);
  book.Hello("w", "", HelloWith(100), kSessionA, 0);
  int64_t previous = int64_t{5} << 32;
  for (int64_t task = 1; task <= 50; ++task) {
    const Grant grant = book.NewLease("w", task, task % 3);
    CHECK(grant.epoch == previous + 1);
    CHECK(grant.attempt == task % 3 + 1);
    previous = grant.epoch;
  }
}

TEST_CASE("a worker silent for more than lease_ms is lost and its leases expire with the attempt charged",
          "[lease_book]") {
  LeaseBook book(kLeaseMs);
  book.Recover(1, {}, {}, 0);
  book.Hello("w", "", HelloWith(4), kSessionA, 0);
  const Grant grant = book.NewLease("w", 3, 0);
  REQUIRE(book.Heard("w", "", Beat(kSessionA), 500));
  CHECK(book.Tick(500 + kLeaseMs).lost.empty());  // exactly lease_ms of silence is allowed
  const TickDecision decision = book.Tick(500 + kLeaseMs + 1);
  REQUIRE(decision.lost == std::vector<std::string>{"w"});
  REQUIRE(decision.expired.size() == 1);
  CHECK(decision.expired[0].task_id == 3);
  CHECK(decision.expired[0].epoch == grant.epoch);
  CHECK(decision.expired[0].charged);
  CHECK(book.Worker("w") == nullptr);
  CHECK_FALSE(book.Heard("w", "", Beat(kSessionA), 1600));  // it must say hello again
}

TEST_CASE("a worker that says bye returns its leases uncharged", "[lease_book]") {
  LeaseBook book(kLeaseMs);
  book.Recover(1, {}, {}, 0);
  book.Hello("w", "", HelloWith(4), kSessionA, 0);
  book.NewLease("w", 1, 0);
  book.NewLease("w", 2, 0);
  const std::vector<LeaseEnd> returned = book.Leave("w");
  REQUIRE(returned.size() == 2);
  CHECK_FALSE(returned[0].charged);
  CHECK_FALSE(returned[1].charged);
  CHECK(book.leases().empty());
  CHECK(book.Worker("w") == nullptr);
}

TEST_CASE("an unreachable worker's leases wait lease_ms for its hello and then expire charged",
          "[lease_book]") {
  LeaseBook book(kLeaseMs);
  book.Recover(1, {}, {}, 0);
  book.Hello("w", "", HelloWith(4), kSessionA, 0);
  const Grant kept = book.NewLease("w", 1, 0);
  const Grant never_arrived = book.NewLease("w", 2, 0);
  CHECK(book.Detach("w", 100) == 2);
  CHECK(book.Worker("w") == nullptr);
  // While waiting, not even the holder's outcome counts until it proves its session again.
  CHECK(book.Outcome("w", "", kSessionA, 1, kept.epoch, 150).verdict == OutcomeVerdict::kUnknownSession);

  SECTION("it comes back with one lease: that one is re-adopted, the other ends uncharged") {
    const HelloDecision decision =
        book.Hello("w", "", HelloWith(4, kSessionA, {{1, kept.epoch}}), kSessionB, 200);
    CHECK(decision.readopted == std::vector<int64_t>{1});
    CHECK(decision.revoked.empty());
    REQUIRE(decision.dropped.size() == 1);
    CHECK(decision.dropped[0].task_id == 2);
    CHECK(decision.dropped[0].epoch == never_arrived.epoch);
    CHECK_FALSE(decision.dropped[0].charged);
    CHECK(book.Outcome("w", "", kSessionB, 1, kept.epoch, 250).verdict == OutcomeVerdict::kAccepted);
  }
  SECTION("it does not come back: both expire charged just after the deadline") {
    CHECK(book.Tick(100 + kLeaseMs).expired.empty());
    const TickDecision decision = book.Tick(100 + kLeaseMs + 1);
    REQUIRE(decision.expired.size() == 2);
    CHECK(decision.expired[0].charged);
    CHECK(decision.expired[1].charged);
  }
}

TEST_CASE("a connection taking over a routing id gets none of its leases, and the holder takes them back",
          "[lease_book]") {
  LeaseBook book(kLeaseMs);
  book.Recover(1, {}, {}, 0);
  book.Hello("w", "", HelloWith(4), kSessionA, 0);
  const Grant grant = book.NewLease("w", 9, 0);
  // The impostor knows the task and epoch but not the session.
  const HelloDecision impostor =
      book.Hello("w", "", HelloWith(4, kSessionC, {{9, grant.epoch}}), kSessionB, 10);
  CHECK(impostor.readopted.empty());
  REQUIRE(impostor.revoked.size() == 1);
  CHECK(impostor.dropped.empty());
  CHECK(book.Outcome("w", "", kSessionB, 9, grant.epoch, 20).verdict == OutcomeVerdict::kNotCurrent);
  // The real holder answers the reset with a hello proving session A.
  const HelloDecision holder =
      book.Hello("w", "", HelloWith(4, kSessionA, {{9, grant.epoch}}), kSessionC, 30);
  CHECK(holder.readopted == std::vector<int64_t>{9});
  CHECK(book.Outcome("w", "", kSessionC, 9, grant.epoch, 40).verdict == OutcomeVerdict::kAccepted);
}

TEST_CASE("a hello listing one lease twice re-adopts it once and revokes nothing", "[lease_book]") {
  LeaseBook book(kLeaseMs);
  book.Recover(1, {}, {}, 0);
  book.Hello("w", "", HelloWith(4), kSessionA, 0);
  const Grant grant = book.NewLease("w", 5, 0);
  const HelloDecision decision =
      book.Hello("w", "", HelloWith(4, kSessionA, {{5, grant.epoch}, {5, grant.epoch}}), kSessionB, 10);
  CHECK(decision.readopted == std::vector<int64_t>{5});
  CHECK(decision.revoked.empty());  // revoking it would make the worker drop a lease it still holds
  CHECK(book.Outcome("w", "", kSessionB, 5, grant.epoch, 20).verdict == OutcomeVerdict::kAccepted);
}

TEST_CASE("under CURVE a hello with the right session but another key re-adopts nothing", "[lease_book]") {
  LeaseBook book(kLeaseMs);
  book.Recover(1, {}, {}, 0);
  book.Hello("w", "key-a", HelloWith(4), kSessionA, 0);
  const Grant grant = book.NewLease("w", 4, 0);
  const HelloDecision other =
      book.Hello("w", "key-b", HelloWith(4, kSessionA, {{4, grant.epoch}}), kSessionB, 5);
  CHECK(other.readopted.empty());
  CHECK(other.revoked.size() == 1);
  CHECK(other.dropped.empty());  // not its session's leases: they keep waiting for key-a
  CHECK(book.Leased(4));
}

TEST_CASE(
    "leases from the store are re-adopted by the session whose digest was stored and expire uncharged "
    "otherwise",
    "[lease_book]") {
  const int64_t epoch = (int64_t{1} << 32) + 17;
  std::map<std::string, StoredSession> sessions = {{"w", {Sha256Hex(kSessionA), ""}}};
  std::vector<StoredLease> leases = {{1, epoch, "w", 1}, {2, epoch + 1, "w", 2}};

  SECTION("the holder proves its stored session") {
    LeaseBook book(kLeaseMs);
    book.Recover(2, leases, sessions, 0);
    const HelloDecision decision = book.Hello("w", "", HelloWith(4, kSessionA, {{1, epoch}}), kSessionB, 10);
    CHECK(decision.readopted == std::vector<int64_t>{1});
    CHECK(decision.dropped.empty());  // lease 2 keeps waiting for its deadline
    CHECK(book.NewLease("w", 3, 0).epoch == (int64_t{2} << 32) + 1);
    const TickDecision tick = book.Tick(kLeaseMs + 1);
    REQUIRE(tick.expired.size() == 1);
    CHECK(tick.expired[0].task_id == 2);
    CHECK_FALSE(tick.expired[0].charged);
  }
  SECTION("a hello with another session, or none, takes nothing") {
    LeaseBook book(kLeaseMs);
    book.Recover(2, leases, sessions, 0);
    CHECK(book.Hello("w", "", HelloWith(4, kSessionC, {{1, epoch}}), kSessionB, 10).readopted.empty());
    CHECK(book.Hello("w", "", HelloWith(4, "", {{1, epoch}}), kSessionB, 20).readopted.empty());
    CHECK(book.Hello("x", "", HelloWith(4, kSessionA, {{1, epoch}}), kSessionC, 30).readopted.empty());
    CHECK(book.Tick(kLeaseMs + 1).expired.size() == 2);
  }
}

TEST_CASE("a long stall shifts every deadline and last-heard time so nobody is blamed for it",
          "[lease_book]") {
  LeaseBook book(kLeaseMs);
  book.Recover(1, {{1, 5, "w", 1}}, {}, 0);
  book.Hello("v", "", HelloWith(1), kSessionA, 0);
  book.Shift(5000);
  const TickDecision decision = book.Tick(5000 + kLeaseMs);
  CHECK(decision.lost.empty());
  CHECK(decision.expired.empty());
  CHECK(book.Tick(5000 + kLeaseMs + 1).expired.size() == 1);
}

TEST_CASE("refused events are allowed 100 per peer per minute, and the window starts again after it",
          "[lease_book]") {
  LeaseBook book(kLeaseMs);
  int allowed = 0;
  for (int i = 0; i < 250; ++i) allowed += book.AllowRefusedEvent("p", 1000) ? 1 : 0;
  CHECK(allowed == LeaseBook::kRefusedEventsPerPeer);
  CHECK(book.AllowRefusedEvent("q", 1000));  // the budget is per peer
  CHECK_FALSE(book.AllowRefusedEvent("p", 1000 + LeaseBook::kRefusedEventWindowMs));
  CHECK(book.AllowRefusedEvent("p", 1000 + LeaseBook::kRefusedEventWindowMs + 1));
}

TEST_CASE("a worker's free slots are its capacity less its leases, never negative", "[lease_book]") {
  LeaseBook book(kLeaseMs);
  book.Recover(1, {}, {}, 0);
  CHECK(book.FreeSlots("nobody") == 0);
  book.Hello("w", "", HelloWith(2), kSessionA, 0);
  book.NewLease("w", 1, 0);
  book.NewLease("w", 2, 0);
  CHECK(book.FreeSlots("w") == 0);
  WorkerUpdate draining = Beat(kSessionA);
  draining.capacity = 0;
  REQUIRE(book.Heard("w", "", draining, 1));
  CHECK(book.FreeSlots("w") == 0);
}

}  // namespace emoscope
