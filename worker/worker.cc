#include "worker/worker.h"

#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <zmq_addon.hpp>

#include "common/log.h"
#include "emoscope_version.h"
#include "protocol/message.h"
#include "protocol/message_schema.h"
#include "schema/database.h"
#include "worker/model_cache.h"

namespace emoscope {
namespace {

std::atomic<int> g_drain_signal{0};
extern "C" void OnDrainSignal(int signal_number) { g_drain_signal.store(signal_number); }

struct Job {
  TaskContext context;
  std::string inputs_error;  // the coordinator could not gather the task's inputs
  std::shared_ptr<std::atomic<bool>> cancel;
};

struct Completion {
  int64_t task_id = 0;
  int64_t epoch = 0;
  bool ok = false;
  TaskOutput output;
  std::string error;
  bool retryable = true;
};

// The executor threads: they take jobs from a queue and hand completions back to the socket
// thread, waking it through an eventfd it polls next to the socket.
class Executor {
 public:
  Executor(int threads, const TaskRegistry& registry)
      : registry_(registry), wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (wake_fd_ < 0) Fail("eventfd failed");
    for (int index = 0; index < threads; ++index) threads_.emplace_back([this] { Loop(); });
  }
  ~Executor() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      for (Job& job : queue_) job.cancel->store(true);
    }
    ready_.notify_all();
    for (std::thread& thread : threads_) thread.join();
    ::close(wake_fd_);
  }

  int wake_fd() const { return wake_fd_; }

  void Push(Job job) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::move(job));
    }
    ready_.notify_one();
  }

  // Jobs not started yet, removed from the queue (a drain returns them).
  std::vector<Job> TakeUnstarted() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Job> out(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
    queue_.clear();
    return out;
  }

  // Removes a queued job; false when it is running or gone already.
  bool Remove(int64_t task_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = std::find_if(queue_.begin(), queue_.end(),
                           [&](const Job& job) { return job.context.task_id == task_id; });
    if (it == queue_.end()) return false;
    queue_.erase(it);
    return true;
  }

  // Latest progress per running task, (epoch, fraction); cleared by the call.
  std::map<int64_t, std::pair<int64_t, double>> TakeProgress() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::map<int64_t, std::pair<int64_t, double>> out;
    out.swap(progress_);
    return out;
  }

  std::vector<Completion> TakeCompletions() {
    uint64_t count = 0;
    if (::read(wake_fd_, &count, sizeof(count)) < 0) {
      // EAGAIN: nothing signalled since the last read; the queue may still hold completions.
    }
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Completion> out(std::make_move_iterator(done_.begin()), std::make_move_iterator(done_.end()));
    done_.clear();
    return out;
  }

 private:
  void Loop() {
    while (true) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      Completion completion = Execute(job);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        done_.push_back(std::move(completion));
      }
      const uint64_t one = 1;
      if (::write(wake_fd_, &one, sizeof(one)) < 0) {
        // The counter cannot overflow in practice; the socket thread also polls on a timer.
      }
    }
  }

  Completion Execute(Job& job) {
    Completion completion;
    completion.task_id = job.context.task_id;
    completion.epoch = job.context.epoch;
    job.context.cancel = job.cancel.get();
    const int64_t task_id = job.context.task_id;
    const int64_t epoch = job.context.epoch;
    job.context.progress = [this, task_id, epoch](double fraction) {
      std::lock_guard<std::mutex> lock(mutex_);
      progress_[task_id] = {epoch, fraction};
    };
    const TaskFunction* function = registry_.Find(job.context.kind);
    spdlog::debug("task {} started (kind {}, epoch {}, attempt {})", task_id, job.context.kind, epoch,
                  job.context.attempt);
    try {
      if (function == nullptr)
        throw TaskFailed("task kind '" + job.context.kind + "' is not known to this worker", true);
      if (!job.inputs_error.empty()) throw TaskFailed("inputs: " + job.inputs_error, /*retryable=*/false);
      completion.output = (*function)(job.context);
      completion.ok = true;
    } catch (const TaskFailed& failure) {
      completion.error = failure.what();
      completion.retryable = failure.retryable();
    } catch (const std::exception& error) {
      completion.error = error.what();
    } catch (...) {
      completion.error = "unknown exception";
    }
    return completion;
  }

  const TaskRegistry& registry_;
  int wake_fd_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Job> queue_;                                   // guarded by mutex_
  std::deque<Completion> done_;                             // guarded by mutex_
  std::map<int64_t, std::pair<int64_t, double>> progress_;  // guarded by mutex_
  bool stopping_ = false;                                   // guarded by mutex_
  std::vector<std::thread> threads_;
};

