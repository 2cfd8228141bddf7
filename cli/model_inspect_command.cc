// `emoscope model inspect DIR`: what a checkpoint folder holds, checked against its config.
#include <cstdio>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/args.h"
#include "common/error.h"
#include "models/checkpoint/model_config.h"
#include "models/checkpoint/safetensors.h"
#include "models/checkpoint/tensor_layout.h"

namespace emoscope {
namespace {

int RunModelInspect(const std::vector<std::string>& argv) {
  ArgParser parser("emoscope model inspect", "MODEL_DIR [--json]");
  parser.Positionals(1, "MODEL_DIR: a Hugging Face model folder");
  parser.Flag("json", "print JSON");
  parser.Flag("no-checksum", "skip hashing the weight files");
  const ParsedArgs args = parser.Parse(argv);
  const std::string& dir = args.Positional(0, "MODEL_DIR");
  const ModelConfig config = LoadModelConfig(dir);
  const WeightSet weights = WeightSet::OpenFolder(dir);

  int64_t parameters = 0;
  std::map<std::string, int64_t> dtype_counts;
  for (const std::string& name : weights.Names()) {
    const TensorView* view = weights.Find(name);
    parameters += view->numel();
    dtype_counts[DTypeName(view->dtype)] += view->numel();
  }
  std::vector<std::string> problems;
  for (const TensorSpec& spec : ExpectedTensors(config)) {
    const TensorView* view = weights.Find(spec.name);
    if (view == nullptr && config.family() == Family::kGpt2 && spec.name.rfind("transformer.", 0) == 0) {
      view = weights.Find(spec.name.substr(12));  // original GPT-2 checkpoints have no prefix
    }
    if (view == nullptr) {
      problems.push_back(fmt::format("missing tensor {}", spec.name));
    } else if (view->shape != spec.shape) {
      problems.push_back(fmt::format("tensor {} has shape [{}], config.json implies [{}]", spec.name,
                                     fmt::join(view->shape, ", "), fmt::join(spec.shape, ", ")));
    }
  }
  std::string dtype;
  int64_t most = -1;
  for (const auto& [name, count] : dtype_counts) {
    if (count > most) {
      dtype = name;
      most = count;
    }
  }
  const std::string checksum = args.Flag("no-checksum") ? "" : WeightsChecksum(dir);
  if (args.Flag("json")) {
    nlohmann::json out = {{"dir", dir},
                          {"architecture", ArchitectureName(config.arch)},
                          {"model_type", config.model_type},
                          {"layers", config.num_layers},
                          {"hidden_size", config.hidden_size},
                          {"heads", config.num_heads},
                          {"kv_heads", config.num_kv_heads},
                          {"head_dim", config.head_dim},
                          {"intermediate_size", config.intermediate_size},
                          {"vocab_size", config.vocab_size},
                          {"parameters", parameters},
                          {"dtype", dtype},
                          {"weight_files", weights.files()},
                          {"checksum", checksum},
                          {"problems", problems}};
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("%s\n  architecture  %s (model_type %s)\n  layers        %lld\n  hidden        %lld\n"
                "  heads         %lld (key/value %lld, head_dim %lld)\n  mlp           %lld\n  vocab         %lld\n"
                "  parameters    %lld\n  dtype         %s\n  files         %zu\n  checksum      %s\n",
                dir.c_str(), ArchitectureName(config.arch), config.model_type.c_str(),
                static_cast<long long>(config.num_layers), static_cast<long long>(config.hidden_size),
                static_cast<long long>(config.num_heads), static_cast<long long>(config.num_kv_heads),
                static_cast<long long>(config.head_dim), static_cast<long long>(config.intermediate_size),
                static_cast<long long>(config.vocab_size), static_cast<long long>(parameters), dtype.c_str(),
                weights.files().size(), checksum.empty() ? "(skipped)" : checksum.c_str());
    for (const std::string& problem : problems) std::printf("  problem: %s\n", problem.c_str());
  }
  if (!problems.empty()) Fail("{}: the checkpoint does not match config.json ({} problems)", dir, problems.size());
  return kExitOk;
}

}  // namespace

Command ModelInspectCommand() {
  return {"model inspect", "architecture, size, dtype and checksum of a model folder; checks every tensor",
          RunModelInspect};
}

}  // namespace emoscope
