// A science campaign on tiny checkpoints of two architectures, run through the real coordinator
// and workers: it fills every result table, and a second run on CPU gives identical numbers.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "common/file_util.h"
#include "models/checkpoint/gguf.h"
#include "models/checkpoint/safetensors.h"
#include "tests/support/test_support.h"

namespace {

using emoscope::testing::ProgramPath;
using emoscope::testing::RunCommand;
using emoscope::testing::ShellQuote;

const char* const kResultTables[] = {"task_runs",
                                     "samples",
                                     "sample_activations",
                                     "activation_means",
                                     "emotion_vectors",
                                     "layer_metrics",
                                     "steering_generations",
                                     "steering_scenarios",
                                     "steering_calibrations"};

// Every row of a result table as text, keyed by (task key, primary-key-ish columns), with the
// columns that legitimately differ between runs (timings, worker identity) left out.
std::vector<std::string> TableRows(const std::string& db_path, const std::string& table) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  // Task ids differ between databases; task keys (content hashes) do not.
  const std::string sql =
      "SELECT hex(t.task_key), r.* FROM \"" + table + "\" r JOIN tasks t ON t.id = r.task_id";
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
  std::vector<std::string> rows;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    std::string row;
    for (int column = 0; column < sqlite3_column_count(stmt); ++column) {
      const std::string name = sqlite3_column_name(stmt, column);
      if (name == "task_id" || name == "elapsed_ms" || name == "worker") continue;
      const void* bytes = sqlite3_column_blob(stmt, column);
      const int size = sqlite3_column_bytes(stmt, column);
      row += name + "=" +
             (bytes ? std::string(static_cast<const char*>(bytes), static_cast<size_t>(size)) : "NULL") + "|";
    }
    rows.push_back(row);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  std::sort(rows.begin(), rows.end());
  return rows;
}

int64_t QueryInt(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  INFO(sql);
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  const int64_t value = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

}  // namespace

TEST_CASE("a science campaign over two architectures fills every result table, identically twice",
          "[science][campaign][slow]") {
  emoscope::testing::TempDir dir;
  const std::string emoscope = ShellQuote(ProgramPath("emoscope"));
  REQUIRE(RunCommand(emoscope +
                     " model init --arch gpt2 --layers 3 --hidden 32 --heads 4 --merges 60 --out " +
                     ShellQuote(dir.File("gpt2")))
              .exit_code == 0);
  REQUIRE(
      RunCommand(emoscope +
                 " model init --arch qwen2 --layers 2 --hidden 32 --heads 4 --kv-heads 2 --merges 60 --out " +
                 ShellQuote(dir.File("qwen2")))
          .exit_code == 0);
  emoscope::WriteFileAtomic(dir.File("c.yaml"), R"(campaign: twice
models:
  - {name: gpt2, path: gpt2}
  - {name: qwen2, path: qwen2}
science:
  emotions: [joy, fear, anger]
  per_emotion: 4
  prompts_per_emotion: 2
  generations_per_prompt: 2
  neutral: 6
  shards: 2
  generation: {max_new_tokens: 6}
  steering:
    layers: [peak, {from: 1, to: 2}]
    emotions: [joy]
    coefficients: auto
    auto: {points: 2, prompts: 2, search: [0.05, 50]}
    prompts: 2
    seeds: [0, 1]
    judge: lexicon
    generation: {max_new_tokens: 6}
)");
  for (const char* db : {"a.db", "b.db"}) {
    const auto run = RunCommand(emoscope + " run " + ShellQuote(dir.File("c.yaml")) + " --workers 2 --db " +
                                ShellQuote(dir.File(db)));
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
  }
  for (const char* table : kResultTables) {
    INFO("table " << table);
    const auto a = TableRows(dir.File("a.db"), table);
    const auto b = TableRows(dir.File("b.db"), table);
    CHECK_FALSE(a.empty());
    CHECK(a == b);
  }
  // Calibrated: one calibrate task per (model, layer spec); each steer task sweeps its window.
  CHECK(QueryInt(dir.File("a.db"), "SELECT COUNT(*) FROM tasks WHERE kind = 'calibrate'") == 4);
  CHECK(QueryInt(dir.File("a.db"),
                 "SELECT COUNT(*) FROM steering_calibrations WHERE window_low > 0 "
                 "AND window_high >= window_low AND json_array_length(trace) >= 1") == 4);
  CHECK(QueryInt(dir.File("a.db"),
                 "SELECT COUNT(*) FROM steering_scenarios s JOIN tasks st ON st.id = s.task_id "
                 "JOIN steering_calibrations c JOIN tasks ct ON ct.id = c.task_id "
                 "WHERE ct.model_id = st.model_id AND c.layer = s.layer AND c.layer_last = s.layer_last "
                 "AND s.alpha BETWEEN c.window_low * 0.999999 AND c.window_high * 1.000001") == 8);
  // The range {from: 1, to: 2} steers layers 1..2; empty continuations never succeed and have no ratio.
  CHECK(QueryInt(dir.File("a.db"),
                 "SELECT COUNT(*) FROM steering_scenarios WHERE layer = 1 AND layer_last = 2") == 4);
  CHECK(QueryInt(dir.File("a.db"),
                 "SELECT COUNT(*) FROM steering_generations WHERE regime = 'empty' "
                 "AND (success OR ppl_ratio IS NOT NULL OR tokens >= 4)") == 0);
  CHECK(QueryInt(dir.File("a.db"),
                 "SELECT COUNT(*) FROM steering_generations WHERE ppl_ratio IS NULL AND regime <> 'empty' "
                 "AND baseline_resamples < 8") == 0);
  // Submitting the same campaign again adds no task.
  const int64_t tasks = QueryInt(dir.File("a.db"), "SELECT COUNT(*) FROM tasks");
  const auto again = RunCommand(emoscope + " run " + ShellQuote(dir.File("c.yaml")) + " --workers 1 --db " +
                                ShellQuote(dir.File("a.db")));
  INFO(again.output);
  REQUIRE(again.exit_code == 0);
  CHECK(QueryInt(dir.File("a.db"), "SELECT COUNT(*) FROM tasks") == tasks);
}

