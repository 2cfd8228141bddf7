#include "stimuli/corpus.h"

#include <cctype>
#include <cmath>
#include <string_view>
#include <utility>

#include "common/error.h"
#include "common/random.h"
#include "stimuli/corpus_templates.h"

namespace emoscope {
namespace {

constexpr const char* kNeutral = "neutral";
// Distinguish the label shuffle's and the dreams' streams from the documents' streams.
constexpr uint64_t kLabelStreamSalt = 0x6C6162656C730001ULL;
constexpr uint64_t kDreamStreamSalt = 0x647265616D730001ULL;

// How a dream opens and how the character wakes from it ({he} etc. are slots).
const std::vector<const char*>& DreamFrames() {
  static const std::vector<const char*> kFrames = {
      "{he} dreamt that {situation}", "that night {he} dreamt that {situation}",
      "in {his} dream, {situation}", "{he} had a dream in which {situation}"};
  return kFrames;
}
// The sentence every context-form document ends with, whatever its emotion: one sentence, so
// the readout tokens are exactly the same words in every document (a few different sentences
// measured much worse: their own variance swamps what the context adds).
constexpr const char* kSharedAfterwards =
    "after that, the day went on, and the clock on the wall kept ticking in the quiet room.";

// How a dream told after the document's own situation opens.
const std::vector<const char*>& LaterDreamFrames() {
  static const std::vector<const char*> kFrames = {
      "that night {he} dreamt that {situation}", "later {he} dreamt that {situation}",
      "{he} fell asleep and dreamt that {situation}", "that night, in {his} dream, {situation}"};
  return kFrames;
}

const std::vector<const char*>& Wakings() {
  static const std::vector<const char*> kWakings = {
      "then {he} woke up.", "{he} woke with a start.", "it had only been a dream.",
      "then the alarm rang and {he} woke up.", "{he} opened {his} eyes; it was morning."};
  return kWakings;
}

// Shapes of a document, in percent of documents: one sentence, two sentences, a story.
constexpr uint64_t kOneSentencePercent = 15;
constexpr uint64_t kTwoSentencePercent = 12;

enum class Person { kFirst, kFemale, kMale };

const char* Pick(SplitMix64& rng, const std::vector<const char*>& pieces) {
  return pieces[static_cast<size_t>(rng.Below(pieces.size()))];
}

const EmotionTemplates& TemplatesFor(const std::string& emotion) {
  for (const auto& templates : CorpusEmotionTemplates()) {
    if (emotion == templates.emotion) return templates;
  }
  std::string known;
  for (const auto& templates : CorpusEmotionTemplates())
    known += (known.empty() ? "" : ", ") + std::string(templates.emotion);
  Fail("corpus: no templates for emotion \"{}\" (covered: {})", emotion, known);
}

void CapitalizeFirstLetter(std::string& sentence) {
  for (char& c : sentence) {
    if (std::isalpha(static_cast<unsigned char>(c)) != 0) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return;
    }
  }
}

// Fills the slots of template pieces for one document: one main character (first person or a
// named third person), one friend, one relative, item, place and time, so the story hangs together.
class DocumentWriter {
 public:
  DocumentWriter(const EmotionTemplates& templates, uint64_t seed, CorpusForm form,
                 const EmotionTemplates* dream, bool dream_after)
      : templates_(templates),
        shared_(CorpusSharedTemplates()),
        rng_(seed),
        form_(form),
        dream_(dream),
        dream_after_(dream_after) {
    const uint64_t person = rng_.Below(3);
    person_ = person == 0 ? Person::kFirst : (person == 1 ? Person::kFemale : Person::kMale);
    name_ = person_ == Person::kMale ? Pick(rng_, shared_.male_names) : Pick(rng_, shared_.female_names);
    const auto& friend_names = rng_.Below(2) == 0 ? shared_.female_names : shared_.male_names;
    do {
      friend_ = Pick(rng_, friend_names);
    } while (friend_ == name_);
    relative_ = Pick(rng_, shared_.relatives);
    item_ = Pick(rng_, shared_.items);
    place_ = Pick(rng_, shared_.places);
    time_ = Pick(rng_, shared_.times);
  }

