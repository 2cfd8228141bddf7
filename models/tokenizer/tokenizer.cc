#include "models/tokenizer/tokenizer.h"

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/file_util.h"
#include "models/tokenizer/added_vocabulary.h"
#include "models/tokenizer/decoders.h"
#include "models/tokenizer/json_reader.h"
#include "models/tokenizer/model.h"
#include "models/tokenizer/normalizers.h"
#include "models/tokenizer/post_processors.h"
#include "models/tokenizer/pre_tokenizers.h"
#include "models/tokenizer/tokenizer_document.h"

namespace emoscope {

struct Tokenizer::Impl {
  std::string path;
  std::unique_ptr<Model> model;
  AddedVocabulary added;
  std::unique_ptr<Normalizer> normalizer;       // may be null
  std::unique_ptr<PreTokenizer> pre_tokenizer;  // may be null
  std::unique_ptr<Decoder> decoder;             // may be null: tokens are joined with spaces
  PostProcessor post_processor;
  int32_t vocab_size = 0;

  // Encodes text that contains no added token of the raw set.
  void EncodeSegment(std::string_view raw, bool at_start, std::vector<int32_t>* ids) const {
    const std::string normalized = normalizer ? normalizer->Normalize(raw) : std::string(raw);
    for (const AddedVocabulary::Segment& segment : added.Split(normalized, /*normalized_set=*/true)) {
      if (segment.token_id >= 0) {
        ids->push_back(segment.token_id);
        continue;
      }
      std::vector<Piece> pieces;
      pieces.push_back(
          {normalized.substr(segment.begin, segment.end - segment.begin), at_start && segment.begin == 0});
      if (pre_tokenizer) pre_tokenizer->PreTokenize(&pieces);
      for (const Piece& piece : pieces) model->Tokenize(piece.text, ids);
    }
  }
};

namespace {

std::shared_ptr<const Tokenizer::Impl> Load(const std::string& path) {
  const std::string text = ReadFile(path);
  // One pass: model.vocab and model.merges go straight into flat lists (tokenizer_document.h).
  TokenizerDocument document;
  try {
    document = ParseTokenizerDocument(text);
  } catch (const nlohmann::json::exception& e) {
    Fail("{}: not valid JSON: {}", path, e.what());
  }
  const nlohmann::json& json = document.json;
  const JsonReader reader(path);
  if (!json.is_object()) reader.Fail("", "expected a JSON object");
  auto impl = std::make_shared<Tokenizer::Impl>();
  impl->path = path;

  impl->model = ParseModel(reader.Member(json, "", "model"), reader, &document.tables);

  if (const nlohmann::json* normalizer = reader.OptionalMember(json, "", "normalizer")) {
    impl->normalizer = ParseNormalizer(*normalizer, "normalizer", reader);
  }
  if (const nlohmann::json* pre_tokenizer = reader.OptionalMember(json, "", "pre_tokenizer")) {
    impl->pre_tokenizer = ParsePreTokenizer(*pre_tokenizer, "pre_tokenizer", reader);
  }
  if (const nlohmann::json* decoder = reader.OptionalMember(json, "", "decoder")) {
    impl->decoder = ParseDecoder(*decoder, "decoder", reader);
  }
  if (const nlohmann::json* post_processor = reader.OptionalMember(json, "", "post_processor")) {
    impl->post_processor = ParsePostProcessor(*post_processor, "post_processor", reader);
  }
  std::vector<AddedToken> added;
  if (const nlohmann::json* list = reader.OptionalMember(json, "", "added_tokens")) {
    added = ParseAddedTokens(*list, reader);
  }
  impl->vocab_size = impl->model->size();
  for (const AddedToken& token : added) impl->vocab_size = std::max(impl->vocab_size, token.id + 1);
  impl->added = AddedVocabulary(std::move(added), impl->normalizer.get());
  return impl;
}

}  // namespace

Tokenizer Tokenizer::FromFile(const std::string& tokenizer_json_path) {
  return Tokenizer(Load(tokenizer_json_path));
}

Tokenizer Tokenizer::FromFolder(const std::string& dir) {
  const std::string path = JoinPath(dir, "tokenizer.json");
  if (!FileExists(path)) Fail("{}: no tokenizer.json in this folder", dir);
  return FromFile(path);
}

std::vector<int32_t> Tokenizer::Encode(const std::string& text, bool add_special_tokens) const {
  std::vector<int32_t> ids;
  if (add_special_tokens) ids = impl_->post_processor.prefix;
  for (const AddedVocabulary::Segment& segment : impl_->added.Split(text, /*normalized_set=*/false)) {
    if (segment.token_id >= 0) {
      ids.push_back(segment.token_id);
    } else {
      impl_->EncodeSegment(std::string_view(text).substr(segment.begin, segment.end - segment.begin),
                           segment.begin == 0, &ids);
    }
  }
  if (add_special_tokens)
    ids.insert(ids.end(), impl_->post_processor.suffix.begin(), impl_->post_processor.suffix.end());
  return ids;
}

std::string Tokenizer::Decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    const int32_t id = ids[i];
    if (id < 0 || id >= impl_->vocab_size) {
      Fail("{}: cannot decode id {} (position {}): the vocabulary has ids 0 to {}", impl_->path, id, i,
           impl_->vocab_size - 1);
    }
    if (const AddedToken* added = impl_->added.FindById(id)) {
      if (!(skip_special_tokens && added->special)) tokens.push_back(added->content);
      continue;
    }
    if (const std::string* token = impl_->model->IdToToken(id)) tokens.push_back(*token);
  }
  if (!impl_->decoder) {
    std::string joined;
    for (size_t i = 0; i < tokens.size(); ++i) joined += (i == 0 ? "" : " ") + tokens[i];
    return joined;
  }
  impl_->decoder->DecodeChain(&tokens);
  std::string text;
  for (const std::string& token : tokens) text += token;
  return text;
}

int32_t Tokenizer::vocab_size() const { return impl_->vocab_size; }

std::optional<int32_t> Tokenizer::TokenToId(const std::string& token) const {
  if (const auto id = impl_->added.FindByContent(token)) return id;
  return impl_->model->TokenToId(token);
}

std::string Tokenizer::IdToToken(int32_t id) const {
  if (const AddedToken* added = impl_->added.FindById(id)) return added->content;
  if (const std::string* token = impl_->model->IdToToken(id)) return *token;
  Fail("{}: no token has id {} (the vocabulary has ids 0 to {})", impl_->path, id, impl_->vocab_size - 1);
}

bool Tokenizer::IsSpecial(int32_t id) const {
  const AddedToken* added = impl_->added.FindById(id);
  return added != nullptr && added->special;
}

const std::string& Tokenizer::path() const { return impl_->path; }

}  // namespace emoscope
