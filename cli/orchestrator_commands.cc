// The campaign commands. Exit codes: 0 ok (run: every task done), 1 error, 2 bad usage,
// 3 run finished with failed tasks, 130 run interrupted (run it again to resume).
#include "cli/orchestrator_commands.h"

#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "cli/dashboard_commands.h"
#include "common/args.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/log.h"
#include "common/progress.h"
#include "coordinator/control_client.h"
#include "coordinator/coordinator.h"
#include "coordinator/db_lock.h"
#include "emoscope_version.h"
#include "jobs/campaign.h"
#include "jobs/campaign_control.h"
#include "jobs/campaign_status.h"
#include "jobs/campaign_wire.h"
#include "jobs/submit.h"
#include "schema/database.h"
#include "worker/worker.h"

extern char** environ;

namespace emoscope {
namespace {

std::atomic<int> g_stop_signal{0};
std::atomic<Coordinator*> g_coordinator{nullptr};
extern "C" void OnRunStopSignal(int signal_number) {
  g_stop_signal.store(signal_number);
  if (Coordinator* coordinator = g_coordinator.load()) coordinator->Stop();
}

void InstallStopHandlers() {
  g_stop_signal.store(0);
  struct sigaction action = {};
  action.sa_handler = OnRunStopSignal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

void AddCoordinatorOptions(ArgParser& parser) {
  parser.Option("heartbeat-ms", "heartbeat period, both ways", "1000");
  parser.Option("lease-ms", "a worker silent this long loses its leases", "10000");
  parser.Option("retry-base-ms", "first retry delay (doubles per attempt, with jitter)", "1000");
  parser.Option("retry-max-ms", "longest retry delay", "60000");
  parser.Option("batch-max", "operations per write transaction, at most", "1024");
  parser.Option("batch-delay-ms", "longest wait before a pending write commits", "5");
  parser.Option("sync", "normal (survives process crashes) or full (also power loss)", "normal");
  parser.Option("max-db-mb", "stop dispatching when the store would grow past this size (0: no cap)", "0");
  parser.Flag("insecure", "allow a non-loopback --bind without CURVE (trusted networks only)");
}

void AddCurveServerOptions(ArgParser& parser) {
  parser.Option("curve-secret", "the coordinator's CURVE secret key file (emoscope keys generate)");
  parser.Option("curve-allow", "the allow-list: a folder of workers' *.pub files, or a file of public keys");
}

void AddCurveClientOptions(ArgParser& parser) {
  parser.Option("curve-server-key", "the coordinator's CURVE public key file (coordinator.pub)");
  parser.Option("curve-secret",
                "this peer's CURVE secret key file (its public key must be on the allow-list)");
}

CurveClientOptions ReadCurveClientOptions(const ParsedArgs& args) {
  CurveClientOptions curve;
  curve.server_key_file = args.GetOptional("curve-server-key").value_or("");
  curve.secret_file = args.GetOptional("curve-secret").value_or("");
  if (curve.enabled() && (curve.server_key_file.empty() || curve.secret_file.empty())) {
    throw UsageError("give both --curve-server-key and --curve-secret, or neither");
  }
  return curve;
}

int PositiveInt(const ParsedArgs& args, const std::string& name, int64_t min) {
  const int64_t value = args.GetInt(name);
  if (value < min || value > 1'000'000'000)
    throw UsageError(fmt::format("option --{}: {} is out of range", name, value));
  return static_cast<int>(value);
}

CoordinatorOptions ReadCoordinatorOptions(const ParsedArgs& args) {
  CoordinatorOptions options;
  options.heartbeat_ms = PositiveInt(args, "heartbeat-ms", 1);
  options.lease_ms = PositiveInt(args, "lease-ms", 1);
  options.retry_base_ms = PositiveInt(args, "retry-base-ms", 0);
  options.retry_max_ms = PositiveInt(args, "retry-max-ms", 0);
  options.batch_max = PositiveInt(args, "batch-max", 1);
  options.batch_delay_ms = PositiveInt(args, "batch-delay-ms", 0);
  const std::string sync = args.Get("sync");
  if (sync != "normal" && sync != "full")
    throw UsageError("option --sync: want normal or full, got '" + sync + "'");
  options.sync_full = sync == "full";
  options.max_db_bytes = static_cast<int64_t>(PositiveInt(args, "max-db-mb", 0)) << 20;
  options.insecure = args.Flag("insecure");
  return options;
}

// ---- coordinator ----

int CoordinatorCommand(const std::vector<std::string>& argv) {
  ArgParser parser("emoscope coordinator", "--db DB [--bind ENDPOINT] [options]");
  parser.Option("db", "the campaign database (created when missing)").Required();
  parser.Option("bind", "ZeroMQ endpoint to serve (non-loopback needs CURVE or --insecure)",
                "tcp://127.0.0.1:5555");
  AddCoordinatorOptions(parser);
  AddHttpOptions(parser);
  AddCurveServerOptions(parser);
  const ParsedArgs args = parser.Parse(argv);
  CoordinatorOptions options = ReadCoordinatorOptions(args);
  options.db_path = args.Get("db");
  options.bind = args.Get("bind");
  options.curve_secret_file = args.GetOptional("curve-secret").value_or("");
  options.curve_allow = args.GetOptional("curve-allow").value_or("");
  if (options.curve_secret_file.empty() != options.curve_allow.empty()) {
    throw UsageError("give both --curve-secret and --curve-allow, or neither");
  }
  std::optional<DatabaseLock> lock = DatabaseLock::TryAcquire(options.db_path);
  if (!lock) {
    Fail("{}: another coordinator serves this database (at {})", options.db_path,
         DatabaseLock::RunningCoordinator(options.db_path).value_or("an unknown endpoint"));
  }
  Coordinator coordinator(options);
  // The dashboard reads the store through its own read-only connections; the coordinator (opened
  // above, so the schema is migrated) stays the only writer.
  const std::unique_ptr<HttpServer> dashboard = StartDashboard(args, options.db_path);
  // Recorded last: whoever finds the endpoint through the lock (clients, tests) finds a coordinator
  // that is fully up.
  lock->WriteEndpoint(coordinator.endpoint());
  InstallStopHandlers();
  g_coordinator.store(&coordinator);
  if (g_stop_signal.load() != 0) coordinator.Stop();
  std::printf("coordinator listening on %s\n", coordinator.endpoint().c_str());
  std::fflush(stdout);
  coordinator.Run();
  g_coordinator.store(nullptr);
  return kExitOk;
}

// ---- worker ----

int WorkerCommand(const std::vector<std::string>& argv, const std::function<TaskRegistry()>& make_registry,
                  const std::function<void(int64_t)>& set_threads) {
  ArgParser parser("emoscope worker", "--connect ENDPOINT [options]");
  parser.Option("connect", "the coordinator's endpoint", "tcp://127.0.0.1:5555");
  parser.Option("slots", "tasks run at once", "1");
  parser.Option("prefetch", "leases held beyond the running ones", "4");
  parser.Option("identity", "routing identity (default host:pid:random)");
  parser.Option("device", "device announced to the coordinator", "cpu");
  parser.Option("model-cache", "models kept loaded", "2");
  parser.Option("max-tasks", "drain and exit after this many tasks (0: never)", "0");
  parser.Option("drain-ms", "how long a drain waits for acknowledgements", "30000");
  parser.Option("parent-pid", "exit when this process dies (set by 'emoscope run' for its workers)", "0");
  parser.Option("threads", "CPU threads of model tasks (0: the cores not busy: cores minus the load average)",
                "0");
  AddCurveClientOptions(parser);
  const ParsedArgs args = parser.Parse(argv);
  if (const int parent = PositiveInt(args, "parent-pid", 0); parent > 0) {
    // SIGKILL when the parent dies: its coordinator died with it, so nothing this worker still
    // holds can be acknowledged; the next coordinator requeues those leases.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) Fail("prctl(PR_SET_PDEATHSIG) failed");
    if (::getppid() != parent) return kExitError;  // It died before the prctl took effect.
  }
  if (set_threads) set_threads(PositiveInt(args, "threads", 0));
  WorkerOptions options;
  options.endpoint = args.Get("connect");
  options.slots = PositiveInt(args, "slots", 1);
  options.prefetch = PositiveInt(args, "prefetch", 0);
  options.identity = args.GetOptional("identity").value_or("");
  options.device = args.Get("device");
  options.model_cache_size = PositiveInt(args, "model-cache", 1);
  options.max_tasks = PositiveInt(args, "max-tasks", 0);
  options.drain_ms = PositiveInt(args, "drain-ms", 0);
  options.curve = ReadCurveClientOptions(args);
  const TaskRegistry registry = make_registry();
  return RunWorker(options, registry);
}

// ---- submit and campaign operations ----

// Runs `write` on the database when no coordinator holds it; otherwise sends `request` to the
// coordinator that does (the single-writer rule).
nlohmann::json WriteOrForward(const std::string& db_path, const nlohmann::json& request, int timeout_ms,
                              const CurveClientOptions& curve,
                              const std::function<nlohmann::json(Database&)>& write) {
  if (std::optional<DatabaseLock> lock = DatabaseLock::TryAcquire(db_path)) {
    Database db(db_path, OpenMode::kReadWrite);
    return write(db);
  }
  const std::optional<std::string> endpoint = DatabaseLock::RunningCoordinator(db_path);
  if (!endpoint) Fail("{}: the database is locked but no coordinator endpoint is recorded", db_path);
  return SendControl(*endpoint, request, timeout_ms, curve);
}

void AddTarget(ArgParser& parser) {
  parser.Option("db", "the campaign database (forwarded to its coordinator when one runs)");
  parser.Option("coordinator", "a running coordinator's endpoint");
  parser.Option("timeout-ms", "how long to wait for the coordinator's answer", "120000");
  AddCurveClientOptions(parser);
}

std::string Target(const ParsedArgs& args, std::optional<std::string>* endpoint) {
  const bool has_db = args.Has("db");
  const bool has_endpoint = args.Has("coordinator");
  if (has_db == has_endpoint) throw UsageError("give exactly one of --db DB and --coordinator ENDPOINT");
  if (has_endpoint) *endpoint = args.Get("coordinator");
  return has_db ? args.Get("db") : "";
}

int SubmitCommand(const std::vector<std::string>& argv) {
  ArgParser parser("emoscope submit", "FILE (--db DB | --coordinator ENDPOINT)");
  parser.Positionals(1, "FILE  the campaign file (YAML)");
  AddTarget(parser);
  const ParsedArgs args = parser.Parse(argv);
  const std::string file = args.Positional(0, "the campaign FILE");
  std::optional<std::string> endpoint;
  const std::string db_path = Target(args, &endpoint);
  // Parsed, validated and resolved here (paths against the file's folder, checksums computed
  // here): the coordinator gets the result and never reads the file or the weights itself.
  const Campaign campaign = LoadCampaign(file);
  const nlohmann::json request = {{"op", "submit"}, {"resolved", CampaignToJson(campaign)}};
  nlohmann::json reply;
  if (endpoint) {
    reply = SendControl(*endpoint, request, PositiveInt(args, "timeout-ms", 1), ReadCurveClientOptions(args));
  } else {
    reply = WriteOrForward(
        db_path, request, PositiveInt(args, "timeout-ms", 1), ReadCurveClientOptions(args),
        [&](Database& db) {
          const SubmitStats stats = SubmitCampaign(db, campaign, EMOSCOPE_CODE_VERSION);
          return nlohmann::json{{"campaign", campaign.name}, {"total", stats.total}, {"added", stats.added}};
        });
  }
  std::printf("campaign %s: %lld tasks, %lld new\n", campaign.name.c_str(),
              static_cast<long long>(reply.value("total", int64_t{0})),
              static_cast<long long>(reply.value("added", int64_t{0})));
  return kExitOk;
}

int CampaignOpCommand(CampaignOp op, const std::vector<std::string>& argv) {
  const std::string name = CampaignOpName(op);
  ArgParser parser("emoscope " + name, "CAMPAIGN (--db DB | --coordinator ENDPOINT)");
  parser.Positionals(1, "CAMPAIGN  the campaign's name");
  AddTarget(parser);
  const ParsedArgs args = parser.Parse(argv);
  const std::string campaign = args.Positional(0, "the CAMPAIGN name");
  std::optional<std::string> endpoint;
  const std::string db_path = Target(args, &endpoint);
  const nlohmann::json request = {{"op", name}, {"campaign", campaign}};
  const nlohmann::json reply =
      endpoint
          ? SendControl(*endpoint, request, PositiveInt(args, "timeout-ms", 1), ReadCurveClientOptions(args))
          : WriteOrForward(db_path, request, PositiveInt(args, "timeout-ms", 1), ReadCurveClientOptions(args),
                           [&](Database& db) {
                             return nlohmann::json{{"changed", ApplyCampaignOp(db, campaign, op)}};
                           });
  std::printf("%s %s: %lld tasks changed\n", name.c_str(), campaign.c_str(),
              static_cast<long long>(reply.value("changed", int64_t{0})));
  return kExitOk;
}

// ---- status ----

nlohmann::json StatusJson(const CampaignStatus& status) {
  nlohmann::json out = {{"campaign", status.name},     {"state", status.state},
                        {"priority", status.priority}, {"total", status.total},
                        {"done", status.done},         {"failed", status.failed},
                        {"running", status.running},   {"queued", status.queued},
                        {"blocked", status.blocked},   {"cancelled", status.cancelled}};
  // Throughput over the campaign's busy span: first lease granted to last task finished.
  if (status.first_started_at && status.last_finished_at &&
      *status.last_finished_at > *status.first_started_at) {
    const int64_t span_ms = *status.last_finished_at - *status.first_started_at;
    out["first_started_at_ms"] = *status.first_started_at;
    out["last_finished_at_ms"] = *status.last_finished_at;
    out["tasks_per_s"] =
        static_cast<double>(status.done + status.failed) * 1000.0 / static_cast<double>(span_ms);
  }
  return out;
}

std::string StatusLine(const CampaignStatus& status) {
  constexpr int kWidth = 30;
  const int64_t finished = status.done + status.failed + status.cancelled;
  const double fraction =
      status.total > 0 ? static_cast<double>(finished) / static_cast<double>(status.total) : 1.0;
  const int filled = static_cast<int>(fraction * kWidth);
  std::string bar =
      std::string(static_cast<size_t>(filled), '#') + std::string(static_cast<size_t>(kWidth - filled), '.');
  std::string rate = "-";
  std::string eta = "-";
  if (status.first_started_at && status.last_finished_at &&
      *status.last_finished_at > *status.first_started_at) {
    const double seconds = static_cast<double>(*status.last_finished_at - *status.first_started_at) / 1000.0;
    const double per_second = static_cast<double>(finished) / seconds;
    rate = fmt::format("{:.1f}/s", per_second);
    if (per_second > 0 && !status.Finished())
      eta = FormatDuration(static_cast<double>(status.total - finished) / per_second);
  }
  return fmt::format(
      "{:<24} [{}] {:5.1f}%  {} done, {} failed, {} running, {} queued{}{}  rate {}  ETA {}  ({})",
      status.name, bar, fraction * 100, status.done, status.failed, status.running, status.queued,
      status.blocked > 0 ? fmt::format(" ({} blocked)", status.blocked) : "",
      status.cancelled > 0 ? fmt::format(", {} cancelled", status.cancelled) : "", rate, eta, status.state);
}

int StatusCommand(const std::vector<std::string>& argv) {
  ArgParser parser("emoscope status", "[CAMPAIGN] --db DB [--json]");
  parser.Positionals(1, "CAMPAIGN  only this campaign");
  parser.Option("db", "the campaign database (opened read-only)").Required();
  parser.Flag("json", "print a JSON array, one object per campaign");
  parser.Option("failures", "failed tasks to list per campaign", "5");
  const ParsedArgs args = parser.Parse(argv);
  const std::optional<std::string> name =
      args.Positional().empty() ? std::nullopt : std::optional<std::string>(args.Positional()[0]);
  Database db(args.Get("db"), OpenMode::kReadOnly);
  const std::vector<CampaignStatus> statuses = QueryCampaignStatus(db, name);
  if (args.Flag("json")) {
    nlohmann::json out = nlohmann::json::array();
    for (const CampaignStatus& status : statuses) out.push_back(StatusJson(status));
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  const int failures = PositiveInt(args, "failures", 0);
  for (const CampaignStatus& status : statuses) {
    std::printf("%s\n", StatusLine(status).c_str());
    for (const TaskFailure& failure : QueryFailures(db, status.id, failures)) {
      std::printf("    failed task %lld (%s, %lld attempts): %s\n", static_cast<long long>(failure.task_id),
                  failure.kind.c_str(), static_cast<long long>(failure.attempts), failure.error.c_str());
    }
  }
  if (statuses.empty()) std::printf("no campaigns\n");
  return kExitOk;
}

// ---- run ----

// Local workers `run` starts at most: 16 per core (a no-op worker is two threads and a few MB),
// between 16 and 1024.
int MaxLocalWorkers() {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  return static_cast<int>(std::clamp<unsigned>(16 * cores, 16, 1024));
}

// A local worker process: `emoscope worker --connect ENDPOINT ...`.
pid_t SpawnWorker(const std::vector<std::string>& words) {
  std::vector<char*> exec_argv;
  std::vector<std::string> copy = words;
  for (std::string& word : copy) exec_argv.push_back(word.data());
  exec_argv.push_back(nullptr);
  pid_t pid = 0;
  if (::posix_spawn(&pid, copy[0].c_str(), nullptr, nullptr, exec_argv.data(), environ) != 0) {
    Fail("cannot start a worker: {}", copy[0]);
  }
  return pid;
}

int RunCommand(const std::vector<std::string>& argv) {
  ArgParser parser("emoscope run", "FILE --workers N --db DB [options]");
  parser.Positionals(1, "FILE  the campaign file (YAML)");
  parser.Option("db", "the campaign database (created when missing)").Required();
  parser.Option("workers", "local worker processes", "2");
  parser.Option("slots", "tasks each worker runs at once", "1");
  parser.Option("prefetch", "leases each worker holds beyond the running ones", "8");
  parser.Option("bind", "coordinator endpoint", "tcp://127.0.0.1:0");
  parser.Option("max-restarts", "how many times dead workers are restarted in all", "100");
  parser.Option("threads",
                "CPU threads of each worker (0: the cores shared out among the workers, at least 1)", "0");
  AddCoordinatorOptions(parser);
  AddHttpOptions(parser);
  const ParsedArgs args = parser.Parse(argv);
  const std::string file = args.Positional(0, "the campaign FILE");
  const int workers = PositiveInt(args, "workers", 1);
  if (workers > MaxLocalWorkers()) {
    throw UsageError(
        fmt::format("option --workers: {} is more than this machine can hold (at most {}: 16 per core)",
                    workers, MaxLocalWorkers()));
  }
  int restarts_left = PositiveInt(args, "max-restarts", 0);
  // Workers start together, before the load average sees them: share the cores out here.
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads =
      args.GetInt("threads") != 0 ? PositiveInt(args, "threads", 1) : std::max(1, cores / workers);
  CoordinatorOptions options = ReadCoordinatorOptions(args);
  options.db_path = args.Get("db");
  options.bind = args.Get("bind");

  const Campaign campaign = LoadCampaign(file);
  std::optional<DatabaseLock> lock = DatabaseLock::TryAcquire(options.db_path);
  if (!lock) {
    Fail("{}: a coordinator already serves this database (at {}); use 'emoscope submit'", options.db_path,
         DatabaseLock::RunningCoordinator(options.db_path).value_or("an unknown endpoint"));
  }
  SubmitStats submitted;
  {
    Database db(options.db_path, OpenMode::kReadWrite);
    submitted = SubmitCampaign(db, campaign, EMOSCOPE_CODE_VERSION);
  }
  spdlog::info("campaign {}: {} tasks, {} new", campaign.name, submitted.total, submitted.added);

  Coordinator coordinator(options);
  lock->WriteEndpoint(coordinator.endpoint());
  const std::unique_ptr<HttpServer> dashboard = StartDashboard(args, options.db_path);
  // Signals only set the flag here: the coordinator must outlive the workers' drain, which
  // needs it to acknowledge their last results.
  InstallStopHandlers();
  std::atomic<bool> coordinator_failed{false};
  std::string coordinator_error;
  std::thread coordinator_thread([&] {
    try {
      coordinator.Run();
    } catch (const std::exception& error) {
      coordinator_error = error.what();
      coordinator_failed.store(true);
    }
  });

  std::vector<pid_t> pids;
  std::optional<Database> reader;
  CampaignStatus status;
  int exit_code = kExitOk;
  // Whatever ends the loop below (the campaign finished, a signal, an error such as the restarts
  // running out), the workers are stopped and the coordinator thread joined before `run`
  // returns or throws: an exception must never leave a joinable thread (std::terminate) or
  // orphaned workers behind.
  std::exception_ptr failure;
  try {
    const std::vector<std::string> worker_words = {JoinPath(ExecutableDir(), "emoscope"),
                                                   "--log-level",
                                                   "warn",
                                                   "worker",
                                                   "--connect",
                                                   coordinator.endpoint(),
                                                   "--slots",
                                                   args.Get("slots"),
                                                   "--prefetch",
                                                   args.Get("prefetch"),
                                                   "--parent-pid",
                                                   std::to_string(::getpid()),
                                                   "--threads",
                                                   std::to_string(threads)};
    reader.emplace(options.db_path, OpenMode::kReadOnly);
    for (int index = 0; index < workers; ++index) pids.push_back(SpawnWorker(worker_words));
    status = QueryCampaignStatus(*reader, campaign.name).front();
    ProgressBar bar(campaign.name, status.total, "tasks");
    auto poll_interval = std::chrono::milliseconds(200);
    while (true) {
      const auto query_start = std::chrono::steady_clock::now();
      status = QueryCampaignStatus(*reader, campaign.name).front();
      // Counting a million-task campaign takes a while: poll at most a third of the time, so the
      // progress display never competes with the coordinator for the CPU.
      const auto query_time = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - query_start);
      poll_interval = std::max(std::chrono::milliseconds(200), 2 * query_time);
      bar.SetSuffix(fmt::format("{} failed, {} running", status.failed, status.running));
      bar.Set(status.done + status.failed + status.cancelled);
      if (status.Finished()) break;
      if (coordinator_failed.load()) {
        spdlog::error("the coordinator stopped: {}", coordinator_error);
        exit_code = kExitError;
        break;
      }
      if (g_stop_signal.load() != 0) {
        exit_code = kExitInterrupted;
        break;
      }
      for (pid_t& pid : pids) {
        int wait_status = 0;
        if (::waitpid(pid, &wait_status, WNOHANG) != pid) continue;
        if (restarts_left == 0) Fail("worker {} died and --max-restarts is used up", pid);
        --restarts_left;
        spdlog::warn("worker {} died ({}); starting another", pid,
                     WIFSIGNALED(wait_status) ? fmt::format("signal {}", WTERMSIG(wait_status))
                                              : fmt::format("exit {}", WEXITSTATUS(wait_status)));
        pid = SpawnWorker(worker_words);
      }
      std::this_thread::sleep_for(poll_interval);
    }
    bar.Finish();
  } catch (...) {
    failure = std::current_exception();
  }
  // Stop the workers first (they drain: finish or return their leases), then the coordinator.
  for (const pid_t pid : pids) ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (const pid_t pid : pids) {
    int wait_status = 0;
    while (::waitpid(pid, &wait_status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &wait_status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  coordinator.Stop();
  coordinator_thread.join();
  if (failure) std::rethrow_exception(failure);
  if (exit_code == kExitError) Fail("{}: the coordinator failed: {}", options.db_path, coordinator_error);
  status = QueryCampaignStatus(*reader, campaign.name).front();
  std::printf("campaign %s: %lld done, %lld failed, %lld cancelled of %lld\n", campaign.name.c_str(),
              static_cast<long long>(status.done), static_cast<long long>(status.failed),
              static_cast<long long>(status.cancelled), static_cast<long long>(status.total));
  if (exit_code == kExitInterrupted) {
    std::fprintf(stderr, "interrupted; run the same command again to resume\n");
    return exit_code;
  }
  return status.failed > 0 ? kExitFinishedFailed : kExitOk;
}

}  // namespace

Command MakeWorkerCommand(std::function<TaskRegistry()> make_registry,
                          std::function<void(int64_t)> set_threads) {
  return {"worker", "run tasks for a coordinator",
          [make_registry, set_threads](const std::vector<std::string>& args) {
            return WorkerCommand(args, make_registry, set_threads);
          }};
}

std::vector<Command> OrchestratorCommands() {
  std::vector<Command> commands;
  commands.push_back({"coordinator", "serve a campaign database to workers", CoordinatorCommand});
  commands.push_back(MakeWorkerCommand(DefaultTaskRegistry));
  commands.push_back({"submit", "add a campaign file's tasks to a database", SubmitCommand});
  commands.push_back({"status", "campaign progress (--json for scripts)", StatusCommand});
  commands.push_back({"run", "run a campaign with local workers to its end (resumable)", RunCommand});
  for (const CampaignOp op :
       {CampaignOp::kPause, CampaignOp::kResume, CampaignOp::kCancel, CampaignOp::kRetry}) {
    const char* summaries[] = {"stop dispatching a campaign's tasks",
                               "dispatch a paused or cancelled campaign again",
                               "cancel a campaign's queued tasks", "queue a campaign's failed tasks again"};
    commands.push_back({CampaignOpName(op), summaries[static_cast<int>(op)],
                        [op](const std::vector<std::string>& args) { return CampaignOpCommand(op, args); }});
  }
  return commands;
}

}  // namespace emoscope
