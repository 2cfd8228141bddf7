#include "cli/verify_command.h"

#include <cstdio>

#include <fmt/format.h>

#include "cli/command.h"
#include "common/args.h"
#include "common/error.h"
#include "reports/verify.h"
#include "schema/database.h"

namespace emoscope {

int RunVerify(const std::vector<std::string>& argv, const TaskRegistry& registry) {
  ArgParser parser("emoscope verify", "--db FILE --campaign NAME [--sample FRACTION] [--seed N] [--task ID,...]");
  parser.Option("db", "campaign database (opened read-only)").Required();
  parser.Option("campaign", "campaign name (default: the database's only campaign)");
  parser.Option("sample", "share of finished tasks to re-run, in (0, 1]", "0.1");
  parser.Option("seed", "seed of the sample", "0");
  parser.Option("task", "re-run exactly these task ids (comma-separated) instead of a sample");
  parser.Option("rel-tolerance", "relative tolerance of numbers and float32 blobs", "1e-6");
  parser.Option("abs-tolerance", "absolute tolerance (for values near zero)", "1e-9");
  const ParsedArgs args = parser.Parse(argv);
  VerifyOptions options;
  options.campaign = args.GetOptional("campaign");
  options.sample_fraction = args.GetDouble("sample");
  if (!(options.sample_fraction > 0 && options.sample_fraction <= 1)) throw UsageError("option --sample: must be in (0, 1]");
  const int64_t seed = args.GetInt("seed");
  if (seed < 0) throw UsageError("option --seed: must be 0 or more");
  options.seed = static_cast<uint64_t>(seed);
  options.rel_tolerance = args.GetDouble("rel-tolerance");
  options.abs_tolerance = args.GetDouble("abs-tolerance");
  if (!(options.rel_tolerance >= 0) || !(options.abs_tolerance >= 0)) throw UsageError("tolerances must be 0 or more");
  if (auto tasks = args.GetOptional("task")) {
    size_t start = 0;
    while (start <= tasks->size()) {
      const size_t comma = std::min(tasks->find(',', start), tasks->size());
      const std::string word = tasks->substr(start, comma - start);
      try {
        size_t used = 0;
        options.task_ids.push_back(std::stoll(word, &used));
        if (used != word.size()) throw std::invalid_argument(word);
      } catch (const std::exception&) {
        throw UsageError(fmt::format("option --task: '{}' is not a task id", word));
      }
      start = comma + 1;
    }
  }
  Database db(args.Get("db"), OpenMode::kReadOnly);
  std::printf("verify: tolerance relative %g, absolute %g\n", options.rel_tolerance, options.abs_tolerance);
  std::fflush(stdout);
  const VerifyReport report = VerifyCampaign(db, registry, options, [](const TaskVerdict& verdict) {
    if (verdict.ok()) {
      std::printf("task %lld %s: ok (%zu rows, %.2f s)\n", static_cast<long long>(verdict.task_id), verdict.kind.c_str(),
                  verdict.rows_compared, verdict.seconds);
    } else {
      std::printf("task %lld %s: DRIFT (%zu differences, %zu rows compared)\n", static_cast<long long>(verdict.task_id),
                  verdict.kind.c_str(), verdict.differences, verdict.rows_compared);
      for (const std::string& line : verdict.drift) std::printf("    %s\n", line.c_str());
    }
    for (const std::string& note : verdict.notes) std::printf("    note: %s\n", note.c_str());
    std::fflush(stdout);
  });
  size_t drifted = 0;
  for (const TaskVerdict& verdict : report.tasks) drifted += verdict.ok() ? 0 : 1;
  std::printf("verify: campaign %s: %zu of %zu finished tasks re-run, %zu ok, %zu drifted\n", report.campaign.c_str(),
              report.tasks.size(), report.finished_tasks, report.tasks.size() - drifted, drifted);
  return drifted == 0 ? kExitOk : kExitDrift;
}

}  // namespace emoscope
