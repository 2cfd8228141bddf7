#include "cli/stimuli_commands.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
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

CorpusForm ParseCorpusForm(const std::string& text) {
  if (text == "story") return CorpusForm::kStory;
  if (text == "situation") return CorpusForm::kSituation;
  if (text == "prompt") return CorpusForm::kPrompt;
  if (text == "context") return CorpusForm::kContext;
  throw UsageError(fmt::format("--form must be story, situation, prompt or context, got \"{}\"", text));
}

enum class Which { kAll, kEmotional, kNeutral };

// One JSONL line per document of `which`, in corpus order, ids PREFIX-0000001...
std::string CorpusJsonl(const std::vector<CorpusDocument>& documents, const std::string& prefix,
                        Which which) {
  std::string out;
  for (size_t index = 0; index < documents.size(); ++index) {
    const bool neutral = documents[index].emotion == "neutral";
    if ((which == Which::kEmotional && neutral) || (which == Which::kNeutral && !neutral)) continue;
    nlohmann::ordered_json line = {{"id", fmt::format("{}-{:07d}", prefix, index + 1)},
                                   {"emotion", documents[index].emotion},
                                   {"text", documents[index].text}};
    if (!documents[index].context.empty()) line["context"] = documents[index].context;
    if (!documents[index].dream.empty()) line["dream"] = documents[index].dream;
    if (documents[index].dream_after) line["dream_after"] = true;
    out += line.dump() + "\n";
  }
  return out;
}

int RunCorpus(const std::vector<std::string>& argv) {
  ArgParser parser("emoscope corpus", "--out FILE.jsonl | --stimuli-dir DIR [options]");
  parser.Option("out",
                "JSONL file to write (id, emotion, text per line; dream when the document opens with one)");
  parser.Option("stimuli-dir",
                "instead: a stimuli folder whose comprehension.jsonl holds the emotional documents and "
                "neutral.jsonl the neutral ones, with the built-in prompts and sets.json");
  parser.Option("seed", "random seed; the same seed gives the same corpus", "1");
  parser.Option("documents", "number of documents", "10000");
  parser.Option("set", "emotion set name or set file", "emotions20");
  parser.Option("neutral-fraction", "share of neutral documents, 0 to 1", "0.2");
  parser.Option(
      "dream-fraction",
      "share of emotional documents that open with a dream of another emotion, 0 to 1 (their emotion is "
      "then carried by the order of the story, not by its words)",
      "0");
  parser.Option("dream-after",
                "of the documents with a dream, the share whose dream comes after their own situation", "0");
  parser.Option(
      "form",
      "story (cues of body, thought and speech), situation (only what happens: no cue words), prompt "
      "(a situation and the character's pronoun, to be continued) or context (a situation, then a "
      "sentence every emotion shares: read its tail with skip_leading_fraction)",
      "story");
  parser.Option(
      "corpus-prompts",
      "with --stimuli-dir: write N generation prompts per emotion and N steering prompts (neutral "
      "situations) in the corpus's prompt form instead of the built-in prompts; 0: the built-in ones",
      "0");
  const ParsedArgs args = parser.Parse(argv);
  CorpusOptions options;
  const int64_t seed = args.GetInt("seed");
  if (seed < 0) throw UsageError("--seed must be >= 0");
  options.seed = static_cast<uint64_t>(seed);
  options.num_documents = args.GetInt("documents");
  options.emotions = LoadEmotionSet(args.Get("set"));
  options.neutral_fraction = args.GetDouble("neutral-fraction");
  options.dream_fraction = args.GetDouble("dream-fraction");
  options.dream_after_share = args.GetDouble("dream-after");
  if (!(options.dream_after_share >= 0 && options.dream_after_share <= 1))
    throw UsageError("--dream-after must be in [0, 1]");
  if (!(options.dream_fraction >= 0 && options.dream_fraction <= 1))
    throw UsageError("--dream-fraction must be in [0, 1]");
  options.form = ParseCorpusForm(args.Get("form"));
  const int64_t corpus_prompts = args.GetInt("corpus-prompts");
  if (corpus_prompts < 0 || corpus_prompts > 100000)
    throw UsageError("--corpus-prompts must be in [0, 100000]");
  const auto stimuli_dir = args.GetOptional("stimuli-dir");
  if (stimuli_dir.has_value() == args.Has("out"))
    throw UsageError("emoscope corpus: give --out or --stimuli-dir");
  if (corpus_prompts > 0 && !stimuli_dir) throw UsageError("--corpus-prompts needs --stimuli-dir");
  const auto documents = GenerateCorpus(options);
  std::string written;
  if (stimuli_dir) {
    // A stimuli folder (docs/stimuli.md) reading held-out corpus documents for comprehension and
    // neutral text; generation and steering prompts are the built-in ones unless --corpus-prompts.
    if (::mkdir(stimuli_dir->c_str(), 0755) != 0 && errno != EEXIST)
      Fail("{}: cannot create: {}", *stimuli_dir, std::strerror(errno));
    WriteFileAtomic(JoinPath(*stimuli_dir, "comprehension.jsonl"),
                    CorpusJsonl(documents, "corpus", Which::kEmotional));
    if (options.form == CorpusForm::kContext) {
      // Neutral text stays plain prose (stories), so its variance and norms are those of text.
      CorpusOptions neutral = options;
      neutral.form = CorpusForm::kStory;
      WriteFileAtomic(JoinPath(*stimuli_dir, "neutral.jsonl"),
                      CorpusJsonl(GenerateCorpus(neutral), "corpus", Which::kNeutral));
    } else {
      WriteFileAtomic(JoinPath(*stimuli_dir, "neutral.jsonl"),
                      CorpusJsonl(documents, "corpus", Which::kNeutral));
    }
    std::vector<const char*> builtin = {"sets.json"};
    if (corpus_prompts > 0) {
      // Prompts from streams of their own (seed + 1, seed + 2), so they never repeat a document.
      const auto set_size = static_cast<int64_t>(options.emotions.emotions.size());
      CorpusOptions prompts = options;
      prompts.seed = options.seed + 1;
      prompts.num_documents = corpus_prompts * set_size;
      prompts.neutral_fraction = 0;
      prompts.dream_fraction = 0;
      prompts.form = CorpusForm::kPrompt;
      WriteFileAtomic(JoinPath(*stimuli_dir, "generation_prompts.jsonl"),
                      CorpusJsonl(GenerateCorpus(prompts), "prompt", Which::kEmotional));
      prompts.seed = options.seed + 2;
      prompts.num_documents = corpus_prompts;
      prompts.neutral_fraction = 1;
      WriteFileAtomic(JoinPath(*stimuli_dir, "steering_prompts.jsonl"),
                      CorpusJsonl(GenerateCorpus(prompts), "steer", Which::kNeutral));
    } else {
      builtin.insert(builtin.begin(), {"generation_prompts.jsonl", "steering_prompts.jsonl"});
    }
    for (const char* name : builtin)
      WriteFileAtomic(JoinPath(*stimuli_dir, name), ReadFile(BuiltinStimuliFile(name)));
    written = *stimuli_dir;
  } else {
    WriteFileAtomic(args.Get("out"), CorpusJsonl(documents, "corpus", Which::kAll));
    written = args.Get("out");
  }
  // The variety of what a model is fed: a context-form document's context and text together.
  std::vector<CorpusDocument> fed = documents;
  for (CorpusDocument& document : fed) {
    if (!document.context.empty()) document.text = document.context + " " + document.text;
  }
  const CorpusVariety variety = MeasureVariety(fed);
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
