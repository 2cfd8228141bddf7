// Extraction reads exactly the tokens SCIENCE.md defines: the stimulus text's own tokens for
// comprehension, only the generated tokens for generation.
#include "science/extraction.h"

#include <ATen/ATen.h>

#include "models/runtime/model_init.h"
#include "tests/support/catch_aten.h"
#include "tests/support/test_support.h"

namespace {

struct Fixture {
  emoscope::testing::TempDir dir;
  std::unique_ptr<emoscope::CausalLm> model;
  std::unique_ptr<emoscope::Tokenizer> tokenizer;

  explicit Fixture(const std::string& arch = "llama") {
    emoscope::ModelInitOptions options;
    options.arch = arch;
    options.layers = 2;
    options.hidden = 32;
    options.heads = 4;
    options.merges = 30;
    emoscope::InitRandomModel(options, dir.File("m"));
    model = emoscope::LoadModel(dir.File("m"));
    tokenizer = std::make_unique<emoscope::Tokenizer>(emoscope::Tokenizer::FromFolder(dir.File("m")));
  }

  // Mean of the residual stream over positions [begin, end) of `ids`, at every hook point: (L+1, d).
  at::Tensor ManualMean(const std::vector<int64_t>& ids, int64_t begin, int64_t end) {
    emoscope::ForwardRequest request;
    request.input_ids = at::tensor(ids, at::kLong).view({1, -1});
    request.keep_residual = true;
    const at::Tensor residual = model->Forward(request).residual;  // [L+1, 1, T, d]
    return residual.select(1, 0).narrow(1, begin, end - begin).mean(1);
  }
};

at::Tensor AsTensor(const emoscope::SampleReadout& sample, int64_t points) {
  return at::tensor(sample.activations, at::kFloat).view({points, -1});
}

}  // namespace

TEST_CASE("comprehension readout is the mean over the stimulus's own tokens, batched or not",
          "[extraction]") {
  Fixture f;
  const std::vector<emoscope::ExtractionItem> items = {
      {"a", "joy", "the quick brown fox jumps", 0, ""},
      {"b", "fear", "he trembled", 0, ""},
      {"c", "joy", "she smiled and laughed with joy at the news today", 0, ""}};
  emoscope::ExtractionOptions options;
  options.tokens_per_batch = 64;  // all in one padded batch
  const auto samples = emoscope::ExtractReadouts(*f.model, *f.tokenizer, items, options);
  REQUIRE(samples.size() == 3);
  for (size_t i = 0; i < items.size(); ++i) {
    INFO(items[i].id);
    const auto encoded = emoscope::EncodeForReadout(*f.tokenizer, items[i].text);
    CHECK(samples[i].readout_tokens == encoded.end - encoded.begin);
    const at::Tensor manual = f.ManualMean(encoded.ids, encoded.begin, encoded.end);
    CHECK((AsTensor(samples[i], 3) - manual).abs().max().item<double>() < 2e-5);
  }
  options.tokens_per_batch = 1;  // one at a time
  const auto alone = emoscope::ExtractReadouts(*f.model, *f.tokenizer, items, options);
  for (size_t i = 0; i < items.size(); ++i) {
    CHECK((AsTensor(alone[i], 3) - AsTensor(samples[i], 3)).abs().max().item<double>() < 2e-5);
  }
}

TEST_CASE("a stimulus's context is fed but not read: the readout is the mean over its own text's tokens",
          "[extraction]") {
  Fixture f;
  const std::string text = "the clock kept ticking";
  std::vector<emoscope::ExtractionItem> items = {{"a", "joy", text, 0, "she smiled and laughed with joy"},
                                                 {"b", "fear", text, 0, "he trembled in the dark"},
                                                 {"c", "joy", text, 0, ""}};
  emoscope::ExtractionOptions options;
  options.tokens_per_batch = 64;
  const auto samples = emoscope::ExtractReadouts(*f.model, *f.tokenizer, items, options);
  REQUIRE(samples.size() == 3);
  const auto own = f.tokenizer->Encode(" " + text, /*add_special_tokens=*/false);
  for (size_t i = 0; i < 2; ++i) {
    INFO(items[i].id);
    const auto encoded = emoscope::EncodeForReadout(*f.tokenizer, text, items[i].context, items[i].id);
    CHECK(encoded.end == static_cast<int64_t>(encoded.ids.size()));  // the text closes what is fed
    CHECK(encoded.end - encoded.begin == static_cast<int64_t>(own.size()));
    CHECK(samples[i].readout_tokens == static_cast<int64_t>(own.size()));
    const at::Tensor manual = f.ManualMean(encoded.ids, encoded.begin, encoded.end);
    CHECK((AsTensor(samples[i], 3) - manual).abs().max().item<double>() < 2e-5);
  }
  // Llama's embedding output has no positions: the same tokens read the same at layer 0, and
  // differ after a block that attended to the different contexts.
  const at::Tensor a = AsTensor(samples[0], 3), b = AsTensor(samples[1], 3);
  CHECK((a[0] - b[0]).abs().max().item<double>() == 0.0);
  CHECK((a[2] - b[2]).abs().max().item<double>() > 1e-4);
}

TEST_CASE("skip_leading_fraction drops the first part of the readout tokens", "[extraction]") {
  CHECK((emoscope::SkipLeading(0, 10, 0.25) == std::pair<int64_t, int64_t>{2, 10}));
  CHECK((emoscope::SkipLeading(3, 4, 0.9) == std::pair<int64_t, int64_t>{3, 4}));  // at least one stays
  CHECK((emoscope::SkipLeading(0, 10, 0.0) == std::pair<int64_t, int64_t>{0, 10}));
}

TEST_CASE("generation readout covers only the generated tokens, never the prompt",
          "[extraction][generation]") {
  Fixture f("gpt2");
  // A long prompt whose own tokens would move the mean a lot if they were read.
  const std::string prompt = "zzzz zzzz zzzz zzzz zzzz zzzz zzzz zzzz zzzz zzzz then";
  emoscope::ExtractionOptions options;
  options.method = emoscope::ExtractionMethod::kGeneration;
  options.sampling.max_new_tokens = 6;
  options.sampling.temperature = 0.7;
  options.sampling.top_p = 0.9;
  const auto samples =
      emoscope::ExtractReadouts(*f.model, *f.tokenizer, {{"p#0", "joy", prompt, 11, ""}}, options);
  REQUIRE(samples.size() == 1);
  REQUIRE(samples[0].readout_tokens > 0);
  std::vector<int64_t> ids;
  for (int32_t id : f.tokenizer->Encode(prompt)) ids.push_back(id);
  const auto prompt_length = static_cast<int64_t>(ids.size());
  // Re-generate with the same seed to know the continuation.
  emoscope::GenerationRequest request;
  request.prompts = {ids};
  request.seeds = {11};
  request.sampling = options.sampling;
  const auto generated = emoscope::Generate(*f.model, request).tokens[0];
  REQUIRE(static_cast<int64_t>(generated.size()) == samples[0].readout_tokens);
  ids.insert(ids.end(), generated.begin(), generated.end());
  const at::Tensor generated_only = f.ManualMean(ids, prompt_length, static_cast<int64_t>(ids.size()));
  const at::Tensor everything = f.ManualMean(ids, 0, static_cast<int64_t>(ids.size()));
  const at::Tensor read = AsTensor(samples[0], 3);
  CHECK((read - generated_only).abs().max().item<double>() < 2e-5);
  CHECK((read - everything).abs().max().item<double>() > 1e-3);  // the prompt would have moved it
}