TEST_CASE("emotion vectors export as llama.cpp control vectors with direction.N = hook point N+1",
          "[science][vectors]") {
  emoscope::testing::TempDir dir;
  const std::string emoscope = ShellQuote(ProgramPath("emoscope"));
  REQUIRE(RunCommand(emoscope +
                     " model init --arch llama --layers 4 --hidden 32 --heads 4 --merges 40 --out " +
                     ShellQuote(dir.File("llama")))
              .exit_code == 0);
  emoscope::WriteFileAtomic(dir.File("c.yaml"), R"(campaign: vectors
models:
  - {name: llama, path: llama}
science:
  emotions: [joy, sadness]
  methods: [comprehension]
  per_emotion: 3
  neutral: 4
)");
  const auto run = RunCommand(emoscope + " run " + ShellQuote(dir.File("c.yaml")) + " --workers 1 --db " +
                              ShellQuote(dir.File("v.db")));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  const std::string base = emoscope + " vectors export --db " + ShellQuote(dir.File("v.db")) +
                           " --method comprehension --emotion joy";
  const auto gguf = RunCommand(base + " --out " + ShellQuote(dir.File("joy.gguf")));
  INFO(gguf.output);
  REQUIRE(gguf.exit_code == 0);
  const auto st = RunCommand(base + " --out " + ShellQuote(dir.File("joy.safetensors")));
  REQUIRE(st.exit_code == 0);

  const emoscope::ControlVectorFile file = emoscope::ReadControlVectorGguf(dir.File("joy.gguf"));
  CHECK(file.architecture == "controlvector");
  CHECK(file.model_hint == "llama");
  CHECK(file.layer_count == 3);  // hook points 2, 3, 4 of a 4-block model
  REQUIRE(file.directions.size() == 3);
  const emoscope::SafetensorsFile vectors = emoscope::SafetensorsFile::Open(dir.File("joy.safetensors"));
  CHECK(vectors.tensors().size() == 5);  // hook points 0..4
  for (int n = 1; n <= 3; ++n) {
    INFO("direction." << n);
    const emoscope::TensorView* layer = vectors.Find("layer." + std::to_string(n + 1));
    REQUIRE(layer != nullptr);
    REQUIRE(file.directions.count(n) == 1);
    const std::vector<float>& direction = file.directions.at(n);
    REQUIRE(direction.size() * sizeof(float) == layer->nbytes);
    CHECK(std::memcmp(direction.data(), layer->data, layer->nbytes) == 0);
  }
  const auto missing = RunCommand(base + " --emotion nope --out " + ShellQuote(dir.File("x.gguf")));
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.output, Catch::Contains("nope"));
}

