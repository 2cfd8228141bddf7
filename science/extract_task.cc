// extract: reads a model's activations for one method's stimuli (science/task_common.h).
#include <algorithm>
#include <map>
#include <set>

#include "common/error.h"
#include "common/file_util.h"
#include "common/random.h"
#include "jobs/task_params.h"
#include "science/blob.h"
#include "science/extraction.h"
#include "science/task_common.h"
#include "stimuli/stimuli.h"

namespace emoscope {
namespace {

using nlohmann::json;

// FNV-1a: a stable 64-bit hash of a stimulus id, for per-sample seeds.
uint64_t HashId(const std::string& id) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : id) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// The items one extract task reads: its method's stimuli of the emotion set, capped per emotion,
// then its shard.
std::vector<ExtractionItem> ExtractionItems(const ExtractParams& params) {
  const std::string& method = params.method;
  const std::vector<std::string>& emotions = params.emotions;
  const uint64_t seed = params.common.seed;
  const std::string dir =
      params.common.stimuli_dir == "builtin" ? BuiltinStimuliDir() : params.common.stimuli_dir;
  const auto shard = static_cast<int>(params.shard);
  const auto shards = static_cast<int>(params.shards);
  std::vector<Stimulus> chosen;
  if (method == "neutral") {
    std::vector<Stimulus> all = LoadStimuliFile(JoinPath(dir, "neutral.jsonl"));
    const auto count = static_cast<size_t>(params.neutral_count);
    if (all.size() > count) all.resize(count);
    chosen = all;
  } else {
    const std::string file = method == "generation" ? "generation_prompts.jsonl" : "comprehension.jsonl";
    const std::vector<Stimulus> all = LoadStimuliFile(JoinPath(dir, file));
    const int64_t per_emotion = params.per_emotion;
    std::map<std::string, int64_t> taken;
    const std::set<std::string> wanted(emotions.begin(), emotions.end());
    for (const Stimulus& stimulus : all) {
      if (wanted.count(stimulus.emotion) && taken[stimulus.emotion]++ < per_emotion)
        chosen.push_back(stimulus);
    }
    for (const std::string& emotion : emotions) {
      if (taken[emotion] == 0) {
        throw TaskFailed(fmt::format("extract: {} has no {} stimuli for emotion '{}'", dir, method, emotion),
                         false);
      }
    }
  }
  chosen = ShardStimuli(chosen, shard, shards);
  std::vector<ExtractionItem> items;
  const int64_t per_prompt = method == "generation" ? params.generations_per_prompt : 1;
  for (const Stimulus& stimulus : chosen) {
    for (int64_t copy = 0; copy < per_prompt; ++copy) {
      ExtractionItem item;
      item.id = per_prompt > 1 ? fmt::format("{}#{}", stimulus.id, copy) : stimulus.id;
      item.emotion = stimulus.emotion;
      // A generation prompt's context is part of what the model continues; a comprehension
      // stimulus's context is fed but not read (science/extraction.h).
      if (method == "generation" && !stimulus.context.empty()) {
        item.text = stimulus.context + " " + stimulus.text;
      } else {
        item.text = stimulus.text;
        item.context = stimulus.context;
      }
      item.seed = Mix64(seed ^ HashId(stimulus.id)) + static_cast<uint64_t>(copy);
      items.push_back(std::move(item));
    }
  }
  return items;
}

}  // namespace

TaskOutput RunExtract(TaskContext& ctx) {
  const auto start = Clock::now();
  ExtractParams params;
  try {
    params = ExtractParamsFromJson(ctx.params);
  } catch (const Error& error) {
    throw TaskFailed(error.what(), false);
  }
  const std::string& method = params.method;
  const std::vector<std::string>& emotions = params.emotions;
  const uint64_t seed = params.common.seed;
  const std::string& dtype = params.common.dtype;
  const std::string& device = params.common.device;
  const std::vector<ExtractionItem> items = ExtractionItems(params);
  if (items.empty()) throw TaskFailed("extract: this shard selects no stimuli", false);

  std::shared_ptr<LoadedModel> loaded = GetModel(ctx, dtype, device);
  ExtractionOptions options;
  options.method = method == "generation" ? ExtractionMethod::kGeneration : ExtractionMethod::kComprehension;
  options.tokens_per_batch = params.common.batch_tokens;
  options.skip_leading_fraction = params.skip_leading_fraction;
  options.sampling = SamplingFrom(ToJson(params.generation), *loaded->model);
  std::vector<SampleReadout> samples;
  {
    std::lock_guard<std::mutex> lock(loaded->mutex);
    const auto total = static_cast<double>(items.size());
    samples = ExtractReadouts(*loaded->model, *loaded->tokenizer, items, options, [&](int64_t done) {
      CheckCancel(ctx);
      if (ctx.progress) ctx.progress(static_cast<double>(done) / total);  // shown by status and the dashboard
    });
  }
  const int64_t points = loaded->model->num_layers() + 1;
  const int64_t hidden = loaded->model->hidden_size();

  TaskOutput out;
  json& rows = out.rows;
  rows["samples"] = json::array();
  for (size_t i = 0; i < samples.size(); ++i) {
    const SampleReadout& sample = samples[i];
    rows["samples"].push_back({{"sample_index", static_cast<int64_t>(i)},
                               {"stimulus_id", sample.id},
                               {"emotion", sample.emotion},
                               {"method", method},
                               {"seed", static_cast<int64_t>(sample.seed)},
                               {"readout_tokens", sample.readout_tokens},
                               {"generated_text", sample.generated_text}});
  }
  // One blob per hook point: (samples, hidden) float32, samples in sample_index order; a sample
  // with nothing to read (readout_tokens 0) holds zeros.
  rows["sample_activations"] = json::array();
  const auto count = static_cast<int64_t>(samples.size());
  for (int64_t layer = 0; layer < points; ++layer) {
    std::vector<float> data(static_cast<size_t>(count * hidden), 0.0f);
    std::vector<float> norms(static_cast<size_t>(count), 0.0f);
    for (int64_t i = 0; i < count; ++i) {
      const SampleReadout& sample = samples[static_cast<size_t>(i)];
      if (sample.readout_tokens == 0) continue;
      std::copy_n(sample.activations.begin() + layer * hidden, hidden, data.begin() + i * hidden);
      norms[static_cast<size_t>(i)] = sample.norms[static_cast<size_t>(layer)];
    }
    rows["sample_activations"].push_back({{"layer", layer},
                                          {"method", method},
                                          {"rows", count},
                                          {"dim", hidden},
                                          {"data", out.AddBlob(FloatsToBlob(data.data(), data.size()))},
                                          {"norms", out.AddBlob(FloatsToBlob(norms.data(), norms.size()))}});
  }
  const json settings = {{"method", method},
                         {"emotions", emotions},
                         {"samples", count},
                         {"skip_leading_fraction", options.skip_leading_fraction},
                         {"batch_tokens", options.tokens_per_batch},
                         {"generation",
                          {{"max_new_tokens", options.sampling.max_new_tokens},
                           {"temperature", options.sampling.temperature},
                           {"top_p", options.sampling.top_p}}}};
  rows["task_runs"] = json::array({TaskRunRow(ctx, device, dtype, seed, settings, start)});
  return out;
}

}  // namespace emoscope
