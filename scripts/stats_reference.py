#!/usr/bin/python3
"""Prints the reference values that tests/analysis/*_test.cc embed, from numpy and scipy.

Run with Debian 12's python3-scipy (1.10.1) and python3-numpy (1.24.2):
    apt-get install -y python3-scipy python3-numpy && /usr/bin/python3 scripts/stats_reference.py
Every value is printed with repr() (17 significant digits), ready to paste into C++.
"""
import warnings

import numpy as np
import scipy
from scipy import special, stats


def cpp(values):
    return "{" + ", ".join(repr(float(v)) for v in values) + "}"


def show(name, value):
    print(f"{name} = {value!r}")


def samples():
    """Deterministic samples with ties: values rounded to one decimal."""
    rng = np.random.RandomState(20260401)
    large_x = np.round(rng.normal(0.3, 1.0, 30), 1)
    large_y = np.round(rng.normal(0.0, 1.0, 25), 1)
    paired_x = np.round(rng.normal(0.0, 1.0, 60), 1)
    paired_y = np.round(paired_x + rng.normal(0.2, 0.5, 60), 1)
    wide_x = rng.normal(0.0, 1.0, 51)
    wide_y = wide_x + rng.normal(0.1, 1.0, 51)
    return large_x, large_y, paired_x, paired_y, wide_x, wide_y


