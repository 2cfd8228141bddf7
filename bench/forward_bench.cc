// Forward throughput with all-layer readout against a bare forward, on a GPT-2-small-shaped random
// model (12 layers, 768 hidden, 50257 vocab: 124M parameters), reported as tokens/s and as a
// fraction of this machine's measured matrix-multiply rate (2 x parameters x tokens FLOPs).
//
//   build/bench/forward_bench [--tokens-per-batch 512] [--batch 4] [--reps 5] [--model DIR]
//
// Runs alternate between the variants (bare, readout, readout without logits), in an order rotated
// each repetition, so drift in machine load hits each alike; the median of each is reported. See
// bench/BENCHMARKS.md.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "bench/bench_model.h"
#include "common/args.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/log.h"
#include "models/runtime/model.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// GFLOP/s of an n x n float32 matrix product, median of `reps`.
double MatmulRate(int64_t n, int reps) {
  const at::Tensor a = at::randn({n, n});
  const at::Tensor b = at::randn({n, n});
  at::Tensor c = at::mm(a, b);  // warm-up
  std::vector<double> rates;
  for (int i = 0; i < reps; ++i) {
    const auto start = Clock::now();
    c = at::mm(a, b);
    rates.push_back(2.0 * n * n * n / Seconds(start) / 1e9);
  }
  return Median(rates);
}

// A field of /proc/self/status in MiB (VmRSS: resident now, VmHWM: peak), 0 when unreadable.
double ProcessMemoryMiB(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) / 1024.0;  // kB
  }
  return 0;
}

int Main(int argc, char** argv) {
  emoscope::ArgParser parser("forward_bench", "[options]");
  parser.Option("model", "existing model folder (default: write a random GPT-2-small one to a temp folder)");
  parser.Option("batch", "sequences per batch", "4");
  parser.Option("tokens-per-batch", "tokens per batch (batch x sequence length)", "512");
  parser.Option("reps", "timed forward passes per variant", "6");
  parser.Option("dtype", "weights' dtype: float32 or bfloat16 (computed in float32 on CPU)", "float32");
  parser.Option("cpu-compute", "auto (LoadModel's rule), float32, or dtype (compute in --dtype)", "auto");
  parser.Option("threads", "intra-op threads (0: libtorch's default)", "0");
  const auto args = parser.Parse(std::vector<std::string>(argv + 1, argv + argc));
  emoscope::InitLogging();

  const emoscope::BenchModel bench_model(args.GetOptional("model"), "bench");
  const std::string& model_dir = bench_model.dir();
  emoscope::LoadOptions load;
  load.dtype = args.Get("dtype");
  const std::string rule = args.Get("cpu-compute");
  if (rule != "auto" && rule != "float32" && rule != "dtype")
    throw emoscope::UsageError("--cpu-compute: auto, float32 or dtype");
  load.cpu_compute = rule == "float32" ? emoscope::CpuCompute::kFloat32
                     : rule == "dtype" ? emoscope::CpuCompute::kDtype
                                       : emoscope::CpuCompute::kAuto;
  if (args.GetInt("threads") > 0) at::set_num_threads(static_cast<int>(args.GetInt("threads")));
  const double rss_before = ProcessMemoryMiB("VmRSS");
  auto model = emoscope::LoadModel(model_dir, load);
  const double rss_loaded = ProcessMemoryMiB("VmRSS");
  const int64_t batch = args.GetInt("batch");
  const int64_t length = args.GetInt("tokens-per-batch") / batch;
  const int64_t tokens = batch * length;
  const int reps = static_cast<int>(args.GetInt("reps"));
  const double params = static_cast<double>(model->config().ParameterCount());

  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(1);
  emoscope::ForwardRequest bare;
  bare.input_ids = at::randint(model->config().vocab_size, {batch, length}, generator, at::kLong);
  emoscope::ForwardRequest readout = bare;
  readout.readout_weights = at::full({batch, length}, 1.0 / static_cast<double>(length));
  emoscope::ForwardRequest readout_only = readout;
  readout_only.logits = emoscope::LogitsMode::kNone;

  const double matmul = MatmulRate(2048, 5);
  model->Forward(bare);  // warm-up
  model->Forward(readout);
  std::vector<double> bare_s, readout_s, readout_only_s;
  struct Variant {
    const emoscope::ForwardRequest* request;
    std::vector<double>* seconds;
  };
  const Variant variants[] = {{&bare, &bare_s}, {&readout, &readout_s}, {&readout_only, &readout_only_s}};
  for (int i = 0; i < reps; ++i) {
    // Rotate the order each repetition so no variant always runs first (or after another).
    for (int v = 0; v < 3; ++v) {
      const Variant& variant = variants[(i + v) % 3];
      const auto start = Clock::now();
      model->Forward(*variant.request);
      variant.seconds->push_back(Seconds(start));
    }
  }
  const double bare_t = Median(bare_s), readout_t = Median(readout_s), only_t = Median(readout_only_s);
  auto report = [&](const char* name, double seconds) {
    const double gflops = 2.0 * params * static_cast<double>(tokens) / seconds / 1e9;
    std::printf("%-28s %8.1f tokens/s  %6.1f GFLOP/s  %5.1f%% of matmul rate\n", name,
                static_cast<double>(tokens) / seconds, gflops, 100.0 * gflops / matmul);
  };
  std::printf("model %s: %.1fM parameters, %lld layers, batch %lld x %lld tokens, %s, %d threads\n",
              model_dir.c_str(), params / 1e6, static_cast<long long>(model->num_layers()),
              static_cast<long long>(batch), static_cast<long long>(length), args.Get("dtype").c_str(),
              at::get_num_threads());
  std::printf("compute dtype %s; resident memory after load +%.0f MiB (mapped weights count once touched)\n",
              c10::toString(model->dtype()), rss_loaded - rss_before);
  std::printf("matmul rate (2048^3 float32)  %.1f GFLOP/s\n", matmul);
  report("bare forward (logits)", bare_t);
  report("forward + all-layer readout", readout_t);
  report("readout, no logits", only_t);
  std::printf("readout overhead over bare forward: %+.1f%%\n", 100.0 * (readout_t / bare_t - 1.0));
  std::printf("peak resident memory %.0f MiB\n", ProcessMemoryMiB("VmHWM"));
  if (load.dtype != "float32" && model->dtype() == at::kFloat) {
    // The alternative to upcasting once at load: bfloat16 weights in memory, upcast at every
    // matrix product. Its cost per forward pass is converting every weight once.
    std::vector<at::Tensor> stored;
    for (const auto& [name, tensor] : model->parameters()) stored.push_back(tensor.to(at::kBFloat16));
    std::vector<double> convert_s;
    for (int i = 0; i < 3; ++i) {
      const auto start = Clock::now();
      for (const at::Tensor& tensor : stored) tensor.to(at::kFloat);
      convert_s.push_back(Seconds(start));
    }
    std::printf(
        "upcasting every weight bfloat16 -> float32 (per-matmul upcast, per forward): %.3f s = %.1f%% of a "
        "bare forward\n",
        Median(convert_s), 100.0 * Median(convert_s) / bare_t);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "forward_bench: %s\n", error.what());
    return 1;
  }
}