  std::string Write() {
    // The dream's draws come from a stream of their own, so a document without a dream is the
    // same text it was before dreams existed.
    const bool before = dream_ != nullptr && !dream_after_;
    const bool after = dream_ != nullptr && dream_after_;
    if (before) WriteDream(DreamFrames());
    if (form_ == CorpusForm::kSituation || form_ == CorpusForm::kContext) {
      Add(Pick(rng_, templates_.situations));
      if (after) WriteDream(LaterDreamFrames());
      if (form_ == CorpusForm::kContext) {
        context_ = Finish();
        Add(kSharedAfterwards);
      }
      return Finish();
    }
    if (form_ == CorpusForm::kPrompt) {
      Add(Pick(rng_, templates_.situations));
      std::string pronoun = Character("his");
      CapitalizeFirstLetter(pronoun);
      return Finish() + " " + pronoun;
    }
    const uint64_t shape = rng_.Below(100);
    if (shape < kOneSentencePercent) {
      Add(rng_.Percent(40) ? "{time}, " + std::string(Pick(rng_, templates_.situations))
                           : Pick(rng_, templates_.situations));
      if (after) WriteDream(LaterDreamFrames());
      return Finish();
    }
    if (shape < kOneSentencePercent + kTwoSentencePercent) {
      Add(Pick(rng_, templates_.situations));
      if (after) WriteDream(LaterDreamFrames());
      Add(BodySentence());
      return Finish();
    }
    const bool opener = rng_.Percent(70);
    if (opener) Add(Pick(rng_, shared_.openers));
    Add(Pick(rng_, templates_.situations), /*may_connect=*/opener);
    // A later dream comes between what happened and how the character feels about it.
    if (after) WriteDream(LaterDreamFrames());
    // Two or three cues in random order, then usually what the character does next.
    std::vector<int> cues = {0, 1, 2, static_cast<int>(rng_.Below(3))};
    for (size_t k = cues.size() - 1; k > 0; --k)
      std::swap(cues[k], cues[static_cast<size_t>(rng_.Below(k + 1))]);
    const size_t cue_count = 2 + static_cast<size_t>(rng_.Below(2));
    for (size_t k = 0; k < cue_count; ++k) {
      if (cues[k] == 0) Add(BodySentence(), /*may_connect=*/true);
      if (cues[k] == 1) Add(ThoughtSentence(), /*may_connect=*/true);
      if (cues[k] == 2) Add(SpeechSentence(), /*may_connect=*/false);
    }
    if (rng_.Percent(65)) Add(Pick(rng_, templates_.endings), /*may_connect=*/true);
    return Finish();
  }

  // kContext: the part written before the shared sentence (after Write()).
  const std::string& context() const { return context_; }

 private:
  // "Maria dreamt that <a situation of the dream's emotion>. Then she woke up."
  void WriteDream(const std::vector<const char*>& frames) {
    SplitMix64 dream_rng(Mix64(rng_.Next() ^ kDreamStreamSalt));
    std::string situation = Pick(dream_rng, dream_->situations);
    std::string frame = Pick(dream_rng, frames);
    frame.replace(frame.find("{situation}"), 11, situation);
    Add(frame);
    Add(Pick(dream_rng, Wakings()));
  }

  std::string BodySentence() {
    std::string sentence = Pick(rng_, templates_.body);
    if (rng_.Percent(50)) {
      const char* second = Pick(rng_, templates_.body);
      if (sentence != second) sentence += std::string(" and ") + second;
    }
    if (rng_.Percent(35)) sentence += std::string(" ") + Pick(rng_, shared_.body_tails);
    return sentence + ".";
  }

  std::string ThoughtSentence() {
    std::string frame = Pick(rng_, shared_.thought_frames);
    const size_t slot = frame.find("{thought}");
    frame.replace(slot, 9, Pick(rng_, templates_.thoughts));
    return frame;
  }

