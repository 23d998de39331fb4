"""NHS England "Making Data Count" XmR charts: process limits and special-cause rules.

Follows NHSRplotthedots conventions (limits, outlier screening, 7-point runs, 2-of-3 near the
limits) so dashboards label variation the way NHS SPC tools do; `xmr` notes where it differs.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike

PROCESS_LIMIT_MULTIPLIER = 2.66
NEAR_LIMIT_MULTIPLIER = 2 / 3 * PROCESS_LIMIT_MULTIPLIER
OUTLIER_SCREEN_MULTIPLIER = 3.267
RUN_LENGTH = 7
MIN_BASELINE_POINTS = 12

IMPROVEMENT_SIGNS = {"increase": 1, "decrease": -1, "neutral": 0}
RULE_PRECEDENCE = ("outside_limits", "trend", "two_in_three", "shift")

COMMON_CAUSE = "common_cause"
SPECIAL_CAUSE_IMPROVEMENT = "special_cause_improvement"
SPECIAL_CAUSE_CONCERN = "special_cause_concern"
SPECIAL_CAUSE_NEUTRAL_HIGH = "special_cause_neutral_high"
SPECIAL_CAUSE_NEUTRAL_LOW = "special_cause_neutral_low"

CONSISTENT_PASS = "consistent_pass"
CONSISTENT_FAIL = "consistent_fail"
INCONSISTENT = "inconsistent"

COLUMNS = (
    "value",
    "mean",
    "lpl",
    "upl",
    "nlpl",
    "nupl",
    "period",
    "trial_limits",
    "outside_limits",
    "relative_to_mean",
    "close_to_limits",
    "rule",
    "rule_side",
    "point_type",
    "target",
)


def _improvement_sign(improvement: str) -> int:
    """Map an improvement direction to +1/-1/0, so a typo cannot silently mislabel points."""
    try:
        return IMPROVEMENT_SIGNS[improvement]
    except (KeyError, TypeError):
        choices = ", ".join(repr(name) for name in IMPROVEMENT_SIGNS)
        raise ValueError(f"improvement must be one of {choices}; got {improvement!r}") from None


def _run_end_markers(signs: ArrayLike, length: int) -> np.ndarray:
    """Sign of each run of `length` equal non-zero signs, marked at the run's last position."""
    signs = np.asarray(signs, dtype=int)
    markers = np.zeros(signs.size, dtype=int)
    if signs.size >= length:
        windows = sliding_window_view(signs, length)
        markers[length - 1 :] = np.where((windows == windows[:, :1]).all(axis=1), windows[:, 0], 0)
    return markers


def seven_point_trend(values: ArrayLike) -> np.ndarray:
    """+1/-1 where a point ends 7 strictly increasing/decreasing points; a tie breaks the run."""
    values = np.asarray(values, dtype=float)
    markers = np.zeros(values.size, dtype=int)
    if values.size > 1:
        markers[1:] = _run_end_markers(np.sign(np.diff(values)), RUN_LENGTH - 1)
    return markers


def seven_point_one_side(relative_to_mean: ArrayLike) -> np.ndarray:
    """+1/-1 where a point ends 7 points on one side of the mean; a point on the mean breaks it."""
    return _run_end_markers(relative_to_mean, RUN_LENGTH)


def part_of_seven_run(end_markers: ArrayLike) -> np.ndarray:
    """Spread run-end markers over the run's 7 points; a point in two runs takes the later one.

    The later run matches NHSRplotthedots, which labels a trend's turning point by its right side.
    """
    markers = np.asarray(end_markers, dtype=int)
    if markers.size == 0:
        return markers
    windows = sliding_window_view(np.pad(markers, (0, RUN_LENGTH - 1)), RUN_LENGTH)
    last_marker = RUN_LENGTH - 1 - np.argmax(windows[:, ::-1] != 0, axis=1)
    return windows[np.arange(markers.size), last_marker]


def two_in_three_window(close_to_limits: ArrayLike, relative_to_mean: ArrayLike) -> np.ndarray:
    """True for points in any 3-point window with >= 2 near-limit points, all 3 on one side."""
    close = np.asarray(close_to_limits, dtype=bool).astype(int)
    sides = np.asarray(relative_to_mean, dtype=int)
    if close.shape != sides.shape:
        raise ValueError("close_to_limits and relative_to_mean must have the same length")
    if close.size == 0:
        return np.zeros(0, dtype=bool)
    close_counts = sliding_window_view(np.pad(close, 2), 3).sum(axis=1)
    side_sums = sliding_window_view(np.pad(sides, 2), 3).sum(axis=1)
    qualifying = (close_counts >= 2) & (np.abs(side_sums) == 3)
    return sliding_window_view(qualifying, 3).any(axis=1)