def main():
    warnings.simplefilter("ignore")  # scipy warns about small samples; the values are what we want.
    print(f"# numpy {np.__version__}, scipy {scipy.__version__}")
    large_x, large_y, paired_x, paired_y, wide_x, wide_y = samples()

    print("\n## descriptive statistics and correlations")
    ranks_in = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5]
    show("rankdata(" + cpp(ranks_in) + ")", cpp(stats.rankdata(ranks_in)))
    qx = [3, 1, 4, 1, 5, 9, 2, 6]
    for q in [0.0, 0.1, 0.25, 0.5, 0.9, 1.0]:
        show(f"quantile(qx, {q})", float(np.quantile(qx, q)))
    show("quantile([0.1, 0.2, 0.7], 0.3)", float(np.quantile([0.1, 0.2, 0.7], 0.3)))
    show("std(qx, ddof=1)", float(np.std(qx, ddof=1)))
    px = [1, 2, 3, 4, 5, 6]
    py = [2, 1, 4, 3, 7, 5]
    show("pearsonr(px, py)", float(stats.pearsonr(px, py)[0]))
    show("spearmanr(px, py)", float(stats.spearmanr(px, py)[0]))
    tx = [1, 2, 2, 3, 4, 4, 4, 5]
    ty = [3, 1, 2, 2, 5, 4, 6, 6]
    show("pearsonr(tx, ty)", float(stats.pearsonr(tx, ty)[0]))
    show("spearmanr(tx, ty)", float(stats.spearmanr(tx, ty)[0]))
    cx = [0.52, 0.61, 0.47, 0.70, 0.66]
    cy = [0.40, 0.45, 0.51, 0.38]
    pooled = np.sqrt(((len(cx) - 1) * np.var(cx, ddof=1) + (len(cy) - 1) * np.var(cy, ddof=1))
                     / (len(cx) + len(cy) - 2))
    show("cohen_d(cx, cy)", float((np.mean(cx) - np.mean(cy)) / pooled))

    print("\n## t-test and distribution functions")
    t_sample = [5.1, 4.9, 5.6, 5.8, 6.0, 5.2, 4.7]
    res = stats.ttest_1samp(t_sample, 5.0)
    show("ttest_1samp(t_sample, 5.0)", (float(res.statistic), float(res.pvalue)))
    res = stats.ttest_1samp(t_sample, 0.5)
    show("ttest_1samp(t_sample, 0.5)", (float(res.statistic), float(res.pvalue)))
    for t, df in [(0.5, 3.0), (2.0, 10.0), (-1.3, 4.5), (10.0, 2.0), (40.0, 30.0), (1e-3, 1.0)]:
        show(f"t.sf({t}, {df})", float(stats.t.sf(t, df)))
    for a, b, x in [(0.5, 0.5, 0.3), (2.0, 3.0, 0.4), (10.0, 0.5, 0.95), (50.0, 70.0, 0.45)]:
        show(f"betainc({a}, {b}, {x})", float(special.betainc(a, b, x)))
    for z in [-1.96, 0.0, 1.0, 8.0]:
        show(f"norm.cdf({z}), norm.sf({z})", (float(stats.norm.cdf(z)), float(stats.norm.sf(z))))

    print("\n## Mann-Whitney U (defaults: use_continuity=True, two-sided, method='auto')")
    cases = {
        "males_females": ([19, 22, 16, 29, 24], [20, 11, 17, 12]),
        "exact_3_20": ([0.5, 3.5, 12.5], [float(v) for v in range(20)]),
        "exact_centre": ([1, 4], [2, 3]),
        "exact_8_12": ([1.5, 2.5, 7.5, 8.5, 9.5, 13.5, 15.5, 19.5], [float(v) for v in range(12)]),
        "small_ties": ([1, 2, 2, 3], [2, 4, 5]),
        "large_ties": (large_x, large_y),
        "all_equal": ([1, 1, 1], [1, 1]),
    }
    for name, (x, y) in cases.items():
        if name != "large_ties":
            print(f"# {name}: x = {cpp(x)}, y = {cpp(y)}")
        res = stats.mannwhitneyu(x, y)
        show(f"mannwhitneyu({name})", (float(res.statistic), float(res.pvalue)))
    print("large_x = " + cpp(large_x))
    print("large_y = " + cpp(large_y))

    print("\n## Wilcoxon signed-rank (defaults: zero_method='wilcox', correction=False, two-sided)")
    wx = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30, 2.01]
    wy = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29, 1.51]
    res = stats.wilcoxon(wx, wy)
    show("wilcoxon(wx, wy) exact", (float(res.statistic), float(res.pvalue)))
    zx = [3, 5, 2, 7, 4, 6, 8, 1, 9, 5, 6, 4]
    zy = [2, 5, 4, 3, 4, 1, 2, 3, 1, 2, 7, 6]
    print(f"# zeros: x = {cpp(zx)}, y = {cpp(zy)}")
    res = stats.wilcoxon(zx, zy)
    show("wilcoxon(zx, zy) zeros -> approx", (float(res.statistic), float(res.pvalue)))
    tx2 = [1.0, 2.0, -1.0, 3.0, 2.0, -2.0, 4.0, 1.0]
    ty2 = [0.0] * 8
    print(f"# ties, no zeros: x = {cpp(tx2)}, y = 0")
    res = stats.wilcoxon(tx2, ty2, method="approx")
    show("wilcoxon(tx2, 0, method='approx')", (float(res.statistic), float(res.pvalue)))
    res = stats.wilcoxon(tx2, ty2)
    show("wilcoxon(tx2, 0) auto in scipy 1.10 (exact, truncated statistic; not followed)",
         (float(res.statistic), float(res.pvalue)))
    res = stats.wilcoxon(paired_x, paired_y)
    show("wilcoxon(paired_x, paired_y) n=60 ties", (float(res.statistic), float(res.pvalue)))
    print("paired_x = " + cpp(paired_x))
    print("paired_y = " + cpp(paired_y))
    sx = list(range(51))
    sy = [i + 0.5 + i if i % 3 == 0 else i - 0.5 - i for i in sx]
    res = stats.wilcoxon(sx, sy)
    show("wilcoxon(sx, sy) 51 distinct |d| -> approx", (float(res.statistic), float(res.pvalue)))
    res = stats.wilcoxon(sx[:50], sy[:50])
    show("wilcoxon(sx[:50], sy[:50]) -> exact", (float(res.statistic), float(res.pvalue)))
    res = stats.wilcoxon(wide_x, wide_y)
    show("wilcoxon(wide_x, wide_y) n=51 no ties -> approx", (float(res.statistic), float(res.pvalue)))
    print("wide_x = " + cpp(wide_x))
    print("wide_y = " + cpp(wide_y))

    print("\n## U-fit (numpy.polyfit degree 2)")
    r = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    y = [0.9, 0.8, 0.72, 0.61, 0.58, 0.6, 0.69, 0.81, 0.88]
    p2, p1, p0 = np.polyfit(r, y, 2)
    fitted = np.polyval([p2, p1, p0], r)
    r2 = 1 - np.sum((np.array(y) - fitted) ** 2) / np.sum((np.array(y) - np.mean(y)) ** 2)
    show("ufit a, r0, c, r2", (float(p2), float(-p1 / (2 * p2)), float(p0 - p1 * p1 / (4 * p2)), float(r2)))


if __name__ == "__main__":
    main()
