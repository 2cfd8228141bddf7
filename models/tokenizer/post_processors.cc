#include "models/tokenizer/post_processors.h"

namespace emoscope {
namespace {

// [token, id] as RobertaProcessing and BertProcessing write cls and sep.
int32_t TokenPairId(const nlohmann::json& json, const std::string& field, const std::string& key,
                    const JsonReader& reader) {
  const nlohmann::json& pair = reader.Member(json, field, key);
  const std::string pair_field = JsonReader::Join(field, key);
  if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string()) {
    reader.Fail(pair_field, "expected [\"token\", id]");
  }
  return reader.Id(pair[1], JsonReader::Index(pair_field, 1));
}

void ParseTemplate(const nlohmann::json& json, const std::string& field, const JsonReader& reader,
                   PostProcessor* out) {
  const nlohmann::json& single = reader.Array(json, field, "single");
  const std::string single_field = JsonReader::Join(field, "single");
  const nlohmann::json& special_tokens = reader.Member(json, field, "special_tokens");
  const std::string special_field = JsonReader::Join(field, "special_tokens");
  bool seen_sequence = false;
  for (size_t i = 0; i < single.size(); ++i) {
    const std::string piece_field = JsonReader::Index(single_field, i);
    const nlohmann::json& piece = single[i];
    if (const nlohmann::json* sequence = reader.OptionalMember(piece, piece_field, "Sequence")) {
      const std::string which = reader.String(*sequence, JsonReader::Join(piece_field, "Sequence"), "id");
      if (which != "A" || seen_sequence) {
        reader.Fail(JsonReader::Join(piece_field, "Sequence"), "a single template takes sequence A exactly once");
      }
      seen_sequence = true;
      continue;
    }
    const nlohmann::json* special = reader.OptionalMember(piece, piece_field, "SpecialToken");
    if (special == nullptr) reader.Fail(piece_field, "expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
    const std::string name = reader.String(*special, JsonReader::Join(piece_field, "SpecialToken"), "id");
    const nlohmann::json& entry = reader.Member(special_tokens, special_field, name);
    const std::string entry_field = JsonReader::Join(special_field, name);
    const nlohmann::json& ids = reader.Array(entry, entry_field, "ids");
    std::vector<int32_t>& target = seen_sequence ? out->suffix : out->prefix;
    for (size_t k = 0; k < ids.size(); ++k) {
      target.push_back(reader.Id(ids[k], JsonReader::Index(JsonReader::Join(entry_field, "ids"), k)));
    }
  }
  if (!seen_sequence) reader.Fail(single_field, "the template has no sequence A");
}

void Parse(const nlohmann::json& json, const std::string& field, const JsonReader& reader, PostProcessor* out) {
  const std::string type = reader.String(json, field, "type");
  if (type == "ByteLevel") return;
  if (type == "TemplateProcessing") {
    // A later processor wraps what the earlier ones produced.
    PostProcessor part;
    ParseTemplate(json, field, reader, &part);
    out->prefix.insert(out->prefix.begin(), part.prefix.begin(), part.prefix.end());
    out->suffix.insert(out->suffix.end(), part.suffix.begin(), part.suffix.end());
    return;
  }
  if (type == "RobertaProcessing" || type == "BertProcessing") {
    out->prefix.insert(out->prefix.begin(), TokenPairId(json, field, "cls", reader));
    out->suffix.push_back(TokenPairId(json, field, "sep", reader));
    return;
  }
  if (type == "Sequence") {
    const nlohmann::json& list = reader.Array(json, field, "processors");
    for (size_t i = 0; i < list.size(); ++i) {
      Parse(list[i], JsonReader::Index(JsonReader::Join(field, "processors"), i), reader, out);
    }
    return;
  }
  reader.Fail(JsonReader::Join(field, "type"), "unsupported post_processor type '" + type + "'");
}

}  // namespace

PostProcessor ParsePostProcessor(const nlohmann::json& json, const std::string& field, const JsonReader& reader) {
  PostProcessor processor;
  Parse(json, field, reader, &processor);
  return processor;
}

}  // namespace emoscope
