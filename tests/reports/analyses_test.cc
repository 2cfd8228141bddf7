// analyze, export and verify through the programs, on a tiny science campaign (two random models
// of two architectures, four emotions, a few stimuli) run once and shared by the test cases.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/file_util.h"
#include "schema/database.h"
#include "tests/support/test_support.h"

namespace emoscope {
namespace {

using testing::CommandResult;
using testing::ProgramPath;
using testing::RunCommand;
using testing::ShellQuote;
using testing::TempDir;

constexpr const char* kCampaign = R"(campaign: tiny
models:
  - {name: gpt2, path: m-gpt2}
  - {name: llama, path: m-llama}
science:
  emotions: [joy, sadness, anger, fear]
  methods: [comprehension, generation]
  per_emotion: 6
  prompts_per_emotion: 3
  neutral: 8
  generation: {max_new_tokens: 8}
  steering:
    layers: [peak]
    emotions: [joy]
    coefficients: [2, 8]
    prompts: 2
    seeds: [0]
    generation: {max_new_tokens: 8}
)";

int64_t ModifiedTime(const std::string& path) {
  struct stat info = {};
  return ::stat(path.c_str(), &info) == 0 ? static_cast<int64_t>(info.st_mtime) : -1;
}

std::string Run(const std::string& line) { return ProgramPath("emoscope") + " " + line; }

// The finished campaign database, built once (under an flock, since ctest runs each test case as
// its own process) in the working directory and rebuilt when emoscope-torch is newer.
const std::string& CampaignDb() {
  static const std::string db = [] {
    const std::string dir = "test-data/analyses-campaign";
    REQUIRE(RunCommand("mkdir -p " + dir).exit_code == 0);
    const int lock = ::open((dir + "/lock").c_str(), O_CREAT | O_RDWR, 0644);
    REQUIRE(lock >= 0);
    REQUIRE(::flock(lock, LOCK_EX) == 0);
    const std::string ready = dir + "/ready";
    if (ModifiedTime(ready) < 0 || ModifiedTime(ready) < ModifiedTime(ProgramPath("emoscope-torch"))) {
      REQUIRE(RunCommand("rm -rf " + dir + "/m-gpt2 " + dir + "/m-llama " + dir + "/c.db*").exit_code == 0);
      WriteFileAtomic(dir + "/c.yaml", kCampaign);
      const std::string setup =
          "cd " + ShellQuote(dir) + " && " +
          Run("model init --arch gpt2 --layers 4 --hidden 64 --heads 4 --merges 100 --out m-gpt2") + " && " +
          Run("model init --arch llama --layers 3 --hidden 48 --heads 4 --kv-heads 2 --merges 100 --out "
              "m-llama") +
          " && " + Run("--log-level warn run c.yaml --workers 2 --db c.db");
      const CommandResult result = RunCommand(setup);
      INFO(result.output);
      REQUIRE(result.exit_code == 0);
      WriteFileAtomic(ready, "ok\n");
    }
    ::flock(lock, LOCK_UN);
    ::close(lock);
    return dir + "/c.db";
  }();
  return db;
}

// A copy of the campaign database (with its models' paths unchanged) that a test may alter.
std::string CopyDb(const TempDir& temp) {
  const std::string copy = temp.File("c.db");
  REQUIRE(RunCommand("cp " + ShellQuote(CampaignDb()) + " " + ShellQuote(copy) + " && if [ -f " +
                     ShellQuote(CampaignDb() + "-wal") + " ]; then cp " + ShellQuote(CampaignDb() + "-wal") +
                     " " + ShellQuote(copy + "-wal") + "; fi")
              .exit_code == 0);
  return copy;
}

void Sql(const std::string& db_path, const std::string& sql) {
  Database db(db_path, OpenMode::kReadWrite);
  db.Exec(sql);
}

// RFC 4180 records (quoted fields, doubled quotes, CRLF line ends).
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      record.push_back(std::move(field));
      field.clear();
      records.push_back(std::move(record));
      record.clear();
      ++i;
    } else {
      field += c;
    }
  }
  return records;
}

const std::vector<std::string> kSectionKeys = {"localization",
                                               "peak_depth",
                                               "u_fit",
                                               "architecture_invariance",
                                               "family_peak_depth",
                                               "representational_similarity",
                                               "method_comparison",
                                               "method_comparison_pairs",
                                               "steering",
                                               "steering_by_coefficient",
                                               "steering_dose_response",
                                               "steering_overall"};

