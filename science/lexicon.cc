#include "science/lexicon.h"

#include <set>

namespace emoscope {
namespace {

// Word lists: the emotion's name, its inflections and close synonyms, and common cue words.
// Kept short and unambiguous on purpose; a user who needs more uses the classifier judge.
const std::map<std::string, std::vector<std::string>>& Lists() {
  static const auto* lists = new std::map<std::string, std::vector<std::string>>{
      {"anger", {"anger", "angry", "angrily", "furious", "fury", "rage", "raged", "raging", "mad", "livid", "outraged",
                 "outrage", "irritated", "annoyed", "seething", "hate", "hated", "shouted", "yelled", "slammed",
                 "glared", "snarled", "resentment", "infuriated", "cursed"}},
      {"disgust", {"disgust", "disgusted", "disgusting", "gross", "revolting", "revolted", "nausea", "nauseous",
                   "sickening", "repulsive", "repulsed", "vile", "rotten", "stench", "stink", "stinking", "filthy",
                   "slimy", "gag", "gagged", "vomit", "putrid", "foul", "rancid", "mold", "maggots"}},
      {"fear", {"fear", "afraid", "scared", "frightened", "terrified", "terror", "horror", "horrified", "panic",
                "panicked", "dread", "trembled", "trembling", "shaking", "scream", "screamed", "danger", "threat",
                "fled", "nightmare", "creaked"}},
      {"joy", {"joy", "joyful", "happy", "happiness", "delight", "delighted", "glad", "cheerful", "laughed",
               "laughing", "laughter", "smiled", "smiling", "smile", "grin", "grinned", "celebrate", "celebrated",
               "wonderful", "beaming", "elated", "thrilled", "danced", "bliss", "hooray"}},
      {"sadness", {"sad", "sadness", "sorrow", "grief", "grieving", "wept", "weeping", "cried", "crying", "tears",
                   "tearful", "mourning", "mourned", "heartbroken", "miserable", "gloomy", "lonely", "loss",
                   "unhappy", "depressed", "sobbed", "sobbing", "funeral", "ache"}},
      {"surprise", {"surprise", "surprised", "surprising", "astonished", "astonishing", "amazed", "amazing",
                    "shocked", "stunned", "unexpected", "unexpectedly", "suddenly", "gasped", "gasp", "wow",
                    "whoa", "startled", "speechless", "disbelief", "blinked"}},
      {"love", {"love", "loved", "loving", "lover", "adore", "adored", "darling", "sweetheart", "beloved", "tender",
                "tenderly", "affection", "embrace", "embraced", "kissed", "kiss", "cherish", "cherished", "devoted",
                "warmth", "hug", "hugged"}},
      {"pride", {"pride", "proud", "proudly", "accomplished", "achievement", "achieved", "triumph", "triumphant",
                 "honored", "honoured", "award", "medal", "victory", "earned", "succeeded", "success", "confident",
                 "chest", "applause", "trophy"}},
      {"gratitude", {"grateful", "gratitude", "thankful", "thank", "thanks", "thanked", "appreciate", "appreciated",
                     "appreciation", "blessed", "indebted", "kindness", "generous", "generosity", "owe", "gift"}},
      {"hope", {"hope", "hoped", "hopeful", "hoping", "optimistic", "optimism", "someday",
                "wished", "dream", "dreamed", "promise", "brighter"}},
      {"serenity", {"serene", "serenity", "calm", "calmly", "peaceful", "peace", "tranquil", "quiet", "quietly",
                    "stillness", "relaxed", "gentle", "gently", "breeze", "breathed", "ease",
                    }},
      {"amusement", {"amused", "amusement", "amusing", "funny", "hilarious", "giggled", "giggling", "chuckled",
                     "chuckle", "joke", "joked", "jokes", "laughed", "snickered", "silly", "grinned", "prank",
                     "comedy", "witty", "ridiculous"}},
      {"awe", {"awe", "awed", "awestruck", "majestic", "vast", "vastness", "magnificent", "breathtaking",
               "wonder", "wondrous", "sublime", "immense", "towering", "infinite", "stars", "cathedral",
               "overwhelming", "grandeur", "marveled", "marvelled"}},
      {"nostalgia", {"nostalgia", "nostalgic", "remember", "remembered", "memories", "memory", "childhood",
                     "photograph", "photo", "grandmother",
                     "summers", "reminded", "longing", "past"}},
      {"guilt", {"guilt", "guilty", "sorry", "apologize", "apologise", "apologized", "regret", "regretted",
                 "fault", "blame", "blamed", "should've", "shouldn't", "confess", "confessed", "wrong", "lied",
                 "forgive", "forgiveness", "remorse"}},
      {"shame", {"shame", "ashamed", "shameful", "humiliated", "humiliation", "embarrassed", "embarrassing",
                 "embarrassment", "blushed", "flushed", "mortified", "disgrace", "disgraced", "hid",
                 "cringe", "exposed"}},
      {"envy", {"envy", "envious", "jealous", "jealousy", "covet", "coveted", "resent", "resented",
                "unfair", "lucky", "deserve", "deserved", "richer", "bitter", "bitterly",
                }},
      {"loneliness", {"lonely", "loneliness", "alone", "isolated", "isolation", "empty", "emptiness", "nobody",
                      "abandoned", "solitary", "silence", "silent", "missing", "missed",
                      "forgotten", "unseen", "apart", "distant"}},
      {"anxiety", {"anxious", "anxiety", "worried", "worry", "worrying", "nervous", "nervously", "uneasy",
                   "restless", "tense", "tension", "racing", "sweating", "overthinking", "deadline",
                   "jittery", "fidgeted", "dread"}},
      {"contempt", {"contempt", "contemptuous", "scorn", "scornful", "disdain", "disdainful", "sneered",
                    "sneer", "smirked", "mocked", "mocking", "pathetic", "beneath", "inferior", "worthless",
                    "ridiculed", "scoffed", "condescending"}},
  };
  return *lists;
}

}  // namespace

const std::vector<std::string>& LexiconWords(const std::string& emotion) {
  static const std::vector<std::string> kEmpty;
  const auto& lists = Lists();
  auto found = lists.find(emotion);
  return found == lists.end() ? kEmpty : found->second;
}

std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> words;
  std::string current;
  for (char c : text) {
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '\'';
    if (letter) {
      current.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
    } else if (!current.empty()) {
      words.push_back(current);
      current.clear();
    }
  }
  if (!current.empty()) words.push_back(current);
  return words;
}

JudgeScores LexiconJudge(const std::string& text, const std::vector<std::string>& emotions) {
  JudgeScores out;
  const std::vector<std::string> words = Words(text);
  out.scores.assign(emotions.size(), 0.0);
  if (words.empty()) return out;
  double best = 0.0;
  for (size_t e = 0; e < emotions.size(); ++e) {
    const std::vector<std::string>& list = LexiconWords(emotions[e]);
    const std::set<std::string> lookup(list.begin(), list.end());
    size_t hits = 0;
    for (const std::string& word : words) hits += lookup.count(word);
    out.scores[e] = static_cast<double>(hits) / static_cast<double>(words.size());
    if (out.scores[e] > best) {
      best = out.scores[e];
      out.judged = static_cast<int>(e);
    }
  }
  return out;
}

}  // namespace emoscope
