// Peak memory of extraction: a GPT-2-small-shaped random model (124M parameters) reads
// comprehension stimuli at 512 padded tokens per forward pass, with every layer read out.
// Reports the weights' size, the process's peak resident memory, and what extraction adds on top
// of the loaded model, in units of one layer's activations at 512 tokens (512 x 768 float32) and
// compared with what holding every layer (13 x 512 x 768) would take.
//
//   build/bench/extraction_memory [--model DIR] [--stimuli 96] [--tokens-per-batch 512]
#include <c10/core/CPUAllocator.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "bench/bench_model.h"
#include "common/args.h"
#include "common/file_util.h"
#include "common/log.h"
#include "models/runtime/model.h"
#include "models/tokenizer/tokenizer.h"
#include "science/extraction.h"
#include "stimuli/stimuli.h"

namespace {

// Wraps libtorch's CPU allocator to count the bytes of live tensors and their peak. Weights used in
// place from the memory-mapped checkpoint never pass through it, so the peak is exactly what the
// forward passes allocate: activations, temporaries, outputs.
class CountingAllocator final : public c10::Allocator {
 public:
  explicit CountingAllocator(c10::Allocator* base) : base_(base) {}
  c10::DataPtr allocate(size_t bytes) const override {
    c10::DataPtr inner = base_->allocate(bytes);
    auto* record = new Record{std::move(inner), bytes, this};
    const size_t now = live_.fetch_add(bytes) + bytes;
    size_t peak = peak_.load();
    while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
    }
    void* data = record->inner.get();
    return {data, record, &Free, record->inner.device()};
  }
  c10::DeleterFnPtr raw_deleter() const override { return nullptr; }
  size_t live() const { return live_.load(); }
  size_t peak() const { return peak_.load(); }
  void ResetPeak() { peak_.store(live_.load()); }

 private:
  struct Record {
    c10::DataPtr inner;
    size_t bytes;
    const CountingAllocator* owner;
  };
  static void Free(void* context) {
    auto* record = static_cast<Record*>(context);
    record->owner->live_.fetch_sub(record->bytes);
    delete record;
  }
  c10::Allocator* base_;
  mutable std::atomic<size_t> live_{0};
  mutable std::atomic<size_t> peak_{0};
};

// Peak and current resident set size in bytes (/proc/self/status VmHWM, VmRSS).
std::pair<double, double> ResidentBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  double peak = 0, current = 0;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) peak = std::stod(line.substr(6)) * 1024;
    if (line.rfind("VmRSS:", 0) == 0) current = std::stod(line.substr(6)) * 1024;
  }
  return {peak, current};
}

// Resets the peak (VmHWM) to the current resident size (Linux >= 4.0).
void ResetPeak() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
}

double MiB(double bytes) { return bytes / (1024.0 * 1024.0); }

int Main(int argc, char** argv) {
  emoscope::ArgParser parser("extraction_memory", "[options]");
  parser.Option("model", "existing model folder (default: a random GPT-2-small one in a temp folder)");
  parser.Option("stimuli", "comprehension passages to read", "96");
  parser.Option("tokens-per-batch", "padded tokens per forward pass", "512");
  const auto args = parser.Parse(std::vector<std::string>(argv + 1, argv + argc));
  emoscope::InitLogging("warn");
  const emoscope::BenchModel bench_model(args.GetOptional("model"), "memory");
  const std::string& dir = bench_model.dir();
  double weights_bytes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".safetensors") weights_bytes += static_cast<double>(entry.file_size());
  }
  static CountingAllocator counting(c10::GetDefaultCPUAllocator());
  c10::SetCPUAllocator(&counting, /*priority=*/100);
  auto model = emoscope::LoadModel(dir);
  const emoscope::Tokenizer tokenizer = emoscope::Tokenizer::FromFolder(dir);
  std::vector<emoscope::ExtractionItem> items;
  const auto stimuli = emoscope::LoadStimuliFile(emoscope::BuiltinStimuliFile("comprehension.jsonl"));
  for (size_t i = 0; i < stimuli.size() && static_cast<int64_t>(items.size()) < args.GetInt("stimuli"); ++i) {
    items.push_back({stimuli[i].id, stimuli[i].emotion, stimuli[i].text, 0, stimuli[i].context});
  }
  emoscope::ExtractionOptions options;
  options.tokens_per_batch = args.GetInt("tokens-per-batch");
  // Touch every weight once (a first pass), so the baseline holds the whole mapped model.
  emoscope::ExtractReadouts(*model, tokenizer, {items.front()}, options);
  const double loaded = ResidentBytes().second;
  ResetPeak();
  const double tensors_before = static_cast<double>(counting.live());
  counting.ResetPeak();
  const auto samples = emoscope::ExtractReadouts(*model, tokenizer, items, options);
  const double peak = ResidentBytes().first;
  const double tensor_peak = static_cast<double>(counting.peak()) - tensors_before;
  const double hidden = static_cast<double>(model->hidden_size());
  const double points = static_cast<double>(model->num_layers() + 1);
  const double tokens = static_cast<double>(options.tokens_per_batch);
  const double one_layer = tokens * hidden * 4;
  std::printf("model %s: %lld layers, hidden %lld, weights %.1f MiB\n", dir.c_str(),
              static_cast<long long>(model->num_layers()), static_cast<long long>(model->hidden_size()),
              MiB(weights_bytes));
  std::printf("stimuli read: %zu, padded tokens per pass: %lld\n", samples.size(),
              static_cast<long long>(options.tokens_per_batch));
  std::printf("resident with the model loaded: %.1f MiB\n", MiB(loaded));
  std::printf("peak resident during extraction: %.1f MiB\n", MiB(peak));
  std::printf(
      "peak tensor memory allocated by extraction: %.1f MiB = %.1f x one layer's activations (%.2f MiB at %g "
      "tokens)\n",
      MiB(tensor_peak), tensor_peak / one_layer, MiB(one_layer), tokens);
  std::printf("  (holding all %g hook points' activations would take %.1f MiB)\n", points,
              MiB(points * one_layer));
  std::printf("resident memory added (allocator and BLAS buffers included, noisy): %.1f MiB\n",
              MiB(peak - loaded));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "extraction_memory: %s\n", error.what());
    return 1;
  }
}