std::string DefaultIdentity() {
  char host[256] = {0};
  ::gethostname(host, sizeof(host) - 1);
  std::random_device random;
  return fmt::format("{}:{}:{:04x}", host, ::getpid(), random() & 0xffff);
}

class WorkerLoop {
 public:
  WorkerLoop(const WorkerOptions& options, const TaskRegistry& registry)
      : options_(options),
        registry_(registry),
        identity_(options.identity.empty() ? DefaultIdentity() : options.identity),
        models_(static_cast<size_t>(options.model_cache_size)),
        executor_(std::max(1, options.slots), registry),
        heartbeat_ms_(options.heartbeat_ms),
        lease_ms_(options.lease_ms),
        rng_(std::random_device{}()) {}

  int Run() {
    Connect();
    next_heartbeat_ = NowMs() + heartbeat_ms_;
    int64_t reconnect_delay = options_.reconnect_min_ms;
    int64_t reconnect_at = 0;  // when the coordinator has been silent: the time of the next new socket
    while (true) {
      if (g_drain_signal.load() != 0 && !draining_)
        StartDrain(fmt::format("signal {}", g_drain_signal.load()));
      // A drain ends when nothing is held any more, but not before tasks the coordinator
      // dispatched before it saw the capacity-0 request have had time to arrive (they are handed
      // back as they come); or at the drain deadline.
      if (draining_ && ((held_.empty() && NowMs() >= drain_settled_at_) || NowMs() > drain_deadline_)) break;
      std::vector<zmq::pollitem_t> items = {{socket_->handle(), 0, ZMQ_POLLIN, 0},
                                            {nullptr, executor_.wake_fd(), ZMQ_POLLIN, 0}};
      PollIgnoringSignals(items, std::chrono::milliseconds(std::max(10, heartbeat_ms_ / 4)));
      while (true) {
        std::vector<zmq::message_t> frames;
        if (!zmq::recv_multipart(*socket_, std::back_inserter(frames), zmq::recv_flags::dontwait)) break;
        last_heard_ = NowMs();
        reconnect_delay = options_.reconnect_min_ms;
        reconnect_at = 0;
        HandleFrames(frames);
      }
      for (Completion& completion : executor_.TakeCompletions()) Report(completion);
      const int64_t now = NowMs();
      if (now >= next_heartbeat_) {
        Message heartbeat(MessageType::kHeartbeat, {{"loaded_models", models_.Loaded()}});
        Send(heartbeat);
        for (const auto& [task_id, progress] : executor_.TakeProgress()) {
          auto held = held_.find(task_id);
          if (held == held_.end() || held->second.epoch != progress.first ||
              held->second.state != HeldState::kQueued)
            continue;
          Message message(MessageType::kProgress,
                          {{"task_id", task_id}, {"epoch", progress.first}, {"fraction", progress.second}});
          Send(message);
        }
        ResendStale(now);
        next_heartbeat_ = now + heartbeat_ms_;
      }
      if (reconnect_at == 0 && now - last_heard_ > lease_ms_) {
        // The coordinator is gone or cut off: a fresh socket, after a backoff with jitter. The
        // backoff is not a sleep: the loop keeps reading the current socket and beating, so a
        // coordinator that comes up meanwhile (and already has this worker's hello, queued on that
        // socket) sees a live worker instead of one that is silent past its lease.
        std::uniform_int_distribution<int64_t> jitter(reconnect_delay / 2, reconnect_delay);
        const int64_t delay = jitter(rng_);
        spdlog::warn("worker {}: coordinator silent for {} ms; reconnecting in {} ms", identity_,
                     now - last_heard_, delay);
        reconnect_at = now + delay;
      }
      if (reconnect_at != 0 && now >= reconnect_at) {
        reconnect_at = 0;
        reconnect_delay = std::min<int64_t>(reconnect_delay * 2, options_.reconnect_max_ms);
        Connect();
      }
    }
    Message bye(MessageType::kBye, nlohmann::json::object());
    Send(bye);
    if (!held_.empty())
      spdlog::warn("worker {}: drain timed out with {} unacknowledged leases", identity_, held_.size());
    spdlog::info("worker {} stopped after {} tasks", identity_, tasks_done_);
    return 0;
  }

