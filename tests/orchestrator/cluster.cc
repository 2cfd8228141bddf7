#include "tests/orchestrator/cluster.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "common/sha256.h"
#include "coordinator/db_lock.h"
#include "schema/database.h"
#include "tests/support/test_support.h"

extern char** environ;

namespace emoscope::testing {

ChildProcess::ChildProcess(const std::vector<std::string>& args, const std::string& log_path) {
  std::vector<std::string> words = {ProgramPath("emoscope")};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const int rc = posix_spawn(&pid_, words[0].c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + words[0]);
}

ChildProcess::~ChildProcess() {
  if (!reaped_) {
    ::kill(pid_, SIGCONT);
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
  }
}

void ChildProcess::Signal(int signal_number) const {
  if (!reaped_) ::kill(pid_, signal_number);
}

bool ChildProcess::Running() {
  if (reaped_) return false;
  if (::waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
  return !reaped_;
}

int ChildProcess::Wait(int timeout_ms) {
  WaitFor([this] { return !Running(); }, timeout_ms);
  if (!reaped_) return -1;
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
}

std::vector<std::string> FastCoordinatorArgs(const std::string& db, const std::string& bind,
                                             const std::string& log_level, int lease_ms) {
  return {"--log-level",
          log_level,
          "coordinator",
          "--db",
          db,
          "--bind",
          bind,
          "--heartbeat-ms",
          std::to_string(ScaledMs(50)),
          "--lease-ms",
          std::to_string(ScaledMs(lease_ms)),
          "--retry-base-ms",
          "20"};
}

bool WaitFor(const std::function<bool()>& condition, int timeout_ms) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(int64_t{timeout_ms} * TimeScale());
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int64_t QueryInt(const std::string& db_path, const std::string& sql) {
  try {
    Database db(db_path, OpenMode::kReadOnly);
    Statement statement = db.Prepare(sql);
    return statement.Step() ? statement.ColumnInt(0) : -1;
  } catch (const std::exception&) {
    return -1;
  }
}

std::string QueryText(const std::string& db_path, const std::string& sql) {
  try {
    Database db(db_path, OpenMode::kReadOnly);
    Statement statement = db.Prepare(sql);
    return statement.Step() ? statement.ColumnText(0) : "";
  } catch (const std::exception&) {
    return "";
  }
}

std::string ResultsFingerprint(const std::string& db_path) {
  Database db(db_path, OpenMode::kReadOnly);
  Statement rows = db.Prepare(
      "SELECT hex(t.task_key), t.state, (SELECT count(*) FROM test_results r WHERE r.task_id = t.id) "
      "FROM tasks t ORDER BY t.task_key");
  std::string text;
  while (rows.Step())
    text += rows.ColumnText(0) + ":" + rows.ColumnText(1) + ":" + std::to_string(rows.ColumnInt(2)) + "\n";
  return Sha256Hex(text);
}

std::string WaitForEndpoint(const std::string& db_path) {
  std::string endpoint;
  WaitFor(
      [&] {
        endpoint = DatabaseLock::RunningCoordinator(db_path).value_or("");
        return !endpoint.empty();
      },
      10000);
  if (endpoint.empty()) throw std::runtime_error("no coordinator came up for " + db_path);
  return endpoint;
}

}  // namespace emoscope::testing