  std::string SpeechSentence() {
    std::string line = Pick(rng_, templates_.speech);
    const std::string verb = Pick(rng_, templates_.speech_verbs);
    if (rng_.Percent(60)) {
      // "Go away," she said. A closing period becomes a comma; ! and ? stay.
      if (line.back() == '.') line.back() = ',';
      std::string sentence = "\"" + line + "\" {he} " + verb;
      if (rng_.Percent(30)) sentence += std::string(", ") + Pick(rng_, shared_.speech_tails);
      return sentence + ".";
    }
    return "{he} " + verb + ", \"" + line + "\"";
  }

  void Add(const std::string& piece, bool may_connect = false) {
    std::string sentence = Expand(piece);
    if (may_connect && rng_.Percent(25))
      sentence = std::string(Pick(rng_, shared_.connectives)) + " " + sentence;
    CapitalizeFirstLetter(sentence);
    if (!text_.empty()) text_ += ' ';
    text_ += sentence;
  }

  std::string Finish() {
    std::string text = std::move(text_);
    text_.clear();
    return text;
  }

  // The first mention of the main character is the name ("Maria", "Maria's"), later ones the
  // pronoun; in the first person every mention is the pronoun.
  std::string Character(std::string_view slot) {
    const bool first_mention = !named_ && slot != "himself";
    if (first_mention) named_ = true;
    if (person_ == Person::kFirst) {
      if (slot == "he") return "I";
      if (slot == "him") return "me";
      if (slot == "his") return "my";
      return "myself";
    }
    if (first_mention) return slot == "his" ? name_ + "'s" : name_;
    const bool female = person_ == Person::kFemale;
    if (slot == "he") return female ? "she" : "he";
    if (slot == "him") return female ? "her" : "him";
    if (slot == "his") return female ? "her" : "his";
    return female ? "herself" : "himself";
  }

  std::string Expand(const std::string& piece) {
    std::string out;
    size_t pos = 0;
    while (pos < piece.size()) {
      const size_t open = piece.find('{', pos);
      if (open == std::string::npos) {
        out.append(piece, pos, std::string::npos);
        break;
      }
      const size_t close = piece.find('}', open);
      out.append(piece, pos, open - pos);
      const std::string_view slot(piece.data() + open + 1, close - open - 1);
      if (slot == "he" || slot == "him" || slot == "his" || slot == "himself") {
        out += Character(slot);
      } else if (slot == "friend") {
        out += friend_;
      } else if (slot == "relative") {
        out += relative_;
      } else if (slot == "item") {
        out += item_;
      } else if (slot == "place") {
        out += place_;
      } else if (slot == "time") {
        out += time_;
      } else {
        Fail("corpus template: unknown slot {{{}}} in \"{}\"", slot, piece);
      }
      pos = close + 1;
    }
    return out;
  }

  const EmotionTemplates& templates_;
  const SharedTemplates& shared_;
  SplitMix64 rng_;
  CorpusForm form_;
  const EmotionTemplates* dream_;
  bool dream_after_;
  Person person_ = Person::kFirst;
  std::string name_, friend_, relative_, item_, place_, time_;
  bool named_ = false;
  std::string text_;
  std::string context_;
};

}  // namespace

std::vector<std::string> CorpusEmotions() {
  std::vector<std::string> emotions;
  for (const auto& templates : CorpusEmotionTemplates()) {
    if (std::string_view(templates.emotion) != kNeutral) emotions.emplace_back(templates.emotion);
  }
  return emotions;
}

CorpusDocument WriteCorpusDocument(const std::string& emotion, uint64_t seed, CorpusForm form,
                                   const char* dream, bool dream_after) {
  const bool dreams = dream != nullptr && *dream != '\0';
  if (dreams && std::string_view(dream) == kNeutral)
    Fail("corpus: a dream must be of an emotion, not neutral");
  if (dreams && emotion == kNeutral) Fail("corpus: a neutral document has no dream");
  DocumentWriter writer(TemplatesFor(emotion), seed, form, dreams ? &TemplatesFor(dream) : nullptr,
                        dream_after);
  CorpusDocument document;
  document.emotion = emotion;
  document.text = writer.Write();
  document.dream = dreams ? dream : "";
  document.dream_after = dreams && dream_after;
  document.context = writer.context();
  return document;
}

