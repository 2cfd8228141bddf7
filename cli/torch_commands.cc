// The commands emoscope-torch runs: forward, generate, model init, model train, verify, worker.
#include "cli/torch_commands.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "cli/orchestrator_commands.h"
#include "cli/verify_command.h"
#include "common/args.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/progress.h"
#include "models/runtime/classifier.h"
#include "models/runtime/generate.h"
#include "models/runtime/model.h"
#include "models/runtime/model_init.h"
#include "models/runtime/tensor_file.h"
#include "models/runtime/threads.h"
#include "models/tokenizer/tokenizer.h"
#include "models/training/trainer.h"
#include "science/tasks.h"
#include "worker/task_registry.h"

namespace emoscope {
namespace {

// Threads of the model commands: 0 is the rule of models/runtime/threads.h.
constexpr const char* kThreadsHelp =
    "CPU threads (0: the cores not busy: cores minus the load average, at least 1)";

void AddLoadOptions(ArgParser& parser) {
  parser.Option("dtype",
                "weights' dtype: float32, bfloat16, float16 (CPU: float32 unless its bf16 kernels are fast)",
                "float32");
  parser.Option("device", "cpu, cuda or cuda:N", "cpu");
  parser.Option("threads", kThreadsHelp, "0");
}

// Also sets the process's thread count (--threads).
LoadOptions GetLoadOptions(const ParsedArgs& args, const char* command) {
  SetThreadCount(args.GetInt("threads"), command);
  LoadOptions options;
  options.dtype = args.Get("dtype");
  options.device = args.Get("device");
  return options;
}

int RunForward(const std::vector<std::string>& argv) {
  ArgParser parser("emoscope forward", "MODEL_DIR --input IN.safetensors --out OUT.safetensors");
  parser.Positionals(1, "MODEL_DIR: a Hugging Face model folder (config.json, safetensors)");
  parser.Option("input", "safetensors file holding input_ids (I64 [B, T]) and optionally attention_mask");
  parser.Option("text", "instead of --input: a text, tokenized with the folder's tokenizer.json");
  parser.Option("out", "where to write residual (F32 [L+1, B, T, hidden]) and logits (F32 [B, T, vocab])")
      .Required();
  AddLoadOptions(parser);
  const ParsedArgs args = parser.Parse(argv);
  const std::string& dir = args.Positional(0, "MODEL_DIR");
  std::map<std::string, at::Tensor> inputs;
  std::string input_path = "--text";
  if (auto text = args.GetOptional("text")) {
    if (args.Has("input")) throw UsageError("emoscope forward: give --input or --text, not both");
    std::vector<int64_t> ids;
    for (int32_t id : Tokenizer::FromFolder(dir).Encode(*text)) ids.push_back(id);
    if (ids.empty()) throw UsageError("emoscope forward: --text encodes to no tokens");
    inputs["input_ids"] = at::tensor(ids, at::kLong).view({1, -1});
  } else {
    input_path = args.Get("input");
    inputs = ReadTensorFile(input_path);
  }
  auto ids = inputs.find("input_ids");
  if (ids == inputs.end()) Fail("{}: no tensor 'input_ids'", input_path);
  if (ids->second.scalar_type() != at::kLong || ids->second.dim() != 2) {
    Fail("{}: tensor 'input_ids' must be I64 with shape [B, T]", input_path);
  }
  std::unique_ptr<CausalLm> model = LoadModel(dir, GetLoadOptions(args, "emoscope forward"));
  ForwardRequest request;
  request.input_ids = ids->second;
  auto mask = inputs.find("attention_mask");
  if (mask != inputs.end()) request.attention_mask = mask->second;
  request.keep_residual = true;
  const ForwardResult result = model->Forward(request);
  WriteTensorFile(args.Get("out"),
                  {{"input_ids", ids->second}, {"residual", result.residual}, {"logits", result.logits}},
                  {{"format", "pt"}, {"model", dir}, {"dtype", args.Get("dtype")}});
  std::fprintf(stderr, "wrote %s: residual [%s], logits [%s]\n", args.Get("out").c_str(),
               fmt::format("{}", fmt::join(result.residual.sizes(), ", ")).c_str(),
               fmt::format("{}", fmt::join(result.logits.sizes(), ", ")).c_str());
  return kExitOk;
}

// The steering vector: the file's only tensor, the one --vector names, or layer.LAYER.
at::Tensor ReadSteeringVector(const std::string& path, const std::optional<std::string>& name,
                              int64_t layer) {
  const std::map<std::string, at::Tensor> tensors = ReadTensorFile(path);
  std::string key;
  if (name) {
    key = *name;
  } else if (tensors.size() == 1) {
    key = tensors.begin()->first;
  } else {
    key = "layer." + std::to_string(layer);  // `emoscope vectors export` numbering
  }
  auto found = tensors.find(key);
  if (found == tensors.end()) Fail("{}: no tensor '{}' (name one with --vector)", path, key);
  return found->second.to(at::kFloat).flatten();
}

int RunGenerate(const std::vector<std::string>& argv) {
  ArgParser parser("emoscope generate", "MODEL_DIR --prompt TEXT [--steer FILE --layer L --alpha A]");
  parser.Positionals(1, "MODEL_DIR: a Hugging Face model folder with tokenizer.json");
  parser.Option("prompt", "the text to continue").Required();
  parser.Option("max-new-tokens", "tokens to generate at most", "64");
  parser.Option("temperature", "0 for greedy decoding", "0.7");
  parser.Option("top-p", "nucleus sampling mass", "0.9");
  parser.Option("top-k", "0 for off", "0");
  parser.Option("seed", "sampling seed", "0");
  parser.Option("steer", "safetensors file with the steering vector");
  parser.Option("vector", "tensor name inside --steer (default: its only tensor, else layer.LAYER)");
  parser.Option("layer", "hook point to steer: 0 = embedding output, l = after block l");
  parser.Option("alpha", "coefficient: h_l += alpha * vector", "1.0");
  parser.Flag("json", "print JSON (prompt, continuation, token ids)");
  AddLoadOptions(parser);
  const ParsedArgs args = parser.Parse(argv);
  const std::string& dir = args.Positional(0, "MODEL_DIR");

  const Tokenizer tokenizer = Tokenizer::FromFolder(dir);
  std::unique_ptr<CausalLm> model = LoadModel(dir, GetLoadOptions(args, "emoscope generate"));
  GenerationRequest request;
  std::vector<int64_t> prompt;
  for (int32_t id : tokenizer.Encode(args.Get("prompt"))) prompt.push_back(id);
  if (prompt.empty()) throw UsageError("emoscope generate: --prompt encodes to no tokens");
  request.prompts = {prompt};
  const int64_t seed = args.GetInt("seed");
  request.seeds = {static_cast<uint64_t>(seed)};
  request.sampling.max_new_tokens = args.GetInt("max-new-tokens");
  request.sampling.temperature = args.GetDouble("temperature");
  request.sampling.top_p = args.GetDouble("top-p");
  request.sampling.top_k = args.GetInt("top-k");
  request.sampling.stop_tokens = model->config().eos_token_ids;
  if (request.sampling.top_p <= 0 || request.sampling.top_p > 1)
    throw UsageError("emoscope generate: --top-p must be in (0, 1]");
  if (auto steer = args.GetOptional("steer")) {
    if (!args.Has("layer")) throw UsageError("emoscope generate: --steer needs --layer");
    SteeringVector vector;
    vector.layer = args.GetInt("layer");
    vector.vector =
        ReadSteeringVector(*steer, args.GetOptional("vector"), vector.layer) * args.GetDouble("alpha");
    request.steering.push_back(vector);
  }
  const GenerationResult result = Generate(*model, request);
  std::vector<int32_t> ids(result.tokens[0].begin(), result.tokens[0].end());
  const std::string continuation = tokenizer.Decode(ids);
  if (args.Flag("json")) {
    nlohmann::json out = {{"prompt", args.Get("prompt")},
                          {"continuation", continuation},
                          {"tokens", result.tokens[0]},
                          {"stopped", static_cast<bool>(result.stopped[0])}};
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("%s%s\n", args.Get("prompt").c_str(), continuation.c_str());
  }
  return kExitOk;
}

int RunModelInit(const std::vector<std::string>& argv) {
  ArgParser parser("emoscope model init", "--arch ARCH --out DIR [--layers N --hidden D ...]");
  ModelInitOptions defaults;
  parser
      .Option(
          "arch",
          "gpt2, llama, mistral, qwen2, gemma, gemma2, gemma3, roberta-classifier or distilbert-classifier")
      .Required();
  parser.Option("labels", "roberta-classifier, distilbert-classifier: comma-separated labels",
                "anger,disgust,fear,joy,sadness,surprise,neutral");
  parser.Option("out", "folder to write").Required();
  parser.Option("layers", "number of blocks", std::to_string(defaults.layers));
  parser.Option("hidden", "hidden size", std::to_string(defaults.hidden));
  parser.Option("heads", "attention heads", std::to_string(defaults.heads));
  parser.Option("kv-heads", "key/value heads (0: as many as heads)", "0");
  parser.Option("head-dim", "per-head width (0: hidden / heads)", "0");
  parser.Option("intermediate", "MLP width (0: 4 x hidden)", "0");
  parser.Option("max-positions", "maximum positions", std::to_string(defaults.max_positions));
  parser.Option("sliding-window", "window of sliding layers (0: 16)", "0");
  parser.Option("merges", "byte-level BPE merges in tokenizer.json", "0");
  parser.Option("vocab-size", "embedding rows (0: the tokenizer's size)", "0");
  parser.Option("seed", "initialization seed", "0");
  parser.Option("dtype", "storage dtype: float32, bfloat16, float16", "float32");
  const ParsedArgs args = parser.Parse(argv);
  if (args.Get("arch") == "roberta-classifier" || args.Get("arch") == "distilbert-classifier") {
    ClassifierInitOptions options;
    options.arch = args.Get("arch") == "roberta-classifier" ? "roberta" : "distilbert";
    options.layers = args.GetInt("layers");
    options.hidden = args.GetInt("hidden");
    options.heads = args.GetInt("heads");
    options.intermediate = args.GetInt("intermediate") > 0 ? args.GetInt("intermediate") : 2 * options.hidden;
    options.seed = static_cast<uint64_t>(args.GetInt("seed"));
    std::string labels = args.Get("labels");
    for (size_t start = 0; start <= labels.size();) {
      const size_t comma = labels.find(',', start);
      const std::string label =
          labels.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!label.empty()) options.labels.push_back(label);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    InitRandomClassifier(options, args.Get("out"));
    std::printf("wrote %s\n", args.Get("out").c_str());
    return kExitOk;
  }
  ModelInitOptions options;
  options.arch = args.Get("arch");
  options.layers = args.GetInt("layers");
  options.hidden = args.GetInt("hidden");
  options.heads = args.GetInt("heads");
  options.kv_heads = args.GetInt("kv-heads");
  options.head_dim = args.GetInt("head-dim");
  options.intermediate = args.GetInt("intermediate");
  options.max_positions = args.GetInt("max-positions");
  options.sliding_window = args.GetInt("sliding-window");
  options.merges = args.GetInt("merges");
  options.vocab_size = args.GetInt("vocab-size");
  options.seed = static_cast<uint64_t>(args.GetInt("seed"));
  options.dtype = args.Get("dtype");
  InitRandomModel(options, args.Get("out"));
  std::printf("wrote %s\n", args.Get("out").c_str());
  return kExitOk;
}

// The worker of emoscope-torch runs the test kinds and the science kinds.
TaskRegistry ScienceTaskRegistry() {
  TaskRegistry registry = DefaultTaskRegistry();
  RegisterScienceKinds(registry);
  return registry;
}

// `model train` stopped by SIGINT or SIGTERM after writing its checkpoint: 128 + SIGINT, as shells
// report an interrupted program.
constexpr int kExitStopped = 130;

int RunModelTrain(const std::vector<std::string>& argv) {
  ArgParser parser("emoscope model train", "--arch ARCH --steps S --out DIR [--layers N --hidden D ...]");
  const TrainOptions d;
  auto text = [](auto value) { return fmt::format("{}", value); };
  parser.Option("arch", "gpt2, llama, mistral, qwen2").Required();
  parser.Option("out", "model folder to write (its checkpoint/ subfolder lets a run continue)").Required();
  parser.Option("steps", "optimizer steps").Required();
  parser.Option("layers", "number of blocks", text(d.layers));
  parser.Option("hidden", "hidden size", text(d.hidden));
  parser.Option("heads", "attention heads", text(d.heads));
  parser.Option("kv-heads", "key/value heads (0: as many as heads)", text(d.kv_heads));
  parser.Option("intermediate", "MLP width (0: 4 x hidden)", text(d.intermediate));
  parser.Option("corpus", "training text: builtin (the synthetic emotional corpus)", d.corpus);
  parser.Option("documents", "corpus documents (training and validation)", text(d.documents));
  parser.Option("set", "emotion set of the corpus: emotions20, basic6 or a set file", d.emotion_set);
  parser.Option("neutral-fraction", "share of neutral documents", text(d.neutral_fraction));
  parser.Option("dream-fraction", "share of emotional documents with a dream of another emotion",
                text(d.dream_fraction));
  parser.Option("dream-after", "of those, the share whose dream comes after their own situation",
                text(d.dream_after));
  parser.Option("validation-fraction", "share of documents held out", text(d.validation_fraction));
  parser.Option("vocab", "tokenizer size: 256 bytes + merges + end-of-text", text(d.vocab));
  parser.Option("tokenizer-documents", "training documents the BPE merges are learned on",
                text(d.tokenizer_documents));
  parser.Option("seed", "corpus, initialization and batch-order seed", text(d.seed));
  parser.Option("batch", "sequences per step", text(d.batch));
  parser.Option("seq-len", "tokens per sequence (and the model's max positions)", text(d.seq_len));
  parser.Option("lr", "peak learning rate", text(d.lr));
  parser.Option("warmup", "linear warmup steps", text(d.warmup));
  parser.Option("min-lr-ratio", "cosine floor as a fraction of --lr", text(d.min_lr_ratio));
  parser.Option("weight-decay", "AdamW decoupled weight decay (matrices and embeddings)",
                text(d.weight_decay));
  parser.Option("beta1", "AdamW first-moment decay", text(d.beta1));
  parser.Option("beta2", "AdamW second-moment decay", text(d.beta2));
  parser.Option("clip", "global gradient-norm clip (0: off)", text(d.clip));
  parser.Option("checkpoint-every", "steps between checkpoints (0: at the end and on a signal only)",
                text(d.checkpoint_every));
  parser.Option("eval-windows", "sequences scored for the final train and validation losses",
                text(d.eval_windows));
  parser.Option("threads", kThreadsHelp, text(d.threads));
  parser.Option("device", "cpu, cuda or cuda:N", d.device);
  parser.Flag("json", "print the report as JSON");
  const ParsedArgs args = parser.Parse(argv);
  TrainOptions options;
  options.arch = args.Get("arch");
  options.out = args.Get("out");
  options.steps = args.GetInt("steps");
  options.layers = args.GetInt("layers");
  options.hidden = args.GetInt("hidden");
  options.heads = args.GetInt("heads");
  options.kv_heads = args.GetInt("kv-heads");
  options.intermediate = args.GetInt("intermediate");
  options.corpus = args.Get("corpus");
  options.documents = args.GetInt("documents");
  options.emotion_set = args.Get("set");
  options.neutral_fraction = args.GetDouble("neutral-fraction");
  options.dream_fraction = args.GetDouble("dream-fraction");
  options.dream_after = args.GetDouble("dream-after");
  options.validation_fraction = args.GetDouble("validation-fraction");
  options.vocab = args.GetInt("vocab");
  options.tokenizer_documents = args.GetInt("tokenizer-documents");
  const int64_t seed = args.GetInt("seed");
  if (seed < 0) throw UsageError("emoscope model train: --seed must not be negative");
  options.seed = static_cast<uint64_t>(seed);
  options.batch = args.GetInt("batch");
  options.seq_len = args.GetInt("seq-len");
  options.lr = args.GetDouble("lr");
  options.warmup = args.GetInt("warmup");
  options.min_lr_ratio = args.GetDouble("min-lr-ratio");
  options.weight_decay = args.GetDouble("weight-decay");
  options.beta1 = args.GetDouble("beta1");
  options.beta2 = args.GetDouble("beta2");
  options.clip = args.GetDouble("clip");
  options.checkpoint_every = args.GetInt("checkpoint-every");
  options.eval_windows = args.GetInt("eval-windows");
  options.threads = args.GetInt("threads");
  options.device = args.Get("device");
  const TrainingReport report = Train(options);
  if (args.Flag("json")) {
    std::printf("%s\n", ReportJson(report).dump().c_str());
  } else if (!report.completed) {
    std::printf(
        "stopped at step %lld of %lld; checkpoint in %s/checkpoint (run the same command to continue)\n",
        static_cast<long long>(report.steps), static_cast<long long>(options.steps), options.out.c_str());
  } else {
    std::printf(
        "%s",
        fmt::format("wrote {}: {} parameters, vocab {}, {} steps in {} ({:.0f} CPU seconds)\n"
                    "  train loss {:.4f}, validation loss {:.4f}, unigram baseline {:.4f} (nats/token)\n"
                    "  {:.0f} tokens/s on {} threads; {} training and {} validation tokens\n",
                    report.out, report.parameters, report.vocab, report.steps,
                    FormatDuration(report.elapsed_seconds), report.cpu_seconds, report.train_loss,
                    report.validation_loss, report.unigram_loss, report.tokens_per_second, report.threads,
                    report.train_tokens, report.validation_tokens)
            .c_str());
  }
  return report.completed ? kExitOk : kExitStopped;
}

}  // namespace

std::vector<Command> TorchCommands() {
  std::vector<Command> commands = TorchCommandNames();
  commands.push_back(MakeWorkerCommand(ScienceTaskRegistry,
                                       [](int64_t threads) { SetThreadCount(threads, "emoscope worker"); }));
  for (Command& command : commands) {
    if (command.name == "forward") command.run = RunForward;
    if (command.name == "generate") command.run = RunGenerate;
    if (command.name == "model init") command.run = RunModelInit;
    if (command.name == "verify")
      command.run = [](const std::vector<std::string>& args) {
        return RunVerify(args, ScienceTaskRegistry());
      };
    if (command.name == "model train") command.run = RunModelTrain;
    if (!command.run) {
      const std::string name = command.name;
      command.run = [name](const std::vector<std::string>&) -> int {
        Fail("'{}' is not available here", name);
      };
    }
  }
  return commands;
}

}  // namespace emoscope
