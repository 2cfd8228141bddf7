#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "analysis/u_fit.h"
#include "common/error.h"

namespace a = emoscope::analysis;

TEST_CASE("the u-fit recovers an exact parabola", "[u_fit]") {
  std::vector<double> r;
  std::vector<double> y;
  for (int l = 1; l <= 12; ++l) {
    r.push_back(l / 12.0);
    y.push_back(2.0 * (r.back() - 0.45) * (r.back() - 0.45) + 0.3);
  }
  const a::UFit fit = a::FitU(r, y);
  CHECK(fit.a == Approx(2.0).epsilon(1e-10));
  CHECK(fit.r0 == Approx(0.45).epsilon(1e-10));
  CHECK(fit.c == Approx(0.3).epsilon(1e-10));
  CHECK(fit.r_squared == Approx(1.0).epsilon(1e-12));
}

TEST_CASE("the u-fit matches numpy's polyfit on noisy data", "[u_fit]") {
  // scripts/stats_reference.py: np.polyfit(r, y, 2), vertex form by hand.
  const a::UFit fit = a::FitU({0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9},
                              {0.9, 0.8, 0.72, 0.61, 0.58, 0.6, 0.69, 0.81, 0.88});
  CHECK(fit.a == Approx(1.9112554112554134).epsilon(1e-10));
  CHECK(fit.r0 == Approx(0.505232163080408).epsilon(1e-10));
  CHECK(fit.c == Approx(0.6047528731743902).epsilon(1e-10));
  CHECK(fit.r_squared == Approx(0.9542440444640934).epsilon(1e-10));
}

TEST_CASE("a straight line has a = 0 and no vertex", "[u_fit]") {
  const a::UFit fit = a::FitU({0.0, 0.5, 1.0, 1.5}, {1.0, 2.0, 3.0, 4.0});
  CHECK(fit.a == 0.0);
  CHECK(std::isnan(fit.r0));
  CHECK(std::isnan(fit.c));
  CHECK(fit.r_squared == Approx(1.0));
}

TEST_CASE("a constant curve has a = 0 and an undefined r squared", "[u_fit]") {
  const a::UFit fit = a::FitU({0.1, 0.2, 0.3, 0.4}, {0.7, 0.7, 0.7, 0.7});
  CHECK(fit.a == 0.0);
  CHECK(std::isnan(fit.r0));
  CHECK(std::isnan(fit.r_squared));
}

TEST_CASE("fewer than three distinct positions leave every field NaN", "[u_fit]") {
  const a::UFit fit = a::FitU({0.2, 0.2, 0.8, 0.8}, {1.0, 1.1, 2.0, 2.1});
  CHECK(std::isnan(fit.a));
  CHECK(std::isnan(fit.r0));
  CHECK(std::isnan(fit.r_squared));
  CHECK(std::isnan(a::FitU({}, {}).a));
}

TEST_CASE("the u-fit rejects NaN points and unequal lengths", "[u_fit]") {
  CHECK_THROWS_WITH(a::FitU({0.1, 0.2}, {1.0}), Catch::Contains("r has 2 values but y has 1"));
  CHECK_THROWS_WITH(a::FitU({0.1, std::nan(""), 0.3}, {1, 2, 3}), Catch::Contains("point 1 is NaN"));
}
