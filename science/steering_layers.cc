#include "science/steering_layers.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace emoscope {
namespace {

using nlohmann::json;

int64_t OneLayer(const json& spec, int64_t num_layers) {
  if (spec.is_number_integer()) {
    const auto layer = spec.get<int64_t>();
    if (layer < 0 || layer > num_layers) Fail("steering layer {} is outside 0..{}", layer, num_layers);
    return layer;
  }
  if (spec.is_number()) {
    const double depth = spec.get<double>();
    if (!(depth > 0 && depth <= 1)) Fail("steering relative depth {} is outside (0, 1]", depth);
    return std::clamp<int64_t>(std::llround(depth * static_cast<double>(num_layers)), 1, num_layers);
  }
  Fail("steering layer {} must be an integer layer or a relative depth in (0, 1]", spec.dump());
}

}  // namespace

std::vector<int64_t> ResolveLayerSpec(const json& spec, int64_t num_layers,
                                      const std::function<int64_t()>& peak_layer) {
  if (spec == json("peak")) return {peak_layer()};
  if (spec == json("all")) {
    std::vector<int64_t> all;
    for (int64_t layer = 1; layer <= num_layers; ++layer) all.push_back(layer);
    return all;
  }
  if (spec.is_object()) {
    for (const auto& item : spec.items()) {
      if (item.key() != "from" && item.key() != "to") {
        Fail("steering layer range {}: unknown field '{}'", spec.dump(), item.key());
      }
    }
    if (!spec.contains("from") || !spec.contains("to"))
      Fail("steering layer range {} needs from and to", spec.dump());
    const int64_t from = OneLayer(spec.at("from"), num_layers);
    const int64_t to = OneLayer(spec.at("to"), num_layers);
    if (from > to) Fail("steering layer range {} runs backwards (layer {} to {})", spec.dump(), from, to);
    std::vector<int64_t> range;
    for (int64_t layer = from; layer <= to; ++layer) range.push_back(layer);
    return range;
  }
  if (spec.is_number()) return {OneLayer(spec, num_layers)};
  Fail("steering layer {} must be \"peak\", \"all\", a layer, a relative depth or {{from, to}}", spec.dump());
}

std::string LayerSpecLabel(const json& spec) {
  if (spec.is_string()) return spec.get<std::string>();
  if (spec.is_object() && spec.contains("from") && spec.contains("to")) {
    return spec.at("from").dump() + "-" + spec.at("to").dump();
  }
  return spec.dump();
}

}  // namespace emoscope
