"""Statistical checks that separate real changes in a measure from normal variation.

A YTD actual can miss its target by chance alone; these helpers give exact p-values, intervals
and year-end projections so the dashboard only calls a measure better or worse when the gap
is unlikely to be noise.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

WITHIN_NORMAL_VARIATION = "within normal variation"
BETTER = "better"
WORSE = "worse"
DIRECTIONS = ("reduce", "increase", "maintain")
SCIPY_MINLIKE_RELATIVE_TOLERANCE = 1 + 1e-7


def _special() -> ModuleType:
    """scipy.special, imported on first use. The tests below are written on its distribution
    functions rather than scipy.stats, whose import costs about a second more in every run
    (tests/test_significance.py checks them against scipy.stats and against summation)."""
    return importlib.import_module("scipy.special")


def _binom_cdf(k: float, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p)."""
    if k < 0:
        return 0.0
    return 1.0 if k >= n else float(_special().bdtr(int(k), n, p))


def _binom_sf(k: float, n: int, p: float) -> float:
    """P(X > k) for X ~ Binomial(n, p)."""
    if k < 0:
        return 1.0
    return 0.0 if k >= n else float(_special().bdtrc(int(k), n, p))


def _binom_pmf(k: float, n: int, p: float) -> float:
    """P(X = k), from logs so that large n neither overflows nor underflows early."""
    special = _special()
    log_choose = special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)
    return float(math.exp(log_choose + special.xlogy(k, p) + special.xlog1py(n - k, -p)))


def _last_at_most(value: Callable[[int], float], bound: float, low: int, high: int) -> int:
    """The i in [low, high] with value(i) <= bound < value(i + 1), for value ascending there
    (scipy.stats.binomtest's search, so the two-sided p-values agree with it)."""
    while low < high:
        middle = low + (high - low) // 2
        found = value(middle)
        if found < bound:
            low = middle + 1
        elif found > bound:
            high = middle - 1
        else:
            return middle
    return low if value(low) <= bound else low - 1


def _binomtest_two_sided(k: int, n: int, p: float) -> float:
    """Two-sided "minlike" binomial p-value, as scipy.stats.binomtest computes it."""
    observed = _binom_pmf(k, n, p) * SCIPY_MINLIKE_RELATIVE_TOLERANCE
    if k == p * n:
        return 1.0
    if k < p * n:
        index = _last_at_most(lambda x: -_binom_pmf(x, n, p), -observed, math.ceil(p * n), n)
        other = n - index + int(observed == _binom_pmf(index, n, p))
        return min(1.0, _binom_cdf(k, n, p) + _binom_sf(n - other, n, p))
    index = _last_at_most(lambda x: _binom_pmf(x, n, p), observed, 0, math.floor(p * n))
    return min(1.0, _binom_cdf(index, n, p) + _binom_sf(k - 1, n, p))


def _nbinom_quantile(q: float, successes: float, p: float) -> int:
    """Smallest k with P(X <= k) >= q for X ~ NegativeBinomial(successes, p), real successes
    allowed (the cdf is the regularised incomplete beta I_p(successes, k + 1))."""
    special = _special()

    def cdf(k: int) -> float:
        return float(special.betainc(successes, k + 1, p))

    if cdf(0) >= q:
        return 0
    low, high = 0, 1
    while cdf(high) < q:
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if cdf(middle) >= q else (middle, high)
    return high


@dataclass(frozen=True)
class Significance:
    """A measure's p-value against its target and the label the dashboard shows for it."""

    p_value: float
    label: str


