// The training checkpoint: everything needed to continue a run exactly where it stopped.
//
// Layout of DIR/checkpoint/ (DIR is the run's output folder):
//   config.json, tokenizer.json, model.safetensors  the model as initialized (step 0), loadable
//   state-SSSSSSSS.safetensors                      tensors "param/NAME", "adam_m/NAME", "adam_v/NAME"
//   state.json                                      {"format", "version", "step", "tensors",
//                                                    "identity", "elapsed_seconds",
//                                                    "cpu_seconds", "history"}
// state.json is written last, atomically (temporary file, fsync, rename), and names its tensor
// file: it is the commit point, so a run killed while writing leaves the previous checkpoint
// intact. Older tensor files are removed after the commit. The batch sampler draws from a stream
// seeded by (seed, step), so the step is the whole random state; there is no dropout.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace emoscope {

inline constexpr int kTrainingStateVersion = 1;

struct TrainingState {
  int64_t step = 0;              // optimizer steps done
  double elapsed_seconds = 0;    // training time spent so far (all sessions)
  double cpu_seconds = 0;        // process CPU time spent training so far (all sessions)
  nlohmann::ordered_json identity;          // TrainIdentity of the run
  nlohmann::json history = nlohmann::json::array();  // [{"step", "loss", "lr"}, ...]
  std::map<std::string, at::Tensor> parameters;
  std::map<std::string, at::Tensor> first_moments;
  std::map<std::string, at::Tensor> second_moments;
};

// Writes the state into `dir` (which must exist) as described above.
void WriteTrainingState(const std::string& dir, const TrainingState& state);

// The committed state of `dir`, or nullopt when it has no state.json. Error naming the file and
// field for a malformed state.json, a wrong version, or a missing tensor file.
std::optional<TrainingState> ReadTrainingState(const std::string& dir);

}  // namespace emoscope