TEST_CASE("analyze prints every section of a finished campaign's report", "[analyze]") {
  const CommandResult result =
      RunCommand(Run("analyze --db " + ShellQuote(CampaignDb()) + " --resamples 20"));
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  for (const char* title :
       {"== Manifest ==", "== Localization curve ==", "== Peak relative depth (bootstrap interval) ==",
        "== U-fit of mean_cosine against relative depth ==", "== Architecture invariance ==",
        "== Representational similarity ==", "== Method comparison ==",
        "== Steering by model, layer and coefficient ==", "== Steering overall =="}) {
    CHECK(result.output.find(title) != std::string::npos);
  }
  // The ASCII plot of each curve, named as the campaign names its models (not by their folders),
  // and sections with rows rather than "(no rows)".
  CHECK(result.output.find("gpt2 / generation") != std::string::npos);
  CHECK(result.output.find("llama / comprehension") != std::string::npos);
  CHECK(result.output.find("m-gpt2 / generation") == std::string::npos);
  CHECK(result.output.find("(no rows)") == std::string::npos);
}

TEST_CASE("analyze json has the documented shape", "[analyze]") {
  const CommandResult result = RunCommand(
      Run("analyze --db " + ShellQuote(CampaignDb()) + " --resamples 20 --format json 2>/dev/null"));
  REQUIRE(result.exit_code == 0);
  const nlohmann::json report = nlohmann::json::parse(result.output);
  CHECK(report.at("report") == "emoscope analyze");
  CHECK(report.at("format_version") == 1);
  const nlohmann::json& manifest = report.at("manifest");
  CHECK(manifest.at("campaign").at("name") == "tiny");
  CHECK(manifest.at("campaign").at("spec_hash").get<std::string>().size() == 64);
  REQUIRE(manifest.at("models").size() == 2);
  CHECK(manifest.at("models")[0].at("family") == "gpt2");
  CHECK(manifest.at("models")[1].at("family") == "llama");
  CHECK(manifest.at("models")[0].at("checksum").get<std::string>().size() == 64);
  CHECK(manifest.at("parameters").at("resamples") == 20);
  CHECK(manifest.at("seeds").at("bootstrap") == 0);
  CHECK(manifest.at("code_version").is_string());
  CHECK(manifest.at("libraries").at("sqlite").is_string());
  const nlohmann::json& sections = report.at("sections");
  for (const std::string& key : kSectionKeys) {
    INFO(key);
    REQUIRE(sections.at(key).is_array());
    CHECK(!sections.at(key).empty());
  }
  // 2 models x 2 methods; layers 0..4 and 0..3.
  CHECK(sections.at("localization").size() == 2 * 5 + 2 * 4);
  REQUIRE(sections.at("peak_depth").size() == 4);
  for (const auto& row : sections.at("peak_depth")) {
    CHECK(row.at("peak_layer").get<int>() >= 1);
    const double depth = row.at("peak_relative_depth").get<double>();
    CHECK(depth == Approx(row.at("peak_layer").get<double>() / row.at("layers").get<double>()));
    CHECK(row.at("ci_lower").get<double>() <= row.at("ci_upper").get<double>());
    // The location between layers lies within half a layer of the peak layer.
    CHECK(std::fabs(row.at("peak_location").get<double>() - depth) <=
          0.5 / row.at("layers").get<double>() + 1e-12);
    CHECK(row.at("location_ci_lower").get<double>() <= row.at("location_ci_upper").get<double>());
    CHECK(row.at("resamples") == 20);
  }
  for (const auto& row : sections.at("u_fit")) {
    for (const char* field : {"r0", "a", "r_squared", "r0_ci_lower", "r0_ci_upper"})
      CHECK(row.contains(field));
  }
  const auto& comparison = sections.at("method_comparison").at(0);
  CHECK(comparison.at("pairs") == 8);  // 2 models x 4 emotions
  for (const char* field : {"mann_whitney_p", "wilcoxon_p", "cohen_d"}) {
    CHECK(comparison.at(field).get<double>() == comparison.at(field).get<double>());  // a number, not null
  }
  CHECK(sections.at("architecture_invariance").at(0).at("models") == 2);
  CHECK(sections.at("representational_similarity").at(0).at("emotions") == 4);
  const auto& overall = sections.at("steering_overall").at(0);
  CHECK(overall.at("scenarios") == 4);  // 2 models x 1 emotion x 2 coefficients
  for (const auto& row : sections.at("steering")) {
    const double shares = row.at("surgical_share").get<double>() +
                          row.at("repetitive_collapse_share").get<double>() +
                          row.at("explosive_share").get<double>() + row.at("ineffective_share").get<double>();
    CHECK(shares == Approx(1.0));
  }
}

