"""Statistical checks that separate real changes in a measure from normal variation.

A YTD actual can miss its target by chance alone; these helpers give exact p-values, intervals
and year-end projections so the dashboard only calls a measure better or worse when the gap
is unlikely to be noise.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from types import ModuleType

WITHIN_NORMAL_VARIATION = "within normal variation"
BETTER = "better"
WORSE = "worse"
DIRECTIONS = ("reduce", "increase", "maintain")


def _scipy_stats() -> ModuleType:
    """scipy.stats, imported on first use: it costs over a second, and only the measure step
    tests or projects anything (the run's parent process and other kernels never pay it)."""
    return importlib.import_module("scipy.stats")


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
    stats = _scipy_stats()
    at_most = stats.poisson.cdf(actual, expected)
    at_least = stats.poisson.sf(actual - 1, expected)
    return float(min(1.0, 2.0 * min(at_most, at_least)))


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
    result = _scipy_stats().binomtest(
        successes, trials, expected_proportion, alternative="two-sided"
    )
    return float(result.pvalue)


def wilson_interval(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion (0..1); stays sensible near 0 and 1 and small n.

    Returns (nan, nan) when there are no trials.
    """
    _check_level(level)
    if trials < 0 or not 0 <= successes <= max(trials, 0):
        raise ValueError(f"need 0 <= successes <= trials, got {successes!r} of {trials!r}")
    if trials == 0:
        return (math.nan, math.nan)
    interval = (
        _scipy_stats()
        .binomtest(successes, trials)
        .proportion_ci(confidence_level=level, method="wilson")
    )
    return (float(interval.low), float(interval.high))


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
    remaining_count = _scipy_stats().nbinom(ytd + 0.5, success_probability)
    low = ytd + remaining_count.ppf((1.0 - level) / 2.0)
    high = ytd + remaining_count.ppf((1.0 + level) / 2.0)
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
