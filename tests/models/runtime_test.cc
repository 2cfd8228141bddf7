// Properties every architecture's forward pass must have, on random tiny checkpoints written by
// `model init`: padding invariance, KV-cache equivalence, steering and readout hooks.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <cstdio>
#include <thread>

#include "models/runtime/generate.h"
#include "models/runtime/model.h"
#include "models/runtime/model_init.h"
#include "models/runtime/threads.h"
#include "tests/support/catch_aten.h"
#include "tests/support/test_support.h"

namespace {

using emoscope::ForwardRequest;
using emoscope::ForwardResult;

constexpr double kTolerance = 2e-5;

const char* const kArchitectures[] = {"gpt2", "llama", "mistral", "qwen2", "gemma", "gemma2", "gemma3"};

// A tiny model whose sliding window (4) is shorter than the test sequences, with grouped-query
// attention where the architecture has it.
std::unique_ptr<emoscope::CausalLm> TinyModel(const std::string& arch, const emoscope::testing::TempDir& dir,
                                              const std::string& dtype = "float32") {
  emoscope::ModelInitOptions options;
  options.arch = arch;
  options.layers = 3;
  options.hidden = 32;
  options.heads = 4;
  options.kv_heads = arch == "gpt2" ? 0 : 2;
  options.sliding_window = 4;
  options.seed = 7;
  const std::string path = dir.File(arch);
  emoscope::InitRandomModel(options, path);
  emoscope::LoadOptions load;
  load.dtype = dtype;
  return emoscope::LoadModel(path, load);
}

at::Tensor RandomIds(int64_t vocab, int64_t length, uint64_t seed) {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::randint(vocab, {1, length}, generator, at::kLong);
}

ForwardResult Run(emoscope::CausalLm& model, const at::Tensor& ids, const at::Tensor& mask = {}) {
  ForwardRequest request;
  request.input_ids = ids;
  request.attention_mask = mask;
  request.keep_residual = true;
  return model.Forward(request);
}

double MaxDiff(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }

}  // namespace

TEST_CASE("a padded batch gives each sequence the results it gets alone", "[runtime]") {
  emoscope::testing::TempDir dir;
  for (const char* arch : kArchitectures) {
    INFO("architecture " << arch);
    auto model = TinyModel(arch, dir);
    const int64_t vocab = model->config().vocab_size;
    const at::Tensor a = RandomIds(vocab, 7, 1);
    const at::Tensor b = RandomIds(vocab, 11, 2);
    const ForwardResult alone_a = Run(*model, a);
    const ForwardResult alone_b = Run(*model, b);
    for (bool left : {false, true}) {
      INFO((left ? "left padding" : "right padding"));
      at::Tensor ids = at::zeros({2, 11}, at::kLong);
      at::Tensor mask = at::zeros({2, 11}, at::kLong);
      const int64_t offset = left ? 4 : 0;
      ids[0].narrow(0, offset, 7).copy_(a[0]);
      mask[0].narrow(0, offset, 7).fill_(1);
      ids[1].copy_(b[0]);
      mask[1].fill_(1);
      const ForwardResult batch = Run(*model, ids, mask);
      CHECK(MaxDiff(batch.residual.select(1, 0).narrow(1, offset, 7), alone_a.residual.select(1, 0)) <
            kTolerance);
      CHECK(MaxDiff(batch.logits[0].narrow(0, offset, 7), alone_a.logits[0]) < kTolerance);
      CHECK(MaxDiff(batch.residual.select(1, 1), alone_b.residual.select(1, 0)) < kTolerance);
      CHECK(MaxDiff(batch.logits[1], alone_b.logits[0]) < kTolerance);
    }
  }
}

TEST_CASE("decoding with the KV cache equals recomputing from scratch", "[runtime]") {
  emoscope::testing::TempDir dir;
  for (const char* arch : kArchitectures) {
    INFO("architecture " << arch);
    auto model = TinyModel(arch, dir);
    const at::Tensor ids = RandomIds(model->config().vocab_size, 10, 3);
    const ForwardResult full = Run(*model, ids);
    emoscope::KvCache cache;
    ForwardRequest request;
    request.cache = &cache;
    request.input_ids = ids.narrow(1, 0, 4);
    at::Tensor logits = model->Forward(request).logits;
    CHECK(MaxDiff(logits[0], full.logits[0].narrow(0, 0, 4)) < kTolerance);
    for (int64_t t = 4; t < 10; ++t) {
      request.input_ids = ids.narrow(1, t, 1);
      logits = model->Forward(request).logits;
      CHECK(MaxDiff(logits[0][0], full.logits[0][t]) < kTolerance);
    }
    CHECK(cache.length() == 10);
  }
}

