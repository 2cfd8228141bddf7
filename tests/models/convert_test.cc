#include "models/checkpoint/convert.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/file_util.h"
#include "models/checkpoint/checksum_cache.h"
#include "tests/support/test_support.h"

namespace {

using emoscope::DType;
using emoscope::testing::TempDir;

// A small model-like folder: two float32 tensors (with values that round differently, a NaN and
// infinities), an int64 tensor, a config, a tokenizer, and a checkpoint subfolder.
std::vector<float> kValues = {0.0f,
                              -0.0f,
                              1.0f,
                              1.00390625f,
                              1.005859375f,
                              3.14159265f,
                              -2.5e-5f,
                              65504.0f,
                              1e30f,
                              std::numeric_limits<float>::infinity(),
                              -std::numeric_limits<float>::infinity(),
                              std::numeric_limits<float>::quiet_NaN()};
std::vector<int64_t> kIds = {1, 2, 3};

void WriteSource(const std::string& dir) {
  std::filesystem::create_directories(dir + "/checkpoint");
  emoscope::WriteSafetensors(dir + "/model.safetensors",
                             {{"b.weight", DType::kF32, {12}, kValues.data(), kValues.size() * 4},
                              {"a.weight", DType::kF32, {3, 4}, kValues.data(), kValues.size() * 4},
                              {"ids", DType::kI64, {3}, kIds.data(), kIds.size() * 8}},
                             {{"format", "pt"}});
  emoscope::WriteFileAtomic(dir + "/config.json", R"({"model_type": "llama", "torch_dtype": "float32"})");
  emoscope::WriteFileAtomic(dir + "/tokenizer.json", "{\"tok\": 1}");
  emoscope::WriteFileAtomic(dir + "/training.json", "{\"steps\": 3}");
  emoscope::WriteFileAtomic(dir + "/checkpoint/state.json", "{}");
}

}  // namespace

TEST_CASE(
    "a model converted to bfloat16 holds each float rounded to nearest even and everything else as it was",
    "[convert]") {
  TempDir dir;
  const std::string source = dir.path() + "/f32", out = dir.path() + "/bf16";
  WriteSource(source);
  const auto summary = emoscope::ConvertModelFolder(source, DType::kBF16, out);
  CHECK(summary.tensors == 3);
  CHECK(summary.converted == 2);
  CHECK(summary.bytes_before == 12 * 4 * 2 + 24);
  CHECK(summary.bytes_after == 12 * 2 * 2 + 24);
  const auto file = emoscope::SafetensorsFile::Open(out + "/model.safetensors");
  REQUIRE(file.tensors().size() == 3);
  CHECK(file.metadata().at("format") == "pt");
  for (const char* name : {"a.weight", "b.weight"}) {
    const auto* view = file.Find(name);
    REQUIRE(view != nullptr);
    CHECK(view->dtype == DType::kBF16);
    for (size_t k = 0; k < kValues.size(); ++k) {
      uint16_t bits;
      std::memcpy(&bits, view->data + 2 * k, 2);
      INFO(name << "[" << k << "] = " << kValues[k]);
      CHECK(bits == emoscope::FloatToBFloat16(kValues[k]));
    }
  }
  CHECK(file.Find("a.weight")->shape == std::vector<int64_t>{3, 4});
  // 1.00390625 is halfway between two bfloat16 values and goes to the even one (1.0); 1.005859375 up.
  uint16_t bits;
  std::memcpy(&bits, file.Find("b.weight")->data + 2 * 3, 2);
  CHECK(emoscope::BFloat16ToFloat(bits) == 1.0f);
  std::memcpy(&bits, file.Find("b.weight")->data + 2 * 4, 2);
  CHECK(emoscope::BFloat16ToFloat(bits) == 1.0078125f);
  const auto* ids = file.Find("ids");
  REQUIRE(ids->dtype == DType::kI64);
  CHECK(std::memcmp(ids->data, kIds.data(), 24) == 0);
  CHECK(nlohmann::json::parse(emoscope::ReadFile(out + "/config.json"))["torch_dtype"] == "bfloat16");
  CHECK(emoscope::ReadFile(out + "/tokenizer.json") == "{\"tok\": 1}");
  CHECK(emoscope::ReadFile(out + "/training.json") == "{\"steps\": 3}");
  CHECK_FALSE(std::filesystem::exists(out + "/checkpoint"));  // a training checkpoint is not part of a model
}