 private:
  enum class HeldState { kQueued, kReported };
  struct Held {
    int64_t epoch = 0;
    HeldState state = HeldState::kQueued;
    std::shared_ptr<std::atomic<bool>> cancel;
    nlohmann::json report;  // the result/failure/return header, kept until acknowledged
    std::vector<std::string> blobs;
    MessageType report_type = MessageType::kResult;
    int64_t reported_at = 0;
  };

  void Connect() {
    socket_.emplace(context_, zmq::socket_type::dealer);
    socket_->set(zmq::sockopt::routing_id, identity_);
    socket_->set(zmq::sockopt::linger, 0);
    socket_->set(zmq::sockopt::maxmsgsize, kMaxMessageBytes);
    socket_->set(zmq::sockopt::sndhwm, 100000);
    ApplyCurveClient(*socket_, options_.curve);
    socket_->connect(options_.endpoint);
    last_heard_ = NowMs();
    SendHello();
  }

  void SendHello() {
    hello_sent_at_ = NowMs();
    awaiting_welcome_ = true;
    nlohmann::json leases = nlohmann::json::array();
    for (const auto& [task_id, held] : held_) leases.push_back({{"task_id", task_id}, {"epoch", held.epoch}});
    const long pages = ::sysconf(_SC_PHYS_PAGES);
    const long page_size = ::sysconf(_SC_PAGE_SIZE);
    char host[256] = {0};
    ::gethostname(host, sizeof(host) - 1);
    nlohmann::json info = {
        {"host", host},
        {"pid", static_cast<int64_t>(::getpid())},
        {"device", options_.device},
        {"memory_bytes",
         options_.memory_bytes > 0 ? options_.memory_bytes : static_cast<int64_t>(pages) * page_size},
        {"versions", {{"code", EMOSCOPE_CODE_VERSION}, {"protocol", kProtocolVersion}}},
        {"kinds", registry_.Kinds()}};
    Message hello(
        MessageType::kHello,
        {{"capacity", Capacity()}, {"leases", leases}, {"loaded_models", models_.Loaded()}, {"info", info}});
    Send(hello);
  }

  int64_t Capacity() const { return draining_ ? 0 : options_.slots + options_.prefetch; }

  // Every message carries the session of the last welcome (a hello carries it too, so the
  // coordinator can give this worker its leases back after a reconnect or a restart).
  void Send(Message& message) {
    if (!session_.empty()) message.body["session"] = session_;
    std::vector<zmq::message_t> frames = EncodeMessage(message);
    try {
      zmq::send_multipart(*socket_, frames, zmq::send_flags::dontwait);
    } catch (const zmq::error_t& error) {
      // Not sent: reports are resent until acknowledged, heartbeats are periodic anyway.
      spdlog::debug("worker {}: send failed: {}", identity_, error.what());
    }
  }

  void SendReport(Held& held) {
    Message message(held.report_type, held.report);
    for (const std::string& blob : held.blobs) message.blobs.emplace_back(blob.data(), blob.size());
    held.reported_at = NowMs();
    Send(message);
  }

