// The runtime on a device, checked against the CPU, and its throughput there (docs/models.md,
// "On a GPU"; scripts/gpu-check.sh runs it on cuda:0):
//
//   runtime_check [--device cuda:0] [--fixtures DIR] [--quick] [--json OUT.json]
//
// 1. Forward passes: every architecture (tiny random checkpoints, plus the reference fixtures'
//    folders under DIR/models when given) on the device against the CPU in float32: every hook
//    point's residual and the logits within kFloat32Tolerance (absolute); in bfloat16 on the
//    device against the CPU in float32 within kBfloat16Tolerance of each tensor's largest
//    magnitude.
// 2. Generation with steering on the device: greedy tokens equal the CPU's, and the steered
//    next-token logits within kFloat32Tolerance.
// 3. Throughput in bfloat16 with all-layer readout, for a GPT-2-small shape and a 1B Llama shape
//    (--quick: one tiny shape): tokens/s and the fraction of the device's measured bfloat16
//    matrix-multiply rate (FLOPs counted as 2 x the matrices' parameters x tokens).
//
// On CPU (--device cpu) every comparison is against the same device: it checks the program, not
// a GPU. Exit code 0 when every check holds, 1 otherwise (each failure printed).
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/args.h"
#include "common/error.h"
#include "common/log.h"
#include "models/runtime/generate.h"
#include "models/runtime/model.h"
#include "models/runtime/model_init.h"
#include "models/runtime/tensor_file.h"

namespace emoscope {
namespace {

constexpr double kFloat32Tolerance = 1e-4;   // absolute, as the CPU fixture tests
constexpr double kBfloat16Tolerance = 0.05;  // of the tensor's largest magnitude, as runtime_test's bf16 test

using Clock = std::chrono::steady_clock;
using nlohmann::json;

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

double MaxDiff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kCPU, at::kDouble) - b.to(at::kCPU, at::kDouble)).abs().max().item<double>();
}

