// Task kinds a worker can run, by name. The `emoscope worker` command builds its registry with
// RegisterTestKinds(); a program with more kinds (emoscope-torch and its science tasks) builds
// its own registry, registers its kinds next to those, and calls RunWorker with it.
//
// A task function runs on one of the worker's executor threads. It returns its result rows
// (for the coordinator's result tables) and binary blobs, or throws: TaskFailed for an expected
// failure (retryable or not), any other exception as a retryable failure with its message.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace emoscope {

class ModelCache;

struct ModelRef {
  std::string path;
  std::string checksum;
};

struct TaskContext {
  int64_t task_id = 0;
  int64_t epoch = 0;
  int64_t attempt = 0;
  std::string kind;
  nlohmann::json params;
  std::optional<ModelRef> model;
  std::string worker;                         // this worker's identity
  ModelCache* models = nullptr;               // shared by the worker's tasks; thread-safe
  const std::atomic<bool>* cancel = nullptr;  // set when the lease was revoked; check it in long loops
  // Results of the tasks this one depends on, when its params ask for them (coordinator/
  // task_inputs.h): {"<table>": [rows]}, BLOB values as {"$blob": i} into input_blobs.
  nlohmann::json inputs = nlohmann::json::object();
  std::vector<std::string> input_blobs;
  // Reports the fraction done (0..1); the worker sends the latest value with its next heartbeat.
  // Cheap and thread-safe: call it as often as convenient.
  std::function<void(double)> progress = [](double) {};
};

struct TaskOutput {
  // {"<result table>": [{"<column>": value}, ...]}; a BLOB column is {"$blob": i}, an index
  // into `blobs`.
  nlohmann::json rows = nlohmann::json::object();
  std::vector<std::string> blobs;

  // Adds a blob and returns the JSON value that refers to it.
  nlohmann::json AddBlob(std::string bytes);
};

class TaskFailed : public Error {
 public:
  TaskFailed(const std::string& message, bool retryable) : Error(message), retryable_(retryable) {}
  bool retryable() const { return retryable_; }

 private:
  bool retryable_;
};

using TaskFunction = std::function<TaskOutput(TaskContext&)>;

class TaskRegistry {
 public:
  // Throws Error when the kind is registered already.
  void Register(const std::string& kind, TaskFunction function);
  const TaskFunction* Find(const std::string& kind) const;
  std::vector<std::string> Kinds() const;

 private:
  std::map<std::string, TaskFunction> kinds_;
};

// noop, sleep, fail, crash (jobs/test_kinds.h).
void RegisterTestKinds(TaskRegistry& registry);

// The registry of the `emoscope worker` command: the test kinds.
TaskRegistry DefaultTaskRegistry();

}  // namespace emoscope