TEST_CASE("greedy generation with the cache matches argmax over full recomputation", "[runtime][generate]") {
  emoscope::testing::TempDir dir;
  for (const char* arch : {"gpt2", "llama", "gemma2"}) {
    INFO("architecture " << arch);
    auto model = TinyModel(arch, dir);
    const at::Tensor prompt = RandomIds(model->config().vocab_size, 5, 4);
    emoscope::GenerationRequest request;
    request.prompts = {std::vector<int64_t>(prompt.data_ptr<int64_t>(), prompt.data_ptr<int64_t>() + 5)};
    request.sampling.max_new_tokens = 8;
    const auto generated = emoscope::Generate(*model, request);
    std::vector<int64_t> sequence = request.prompts[0];
    for (int step = 0; step < 8; ++step) {
      const at::Tensor ids = at::tensor(sequence, at::kLong).view({1, -1});
      const int64_t next = Run(*model, ids).logits[0][-1].argmax().item<int64_t>();
      REQUIRE(generated.tokens[0].size() > static_cast<size_t>(step));
      CHECK(generated.tokens[0][static_cast<size_t>(step)] == next);
      sequence.push_back(next);
    }
  }
}

TEST_CASE("a sequence's sampled continuation does not depend on the rest of its batch",
          "[runtime][generate]") {
  emoscope::testing::TempDir dir;
  auto model = TinyModel("llama", dir);
  emoscope::GenerationRequest alone;
  alone.prompts = {{5, 6, 7}};
  alone.seeds = {42};
  alone.sampling.max_new_tokens = 6;
  alone.sampling.temperature = 0.7;
  alone.sampling.top_p = 0.9;
  emoscope::GenerationRequest batch = alone;
  batch.prompts = {{5, 6, 7}, {9, 10, 11, 12, 13}};
  batch.seeds = {42, 43};
  CHECK(emoscope::Generate(*model, alone).tokens[0] == emoscope::Generate(*model, batch).tokens[0]);
  CHECK(emoscope::Generate(*model, alone).tokens[0] == emoscope::Generate(*model, alone).tokens[0]);
}

TEST_CASE("steering with a zero vector changes nothing", "[runtime][steering]") {
  emoscope::testing::TempDir dir;
  for (const char* arch : kArchitectures) {
    INFO("architecture " << arch);
    auto model = TinyModel(arch, dir);
    const at::Tensor ids = RandomIds(model->config().vocab_size, 9, 5);
    ForwardRequest request;
    request.input_ids = ids;
    request.keep_residual = true;
    const ForwardResult plain = model->Forward(request);
    for (int64_t layer = 0; layer <= model->num_layers(); ++layer)
      request.steering.push_back({layer, at::zeros({32}), {}});
    const ForwardResult steered = model->Forward(request);
    CHECK(at::equal(plain.residual, steered.residual));
    CHECK(at::equal(plain.logits, steered.logits));
  }
}

TEST_CASE("steering adds the vector to h_l at the chosen positions only", "[runtime][steering]") {
  emoscope::testing::TempDir dir;
  auto model = TinyModel("gemma3", dir);
  const at::Tensor ids = RandomIds(model->config().vocab_size, 6, 6);
  const ForwardResult plain = Run(*model, ids);
  ForwardRequest request;
  request.input_ids = ids;
  request.keep_residual = true;
  const at::Tensor vector = at::linspace(-1, 1, 32);
  at::Tensor positions = at::zeros({1, 6});
  positions[0][2] = 1;
  positions[0][4] = 1;
  request.steering.push_back({2, vector, positions});
  const ForwardResult steered = model->Forward(request);
  const at::Tensor added = steered.residual[2][0] - plain.residual[2][0];  // [T, d]
  CHECK(MaxDiff(added[2], vector) < kTolerance);
  CHECK(MaxDiff(added[4], vector) < kTolerance);
  CHECK(added[0].abs().max().item<double>() == 0);
  CHECK(added[3].abs().max().item<double>() == 0);
  CHECK(at::equal(steered.residual[1], plain.residual[1]));       // earlier layers untouched
  CHECK(MaxDiff(steered.residual[3], plain.residual[3]) > 1e-3);  // later layers see it
}

