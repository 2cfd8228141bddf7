// The forward pass of every architecture against reference implementations written
// independently (../shared/fixtures/models: nanoGPT, llama2.c, gemma_pytorch), in float32.
#include <catch2/catch.hpp>

#include <ATen/ATen.h>

#include <cstdio>

#include "models/runtime/model.h"
#include "models/runtime/tensor_file.h"
#include "tests/support/test_support.h"

namespace {

constexpr double kTolerance = 1e-4;  // the fixtures' README: float32 agrees within about 1e-5

double MaxDiff(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }

void CheckFixture(const std::string& name) {
  const auto dir = emoscope::testing::RequireFixtures("models/" + name + "/expected.safetensors");
  if (!dir) return;
  const std::string model_dir = dir->substr(0, dir->rfind('/'));
  const auto expected = emoscope::ReadTensorFile(*dir);
  auto model = emoscope::LoadModel(model_dir);
  emoscope::ForwardRequest request;
  request.input_ids = expected.at("input_ids");
  request.keep_residual = true;
  const emoscope::ForwardResult result = model->Forward(request);
  const at::Tensor& residual = expected.at("residual");
  REQUIRE(result.residual.sizes() == residual.sizes());
  REQUIRE(result.logits.sizes() == expected.at("logits").sizes());
  for (int64_t layer = 0; layer < residual.size(0); ++layer) {
    const double diff = MaxDiff(result.residual[layer], residual[layer]);
    std::printf("%-15s residual[%lld] maxdiff %.3g\n", name.c_str(), static_cast<long long>(layer), diff);
    CHECK(diff < kTolerance);
  }
  const double logits_diff = MaxDiff(result.logits, expected.at("logits"));
  std::printf("%-15s logits      maxdiff %.3g\n", name.c_str(), logits_diff);
  CHECK(logits_diff < kTolerance);
}

}  // namespace

TEST_CASE("gpt2 matches the nanoGPT reference within 1e-4", "[forward][fixtures]") { CheckFixture("gpt2-tiny"); }
TEST_CASE("llama with grouped-query attention matches the llama2.c reference", "[forward][fixtures]") {
  CheckFixture("llama-tiny-gqa");
}
TEST_CASE("qwen2 with q/k/v biases matches its reference", "[forward][fixtures]") { CheckFixture("qwen2-tiny"); }
TEST_CASE("gemma matches the gemma_pytorch reference", "[forward][fixtures]") { CheckFixture("gemma-tiny"); }
TEST_CASE("gemma2 with soft-capping and sliding windows matches its reference", "[forward][fixtures]") {
  CheckFixture("gemma2-tiny");
}
TEST_CASE("gemma3 with qk-norm and two rotary bases matches its reference", "[forward][fixtures]") {
  CheckFixture("gemma3-tiny");
}
