// The campaign file: a YAML document naming a campaign and the tasks it wants done.
//
//   campaign: noop-10k          # required, [A-Za-z0-9._-]+
//   priority: 0                 # optional; higher-priority campaigns are dispatched first
//   max_attempts: 3             # optional default for every entry
//   models:                     # optional; tasks name them with `model:`
//     - {name: gpt2, path: /models/gpt2, checksum: <sha256>, architecture: gpt2, layers: 12}
//   test_tasks:                 # built-in test kinds: noop, sleep (ms), fail, crash
//     - {kind: noop, count: 10000}
//     - {kind: sleep, count: 100, ms: 20, name: slow}
//     - {kind: noop, count: 5, after: slow}      # each waits for every task of entry `slow`
//   tasks:                      # any registered kind, with free-form params
//     - {kind: extract, model: gpt2, count: 1, params: {layer: 6}}
//
// ParseCampaign validates everything up front; an Error names the file, the line and the field
// ("c.yaml:7: test_tasks[1].count: must be a positive integer").
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace emoscope {

struct ModelSpec {
  std::string name;
  std::string path;
  std::string checksum;  // sha256 of the weights; part of every task key that uses the model
  std::optional<std::string> architecture;
  std::optional<int64_t> layers;
  std::optional<int64_t> parameters;
};

struct TaskEntry {
  std::string kind;
  int64_t count = 1;
  nlohmann::json params = nlohmann::json::object();  // without the per-copy "index"
  std::optional<std::string> model;                  // a ModelSpec name
  std::optional<std::string> name;                   // for `after:` references
  std::vector<std::string> after;                    // entry names this entry's tasks wait for
  int max_attempts = 0;                              // 0: the campaign's or the kind's default
  int line = 0;                                      // where the entry starts in the file (1-based)
};

struct Campaign {
  std::string name;
  std::string file;       // path it was read from (for messages)
  std::string spec_text;  // the file's bytes
  int64_t priority = 0;
  int max_attempts = 0;  // 0: each kind's default
  std::vector<ModelSpec> models;
  std::vector<TaskEntry> entries;

  int64_t TaskCount() const;
};

// Parses and validates campaign text; `file` names it in error messages.
Campaign ParseCampaign(const std::string& text, const std::string& file);
// Reads and parses a campaign file.
Campaign LoadCampaign(const std::string& path);

// Upper bound on the tasks one campaign may expand to, so a typo ("count: 1e12") is an error and
// not an out-of-memory.
constexpr int64_t kMaxCampaignTasks = 50'000'000;

}  // namespace emoscope