// A scratch folder removed on exit.
class Scratch {
 public:
  Scratch()
      : dir_(std::filesystem::temp_directory_path() /
             ("emoscope-runtime-check-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(dir_);
  }
  ~Scratch() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  std::string File(const std::string& name) const { return (dir_ / name).string(); }

 private:
  std::filesystem::path dir_;
};

struct Checks {
  int failures = 0;
  json rows = json::array();
  void Record(const std::string& what, double value, double bound) {
    const bool ok = value <= bound;
    if (!ok) ++failures;
    std::printf("%-44s %10.3g  (bound %.3g)  %s\n", what.c_str(), value, bound, ok ? "ok" : "FAILED");
    rows.push_back({{"check", what}, {"value", value}, {"bound", bound}, {"ok", ok}});
  }
};

ForwardResult RunForward(CausalLm& model, const at::Tensor& ids) {
  ForwardRequest request;
  request.input_ids = ids;
  request.keep_residual = true;
  return model.Forward(request);
}

// Float32 and bfloat16 on the device against float32 on the CPU.
void CompareForward(const std::string& name, const std::string& dir, const at::Tensor& ids,
                    const std::string& device, Checks& checks) {
  LoadOptions cpu;
  const ForwardResult reference = RunForward(*LoadModel(dir, cpu), ids);
  for (const char* dtype : {"float32", "bfloat16"}) {
    LoadOptions options;
    options.device = device;
    options.dtype = dtype;
    const ForwardResult result = RunForward(*LoadModel(dir, options), ids);
    const bool exact = std::string(dtype) == "float32";
    for (const auto& [tensor, got, want] : {std::tuple{"residual", result.residual, reference.residual},
                                            std::tuple{"logits", result.logits, reference.logits}}) {
      const double diff = MaxDiff(got, want);
      const double scale = exact ? 1.0 : want.abs().max().item<double>();
      checks.Record(fmt::format("{} {} {}{}", name, dtype, tensor, exact ? " maxdiff" : " maxdiff/max"),
                    diff / scale, exact ? kFloat32Tolerance : kBfloat16Tolerance);
    }
  }
}

void CheckForwardPasses(const std::string& device, const std::optional<std::string>& fixtures,
                        const Scratch& scratch, Checks& checks) {
  for (const char* arch : {"gpt2", "llama", "mistral", "qwen2", "gemma", "gemma2", "gemma3"}) {
    ModelInitOptions options;
    options.arch = arch;
    options.layers = 3;
    options.hidden = 64;
    options.heads = 4;
    options.kv_heads = std::string(arch) == "gpt2" ? 0 : 2;
    options.sliding_window = 4;
    options.seed = 11;
    const std::string dir = scratch.File(arch);
    InitRandomModel(options, dir);
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(3);
    const at::Tensor ids = at::randint(257, {2, 12}, generator, at::kLong);
    CompareForward(std::string("tiny-") + arch, dir, ids, device, checks);
  }
  if (!fixtures) return;
  for (const auto& entry : std::filesystem::directory_iterator(*fixtures + "/models")) {
    const std::string expected = (entry.path() / "expected.safetensors").string();
    if (!std::filesystem::exists(expected)) continue;
    CompareForward(entry.path().filename().string(), entry.path().string(),
                   ReadTensorFile(expected).at("input_ids"), device, checks);
  }
}

// Greedy steered generation and the steered next-token logits, device against CPU, float32.
void CheckSteeredGeneration(const std::string& device, const Scratch& scratch, Checks& checks) {
  ModelInitOptions init;
  init.arch = "llama";
  init.layers = 4;
  init.hidden = 64;
  init.heads = 4;
  init.kv_heads = 2;
  const std::string dir = scratch.File("steer");
  InitRandomModel(init, dir);
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(5);
  SteeringVector steer;
  steer.layer = 2;
  steer.vector = at::randn({init.hidden}, generator) * 4.0;
  GenerationRequest request;
  request.prompts = {{10, 20, 30, 40}, {50, 60}};
  request.sampling.max_new_tokens = 24;
  request.steering = {steer};
  LoadOptions cpu_options;
  LoadOptions device_options;
  device_options.device = device;
  auto cpu = LoadModel(dir, cpu_options);
  auto on_device = LoadModel(dir, device_options);
  const GenerationResult want = Generate(*cpu, request);
  const GenerationResult got = Generate(*on_device, request);
  double mismatched = 0;
  for (size_t i = 0; i < want.tokens.size(); ++i) mismatched += want.tokens[i] == got.tokens[i] ? 0 : 1;
  checks.Record("steered greedy generation: sequences differing", mismatched, 0);
  ForwardRequest forward;
  forward.input_ids = at::tensor(std::vector<int64_t>{10, 20, 30, 40}, at::kLong).view({1, 4});
  forward.logits = LogitsMode::kLast;
  forward.steering = {steer};
  checks.Record("steered next-token logits maxdiff",
                MaxDiff(on_device->Forward(forward).logits, cpu->Forward(forward).logits), kFloat32Tolerance);
}

// GFLOP/s of an n x n x n matrix product in `dtype` on the device, median of 5 (each synchronized).
double MatmulRate(const std::string& device, at::ScalarType dtype, int64_t n) {
  const auto options = at::TensorOptions().device(device).dtype(dtype);
  const at::Tensor a = at::randn({n, n}, options);
  const at::Tensor b = at::randn({n, n}, options);
  at::Tensor c = at::mm(a, b);
  c.sum().item<double>();  // warm-up and synchronize
  std::vector<double> rates;
  const int per_timing = device == "cpu" ? 1 : 10;
  for (int rep = 0; rep < 5; ++rep) {
    const auto start = Clock::now();
    for (int i = 0; i < per_timing; ++i) c = at::mm(a, b);
    c[0][0].item<double>();
    rates.push_back(2.0 * static_cast<double>(n * n * n) * per_timing / Seconds(start) / 1e9);
  }
  return Median(rates);
}

struct Shape {
  std::string name;
  ModelInitOptions init;
  int64_t batch;
  int64_t length;
};

json MeasureThroughput(const Shape& shape, const std::string& device, double matmul_gflops,
                       const Scratch& scratch) {
  const std::string dir = scratch.File("throughput-" + shape.name);
  std::fflush(stdout);
  std::fprintf(stderr, "writing a random %s checkpoint (bfloat16)\n", shape.name.c_str());
  InitRandomModel(shape.init, dir);
  LoadOptions options;
  options.device = device;
  options.dtype = "bfloat16";
  auto model = LoadModel(dir, options);
  const ModelConfig& config = model->config();
  const double embedding = static_cast<double>(config.vocab_size * config.hidden_size);
  const double matrices =
      static_cast<double>(config.ParameterCount()) - embedding * (config.tie_word_embeddings ? 1 : 2);
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(1);
  ForwardRequest readout;
  readout.input_ids = at::randint(config.vocab_size, {shape.batch, shape.length}, generator, at::kLong);
  readout.readout_weights = at::full({shape.batch, shape.length}, 1.0 / static_cast<double>(shape.length));
  readout.logits = LogitsMode::kNone;
  ForwardRequest with_logits = readout;
  with_logits.logits = LogitsMode::kAll;
  const double tokens = static_cast<double>(shape.batch * shape.length);
  json out = {{"shape", shape.name},
              {"parameters", config.ParameterCount()},
              {"tokens_per_pass", tokens},
              {"compute_dtype", c10::toString(model->dtype())}};
  for (const auto& [variant, request, flops_params] :
       {std::tuple{"readout_no_logits", &readout, matrices},
        std::tuple{"readout_and_logits", &with_logits, matrices + embedding}}) {
    model->Forward(*request).readout.sum().item<double>();  // warm-up
    std::vector<double> seconds;
    for (int rep = 0; rep < 5; ++rep) {
      const auto start = Clock::now();
      model->Forward(*request).readout.sum().item<double>();  // synchronizes
      seconds.push_back(Seconds(start));
    }
    const double median = Median(seconds);
    const double gflops = 2.0 * flops_params * tokens / median / 1e9;
    std::printf("%-12s %-20s %10.0f tokens/s  %8.1f GFLOP/s  %5.1f%% of the matmul rate\n",
                shape.name.c_str(), variant, tokens / median, gflops, 100.0 * gflops / matmul_gflops);
    out[variant] = {{"tokens_per_s", tokens / median},
                    {"gflops", gflops},
                    {"fraction_of_matmul", gflops / matmul_gflops}};
  }
  std::filesystem::remove_all(dir);
  return out;
}

std::vector<Shape> ThroughputShapes(bool quick) {
  if (quick) {
    ModelInitOptions tiny;
    tiny.arch = "gpt2";
    tiny.layers = 2;
    tiny.hidden = 128;
    tiny.heads = 4;
    tiny.dtype = "bfloat16";
    return {{"tiny-gpt2", tiny, 2, 64}};
  }
  ModelInitOptions gpt2;  // GPT-2 small: 124M parameters
  gpt2.arch = "gpt2";
  gpt2.layers = 12;
  gpt2.hidden = 768;
  gpt2.heads = 12;
  gpt2.max_positions = 1024;
  gpt2.vocab_size = 50257;
  gpt2.dtype = "bfloat16";
  ModelInitOptions llama;  // Llama 3.2 1B's block shape (untied head here: 1.5B parameters)
  llama.arch = "llama";
  llama.layers = 16;
  llama.hidden = 2048;
  llama.heads = 32;
  llama.kv_heads = 8;
  llama.intermediate = 8192;
  llama.max_positions = 2048;
  llama.vocab_size = 128256;
  llama.dtype = "bfloat16";
  return {{"gpt2-small", gpt2, 16, 512}, {"llama-1b", llama, 8, 512}};
}

int Main(int argc, char** argv) {
  ArgParser parser("runtime_check", "[--device cuda:0] [--fixtures DIR] [--quick] [--json OUT]");
  parser.Option("device", "device to check against the CPU", "cuda:0");
  parser.Option("fixtures", "reference fixtures folder (its models/*/ are compared too)");
  parser.Flag("quick", "a tiny throughput shape only (for the CPU and CI)");
  parser.Option("json", "also write the figures as JSON here");
  const ParsedArgs args = parser.Parse(std::vector<std::string>(argv + 1, argv + argc));
  InitLogging();
  const std::string device = args.Get("device");
  std::printf("device %s, CUDA %s\n", device.c_str(), at::hasCUDA() ? "available" : "absent");
  const Scratch scratch;
  Checks checks;
  CheckForwardPasses(device, args.GetOptional("fixtures"), scratch, checks);
  CheckSteeredGeneration(device, scratch, checks);
  const bool quick = args.Flag("quick");
  // The rate of the dtype a bfloat16 model computes in there (see LoadOptions).
  const at::ScalarType compute = ComputeDtypeFor(at::kBFloat16, at::Device(device));
  const double matmul = MatmulRate(device, compute, device == "cpu" || quick ? 512 : 8192);
  std::printf("%s matmul rate %.1f GFLOP/s\n", c10::toString(compute), matmul);
  json throughput = json::array();
  for (const Shape& shape : ThroughputShapes(quick))
    throughput.push_back(MeasureThroughput(shape, device, matmul, scratch));
  if (auto path = args.GetOptional("json")) {
    std::ofstream(*path) << json{{"device", device},
                                 {"bf16_matmul_gflops", matmul},
                                 {"checks", checks.rows},
                                 {"throughput", throughput}}
                                .dump(2)
                         << "\n";
  }
  std::printf("%d of %zu checks failed\n", checks.failures, checks.rows.size());
  return checks.failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace emoscope

int main(int argc, char** argv) {
  try {
    return emoscope::Main(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "runtime_check: %s\n", error.what());
    return 1;
  }
}
