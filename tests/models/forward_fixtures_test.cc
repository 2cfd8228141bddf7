// The forward pass of every architecture against reference implementations written
// independently (../shared/fixtures/models: nanoGPT, llama2.c, gemma_pytorch), in float32.
#include <ATen/ATen.h>

#include <cstdio>

#include "tests/models/forward_check.h"
#include "tests/support/catch_aten.h"
#include "tests/support/test_support.h"

namespace {

void CheckFixture(const std::string& name) {
  const auto file = emoscope::testing::RequireFixtures("models/" + name + "/expected.safetensors");
  if (!file) return;
  emoscope::testing::CheckForwardAgainst(name, file->substr(0, file->rfind('/')), *file);
}

}  // namespace

TEST_CASE("gpt2 matches the nanoGPT reference within 1e-4", "[forward][fixtures]") {
  CheckFixture("gpt2-tiny");
}
TEST_CASE("llama with grouped-query attention matches the llama2.c reference", "[forward][fixtures]") {
  CheckFixture("llama-tiny-gqa");
}
TEST_CASE("qwen2 with q/k/v biases matches its reference", "[forward][fixtures]") {
  CheckFixture("qwen2-tiny");
}
TEST_CASE("gemma matches the gemma_pytorch reference", "[forward][fixtures]") { CheckFixture("gemma-tiny"); }
TEST_CASE("gemma2 with soft-capping and sliding windows matches its reference", "[forward][fixtures]") {
  CheckFixture("gemma2-tiny");
}
TEST_CASE("gemma3 with qk-norm and two rotary bases matches its reference", "[forward][fixtures]") {
  CheckFixture("gemma3-tiny");
}