TEST_CASE("one campaign compares three vector estimators: vectors, steering rows and exports of each",
          "[science][vectors][estimators]") {
  emoscope::testing::TempDir dir;
  const std::string emoscope = ShellQuote(ProgramPath("emoscope"));
  REQUIRE(RunCommand(emoscope +
                     " model init --arch llama --layers 3 --hidden 32 --heads 4 --merges 40 --out " +
                     ShellQuote(dir.File("llama")))
              .exit_code == 0);
  const std::string campaign = R"(campaign: estimators
models:
  - {name: llama, path: llama}
science:
  emotions: [joy, sadness]
  methods: [comprehension]
  per_emotion: 3
  neutral: 4
  steering:
    layers: [2]
    emotions: [joy]
    estimator: [mean_difference, pca, logistic]
    coefficients: [0.1]
    prompts: 1
    seeds: [0]
    judge: lexicon
    generation: {max_new_tokens: 6}
)";
  emoscope::WriteFileAtomic(dir.File("c.yaml"), campaign);
  const std::string db = dir.File("e.db");
  const auto run =
      RunCommand(emoscope + " run " + ShellQuote(dir.File("c.yaml")) + " --workers 1 --db " + ShellQuote(db));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  // One vector per (hook point 0..3, emotion) for each estimator, from the same metrics tasks.
  for (const char* estimator : {"mean_difference", "pca_diff", "logistic"}) {
    INFO(estimator);
    CHECK(QueryInt(db, std::string("SELECT COUNT(*) FROM emotion_vectors WHERE estimator = '") + estimator +
                           "'") == 8);
    CHECK(QueryInt(db, std::string("SELECT COUNT(*) FROM steering_scenarios WHERE estimator = '") +
                           estimator + "' AND layer = 2 AND emotion = 'joy'") == 1);
    CHECK(QueryInt(db, std::string("SELECT COUNT(*) FROM steering_generations WHERE estimator = '") +
                           estimator + "'") >= 2);  // baseline and alpha 0.1
  }
  // Each steering row names the estimator its task steered with.
  CHECK(QueryInt(db,
                 "SELECT COUNT(*) FROM steering_generations g JOIN tasks t ON t.id = g.task_id "
                 "WHERE json_extract(t.params, '$.estimator') <> g.estimator") == 0);
  CHECK(QueryInt(db, "SELECT COUNT(*) FROM tasks WHERE kind = 'steer'") == 3);
  // The estimators disagree (the mean difference has neutral components projected out).
  CHECK(QueryInt(db,
                 "SELECT COUNT(*) FROM emotion_vectors a JOIN emotion_vectors b ON a.task_id = b.task_id "
                 "AND a.layer = b.layer AND a.emotion = b.emotion WHERE a.estimator = 'mean_difference' "
                 "AND b.estimator <> 'mean_difference' AND a.data = b.data AND a.layer > 0") == 0);
  // Submitting the same campaign again adds no task.
  const int64_t tasks = QueryInt(db, "SELECT COUNT(*) FROM tasks");
  REQUIRE(
      RunCommand(emoscope + " run " + ShellQuote(dir.File("c.yaml")) + " --workers 1 --db " + ShellQuote(db))
          .exit_code == 0);
  CHECK(QueryInt(db, "SELECT COUNT(*) FROM tasks") == tasks);

  std::map<std::string, std::vector<float>> layer2;  // estimator -> exported unit vector at hook point 2
  for (const char* estimator : {"mean_difference", "pca", "logistic"}) {
    INFO(estimator);
    const std::string base = emoscope + " vectors export --db " + ShellQuote(db) +
                             " --method comprehension --emotion joy --scale unit --estimator " + estimator;
    const std::string stem = dir.File(std::string("joy-") + estimator);
    const auto gguf = RunCommand(base + " --out " + ShellQuote(stem + ".gguf"));
    INFO(gguf.output);
    REQUIRE(gguf.exit_code == 0);
    REQUIRE(RunCommand(base + " --out " + ShellQuote(stem + ".safetensors")).exit_code == 0);
    const emoscope::ControlVectorFile file = emoscope::ReadControlVectorGguf(stem + ".gguf");
    CHECK(file.layer_count == 2);  // hook points 2 and 3 of a 3-block model
    REQUIRE(file.directions.count(1) == 1);
    const emoscope::SafetensorsFile vectors = emoscope::SafetensorsFile::Open(stem + ".safetensors");
    CHECK(vectors.tensors().size() == 4);
    CHECK(vectors.metadata().at("estimator") == (std::string(estimator) == "pca" ? "pca_diff" : estimator));
    const emoscope::TensorView* layer = vectors.Find("layer.2");
    REQUIRE(layer != nullptr);
    const std::vector<float>& direction = file.directions.at(1);  // direction.1 = hook point 2
    REQUIRE(direction.size() * sizeof(float) == layer->nbytes);
    CHECK(std::memcmp(direction.data(), layer->data, layer->nbytes) == 0);
    double norm = 0;
    for (float x : direction) norm += static_cast<double>(x) * x;
    CHECK(norm == Approx(1.0).epsilon(1e-5));
    layer2[estimator] = direction;
  }
  CHECK(layer2["pca"] != layer2["mean_difference"]);
  CHECK(layer2["logistic"] != layer2["mean_difference"]);
  const auto unknown = RunCommand(emoscope + " vectors export --db " + ShellQuote(db) +
                                  " --method comprehension --emotion joy --estimator svm --out " +
                                  ShellQuote(dir.File("x.gguf")));
  CHECK(unknown.exit_code != 0);
  CHECK_THAT(unknown.output, Catch::Contains("--estimator") && Catch::Contains("svm"));

  // A campaign naming an unknown estimator is refused before any task runs, naming the field.
  std::string bad = campaign;
  bad.replace(bad.find("[mean_difference, pca, logistic]"), 32, "[mean_difference, lda]");
  emoscope::WriteFileAtomic(dir.File("bad.yaml"), bad);
  const auto refused = RunCommand(emoscope + " run " + ShellQuote(dir.File("bad.yaml")) +
                                  " --workers 1 --db " + ShellQuote(dir.File("bad.db")));
  CHECK(refused.exit_code != 0);
  CHECK_THAT(refused.output, Catch::Contains("bad.yaml:12") &&
                                 Catch::Contains("science.steering.estimator[1]") &&
                                 Catch::Contains("'lda'"));
}

