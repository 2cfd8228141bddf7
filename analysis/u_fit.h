// The U-fit of a localization curve: least squares y = a (r - r0)^2 + c. Pure; thread-safe.
#pragma once

#include <vector>

namespace emoscope::analysis {

struct UFit {
  double a;          // Curvature; a > 0 means U-shaped (minimum at r0).
  double r0;         // Vertex position; NaN when a == 0 (no vertex).
  double c;          // Value at the vertex; NaN when a == 0.
  double r_squared;  // 1 - SS_res / SS_tot; NaN when y is constant (SS_tot = 0).
};

// Fits the quadratic y = p2 r^2 + p1 r + p0 by least squares (on r centred and scaled for
// conditioning), then a = p2, r0 = -p1 / (2 p2), c = p0 - p1^2 / (4 p2). a counts as 0 when
// |p2| <= 1e-12 max(|p0|, |p1|, |p2|) in the scaled coordinates. Fewer than 3 distinct r values
// leave the quadratic undetermined: every field is NaN. Lengths differ or NaN input: Error.
UFit FitU(const std::vector<double>& r, const std::vector<double>& y);

}  // namespace emoscope::analysis
