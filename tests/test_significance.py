"""Checks csp.stats.significance against independent calculations, not the same scipy calls."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import stats

from csp.stats.significance import (
    Significance,
    count_p_value,
    judge_count,
    judge_proportion,
    projection_interval,
    proportion_p_value,
    significance_label,
    wilson_interval,
)

SCIPY_MINLIKE_RELATIVE_TOLERANCE = 1 + 1e-7


def poisson_pmf(k: int, mean: float) -> float:
    """Poisson probability from logs, so the check does not share scipy's code path."""
    return math.exp(k * math.log(mean) - mean - math.lgamma(k + 1))


def poisson_tails_by_summation(actual: int, mean: float) -> tuple[float, float]:
    """P(X <= actual) and P(X >= actual) by summing the pmf term by term."""
    upper_limit = int(mean + 40 * math.sqrt(mean) + 100)
    at_most = math.fsum(poisson_pmf(k, mean) for k in range(actual + 1))
    at_least = math.fsum(poisson_pmf(k, mean) for k in range(actual, upper_limit))
    return at_most, at_least


def binomial_minlike_by_summation(successes: int, trials: int, proportion: float) -> float:
    """Two-sided exact binomial p: total probability of outcomes no likelier than the observed."""
    pmf = [
        math.comb(trials, k) * proportion**k * (1 - proportion) ** (trials - k)
        for k in range(trials + 1)
    ]
    observed = pmf[successes]
    return min(1.0, math.fsum(p for p in pmf if p <= observed * SCIPY_MINLIKE_RELATIVE_TOLERANCE))


def wilson_by_formula(successes: int, trials: int, level: float) -> tuple[float, float]:
    """Wilson score interval written out from the normal quantile."""
    z = stats.norm.ppf((1 + level) / 2)
    share = successes / trials
    denominator = 1 + z**2 / trials
    centre = (share + z**2 / (2 * trials)) / denominator
    half_width = z * math.sqrt(share * (1 - share) / trials + z**2 / (4 * trials**2)) / denominator
    return centre - half_width, centre + half_width


@pytest.mark.parametrize(
    ("actual", "expected"),
    [(52, 41.0), (30, 41.0), (41, 41.0), (0, 3.0), (1, 0.2), (7, 2.5), (250, 200.0), (5, 12.7)],
)
def test_count_p_value_matches_direct_pmf_sum(actual: int, expected: float) -> None:
    at_most, at_least = poisson_tails_by_summation(actual, expected)
    assert count_p_value(actual, expected) == pytest.approx(
        min(1.0, 2 * min(at_most, at_least)), rel=1e-9, abs=1e-12
    )


def test_brief_example_52_against_41_is_within_normal_variation() -> None:
    _, one_sided = poisson_tails_by_summation(52, 41.0)
    result = judge_count(52, 41, direction="maintain")
    assert f"{one_sided:.2g}" == "0.055"
    assert f"{result.p_value:.2g}" == "0.11"
    assert result.label == "within normal variation"


def test_clearly_significant_counts_are_labelled_by_direction() -> None:
    assert judge_count(80, 41, direction="reduce").label == "worse"
    assert judge_count(80, 41, direction="maintain").label == "worse"
    assert judge_count(20, 41, direction="reduce").label == "better"
    assert judge_count(20, 41, direction="increase").label == "worse"
    assert judge_count(80, 41, direction="increase").label == "better"
    assert judge_count(80, 41, direction="reduce").p_value < 1e-6


def test_maintain_honours_lower_is_better_false() -> None:
    assert judge_count(80, 41, direction="maintain", lower_is_better=False).label == "better"
    assert judge_count(20, 41, direction="maintain", lower_is_better=False).label == "worse"


def test_zero_count_and_zero_expected_edges() -> None:
    assert count_p_value(0, 3.0) == pytest.approx(2 * math.exp(-3.0))
    assert count_p_value(0, 0.0) == 1.0
    assert count_p_value(3, 0.0) == 0.0
    assert count_p_value(0, -1.0) == 1.0
    assert judge_count(0, 0, direction="reduce").label == "within normal variation"
    with pytest.raises(ValueError, match="non-negative"):
        count_p_value(-1, 5.0)