def _check_level(level: float, name: str = "level") -> None:
    """Reject confidence levels that cannot give a two-sided interval."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {level!r}")


def count_p_value(actual: int, expected: float) -> float:
    """Exact two-sided Poisson test of an observed count against a fixed expected mean.

    Uses p = min(1, 2 * min(P(X <= actual), P(X >= actual))) with X ~ Poisson(expected).
    An expected mean <= 0 allows only a zero count: returns 1.0 for actual == 0, else 0.0.
    """
    if actual < 0:
        raise ValueError(f"actual count must be non-negative, got {actual!r}")
    if expected <= 0:
        return 1.0 if actual == 0 else 0.0
    special = _special()
    at_most = float(special.pdtr(actual, expected))
    at_least = 1.0 if actual == 0 else float(special.pdtrc(actual - 1, expected))
    return min(1.0, 2.0 * min(at_most, at_least))


def proportion_p_value(successes: int, trials: int, expected_proportion: float) -> float:
    """Exact two-sided binomial test of successes/trials against an expected proportion.

    Uses scipy.stats.binomtest's two-sided "minlike" method: sums the probabilities of all
    outcomes no more likely than the observed one. Returns NaN when there are no trials.
    """
    if trials < 0 or not 0 <= successes <= max(trials, 0):
        raise ValueError(f"need 0 <= successes <= trials, got {successes!r} of {trials!r}")
    if not 0.0 <= expected_proportion <= 1.0:
        raise ValueError(f"expected_proportion must be in [0, 1], got {expected_proportion!r}")
    if trials == 0:
        return math.nan
    return _binomtest_two_sided(successes, trials, expected_proportion)


def wilson_interval(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion (0..1); stays sensible near 0 and 1 and small n.

    Returns (nan, nan) when there are no trials.
    """
    _check_level(level)
    if trials < 0 or not 0 <= successes <= max(trials, 0):
        raise ValueError(f"need 0 <= successes <= trials, got {successes!r} of {trials!r}")
    if trials == 0:
        return (math.nan, math.nan)
    p, q = successes / trials, 1 - successes / trials
    z = float(_special().ndtri(0.5 + 0.5 * level))
    denominator = 2 * (trials + z**2)
    centre = (2 * trials * p + z**2) / denominator
    delta = z / denominator * math.sqrt(4 * trials * p * q + z**2)
    low = 0.0 if successes == 0 else centre - delta
    high = 1.0 if successes == trials else centre + delta
    return (low, high)


def _lower_is_better(direction: str, lower_is_better: bool | None) -> bool:
    """Resolve which side of the target is good; lower_is_better only matters for "maintain"."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}; got {direction!r}")
    if direction == "reduce":
        return True
    if direction == "increase":
        return False
    return True if lower_is_better is None else lower_is_better


def significance_label(
    p_value: float,
    actual: float,
    target: float,
    *,
    direction: str,
    lower_is_better: bool | None = None,
    alpha: float = 0.05,
) -> str:
    """Label a measure "better", "worse" or "within normal variation" relative to its target.

    Non-significant (p >= alpha) or NaN p-values, and an actual equal to the target, are
    "within normal variation". lower_is_better is read only for direction "maintain"
    (default True).
    """
    good_is_lower = _lower_is_better(direction, lower_is_better)
    _check_level(alpha, "alpha")
    if math.isnan(p_value) or p_value >= alpha or actual == target:
        return WITHIN_NORMAL_VARIATION
    return BETTER if (actual < target) == good_is_lower else WORSE


def projection_interval(
    ytd: float, elapsed_share: float, level: float = 0.90, *, is_count: bool = True
) -> tuple[float, float, float]:
    """Year-end projection (point, low, high) from a YTD value and the share of the year elapsed.

    For counts the interval predicts the year-end total: the YTD count is fixed and the rest of
    the year follows a Gamma–Poisson (negative binomial) posterior predictive with a Jeffreys
    prior. Non-counts return (ytd, nan, nan); proportion intervals come from wilson_interval.
    """
    _check_level(level)
    if not 0.0 < elapsed_share <= 1.0:
        raise ValueError(f"elapsed_share must be in (0, 1], got {elapsed_share!r}")
    if not is_count:
        return (float(ytd), math.nan, math.nan)
    if ytd < 0:
        raise ValueError(f"ytd count must be non-negative, got {ytd!r}")
    if elapsed_share == 1.0:
        return (float(ytd), float(ytd), float(ytd))
    remaining_share = 1.0 - elapsed_share
    success_probability = elapsed_share / (elapsed_share + remaining_share)
    low = ytd + _nbinom_quantile((1.0 - level) / 2.0, ytd + 0.5, success_probability)
    high = ytd + _nbinom_quantile((1.0 + level) / 2.0, ytd + 0.5, success_probability)
    return (float(ytd / elapsed_share), float(low), float(high))


def judge_count(
    actual: int,
    target: float,
    *,
    direction: str,
    lower_is_better: bool | None = None,
    alpha: float = 0.05,
) -> Significance:
    """Judge a YTD count against its YTD target with the exact Poisson test."""
    p_value = count_p_value(actual, target)
    label = significance_label(
        p_value, actual, target, direction=direction, lower_is_better=lower_is_better, alpha=alpha
    )
    return Significance(p_value=p_value, label=label)


def judge_proportion(
    successes: int,
    trials: int,
    target_proportion: float,
    *,
    direction: str,
    lower_is_better: bool | None = None,
    alpha: float = 0.05,
) -> Significance:
    """Judge a YTD proportion against its target proportion with the exact binomial test."""
    p_value = proportion_p_value(successes, trials, target_proportion)
    actual = successes / trials if trials else math.nan
    label = significance_label(
        p_value,
        actual,
        target_proportion,
        direction=direction,
        lower_is_better=lower_is_better,
        alpha=alpha,
    )
    return Significance(p_value=p_value, label=label)