TEST_CASE("the on-the-fly readout equals the mean of the full residual over the chosen tokens",
          "[runtime][readout]") {
  emoscope::testing::TempDir dir;
  for (const char* arch : kArchitectures) {
    INFO("architecture " << arch);
    auto model = TinyModel(arch, dir);
    const at::Tensor ids =
        at::cat({RandomIds(model->config().vocab_size, 8, 8), RandomIds(model->config().vocab_size, 8, 9)});
    at::Tensor weights = at::zeros({2, 8});
    weights[0].narrow(0, 3, 5).fill_(1.0 / 5);  // tokens 3..7 of sequence 0
    weights[1][1] = 1.0;                        // token 1 of sequence 1
    ForwardRequest request;
    request.input_ids = ids;
    request.readout_weights = weights;
    request.readout_norms = true;
    request.keep_residual = true;
    request.logits = emoscope::LogitsMode::kNone;
    const ForwardResult result = model->Forward(request);
    REQUIRE(result.readout.sizes() == at::IntArrayRef({model->num_layers() + 1, 2, 32}));
    CHECK_FALSE(result.logits.defined());
    const at::Tensor manual0 = result.residual.select(1, 0).narrow(1, 3, 5).mean(1);
    const at::Tensor manual1 = result.residual.select(1, 1).select(1, 1);
    CHECK(MaxDiff(result.readout.select(1, 0), manual0) < kTolerance);
    CHECK(MaxDiff(result.readout.select(1, 1), manual1) < kTolerance);
    const at::Tensor norms0 = result.residual.select(1, 0).narrow(1, 3, 5).norm(2, -1).mean(1);  // [L+1]
    CHECK(MaxDiff(result.norms.select(1, 0), norms0) < kTolerance);
  }
}

TEST_CASE("continuation log-probabilities equal log-softmax of a plain forward", "[runtime][generate]") {
  emoscope::testing::TempDir dir;
  auto model = TinyModel("qwen2", dir);
  const std::vector<int64_t> prompt = {3, 4, 5};
  const std::vector<int64_t> continuation = {6, 7, 8, 9};
  const auto log_probs = emoscope::ContinuationLogProbs(*model, {prompt, {1}}, {continuation, {2, 3}});
  std::vector<int64_t> all = prompt;
  all.insert(all.end(), continuation.begin(), continuation.end());
  const at::Tensor logits = Run(*model, at::tensor(all, at::kLong).view({1, -1})).logits[0].to(at::kDouble);
  const at::Tensor reference = at::log_softmax(logits, -1);
  REQUIRE(log_probs[0].size() == 4);
  for (size_t i = 0; i < continuation.size(); ++i) {
    CHECK(log_probs[0][i] ==
          Approx(reference[static_cast<int64_t>(2 + i)][continuation[i]].item<double>()).margin(1e-5));
  }
  CHECK(log_probs[1].size() == 2);
}

TEST_CASE("bfloat16 runs every architecture close to float32", "[runtime][bf16]") {
  emoscope::testing::TempDir dir;
  for (const char* arch : kArchitectures) {
    INFO("architecture " << arch);
    auto f32 = TinyModel(arch, dir);
    emoscope::LoadOptions load;
    load.dtype = "bfloat16";
    auto bf16 = emoscope::LoadModel(dir.File(arch), load);
    const at::Tensor ids = RandomIds(f32->config().vocab_size, 8, 10);
    const ForwardResult a = Run(*f32, ids);
    const ForwardResult b = Run(*bf16, ids);
    const double scale = a.residual.abs().max().item<double>();
    CHECK(MaxDiff(a.residual, b.residual) < 0.05 * scale);
  }
}

