// Fuzzes the safetensors reader (header JSON, offsets, dtypes, shapes). Bad input may only throw
// emoscope::Error; every tensor of an accepted file must lie inside the mapping.
#include <cstdlib>
#include <string>

#include "common/error.h"
#include "fuzz/fuzz_file.h"
#include "models/checkpoint/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = emoscope::fuzz::ScratchPath("model.safetensors");
  emoscope::fuzz::WriteScratch(path, data, size);
  try {
    const emoscope::SafetensorsFile file = emoscope::SafetensorsFile::Open(path);
    const auto* begin = file.mapping().data();
    const auto* end = begin + file.mapping().size();
    for (const emoscope::TensorView& tensor : file.tensors()) {
      const auto* first = tensor.data;
      if (first < begin || first + tensor.nbytes > end) std::abort();
      if (static_cast<size_t>(tensor.numel()) * emoscope::DTypeSize(tensor.dtype) != tensor.nbytes) std::abort();
      if (file.Find(tensor.name) == nullptr) std::abort();
    }
  } catch (const emoscope::Error&) {
  }
  return 0;
}
