"""Checks csp.stats.spc against the published plot-the-dots test vectors and hand-worked XmR cases."""

from __future__ import annotations

import json
import math
import re
import warnings
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from shared_data import SHARED_ROOT, shared_path

from csp.stats.spc import (
    COLUMNS,
    NEAR_LIMIT_MULTIPLIER,
    OUTLIER_SCREEN_MULTIPLIER,
    PROCESS_LIMIT_MULTIPLIER,
    RULE_PRECEDENCE,
    assurance,
    part_of_seven_run,
    seven_point_one_side,
    seven_point_trend,
    two_in_three,
    two_in_three_window,
    variation,
    xmr,
)

SPC_REFERENCE = ("reference", "spc")
NHSR_VECTORS = "nhsrplotthedots_test_vectors.json"
NHSPY_VECTORS = "nhspy_plotthedots_test_vectors.json"
SNAPSHOT_FIELDS = {"mean_col": "mean", "lpl": "lpl", "upl": "upl"}

# Twelve alternating points: mean 10.5, every moving range 1, so lpl 7.84, upl 13.16,
# nlpl 8.7267 and nupl 12.2733; fixing limits on them makes later points easy to place.
BASELINE = [10.0, 11.0] * 6


@cache
def _read_json(path: Path) -> dict[str, Any]:
    """Parse a reference file once, however many cases read it."""
    return json.loads(path.read_text(encoding="utf-8"))


def reference_vectors(filename: str) -> dict[str, Any]:
    """A reference file's blocks, skipping or failing the test through shared_path if absent."""
    return _read_json(shared_path(*SPC_REFERENCE, filename))


def reference_cases(filename: str, block: str) -> list[Any]:
    """Case indices to parametrise over, read at collection time.

    Without the data there is one placeholder, so the test itself skips (or fails) via shared_path.
    """
    path = SHARED_ROOT.joinpath(*SPC_REFERENCE, filename)
    if not path.exists():
        return [pytest.param(0, id="shared-data-missing")]
    cases = _read_json(path)[block]["cases"]
    return [pytest.param(index, id=str(case.get("id", index))) for index, case in enumerate(cases)]


def reference_case(filename: str, block: str, index: int) -> dict[str, Any]:
    """One case of one block."""
    return reference_vectors(filename)[block]["cases"][index]


def significant_digits(printed: float) -> int:
    """Significant digits of a transcribed number (trailing zeros were lost in the JSON)."""
    return len(Decimal(repr(printed)).normalize().as_tuple().digits)


def printed_half_unit(printed: float, case: dict[str, Any]) -> float:
    """Half a unit in the last place upstream printed, i.e. the widest rounding error allowed.

    Cases marked "(N dp)" were printed to N decimals. The others were printed to a fixed number
    of significant digits for the whole case, which its longest number shows (-2.6 was -2.60).
    """
    decimals = re.search(r"\((\d+) dp\)", case.get("from", ""))
    if decimals:
        return 0.5 * 10.0 ** -int(decimals.group(1))
    digits = max(significant_digits(case[field]) for field in SNAPSHOT_FIELDS)
    return 0.5 * 10.0 ** (math.floor(math.log10(abs(printed))) - digits + 1)


def assert_matches_printed(actual: float, printed: float, case: dict[str, Any]) -> None:
    """Fail unless `actual` rounds to what upstream printed."""
    half_unit = printed_half_unit(printed, case)
    assert abs(actual - printed) <= half_unit * (1 + 1e-9), (actual, printed, half_unit)


def only_value(column: pd.Series) -> float:
    """The single value a per-period column holds, failing if rows disagree."""
    assert column.nunique(dropna=False) == 1, column.unique()
    return float(column.iloc[0])


# --- Reference file structure ----------------------------------------------------------------

