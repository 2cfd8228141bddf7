#include "science/steering_inputs.h"

#include "analysis/peak_rule.h"
#include "common/error.h"
#include "science/blob.h"
#include "science/steering_layers.h"

namespace emoscope {

using nlohmann::json;

std::map<int64_t, double> MetricByLayer(const TaskContext& ctx, const std::string& method,
                                        const std::string& metric) {
  std::map<int64_t, double> out;
  for (const json& row : InputRows(ctx, "layer_metrics")) {
    if (row.at("method") != method || row.at("metric") != metric || row.at("emotion") != "") continue;
    if (row.at("value").is_null()) continue;
    out[row.at("layer").get<int64_t>()] = row.at("value").get<double>();
  }
  return out;
}

int64_t PeakLayer(const std::map<int64_t, double>& values, const std::string& metric) {
  return analysis::PeakLayer(metric, values).value_or(-1);
}

std::vector<int64_t> ResolveSteeringLayers(const TaskContext& ctx, const char* kind, const LayerSpec& spec,
                                           int64_t num_layers, const std::string& method,
                                           const std::string& peak_metric) {
  auto peak = [&] {
    const int64_t layer = PeakLayer(MetricByLayer(ctx, method, peak_metric), peak_metric);
    if (layer < 0) {
      throw TaskFailed(fmt::format("{}: no {} metrics of method {} among the inputs to find the peak", kind,
                                   peak_metric, method),
                       false);
    }
    return layer;
  };
  try {
    return ResolveLayerSpec(spec, num_layers, peak);
  } catch (const TaskFailed&) {
    throw;
  } catch (const Error& error) {
    throw TaskFailed(fmt::format("{}: parameter 'layer': {}", kind, error.what()), false);
  }
}

std::vector<float> InputVector(const TaskContext& ctx, const char* kind, const std::string& table,
                               const std::string& method, int64_t layer, const std::string& emotion,
                               const std::string& estimator) {
  for (const json& row : InputRows(ctx, table)) {
    if (row.at("method") == method && row.at("layer") == layer && row.at("emotion") == emotion &&
        (estimator.empty() || row.value("estimator", std::string()) == estimator)) {
      const auto dim = row.at("dim").get<size_t>();
      const std::string what =
          fmt::format("{}: {} {} {} layer {} {}", kind, table, method, estimator, layer, emotion);
      return BlobToFloats(InputBlob(ctx, row.at("data"), what), dim, what);
    }
  }
  throw TaskFailed(
      fmt::format("{}: no {} row for method {}{}, layer {}, emotion '{}' among the inputs", kind, table,
                  method, estimator.empty() ? "" : ", estimator " + estimator, layer, emotion),
      false);
}

SteeringTarget LoadTarget(const TaskContext& ctx, const char* kind, const SteeringCommon& params,
                          const std::vector<int64_t>& layers, const std::string& emotion) {
  SteeringTarget target;
  const std::map<int64_t, double> norms = params.mode == "relative"
                                              ? MetricByLayer(ctx, params.vector_method, "neutral_norm")
                                              : std::map<int64_t, double>{};
  for (int64_t layer : layers) {
    target.layers.push_back(layer);
    target.units.push_back(
        InputVector(ctx, kind, "emotion_vectors", params.vector_method, layer, emotion, params.estimator));
    double scale = 1.0;
    if (params.mode == "relative") {
      const auto found = norms.find(layer);
      if (found == norms.end()) {
        throw TaskFailed(fmt::format("{}: relative mode needs neutral_norm of layer {}", kind, layer), false);
      }
      scale = found->second;
    }
    target.scales.push_back(scale);
  }
  return target;
}

}  // namespace emoscope