TEST_CASE("converting bfloat16 back to float32 is exact, and float16 rounds as IEEE half does", "[convert]") {
  TempDir dir;
  const std::string source = dir.path() + "/f32";
  WriteSource(source);
  emoscope::ConvertModelFolder(source, DType::kBF16, dir.path() + "/bf16");
  emoscope::ConvertModelFolder(dir.path() + "/bf16", DType::kF32, dir.path() + "/back");
  emoscope::ConvertModelFolder(source, DType::kF16, dir.path() + "/f16");
  const auto half = emoscope::SafetensorsFile::Open(dir.path() + "/bf16/model.safetensors");
  const auto back = emoscope::SafetensorsFile::Open(dir.path() + "/back/model.safetensors");
  const auto f16 = emoscope::SafetensorsFile::Open(dir.path() + "/f16/model.safetensors");
  for (size_t k = 0; k < kValues.size(); ++k) {
    uint16_t bits, hbits;
    float value;
    std::memcpy(&bits, half.Find("a.weight")->data + 2 * k, 2);
    std::memcpy(&value, back.Find("a.weight")->data + 4 * k, 4);
    std::memcpy(&hbits, f16.Find("a.weight")->data + 2 * k, 2);
    const float expected = emoscope::BFloat16ToFloat(bits);
    INFO(k);
    if (std::isnan(expected)) {
      CHECK(std::isnan(value));
    } else {
      CHECK(value == expected);
    }
    CHECK(hbits == emoscope::FloatToHalf(kValues[k]));
  }
  CHECK(nlohmann::json::parse(emoscope::ReadFile(dir.path() + "/back/config.json"))["torch_dtype"] ==
        "float32");
}

TEST_CASE("conversion refuses an existing output, the source itself, a folder without config and a bad dtype",
          "[convert]") {
  TempDir dir;
  const std::string source = dir.path() + "/f32";
  WriteSource(source);
  REQUIRE_THROWS_WITH(emoscope::ConvertModelFolder(source, DType::kBF16, source),
                      Catch::Contains("the source folder"));
  std::filesystem::create_directories(dir.path() + "/taken");
  emoscope::WriteFileAtomic(dir.path() + "/taken/x", "1");
  REQUIRE_THROWS_WITH(emoscope::ConvertModelFolder(source, DType::kBF16, dir.path() + "/taken"),
                      Catch::Contains("taken") && Catch::Contains("not an empty folder"));
  std::filesystem::create_directories(dir.path() + "/empty-source");
  REQUIRE_THROWS_WITH(
      emoscope::ConvertModelFolder(dir.path() + "/empty-source", DType::kBF16, dir.path() + "/o"),
      Catch::Contains("no config.json"));
  REQUIRE_THROWS_WITH(emoscope::ConvertModelFolder(source, DType::kI64, dir.path() + "/o2"),
                      Catch::Contains("not a float storage dtype"));
  REQUIRE_THROWS_WITH(emoscope::ParseStorageDType("int8", "--dtype"),
                      Catch::Contains("--dtype") && Catch::Contains("int8"));
  CHECK(emoscope::ParseStorageDType("bf16", "x") == DType::kBF16);
}

TEST_CASE(
    "the checksum cache returns the stored checksum while the weight files are unchanged and recomputes it "
    "when one changes",
    "[checksum_cache]") {
  TempDir dir;
  const std::string model = dir.path() + "/m";
  WriteSource(model);
  ::setenv("EMOSCOPE_CHECKSUM_CACHE", (dir.path() + "/cache/checksums.json").c_str(), 1);
  REQUIRE(emoscope::ChecksumCachePath() == dir.path() + "/cache/checksums.json");
  const std::string real = emoscope::WeightsChecksum(model);
  CHECK(emoscope::CachedWeightsChecksum(model) == real);
  REQUIRE(emoscope::FileExists(dir.path() + "/cache/checksums.json"));
  // Plant a wrong checksum in the entry: an unchanged folder is answered from the cache, unread.
  nlohmann::json cache = nlohmann::json::parse(emoscope::ReadFile(dir.path() + "/cache/checksums.json"));
  REQUIRE(cache["entries"].size() == 1);
  cache["entries"].begin().value()["checksum"] = std::string(64, 'a');
  emoscope::WriteFileAtomic(dir.path() + "/cache/checksums.json", cache.dump());
  CHECK(emoscope::CachedWeightsChecksum(model) == std::string(64, 'a'));
  // Rewriting the weights (same bytes, new inode and times) is noticed.
  const std::string bytes = emoscope::ReadFile(model + "/model.safetensors");
  std::filesystem::remove(model + "/model.safetensors");
  emoscope::WriteFileAtomic(model + "/model.safetensors", bytes);
  CHECK(emoscope::CachedWeightsChecksum(model) == real);
  // A damaged cache is ignored and replaced; "off" disables it.
  emoscope::WriteFileAtomic(dir.path() + "/cache/checksums.json", "{not json");
  CHECK(emoscope::CachedWeightsChecksum(model) == real);
  CHECK(nlohmann::json::parse(emoscope::ReadFile(dir.path() + "/cache/checksums.json"))["format"] ==
        "emoscope-checksum-cache");
  ::setenv("EMOSCOPE_CHECKSUM_CACHE", "off", 1);
  CHECK(emoscope::ChecksumCachePath().empty());
  CHECK(emoscope::CachedWeightsChecksum(model) == real);
  ::unsetenv("EMOSCOPE_CHECKSUM_CACHE");
}
