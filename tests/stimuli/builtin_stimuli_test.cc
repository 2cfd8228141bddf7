// Checks on the stimuli files shipped in stimuli/: they load, they are large enough for every
// emotion of emotions20, and the passages convey emotions mostly without naming them.
#include <catch2/catch.hpp>
#include <cctype>
#include <map>
#include <set>

#include "stimuli/stimuli.h"

namespace {

using emoscope::Stimulus;

// Minimum counts promised in docs/stimuli.md.
constexpr size_t kMinComprehensionPerEmotion = 40;
constexpr size_t kMinPromptsPerEmotion = 10;
constexpr size_t kMinNeutral = 120;
constexpr size_t kMinSteeringPrompts = 24;
constexpr size_t kMinPassageWords = 15;
constexpr size_t kMaxPassageWords = 50;
// Most passages must convey the emotion without naming it (measured: 0 of 802 name it).
constexpr double kMaxNamedFraction = 0.25;
// With obvious synonyms counted too (measured: 25 of 802, 3.1%).
constexpr double kMaxSynonymFraction = 0.10;

std::vector<Stimulus> Builtin(const std::string& name) {
  return emoscope::LoadStimuliFile(emoscope::BuiltinStimuliFile(name));
}

std::vector<std::string> LowerWords(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  for (const char c : text + " ") {
    if (std::isalpha(static_cast<unsigned char>(c)) != 0) {
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!word.empty()) {
      words.push_back(word);
      word.clear();
    }
  }
  return words;
}

// True when some word of `text` starts with one of `stems` ("fear" matches "fearful", "fears").
bool MentionsAny(const std::string& text, const std::vector<std::string>& stems) {
  for (const auto& word : LowerWords(text)) {
    for (const auto& stem : stems) {
      if (word.compare(0, stem.size(), stem) == 0) return true;
    }
  }
  return false;
}

size_t WordCount(const std::string& text) {
  size_t count = 0;
  bool in_word = false;
  for (const char c : text) {
    const bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
    if (!space && !in_word) ++count;
    in_word = !space;
  }
  return count;
}

std::map<std::string, size_t> CountByEmotion(const std::vector<Stimulus>& stimuli) {
  std::map<std::string, size_t> counts;
  for (const auto& stimulus : stimuli) ++counts[stimulus.emotion];
  return counts;
}

}  // namespace

TEST_CASE("the built-in emotion sets are basic6 and emotions20, basic6 inside emotions20",
          "[stimuli][builtin]") {
  const auto basic6 = emoscope::LoadEmotionSet("basic6");
  const auto emotions20 = emoscope::LoadEmotionSet("emotions20");
  CHECK(basic6.emotions ==
        std::vector<std::string>{"anger", "disgust", "fear", "joy", "sadness", "surprise"});
  REQUIRE(emotions20.emotions.size() == 20);
  const std::set<std::string> all(emotions20.emotions.begin(), emotions20.emotions.end());
  for (const auto& emotion : basic6.emotions) CHECK(all.count(emotion) == 1);
}

TEST_CASE("every emotion of emotions20 has at least 40 comprehension passages of 15 to 50 words",
          "[stimuli][builtin]") {
  const auto passages = Builtin("comprehension.jsonl");
  const auto emotions20 = emoscope::LoadEmotionSet("emotions20");
  const auto counts = CountByEmotion(passages);
  for (const auto& emotion : emotions20.emotions) {
    INFO("emotion " << emotion);
    CHECK(counts.count(emotion) == 1);
    if (counts.count(emotion) == 1) CHECK(counts.at(emotion) >= kMinComprehensionPerEmotion);
  }
  CHECK(counts.size() == emotions20.emotions.size());  // no stray emotion labels
  for (const auto& passage : passages) {
    INFO(passage.id);
    CHECK(WordCount(passage.text) >= kMinPassageWords);
    CHECK(WordCount(passage.text) <= kMaxPassageWords);
  }
}

TEST_CASE("no comprehension passage is repeated", "[stimuli][builtin]") {
  std::map<std::string, std::string> id_of_text;
  for (const auto& passage : Builtin("comprehension.jsonl")) {
    const auto [previous, inserted] = id_of_text.emplace(passage.text, passage.id);
    INFO(passage.id << " repeats " << previous->second);
    CHECK(inserted);
  }
}

