// What the calibrate and steer tasks read from their inputs (the metrics tasks' rows): the
// peak layer, each steered layer's unit vector and n_l, the judge's class means, and (steer) the
// calibrated window. Errors are TaskFailed, not retryable, naming the kind and what is missing.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "jobs/task_params.h"
#include "science/steering_run.h"
#include "science/task_common.h"

namespace emoscope {

// Per-layer values of one whole-set metric (emotion '') for one method.
std::map<int64_t, double> MetricByLayer(const TaskContext& ctx, const std::string& method,
                                        const std::string& metric);

// The peak layer by the one peak rule (analysis/peak_rule.h: the best block 1..L by the metric,
// ties to the shallower); -1 when no block has a value. Error: not a peak metric.
int64_t PeakLayer(const std::map<int64_t, double>& values, const std::string& metric);

// The layers a spec names, the peak by `method`'s `peak_metric`.
std::vector<int64_t> ResolveSteeringLayers(const TaskContext& ctx, const char* kind, const LayerSpec& spec,
                                           int64_t num_layers, const std::string& method,
                                           const std::string& peak_metric);

// A float32 vector row (emotion_vectors or activation_means) of method, layer and emotion, and of
// `estimator` unless it is "" (emotion_vectors holds one row per estimator; never mixed).
std::vector<float> InputVector(const TaskContext& ctx, const char* kind, const std::string& table,
                               const std::string& method, int64_t layer, const std::string& emotion,
                               const std::string& estimator = "");

// The target for `emotion`: its unit vector of params.estimator at each layer, scaled by n_l
// (relative) or 1.
SteeringTarget LoadTarget(const TaskContext& ctx, const char* kind, const SteeringCommon& params,
                          const std::vector<int64_t>& layers, const std::string& emotion);

}  // namespace emoscope