  void HandleFrames(std::vector<zmq::message_t>& frames) {
    DecodeResult decoded = DecodeMessage(frames, 0);
    if (!decoded.message) {
      spdlog::warn("worker {}: ignoring a malformed message from the coordinator: {}", identity_,
                   decoded.error);
      return;
    }
    Message& message = *decoded.message;
    try {
      switch (message.type) {
        case MessageType::kWelcome: {
          // Timings out of range (lease_ms <= 0, ...) refuse the whole welcome: nothing adopted.
          const WelcomeMessage welcome = ParseWelcome(message);
          heartbeat_ms_ = static_cast<int>(welcome.heartbeat_ms);
          lease_ms_ = static_cast<int>(welcome.lease_ms);
          session_ = welcome.session;
          awaiting_welcome_ = false;
          // The coordinator's period may be shorter than ours: the next beat must not be late.
          next_heartbeat_ = std::min<int64_t>(next_heartbeat_, NowMs() + heartbeat_ms_);
          for (const LeaseClaim& entry : welcome.revoked) Revoke(entry.task_id, entry.epoch);
          for (auto& [task_id, held] : held_) {
            if (held.state == HeldState::kReported) SendReport(held);
          }
          break;
        }
        case MessageType::kTask:
          Accept(message);
          break;
        case MessageType::kAck:
          for (const auto& entry : RequireArray(message, "acks")) {
            const int64_t task_id = entry.value("task_id", int64_t{0});
            auto held = held_.find(task_id);
            if (held == held_.end() || held->second.epoch != entry.value("epoch", int64_t{-1})) continue;
            if (!entry.value("accepted", false)) {
              spdlog::info("worker {}: task {} outcome refused: {}", identity_, task_id,
                           entry.value("reason", ""));
            }
            if (held->second.state == HeldState::kReported) held_.erase(held);
          }
          break;
        case MessageType::kReset: {
          // A reset answers one message the coordinator did not accept from this session. Every
          // hello starts a new session, so the messages still in flight under the old one are
          // each answered `reset` too: a hello for each would start a session for each, and so
          // on (a storm of hellos, seen after coordinator restarts). So a reset about a session
          // this worker has already replaced is ignored, and so is one while a hello awaits its
          // welcome (unless the hello looks lost).
          const auto about = message.body.find("session");
          if (about != message.body.end() && about->is_string() && !about->get<std::string>().empty() &&
              about->get<std::string>() != session_)
            break;
          if (awaiting_welcome_ && NowMs() - hello_sent_at_ < std::max(100, heartbeat_ms_)) break;
          SendHello();
          break;
        }
        case MessageType::kHeartbeat:
          break;
        case MessageType::kError:
          spdlog::warn("worker {}: coordinator rejected a message: {}", identity_,
                       message.body.value("reason", "?"));
          break;
        default:
          spdlog::warn("worker {}: unexpected {} message", identity_, MessageTypeName(message.type));
      }
    } catch (const ProtocolError& error) {
      spdlog::warn("worker {}: bad message from the coordinator: {}", identity_, error.what());
    }
  }

  void Accept(const Message& message) {
    Job job;
    job.context.task_id = RequireInt(message, "task_id");
    job.context.epoch = RequireInt(message, "epoch");
    job.context.attempt = message.body.value("attempt", int64_t{1});
    job.context.kind = RequireString(message, "kind");
    job.context.params = message.body.value("params", nlohmann::json::object());
    job.context.inputs = message.body.value("inputs", nlohmann::json::object());
    job.inputs_error = message.body.value("inputs_error", "");
    for (const zmq::message_t& blob : message.blobs) {
      job.context.input_blobs.emplace_back(static_cast<const char*>(blob.data()), blob.size());
    }
    if (auto model = message.body.find("model"); model != message.body.end() && model->is_object()) {
      job.context.model = ModelRef{model->value("path", ""), model->value("checksum", "")};
    }
    job.context.worker = identity_;
    job.context.models = &models_;
    job.cancel = std::make_shared<std::atomic<bool>>(false);
    Held& held = held_[job.context.task_id];
    if (held.cancel) held.cancel->store(true);  // A newer lease on the same task replaces the old.
    held = Held();
    held.epoch = job.context.epoch;
    held.cancel = job.cancel;
    if (draining_) {
      held.report_type = MessageType::kReturn;
      held.report = {{"task_id", job.context.task_id}, {"epoch", job.context.epoch}};
      held.state = HeldState::kReported;
      SendReport(held);
      return;
    }
    executor_.Push(std::move(job));
  }