TEST_CASE("few comprehension passages name their own emotion", "[stimuli][builtin]") {
  const std::map<std::string, std::vector<std::string>> synonyms = {
      {"anger", {"anger", "angry", "furious", "rage", "livid"}},
      {"disgust", {"disgust", "gross", "revolting", "repulsive", "nauseat"}},
      {"fear", {"fear", "afraid", "scared", "terrif", "frighten"}},
      {"joy", {"joy", "happy", "happiness", "delight", "glad"}},
      {"sadness", {"sad", "sorrow", "grief", "griev", "unhappy"}},
      {"surprise", {"surpris", "astonish", "shock", "amaz"}},
      {"love", {"love", "adore"}},
      {"pride", {"pride", "proud"}},
      {"gratitude", {"gratitude", "grateful", "thank"}},
      {"hope", {"hope", "hoping"}},
      {"serenity", {"seren", "calm", "peaceful", "tranquil"}},
      {"amusement", {"amus", "funny"}},
      {"awe", {"awe", "wonder"}},
      {"nostalgia", {"nostalg"}},
      {"guilt", {"guilt"}},
      {"shame", {"shame", "asham", "embarrass", "humiliat"}},
      {"envy", {"envy", "envious", "jealous"}},
      {"loneliness", {"lonel", "alone"}},
      {"anxiety", {"anxi", "nervous", "worr"}},
      {"contempt", {"contempt", "scorn", "disdain", "sneer"}},
  };
  const auto passages = Builtin("comprehension.jsonl");
  size_t named = 0;
  size_t with_synonym = 0;
  for (const auto& passage : passages) {
    if (MentionsAny(passage.text, {passage.emotion})) ++named;
    if (MentionsAny(passage.text, synonyms.at(passage.emotion))) ++with_synonym;
  }
  const double named_fraction = static_cast<double>(named) / passages.size();
  const double synonym_fraction = static_cast<double>(with_synonym) / passages.size();
  INFO("named " << named << "/" << passages.size() << ", with synonyms " << with_synonym);
  CHECK(named_fraction < kMaxNamedFraction);
  CHECK(synonym_fraction < kMaxSynonymFraction);
}

TEST_CASE("every emotion of emotions20 has at least 10 generation prompts that do not name it",
          "[stimuli][builtin]") {
  const auto prompts = Builtin("generation_prompts.jsonl");
  const auto counts = CountByEmotion(prompts);
  for (const auto& emotion : emoscope::LoadEmotionSet("emotions20").emotions) {
    INFO("emotion " << emotion);
    REQUIRE(counts.count(emotion) == 1);
    CHECK(counts.at(emotion) >= kMinPromptsPerEmotion);
  }
  for (const auto& prompt : prompts) {
    INFO(prompt.id);
    CHECK_FALSE(MentionsAny(prompt.text, {prompt.emotion}));
  }
}

TEST_CASE("the neutral passages and steering prompts are all labelled neutral and numerous enough",
          "[stimuli][builtin]") {
  const auto neutral = Builtin("neutral.jsonl");
  const auto steering = Builtin("steering_prompts.jsonl");
  CHECK(neutral.size() >= kMinNeutral);
  CHECK(steering.size() >= kMinSteeringPrompts);
  for (const auto& stimulus : neutral) CHECK(stimulus.emotion == "neutral");
  for (const auto& stimulus : steering) CHECK(stimulus.emotion == "neutral");
}

TEST_CASE("ids are unique across all the built-in files", "[stimuli][builtin]") {
  std::set<std::string> ids;
  for (const char* file :
       {"comprehension.jsonl", "generation_prompts.jsonl", "neutral.jsonl", "steering_prompts.jsonl"}) {
    for (const auto& stimulus : Builtin(file)) {
      INFO(file << ": " << stimulus.id);
      CHECK(ids.insert(stimulus.id).second);
    }
  }
}

TEST_CASE("selecting basic6 from the comprehension passages keeps only its six emotions, sharded evenly",
          "[stimuli][builtin]") {
  const auto selected =
      emoscope::SelectEmotionSet(Builtin("comprehension.jsonl"), emoscope::LoadEmotionSet("basic6"));
  CHECK(CountByEmotion(selected).size() == 6);
  const auto first = emoscope::ShardStimuli(selected, 0, 4);
  const auto last = emoscope::ShardStimuli(selected, 3, 4);
  CHECK(first.size() + 1 >= last.size());
  CHECK(CountByEmotion(first).size() == 6);
}
