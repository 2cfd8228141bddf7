#include "analysis/distributions.h"

#include <cmath>
#include <limits>

#include "common/error.h"

namespace emoscope::analysis {
namespace {

constexpr double kTiny = 1e-300;          // Keeps Lentz's denominators away from zero.
constexpr double kFractionEps = 1e-16;    // Relative change at which the fraction has converged.
constexpr int kMaxFractionTerms = 10000;  // Enough for a + b up to ~1e8 (needs ~sqrt(a+b) terms).

// The continued fraction of I_x(a, b) (Numerical Recipes 6.4), converging fast for
// x < (a + 1) / (a + b + 2); the caller uses the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) otherwise.
double BetaContinuedFraction(double a, double b, double x) {
  const double qab = a + b;
  const double qap = a + 1.0;
  const double qam = a - 1.0;
  double c = 1.0;
  double d = 1.0 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= kMaxFractionTerms; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1.0) < kFractionEps) return h;
  }
  Fail("incomplete beta: continued fraction did not converge for a={}, b={}, x={}", a, b, x);
}

}  // namespace

double NormalCdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double NormalSf(double x) { return 0.5 * std::erfc(x / std::sqrt(2.0)); }

double RegularizedIncompleteBeta(double a, double b, double x) {
  if (!(a > 0.0) || !(b > 0.0) || !std::isfinite(a) || !std::isfinite(b)) {
    Fail("incomplete beta: a and b must be finite and positive, got a={}, b={}", a, b);
  }
  if (!(x >= 0.0 && x <= 1.0)) Fail("incomplete beta: x must lie in [0, 1], got {}", x);
  if (x == 0.0) return 0.0;
  if (x == 1.0) return 1.0;
  // log of x^a (1-x)^b / (a B(a, b)), the prefactor of the fraction.
  const double log_front = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) +
                           b * std::log1p(-x);
  if (x < (a + 1.0) / (a + b + 2.0)) return std::exp(log_front) * BetaContinuedFraction(a, b, x) / a;
  return 1.0 - std::exp(log_front) * BetaContinuedFraction(b, a, 1.0 - x) / b;
}

double StudentTSf(double t, double df) {
  if (!(df > 0.0)) Fail("student t: degrees of freedom must be positive, got {}", df);
  if (std::isnan(t)) return std::numeric_limits<double>::quiet_NaN();
  if (std::isinf(t)) return t > 0 ? 0.0 : 1.0;
  // P(|T| > |t|) = I_{df / (df + t^2)}(df / 2, 1 / 2); each tail is half of it.
  const double tail = 0.5 * RegularizedIncompleteBeta(0.5 * df, 0.5, df / (df + t * t));
  return t > 0 ? tail : 1.0 - tail;
}

double StudentTCdf(double t, double df) { return StudentTSf(-t, df); }

}  // namespace emoscope::analysis