  void Revoke(int64_t task_id, int64_t epoch) {
    auto held = held_.find(task_id);
    if (held == held_.end() || held->second.epoch != epoch) return;
    executor_.Remove(task_id);
    if (held->second.cancel) held->second.cancel->store(true);
    held_.erase(held);
  }

  void Report(Completion& completion) {
    auto found = held_.find(completion.task_id);
    if (found == held_.end() || found->second.epoch != completion.epoch ||
        found->second.state != HeldState::kQueued) {
      return;  // Revoked meanwhile: the coordinator gave this task to someone else.
    }
    Held& held = found->second;
    held.state = HeldState::kReported;
    if (completion.ok) {
      held.report_type = MessageType::kResult;
      held.report = {{"task_id", completion.task_id},
                     {"epoch", completion.epoch},
                     {"rows", std::move(completion.output.rows)}};
      held.blobs = std::move(completion.output.blobs);
    } else {
      held.report_type = MessageType::kFailure;
      held.report = {{"task_id", completion.task_id},
                     {"epoch", completion.epoch},
                     {"error", completion.error},
                     {"retryable", completion.retryable}};
    }
    SendReport(held);
    ++tasks_done_;
    if (options_.max_tasks > 0 && tasks_done_ >= options_.max_tasks && !draining_)
      StartDrain("max_tasks reached");
  }

  void ResendStale(int64_t now) {
    for (auto& [task_id, held] : held_) {
      if (held.state == HeldState::kReported && now - held.reported_at > lease_ms_) SendReport(held);
    }
  }

  void StartDrain(const std::string& why) {
    draining_ = true;
    drain_deadline_ = NowMs() + options_.drain_ms;
    drain_settled_at_ = NowMs() + std::max(200, 2 * heartbeat_ms_);
    spdlog::info("worker {}: draining ({})", identity_, why);
    Message request(MessageType::kRequest, {{"capacity", 0}});
    Send(request);
    for (Job& job : executor_.TakeUnstarted()) {
      auto held = held_.find(job.context.task_id);
      if (held == held_.end()) continue;
      held->second.report_type = MessageType::kReturn;
      held->second.report = {{"task_id", job.context.task_id}, {"epoch", job.context.epoch}};
      held->second.state = HeldState::kReported;
      SendReport(held->second);
    }
  }

  const WorkerOptions options_;
  const TaskRegistry& registry_;
  const std::string identity_;
  ModelCache models_;
  zmq::context_t context_;
  std::optional<zmq::socket_t> socket_;
  std::map<int64_t, Held> held_;  // every lease this worker holds, until acknowledged
  // Declared after everything its threads read, so it stops (joins) first.
  Executor executor_;
  int heartbeat_ms_;
  int lease_ms_;
  std::string session_;            // from the last welcome; "" before the first
  bool awaiting_welcome_ = false;  // a hello was sent and its welcome has not come yet
  int64_t hello_sent_at_ = 0;
  int64_t last_heard_ = 0;
  int64_t next_heartbeat_ = 0;
  bool draining_ = false;
  int64_t drain_deadline_ = 0;
  int64_t drain_settled_at_ = 0;  // a drain waits at least until then for tasks still in flight
  int64_t tasks_done_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace

int RunWorker(const WorkerOptions& options, const TaskRegistry& registry) {
  if (options.slots < 1) Fail("worker: slots must be at least 1, got {}", options.slots);
  if (options.prefetch < 0) Fail("worker: prefetch must not be negative, got {}", options.prefetch);
  if (options.curve.enabled()) {
    // Bad key files are bad options: said now, not on the first reconnect.
    zmq::context_t context;
    zmq::socket_t probe(context, zmq::socket_type::dealer);
    ApplyCurveClient(probe, options.curve);
  }
  g_drain_signal.store(0);
  struct sigaction action = {};
  action.sa_handler = OnDrainSignal;
  sigemptyset(&action.sa_mask);
  for (const int signal_number : {SIGTERM, SIGINT, SIGUSR1}) ::sigaction(signal_number, &action, nullptr);
  WorkerLoop loop(options, registry);
  return loop.Run();
}

}  // namespace emoscope
