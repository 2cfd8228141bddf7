#include "cli/stimuli_commands.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "common/args.h"
#include "common/error.h"
#include "common/file_util.h"
#include "stimuli/corpus.h"
#include "stimuli/corpus_stats.h"
#include "stimuli/stimuli.h"

namespace emoscope {
namespace {

int RunStimuliCheck(const std::vector<std::string>& argv) {
  ArgParser parser("emoscope stimuli check", "[FILE.jsonl ...]");
  parser.Positionals(1000, "stimuli files; default: the built-in ones");
  const ParsedArgs args = parser.Parse(argv);
  std::vector<std::string> files = args.Positional();
  if (files.empty()) {
    for (const char* name :
         {"comprehension.jsonl", "generation_prompts.jsonl", "neutral.jsonl", "steering_prompts.jsonl"}) {
      files.push_back(BuiltinStimuliFile(name));
    }
  }
  for (const auto& file : files) {
    std::map<std::string, size_t> counts;
    const auto stimuli = LoadStimuliFile(file);
    for (const auto& stimulus : stimuli) ++counts[stimulus.emotion];
    std::printf("%s: %zu stimuli, %zu emotions\n", file.c_str(), stimuli.size(), counts.size());
    for (const auto& [emotion, count] : counts) std::printf("  %-12s %zu\n", emotion.c_str(), count);
  }
  return kExitOk;
}

int RunCorpus(const std::vector<std::string>& argv) {
  ArgParser parser("emoscope corpus", "--out FILE.jsonl | --stimuli-dir DIR [options]");
  parser.Option("out", "JSONL file to write (id, emotion, text per line)");
  parser.Option("stimuli-dir", "instead: a stimuli folder whose comprehension.jsonl holds the emotional documents and "
                               "neutral.jsonl the neutral ones, with the built-in prompts and sets.json");
  parser.Option("seed", "random seed; the same seed gives the same corpus", "1");
  parser.Option("documents", "number of documents", "10000");
  parser.Option("set", "emotion set name or set file", "emotions20");
  parser.Option("neutral-fraction", "share of neutral documents, 0 to 1", "0.2");
  const ParsedArgs args = parser.Parse(argv);
  CorpusOptions options;
  const int64_t seed = args.GetInt("seed");
  if (seed < 0) throw UsageError("--seed must be >= 0");
  options.seed = static_cast<uint64_t>(seed);
  options.num_documents = args.GetInt("documents");
  options.emotions = LoadEmotionSet(args.Get("set"));
  options.neutral_fraction = args.GetDouble("neutral-fraction");
  const auto stimuli_dir = args.GetOptional("stimuli-dir");
  if (stimuli_dir.has_value() == args.Has("out")) throw UsageError("emoscope corpus: give --out or --stimuli-dir");
  const auto documents = GenerateCorpus(options);
  std::string emotional, neutral;
  for (size_t index = 0; index < documents.size(); ++index) {
    const nlohmann::ordered_json line = {{"id", fmt::format("corpus-{:07d}", index + 1)},
                                         {"emotion", documents[index].emotion},
                                         {"text", documents[index].text}};
    (stimuli_dir && documents[index].emotion == "neutral" ? neutral : emotional) += line.dump() + "\n";
  }
  std::string written;
  if (stimuli_dir) {
    // A stimuli folder (docs/stimuli.md) reading held-out corpus documents for comprehension and
    // neutral text; generation and steering prompts are the built-in ones.
    if (::mkdir(stimuli_dir->c_str(), 0755) != 0 && errno != EEXIST) Fail("{}: cannot create: {}", *stimuli_dir, std::strerror(errno));
    WriteFileAtomic(JoinPath(*stimuli_dir, "comprehension.jsonl"), emotional);
    WriteFileAtomic(JoinPath(*stimuli_dir, "neutral.jsonl"), neutral);
    for (const char* name : {"generation_prompts.jsonl", "steering_prompts.jsonl", "sets.json"}) {
      WriteFileAtomic(JoinPath(*stimuli_dir, name), ReadFile(BuiltinStimuliFile(name)));
    }
    written = *stimuli_dir;
  } else {
    WriteFileAtomic(args.Get("out"), emotional);
    written = args.Get("out");
  }
  const CorpusVariety variety = MeasureVariety(documents);
  std::printf(
      "%s: %zu documents, %zu sentences (%zu distinct; %.0f distinct per 10,000), "
      "%zu word 4-grams (distinct ratio %.3f)\n",
      written.c_str(), variety.documents, variety.sentences, variety.distinct_sentences,
      variety.distinct_sentences_per_10k, variety.four_grams, variety.distinct_four_gram_ratio);
  return kExitOk;
}

}  // namespace

std::vector<Command> StimuliCommands() {
  return {
      {"stimuli check", "load stimuli JSONL files (default: the built-in ones), count per emotion",
       RunStimuliCheck},
      {"corpus", "write a seeded synthetic emotional corpus as JSONL, with its variety figures", RunCorpus},
  };
}

}  // namespace emoscope
