#include "models/training/trainer.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/Reduction.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "common/error.h"
#include "common/file_util.h"
#include "common/progress.h"
#include "models/runtime/model.h"
#include "models/runtime/model_init.h"
#include "models/runtime/tensor_file.h"
#include "models/runtime/threads.h"
#include "models/training/adamw.h"
#include "models/training/lr_schedule.h"
#include "models/training/train_checkpoint.h"
#include "models/training/training_data.h"
#include "stimuli/stimuli.h"

namespace emoscope {
namespace {

constexpr int64_t kHistoryEvery = 10;   // steps between entries of the loss history
constexpr double kLossSmoothing = 0.9;  // exponential moving average of the loss shown in the bar

volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void OnTrainingStopSignal(int signal_number) { g_stop_signal = signal_number; }

// Catches SIGINT and SIGTERM for the duration of a run, so the loop can write a checkpoint before
// it stops; the previous handlers come back on destruction.
class StopSignals {
 public:
  StopSignals() {
    g_stop_signal = 0;
    struct sigaction action {};
    action.sa_handler = OnTrainingStopSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous_int_);
    sigaction(SIGTERM, &action, &previous_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &previous_int_, nullptr);
    sigaction(SIGTERM, &previous_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  bool requested() const { return g_stop_signal != 0; }

 private:
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

// User plus system CPU time of this process, all threads.
double ProcessCpuSeconds() {
  struct rusage usage {};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

void CopyFile(const std::string& from, const std::string& to) { WriteFileAtomic(to, ReadFile(from)); }

struct TrainingData {
  at::Tensor train;       // [N] int64 packed training stream
  at::Tensor validation;  // [M] int64 packed validation stream
  int64_t vocab = 0;
  int64_t end_of_text = 0;
};

// Corpus, split, tokenizer (learned into `tokenizer_path` unless `reuse_tokenizer`), token streams.
TrainingData PrepareData(const TrainOptions& options, const std::string& tokenizer_path,
                         bool reuse_tokenizer) {
  CorpusOptions corpus;
  corpus.seed = options.seed;
  corpus.num_documents = options.documents;
  corpus.emotions = LoadEmotionSet(options.emotion_set);
  corpus.neutral_fraction = options.neutral_fraction;
  corpus.dream_fraction = options.dream_fraction;
  corpus.dream_after_share = options.dream_after;
  const CorpusSplit split = SplitCorpus(GenerateCorpus(corpus), options.validation_fraction);
  const Tokenizer tokenizer = reuse_tokenizer ? Tokenizer::FromFile(tokenizer_path)
                                              : LearnTokenizer(split.train, options.vocab,
                                                               options.tokenizer_documents, tokenizer_path);
  TrainingData data;
  const std::optional<int32_t> end_of_text = tokenizer.TokenToId(kEndOfText);
  if (!end_of_text) Fail("{}: has no token {}", tokenizer_path, kEndOfText);
  data.end_of_text = *end_of_text;
  data.vocab = tokenizer.vocab_size();
  data.train = TokenizeStream(tokenizer, split.train, data.end_of_text);
  data.validation = TokenizeStream(tokenizer, split.validation, data.end_of_text);
  return data;
}

// A fresh model folder in `dir`: random weights from model init, our tokenizer, bos/eos set to it.
void InitializeModelFolder(const TrainOptions& options, const std::string& dir,
                           const std::string& learned_tokenizer, const TrainingData& data) {
  ModelInitOptions init;
  init.arch = options.arch;
  init.layers = options.layers;
  init.hidden = options.hidden;
  init.heads = options.heads;
  init.kv_heads = options.kv_heads;
  init.intermediate = options.intermediate;
  init.max_positions = options.seq_len;
  init.sliding_window = options.seq_len;  // Mistral: the window spans the training sequence
  init.vocab_size = data.vocab;
  init.seed = options.seed;
  InitRandomModel(init, dir);  // writes a placeholder tokenizer.json, replaced below
  const std::string tokenizer_path = JoinPath(dir, "tokenizer.json");
  if (std::rename(learned_tokenizer.c_str(), tokenizer_path.c_str()) != 0) {
    Fail("{}: cannot rename into place: {}", tokenizer_path, std::strerror(errno));
  }
  const std::string config_path = JoinPath(dir, "config.json");
  nlohmann::ordered_json config = nlohmann::ordered_json::parse(ReadFile(config_path));
  config["bos_token_id"] = data.end_of_text;
  config["eos_token_id"] = data.end_of_text;
  WriteFileAtomic(config_path, config.dump(2) + "\n");
}

struct TrainableParameters {
  std::map<std::string, at::Tensor> tensors;  // shared with the model, requiring grad
  std::map<std::string, bool> decayed;        // matrices and embeddings; not norms or biases
  int64_t count = 0;                          // elements in all
};

// Makes the model's parameters trainable in place: a private copy of each (of the checkpoint's
// values when resuming), requiring grad.
TrainableParameters MakeTrainable(const CausalLm& model, const TrainingState* resumed,
                                  const std::string& checkpoint_dir) {
  TrainableParameters trainable;
  for (const auto& [name, tensor] : model.parameters()) {
    at::Tensor parameter = tensor;
    if (resumed != nullptr) {
      auto stored = resumed->parameters.find(name);
      if (stored == resumed->parameters.end() || stored->second.sizes() != tensor.sizes()) {
        Fail("{}: checkpoint has no tensor '{}' of shape [{}]", checkpoint_dir, name,
             fmt::join(tensor.sizes(), ", "));
      }
      parameter.set_data(stored->second.to(model.device(), at::kFloat).clone());
    } else {
      // The loaded tensors are read-only views of the memory-mapped file: train a private copy.
      parameter.set_data(tensor.clone());
    }
    parameter.requires_grad_(true);
    trainable.tensors[name] = parameter;
    trainable.decayed[name] = parameter.dim() >= 2;
    trainable.count += parameter.numel();
  }
  return trainable;
}

// Mean next-token loss in nats over `windows` [n, T + 1], in batches, without autograd.
double MeanLoss(CausalLm& model, const at::Tensor& windows, int64_t batch) {
  const int64_t steps = windows.size(1) - 1;
  double total = 0;
  int64_t count = 0;
  for (int64_t start = 0; start < windows.size(0); start += batch) {
    const at::Tensor rows = windows.narrow(0, start, std::min(batch, windows.size(0) - start));
    ForwardRequest request;
    request.input_ids = rows.narrow(1, 0, steps).contiguous();
    const at::Tensor logits = model.Forward(request).logits;
    const at::Tensor targets = rows.narrow(1, 1, steps).reshape(-1).to(model.device());
    total += at::cross_entropy_loss(logits.reshape({-1, logits.size(-1)}), targets, /*weight=*/{},
                                    at::Reduction::Sum)
                 .item<double>();
    count += targets.numel();
  }
  return total / static_cast<double>(count);
}

void WriteTensorFileAtomic(const std::string& path, const std::map<std::string, at::Tensor>& tensors) {
  std::vector<std::pair<std::string, at::Tensor>> list;
  for (const auto& [name, tensor] : tensors) list.emplace_back(name, tensor.detach());
  const std::string temporary = path + ".tmp";
  WriteTensorFile(temporary, list, {{"format", "pt"}});
  if (std::rename(temporary.c_str(), path.c_str()) != 0)
    Fail("{}: cannot rename into place: {}", path, std::strerror(errno));
}

}  // namespace

nlohmann::ordered_json ReportJson(const TrainingReport& r) {
  return {{"completed", r.completed},
          {"steps", r.steps},
          {"train_loss", r.train_loss},
          {"validation_loss", r.validation_loss},
          {"unigram_loss", r.unigram_loss},
          {"tokens_per_second", r.tokens_per_second},
          {"elapsed_seconds", r.elapsed_seconds},
          {"cpu_seconds", r.cpu_seconds},
          {"parameters", r.parameters},
          {"threads", r.threads},
          {"vocab", r.vocab},
          {"train_tokens", r.train_tokens},
          {"validation_tokens", r.validation_tokens}};
}

TrainingReport Train(const TrainOptions& options, const TrainControl& control) {
  ValidateTrainOptions(options);
  SetThreadCount(options.threads, "model train");

  const std::string& out = options.out;
  const std::string checkpoint_dir = JoinPath(out, "checkpoint");
  const nlohmann::ordered_json identity = TrainIdentity(options);
  CreateModelFolder(out);
  CreateModelFolder(checkpoint_dir);
  std::optional<TrainingState> resumed = ReadTrainingState(checkpoint_dir);
  if (resumed) {
    const std::string difference = DescribeIdentityDifference(resumed->identity, identity);
    if (!difference.empty()) {
      throw UsageError(
          fmt::format("model train: {} was made with other options:{} run with the same options to "
                      "continue, or remove {} to start over",
                      JoinPath(checkpoint_dir, "state.json"), difference, checkpoint_dir));
    }
    spdlog::info("{}: continuing from step {} of {}", checkpoint_dir, resumed->step, options.steps);
  } else if (FileExists(JoinPath(out, "model.safetensors")) || FileExists(JoinPath(out, "config.json"))) {
    throw UsageError(fmt::format(
        "model train: {} already holds a model and no checkpoint to continue; choose another --out", out));
  }

  // Data preparation is deterministic; on resume the checkpoint's tokenizer is reused.
  const std::string learned_tokenizer = JoinPath(checkpoint_dir, "tokenizer.learned.json");
  const TrainingData data = PrepareData(
      options, resumed ? JoinPath(checkpoint_dir, "tokenizer.json") : learned_tokenizer, resumed.has_value());
  if (!resumed) InitializeModelFolder(options, checkpoint_dir, learned_tokenizer, data);

  LoadOptions load;
  load.device = options.device;
  std::unique_ptr<CausalLm> model = LoadModel(checkpoint_dir, load);
  if (!model->trainable()) Fail("model train: {} has derived weights and cannot be trained", checkpoint_dir);
  const TrainableParameters trainable = MakeTrainable(*model, resumed ? &*resumed : nullptr, checkpoint_dir);
  const std::map<std::string, at::Tensor>& parameters = trainable.tensors;
  AdamWOptions adamw;
  adamw.beta1 = options.beta1;
  adamw.beta2 = options.beta2;
  adamw.weight_decay = options.weight_decay;
  AdamW optimizer(parameters, trainable.decayed, adamw);
  TrainingState state;
  state.identity = identity;
  if (resumed) {
    optimizer.Restore(resumed->first_moments, resumed->second_moments, resumed->step);
    state.step = resumed->step;
    state.elapsed_seconds = resumed->elapsed_seconds;
    state.cpu_seconds = resumed->cpu_seconds;
    state.history = resumed->history;
  }
  auto save_checkpoint = [&](double elapsed, double cpu) {
    state.elapsed_seconds = elapsed;
    state.cpu_seconds = cpu;
    state.parameters = parameters;
    state.first_moments = optimizer.first_moments();
    state.second_moments = optimizer.second_moments();
    WriteTrainingState(checkpoint_dir, state);
  };

  const LrSchedule schedule{options.lr, options.warmup, options.steps, options.min_lr_ratio};
  const int64_t tokens_per_step = options.batch * options.seq_len;
  std::unique_ptr<ProgressBar> bar;
  if (control.show_progress) {
    // Counts this session's steps only, so its rate and ETA are not inflated by resumed steps.
    const std::string label = state.step > 0 ? fmt::format("train (from step {})", state.step) : "train";
    bar = std::make_unique<ProgressBar>(label, options.steps - state.step, "step");
  }
  StopSignals signals;
  const auto session_start = std::chrono::steady_clock::now();
  const double elapsed_before = state.elapsed_seconds;
  const double cpu_before = state.cpu_seconds;
  const double cpu_start = ProcessCpuSeconds();
  auto cpu_now = [&] { return cpu_before + ProcessCpuSeconds() - cpu_start; };
  auto elapsed_now = [&] {
    return elapsed_before +
           std::chrono::duration<double>(std::chrono::steady_clock::now() - session_start).count();
  };
  const int64_t first_step = state.step;
  double smoothed_loss = -1;
  bool stopped = false;
  while (state.step < options.steps) {
    const double lr = LearningRateAt(schedule, state.step);
    const at::Tensor rows = SampleBatch(data.train, options.batch, options.seq_len, options.seed, state.step);
    ForwardRequest request;
    request.input_ids = rows.narrow(1, 0, options.seq_len).contiguous();
    request.enable_grad = true;
    const at::Tensor logits = model->Forward(request).logits;
    const at::Tensor targets = rows.narrow(1, 1, options.seq_len).reshape(-1).to(model->device());
    const at::Tensor loss = at::cross_entropy_loss(logits.reshape({-1, logits.size(-1)}), targets);
    optimizer.ZeroGrad();
    loss.backward();
    ClipGradNorm(parameters, options.clip);
    optimizer.Step(lr);
    ++state.step;

    const double loss_value = loss.item<double>();
    smoothed_loss =
        smoothed_loss < 0 ? loss_value : kLossSmoothing * smoothed_loss + (1 - kLossSmoothing) * loss_value;
    if (state.step % kHistoryEvery == 0 || state.step == 1) {
      state.history.push_back({{"step", state.step}, {"loss", loss_value}, {"lr", lr}});
    }
    if (bar) {
      const double seconds = elapsed_now() - elapsed_before;
      const double rate =
          seconds > 0 ? static_cast<double>((state.step - first_step) * tokens_per_step) / seconds : 0;
      bar->SetSuffix(fmt::format("loss {:.3f} lr {:.2e} {:.0f} tok/s", smoothed_loss, lr, rate));
      bar->Set(state.step - first_step);
    }
    const bool asked = control.stop_after && control.stop_after(state.step);
    stopped = asked || signals.requested();
    const bool due = options.checkpoint_every > 0 && state.step % options.checkpoint_every == 0;
    if (stopped || due || state.step == options.steps) save_checkpoint(elapsed_now(), cpu_now());
    if (stopped && state.step < options.steps) break;
    stopped = false;
  }
  if (bar) bar->Finish();

  TrainingReport report;
  report.steps = state.step;
  report.completed = state.step >= options.steps;
  // As of the last checkpoint, which every way out of the loop writes (or the resumed one).
  report.elapsed_seconds = state.elapsed_seconds;
  report.cpu_seconds = state.cpu_seconds;
  report.tokens_per_second = report.elapsed_seconds > 0
                                 ? static_cast<double>(state.step * tokens_per_step) / report.elapsed_seconds
                                 : 0;
  report.parameters = trainable.count;
  report.threads = at::get_num_threads();
  report.vocab = data.vocab;
  report.train_tokens = data.train.size(0);
  report.validation_tokens = data.validation.size(0);
  report.out = out;
  if (!report.completed) {
    spdlog::info("{}: stopped at step {} of {}; run the same command to continue", checkpoint_dir, state.step,
                 options.steps);
    return report;
  }

  const at::Tensor validation_windows =
      EvaluationWindows(data.validation, options.seq_len, options.eval_windows);
  report.validation_loss = MeanLoss(*model, validation_windows, options.batch);
  report.train_loss =
      MeanLoss(*model, EvaluationWindows(data.train, options.seq_len, options.eval_windows), options.batch);
  report.unigram_loss =
      UnigramCrossEntropy(data.train, validation_windows.narrow(1, 1, options.seq_len), data.vocab);

  WriteTensorFileAtomic(JoinPath(out, "model.safetensors"), parameters);
  CopyFile(JoinPath(checkpoint_dir, "tokenizer.json"), JoinPath(out, "tokenizer.json"));
  nlohmann::ordered_json training;
  training["report"] = ReportJson(report);
  training["options"] = identity;
  training["history"] = state.history;
  WriteFileAtomic(JoinPath(out, "training.json"), training.dump(1) + "\n");
  // config.json last: a folder with a config is a complete model.
  CopyFile(JoinPath(checkpoint_dir, "config.json"), JoinPath(out, "config.json"));
  return report;
}

}  // namespace emoscope