TEST_CASE("analyze gives identical bytes when run twice, in every format", "[analyze]") {
  for (const char* format : {"json", "text", "csv", "markdown"}) {
    const std::string line =
        Run("analyze --db " + ShellQuote(CampaignDb()) + " --resamples 20 --format " + format);
    const CommandResult first = RunCommand(line);
    const CommandResult second = RunCommand(line);
    INFO(format);
    REQUIRE(first.exit_code == 0);
    CHECK(first.output == second.output);
  }
  // A different bootstrap seed changes the resamples (and says so in the manifest).
  const CommandResult seeded =
      RunCommand(Run("analyze --db " + ShellQuote(CampaignDb()) + " --resamples 20 --seed 7 --format json"));
  CHECK(seeded.output.find("\"bootstrap\": 7") != std::string::npos);
}

TEST_CASE("analyze csv is section,row,field,value records", "[analyze]") {
  const CommandResult result =
      RunCommand(Run("analyze --db " + ShellQuote(CampaignDb()) + " --resamples 0 --format csv 2>/dev/null"));
  REQUIRE(result.exit_code == 0);
  const auto records = ParseCsv(result.output);
  REQUIRE(records.size() > 10);
  CHECK(records[0] == std::vector<std::string>{"section", "row", "field", "value"});
  std::set<std::string> sections;
  for (const auto& record : records) {
    REQUIRE(record.size() == 4);
    sections.insert(record[0]);
  }
  for (const std::string& key : kSectionKeys) CHECK(sections.count(key) == 1);
  CHECK(result.output.find("resamples = 0") != std::string::npos);  // the skipped bootstrap is a note
}

TEST_CASE("verify passes on the untouched database", "[verify]") {
  const CommandResult result =
      RunCommand(Run("verify --db " + ShellQuote(CampaignDb()) + " --campaign tiny --sample 1"));
  INFO(result.output);
  CHECK(result.exit_code == 0);
  CHECK(result.output.find("26 of 26 finished tasks re-run, 26 ok, 0 drifted") != std::string::npos);
}

TEST_CASE("verify catches a deliberately altered result row and exits 4", "[verify]") {
  TempDir temp;
  const std::string db = CopyDb(temp);
  Sql(db,
      "UPDATE layer_metrics SET value = value + 0.1 WHERE metric = 'mean_cosine' AND task_id = "
      "(SELECT MIN(id) FROM tasks WHERE kind = 'metrics')");
  int64_t task_id = 0;
  {
    Database read(db, OpenMode::kReadOnly);
    Statement statement = read.Prepare("SELECT MIN(id) FROM tasks WHERE kind = 'metrics'");
    REQUIRE(statement.Step());
    task_id = statement.ColumnInt(0);
  }
  const CommandResult result =
      RunCommand(Run("verify --db " + ShellQuote(db) + " --campaign tiny --sample 1"));
  INFO(result.output);
  CHECK(result.exit_code == 4);
  CHECK(result.output.find("task " + std::to_string(task_id) + " metrics: DRIFT (1 differences") !=
        std::string::npos);
  CHECK(result.output.find("metric=mean_cosine, emotion=].value: stored") != std::string::npos);
  CHECK(result.output.find("25 ok, 1 drifted") != std::string::npos);
}

TEST_CASE("verify compares blobs as float32 arrays and notices missing rows", "[verify]") {
  TempDir temp;
  const std::string db = CopyDb(temp);
  Sql(db,
      "UPDATE emotion_vectors SET data = zeroblob(length(data)) WHERE emotion = 'joy' AND task_id = "
      "(SELECT MIN(id) FROM tasks WHERE kind = 'metrics');"
      "DELETE FROM steering_generations WHERE generation_index = 0 AND task_id = "
      "(SELECT MIN(id) FROM tasks WHERE kind = 'steer')");
  const CommandResult result =
      RunCommand(Run("verify --db " + ShellQuote(db) + " --task $(sqlite3 " + ShellQuote(db) +
                     " \"SELECT group_concat(id) FROM (SELECT MIN(id) AS id FROM tasks "
                     "WHERE kind IN ('metrics', 'steer') GROUP BY kind)\")"));
  INFO(result.output);
  CHECK(result.exit_code == 4);
  CHECK(result.output.find("emotion=joy].data: 64 of 64 float32 values differ") != std::string::npos);
  CHECK(result.output.find("steering_generations[generation_index=0]: recomputed, but not stored") !=
        std::string::npos);
  CHECK(result.output.find("0 ok, 2 drifted") != std::string::npos);
}