def two_in_three(close_to_limits: ArrayLike, relative_to_mean: ArrayLike) -> np.ndarray:
    """Side (+1/-1) of near-limit points in a qualifying window; its third point is not flagged."""
    in_window = two_in_three_window(close_to_limits, relative_to_mean)
    flagged = in_window & np.asarray(close_to_limits, dtype=bool)
    return np.where(flagged, np.asarray(relative_to_mean, dtype=int), 0)


def _as_finite_values(values: ArrayLike) -> np.ndarray:
    """Values as a 1-D float array; NaN or infinity would make every limit meaningless."""
    if isinstance(values, pd.Series):
        array = values.to_numpy(dtype=float, na_value=np.nan)
    else:
        array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ValueError(f"values must be one-dimensional; got {array.ndim} dimensions")
    bad_positions = np.flatnonzero(~np.isfinite(array))
    if bad_positions.size:
        position = int(bad_positions[0])
        raise ValueError(
            f"values must be finite numbers; got {array[position]} at position {position}"
        )
    return array


def _baseline_size(fix_after_n_points: int | None) -> int | None:
    """Validate the fixed-baseline length; None means every point of a period is baseline."""
    if fix_after_n_points is None:
        return None
    if (
        isinstance(fix_after_n_points, bool)
        or not isinstance(fix_after_n_points, numbers.Integral)
        or fix_after_n_points < 1
    ):
        raise ValueError(
            "fix_after_n_points must be a positive whole number or None; "
            f"got {fix_after_n_points!r}"
        )
    return int(fix_after_n_points)


def _period_bounds(rebase_at: Iterable[int], size: int) -> list[tuple[int, int]]:
    """(start, stop) of each period; rejects positions outside the series rather than guessing."""
    starts = {operator.index(position) for position in rebase_at}
    outside = sorted(position for position in starts if not 0 <= position < size)
    if outside:
        raise ValueError(f"rebase_at positions must be within 0..{size - 1}; got {outside}")
    ordered = sorted(starts | {0})
    return list(zip(ordered, [*ordered[1:], size], strict=True))


def _mean_and_moving_range(baseline: np.ndarray, screen_outliers: bool) -> tuple[float, float]:
    """Baseline mean and mean moving range; the range is NaN when the baseline never varies."""
    if baseline.size == 0:
        return math.nan, math.nan
    moving_ranges = np.abs(np.diff(baseline))
    if not moving_ranges.any():
        return float(baseline.mean()), math.nan
    mean_range = moving_ranges.mean()
    if screen_outliers:
        mean_range = moving_ranges[moving_ranges < OUTLIER_SCREEN_MULTIPLIER * mean_range].mean()
    return float(baseline.mean()), float(mean_range)


def _period_columns(
    values: np.ndarray,
    period: int,
    baseline_size: int | None,
    screen_outliers: bool,
) -> dict[str, np.ndarray]:
    """Limits and rule results for one period, which never looks at another period's points."""
    baseline = values[:baseline_size]
    mean, mean_range = _mean_and_moving_range(baseline, screen_outliers)
    spread, near_spread = PROCESS_LIMIT_MULTIPLIER * mean_range, NEAR_LIMIT_MULTIPLIER * mean_range
    lpl, upl, nlpl, nupl = mean - spread, mean + spread, mean - near_spread, mean + near_spread

    outside_side = np.where(values > upl, 1, np.where(values < lpl, -1, 0))
    relative_to_mean = np.sign(values - mean).astype(int)
    close_to_limits = (outside_side == 0) & ((values > nupl) | (values < nlpl))
    rule_sides = (
        outside_side,
        part_of_seven_run(seven_point_trend(values)),
        two_in_three(close_to_limits, relative_to_mean),
        part_of_seven_run(seven_point_one_side(relative_to_mean)),
    )
    fired = [side != 0 for side in rule_sides]
    size = values.size
    return {
        "value": values,
        "mean": np.full(size, mean),
        "lpl": np.full(size, lpl),
        "upl": np.full(size, upl),
        "nlpl": np.full(size, nlpl),
        "nupl": np.full(size, nupl),
        "period": np.full(size, period, dtype=np.int64),
        "trial_limits": np.full(size, baseline.size < MIN_BASELINE_POINTS),
        "outside_limits": outside_side != 0,
        "relative_to_mean": relative_to_mean,
        "close_to_limits": close_to_limits,
        "rule": np.select(fired, RULE_PRECEDENCE, default=""),
        "rule_side": np.select(fired, rule_sides, default=0),
    }