@pytest.mark.parametrize(
    ("successes", "trials", "proportion"),
    [(3, 10, 0.5), (18, 40, 0.7), (0, 12, 0.3), (25, 25, 0.8), (7, 60, 0.05), (45, 90, 0.5)],
)
def test_proportion_p_value_matches_direct_pmf_sum(
    successes: int, trials: int, proportion: float
) -> None:
    assert proportion_p_value(successes, trials, proportion) == pytest.approx(
        binomial_minlike_by_summation(successes, trials, proportion), rel=1e-9, abs=1e-12
    )


def test_proportion_edges() -> None:
    assert math.isnan(proportion_p_value(0, 0, 0.5))
    with pytest.raises(ValueError, match="successes <= trials"):
        proportion_p_value(5, 4, 0.5)
    with pytest.raises(ValueError, match="expected_proportion"):
        proportion_p_value(1, 4, 1.5)


def test_judge_proportion_labels() -> None:
    assert judge_proportion(70, 100, 0.5, direction="increase").label == "better"
    assert judge_proportion(30, 100, 0.5, direction="increase").label == "worse"
    assert judge_proportion(52, 100, 0.5, direction="increase").label == "within normal variation"
    no_exits = judge_proportion(0, 0, 0.6, direction="increase")
    assert math.isnan(no_exits.p_value)
    assert no_exits.label == "within normal variation"


@pytest.mark.parametrize(
    ("successes", "trials", "level"),
    [(3, 10, 0.95), (0, 15, 0.95), (15, 15, 0.90), (37, 120, 0.99), (1, 1, 0.95)],
)
def test_wilson_interval_matches_closed_form(successes: int, trials: int, level: float) -> None:
    low, high = wilson_interval(successes, trials, level)
    expected_low, expected_high = wilson_by_formula(successes, trials, level)
    assert low == pytest.approx(expected_low, abs=1e-12)
    assert high == pytest.approx(expected_high, abs=1e-12)
    assert 0.0 <= low <= successes / trials <= high <= 1.0


def test_wilson_interval_with_no_trials_is_nan() -> None:
    low, high = wilson_interval(0, 0)
    assert math.isnan(low)
    assert math.isnan(high)


def simulate_year_end_totals(ytd: int, elapsed_share: float, draws: int = 200_000) -> np.ndarray:
    """Draw the rest-of-year rate from the Jeffreys gamma posterior, then the remaining count."""
    rng = np.random.default_rng(20240401)
    rates = rng.gamma(shape=ytd + 0.5, scale=1 / elapsed_share, size=draws)
    return ytd + rng.poisson(rates * (1 - elapsed_share))


@pytest.mark.parametrize(
    ("ytd", "months", "level"), [(30, 6, 0.90), (52, 9, 0.90), (4, 3, 0.80), (0, 2, 0.90)]
)
def test_run_rate_projection_matches_simulation(ytd: int, months: int, level: float) -> None:
    point, low, high = projection_interval(ytd, months / 12, level)
    totals = simulate_year_end_totals(ytd, months / 12)
    tail = (1 - level) / 2
    assert point == pytest.approx(ytd * 12 / months)
    assert low == pytest.approx(np.quantile(totals, tail, method="inverted_cdf"), abs=1)
    assert high == pytest.approx(np.quantile(totals, 1 - tail, method="inverted_cdf"), abs=1)
    assert ytd <= low <= high


def test_baseline_profile_projection_matches_simulation() -> None:
    baseline_share = 0.37
    point, low, high = projection_interval(41, baseline_share)
    totals = simulate_year_end_totals(41, baseline_share)
    assert point == pytest.approx(41 / baseline_share)
    assert low == pytest.approx(np.quantile(totals, 0.05, method="inverted_cdf"), abs=1)
    assert high == pytest.approx(np.quantile(totals, 0.95, method="inverted_cdf"), abs=1)
    assert low < point < high


