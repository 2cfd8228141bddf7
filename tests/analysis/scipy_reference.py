#!/usr/bin/env python3
"""Reference values for tests/analysis/scipy_reference_test.cc, printed one case a line:
   mw|x1,x2,...|y1,y2,...|p      scipy.stats.mannwhitneyu(x, y) with its defaults
   wx|x1,...|y1,...|p            exact Wilcoxon by exhaustive enumeration of all 2^n sign flips of
                                 the midranks of |x - y| (zeros dropped), two-sided
Random and tied samples (rounded to one decimal), from fixed seeds. Needs python3-scipy."""
import itertools
import numpy as np
from scipy import stats


def fmt(values):
    return ",".join(repr(float(v)) for v in values)


def exhaustive_wilcoxon(x, y):
    d = np.asarray(x) - np.asarray(y)
    d = d[d != 0]
    ranks = stats.rankdata(np.abs(d))
    r_plus = ranks[d > 0].sum()
    n = len(d)
    signs = np.array(list(itertools.product([0.0, 1.0], repeat=n)))
    sums = signs @ ranks
    less = np.count_nonzero(sums <= r_plus + 1e-9)
    greater = np.count_nonzero(sums >= r_plus - 1e-9)
    return min(1.0, 2.0 * min(less, greater) / 2.0 ** n)


def main():
    rng = np.random.RandomState(20261201)
    for case in range(40):
        tied = case % 2 == 1
        n1, n2 = rng.randint(3, 25), rng.randint(3, 25)
        x, y = rng.normal(0.3, 1, n1), rng.normal(0, 1, n2)
        if tied:
            x, y = np.round(x, 1), np.round(y, 1)
        print(f"mw|{fmt(x)}|{fmt(y)}|{stats.mannwhitneyu(x, y).pvalue!r}")
    for case in range(30):
        tied = case % 2 == 1
        n = rng.randint(2, 17)
        x, y = rng.normal(0.4, 1, n), rng.normal(0, 1, n)
        if tied:
            x, y = np.round(x, 0), np.round(y, 0)
        if np.all(x == y):
            continue
        print(f"wx|{fmt(x)}|{fmt(y)}|{exhaustive_wilcoxon(x, y)!r}")


if __name__ == "__main__":
    main()
