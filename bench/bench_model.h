// The model the benchmarks run: a folder the user names, or a random GPT-2-small-shaped checkpoint
// (12 layers, 768 hidden, 12 heads, vocab 50257: 124M parameters) written to a temporary folder
// and removed again.
#pragma once

#include <optional>
#include <string>

namespace emoscope {

class BenchModel {
 public:
  // `tag` names the temporary folder (emoscope-TAG-PID).
  BenchModel(const std::optional<std::string>& given, const std::string& tag);
  ~BenchModel();
  BenchModel(const BenchModel&) = delete;
  BenchModel& operator=(const BenchModel&) = delete;

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  bool temporary_ = false;
};

}  // namespace emoscope
