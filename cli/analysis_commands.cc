// analyze and export. Exit codes: 0 ok, 1 error (unknown campaign, table or view, unavailable
// format), 2 bad usage.
#include "cli/analysis_commands.h"

#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "analysis/peak_rule.h"
#include "common/args.h"
#include "common/error.h"
#include "common/file_util.h"
#include "reports/export.h"
#include "reports/report_render.h"
#include "reports/study.h"
#include "schema/database.h"

namespace emoscope {
namespace {

// Writes to --out (atomically) or stdout.
void Emit(const ParsedArgs& args, const std::string& text) {
  if (auto out = args.GetOptional("out")) {
    WriteFileAtomic(*out, text);
  } else {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  }
}

int RunAnalyze(const std::vector<std::string>& argv) {
  ArgParser parser("emoscope analyze", "--db FILE [--campaign NAME] [--format text|json|csv|markdown]");
  parser.Option("db", "campaign database (opened read-only)").Required();
  parser.Option("campaign", "campaign name (default: the database's only campaign)");
  parser.Option("format", "text, json, csv or markdown", "text");
  parser.Option(
      "peak-metric",
      "metric whose best block (1..L, ties to the shallower) is the peak: probe_accuracy, fisher_ratio, "
      "separation_gap, separation_z or mean_cosine (lowest); default: the campaign's, else probe_accuracy");
  parser.Option("resamples", "bootstrap resamples (each costs one k-fold probe per layer; 0 skips)", "1000");
  parser.Option("seed", "bootstrap seed", "0");
  parser.Option("level", "interval coverage", "0.95");
  parser.Option("null-depth", "relative depth the models' peak depths are tested against", "0.5");
  parser.Option(
      "bootstrap-permutations",
      "label permutations per bootstrap replicate and layer (separation_gap/separation_z peaks only)", "20");
  parser.Option("out", "write here instead of stdout");
  const ParsedArgs args = parser.Parse(argv);
  const std::string format = args.Get("format");
  if (format != "text" && format != "json" && format != "csv" && format != "markdown") {
    throw UsageError(fmt::format("option --format: '{}' is not text, json, csv or markdown", format));
  }
  StudyOptions options;
  options.campaign = args.GetOptional("campaign");
  options.peak_metric = args.GetOptional("peak-metric");
  if (options.peak_metric && !analysis::IsPeakMetric(*options.peak_metric)) {
    throw UsageError(
        fmt::format("option --peak-metric: '{}' is not probe_accuracy, fisher_ratio, separation_gap, "
                    "separation_z or mean_cosine",
                    *options.peak_metric));
  }
  options.resamples = args.GetInt("resamples");
  if (options.resamples < 0) throw UsageError("option --resamples: must be 0 or more");
  const int64_t seed = args.GetInt("seed");
  if (seed < 0) throw UsageError("option --seed: must be 0 or more");
  options.bootstrap_seed = static_cast<uint64_t>(seed);
  options.level = args.GetDouble("level");
  if (!(options.level > 0 && options.level < 1)) throw UsageError("option --level: must be in (0, 1)");
  options.null_depth = args.GetDouble("null-depth");
  const int64_t permutations = args.GetInt("bootstrap-permutations");
  if (permutations < 1 || permutations > 100000)
    throw UsageError("option --bootstrap-permutations: must be in 1..100000");
  options.bootstrap_permutations = static_cast<int>(permutations);
  Database db(args.Get("db"), OpenMode::kReadOnly);
  Emit(args, RenderReport(BuildStudyReport(db, options), format));
  return kExitOk;
}

int RunExport(const std::vector<std::string>& argv) {
  ArgParser parser("emoscope export", "--db FILE (--table NAME | --view NAME) [--format csv|json]");
  parser.Option("db", "campaign database (opened read-only)").Required();
  parser.Option("table", "table to export");
  parser.Option("view", "view to export (docs/analyses.md lists them)");
  parser.Option("format", "csv or json (parquet is not available in this build)", "csv");
  parser.Option("blobs", "BLOB columns: base64 or skip", "base64");
  parser.Option("out", "write here instead of stdout");
  const ParsedArgs args = parser.Parse(argv);
  ExportOptions options;
  if (args.Has("table") == args.Has("view")) throw UsageError("give exactly one of --table and --view");
  options.kind = args.Has("table") ? RelationKind::kTable : RelationKind::kView;
  options.name = args.Has("table") ? args.Get("table") : args.Get("view");
  const std::string format = args.Get("format");
  if (format == "parquet") {
    Fail(
        "option --format parquet: not available: Debian 12 packages no Parquet writer for C++ in this "
        "build's "
        "stack; export csv or json and convert (e.g. with pandas or duckdb)");
  }
  if (format != "csv" && format != "json")
    throw UsageError(fmt::format("option --format: '{}' is not csv or json", format));
  options.format = format == "csv" ? ExportFormat::kCsv : ExportFormat::kJson;
  const std::string blobs = args.Get("blobs");
  if (blobs != "base64" && blobs != "skip")
    throw UsageError(fmt::format("option --blobs: '{}' is not base64 or skip", blobs));
  options.blobs = blobs == "base64" ? BlobMode::kBase64 : BlobMode::kSkip;
  Database db(args.Get("db"), OpenMode::kReadOnly);
  std::ostringstream out;
  ExportRelation(db, options, out);
  Emit(args, out.str());
  return kExitOk;
}

}  // namespace

std::vector<Command> AnalysisCommands() {
  return {
      {"analyze", "the study's results from a campaign database (deterministic; text, json, csv, markdown)",
       RunAnalyze},
      {"export", "one table or view of a campaign database as csv or json", RunExport},
  };
}

}  // namespace emoscope