TEST_CASE("the compute dtype is the weights' on CUDA, and on CPU bfloat16 only where its kernels are fast",
          "[runtime][bf16]") {
  using emoscope::ComputeDtypeFor;
  using emoscope::CpuCompute;
  const at::Device cpu(at::kCPU);
  const at::Device cuda(at::kCUDA, 0);
  CHECK(ComputeDtypeFor(at::kBFloat16, cuda, CpuCompute::kAuto, false) == at::kBFloat16);
  CHECK(ComputeDtypeFor(at::kHalf, cuda, CpuCompute::kFloat32, false) == at::kHalf);
  CHECK(ComputeDtypeFor(at::kBFloat16, cpu, CpuCompute::kAuto, true) == at::kBFloat16);
  CHECK(ComputeDtypeFor(at::kBFloat16, cpu, CpuCompute::kAuto, false) == at::kFloat);
  CHECK(ComputeDtypeFor(at::kHalf, cpu, CpuCompute::kAuto, true) == at::kFloat);
  CHECK(ComputeDtypeFor(at::kBFloat16, cpu, CpuCompute::kFloat32, true) == at::kFloat);
  CHECK(ComputeDtypeFor(at::kBFloat16, cpu, CpuCompute::kDtype, false) == at::kBFloat16);
  CHECK(ComputeDtypeFor(at::kFloat, cpu, CpuCompute::kDtype, false) == at::kFloat);
}

TEST_CASE("computing in float32 on CPU uses a bfloat16 model's weights exactly", "[runtime][bf16]") {
  emoscope::testing::TempDir dir;
  emoscope::ModelInitOptions options;
  options.arch = "llama";
  options.layers = 2;
  options.hidden = 32;
  options.heads = 4;
  options.dtype = "float32";
  emoscope::InitRandomModel(options, dir.File("f32"));
  options.dtype = "bfloat16";
  emoscope::InitRandomModel(options, dir.File("bf16"));  // the same values, rounded to bfloat16
  emoscope::LoadOptions load;
  load.dtype = "bfloat16";
  load.cpu_compute = emoscope::CpuCompute::kFloat32;
  auto rounded = emoscope::LoadModel(dir.File("f32"), load);  // float32 file, bfloat16 storage
  auto stored = emoscope::LoadModel(dir.File("bf16"), load);  // bfloat16 file
  load.dtype = "float32";
  auto upcast = emoscope::LoadModel(dir.File("bf16"), load);  // bfloat16 file read as float32
  auto full = emoscope::LoadModel(dir.File("f32"), load);
  CHECK(rounded->dtype() == at::kFloat);
  CHECK(stored->dtype() == at::kFloat);
  const at::Tensor ids = RandomIds(full->config().vocab_size, 9, 4);
  const ForwardResult a = Run(*stored, ids);
  CHECK(MaxDiff(a.residual, Run(*rounded, ids).residual) == 0.0);
  CHECK(MaxDiff(a.residual, Run(*upcast, ids).residual) == 0.0);
  CHECK(MaxDiff(a.logits, Run(*upcast, ids).logits) == 0.0);
  CHECK(MaxDiff(a.residual, Run(*full, ids).residual) > 0.0);  // the rounding is there
  emoscope::LoadOptions half;                                  // float16 on CPU: float32 whatever the CPU
  half.dtype = "float16";
  CHECK(emoscope::LoadModel(dir.File("f32"), half)->dtype() == at::kFloat);
}

TEST_CASE("generation samples only ids the tokenizer can decode when the embedding has more rows",
          "[runtime][generate]") {
  emoscope::testing::TempDir dir;
  emoscope::ModelInitOptions options;
  options.arch = "gpt2";
  options.layers = 1;
  options.hidden = 16;
  options.heads = 2;
  options.vocab_size = 1024;  // the tokenizer has 257 tokens: three quarters of the rows decode to nothing
  emoscope::InitRandomModel(options, dir.File("padded"));
  auto model = emoscope::LoadModel(dir.File("padded"));
  REQUIRE(model->config().vocab_size == 1024);
  REQUIRE(model->sampling_vocab() == 257);
  for (double temperature : {0.0, 1.0}) {
    INFO("temperature " << temperature);
    emoscope::GenerationRequest request;
    request.prompts = {{1, 2, 3}, {4}};
    request.seeds = {1, 2};
    request.sampling.max_new_tokens = 40;
    request.sampling.temperature = temperature;
    const emoscope::GenerationResult result = emoscope::Generate(*model, request);
    for (const auto& tokens : result.tokens) {
      REQUIRE(tokens.size() == 40);
      for (int64_t token : tokens) CHECK(token < 257);
    }
  }
  // Without a tokenizer every row may be generated.
  std::remove(dir.File("padded/tokenizer.json").c_str());
  CHECK(emoscope::LoadModel(dir.File("padded"))->sampling_vocab() == 1024);
}

