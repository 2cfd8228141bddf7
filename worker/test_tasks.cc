// The built-in test kinds (jobs/test_kinds.h describes them).
#include <signal.h>

#include <chrono>
#include <thread>

#include "schema/database.h"
#include "worker/task_registry.h"

namespace emoscope {
namespace {

TaskOutput TestResult(const TaskContext& context) {
  TaskOutput output;
  output.rows["test_results"] = nlohmann::json::array(
      {{{"worker", context.worker}, {"attempt", context.attempt}, {"recorded_at", NowMs()}}});
  return output;
}

}  // namespace

void RegisterTestKinds(TaskRegistry& registry) {
  registry.Register("noop", [](TaskContext& context) { return TestResult(context); });
  registry.Register("sleep", [](TaskContext& context) {
    const int64_t ms = context.params.value("ms", int64_t{0});
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    // Short naps so a revoked lease stops the work soon.
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() < end) {
      if (ms > 0) {
        context.progress(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() /
            static_cast<double>(ms));
      }
      if (context.cancel != nullptr && context.cancel->load())
        throw TaskFailed("cancelled", /*retryable=*/true);
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          std::chrono::milliseconds(5), end - std::chrono::steady_clock::now()));
    }
    return TestResult(context);
  });
  registry.Register("fail", [](TaskContext& context) -> TaskOutput {
    throw TaskFailed(fmt::format("fail task: failing on purpose (attempt {})", context.attempt),
                     /*retryable=*/true);
  });
  registry.Register("crash", [](TaskContext&) -> TaskOutput {
    // SIGKILL rather than abort(): the point is a worker that vanishes, not a core file.
    ::raise(SIGKILL);
    throw TaskFailed("crash task: still alive after SIGKILL", /*retryable=*/false);
  });
}

}  // namespace emoscope
