#include "coordinator/lease_book.h"

#include <algorithm>

#include "common/sha256.h"

namespace emoscope {

std::string PrintableRoutingId(const std::string& routing_id) {
  std::string out;
  for (char c : routing_id) out += (c >= 32 && c < 127) ? c : '?';
  return out.substr(0, 80);
}

void LeaseBook::Recover(int64_t run, const std::vector<StoredLease>& leases,
                        std::map<std::string, StoredSession> sessions, int64_t now) {
  next_epoch_ = run << 32;
  for (const StoredLease& stored : leases) {
    Lease lease;
    lease.epoch = stored.epoch;
    lease.worker = stored.worker;
    lease.attempt = stored.attempts;
    lease.deadline = now + lease_ms_;
    lease.waiting = true;
    leases_[stored.task_id] = lease;
  }
  stored_sessions_ = std::move(sessions);
}

// `hello_digest` is computed on first use: only a lease from the store needs it.
bool LeaseBook::ProvesHolder(const std::string& peer, const std::string& key, const HelloMessage& hello,
                             const Lease& lease, std::string* hello_digest) const {
  if (hello.session.empty()) return false;
  if (!lease.session.empty())
    return lease.worker == peer && lease.key == key && lease.session == hello.session;
  const std::string printable = PrintableRoutingId(peer);
  if (lease.worker != printable) return false;
  auto stored = stored_sessions_.find(printable);
  if (stored == stored_sessions_.end() || stored->second.key != key) return false;
  if (hello_digest->empty()) *hello_digest = Sha256Hex(hello.session);
  return stored->second.digest == *hello_digest;
}

HelloDecision LeaseBook::Hello(const std::string& peer, const std::string& key, const HelloMessage& hello,
                               const std::string& new_session, int64_t now) {
  HelloDecision decision;
  decision.session = new_session;
  // The previous session under this routing id: its leases wait for their holder. If this hello
  // proves that session they are re-adopted below; if it is another connection that took the
  // routing id over, the holder comes back (its next message is answered `reset`) and takes them
  // back with its own hello.
  if (auto previous = workers_.find(peer); previous != workers_.end()) {
    for (const int64_t task_id : previous->second.leases) {
      auto lease = leases_.find(task_id);
      if (lease == leases_.end()) continue;
      lease->second.waiting = true;
      lease->second.deadline = now + lease_ms_;
    }
    workers_.erase(previous);
  }
  WorkerState& worker = workers_[peer];
  worker.capacity = hello.capacity;
  worker.session = new_session;
  worker.key = key;
  worker.last_seen = now;
  if (hello.loaded_models)
    worker.loaded_models.insert(hello.loaded_models->begin(), hello.loaded_models->end());
  std::string hello_digest;
  std::set<int64_t> listed;
  for (const LeaseClaim& claim : hello.leases) {
    // A repeated claim of a lease just re-adopted: nothing to do (judged again, it would fail,
    // the lease now being under the new session, and the welcome would revoke what it kept).
    if (listed.count(claim.task_id) > 0 && leases_.at(claim.task_id).epoch == claim.epoch) continue;
    auto lease = leases_.find(claim.task_id);
    if (lease != leases_.end() && lease->second.epoch == claim.epoch &&
        ProvesHolder(peer, key, hello, lease->second, &hello_digest)) {
      lease->second.worker = peer;
      lease->second.session = new_session;
      lease->second.key = key;
      lease->second.waiting = false;
      lease->second.charge_on_expiry = false;
      worker.leases.insert(claim.task_id);
      listed.insert(claim.task_id);
      decision.readopted.push_back(claim.task_id);
    } else {
      decision.revoked.push_back(claim);
    }
  }
  // Leases of this very session that it no longer lists: its holder is back and does not have
  // them (for a detached holder: the task never arrived), so nothing ran. A peer must not be able
  // to fail tasks by saying hello, so they end uncharged.
  std::vector<int64_t> dropped;
  for (const auto& [task_id, lease] : leases_) {
    if (lease.waiting && !lease.session.empty() && lease.session == hello.session && lease.worker == peer &&
        lease.key == key && listed.count(task_id) == 0)
      dropped.push_back(task_id);
  }
  std::sort(dropped.begin(), dropped.end());
  for (const int64_t task_id : dropped)
    decision.dropped.push_back(End(task_id, /*charged=*/false, "the worker said hello without it"));
  return decision;
}

const WorkerState* LeaseBook::Authenticated(const std::string& peer, const std::string& key,
                                            const std::string& session) const {
  auto worker = workers_.find(peer);
  if (worker == workers_.end() || session.empty() || worker->second.session != session ||
      worker->second.key != key)
    return nullptr;
  return &worker->second;
}

bool LeaseBook::Heard(const std::string& peer, const std::string& key, const WorkerUpdate& update,
                      int64_t now) {
  if (Authenticated(peer, key, update.session) == nullptr) return false;
  WorkerState& worker = workers_.at(peer);
  worker.last_seen = now;
  if (update.loaded_models)
    worker.loaded_models = std::set<std::string>(update.loaded_models->begin(), update.loaded_models->end());
  if (update.capacity) worker.capacity = *update.capacity;
  return true;
}

OutcomeDecision LeaseBook::Outcome(const std::string& peer, const std::string& key,
                                   const std::string& session, int64_t task_id, int64_t epoch, int64_t now) {
  OutcomeDecision decision;
  auto lease = leases_.find(task_id);
  if (Authenticated(peer, key, session) == nullptr) {
    decision.verdict = OutcomeVerdict::kUnknownSession;
    decision.lease_exists = lease != leases_.end() && lease->second.epoch == epoch;
    return decision;
  }
  WorkerState& worker = workers_.at(peer);
  worker.last_seen = now;
  if (lease == leases_.end() || lease->second.epoch != epoch || lease->second.worker != peer ||
      lease->second.session != session || lease->second.waiting) {
    decision.verdict = OutcomeVerdict::kNotCurrent;
    return decision;
  }
  decision.verdict = OutcomeVerdict::kAccepted;
  decision.attempt = lease->second.attempt;
  leases_.erase(lease);
  worker.leases.erase(task_id);
  return decision;
}

LeaseEnd LeaseBook::End(int64_t task_id, bool charged, const std::string& why) {
  auto lease = leases_.find(task_id);
  LeaseEnd end;
  end.task_id = task_id;
  end.epoch = lease->second.epoch;
  end.worker = lease->second.worker;
  end.charged = charged;
  end.why = why;
  leases_.erase(lease);
  return end;
}

std::vector<LeaseEnd> LeaseBook::Leave(const std::string& peer) {
  std::vector<LeaseEnd> returned;
  auto worker = workers_.find(peer);
  if (worker == workers_.end()) return returned;
  for (const int64_t task_id : worker->second.leases) {
    if (leases_.count(task_id) > 0) returned.push_back(End(task_id, /*charged=*/false, ""));
  }
  workers_.erase(worker);
  return returned;
}

size_t LeaseBook::Detach(const std::string& peer, int64_t now) {
  auto worker = workers_.find(peer);
  if (worker == workers_.end()) return 0;
  size_t waiting = 0;
  for (const int64_t task_id : worker->second.leases) {
    auto lease = leases_.find(task_id);
    if (lease == leases_.end()) continue;
    lease->second.waiting = true;
    lease->second.charge_on_expiry = true;
    lease->second.deadline = now + lease_ms_;
    ++waiting;
  }
  workers_.erase(worker);
  return waiting;
}

TickDecision LeaseBook::Tick(int64_t now) {
  TickDecision decision;
  for (const auto& [peer, worker] : workers_) {
    if (now - worker.last_seen > lease_ms_) decision.lost.push_back(peer);
  }
  for (const std::string& peer : decision.lost) {
    auto worker = workers_.find(peer);
    for (const int64_t task_id : worker->second.leases) {
      if (leases_.count(task_id) > 0)
        decision.expired.push_back(
            End(task_id, /*charged=*/true, "worker " + PrintableRoutingId(peer) + " lost"));
    }
    workers_.erase(worker);
  }
  std::vector<int64_t> orphaned;
  for (const auto& [task_id, lease] : leases_) {
    if (lease.waiting && now > lease.deadline) orphaned.push_back(task_id);
  }
  std::sort(orphaned.begin(), orphaned.end());
  for (const int64_t task_id : orphaned) {
    const bool charged = leases_.at(task_id).charge_on_expiry;
    decision.expired.push_back(
        End(task_id, charged,
            "its holder did not say hello again (coordinator restart, connection taken over, or holder "
            "unreachable)"));
  }
  for (auto it = refused_budget_.begin(); it != refused_budget_.end();)
    it = now - it->second.first > kRefusedEventWindowMs ? refused_budget_.erase(it) : std::next(it);
  return decision;
}

Grant LeaseBook::NewLease(const std::string& peer, int64_t task_id, int64_t attempts) {
  WorkerState& worker = workers_.at(peer);
  Lease lease;
  lease.epoch = ++next_epoch_;
  lease.worker = peer;
  lease.session = worker.session;
  lease.key = worker.key;
  lease.attempt = attempts + 1;
  leases_[task_id] = lease;
  worker.leases.insert(task_id);
  return {lease.epoch, lease.attempt};
}

int64_t LeaseBook::FreeSlots(const std::string& peer) const {
  auto worker = workers_.find(peer);
  if (worker == workers_.end()) return 0;
  return std::max<int64_t>(worker->second.capacity - static_cast<int64_t>(worker->second.leases.size()), 0);
}

const WorkerState* LeaseBook::Worker(const std::string& peer) const {
  auto worker = workers_.find(peer);
  return worker == workers_.end() ? nullptr : &worker->second;
}

void LeaseBook::Shift(int64_t ms) {
  for (auto& [peer, worker] : workers_) worker.last_seen += ms;
  for (auto& [task_id, lease] : leases_) lease.deadline += ms;
}

bool LeaseBook::AllowRefusedEvent(const std::string& peer, int64_t now) {
  auto [entry, fresh] = refused_budget_.try_emplace(peer, now, 0);
  auto& [window_start, count] = entry->second;
  if (!fresh && now - window_start > kRefusedEventWindowMs) {
    window_start = now;
    count = 0;
  }
  return ++count <= kRefusedEventsPerPeer;
}

}  // namespace emoscope
