// Which layers a steering layer spec names (docs/science.md). Pure; the peak layer comes in as a
// callback so that the one peak rule stays where it is defined.
//   "peak"                  the peak layer
//   integer l               hook point l (0..L)
//   float r in (0, 1]       relative depth: block round(r * L), at least 1
//   "all"                   blocks 1..L
//   {"from": a, "to": b}    every layer from a to b inclusive, each end an integer layer or a
//                           relative depth as above
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace emoscope {

// The layers in increasing order (at least one). Error naming the spec when it is malformed,
// outside 0..num_layers, or a range runs backwards.
std::vector<int64_t> ResolveLayerSpec(const nlohmann::json& spec, int64_t num_layers,
                                      const std::function<int64_t()>& peak_layer);

// A short label of a spec for names and keys: "peak", "3", "0.5", "all", "0.25-0.75".
std::string LayerSpecLabel(const nlohmann::json& spec);

}  // namespace emoscope
