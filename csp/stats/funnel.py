"""Funnel plot limits for comparing partnerships: is one partnership's change on its baseline
beyond what chance allows, if every partnership had changed as they did together?

Spiegelhalter's funnel plots (D. J. Spiegelhalter, "Funnel plots for comparing institutional
performance", Statistics in Medicine 2005; 24:1185-1202), on the exact Poisson comparison of two
counts, conditional on their total. A partnership with `a` events this year to date and `b` in the
same months of its baseline year has n = a + b. Were its underlying ratio the pooled
R = sum(a) / sum(b) of the partnerships compared, then given n,
    a ~ Binomial(n, p0),  p0 = R / (1 + R) = sum(a) / (sum(a) + sum(b)).
For q = 0.001, 0.025, 0.975, 0.999 (the two-sided 99.8% and 95% limits), with F the distribution
function of Binomial(n, p0):
    r   = the q-quantile: the least whole r with F(r) >= q;
    α   = (F(r) - q) / (F(r) - F(r - 1)), the part of r's probability above q;
    a_q = max(r - α, 0): the count at the limit, interpolated between whole counts so that limits
          move smoothly with n (Spiegelhalter 2005, appendix A.1.1, point 4);
    limit_q = a_q / (n - a_q): the ratio at the limit (infinite where a_q = n).
A partnership is above the 99.8% limit when a > a_0.999, else above the 95% limit when
a > a_0.975, below the 99.8% limit when a < a_0.001, below the 95% limit when a < a_0.025, and
within otherwise (a count on a limit is within).

The curves drawn against the baseline count b take n = b(1 + R), rounded: the total a partnership
of that baseline would have at the pooled ratio. A point's flag comes from its own n, so a point
very near a curve may sit on either side of it.
"""

from __future__ import annotations

import numpy as np
import scipy.special

# Each limit's name (peers.csv's column) and the binomial probability it is the quantile of.
LIMITS = {"lower_99_8": 0.001, "lower_95": 0.025, "upper_95": 0.975, "upper_99_8": 0.999}
ABOVE_998, ABOVE_95, WITHIN, BELOW_95, BELOW_998 = (
    "above 99.8%",
    "above 95%",
    "within",
    "below 95%",
    "below 99.8%",
)
FLAGS = (ABOVE_998, ABOVE_95, WITHIN, BELOW_95, BELOW_998)


def binomial_cdf(k: np.ndarray, n: np.ndarray, p: float) -> np.ndarray:
    """P(X <= k) for X ~ Binomial(n, p), whole k and n as arrays: the regularised incomplete beta
    I_(1-p)(n - k, k + 1), which scipy.special computes for any n (bdtr insists on whole ones)."""
    k, n = np.broadcast_arrays(np.asarray(k, dtype=float), np.asarray(n, dtype=float))
    inside = (k >= 0) & (k < n)
    cdf = np.where(k >= n, 1.0, 0.0)
    cdf[inside] = scipy.special.betainc(n[inside] - k[inside], k[inside] + 1, 1 - p)
    return cdf


def binomial_quantile(q: float, n: np.ndarray, p: float) -> np.ndarray:
    """The least whole r with P(X <= r) >= q, X ~ Binomial(n, p): scipy's inverse (bdtrik, a real
    r) rounded up, then put right by a step either way where rounding missed."""
    n = np.asarray(n, dtype=float)
    guess = np.nan_to_num(scipy.special.bdtrik(q, n, p), nan=0.0)
    r = np.clip(np.ceil(guess), 0, n)
    r = np.where((r > 0) & (binomial_cdf(r - 1, n, p) >= q), r - 1, r)
    return np.where(binomial_cdf(r, n, p) < q, np.minimum(r + 1, n), r)


def limit_count(q: float, n: np.ndarray, p: float) -> np.ndarray:
    """a_q: the q-quantile of Binomial(n, p), interpolated as Spiegelhalter does (see above)."""
    r = binomial_quantile(q, n, p)
    at_r, below_r = binomial_cdf(r, n, p), binomial_cdf(r - 1, n, p)
    alpha = (at_r - q) / (at_r - below_r)
    return np.maximum(r - alpha, 0.0)


def as_ratio(count: np.ndarray, n: np.ndarray) -> np.ndarray:
    """a / (n - a): a count out of n as a ratio to the rest, infinite where the rest is none."""
    count, n = np.asarray(count, dtype=float), np.asarray(n, dtype=float)
    rest = n - count
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(rest > 0, count / np.where(rest > 0, rest, 1.0), np.inf)


def pooled_share(actual: np.ndarray, baseline: np.ndarray) -> float:
    """p0 = sum(a) / (sum(a) + sum(b)): this year's share of both years' events, all together."""
    total = float(np.sum(actual) + np.sum(baseline))
    if total <= 0:
        raise ValueError("no events in either year: nothing to pool")
    return float(np.sum(actual)) / total


def limit_counts(n: np.ndarray, p0: float) -> dict[str, np.ndarray]:
    """Each limit's count a_q for totals n."""
    return {name: limit_count(q, n, p0) for name, q in LIMITS.items()}


def ratio_limits(n: np.ndarray, p0: float) -> dict[str, np.ndarray]:
    """Each limit as a ratio of this year to the baseline, for totals n."""
    return {name: as_ratio(count, n) for name, count in limit_counts(n, p0).items()}


def flag(actual: float, counts: dict[str, float]) -> str:
    """Where a count lies against its limit counts; on a limit is within it."""
    if actual > counts["upper_99_8"]:
        return ABOVE_998
    if actual > counts["upper_95"]:
        return ABOVE_95
    if actual < counts["lower_99_8"]:
        return BELOW_998
    if actual < counts["lower_95"]:
        return BELOW_95
    return WITHIN


def funnel_curves(baselines: np.ndarray, p0: float) -> dict[str, np.ndarray]:
    """The limits as ratios at each baseline count b, taking n = b(1 + R) = b / (1 - p0), rounded,
    at least 1."""
    totals = np.maximum(np.rint(np.asarray(baselines, dtype=float) / (1 - p0)), 1.0)
    return ratio_limits(totals, p0)