COVERED_BLOCKS = {
    NHSR_VECTORS: {
        "seven_point_one_side_mean",
        "part_of_seven_trend",
        "seven_point_trend",
        "two_in_three_window",
        "two_in_three_flagged_points",
        "special_cause_type_precedence",
        "assurance",
        "limits_snapshots",
    },
    NHSPY_VECTORS: {"limits_calculations", "spc_x_calc", "seven_point_trend"},
}


@pytest.mark.parametrize("filename", sorted(COVERED_BLOCKS))
def test_every_reference_block_is_tested(filename: str) -> None:
    """A block added to the shared vectors must not go untested unnoticed."""
    blocks = set(reference_vectors(filename)) - {"source", "constants"}
    assert blocks == COVERED_BLOCKS[filename]


def test_constants_match_reference() -> None:
    """The multipliers are the ones the vectors were produced with."""
    constants = reference_vectors(NHSR_VECTORS)["constants"]
    assert constants["process_limit_multiplier"] == PROCESS_LIMIT_MULTIPLIER
    assert constants["outlier_screen_mr_multiplier"] == OUTLIER_SCREEN_MULTIPLIER
    near = float(re.search(r"=([\d.]+)", constants["near_limit_multiplier"]).group(1))
    assert pytest.approx(near, abs=1e-5) == NEAR_LIMIT_MULTIPLIER


# --- NHSRplotthedots vectors -----------------------------------------------------------------


@pytest.mark.parametrize("index", reference_cases(NHSR_VECTORS, "seven_point_one_side_mean"))
def test_nhsr_seven_point_one_side_mean(index: int) -> None:
    """Upstream marks each run end with 1 whatever the side; ours returns the side, hence abs."""
    case = reference_case(NHSR_VECTORS, "seven_point_one_side_mean", index)
    markers = seven_point_one_side(case["input"])
    assert np.abs(markers).tolist() == case["expected"]
    assert (markers == np.where(markers != 0, case["input"], 0)).all()


@pytest.mark.parametrize("index", reference_cases(NHSR_VECTORS, "part_of_seven_trend"))
def test_nhsr_part_of_seven_trend(index: int) -> None:
    """Upstream returns 1 for points in a run of either sign; ours keeps the sign, hence abs."""
    case = reference_case(NHSR_VECTORS, "part_of_seven_trend", index)
    assert np.abs(part_of_seven_run(case["input"])).tolist() == case["expected"]


@pytest.mark.parametrize("index", reference_cases(NHSR_VECTORS, "seven_point_trend"))
def test_nhsr_seven_point_trend(index: int) -> None:
    """Same convention as upstream: signed markers at the end of each 7-point run."""
    case = reference_case(NHSR_VECTORS, "seven_point_trend", index)
    assert seven_point_trend(case["input"]).tolist() == case["expected"]


@pytest.mark.parametrize("index", reference_cases(NHSR_VECTORS, "two_in_three_window"))
def test_nhsr_two_in_three_window(index: int) -> None:
    """Same convention as upstream: every point of a qualifying 3-point window."""
    case = reference_case(NHSR_VECTORS, "two_in_three_window", index)
    window = two_in_three_window(case["close_to_limits"], case["relative_to_mean"])
    assert window.astype(int).tolist() == case["expected"]


@pytest.mark.parametrize("index", reference_cases(NHSR_VECTORS, "two_in_three_flagged_points"))
def test_nhsr_two_in_three_flagged_points(index: int) -> None:
    """Upstream flags with 1; ours gives the flagged point's side of the mean instead."""
    case = reference_case(NHSR_VECTORS, "two_in_three_flagged_points", index)
    flagged = two_in_three(case["close_to_limits"], case["relative_to_mean"])
    assert flagged.tolist() == (np.array(case["expected"]) * case["relative_to_mean"]).tolist()


