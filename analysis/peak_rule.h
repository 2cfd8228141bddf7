// The peak rule and the analysis parameters' defaults: the one definition every view of the peak
// layer uses (the metrics and steer tasks, `emoscope analyze`, the SQL views of migration 4, the
// dashboard and its HTML report). docs/analysis.md gives the reasons.
//
// The rule: among the blocks l = 1..L (layer 0, the embedding output, is never a peak), the layer
// with the best finite value of the peak metric (highest, or lowest for mean_cosine); ties go to
// the shallower layer. Pure functions; thread-safe; no libtorch, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace emoscope::analysis {

// The defaults of the analysis parameters (SCIENCE.md's Definitions). A campaign or a command-line
// option overrides each; the value used is stored with the results (task settings, manifest).
namespace defaults {
inline constexpr const char* kPeakMetric = "probe_accuracy";  // Metric whose best layer is the peak.
inline constexpr int kProbeFolds = 5;                         // k of the grouped stratified k-fold probe.
inline constexpr int kPermutations = 200;                     // Label permutations of the separation null.
inline constexpr double kNeutralPcShare = 0.5;                // Neutral variance whose top PCs are removed.
inline constexpr int64_t kResamples = 1000;                   // Bootstrap resamples of analyze.
inline constexpr double kLevel = 0.95;                        // Bootstrap interval coverage.
inline constexpr double kNullDepth = 0.5;                     // Depth the models' r* are tested against.
inline constexpr int kWilcoxonExactMaxN = 50;  // Exact Wilcoxon up to this many non-zero pairs.
}  // namespace defaults

// The first layer a peak may be: block 1 (layer 0 is the embedding output).
inline constexpr int64_t kFirstPeakLayer = 1;

// The metrics a peak can be chosen by, in documentation order: probe_accuracy, fisher_ratio,
// separation_gap, separation_z (highest wins) and mean_cosine (lowest wins).
const std::vector<std::string>& PeakMetrics();

bool IsPeakMetric(const std::string& metric);

// True for mean_cosine (lower is more separated). Error for a metric outside PeakMetrics().
bool LowerIsBetter(const std::string& metric);

// Error naming `where` and the allowed metrics unless IsPeakMetric(metric).
void RequirePeakMetric(const std::string& metric, const std::string& where);

// The peak rule on parallel arrays: the index into `layers` of the best layer >= kFirstPeakLayer
// by `metric`, skipping non-finite values; ties (equal values) to the smaller layer number,
// whatever the order of the arrays. nullopt when no layer qualifies. Error: sizes differ, or the
// metric is not a peak metric.
std::optional<std::size_t> PeakIndex(const std::string& metric, const std::vector<int64_t>& layers,
                                     const std::vector<double>& values);

// The same rule returning the layer number itself.
std::optional<int64_t> PeakLayer(const std::string& metric, const std::vector<int64_t>& layers,
                                 const std::vector<double>& values);

// The same rule over a layer -> value map (as the steer task gathers its inputs).
std::optional<int64_t> PeakLayer(const std::string& metric, const std::map<int64_t, double>& values);

// The peak's location between hook points: the vertex of the parabola through the peak rule's
// layer and its two neighbours (the nearest shallower and deeper layers >= kFirstPeakLayer with a
// finite value), in the units of `positions` (relative depths, or layer numbers). It lies within
// half a spacing of the peak layer, moves towards the better neighbour, and is the peak layer
// itself when the neighbours are equally good (a symmetric peak) or when the peak layer has a
// neighbour on one side only (the first or last block, or a curve of one block). Two layers tied
// for best give their midpoint; a plateau of three or more tied layers gives half a spacing past its
// first. nullopt when the peak rule finds no layer. Error: sizes differ, or not a peak metric.
std::optional<double> PeakLocation(const std::string& metric, const std::vector<int64_t>& layers,
                                   const std::vector<double>& positions, const std::vector<double>& values);

// The rule as an SQL window ordering over columns `value_column` and `layer_column` (rows with a
// layer below kFirstPeakLayer or a NULL value must be filtered out by the caller's WHERE):
// e.g. "probe_accuracy DESC, layer ASC". Migration 4's views are written from it (a test checks).
std::string PeakOrderSql(const std::string& metric, const std::string& value_column,
                         const std::string& layer_column);

}  // namespace emoscope::analysis
