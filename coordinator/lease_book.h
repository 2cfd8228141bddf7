// The coordinator's leases and workers as pure state: which worker holds which task under which
// fencing epoch and session, who is alive, which leases wait for their holder to come back.
// Every operation that depends on time takes it as an argument, and each returns its decision as a
// value (leases to expire, return or revoke); it writes nothing and sends nothing, so the rules are tested
// with a fake clock (tests/orchestrator/lease_book_test.cc) and the coordinator turns the decisions into
// store writes (task_store.h) and messages (coordinator_core.h).
//
// A lease is bound to its holder: the routing id, the session credential issued in the holder's
// welcome and, under CURVE, the public key it authenticated with. An outcome or a re-adoption
// counts only when all three match (docs/protocol.md, "Sessions"). A lease whose holder cannot be
// heard from (after a coordinator restart, after another connection took the holder's routing id
// over, or after the holder became unreachable) waits lease_ms for a hello that proves the
// holder's session, and is otherwise expired.
//
// Threading: not thread-safe; the coordinator's one thread owns it.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "protocol/message_schema.h"

namespace emoscope {

// A routing id as the store and the logs name it: printable ASCII, at most 80 characters.
std::string PrintableRoutingId(const std::string& routing_id);

struct Lease {
  int64_t epoch = 0;
  std::string worker;   // routing id of the holder (printable form for leases from the store)
  std::string session;  // the holder's session; "" for leases recovered from the store
  std::string key;      // the holder's CURVE public key (Z85); "" without CURVE
  int64_t attempt = 0;
  int64_t deadline = 0;           // only while waiting for the holder's hello
  bool waiting = false;           // waiting for its holder's hello (see the header comment)
  bool charge_on_expiry = false;  // unreachable holder: expiring by deadline charges the attempt
};

struct WorkerState {
  int64_t capacity = 0;
  std::string session;  // issued in the welcome; every later message must carry it
  std::string key;      // CURVE public key of the connection that said hello
  std::set<int64_t> leases;
  std::set<std::string> loaded_models;  // weight checksums
  int64_t last_seen = 0;
};

// A lease that ended without an outcome from its holder. `charged`: the attempt counts (the
// holder was lost, or never came back while unreachable); otherwise the task is queued again as
// if it had not been dispatched.
struct LeaseEnd {
  int64_t task_id = 0;
  int64_t epoch = 0;
  std::string worker;
  bool charged = false;
  std::string why;
};

// A running task as the previous run's store left it.
struct StoredLease {
  int64_t task_id = 0;
  int64_t epoch = 0;
  std::string worker;  // printable routing id
  int64_t attempts = 0;
};

// What the previous run wrote of a worker's session: the SHA-256 of the credential, and the
// CURVE key it was issued to ("" without CURVE).
struct StoredSession {
  std::string digest;
  std::string key;
};

struct HelloDecision {
  std::string session;              // the new session, for the welcome
  std::vector<int64_t> readopted;   // claims that proved their holder
  std::vector<LeaseClaim> revoked;  // claims that did not: the welcome tells the worker to drop them
  std::vector<LeaseEnd> dropped;    // this very session's leases it no longer lists (uncharged)
};

enum class OutcomeVerdict {
  kAccepted,        // the current lease of the sender: the lease ends, the outcome is recorded
  kNotCurrent,      // an authenticated worker, but not the current lease's holder
  kUnknownSession,  // the sender did not prove a session under its routing id
};

struct OutcomeDecision {
  OutcomeVerdict verdict = OutcomeVerdict::kNotCurrent;
  int64_t attempt = 0;        // kAccepted: the lease's attempt
  bool lease_exists = false;  // kUnknownSession: a lease with this task and epoch exists
};

struct TickDecision {
  std::vector<std::string> lost;  // workers silent longer than lease_ms, now forgotten
  std::vector<LeaseEnd> expired;  // their leases (charged), then waiting leases past their deadline
};

struct Grant {
  int64_t epoch = 0;
  int64_t attempt = 0;
};

class LeaseBook {
 public:
  explicit LeaseBook(int64_t lease_ms) : lease_ms_(lease_ms) {}