def test_nhsr_special_cause_precedence() -> None:
    """The block has no cases, only the rule order, which must be ours."""
    order = reference_vectors(NHSR_VECTORS)["special_cause_type_precedence"]["order"]
    upstream_keywords = {
        "outside_limits": "outside process limits",
        "trend": "7 Point Trend",
        "two_in_three": "2 in 3",
        "shift": "7 Points",
    }
    assert len(order) == len(RULE_PRECEDENCE) + 1
    for label, rule in zip(order, RULE_PRECEDENCE, strict=False):
        assert upstream_keywords[rule] in label
    assert order[-1] == "Common Cause"


@pytest.mark.parametrize("index", reference_cases(NHSR_VECTORS, "assurance"))
def test_nhsr_assurance(index: int) -> None:
    """The vectors give the last point's limits directly, so a one-row frame stands in for xmr."""
    case = reference_case(NHSR_VECTORS, "assurance", index)
    last_row = pd.DataFrame({"lpl": [float(case["lpl"])], "upl": [float(case["upl"])]})
    improvement = case["improvement_direction"]
    assert assurance(last_row, improvement=improvement, target=case["target"]) == case["expected"]


@pytest.mark.parametrize("index", reference_cases(NHSR_VECTORS, "limits_snapshots"))
def test_nhsr_limits_snapshots(index: int) -> None:
    """Limits over the whole series, to the precision upstream printed them."""
    case = reference_case(NHSR_VECTORS, "limits_snapshots", index)
    result = xmr(case["y"], improvement="increase", screen_outliers=case["screen_outliers"])
    for field, column in SNAPSHOT_FIELDS.items():
        assert_matches_printed(only_value(result[column]), case[field], case)


def test_nhsr_snapshot_halves_as_rebased_periods() -> None:
    """The rnorm20 halves, printed as separate groups, are the two periods of a rebase at 10."""
    snapshots = reference_vectors(NHSR_VECTORS)["limits_snapshots"]["cases"]
    cases = {case["id"]: case for case in snapshots}
    first, last = cases["rnorm20_first10"], cases["rnorm20_last10"]
    result = xmr(first["y"] + last["y"], improvement="increase", rebase_at=[10])
    for period, case in enumerate((first, last)):
        rows = result[result["period"] == period]
        assert len(rows) == len(case["y"])
        for field, column in SNAPSHOT_FIELDS.items():
            assert_matches_printed(only_value(rows[column]), case[field], case)


# --- nhspy-plotthedots vectors ---------------------------------------------------------------