std::string GenerateDocument(const std::string& emotion, uint64_t seed, CorpusForm form, const char* dream) {
  const CorpusDocument document = WriteCorpusDocument(emotion, seed, form, dream);
  return document.context.empty() ? document.text : document.context + " " + document.text;
}

std::vector<CorpusDocument> GenerateCorpus(const CorpusOptions& options) {
  if (options.num_documents < 0) Fail("corpus: num_documents must be >= 0, got {}", options.num_documents);
  if (!(options.neutral_fraction >= 0.0 && options.neutral_fraction <= 1.0)) {
    Fail("corpus: neutral_fraction must be in [0, 1], got {}", options.neutral_fraction);
  }
  if (!(options.dream_fraction >= 0.0 && options.dream_fraction <= 1.0)) {
    Fail("corpus: dream_fraction must be in [0, 1], got {}", options.dream_fraction);
  }
  if (!(options.dream_after_share >= 0.0 && options.dream_after_share <= 1.0)) {
    Fail("corpus: dream_after_share must be in [0, 1], got {}", options.dream_after_share);
  }
  for (const auto& emotion : options.emotions.emotions) TemplatesFor(emotion);
  const auto total = static_cast<size_t>(options.num_documents);
  const auto neutral = static_cast<size_t>(
      std::llround(options.neutral_fraction * static_cast<double>(options.num_documents)));
  const size_t emotional = total - neutral;
  const auto& emotions = options.emotions.emotions;
  if (emotional > 0 && emotions.empty()) {
    Fail("corpus: emotion set \"{}\" is empty but {} emotional documents were asked for",
         options.emotions.name, emotional);
  }

  const bool dreams = options.dream_fraction > 0.0 && emotional > 0;
  if (dreams && emotions.size() < 2) {
    Fail("corpus: dreams need two or more emotions (a dream is of another emotion); set \"{}\" has {}",
         options.emotions.name, emotions.size());
  }

  // (label, dream emotion or "", dream after); emotional document i is of emotion i % K and is
  // the (i / K)-th of that emotion, so the first llround(fraction * count) of each emotion dream,
  // and the first llround(after_share * dreaming) of those dream after their own situation.
  struct Label {
    std::string emotion, dream;
    bool after = false;
  };
  std::vector<Label> labels;
  labels.reserve(total);
  SplitMix64 dream_rng(Mix64(options.seed ^ kDreamStreamSalt));
  for (size_t index = 0; index < emotional; ++index) {
    const size_t emotion = index % emotions.size();
    std::string dream;
    bool after = false;
    if (dreams) {
      const size_t count = (emotional - emotion + emotions.size() - 1) / emotions.size();
      const auto dreaming =
          static_cast<size_t>(std::llround(options.dream_fraction * static_cast<double>(count)));
      if (index / emotions.size() < dreaming) {
        const size_t other =
            (emotion + 1 + static_cast<size_t>(dream_rng.Below(emotions.size() - 1))) % emotions.size();
        dream = emotions[other];
        const auto later =
            static_cast<size_t>(std::llround(options.dream_after_share * static_cast<double>(dreaming)));
        after = index / emotions.size() < later;
      }
    }
    labels.push_back({emotions[emotion], std::move(dream), after});
  }
  labels.resize(total, {kNeutral, "", false});
  SplitMix64 label_rng(Mix64(options.seed ^ kLabelStreamSalt));
  for (size_t k = total; k > 1; --k)
    std::swap(labels[k - 1], labels[static_cast<size_t>(label_rng.Below(k))]);

  std::vector<CorpusDocument> documents;
  documents.reserve(total);
  for (size_t index = 0; index < total; ++index) {
    const uint64_t document_seed = Mix64(options.seed ^ Mix64(static_cast<uint64_t>(index) + 1));
    const Label& label = labels[index];
    documents.push_back(
        WriteCorpusDocument(label.emotion, document_seed, options.form, label.dream.c_str(), label.after));
  }
  return documents;
}

}  // namespace emoscope