  // A new run: epochs continue from run << 32 (no two leases ever share one, across crashes),
  // and the previous run's running tasks wait lease_ms from `now` for their holder's hello.
  void Recover(int64_t run, const std::vector<StoredLease>& leases,
               std::map<std::string, StoredSession> sessions, int64_t now);

  // A hello starts a new session (`new_session`) under `peer`. The previous session's leases wait
  // for their holder; each claim that proves its holder (same routing id, key and session, or
  // for a lease from the store the session whose SHA-256 the previous run wrote) is re-adopted,
  // the others revoked. Leases of the hello's own session it no longer lists end uncharged: its
  // holder is back and does not have them.
  HelloDecision Hello(const std::string& peer, const std::string& key, const HelloMessage& hello,
                      const std::string& new_session, int64_t now);

  // The worker `peer` when it proves its session (and comes with its key); nullptr otherwise.
  const WorkerState* Authenticated(const std::string& peer, const std::string& key,
                                   const std::string& session) const;

  // A request, heartbeat, progress or bye from an authenticated worker: alive at `now`, with its
  // new capacity and loaded models. False (nothing changed) when it is not authenticated.
  bool Heard(const std::string& peer, const std::string& key, const WorkerUpdate& update, int64_t now);

  // A result, failure or return for (task_id, epoch). Accepted only from the current lease's
  // holder, in its session, while the lease is not waiting; then the lease ends.
  OutcomeDecision Outcome(const std::string& peer, const std::string& key, const std::string& session,
                          int64_t task_id, int64_t epoch, int64_t now);

  // A worker that said bye: its leases are returned (uncharged) and it is forgotten.
  std::vector<LeaseEnd> Leave(const std::string& peer);

  // A worker that cannot be reached: its leases wait lease_ms for it to say hello again, and are
  // charged if it does not (a task that kills its worker must run out of attempts). Returns how
  // many leases wait; the worker is forgotten.
  size_t Detach(const std::string& peer, int64_t now);

  // Workers silent longer than lease_ms are lost (their leases expire charged); waiting leases
  // past their deadline expire (charged only when their holder was unreachable).
  TickDecision Tick(int64_t now);

  // A new lease of `task_id` to `peer` (which must be known and have a free slot), with the
  // next epoch; `attempts` is how many the task has used so far.
  Grant NewLease(const std::string& peer, int64_t task_id, int64_t attempts);

  // Free slots of a known worker (capacity minus leases held; 0 for an unknown one).
  int64_t FreeSlots(const std::string& peer) const;
  bool Leased(int64_t task_id) const { return leases_.count(task_id) > 0; }
  const WorkerState* Worker(const std::string& peer) const;
  const std::map<std::string, WorkerState>& workers() const { return workers_; }
  const std::unordered_map<int64_t, Lease>& leases() const { return leases_; }

  // The loop stalled for `ms` (a long submission): nobody is held responsible for it.
  void Shift(int64_t ms);

  // Whether one more "refused" event from `peer` may be written: at most kRefusedEventsPerPeer
  // per kRefusedEventWindowMs (25,000 bogus claims in one hello were 25,000 rows).
  bool AllowRefusedEvent(const std::string& peer, int64_t now);

  static constexpr int64_t kRefusedEventsPerPeer = 100;
  static constexpr int64_t kRefusedEventWindowMs = 60000;

 private:
  bool ProvesHolder(const std::string& peer, const std::string& key, const HelloMessage& hello,
                    const Lease& lease, std::string* hello_digest) const;
  LeaseEnd End(int64_t task_id, bool charged, const std::string& why);

  int64_t lease_ms_;
  int64_t next_epoch_ = 0;
  std::map<std::string, WorkerState> workers_;
  std::unordered_map<int64_t, Lease> leases_;
  std::map<std::string, StoredSession> stored_sessions_;               // by printable routing id
  std::map<std::string, std::pair<int64_t, int64_t>> refused_budget_;  // window start, count
};

}  // namespace emoscope