TEST_CASE("the thread count is the one asked for, or the cores not busy when 0", "[runtime][threads]") {
  const int before = at::get_num_threads();
  CHECK(emoscope::SetThreadCount(1, "test") == 1);
  CHECK(at::get_num_threads() == 1);
  const int64_t automatic = emoscope::SetThreadCount(0, "test");
  CHECK(automatic >= 1);
  CHECK(automatic <= static_cast<int64_t>(std::max(1u, std::thread::hardware_concurrency())));
  CHECK(at::get_num_threads() == automatic);
  CHECK_THROWS_WITH(emoscope::SetThreadCount(-2, "emoscope forward"), Catch::Contains("--threads"));
  at::set_num_threads(before);
}

TEST_CASE("sampling is greedy at temperature 0 and stays inside the nucleus", "[generate]") {
  const std::vector<float> logits = {1.0f, 3.0f, 3.0f, 0.5f, 2.9f};
  emoscope::SamplingOptions greedy;
  CHECK(emoscope::SampleToken(logits.data(), 5, greedy, 0.99) == 1);  // tie: the lower id
  emoscope::SamplingOptions nucleus;
  nucleus.temperature = 1.0;
  nucleus.top_p = 0.5;  // tokens 1 and 2 hold ~0.36 each: the nucleus is {1, 2}
  for (double u : {0.0, 0.3, 0.6, 0.999}) {
    const int64_t token = emoscope::SampleToken(logits.data(), 5, nucleus, u);
    CHECK((token == 1 || token == 2));
  }
  emoscope::SamplingOptions top1;
  top1.temperature = 5.0;
  top1.top_k = 1;
  CHECK(emoscope::SampleToken(logits.data(), 5, top1, 0.999) == 1);
}

TEST_CASE("token ids outside the vocabulary are an error, not a crash", "[runtime][errors]") {
  emoscope::testing::TempDir dir;
  auto model = TinyModel("llama", dir);
  ForwardRequest request;
  request.input_ids = at::full({1, 3}, model->config().vocab_size, at::kLong);
  REQUIRE_THROWS_WITH(model->Forward(request), Catch::Contains("out of range"));
  request.input_ids = at::full({1, 3}, -1, at::kLong);
  REQUIRE_THROWS_WITH(model->Forward(request), Catch::Contains("out of range"));
}

TEST_CASE("gpt2 refuses sequences longer than its position table", "[runtime][errors]") {
  emoscope::testing::TempDir dir;
  emoscope::ModelInitOptions options;
  options.arch = "gpt2";
  options.layers = 1;
  options.hidden = 16;
  options.heads = 2;
  options.max_positions = 8;
  emoscope::InitRandomModel(options, dir.File("m"));
  auto model = emoscope::LoadModel(dir.File("m"));
  ForwardRequest request;
  request.input_ids = at::zeros({1, 9}, at::kLong);
  REQUIRE_THROWS_WITH(model->Forward(request), Catch::Contains("8 positions"));
}

TEST_CASE("parameters can be made trainable and receive gradients through the forward pass",
          "[runtime][training]") {
  emoscope::testing::TempDir dir;
  auto model = TinyModel("llama", dir);
  REQUIRE(model->trainable());
  REQUIRE(model->parameters().count("model.embed_tokens.weight") == 1);
  REQUIRE(model->parameters().count("lm_head.weight") == 1);
  for (const auto& [name, tensor] : model->parameters()) {
    at::Tensor t = tensor;
    t.set_data(tensor.clone());
    t.requires_grad_(true);
  }
  const at::Tensor ids = RandomIds(model->config().vocab_size, 6, 12);
  ForwardRequest request;
  request.input_ids = ids;
  request.enable_grad = true;
  const at::Tensor logits = model->Forward(request).logits;
  const at::Tensor loss = at::cross_entropy_loss(logits[0].narrow(0, 0, 5), ids[0].narrow(0, 1, 5));
  loss.backward();
  for (const auto& [name, tensor] : model->parameters()) {
    INFO(name);
    REQUIRE(tensor.grad().defined());
  }
  CHECK(model->parameters().at("model.layers.0.self_attn.q_proj.weight").grad().abs().sum().item<double>() >
        0);
  auto gemma = TinyModel("gemma", dir);
  CHECK_FALSE(gemma->trainable());
}
