// Steering a layer range adds each layer's own vector at that layer, checked against forwards of
// the same model that add the vectors one at a time (models/runtime/model.h keeps the residual);
// too-short baselines are re-drawn with the next unused seed. libtorch (science/steering_run.h)
// comes before Catch: glog, through c10, defines its own CHECK, which Catch's must replace.
#include "science/steering_run.h"

#include <ATen/ATen.h>

#include "models/runtime/model_init.h"
#include "tests/support/catch_aten.h"
#include "tests/support/test_support.h"

namespace {

at::Tensor Residual(emoscope::CausalLm& model, const std::vector<int64_t>& ids,
                    const std::vector<emoscope::SteeringVector>& steering) {
  emoscope::ForwardRequest request;
  request.input_ids = at::tensor(ids, at::kLong).view({1, -1});
  request.keep_residual = true;
  request.steering = steering;
  return model.Forward(request).residual.select(1, 0);  // [L+1, T, d]
}

}  // namespace

TEST_CASE("a steered layer range adds each layer's own vector at that layer", "[steering][layers]") {
  emoscope::testing::TempDir dir;
  emoscope::ModelInitOptions options;
  options.arch = "llama";
  options.layers = 4;
  options.hidden = 32;
  options.heads = 4;
  options.merges = 30;
  emoscope::InitRandomModel(options, dir.File("m"));
  auto model = emoscope::LoadModel(dir.File("m"));
  const std::vector<int64_t> ids = {5, 9, 14, 3, 27, 8};

  emoscope::SteeringTarget target;
  at::manual_seed(7);
  target.layers = {2, 3, 4};
  for (int64_t layer : target.layers) {
    const at::Tensor v =
        at::randn({32}, at::TensorOptions().dtype(at::kFloat)).div_(6.0 + static_cast<double>(layer));
    target.units.emplace_back(v.data_ptr<float>(), v.data_ptr<float>() + 32);
    target.scales.push_back(1.5 * static_cast<double>(layer));  // each layer its own n_l
  }
  const double alpha = 0.3;
  const auto steering = target.At(alpha);
  REQUIRE(steering.size() == 3);
  const at::Tensor plain = Residual(*model, ids, {});
  const at::Tensor steered = Residual(*model, ids, steering);

  // Below the range nothing changes.
  CHECK(at::allclose(steered.narrow(0, 0, 2), plain.narrow(0, 0, 2)));
  for (size_t i = 0; i < target.layers.size(); ++i) {
    const int64_t layer = target.layers[i];
    INFO("layer " << layer);
    // Every other layer's vector, but not this one: the difference at this layer is exactly
    // alpha * n_l * v_l at every position.
    std::vector<emoscope::SteeringVector> without;
    for (size_t j = 0; j < steering.size(); ++j) {
      if (j != i) without.push_back(steering[j]);
    }
    const at::Tensor other = Residual(*model, ids, without);
    const at::Tensor added = steered.select(0, layer) - other.select(0, layer);  // [T, d]
    const at::Tensor expected =
        at::tensor(target.units[i], at::kFloat).mul(alpha * target.scales[i]).expand_as(added);
    CHECK(at::allclose(added, expected, /*rtol=*/1e-4, /*atol=*/1e-5));
  }
}

TEST_CASE("a too-short baseline is re-sampled with the prompt's next unused seed, and counted",
          "[steering][baseline]") {
  std::vector<emoscope::SteeringCase> cases(3);
  cases[0].prompt_id = "a";
  cases[0].seed = 0;
  cases[1].prompt_id = "a";
  cases[1].seed = 1;
  cases[2].prompt_id = "b";
  cases[2].seed = 0;
  // A fake model: prompt a with seeds 0..2 stops at once; every other draw gives 6 tokens.
  std::vector<std::pair<std::string, uint64_t>> draws;
  auto generate = [&](const std::vector<const emoscope::SteeringCase*>& asked) {
    std::vector<std::vector<int64_t>> out;
    for (const auto* c : asked) {
      draws.emplace_back(c->prompt_id, c->seed);
      const bool short_draw = c->prompt_id == "a" && c->seed <= 2;
      out.push_back(std::vector<int64_t>(short_draw ? 1 : 6, 7));
    }
    return out;
  };
  emoscope::DrawBaselines(&cases, generate, /*min_tokens=*/4, /*max_resamples=*/8);
  // a/0 (short) takes 2, the first seed prompt a does not use; a/1 (short) then takes 3, which
  // works; a/0's seed 2 is short too, so it moves on to 4. b/0 is kept.
  CHECK(cases[0].seed == 4);
  CHECK(cases[0].resamples == 2);
  CHECK(cases[1].seed == 3);
  CHECK(cases[1].resamples == 1);
  CHECK(cases[2].seed == 0);
  CHECK(cases[2].resamples == 0);
  for (const auto& c : cases) CHECK(c.baseline.size() == 6);
  CHECK(draws.size() == 6);  // 3, then a/0 and a/1, then a/0
  // With no re-samples allowed the short baseline stays, uncounted.
  std::vector<emoscope::SteeringCase> once(1);
  once[0].prompt_id = "a";
  emoscope::DrawBaselines(&once, generate, 4, 0);
  CHECK(once[0].baseline.size() == 1);
  CHECK(once[0].resamples == 0);
}
