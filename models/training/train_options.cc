#include "models/training/train_options.h"

#include <fmt/format.h>

#include "common/error.h"

namespace emoscope {

void ValidateTrainOptions(const TrainOptions& o) {
  if (o.out.empty()) throw UsageError("model train: --out is required");
  if (o.arch == "gemma" || o.arch == "gemma2" || o.arch == "gemma3") {
    throw UsageError(fmt::format(
        "model train: --arch {} cannot be trained: Gemma's norm weights are used as 1 + w (derived "
        "copies), so gradients would not reach them; use gpt2, llama, mistral or qwen2",
        o.arch));
  }
  if (o.arch != "gpt2" && o.arch != "llama" && o.arch != "mistral" && o.arch != "qwen2") {
    throw UsageError(
        fmt::format("model train: --arch '{}' is not one of gpt2, llama, mistral, qwen2", o.arch));
  }
  if (o.corpus != "builtin")
    throw UsageError(fmt::format("model train: --corpus '{}': only 'builtin' is supported", o.corpus));
  auto positive = [](int64_t value, const char* name) {
    if (value <= 0) throw UsageError(fmt::format("model train: --{} must be positive (got {})", name, value));
  };
  positive(o.steps, "steps");
  positive(o.layers, "layers");
  positive(o.hidden, "hidden");
  positive(o.heads, "heads");
  positive(o.batch, "batch");
  positive(o.seq_len, "seq-len");
  positive(o.documents, "documents");
  positive(o.eval_windows, "eval-windows");
  positive(o.tokenizer_documents, "tokenizer-documents");
  if (o.hidden % o.heads != 0) {
    throw UsageError(
        fmt::format("model train: --hidden {} is not a multiple of --heads {}", o.hidden, o.heads));
  }
  if (o.kv_heads < 0 || (o.kv_heads > 0 && o.heads % o.kv_heads != 0)) {
    throw UsageError(fmt::format("model train: --kv-heads {} must divide --heads {}", o.kv_heads, o.heads));
  }
  if (o.intermediate < 0) throw UsageError("model train: --intermediate must not be negative");
  if (o.vocab < 258) throw UsageError(fmt::format("model train: --vocab {} must be at least 258", o.vocab));
  if (!(o.lr > 0)) throw UsageError(fmt::format("model train: --lr must be positive (got {})", o.lr));
  if (o.warmup < 0) throw UsageError("model train: --warmup must not be negative");
  if (o.weight_decay < 0) throw UsageError("model train: --weight-decay must not be negative");
  if (o.clip < 0) throw UsageError("model train: --clip must not be negative");
  if (o.checkpoint_every < 0) throw UsageError("model train: --checkpoint-every must not be negative");
  if (o.threads < 0) throw UsageError("model train: --threads must not be negative");
  if (!(o.beta1 >= 0 && o.beta1 < 1) || !(o.beta2 >= 0 && o.beta2 < 1)) {
    throw UsageError("model train: --beta1 and --beta2 must be in [0, 1)");
  }
  if (!(o.min_lr_ratio >= 0 && o.min_lr_ratio <= 1))
    throw UsageError("model train: --min-lr-ratio must be in [0, 1]");
  if (!(o.validation_fraction > 0 && o.validation_fraction < 1)) {
    throw UsageError("model train: --validation-fraction must be in (0, 1)");
  }
  if (!(o.neutral_fraction >= 0 && o.neutral_fraction <= 1)) {
    throw UsageError("model train: --neutral-fraction must be in [0, 1]");
  }
  if (!(o.dream_fraction >= 0 && o.dream_fraction <= 1)) {
    throw UsageError("model train: --dream-fraction must be in [0, 1]");
  }
  if (!(o.dream_after >= 0 && o.dream_after <= 1))
    throw UsageError("model train: --dream-after must be in [0, 1]");
}

nlohmann::ordered_json TrainIdentity(const TrainOptions& o) {
  return {{"arch", o.arch},
          {"layers", o.layers},
          {"hidden", o.hidden},
          {"heads", o.heads},
          {"kv-heads", o.kv_heads},
          {"intermediate", o.intermediate},
          {"corpus", o.corpus},
          {"documents", o.documents},
          {"set", o.emotion_set},
          {"neutral-fraction", o.neutral_fraction},
          {"dream-fraction", o.dream_fraction},
          {"dream-after", o.dream_after},
          {"validation-fraction", o.validation_fraction},
          {"vocab", o.vocab},
          {"tokenizer-documents", o.tokenizer_documents},
          {"seed", o.seed},
          {"steps", o.steps},
          {"batch", o.batch},
          {"seq-len", o.seq_len},
          {"lr", o.lr},
          {"warmup", o.warmup},
          {"min-lr-ratio", o.min_lr_ratio},
          {"weight-decay", o.weight_decay},
          {"beta1", o.beta1},
          {"beta2", o.beta2},
          {"clip", o.clip}};
}

std::string DescribeIdentityDifference(const nlohmann::ordered_json& stored,
                                       const nlohmann::ordered_json& now) {
  std::string differences;
  for (const auto& [key, value] : now.items()) {
    const std::string before = stored.contains(key) ? stored.at(key).dump() : "(absent)";
    if (before != value.dump())
      differences += fmt::format(" --{} {} (checkpoint) vs {} (now);", key, before, value.dump());
  }
  for (const auto& [key, value] : stored.items()) {
    if (!now.contains(key))
      differences += fmt::format(" {} {} (checkpoint) is unknown now;", key, value.dump());
  }
  return differences;
}

}  // namespace emoscope
