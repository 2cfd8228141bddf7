// Shared by the science task kinds (science-internal): typed parameters, the worker's model
// cache entries, provenance rows and the inputs a task receives from its dependencies.
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "models/runtime/generate.h"
#include "models/runtime/model.h"
#include "models/tokenizer/tokenizer.h"
#include "worker/task_registry.h"

namespace emoscope {

using Clock = std::chrono::steady_clock;

// Typed access to a task's params, naming the kind and field in errors (a bad parameter is not
// retryable: running the task again would fail the same way).
class Params {
 public:
  Params(const nlohmann::json& params, std::string kind) : params_(params), kind_(std::move(kind)) {}
  template <typename T>
  T Get(const char* name, T fallback) const {
    if (!params_.contains(name) || params_.at(name).is_null()) return fallback;
    return As<T>(params_.at(name), name);
  }
  template <typename T>
  T Require(const char* name) const {
    if (!params_.contains(name))
      throw TaskFailed(fmt::format("{}: parameter '{}' is missing", kind_, name), false);
    return As<T>(params_.at(name), name);
  }
  const nlohmann::json& Raw(const char* name) const {
    static const nlohmann::json kNull;
    return params_.contains(name) ? params_.at(name) : kNull;
  }
  const std::string& kind() const { return kind_; }

 private:
  template <typename T>
  T As(const nlohmann::json& value, const char* name) const {
    try {
      return value.get<T>();
    } catch (const nlohmann::json::exception&) {
      throw TaskFailed(fmt::format("{}: parameter '{}' has the wrong type: {}", kind_, name, value.dump()),
                       false);
    }
  }
  const nlohmann::json& params_;
  std::string kind_;
};

struct LoadedModel {
  std::unique_ptr<CausalLm> model;
  std::unique_ptr<Tokenizer> tokenizer;
  std::string dtype;
  std::string device;
  std::mutex mutex;  // one forward pass at a time per model
};

// The model (and its tokenizer) from the worker's cache, loaded on first use.
std::shared_ptr<LoadedModel> GetModel(TaskContext& ctx, const std::string& dtype, const std::string& device);

// The task_runs row every science task writes: how its numbers were computed.
nlohmann::json TaskRunRow(const TaskContext& ctx, const std::string& device, const std::string& dtype,
                          uint64_t seed, const nlohmann::json& settings, Clock::time_point start);

// Throws a retryable TaskFailed when the lease was revoked.
void CheckCancel(const TaskContext& ctx);

// The stimuli folder of the params ("builtin" or a path).
std::string StimuliDir(const Params& params);

// Sampling options from a {max_new_tokens, temperature, top_p, top_k} object; stops at the
// model's end-of-sequence tokens.
SamplingOptions SamplingFrom(const nlohmann::json& settings, const CausalLm& model);

// The rows of `table` among the task's inputs (empty when absent), and the blob a row refers to.
const nlohmann::json& InputRows(const TaskContext& ctx, const std::string& table);
const std::string& InputBlob(const TaskContext& ctx, const nlohmann::json& ref, const std::string& what);

TaskOutput RunExtract(TaskContext& ctx);    // extract_task.cc
TaskOutput RunMetrics(TaskContext& ctx);    // metrics_task.cc
TaskOutput RunCalibrate(TaskContext& ctx);  // calibrate_task.cc
TaskOutput RunSteer(TaskContext& ctx);      // steer_task.cc

}  // namespace emoscope
