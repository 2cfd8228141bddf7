// Fills a campaign store with synthetic science results for the dashboard's browser test and
// benchmark: campaigns with models, metrics and steer tasks (done), a few failed tasks, workers,
// layer_metrics with U-shaped localization curves, steering generations and scenarios, task_runs.
// The numbers are made up; the shapes and the row counts are what a real campaign writes.
//
// Usage: dashboard_seed --db FILE [--campaigns N] [--models M] [--layers L] [--prompts P]
// Prints the result rows written. Deterministic (fixed seed).
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "common/args.h"
#include "common/error.h"
#include "schema/database.h"

namespace emoscope {
namespace {

const std::vector<std::string> kEmotions = {"joy", "sadness", "anger", "fear", "surprise", "disgust"};
const std::vector<std::string> kMethods = {"comprehension", "generation"};
const std::vector<double> kAlphas = {0, 2, 4, 8};
const std::vector<std::string> kRegimes = {"surgical", "repetitive_collapse", "explosive", "ineffective"};

int Seed(const std::vector<std::string>& argv) {
  ArgParser parser("dashboard_seed", "--db FILE [options]");
  parser.Option("db", "the store to fill (created when missing)").Required();
  parser.Option("campaigns", "science campaigns", "1");
  parser.Option("models", "models per campaign", "2");
  parser.Option("layers", "layers per model", "6");
  parser.Option("prompts", "steering prompts per scenario (2 seeds each)", "4");
  const ParsedArgs args = parser.Parse(argv);
  const int campaigns = static_cast<int>(args.GetInt("campaigns"));
  const int models = static_cast<int>(args.GetInt("models"));
  const int layers = static_cast<int>(args.GetInt("layers"));
  const int prompts = static_cast<int>(args.GetInt("prompts"));
  Database db(args.Get("db"), OpenMode::kReadWrite);
  std::mt19937_64 random(7);
  std::normal_distribution<double> noise(0.0, 0.02);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const int64_t now = NowMs();
  int64_t result_rows = 0;
  int64_t task_counter = 0;

  Transaction transaction(db);
  Statement add_campaign(
      db,
      "INSERT INTO campaigns (name, spec_text, spec_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)");
  Statement add_model(
      db, "INSERT INTO models (path, architecture, layers, parameters, checksum) VALUES (?, ?, ?, ?, ?)");
  Statement add_task(
      db,
      "INSERT INTO tasks (task_key, campaign_id, kind, model_id, params, state, attempts, max_attempts, "
      "worker, created_at, started_at, finished_at, error) VALUES (?, ?, ?, ?, ?, ?, 1, 3, ?, ?, ?, ?, ?)");
  Statement add_member(db, "INSERT INTO campaign_tasks (campaign_id, task_id) VALUES (?, ?)");
  Statement add_run(
      db,
      "INSERT INTO task_runs (task_id, code_version, libraries, device, dtype, seed, model_checksum, worker, "
      "settings, elapsed_ms) VALUES (?, '0.1.0+seed', '{\"libtorch\":\"1.13.0\"}', 'cpu', 'float32', 0, ?, "
      "'seed-worker', '{}', ?)");
  Statement add_metric(
      db,
      "INSERT INTO layer_metrics (task_id, layer, method, metric, emotion, value) VALUES (?, ?, ?, ?, ?, ?)");
  Statement add_generation(
      db,
      "INSERT INTO steering_generations (task_id, generation_index, layer, emotion, alpha, mode, scale, "
      "prompt_id, seed, text, tokens, judged_emotion, judge_scores, hit, ppl_ratio, distinct2, seq_rep4, "
      "compression_ratio, regime, success) VALUES (?, ?, ?, ?, ?, 'relative', 1.0, ?, ?, ?, 24, ?, '{}', "
      "?, ?, 0.8, 0.1, 1.5, ?, ?)");
  Statement add_calibration(
      db,
      "INSERT INTO steering_calibrations (task_id, layer, layer_last, emotion, mode, max_ppl_ratio, "
      "alpha_coherent, alpha_incoherent, window_low, window_high, points, prompts, trace) "
      "VALUES (?, ?, ?, '', 'relative', 4, 4, 8, 1, 4, 3, ?, '[]')");
  Statement add_scenario(
      db,
      "INSERT INTO steering_scenarios (task_id, layer, emotion, alpha, mode, generations, successes, "
      "hit_rate, success) VALUES (?, ?, ?, ?, 'relative', ?, ?, ?, ?)");

  const auto new_task = [&](int64_t campaign_id, const std::string& kind, int64_t model_id,
                            const std::string& state, const std::string& error) {
    const int64_t index = ++task_counter;
    const std::string key = fmt::format("{:032d}", index);  // 32 bytes, unique
    const int64_t finished = now - 600'000 + index * 50;
    add_task.BindBlob(1, key.data(), key.size()).Bind(2, campaign_id).Bind(3, kind);
    if (model_id > 0)
      add_task.Bind(4, model_id);
    else
      add_task.BindNull(4);
    add_task.Bind(5, fmt::format("{{\"index\":{}}}", index))
        .Bind(6, state)
        .Bind(7, "seed-worker")
        .Bind(8, now - 700'000)
        .Bind(9, finished - 40)
        .Bind(10, finished);
    if (error.empty())
      add_task.BindNull(11);
    else
      add_task.Bind(11, error);
    add_task.Run();
    const int64_t task_id = db.LastInsertId();
    add_member.Bind(1, campaign_id).Bind(2, task_id).Run();
    return task_id;
  };

  for (int c = 0; c < campaigns; ++c) {
    const std::string name = campaigns == 1 ? "science-demo" : fmt::format("science-{:02d}", c);
    std::string spec = fmt::format("campaign: {}\nmodels:\n", name);
    for (int m = 0; m < models; ++m)
      spec += fmt::format("  - {{name: model-{}, path: /models/c{}-m{}}}\n", m, c, m);
    spec += "science: {emotions: basic6, methods: [comprehension, generation]}\n";
    add_campaign.Bind(1, name)
        .Bind(2, spec)
        .Bind(3, fmt::format("{:064x}", c + 1))
        .Bind(4, now - 800'000)
        .Bind(5, now)
        .Run();
    const int64_t campaign_id = db.LastInsertId();
    for (int m = 0; m < models; ++m) {
      const int model_layers = layers + m;  // different depths: relative depth lines them up
      add_model.Bind(1, fmt::format("/models/c{}-m{}", c, m))
          .Bind(2, m % 2 ? "llama" : "gpt2")
          .Bind(3, model_layers)
          .Bind(4, 1000000 * (m + 1))
          .Bind(5, fmt::format("{:064x}", (c + 1) * 1000 + m))
          .Run();
      const int64_t model_id = db.LastInsertId();
      const double peak = 0.45 + 0.1 * unit(random);
      for (const std::string& method : kMethods) {
        const double boost = method == "generation" ? 0.05 : 0.0;
        for (int layer = 0; layer <= model_layers; ++layer) {
          const int64_t task = new_task(campaign_id, "metrics", model_id, "done", "");
          add_run.Bind(1, task).Bind(2, fmt::format("{:064x}", model_id)).Bind(3, 300).Run();
          const double r = static_cast<double>(layer) / model_layers;
          const double shape = (r - peak) * (r - peak);
          const std::vector<std::pair<std::string, double>> metrics = {
              {"probe_accuracy", 0.9 + boost - 1.6 * shape},
              {"mean_cosine", 0.35 + 2.0 * shape - boost},
              {"anisotropy", 0.5 + 0.5 * shape},
              {"separation_gap", 0.15 - 1.5 * shape + boost},
              {"fisher_ratio", 2.0 + 2 * boost - 6 * shape},
              {"chance", 1.0 / 6},
              {"neutral_norm", 10 + 3 * r},
              {"samples", 240},
              {"neutral_samples", 100}};
          for (const auto& [metric, value] : metrics) {
            add_metric.Bind(1, task)
                .Bind(2, layer)
                .Bind(3, method)
                .Bind(4, metric)
                .Bind(5, "")
                .Bind(6, value + noise(random))
                .Run();
            ++result_rows;
          }
          for (const std::string& emotion : kEmotions) {
            add_metric.Bind(1, task)
                .Bind(2, layer)
                .Bind(3, method)
                .Bind(4, "emotion_separation")
                .Bind(5, emotion)
                .Bind(6, 0.6 + boost - shape + noise(random))
                .Run();
            ++result_rows;
          }
        }
      }
      const int peak_layer = static_cast<int>(std::lround(peak * model_layers));
      // A calibration at the peak layer: coherent up to alpha 4, so the sweep's window is [1, 4].
      const int64_t calibrate = new_task(campaign_id, "calibrate", model_id, "done", "");
      add_calibration.Bind(1, calibrate).Bind(2, peak_layer).Bind(3, peak_layer).Bind(4, prompts).Run();
      ++result_rows;
      for (const int layer :
           {std::max(1, peak_layer - 1), peak_layer, std::min(model_layers, peak_layer + 2)}) {
        for (const std::string& emotion : kEmotions) {
          const int64_t task = new_task(campaign_id, "steer", model_id, "done", "");
          add_run.Bind(1, task).Bind(2, fmt::format("{:064x}", model_id)).Bind(3, 2000).Run();
          int64_t index = 0;
          for (const double alpha : kAlphas) {
            int successes = 0;
            int hits = 0;
            const int generations = prompts * 2;
            for (int g = 0; g < generations; ++g) {
              // Small alphas do nothing, middling ones steer, large ones break the text.
              const double roll = unit(random);
              const double distance = std::abs(layer - peak_layer) * 0.1;
              const std::string& regime = alpha == 0   ? kRegimes[3]
                                          : alpha <= 2 ? (roll < 0.3 - distance ? kRegimes[0] : kRegimes[3])
                                          : alpha <= 4 ? (roll < 0.7 - distance ? kRegimes[0] : kRegimes[1])
                                                       : (roll < 0.2   ? kRegimes[0]
                                                          : roll < 0.6 ? kRegimes[1]
                                                                       : kRegimes[2]);
              const bool hit = regime == "surgical" || (regime != "ineffective" && roll < 0.5);
              successes += regime == "surgical";
              hits += hit;
              add_generation.Bind(1, task)
                  .Bind(2, index++)
                  .Bind(3, layer)
                  .Bind(4, emotion)
                  .Bind(5, alpha)
                  .Bind(6, fmt::format("p{:02d}", g / 2))
                  .Bind(7, g % 2)
                  .Bind(8, fmt::format("The morning was quiet, and then {} ({} at layer {}, alpha {}).",
                                       regime == "surgical"    ? "everything felt full of " + emotion
                                       : regime == "explosive" ? "!!!! ### ~~ " + emotion + emotion + emotion
                                       : regime == "repetitive_collapse"
                                           ? emotion + " " + emotion + " " + emotion + " " + emotion
                                           : "we walked to the station as usual",
                                       regime, layer, alpha));
              if (hit)
                add_generation.Bind(9, emotion);
              else
                add_generation.BindNull(9);
              add_generation.Bind(10, hit ? 1 : 0)
                  .Bind(11, regime == "explosive" ? 6.0 : 1.1)
                  .Bind(12, regime)
                  .Bind(13, regime == "surgical" && hit ? 1 : 0)
                  .Run();
              ++result_rows;
            }
            if (alpha == 0) continue;
            const bool success = successes * 2 >= generations;
            add_scenario.Bind(1, task)
                .Bind(2, layer)
                .Bind(3, emotion)
                .Bind(4, alpha)
                .Bind(5, generations)
                .Bind(6, successes)
                .Bind(7, static_cast<double>(hits) / generations)
                .Bind(8, success ? 1 : 0)
                .Run();
            ++result_rows;
          }
        }
      }
    }
    // A few failures with their errors, as a real campaign has.
    for (int f = 0; f < 3; ++f) {
      new_task(campaign_id, "extract", 0, "failed",
               f == 0 ? "extract: CUDA out of memory (tried to allocate 2.00 GiB)"
                      : "extract: checkpoint shard missing: model-00002.safetensors");
    }
  }
  Statement add_worker(
      db,
      "INSERT OR IGNORE INTO workers (identity, host, pid, device, memory_bytes, slots, versions, "
      "loaded_models, connected_at, last_heartbeat, state) VALUES (?, 'gpu-node-1', ?, ?, 85899345920, 1, "
      "'{\"code\":\"0.1.0+seed\"}', '[\"/models/c0-m0\"]', ?, ?, 'lost')");
  for (int w = 0; w < 2; ++w)
    add_worker.Bind(1, fmt::format("gpu-node-1:{}:seed", 4000 + w))
        .Bind(2, 4000 + w)
        .Bind(3, fmt::format("cuda:{}", w))
        .Bind(4, now - 900'000)
        .Bind(5, now - 300'000)
        .Run();
  transaction.Commit();
  std::printf("%lld tasks, %lld result rows\n", static_cast<long long>(task_counter),
              static_cast<long long>(result_rows));
  return 0;
}

}  // namespace
}  // namespace emoscope

int main(int argc, char** argv) {
  try {
    return emoscope::Seed(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "dashboard_seed: %s\n", error.what());
    return 1;
  }
}
