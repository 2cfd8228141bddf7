#include "science/task_common.h"

#include <ATen/Parallel.h>
#include <torch/csrc/api/include/torch/version.h>

#include "common/error.h"
#include "emoscope_version.h"
#include "stimuli/stimuli.h"
#include "worker/model_cache.h"

namespace emoscope {

using nlohmann::json;

std::shared_ptr<LoadedModel> GetModel(TaskContext& ctx, const std::string& dtype, const std::string& device) {
  if (!ctx.model) throw TaskFailed(ctx.kind + ": the task names no model", false);
  const ModelRef model = *ctx.model;
  auto load = [&]() -> std::shared_ptr<void> {
    auto loaded = std::make_shared<LoadedModel>();
    LoadOptions options;
    options.dtype = dtype;
    options.device = device;
    loaded->model = LoadModel(model.path, options);
    loaded->dtype = dtype;
    loaded->device = device;
    loaded->tokenizer = std::make_unique<Tokenizer>(Tokenizer::FromFolder(model.path));
    return loaded;
  };
  if (ctx.models == nullptr) return std::static_pointer_cast<LoadedModel>(load());
  // Cached by weight checksum: the coordinator's model affinity matches on it. A task asking for
  // another dtype or device than the cached copy gets its own, uncached.
  auto cached = std::static_pointer_cast<LoadedModel>(ctx.models->Get(model.checksum, load));
  if (cached->dtype == dtype && cached->device == device) return cached;
  return std::static_pointer_cast<LoadedModel>(load());
}

namespace {

json LibraryVersions() {
  return {{"libtorch", fmt::format("{}.{}.{}", TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR, TORCH_VERSION_PATCH)},
          {"threads", at::get_num_threads()}};
}

}  // namespace

json TaskRunRow(const TaskContext& ctx, const std::string& device, const std::string& dtype, uint64_t seed,
                const json& settings, Clock::time_point start) {
  return {{"code_version", EMOSCOPE_CODE_VERSION},
          {"libraries", LibraryVersions().dump()},
          {"device", device},
          {"dtype", dtype},
          {"seed", static_cast<int64_t>(seed)},
          {"model_checksum", ctx.model ? ctx.model->checksum : ""},
          {"worker", ctx.worker},
          {"settings", settings.dump()},
          {"elapsed_ms", std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count()}};
}

void CheckCancel(const TaskContext& ctx) {
  if (ctx.cancel != nullptr && ctx.cancel->load()) throw TaskFailed(ctx.kind + ": lease revoked", true);
}

std::string StimuliDir(const Params& params) {
  const std::string dir = params.Get<std::string>("stimuli_dir", "builtin");
  return dir == "builtin" ? BuiltinStimuliDir() : dir;
}

SamplingOptions SamplingFrom(const json& settings, const CausalLm& model) {
  SamplingOptions sampling;
  sampling.max_new_tokens = settings.value("max_new_tokens", 64);
  sampling.temperature = settings.value("temperature", 0.7);
  sampling.top_p = settings.value("top_p", 0.9);
  sampling.top_k = settings.value("top_k", 0);
  sampling.stop_tokens = model.config().eos_token_ids;
  return sampling;
}

const json& InputRows(const TaskContext& ctx, const std::string& table) {
  static const json kEmpty = json::array();
  if (!ctx.inputs.is_object() || !ctx.inputs.contains(table)) return kEmpty;
  return ctx.inputs.at(table);
}

const std::string& InputBlob(const TaskContext& ctx, const json& ref, const std::string& what) {
  if (!ref.is_object() || !ref.contains("$blob")) throw TaskFailed(what + ": expected a blob", false);
  const auto index = ref.at("$blob").get<size_t>();
  if (index >= ctx.input_blobs.size()) throw TaskFailed(what + ": blob index out of range", false);
  return ctx.input_blobs[index];
}

}  // namespace emoscope
