#include "bench/bench_model.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "models/runtime/model_init.h"

namespace emoscope {

BenchModel::BenchModel(const std::optional<std::string>& given, const std::string& tag) {
  if (given) {
    dir_ = *given;
    return;
  }
  dir_ = (std::filesystem::temp_directory_path() / ("emoscope-" + tag + "-" + std::to_string(::getpid()))).string();
  temporary_ = true;
  ModelInitOptions options;
  options.arch = "gpt2";
  options.layers = 12;
  options.hidden = 768;
  options.heads = 12;
  options.max_positions = 1024;
  options.vocab_size = 50257;
  std::fprintf(stderr, "writing a random GPT-2-small checkpoint to %s\n", dir_.c_str());
  InitRandomModel(options, dir_);
}

BenchModel::~BenchModel() {
  if (!temporary_) return;
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

}  // namespace emoscope
