#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "analysis/jacobi.h"
#include "analysis/random.h"
#include "common/error.h"

namespace a = emoscope::analysis;

TEST_CASE("jacobi finds the eigenpairs of a 2 x 2 matrix", "[jacobi]") {
  const a::SymmetricEigen eigen = a::JacobiEigen({2, 1, 1, 2}, 2);
  CHECK(eigen.values[0] == Approx(3.0));
  CHECK(eigen.values[1] == Approx(1.0));
  // Columns, up to sign: (1, 1) / sqrt 2 and (1, -1) / sqrt 2.
  CHECK(std::fabs(eigen.vectors[0]) == Approx(std::sqrt(0.5)));
  CHECK(eigen.vectors[0] * eigen.vectors[2] > 0);
  CHECK(eigen.vectors[1] * eigen.vectors[3] < 0);
}

TEST_CASE("jacobi diagonalizes a random 80 x 80 gram matrix to rounding accuracy", "[jacobi]") {
  constexpr std::size_t kN = 80;
  constexpr std::size_t kD = 30;  // Rank 30: fifty eigenvalues are zero.
  a::Rng rng(3);
  std::vector<double> x(kN * kD);
  for (double& value : x) value = rng.UniformDouble() - 0.5;
  std::vector<double> gram(kN * kN, 0.0);
  for (std::size_t i = 0; i < kN; ++i) {
    for (std::size_t j = 0; j < kN; ++j) {
      for (std::size_t k = 0; k < kD; ++k) gram[i * kN + j] += x[i * kD + k] * x[j * kD + k];
    }
  }
  const a::SymmetricEigen eigen = a::JacobiEigen(gram, kN);
  double worst_residual = 0.0;
  double worst_orthogonality = 0.0;
  for (std::size_t col = 0; col < kN; ++col) {
    if (col > 0) CHECK(eigen.values[col] <= eigen.values[col - 1]);
    for (std::size_t row = 0; row < kN; ++row) {
      double av = 0.0;
      for (std::size_t k = 0; k < kN; ++k) av += gram[row * kN + k] * eigen.vectors[k * kN + col];
      worst_residual = std::max(worst_residual, std::fabs(av - eigen.values[col] * eigen.vectors[row * kN + col]));
    }
    for (std::size_t other = 0; other < kN; ++other) {
      double dot = 0.0;
      for (std::size_t k = 0; k < kN; ++k) dot += eigen.vectors[k * kN + col] * eigen.vectors[k * kN + other];
      worst_orthogonality = std::max(worst_orthogonality, std::fabs(dot - (col == other ? 1.0 : 0.0)));
    }
  }
  CHECK(worst_residual < 1e-11);
  CHECK(worst_orthogonality < 1e-12);
  CHECK(std::fabs(eigen.values[kD]) < 1e-11);  // Beyond the rank, eigenvalues vanish.
}

TEST_CASE("jacobi rejects a wrong size and non-finite entries", "[jacobi]") {
  CHECK_THROWS_WITH(a::JacobiEigen({1, 2, 3}, 2), Catch::Contains("3 entries, expected 2 x 2"));
  CHECK_THROWS_WITH(a::JacobiEigen({1, NAN, NAN, 1}, 2), Catch::Contains("entry (0, 1)"));
}