TEST_CASE("export csv gives back the stored values", "[export]") {
  TempDir temp;
  const CommandResult result =
      RunCommand(Run("export --db " + ShellQuote(CampaignDb()) + " --table layer_metrics --out " +
                     ShellQuote(temp.File("m.csv"))));
  REQUIRE(result.exit_code == 0);
  const auto records = ParseCsv(ReadFile(temp.File("m.csv")));
  REQUIRE(records.size() > 1);
  CHECK(records[0] == std::vector<std::string>{"task_id", "layer", "method", "metric", "emotion", "value"});
  Database db(CampaignDb(), OpenMode::kReadOnly);
  Statement stored = db.Prepare(
      "SELECT task_id, layer, method, metric, emotion, value FROM layer_metrics ORDER BY 1, 2, 3, 4, 5, 6");
  size_t row = 1;
  while (stored.Step()) {
    REQUIRE(row < records.size());
    const auto& record = records[row++];
    CHECK(std::stoll(record[0]) == stored.ColumnInt(0));
    CHECK(record[3] == stored.ColumnText(3));
    if (stored.ColumnIsNull(5)) {
      CHECK(record[5].empty());
    } else {
      CHECK(std::strtod(record[5].c_str(), nullptr) == stored.ColumnDouble(5));  // exact round trip
    }
  }
  CHECK(row == records.size());
}

TEST_CASE("export json gives back views and tables, blobs as base64 or skipped", "[export]") {
  const CommandResult view =
      RunCommand(Run("export --db " + ShellQuote(CampaignDb()) + " --view peak_depth --format json"));
  REQUIRE(view.exit_code == 0);
  const nlohmann::json peaks = nlohmann::json::parse(view.output);
  REQUIRE(peaks.size() == 4);
  CHECK(peaks[0].at("campaign") == "tiny");
  CHECK(peaks[0].at("peak_layer").get<int>() >= 1);

  const CommandResult blobs =
      RunCommand(Run("export --db " + ShellQuote(CampaignDb()) + " --table emotion_vectors --format json"));
  REQUIRE(blobs.exit_code == 0);
  const nlohmann::json vectors = nlohmann::json::parse(blobs.output);
  REQUIRE(!vectors.empty());
  const std::string data = vectors[0].at("data").get<std::string>();
  CHECK(data.size() == (vectors[0].at("dim").get<size_t>() * 4 + 2) / 3 * 4);  // base64 of dim float32

  const CommandResult skipped = RunCommand(
      Run("export --db " + ShellQuote(CampaignDb()) + " --table emotion_vectors --format json --blobs skip"));
  REQUIRE(skipped.exit_code == 0);
  CHECK(!nlohmann::json::parse(skipped.output)[0].contains("data"));
}

TEST_CASE("the views answer the study's questions on the finished campaign", "[views]") {
  Database db(CampaignDb(), OpenMode::kReadOnly);
  auto scalar = [&](const std::string& sql) {
    Statement statement = db.Prepare(sql);
    REQUIRE(statement.Step());
    return statement.ColumnDouble(0);
  };
  CHECK(scalar("SELECT done_share FROM campaign_progress WHERE campaign = 'tiny'") == 1.0);
  CHECK(scalar("SELECT COUNT(*) FROM peak_depth") == 4);
  CHECK(scalar("SELECT COUNT(*) FROM method_comparison_inputs") == 16);  // 2 models x 2 methods x 4 emotions
  CHECK(scalar("SELECT MAX(relative_depth) FROM localization_curve") == 1.0);
  CHECK(scalar("SELECT COUNT(DISTINCT family) FROM localization_curve") == 2);
  CHECK(scalar("SELECT COUNT(*) FROM steering_summary") == 4);
  CHECK(scalar("SELECT SUM(tasks) FROM task_progress WHERE state = 'done'") == 26);
}

TEST_CASE("bad arguments exit 1 or 2 with a message naming them", "[analyze][export]") {
  const std::string db = ShellQuote(CampaignDb());
  struct Case {
    std::string line;
    int exit_code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"export --db " + db + " --view no_such_view", 1, "no view named 'no_such_view'"},
      {"export --db " + db + " --table no_such_table --format json", 1, "no table named 'no_such_table'"},
      {"export --db " + db + " --view peak_depth --format parquet", 1, "--format parquet: not available"},
      {"export --db " + db + " --view peak_depth --format xml", 2, "'xml' is not csv or json"},
      {"export --db " + db + " --view peak_depth --table tasks", 2, "exactly one of --table and --view"},
      {"analyze --db /no/such/file.db", 1, "/no/such/file.db"},
      {"analyze --db " + db + " --format yaml", 2, "'yaml' is not text, json, csv or markdown"},
      {"analyze --db " + db + " --campaign other", 1, "no campaign named 'other'"},
      {"analyze --db " + db + " --resamples 0 --peak-metric anisotropy", 2,
       "--peak-metric: 'anisotropy' is not"},
      {"verify --db " + db + " --sample 2", 2, "--sample"},
      {"verify --db " + db + " --task 99999", 1, "task 99999 is not a finished task"},
  };
  for (const Case& c : cases) {
    const CommandResult result = RunCommand(Run(c.line));
    INFO(c.line << "\n" << result.output);
    CHECK(result.exit_code == c.exit_code);
    CHECK(result.output.find(c.message) != std::string::npos);
  }
}

}  // namespace
}  // namespace emoscope
