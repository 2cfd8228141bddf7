// One check for the fixture tests: a model's forward pass against stored reference tensors.
#pragma once

#include <string>

namespace emoscope::testing {

// The tolerance of every float32 fixture comparison (references agree within about 1e-5).
constexpr double kForwardTolerance = 1e-4;

// Loads the checkpoint folder `model_dir`, runs `expected_file`'s input_ids I64 [B, T] through it
// with every layer kept, and CHECKs residual F32 [L+1, B, T, d] layer by layer and logits
// F32 [B, T, V] against the file within kForwardTolerance, printing each largest difference
// under `label`.
void CheckForwardAgainst(const std::string& label, const std::string& model_dir,
                         const std::string& expected_file);

}  // namespace emoscope::testing
