#include "tests/models/forward_check.h"

#include <ATen/ATen.h>

#include <cstdio>

#include "models/runtime/model.h"
#include "models/runtime/tensor_file.h"
#include "tests/support/catch_aten.h"

namespace emoscope::testing {

void CheckForwardAgainst(const std::string& label, const std::string& model_dir,
                         const std::string& expected_file) {
  const auto max_diff = [](const at::Tensor& a, const at::Tensor& b) {
    return (a - b).abs().max().item<double>();
  };
  const auto expected = ReadTensorFile(expected_file);
  auto model = LoadModel(model_dir);
  ForwardRequest request;
  request.input_ids = expected.at("input_ids");
  request.keep_residual = true;
  const ForwardResult result = model->Forward(request);
  const at::Tensor& residual = expected.at("residual");
  REQUIRE(result.residual.sizes() == residual.sizes());
  REQUIRE(result.logits.sizes() == expected.at("logits").sizes());
  for (int64_t layer = 0; layer < residual.size(0); ++layer) {
    const double diff = max_diff(result.residual[layer], residual[layer]);
    std::printf("%-15s residual[%lld] maxdiff %.3g\n", label.c_str(), static_cast<long long>(layer), diff);
    CHECK(diff < kForwardTolerance);
  }
  const double logits_diff = max_diff(result.logits, expected.at("logits"));
  std::printf("%-15s logits      maxdiff %.3g\n", label.c_str(), logits_diff);
  CHECK(logits_diff < kForwardTolerance);
}

}  // namespace emoscope::testing
