// `emoscope vectors export`: emotion vectors of one estimator (--estimator, default
// mean_difference) from the database as llama.cpp control vectors (GGUF) or safetensors, for use
// in other tools.
#include <fmt/format.h>

#include <cstdio>
#include <cstring>
#include <map>

#include "cli/commands.h"
#include "common/args.h"
#include "common/error.h"
#include "jobs/task_params.h"
#include "models/checkpoint/gguf.h"
#include "models/checkpoint/safetensors.h"
#include "schema/database.h"

namespace emoscope {
namespace {

struct ModelRow {
  int64_t id;
  std::string path, architecture, checksum;
  int64_t layers;
};

// The model a --model value names: a checksum prefix, the folder path, or its last component.
ModelRow FindModel(Database& db, const std::optional<std::string>& wanted) {
  Statement query(
      db,
      "SELECT id, path, coalesce(architecture, ''), checksum, coalesce(layers, 0) FROM models ORDER BY id");
  std::vector<ModelRow> matches;
  std::vector<std::string> names;
  while (query.Step()) {
    ModelRow row{query.ColumnInt(0), query.ColumnText(1), query.ColumnText(2), query.ColumnText(3),
                 query.ColumnInt(4)};
    const std::string base = row.path.substr(row.path.find_last_of('/') + 1);
    names.push_back(base);
    if (!wanted || row.checksum.rfind(*wanted, 0) == 0 || row.path == *wanted || base == *wanted)
      matches.push_back(row);
  }
  if (matches.size() == 1) return matches.front();
  const std::string known = fmt::format("{}", fmt::join(names, ", "));
  if (matches.empty())
    throw UsageError(fmt::format("emoscope vectors export: no model matches --model (models: {})", known));
  throw UsageError(fmt::format("emoscope vectors export: name one model with --model (models: {})", known));
}

std::string ArchitectureHint(const std::string& architecture) {
  return architecture == "mistral" ? "llama" : architecture;  // llama.cpp runs Mistral as llama
}

int RunVectorsExport(const std::vector<std::string>& argv) {
  ArgParser parser(
      "emoscope vectors export",
      "--db DB --emotion E --out FILE [--model M --method generation --estimator mean_difference]");
  parser.Option("db", "campaign database").Required();
  parser.Option("emotion", "the emotion whose vectors to export").Required();
  parser.Option("out", "output file (.gguf or .safetensors)").Required();
  parser.Option("model", "checksum prefix, path or folder name of the model (needed when there are several)");
  parser.Option("method", "extraction method whose vectors to export", "generation");
  parser.Option("estimator", "whose vectors: mean_difference, pca (pca_diff) or logistic", kDefaultEstimator);
  parser.Option("format", "gguf or safetensors (default: from --out's extension)");
  parser.Option("scale",
                "relative (x n_l, so a strength alpha means h += alpha n_l v), unit, or norm (x |v|)",
                "relative");
  const ParsedArgs args = parser.Parse(argv);
  const std::string out = args.Get("out");
  std::string format = args.GetOptional("format").value_or(
      out.size() > 5 && out.substr(out.size() - 5) == ".gguf" ? "gguf" : "safetensors");
  if (format != "gguf" && format != "safetensors")
    throw UsageError("emoscope vectors export: --format must be gguf or safetensors");
  const std::string scale = args.Get("scale");
  if (scale != "relative" && scale != "unit" && scale != "norm") {
    throw UsageError("emoscope vectors export: --scale must be relative, unit or norm");
  }
  Database db(args.Get("db"), OpenMode::kReadOnly);
  const ModelRow model = FindModel(db, args.GetOptional("model"));
  const std::string method = args.Get("method");
  const std::string emotion = args.Get("emotion");
  const std::string estimator = CanonicalEstimator(args.Get("estimator"));
  if (estimator.empty()) {
    throw UsageError(
        fmt::format("emoscope vectors export: --estimator '{}' is not mean_difference, pca or logistic",
                    args.Get("estimator")));
  }

  std::map<int64_t, double> neutral_norms;
  Statement norms(
      db,
      "SELECT lm.layer, lm.value FROM layer_metrics lm JOIN tasks t ON t.id = lm.task_id "
      "WHERE t.model_id = ?1 AND lm.method = ?2 AND lm.metric = 'neutral_norm' AND lm.value IS NOT NULL");
  norms.Bind(1, model.id).Bind(2, method);
  while (norms.Step()) neutral_norms[norms.ColumnInt(0)] = norms.ColumnDouble(1);

  Statement vectors(
      db,
      "SELECT ev.layer, ev.dim, ev.norm, ev.data FROM emotion_vectors ev JOIN tasks t ON t.id = ev.task_id "
      "WHERE t.model_id = ?1 AND ev.method = ?2 AND ev.emotion = ?3 AND ev.estimator = ?4 ORDER BY ev.layer");
  vectors.Bind(1, model.id).Bind(2, method).Bind(3, emotion).Bind(4, estimator);
  std::map<int64_t, std::vector<float>> by_layer;
  while (vectors.Step()) {
    const int64_t layer = vectors.ColumnInt(0);
    const auto dim = static_cast<size_t>(vectors.ColumnInt(1));
    const std::string blob = vectors.ColumnBlob(3);
    if (blob.size() != dim * sizeof(float))
      Fail("{}: emotion_vectors row for layer {} has a malformed blob", args.Get("db"), layer);
    std::vector<float> values(dim);
    std::memcpy(values.data(), blob.data(), blob.size());
    double factor = 1.0;
    if (scale == "norm") factor = vectors.ColumnDouble(2);
    if (scale == "relative") {
      auto found = neutral_norms.find(layer);
      if (found == neutral_norms.end())
        Fail("{}: no neutral_norm for layer {} (use --scale unit)", args.Get("db"), layer);
      factor = found->second;
    }
    for (float& value : values) value = static_cast<float>(value * factor);
    by_layer[layer] = std::move(values);
  }
  if (by_layer.empty()) {
    Fail("{}: no {} {} emotion vectors for '{}' of model {}", args.Get("db"), method, estimator, emotion,
         model.path);
  }
  if (format == "gguf") {
    std::map<int, std::vector<float>> directions;
    for (auto& [layer, values] : by_layer) {
      if (layer >= 2) directions[GgufDirectionIndex(layer)] = values;
    }
    WriteControlVectorGguf(out, ArchitectureHint(model.architecture), directions);
    std::printf("wrote %s: %zu directions (llama.cpp direction.N = emoscope hook point N+1)\n", out.c_str(),
                directions.size());
  } else {
    std::vector<TensorToWrite> tensors;
    for (const auto& [layer, values] : by_layer) {
      tensors.push_back({"layer." + std::to_string(layer),
                         DType::kF32,
                         {static_cast<int64_t>(values.size())},
                         values.data(),
                         values.size() * sizeof(float)});
    }
    WriteSafetensors(
        out, tensors,
        {{"emotion", emotion},
         {"method", method},
         {"estimator", estimator},
         {"scale", scale},
         {"model_checksum", model.checksum},
         {"numbering", "layer.l = emoscope hook point l: 0 embedding output, l residual after block l"}});
    std::printf("wrote %s: %zu layers\n", out.c_str(), tensors.size());
  }
  return kExitOk;
}

}  // namespace

Command VectorsExportCommand() {
  return {"vectors export", "write emotion vectors as llama.cpp control vectors (GGUF) or safetensors",
          RunVectorsExport};
}

}  // namespace emoscope
