// GGUF (version 3) control-vector files as llama.cpp's --control-vector reads them:
// general.architecture = "controlvector", controlvector.model_hint, controlvector.layer_count, and
// one F32 tensor "direction.N" of n_embd values per steered layer.
//
// Layer numbering. llama.cpp adds direction.N (N >= 1) to the output of its 0-based layer N, which
// is emoscope's hook point N + 1 (the residual stream after block N + 1); it has no slot for the
// embedding output or the first block's output. So emoscope hook point l (2 <= l <= L) is written
// as direction.(l - 1). GgufDirectionIndex does that mapping.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace emoscope {

// llama.cpp's direction index of emoscope hook point `layer`; Error for 0 and 1.
int GgufDirectionIndex(int64_t layer);

// Writes the file atomically. `directions` maps llama.cpp direction indexes (>= 1) to vectors of
// one common length. Error naming the path on a bad index or length.
void WriteControlVectorGguf(const std::string& path, const std::string& model_hint,
                            const std::map<int, std::vector<float>>& directions);

// What a control-vector GGUF file holds (for tests and `emoscope vectors inspect`).
struct ControlVectorFile {
  std::string architecture;
  std::string model_hint;
  int64_t layer_count = 0;
  std::map<int, std::vector<float>> directions;
};
// Reads a GGUF file written as above (any key order, F32 tensors); Error naming the path and the
// offset or key on anything malformed.
ControlVectorFile ReadControlVectorGguf(const std::string& path);

}  // namespace emoscope
