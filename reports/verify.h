// `emoscope verify`: re-runs a seeded random sample of a campaign's finished tasks and compares
// the rows they produce with the rows stored for them.
//
// Each task runs as a worker would run it: the same TaskContext (kind, params, model path and
// checksum) and the same inputs, read from the database by coordinator/task_inputs.h, through the
// caller's TaskRegistry. Comparison, per result table the task wrote, rows matched by primary key:
// - numbers: |stored - recomputed| <= rel_tolerance * max(|stored|, |recomputed|) or
//   <= abs_tolerance (defaults 1e-6 and 1e-9: CPU float32 recomputation is expected to be
//   bit-identical; the slack absorbs summation-order changes between thread counts);
// - BLOBs: as float32 arrays of the same length, each value with the same tolerance;
// - text and NULL: exactly (JSON text such as settings and judge_scores included);
// - not compared: elapsed_ms and worker (they describe the run, not the result); code_version
//   and libraries differences are reported as notes, not drift;
// - a stored row the re-run does not produce, or a produced row not stored, is drift.
//
// Threading: runs tasks one at a time on the calling thread. Errors: an unknown campaign or a
// task whose inputs cannot be gathered throw emoscope::Error; a task that fails when re-run is
// reported as drift with its message.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace emoscope {

class Database;
class TaskRegistry;

struct VerifyOptions {
  std::optional<std::string> campaign;  // The database's only campaign when unset.
  double sample_fraction = 0.1;         // Share of finished tasks re-run, in (0, 1]; at least one task.
  uint64_t seed = 0;                    // Chooses the sample (analysis/random.h Rng).
  std::vector<int64_t> task_ids;        // When set: exactly these tasks instead of a sample.
  double rel_tolerance = 1e-6;
  double abs_tolerance = 1e-9;
  size_t max_reported = 20;             // Differences listed per task (all are counted).
};

struct TaskVerdict {
  int64_t task_id = 0;
  std::string kind;
  size_t rows_compared = 0;
  size_t differences = 0;            // Drifted values and missing or extra rows.
  std::vector<std::string> drift;    // The first max_reported differences.
  std::vector<std::string> notes;    // Provenance that differs (code version, libraries).
  double seconds = 0;
  bool ok() const { return differences == 0; }
};

struct VerifyReport {
  std::string campaign;
  size_t finished_tasks = 0;  // Finished tasks whose kind the registry runs.
  std::vector<TaskVerdict> tasks;
  bool ok() const;
};

// Runs the verification; `on_task` (optional) sees each verdict as soon as it is known.
VerifyReport VerifyCampaign(Database& db, const TaskRegistry& registry, const VerifyOptions& options,
                            const std::function<void(const TaskVerdict&)>& on_task = {});

}  // namespace emoscope