def _point_types(rule_side: np.ndarray, improvement_sign: int) -> np.ndarray:
    """Label each point from the side of its rule, oriented by the improvement direction."""
    if improvement_sign == 0:
        labels = (SPECIAL_CAUSE_NEUTRAL_HIGH, SPECIAL_CAUSE_NEUTRAL_LOW)
    else:
        labels = (SPECIAL_CAUSE_IMPROVEMENT, SPECIAL_CAUSE_CONCERN)
    oriented = rule_side * (improvement_sign or 1)
    return np.select([oriented > 0, oriented < 0], labels, default=COMMON_CAUSE)


def xmr(
    values: ArrayLike,
    *,
    improvement: str,
    target: float | None = None,
    screen_outliers: bool = True,
    fix_after_n_points: int | None = None,
    rebase_at: Iterable[int] = (),
) -> pd.DataFrame:
    """XmR chart: one row per value with its period's limits and the special-cause rule it meets.

    Rules (first match wins): outside_limits, trend, two_in_three, shift. `rule_side` is the
    rule's direction (+1 above/increasing, -1 below/decreasing). Unlike NHSRplotthedots, a baseline
    without variation gives NaN limits (not limits equal to the mean), and baselines may be shorter
    than 12 points (flagged by `trial_limits`).
    """
    columns = xmr_columns(
        values,
        improvement=improvement,
        target=target,
        screen_outliers=screen_outliers,
        fix_after_n_points=fix_after_n_points,
        rebase_at=rebase_at,
    )
    index = values.index if isinstance(values, pd.Series) else None
    return pd.DataFrame(columns, columns=list(COLUMNS), index=index)


def xmr_columns(
    values: ArrayLike,
    *,
    improvement: str,
    target: float | None = None,
    screen_outliers: bool = True,
    fix_after_n_points: int | None = None,
    rebase_at: Iterable[int] = (),
) -> dict[str, np.ndarray]:
    """`xmr`'s columns as arrays, for callers judging many charts: a DataFrame per chart costs
    more than the chart's arithmetic."""
    improvement_sign = _improvement_sign(improvement)
    array = _as_finite_values(values)
    baseline_size = _baseline_size(fix_after_n_points)
    periods = [
        _period_columns(array[start:stop], period, baseline_size, screen_outliers)
        for period, (start, stop) in enumerate(_period_bounds(rebase_at, array.size))
    ]
    columns = {name: np.concatenate([period[name] for period in periods]) for name in periods[0]}
    columns["point_type"] = _point_types(columns["rule_side"], improvement_sign)
    columns["target"] = np.full(array.size, math.nan if target is None else float(target))
    return columns


def assurance(
    result: pd.DataFrame | Mapping[str, np.ndarray], *, improvement: str, target: float | None
) -> str | None:
    """Whether the latest limits say the target is always met, never met, or met by chance.

    None when there is nothing to judge: no target, neutral direction, no rows or NaN limits.
    `result` is `xmr`'s frame or `xmr_columns`' arrays.
    """
    improvement_sign = _improvement_sign(improvement)
    lpls, upls = np.asarray(result["lpl"]), np.asarray(result["upl"])
    if target is None or improvement_sign == 0 or not lpls.size:
        return None
    target = float(target)
    lpl, upl = float(lpls[-1]), float(upls[-1])
    if math.isnan(target) or math.isnan(lpl) or math.isnan(upl):
        return None
    if target > upl:
        return CONSISTENT_FAIL if improvement_sign > 0 else CONSISTENT_PASS
    if target < lpl:
        return CONSISTENT_PASS if improvement_sign > 0 else CONSISTENT_FAIL
    return INCONSISTENT


def variation(result: pd.DataFrame | Mapping[str, np.ndarray], *, improvement: str) -> str:
    """Variation icon for the latest point: its rule's side oriented by `improvement`.

    Equals the last row's point_type when `improvement` is the one passed to `xmr`.
    """
    improvement_sign = _improvement_sign(improvement)
    sides = np.asarray(result["rule_side"])
    if not sides.size:
        return COMMON_CAUSE
    last_side = np.array([int(sides[-1])])
    return str(_point_types(last_side, improvement_sign)[0])
