#include "models/tokenizer/model.h"

#include "models/tokenizer/bpe_model.h"
#include "models/tokenizer/wordpiece_model.h"

namespace emoscope {

std::unique_ptr<Model> ParseModel(const nlohmann::json& model, const JsonReader& reader,
                                  ModelTables* tables) {
  if (!model.is_object()) reader.Fail("model", "expected an object");
  // Files written by older versions of the library may leave out the type of a BPE model.
  const std::string type = reader.OptionalString(model, "model", "type", "BPE");
  if (type == "BPE") return std::make_unique<BpeModel>(BpeModel::Parse(model, reader, tables));
  if (type == "WordPiece")
    return std::make_unique<WordPieceModel>(WordPieceModel::Parse(model, reader, tables));
  reader.Fail("model.type", "unsupported model type '" + type + "' (supported: BPE, WordPiece)");
}

}  // namespace emoscope
