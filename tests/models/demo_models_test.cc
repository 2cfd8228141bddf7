// The demo's shipped models (examples/demo-models/, made by scripts/train-demo-models.sh): every
// file is the one SHA256SUMS records, each model's weights checksum is the one WEIGHTS records (as
// `emoscope model inspect` prints it), and each folder is a valid bfloat16 checkpoint of its config.
#include <catch2/catch.hpp>
#include <sstream>

#include "common/file_util.h"
#include "common/sha256.h"
#include "models/checkpoint/model_config.h"
#include "models/checkpoint/safetensors.h"
#include "models/checkpoint/tensor_layout.h"
#include "tests/support/test_support.h"

namespace {

std::string DemoModels() { return emoscope::testing::SourcePath("examples/demo-models"); }

// "<hex>  <path>" lines.
std::vector<std::pair<std::string, std::string>> ReadSums(const std::string& file) {
  std::vector<std::pair<std::string, std::string>> sums;
  std::istringstream lines(emoscope::ReadFile(file));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    const size_t space = line.find("  ");
    REQUIRE(space == 64);
    sums.emplace_back(line.substr(0, space), line.substr(space + 2));
  }
  return sums;
}

}  // namespace

TEST_CASE("every shipped demo-model file is the one SHA256SUMS records", "[demo_models]") {
  const auto sums = ReadSums(DemoModels() + "/SHA256SUMS");
  REQUIRE(sums.size() >= 8);  // two models: config, weights, tokenizer, training report each
  uint64_t bytes = 0;
  for (const auto& [hex, path] : sums) {
    INFO(path);
    const std::string contents = emoscope::ReadFile(DemoModels() + "/" + path);
    bytes += contents.size();
    emoscope::Sha256 hash;
    hash.Update(contents);
    CHECK(hash.HexDigest() == hex);
  }
  CHECK(bytes <= 25'000'000);  // the demo's budget for shipped models
}

TEST_CASE(
    "each shipped demo model has the weights checksum WEIGHTS records and is a bfloat16 checkpoint of its "
    "config",
    "[demo_models]") {
  const auto weights = ReadSums(DemoModels() + "/WEIGHTS");
  REQUIRE(weights.size() == 2);
  for (const auto& [checksum, name] : weights) {
    INFO(name);
    const std::string dir = DemoModels() + "/" + name;
    CHECK(emoscope::WeightsChecksum(dir) == checksum);
    const emoscope::ModelConfig config = emoscope::LoadModelConfig(dir);
    CHECK(config.torch_dtype == "bfloat16");
    const emoscope::WeightSet set = emoscope::WeightSet::OpenFolder(dir);
    for (const emoscope::TensorSpec& spec : emoscope::ExpectedTensors(config)) {
      const emoscope::TensorView* view = set.Find(spec.name);
      REQUIRE(view != nullptr);
      CHECK(view->shape == spec.shape);
      CHECK(view->dtype == emoscope::DType::kBF16);
    }
    CHECK(emoscope::FileExists(dir + "/tokenizer.json"));
    CHECK(emoscope::FileExists(dir + "/training.json"));
  }
}
