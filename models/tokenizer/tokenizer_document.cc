#include "models/tokenizer/tokenizer_document.h"

#include <optional>

namespace emoscope {
namespace {

using Json = nlohmann::json;

// A SAX handler that forwards every event to nlohmann's own tree builder, except those inside
// model.vocab and model.merges, which it collects into ModelTables.
class DocumentBuilder {
 public:
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  DocumentBuilder(Json* json, ModelTables* tables) : dom_(*json), tables_(tables) {}

  bool null() {
    return Scalar([&] { return dom_.null(); }, /*integer=*/std::nullopt);
  }
  bool boolean(bool value) {
    return Scalar([&] { return dom_.boolean(value); }, std::nullopt);
  }
  bool number_integer(number_integer_t value) {
    return Scalar([&] { return dom_.number_integer(value); }, static_cast<int64_t>(value));
  }
  bool number_unsigned(number_unsigned_t value) {
    // Beyond int64: out of range for an id all the same.
    const int64_t clamped =
        value > static_cast<number_unsigned_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(value);
    return Scalar([&] { return dom_.number_unsigned(value); }, clamped);
  }
  bool number_float(number_float_t value, const string_t& text) {
    return Scalar([&] { return dom_.number_float(value, text); }, std::nullopt);
  }
  bool binary(binary_t& value) {
    return Scalar([&] { return dom_.binary(value); }, std::nullopt);
  }
  bool string(string_t& value) {
    if (mode_ == Mode::kMerges && nested_ == 0) {
      tables_->merges.push_back({MergeEntry::Kind::kLine, std::move(value), {}});
      return true;
    }
    if (mode_ == Mode::kMerges && nested_ == 1 && in_pair_) {
      MergeEntry& entry = tables_->merges.back();
      if (pair_strings_ == 0) entry.left = std::move(value);
      if (pair_strings_ == 1) entry.right = std::move(value);
      ++pair_strings_;
      return true;
    }
    return Scalar([&] { return dom_.string(value); }, std::nullopt);
  }

  bool start_object(std::size_t size) {
    if (mode_ != Mode::kNone) return Nest();
    ++depth_;
    if (depth_ == 3 && pending_ == Pending::kVocab) {
      mode_ = Mode::kVocab;
      tables_->has_vocab = true;
      pending_ = Pending::kNone;
      return dom_.start_object(0) && dom_.end_object();  // the placeholder
    }
    pending_ = Pending::kNone;
    return dom_.start_object(size);
  }
  bool key(string_t& value) {
    if (mode_ == Mode::kVocab && nested_ == 0) {
      vocab_key_ = std::move(value);
      return true;
    }
    if (mode_ != Mode::kNone) return true;
    if (depth_ == 1) in_model_ = value == "model";
    pending_ = Pending::kNone;
    if (depth_ == 2 && in_model_ && value == "vocab") pending_ = Pending::kVocab;
    if (depth_ == 2 && in_model_ && value == "merges") pending_ = Pending::kMerges;
    return dom_.key(value);
  }
  bool end_object() {
    if (mode_ != Mode::kNone) {
      if (nested_ == 0) {  // the end of model.vocab
        mode_ = Mode::kNone;
        --depth_;
        return true;
      }
      return Unnest();
    }
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t size) {
    if (mode_ == Mode::kMerges && nested_ == 0) {
      tables_->merges.push_back({MergeEntry::Kind::kPair, {}, {}});
      in_pair_ = true;
      pair_strings_ = 0;
      nested_ = 1;
      return true;
    }
    if (mode_ != Mode::kNone) return Nest();
    if (depth_ == 2 && pending_ == Pending::kMerges) {
      mode_ = Mode::kMerges;
      tables_->has_merges = true;
      pending_ = Pending::kNone;
      ++depth_;
      return dom_.start_array(0) && dom_.end_array();  // the placeholder
    }
    pending_ = Pending::kNone;
    ++depth_;
    return dom_.start_array(size);
  }
  bool end_array() {
    if (mode_ == Mode::kMerges && nested_ == 0) {  // the end of model.merges
      mode_ = Mode::kNone;
      --depth_;
      return true;
    }
    if (mode_ == Mode::kMerges && nested_ == 1 && in_pair_) {
      if (pair_strings_ != 2) tables_->merges.back().kind = MergeEntry::Kind::kMalformed;
      in_pair_ = false;
      nested_ = 0;
      return true;
    }
    if (mode_ != Mode::kNone) return Unnest();
    --depth_;
    return dom_.end_array();
  }
  template <typename Exception>
  bool parse_error(std::size_t position, const std::string& last_token, const Exception& error) {
    return dom_.parse_error(position, last_token, error);
  }

 private:
  enum class Mode { kNone, kVocab, kMerges };
  enum class Pending { kNone, kVocab, kMerges };

  // A value that is not an object or array start.
  template <typename Forward>
  bool Scalar(Forward forward, std::optional<int64_t> integer) {
    if (mode_ == Mode::kNone) {
      pending_ = Pending::kNone;
      return forward();
    }
    MarkIrregular(integer);
    return true;
  }
  void MarkIrregular(std::optional<int64_t> integer) {
    if (mode_ == Mode::kVocab) {
      if (nested_ == 0)
        tables_->vocab.push_back({std::move(vocab_key_), integer.value_or(0), integer.has_value()});
      return;
    }
    if (nested_ == 0) {
      tables_->merges.push_back({MergeEntry::Kind::kMalformed, {}, {}});
    } else {
      tables_->merges.back().kind = MergeEntry::Kind::kMalformed;
    }
  }
  // An object or array inside a table: irregular, skipped to its end.
  bool Nest() {
    if (nested_ == 0) MarkIrregular(std::nullopt);
    if (mode_ == Mode::kMerges) tables_->merges.back().kind = MergeEntry::Kind::kMalformed;
    ++nested_;
    return true;
  }
  bool Unnest() {
    --nested_;
    if (mode_ == Mode::kMerges && nested_ == 0) in_pair_ = false;
    return true;
  }

  nlohmann::detail::json_sax_dom_parser<Json> dom_;
  ModelTables* tables_;
  int depth_ = 0;  // open objects and arrays of the tree (a table counts as one)
  bool in_model_ = false;
  Pending pending_ = Pending::kNone;
  Mode mode_ = Mode::kNone;
  int nested_ = 0;  // open objects and arrays inside a table entry
  bool in_pair_ = false;
  int pair_strings_ = 0;
  std::string vocab_key_;
};

}  // namespace

TokenizerDocument ParseTokenizerDocument(const std::string& text) {
  TokenizerDocument document;
  DocumentBuilder builder(&document.json, &document.tables);
  Json::sax_parse(text, &builder);
  return document;
}

std::vector<VocabEntry> VocabEntriesOf(const Json& vocab) {
  std::vector<VocabEntry> entries;
  entries.reserve(vocab.size());
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    const bool is_integer = it.value().is_number_integer();
    entries.push_back({it.key(), is_integer ? it.value().get<int64_t>() : 0, is_integer});
  }
  return entries;
}

std::vector<MergeEntry> MergeEntriesOf(const Json& merges) {
  std::vector<MergeEntry> entries;
  entries.reserve(merges.size());
  for (const Json& merge : merges) {
    if (merge.is_string()) {
      entries.push_back({MergeEntry::Kind::kLine, merge.get<std::string>(), {}});
    } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
      entries.push_back({MergeEntry::Kind::kPair, merge[0].get<std::string>(), merge[1].get<std::string>()});
    } else {
      entries.push_back({MergeEntry::Kind::kMalformed, {}, {}});
    }
  }
  return entries;
}

}  // namespace emoscope
