// Stimuli: short texts labelled with an emotion, read from JSONL files (one JSON object per line
// with string fields "id", "emotion", "text"; other fields are allowed and ignored). The files
// shipped with emoscope live in the built-in stimuli folder; users point at their own files the
// same way. Emotion sets (named lists of emotions) are kept in that folder's sets.json.
//
// Errors: every loader throws emoscope::Error whose message names the file and the line (and, for
// invalid UTF-8, the byte offset within the line). Nothing here keeps state between calls; all
// functions are safe to call from several threads at once.
#pragma once

#include <string>
#include <vector>

namespace emoscope {

struct Stimulus {
  std::string id;       // unique within a file
  std::string emotion;  // an emotion name, or "neutral"
  std::string text;     // non-empty, valid UTF-8
  int line = 0;         // 1-based line of the file it came from (0 when not read from a file)
  // Optional (JSONL field "context"): text fed to the model before `text` and not read out. A
  // comprehension stimulus with a context reads only its own text's tokens, so the same text can
  // carry different emotions from what came before it (docs/stimuli.md).
  std::string context;
};

// Parses JSONL `contents`; `source` names the file in error messages. Blank lines are skipped, a
// trailing '\r' and a leading UTF-8 byte-order mark are tolerated. Throws Error naming source and
// line for: malformed JSON, a line that is not an object, a missing or non-string field, an empty
// (or all-whitespace) id, emotion or text, an id already used on an earlier line (both lines
// named), bytes that are not valid UTF-8.
std::vector<Stimulus> ParseStimuli(const std::string& contents, const std::string& source);

// Reads and parses a JSONL file (see ParseStimuli); throws Error naming the path if unreadable.
std::vector<Stimulus> LoadStimuliFile(const std::string& path);

struct EmotionSet {
  std::string name;                   // "basic6", "emotions20", or the user's own
  std::vector<std::string> emotions;  // distinct, non-empty, in the order given
};

// `name_or_path` is either the name of a set in the built-in sets.json, or the path of a JSON file
// (anything containing '/' or ending in ".json") of the form {"name": "...", "emotions": [...]}.
// Throws Error for an unknown name (listing the known ones) or a malformed file (naming the file
// and the field).
EmotionSet LoadEmotionSet(const std::string& name_or_path);

// All sets of a sets.json file ({"version": 1, "sets": {"name": ["emotion", ...], ...}}), in the
// order of the file. Throws Error naming the file and the field.
std::vector<EmotionSet> LoadEmotionSets(const std::string& sets_json_path);

// The folder holding the shipped stimuli (a folder is accepted when it contains sets.json). Search
// rule, first match wins:
//   1. $EMOSCOPE_STIMULI_DIR, when set and non-empty (an Error if it has no sets.json: a setting
//      the user made must not be silently ignored);
//   2. <dir of the running executable>/../share/emoscope/stimuli (the installed layout);
//   3. <dir of the running executable>/../../stimuli and ../stimuli (a build folder inside, or
//      beside, the source tree: build/bin/emoscope finds ./stimuli);
//   4. the source tree's stimuli/ folder as configured at build time.
// Throws Error listing every place it looked when none qualifies.
std::string BuiltinStimuliDir();

// Path of a file in the built-in folder: BuiltinStimuliDir() + "/" + name.
std::string BuiltinStimuliFile(const std::string& name);

// The stimuli whose emotion is in `set`, in their original order. Stimuli of other emotions
// (and "neutral") are dropped. Throws Error naming the emotion when an emotion of the set has no
// stimulus at all, since a campaign missing an emotion would silently compute wrong vectors.
std::vector<Stimulus> SelectEmotionSet(const std::vector<Stimulus>& stimuli, const EmotionSet& set);

// Shard `shard_index` (0-based) of `num_shards`: the stimuli at positions p with
// p % num_shards == shard_index, in order. Deterministic; the shards are disjoint, cover the input,
// and differ in size by at most one; stimuli sorted by emotion are spread evenly across shards.
// Throws Error unless 0 <= shard_index < num_shards.
std::vector<Stimulus> ShardStimuli(const std::vector<Stimulus>& stimuli, int shard_index, int num_shards);

}  // namespace emoscope