TEST_CASE("GGUF direction indexes refuse the hook points llama.cpp cannot steer", "[vectors]") {
  CHECK(emoscope::GgufDirectionIndex(2) == 1);
  CHECK(emoscope::GgufDirectionIndex(12) == 11);
  REQUIRE_THROWS_WITH(emoscope::GgufDirectionIndex(1), Catch::Contains("hook point 1"));
  REQUIRE_THROWS(emoscope::GgufDirectionIndex(0));
}

TEST_CASE("steering judged by a sequence classifier stores its label scores",
          "[science][campaign][classifier]") {
  emoscope::testing::TempDir dir;
  const std::string emoscope = ShellQuote(ProgramPath("emoscope"));
  REQUIRE(RunCommand(emoscope +
                     " model init --arch gpt2 --layers 2 --hidden 32 --heads 4 --merges 40 --out " +
                     ShellQuote(dir.File("gpt2")))
              .exit_code == 0);
  const auto init = RunCommand(emoscope +
                               " model init --arch roberta-classifier --labels Joy,Anger,neutral --layers 1 "
                               "--hidden 16 --heads 2 --out " +
                               ShellQuote(dir.File("clf")));
  INFO(init.output);
  REQUIRE(init.exit_code == 0);
  emoscope::WriteFileAtomic(dir.File("c.yaml"), R"(campaign: judged
models:
  - {name: gpt2, path: gpt2}
science:
  emotions: [joy, anger]
  methods: [comprehension]
  per_emotion: 3
  neutral: 4
  steering:
    layers: [1]
    coefficients: [4]
    prompts: 2
    seeds: [0]
    judge: {kind: classifier, path: clf}
    generation: {max_new_tokens: 5}
)");
  const auto run = RunCommand(emoscope + " run " + ShellQuote(dir.File("c.yaml")) + " --workers 1 --db " +
                              ShellQuote(dir.File("j.db")));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(dir.File("j.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT judge_scores FROM steering_generations", -1, &stmt, nullptr) ==
          SQLITE_OK);
  int rows = 0;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    const std::string scores = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    CHECK_THAT(scores, Catch::Contains("\"joy\"") && Catch::Contains("\"anger\""));
    ++rows;
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  CHECK(rows == 2 * 2 * 2);  // 2 emotions x 2 prompts x (baseline + 1 coefficient)

  // A judge path that is not a classifier folder is refused when the campaign is read.
  emoscope::WriteFileAtomic(dir.File("bad.yaml"), R"(campaign: bad
models:
  - {name: gpt2, path: gpt2}
science:
  emotions: [joy, anger]
  steering:
    judge: {kind: classifier, path: nowhere}
)");
  const auto bad = RunCommand(emoscope + " run " + ShellQuote(dir.File("bad.yaml")) + " --workers 1 --db " +
                              ShellQuote(dir.File("b.db")));
  CHECK(bad.exit_code != 0);
  CHECK_THAT(bad.output, Catch::Contains("bad.yaml:7") && Catch::Contains("science.steering.judge.path"));
}
