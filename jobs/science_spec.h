// The `science:` section of a campaign file, expanded into task entries (docs/science.md):
//
//   science:
//     emotions: basic6            # a built-in set (basic6, emotions20), a sets file, or a list
//     stimuli: builtin            # or a folder with comprehension.jsonl, generation_prompts.jsonl, ...
//     methods: [comprehension, generation]
//     per_emotion: 40             # comprehension passages per emotion
//     prompts_per_emotion: 10     # generation prompts per emotion
//     generations_per_prompt: 1
//     neutral: 100                # neutral passages (anisotropy, neutral PCs, n_l)
//     shards: 1                   # extraction tasks per model and method
//     readout: {skip_leading_fraction: 0.0}
//     generation: {max_new_tokens: 64, temperature: 0.7, top_p: 0.9, top_k: 0}
//     metrics: {neutral_pc_share: 0.5, probe_folds: 5, peak_metric: probe_accuracy}
//     steering:                   # optional
//       layers: [peak]            # peak | layer | depth in (0, 1] | all | {from: 0.25, to: 0.75}
//       emotions: all             # or a list (of the set's emotions)
//       coefficients: [0.05, 0.1, 0.2, 0.5, 1]   # the default (relative mode), or auto:
//       auto: {points: 5, max_ppl_ratio: 4, prompts: 4, per_emotion: false, search: [0.01, 16],
//              span: 20, resolution: 1.1}        # only with coefficients: auto
//       mode: relative            # h_l += alpha * n_l * v (relative) or alpha * v (absolute)
//       vector_method: generation # whose vectors steer (default: the last method listed)
//       estimator: mean_difference # or pca (pca_diff), logistic, or a list of them side by side
//       prompts: 8                # neutral steering prompts
//       seeds: [0, 1]
//       max_resamples: 8          # re-draws of a baseline shorter than min_tokens
//       generation: {max_new_tokens: 48, temperature: 0.7, top_p: 0.9, top_k: 0}
//       judge: probe              # probe | lexicon | {kind: probe, method: comprehension}
//                                 # | {kind: classifier, path: models/emotion-roberta}
//       thresholds: {min_tokens: 4, explosive_ppl_ratio: 4, collapse_compression: 2.4,
//                    collapse_seq_rep4: 0.5, collapse_distinct2: 0.3}
//       success_share: 0.5
//     seed: 0
//     dtype: float32
//     device: cpu
//     batch_tokens: 2048
//
// Per model: extract tasks (neutral, and each method, per shard), metrics tasks per (method,
// layer 0..L) after the model's extractions, with coefficients: auto a calibrate task per layer
// spec and estimator (or per layer spec, estimator and emotion) after the model's metrics, and
// steer tasks per (layer spec, estimator, emotion) after the model's metrics and their calibrate task. The
// defaults live in jobs/task_params.h; every parameter is written into the tasks' params, so the values used
// are stored with every result. Errors name the file, line and field.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "jobs/campaign.h"

namespace emoscope {

// Appends the section's entries to `campaign` (whose models are parsed already).
void ExpandScience(const YAML::Node& science, const std::string& file, Campaign* campaign);

}  // namespace emoscope