@pytest.mark.parametrize("index", reference_cases(NHSPY_VECTORS, "limits_calculations"))
def test_nhspy_limits_calculations(index: int) -> None:
    """nhspy always screens, which is our default."""
    case = reference_case(NHSPY_VECTORS, "limits_calculations", index)
    fields = reference_vectors(NHSPY_VECTORS)["limits_calculations"]["fields"]
    result = xmr(case["values"], improvement="increase")
    actual = [only_value(result[field]) for field in fields]
    assert actual == pytest.approx(case["expected"], rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("index", reference_cases(NHSPY_VECTORS, "spc_x_calc"))
def test_nhspy_spc_x_calc(index: int) -> None:
    """n_points maps to fix_after_n_points; special_cause_flag is any rule firing."""
    case = reference_case(NHSPY_VECTORS, "spc_x_calc", index)
    result = xmr(case["values"], improvement="increase", fix_after_n_points=case["n_points"])
    for field in ("mean", "lpl", "upl"):
        assert only_value(result[field]) == pytest.approx(case[field], rel=1e-12, abs=1e-12)
    assert result["outside_limits"].tolist() == case["outside_limits"]
    assert result["relative_to_mean"].tolist() == case["relative_to_mean"]
    assert result["close_to_limits"].tolist() == case["close_to_limits"]
    assert (result["rule"] != "").tolist() == case["special_cause_flag"]


@pytest.mark.parametrize("index", reference_cases(NHSPY_VECTORS, "seven_point_trend"))
def test_nhspy_seven_point_trend(index: int) -> None:
    """Same convention as ours: signed markers at every point ending a 7-point run."""
    case = reference_case(NHSPY_VECTORS, "seven_point_trend", index)
    assert seven_point_trend(case["values"]).tolist() == case["expected"]


# --- Rule functions --------------------------------------------------------------------------


def test_turning_point_of_two_trends_takes_the_later_trend() -> None:
    """As NHSRplotthedots labels it: the peak of up-then-down belongs to the decreasing run."""
    sides = part_of_seven_run(seven_point_trend([1, 2, 3, 4, 5, 6, 7, 6, 5, 4, 3, 2, 1]))
    assert sides.tolist() == [1] * 6 + [-1] * 7


def test_point_ending_a_run_keeps_its_own_side_when_next_run_starts_after_it() -> None:
    """Back-to-back runs that share no point (a drop or a tie between) keep their own direction."""
    sides = part_of_seven_run(seven_point_trend([1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6]))
    assert sides.tolist() == [1] * 14
    sides = part_of_seven_run(seven_point_trend([7, 6, 5, 4, 3, 2, 1, 1, 2, 3, 4, 5, 6, 7]))
    assert sides.tolist() == [-1] * 7 + [1] * 7


def test_rule_functions_accept_empty_and_short_input() -> None:
    """No special cause can be found in fewer than the rule's points."""
    assert seven_point_trend([]).tolist() == []
    assert seven_point_trend([3.0]).tolist() == [0]
    assert seven_point_one_side([1, 1]).tolist() == [0, 0]
    assert part_of_seven_run([]).tolist() == []
    assert two_in_three([], []).tolist() == []
    assert two_in_three([True], [1]).tolist() == [0]


def test_two_in_three_rejects_mismatched_lengths() -> None:
    """Misaligned inputs would compare the wrong points."""
    with pytest.raises(ValueError, match="same length"):
        two_in_three_window([1, 0, 1], [1, 1])


# --- xmr: limits, periods and baselines ------------------------------------------------------


def test_output_columns_and_types() -> None:
    """Callers rely on the column names and on booleans/ints being real booleans/ints."""
    result = xmr(BASELINE, improvement="increase", target=12)
    assert list(result.columns) == list(COLUMNS)
    assert result["value"].tolist() == BASELINE
    assert result["period"].dtype == np.int64
    assert result["relative_to_mean"].dtype == np.int64
    for column in ("trial_limits", "outside_limits", "close_to_limits"):
        assert result[column].dtype == bool
    assert result["target"].tolist() == [12.0] * len(BASELINE)
    assert result["mean"].tolist() == [10.5] * len(BASELINE)
    assert only_value(result["upl"]) == pytest.approx(13.16)
    assert only_value(result["nupl"]) == pytest.approx(10.5 + 2 / 3 * 2.66)


def test_empty_input_gives_empty_frame_with_columns() -> None:
    """An empty measure renders as an empty chart, not an error."""
    result = xmr([], improvement="increase")
    assert result.empty
    assert list(result.columns) == list(COLUMNS)
    assert variation(result, improvement="increase") == "common_cause"
    assert assurance(result, improvement="increase", target=1.0) is None


def test_series_index_is_kept() -> None:
    """Rows stay aligned with the caller's dates."""
    dates = pd.date_range("2024-01-01", periods=len(BASELINE), freq="MS")
    result = xmr(pd.Series(BASELINE, index=dates), improvement="increase")
    assert result.index.equals(dates)


def test_target_defaults_to_nan() -> None:
    """No target is a NaN column, so plotting code need not special-case it."""
    assert xmr(BASELINE, improvement="increase")["target"].isna().all()


def test_constant_series_has_nan_limits_and_only_common_cause() -> None:
    """A series that never varies has no spread to judge against, and must not warn or fail."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = xmr([4.0] * 15, improvement="increase", target=5.0)
    assert result["mean"].eq(4.0).all()
    assert result[["lpl", "upl", "nlpl", "nupl"]].isna().all().all()
    assert (result["point_type"] == "common_cause").all()
    assert (result["rule"] == "").all()
    assert not result["outside_limits"].any()
    assert not result["close_to_limits"].any()
    assert assurance(result, improvement="increase", target=5.0) is None
    assert variation(result, improvement="increase") == "common_cause"


def test_screening_can_collapse_limits_onto_the_mean() -> None:
    """[1,1,1,1,2]: the only non-zero range is screened out, so limits equal the mean, not NaN."""
    result = xmr([1, 1, 1, 1, 2], improvement="increase")
    for column in ("mean", "lpl", "upl", "nlpl", "nupl"):
        assert only_value(result[column]) == pytest.approx(1.2)
    assert result["outside_limits"].all()
    assert result["rule_side"].tolist() == [-1, -1, -1, -1, 1]


def test_screening_is_optional() -> None:
    """Unscreened limits match the NHS England Excel tool, which keeps every moving range."""
    values = [*BASELINE, 30.0]
    screened = xmr(values, improvement="increase")
    unscreened = xmr(values, improvement="increase", screen_outliers=False)
    mean = sum(values) / len(values)
    assert only_value(screened["upl"]) == pytest.approx(mean + 2.66 * 1.0)
    assert only_value(unscreened["upl"]) == pytest.approx(mean + 2.66 * (11 + 19) / 12)


def test_fix_after_n_points_applies_baseline_limits_to_later_points() -> None:
    """Later points are judged against, and do not move, the limits of the first n points."""
    values = [*BASELINE, 11.0, 20.0, 10.0, 12.5, 12.6]
    result = xmr(values, improvement="increase", fix_after_n_points=12)
    baseline = xmr(BASELINE, improvement="increase")
    for column in ("mean", "lpl", "upl", "nlpl", "nupl"):
        assert only_value(result[column]) == only_value(baseline[column])
    assert result["outside_limits"].tolist() == [False] * 13 + [True] + [False] * 3
    assert not result["trial_limits"].any()


def test_fix_after_n_points_longer_than_series_uses_every_point() -> None:
    """Fixing after more points than exist is the same as not fixing."""
    fixed = xmr(BASELINE, improvement="increase", fix_after_n_points=50)
    pd.testing.assert_frame_equal(fixed, xmr(BASELINE, improvement="increase"))


def test_constant_fixed_baseline_still_detects_a_shift() -> None:
    """NaN limits disable only the limit rules; 7 points above the baseline mean are a shift."""
    result = xmr([5.0, 5.0, 5.0, *[6.0] * 7], improvement="increase", fix_after_n_points=3)
    assert result["upl"].isna().all()
    assert result["rule"].tolist() == [""] * 3 + ["shift"] * 7


@pytest.mark.parametrize(
    ("values", "kwargs", "expected"),
    [
        (BASELINE[:11], {}, [True] * 11),
        (BASELINE, {}, [False] * 12),
        ([*BASELINE, *BASELINE], {"fix_after_n_points": 11}, [True] * 24),
        ([*BASELINE, 9.0, 10.0, 11.0], {"rebase_at": [12]}, [False] * 12 + [True] * 3),
    ],
)
def test_trial_limits_flag_baselines_under_12_points(
    values: list[float], kwargs: dict[str, Any], expected: list[bool]
) -> None:
    """Limits from fewer than 12 baseline points are provisional, per period."""
    assert xmr(values, improvement="increase", **kwargs)["trial_limits"].tolist() == expected


def test_rebase_periods_match_separate_charts() -> None:
    """Each period gets its own limits, and neither ranges nor rules reach across a rebase."""
    before = [5.0, 6.0, 5.0, 6.0, 5.0, 6.0, 5.0, 6.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    after = [30.0, 31.0, 32.0, 33.0, 32.0, 33.0, 32.0, 33.0, 32.0, 33.0, 32.0, 33.0]
    combined = [*before, *after]

    assert part_of_seven_run(seven_point_trend(combined))[8:17].tolist() == [1] * 9

    rebased = xmr(combined, improvement="increase", rebase_at=[len(before)])
    assert rebased["period"].tolist() == [0] * len(before) + [1] * len(after)
    assert "trend" not in set(rebased["rule"])
    for period, part in enumerate((before, after)):
        rows = rebased[rebased["period"] == period].reset_index(drop=True)
        alone = xmr(part, improvement="increase")
        pd.testing.assert_frame_equal(rows.drop(columns="period"), alone.drop(columns="period"))
    assert only_value(rebased["mean"].iloc[: len(before)]) == pytest.approx(sum(before) / 13)
    assert only_value(rebased["mean"].iloc[len(before) :]) == pytest.approx(sum(after) / 12)


def test_rebase_with_fixed_baseline_fixes_each_period() -> None:
    """fix_after_n_points counts from the start of each period."""
    values = [1.0, 2.0, 3.0, 10.0, 20.0, 30.0, 31.0, 50.0]
    result = xmr(values, improvement="increase", fix_after_n_points=3, rebase_at=[3])
    assert result["mean"].tolist() == [2.0] * 3 + [20.0] * 5


def test_shift_does_not_cross_a_rebase() -> None:
    """Four points above each period's mean either side of a rebase are not seven in a row."""
    before = [1.0, 2.0, 1.0, 2.0, 2.0, 2.0, 2.0]
    after = [2.0, 2.0, 2.0, 2.0, 1.0, 2.0, 1.0]
    rebased = xmr([*before, *after], improvement="increase", rebase_at=[len(before)])
    assert (rebased["rule"].iloc[3:11] == "").all()


# --- xmr: rules, precedence and labels -------------------------------------------------------


def test_outside_limits_beats_trend() -> None:
    """Points of a 7-point rise that cross the upper limit report the stronger rule."""
    values = [*BASELINE, 12.0, 13.0, 14.0, 15.0, 16.0]
    result = xmr(values, improvement="increase", fix_after_n_points=12)
    assert result["rule"].iloc[10:].tolist() == ["trend"] * 4 + ["outside_limits"] * 3
    assert result["rule"].iloc[:10].eq("").all()
    assert (result["point_type"].iloc[10:] == "special_cause_improvement").all()


def test_trend_beats_two_in_three_and_shift_and_labels_by_direction() -> None:
    """A fall that stays above the mean is a decreasing trend: concern when up is better."""
    values = [*BASELINE[:-1], 13.1, 13.0, 12.9, 12.8, 12.7, 12.6, 12.5]
    result = xmr(values, improvement="increase", fix_after_n_points=11)
    tail = result.iloc[11:]
    assert tail["close_to_limits"].all()
    assert (tail["relative_to_mean"] == 1).all()
    assert (tail["rule"] == "trend").all()
    assert (tail["rule_side"] == -1).all()
    assert (tail["point_type"] == "special_cause_concern").all()


def test_two_in_three_beats_shift_and_flags_only_near_limit_points() -> None:
    """Near-limit points of a 2-of-3 window report it; their above-mean neighbours are a shift."""
    values = [*BASELINE, 11.0, 12.5, 11.0, 12.6, 11.0, 11.0]
    result = xmr(values, improvement="increase", fix_after_n_points=12)
    assert result["rule"].iloc[11:].tolist() == [
        "shift",
        "shift",
        "two_in_three",
        "shift",
        "two_in_three",
        "shift",
        "shift",
    ]


def test_point_beyond_process_limits_does_not_count_towards_two_in_three() -> None:
    """NHSRplotthedots convention: "close" means between 2 and 3 sigma, not beyond 3 sigma."""
    values = [*BASELINE, 12.5, 14.0, 10.0]
    result = xmr(values, improvement="increase", fix_after_n_points=12)
    assert result["close_to_limits"].iloc[12:].tolist() == [True, False, False]
    assert result["rule"].iloc[12:].tolist() == ["", "outside_limits", ""]


@pytest.mark.parametrize(
    ("improvement", "high", "low"),
    [
        ("increase", "special_cause_improvement", "special_cause_concern"),
        ("decrease", "special_cause_concern", "special_cause_improvement"),
        ("neutral", "special_cause_neutral_high", "special_cause_neutral_low"),
    ],
)
def test_point_type_follows_improvement_direction(improvement: str, high: str, low: str) -> None:
    """The same high and low outliers are good, bad or neither depending on the measure."""
    values = [*BASELINE, 30.0, 10.0, -10.0]
    result = xmr(values, improvement=improvement, fix_after_n_points=12)
    assert result["point_type"].iloc[12:].tolist() == [high, "common_cause", low]
    assert variation(result, improvement=improvement) == low


@pytest.mark.parametrize("improvement", ["up", "", "Increase", None])
def test_invalid_improvement_is_rejected(improvement: Any) -> None:
    """A misspelt direction would silently swap improvement and concern."""
    with pytest.raises(ValueError, match="improvement must be one of"):
        xmr(BASELINE, improvement=improvement)
    with pytest.raises(ValueError, match="improvement must be one of"):
        assurance(xmr(BASELINE, improvement="increase"), improvement=improvement, target=1.0)
    with pytest.raises(ValueError, match="improvement must be one of"):
        variation(xmr(BASELINE, improvement="increase"), improvement=improvement)


@pytest.mark.parametrize("bad_value", [math.nan, math.inf, None])
def test_missing_or_infinite_values_are_rejected_by_position(bad_value: Any) -> None:
    """A gap would shift every later moving range, so the caller must fill or drop it first."""
    with pytest.raises(ValueError, match="position 2"):
        xmr([1.0, 2.0, bad_value, 4.0], improvement="increase")


@pytest.mark.parametrize("fix_after", [0, -3, 2.5, True])
def test_invalid_fix_after_n_points_is_rejected(fix_after: Any) -> None:
    """Only a positive count of points can form a baseline."""
    with pytest.raises(ValueError, match="fix_after_n_points"):
        xmr(BASELINE, improvement="increase", fix_after_n_points=fix_after)


@pytest.mark.parametrize("position", [-1, len(BASELINE)])
def test_rebase_outside_the_series_is_rejected(position: int) -> None:
    """A rebase past either end is a caller's off-by-one, not an empty period."""
    with pytest.raises(ValueError, match="rebase_at"):
        xmr(BASELINE, improvement="increase", rebase_at=[position])


# --- assurance and variation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("improvement", "target", "expected"),
    [
        ("increase", 20.0, "consistent_fail"),
        ("increase", 5.0, "consistent_pass"),
        ("increase", 13.16, "inconsistent"),
        ("decrease", 20.0, "consistent_pass"),
        ("decrease", 5.0, "consistent_fail"),
        ("decrease", 10.0, "inconsistent"),
        ("neutral", 20.0, None),
        ("increase", None, None),
        ("increase", math.nan, None),
    ],
)
def test_assurance_uses_the_latest_limits(
    improvement: str, target: float | None, expected: str | None
) -> None:
    """Only the last period's limits count: the earlier, lower period must not decide."""
    values = [1.0, 2.0] * 6 + BASELINE
    result = xmr(values, improvement=improvement, rebase_at=[12])
    assert only_value(result["upl"].iloc[12:]) == pytest.approx(13.16)
    assert assurance(result, improvement=improvement, target=target) == expected


def test_variation_reorients_the_latest_point_for_the_given_improvement() -> None:
    """Equal to the last point_type for the same direction; a different direction relabels it."""
    result = xmr([*BASELINE, 30.0], improvement="increase", fix_after_n_points=12)
    assert variation(result, improvement="increase") == result["point_type"].iloc[-1]
    assert variation(result, improvement="decrease") == "special_cause_concern"
    assert variation(result, improvement="neutral") == "special_cause_neutral_high"
    assert variation(xmr(BASELINE, improvement="increase"), improvement="increase") == (
        "common_cause"
    )
