// Eigen-decomposition of a small dense symmetric matrix by the cyclic Jacobi method. Used on the
// n x n Gram matrix of neutral activations (n up to a few hundred), never on d x d matrices.
// Pure; thread-safe.
#pragma once

#include <cstddef>
#include <vector>

namespace emoscope::analysis {

struct SymmetricEigen {
  std::vector<double> values;   // (n) eigenvalues, in decreasing order.
  std::vector<double> vectors;  // (n, n) row-major; column j is the unit eigenvector of values[j].
};

// a: (n, n) row-major and symmetric (only the upper triangle is read). Sweeps rotations over all
// off-diagonal pairs until the off-diagonal mass is below 1e-30 of the total; throws
// emoscope::Error if a.size() != n * n, on NaN, or after 100 sweeps without converging.
SymmetricEigen JacobiEigen(std::vector<double> a, std::size_t n);

}  // namespace emoscope::analysis
