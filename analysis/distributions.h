// Distribution functions the tests need: the standard normal and Student's t, the latter through
// the regularized incomplete beta function. Pure functions of their arguments; thread-safe.
#pragma once

namespace emoscope::analysis {

// P(Z <= x) and P(Z > x) for a standard normal Z. The survival function is computed directly
// (not as 1 - cdf) so that tail probabilities keep their relative precision.
double NormalCdf(double x);
double NormalSf(double x);

// I_x(a, b), the regularized incomplete beta function, for a > 0, b > 0, 0 <= x <= 1; evaluated
// by the continued fraction (modified Lentz). Throws emoscope::Error for arguments out of range
// or when the fraction does not converge (which does not happen for finite a, b below ~1e7).
double RegularizedIncompleteBeta(double a, double b, double x);

// P(T > t) for Student's t with df > 0 degrees of freedom (df may be fractional).
double StudentTSf(double t, double df);
double StudentTCdf(double t, double df);

}  // namespace emoscope::analysis