def test_projection_edges() -> None:
    assert projection_interval(120, 1.0) == (120.0, 120.0, 120.0)
    point, low, high = projection_interval(0.62, 0.5, is_count=False)
    assert point == 0.62
    assert math.isnan(low)
    assert math.isnan(high)
    for bad_share in (0.0, -0.1, 1.2):
        with pytest.raises(ValueError, match="elapsed_share"):
            projection_interval(10, bad_share)


def test_invalid_direction_names_value_and_allowed_options() -> None:
    with pytest.raises(ValueError, match="sideways") as excinfo:
        significance_label(0.01, 10, 5, direction="sideways")
    for allowed in ("reduce", "increase", "maintain"):
        assert allowed in str(excinfo.value)
    with pytest.raises(ValueError, match="sideways"):
        judge_count(10, 5, direction="sideways")


def test_label_treats_nan_and_non_significant_p_as_normal_variation() -> None:
    assert significance_label(math.nan, 80, 41, direction="reduce") == "within normal variation"
    assert significance_label(0.05, 80, 41, direction="reduce") == "within normal variation"
    assert significance_label(0.049, 80, 41, direction="reduce") == "worse"
    assert significance_label(0.04, 80, 41, direction="reduce", alpha=0.01) == (
        "within normal variation"
    )


def test_significance_is_frozen() -> None:
    result = Significance(p_value=0.2, label="within normal variation")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.label = "better"  # type: ignore[misc]


# csp.stats.significance is written on scipy.special (scipy.stats costs a second to import in every
# run); these check it gives scipy.stats' answers across the range a dashboard meets.
GRID_COUNTS = [0, 1, 2, 5, 9, 33, 100, 241, 470, 3676, 100_000]


@pytest.mark.parametrize("actual", GRID_COUNTS)
@pytest.mark.parametrize("expected", [0.5, 3.0, 40.0, 109.0, 2500.0, 99_000.0])
def test_count_p_value_agrees_with_scipy_stats(actual: int, expected: float) -> None:
    at_most = stats.poisson.cdf(actual, expected)
    at_least = stats.poisson.sf(actual - 1, expected)
    reference = min(1.0, 2.0 * min(at_most, at_least))
    assert count_p_value(actual, expected) == pytest.approx(reference, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("trials", [1, 7, 20, 113, 1000, 25_000])
@pytest.mark.parametrize("share", [0.0, 0.05, 0.3, 0.5, 0.61, 0.97, 1.0])
@pytest.mark.parametrize("proportion", [0.0, 0.02, 0.25, 0.5, 0.8, 1.0])
def test_proportion_tests_agree_with_scipy_stats(
    trials: int, share: float, proportion: float
) -> None:
    successes = round(trials * share)
    reference = stats.binomtest(successes, trials, proportion).pvalue
    assert proportion_p_value(successes, trials, proportion) == pytest.approx(
        reference, rel=1e-9, abs=1e-300
    )
    interval = stats.binomtest(successes, trials).proportion_ci(0.95, method="wilson")
    assert wilson_interval(successes, trials, 0.95) == pytest.approx(
        (interval.low, interval.high), rel=1e-12, abs=1e-15
    )


@pytest.mark.parametrize("ytd", [0, 1, 4, 12, 33, 240, 3676, 100_000])
@pytest.mark.parametrize("share", [1 / 12, 0.25, 0.5, 0.75, 11 / 12])
@pytest.mark.parametrize("level", [0.8, 0.9, 0.95])
def test_projection_interval_agrees_with_scipy_stats(ytd: int, share: float, level: float) -> None:
    remaining = stats.nbinom(ytd + 0.5, share)
    expected = (ytd + remaining.ppf((1 - level) / 2), ytd + remaining.ppf((1 + level) / 2))
    assert projection_interval(ytd, share, level)[1:] == expected
