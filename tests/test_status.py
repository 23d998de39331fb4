"""Unit tests for csp.engine.status: each measure judged on the year to date, on small hand-made values.

A measure-values frame is built month by month for the baseline year and this year (None: a month no
extract covers), so each test states the figures a status is decided on.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd
import pytest

from csp.domain.periods import FinancialYear
from csp.domain.records import Condition
from csp.domain.statuses import AMBER, NO_DATA, OFF_TRACK, ON_TRACK
from csp.engine import results, status, tables
from csp.kinds import KINDS
from csp.plan import Measure, MetricSpec, Plan, TargetSpec, load_plan

YEAR = FinancialYear.parse("2011-12")
BASELINE = FinancialYear.parse("2010-11")
Months = list[float | None]


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan("stockton")


def measure(
    direction: str = "reduce",
    kind: str = "count",
    source: str = "police_crime",
    change: float = -0.05,
    **options: object,
) -> Measure:
    """A measure on a real extract of the Stockton plan (the plan says whether it is a snapshot)."""
    the_kind = KINDS.get(kind)
    kind_options = {
        "proportion": {"numerator": (Condition("planned", (True,)),)},
        "supplied": {"value": "v"},
    }.get(kind, {})
    metric = MetricSpec(kind=the_kind, sources=(source,), options=the_kind.Options(**kind_options))
    return Measure(
        id="9.9",
        title="A measure",
        theme="T",
        direction=direction,
        metric=metric,
        target=TargetSpec(change=change),
        context={},
        comment=(),
        **options,
    )


def series(
    year: FinancialYear,
    values: Months,
    denominators: Months | None = None,
    *,
    kind: str = "main",
    item: str = "",
    covered: list[bool] | None = None,
) -> pd.DataFrame:
    """Twelve months of one series; a month beyond the list, or None, is uncovered."""
    rows = []
    for i, month in enumerate(year.months):
        value = values[i] if i < len(values) else None
        den = denominators[i] if denominators and i < len(denominators) else None
        rows.append(
            {
                "measure_id": "9.9",
                "series": kind,
                "item": item,
                "year": str(year),
                "month": str(month),
                "value": math.nan if value is None else float(value),
                "denominator": math.nan if den is None else float(den),
                "covered": covered[i] if covered else value is not None,
            }
        )
    return pd.DataFrame(rows)


def values(
    base: Months,
    this: Months,
    base_den: Months | None = None,
    this_den: Months | None = None,
    **kw: object,
) -> pd.DataFrame:
    """Both years of one series; this year's denominators default to the baseline's."""
    return pd.concat(
        [series(BASELINE, base, base_den, **kw), series(YEAR, this, this_den or base_den, **kw)],
        ignore_index=True,
    )


EMPTY_INVENTORY = pd.DataFrame(columns=["source", "year", "quarter", "status", "note"])


def judge(
    plan: Plan,
    m: Measure,
    frame: pd.DataFrame,
    quarter: int,
    inventory: pd.DataFrame = EMPTY_INVENTORY,
) -> results.QuarterResult:
    return status.judge_measure(plan, m, results.series_of(frame), inventory, YEAR, quarter)


# the small rules -----------------------------------------------------------------------------------


def test_equality_is_on_track_either_way() -> None:
    assert status.is_on_track(95.0, 95.0, higher_is_better=False)
    assert status.is_on_track(95.0, 95.0, higher_is_better=True)
    assert status.is_on_track(0.1 + 0.2, 0.3, higher_is_better=False)  # rounding noise
    assert status.is_on_track(0.3, 0.1 + 0.2, higher_is_better=True)


def test_reduce_and_increase() -> None:
    assert status.is_on_track(94, 95, higher_is_better=False)
    assert not status.is_on_track(96, 95, higher_is_better=False)
    assert status.is_on_track(96, 95, higher_is_better=True)
    assert not status.is_on_track(94, 95, higher_is_better=True)


def test_maintain_follows_lower_is_better() -> None:
    assert not measure("maintain").higher_is_better
    assert measure("maintain", lower_is_better=False).higher_is_better
    assert measure("increase").higher_is_better and not measure("reduce").higher_is_better


def test_target_relative_change_and_points() -> None:
    assert status.target_for(measure(change=-0.05), 200) == pytest.approx(190)
    assert status.target_for(measure(change=0.10), 50) == pytest.approx(55)
    assert status.target_for(measure(change=0.0), 42) == 42
    by_points = replace(measure(), target=TargetSpec(points=2.0))
    assert status.target_for(by_points, 48.5) == pytest.approx(50.5)


def test_the_same_months_of_a_baseline_year_two_years_back(plan: Plan) -> None:
    two_back = FinancialYear.parse("2009-10")
    frame = pd.concat(
        [series(two_back, [10, 20, 30, 40] + [1] * 8), series(YEAR, [5, 5, 5, 5])],
        ignore_index=True,
    )
    result = judge(replace(plan, baseline_year=two_back), measure(), frame, 1)
    assert (result.baseline_year, result.ytd.baseline, result.ytd.actual) == ("2009-10", 60, 15)


# judge_measure: statuses ---------------------------------------------------------------------------


def test_reduce_on_and_off_track_on_the_year_to_date(plan: Plan) -> None:
    base = [10] * 12  # Apr-Sep 2010: 60, target -5%: 57
    on = judge(plan, measure(), values(base, [10, 9, 9, 10, 9, 10]), 2)
    assert on.status == ON_TRACK
    assert (on.ytd.actual, on.ytd.baseline, on.target) == (57, 60, pytest.approx(57))
    assert on.months == tuple(f"2011-{m:02d}" for m in range(4, 10))
    assert on.data_to is None and on.reason == ""
    off = judge(plan, measure(), values(base, [10, 9, 9, 10, 10, 10]), 2)
    assert off.status == OFF_TRACK


def test_increase_judged_the_other_way(plan: Plan) -> None:
    frame = values([10] * 12, [11, 11, 11])
    assert judge(plan, measure("increase", change=0.05), frame, 1).status == ON_TRACK
    assert judge(plan, measure("increase", change=0.15), frame, 1).status == OFF_TRACK


def test_maintain_compares_with_the_baseline(plan: Plan) -> None:
    base = [10] * 12
    assert judge(plan, measure("maintain", change=0.0), values(base, [10, 10, 10]), 1).status == (
        ON_TRACK
    )
    assert judge(plan, measure("maintain", change=0.0), values(base, [10, 10, 11]), 1).status == (
        OFF_TRACK
    )
    higher = measure("maintain", change=0.0, lower_is_better=False)
    assert judge(plan, higher, values(base, [10, 10, 9]), 1).status == OFF_TRACK
    assert judge(plan, higher, values(base, [10, 10, 11]), 1).status == ON_TRACK


def test_each_quarter_is_judged_on_april_to_its_end(plan: Plan) -> None:
    frame = values([10] * 12, [5, 5, 5, 20, 20, 20])
    q1 = judge(plan, measure(), frame, 1)
    q2 = judge(plan, measure(), frame, 2)
    assert (q1.status, q1.ytd.actual, q1.ytd.baseline) == (ON_TRACK, 15, 30)
    assert (q2.status, q2.ytd.actual, q2.ytd.baseline) == (OFF_TRACK, 75, 60)


# judge_measure: no data ----------------------------------------------------------------------------


def inventory(*rows: tuple[str, str, str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["source", "year", "quarter", "status", "note"])


def test_no_covered_month_in_the_quarter_is_extract_missing(plan: Plan) -> None:
    files = inventory(
        ("police_crime", "2011-12", "Q1", "read", ""),
        ("police_crime", "2011-12", "Q2", "missing", ""),
    )
    result = judge(plan, measure(), values([10] * 12, [10, 10, 10]), 2, files)
    assert result.status == NO_DATA and not result.has_data
    assert result.reason == "extract missing (police_crime 2011-12 Q2)"
    assert result.ytd is None and result.target is None


def test_unpublished_extract_gives_its_note(plan: Plan) -> None:
    files = inventory(
        ("ndtms_exits", "2011-12", "Q1", "read", ""),
        ("ndtms_exits", "2011-12", "Q2", "unpublished", "Not on ndtms.net until mid-Nov 2011."),
    )
    m = measure("increase", "proportion", "ndtms_exits")
    result = judge(plan, m, values([10] * 12, [10, 10, 10], [20] * 12), 2, files)
    assert result.status == NO_DATA
    assert result.reason == "not yet published: Not on ndtms.net until mid-Nov 2011."


def test_missing_annual_extract_is_named(plan: Plan) -> None:
    files = inventory(("perception_survey", "2011-12", "", "missing", ""))
    m = measure(kind="supplied", source="perception_survey")
    result = judge(plan, m, values([None] * 10 + [28.4], []), 1, files)
    assert result.reason == "extract missing (perception_survey 2011-12)"


def test_gap_earlier_in_the_year_names_the_months(plan: Plan) -> None:
    result = judge(plan, measure(), values([10] * 12, [None, None, None, 10, 10, 10]), 2)
    assert result.status == NO_DATA
    assert result.reason == "extract missing for Apr 2011 to Jun 2011"


def test_baseline_missing_names_the_extract_and_year(plan: Plan) -> None:
    m = measure(source="alcohol_requirements")
    result = judge(plan, m, values([], [4, 5, 6]), 1)
    assert result.status == NO_DATA
    assert result.reason == "baseline extract missing (alcohol_requirements 2010-11)"


def test_baseline_incomplete_names_the_months(plan: Plan) -> None:
    """A quarter whose baseline months are missing is no data, naming them; the whole year's
    gaps count once the year to date reaches them."""
    base: Months = [10] * 9 + [None, None, None]
    base[4] = None
    result = judge(plan, measure(), values(base, [10] * 12), 4)
    assert result.status == NO_DATA
    assert result.reason == (
        "baseline 2010-11 incomplete: no data for Aug 2010, Jan 2011 to Mar 2011"
    )
    second = judge(plan, measure(), values(base, [10] * 6), 2)
    assert (second.status, second.reason) == (
        NO_DATA,
        "baseline 2010-11 incomplete: no data for Aug 2010",
    )


def test_a_quarter_whose_baseline_months_are_there_is_judged(plan: Plan) -> None:
    """Gaps later in the baseline year (a download missing months) do not stop Q1, judged on
    April to June against April to June; with no whole baseline year there is no annual total."""
    base: Months = [10, 10, 10] + [None] * 9
    result = judge(plan, measure(), values(base, [9, 9, 9]), 1)
    assert result.status == ON_TRACK
    assert (result.ytd.actual, result.ytd.baseline) == (27.0, 30.0)
    assert result.annual_baseline is None
    assert result.projection is not None


@pytest.mark.parametrize(
    "options",
    [{"baseline": "whole_year"}, {"projection": "baseline_profile"}],
    ids=["whole-year-baseline", "baseline-profile-projection"],
)
def test_a_figure_on_the_whole_baseline_year_needs_all_of_it(
    plan: Plan, options: dict[str, str]
) -> None:
    base: Months = [10, 10, 10] + [None] * 9
    result = judge(plan, measure(**options), values(base, [9, 9, 9]), 1)
    assert result.status == NO_DATA
    assert result.reason == "baseline 2010-11 incomplete: no data for Jul 2010 to Mar 2011"


def test_supplied_figure_absent_for_the_year_to_date(plan: Plan) -> None:
    m = measure(kind="supplied", source="perception_survey", baseline="whole_year")
    base: Months = [None] * 12
    base[10] = 28.4
    this: Months = [None] * 12
    this[5] = 25.0
    covered = [True] * 12
    frame = pd.concat(
        [series(BASELINE, base, covered=covered), series(YEAR, this, covered=covered)],
        ignore_index=True,
    )
    result = judge(plan, m, frame, 1)
    assert (result.status, result.reason) == (NO_DATA, "no figure supplied for the year to date")


def test_proportion_with_an_empty_baseline_is_no_data(plan: Plan) -> None:
    """A status is never guessed: 0 of 0 in the baseline gives no percentage to compare with."""
    m = measure("increase", "proportion", "ndtms_exits", change=0.0)
    frame = values([0] * 12, [1, 1, 1], [0] * 12, [2, 2, 2])
    result = judge(plan, m, frame, 1)
    assert result.status == NO_DATA
    assert result.reason


def test_proportion_with_no_records_this_year_is_no_data(plan: Plan) -> None:
    m = measure("increase", "proportion", "ndtms_exits")
    result = judge(plan, m, values([5] * 12, [0, 0, 0], [10] * 12, [0, 0, 0]), 1)
    assert (result.status, result.reason) == (NO_DATA, "no records to take a proportion of")


# judge_measure: how figures are compared -----------------------------------------------------------


def test_partial_quarter_sets_data_to_and_uses_the_months_present(plan: Plan) -> None:
    base = [10, 10, 10, 10, 10, 100] + [10] * 6  # Sep 2010 is large: it must not be compared
    result = judge(plan, measure(), values(base, [10, 10, 10, 10, 9]), 2)
    assert result.data_to == "Aug"
    assert result.months[-1] == "2011-08"
    assert (result.ytd.actual, result.ytd.baseline) == (49, 50)
    assert result.status == OFF_TRACK  # 49 against a target of 47.5
    assert (result.quarter_only.actual, result.quarter_only.baseline) == (19, 20)


def test_proportions_are_compared_as_percentages(plan: Plan) -> None:
    m = measure("increase", "proportion", "ndtms_exits", change=0.05)
    base_num, base_den = [13] * 12, [30] * 12
    frame = pd.concat(
        [series(BASELINE, base_num, base_den), series(YEAR, [13, 12, 13], [25, 25, 25])],
        ignore_index=True,
    )
    result = judge(plan, m, frame, 1)
    assert result.ytd.actual == pytest.approx(100 * 38 / 75)
    assert result.ytd.baseline == pytest.approx(100 * 39 / 90)
    assert (result.ytd.numerator, result.ytd.denominator) == (38, 75)
    assert (result.ytd.baseline_numerator, result.ytd.baseline_denominator) == (39, 90)
    assert result.target == pytest.approx(100 * 39 / 90 * 1.05)
    assert result.status == ON_TRACK
    assert result.projection == pytest.approx(result.ytd.actual)


def test_snapshot_uses_the_quarter_end_value(plan: Plan) -> None:
    m = measure("increase", "proportion", "ndtms_clients", change=0.0)
    quarter_ends = {2, 5, 8, 11}
    base_num: Months = [40 if i in quarter_ends else None for i in range(12)]
    base_den: Months = [160 if i in quarter_ends else None for i in range(12)]
    base_num[5], base_den[5] = 42, 165
    this_num: Months = [None, None, 42, None, None, 44]
    this_den: Months = [None, None, 168, None, None, 170]
    covered = [True] * 12
    frame = pd.concat(
        [
            series(BASELINE, base_num, base_den, covered=covered),
            series(YEAR, this_num, this_den, covered=[True] * 6 + [False] * 6),
        ],
        ignore_index=True,
    )
    result = judge(plan, m, frame, 2)
    assert (result.ytd.numerator, result.ytd.denominator) == (44, 170)
    assert (result.ytd.baseline_numerator, result.ytd.baseline_denominator) == (42, 165)
    assert result.ytd.actual == pytest.approx(100 * 44 / 170)
    # 25.9% against 25.5%: on track (summing Jun and Sep would give 25.4%, off track)
    assert result.status == ON_TRACK
    q1 = judge(plan, m, frame, 1)
    assert (q1.ytd.numerator, q1.ytd.denominator, q1.ytd.baseline_denominator) == (42, 168, 160)


def test_supplied_with_whole_year_baseline(plan: Plan) -> None:
    """A survey done once in the baseline year is the baseline for any part of this year."""
    m = measure("reduce", "supplied", "perception_survey", change=-0.05, baseline="whole_year")
    base: Months = [None] * 12
    base[10] = 28.4  # February 2011
    this: Months = [None] * 12
    this[2] = 26.0
    covered = [True] * 12
    frame = pd.concat(
        [series(BASELINE, base, covered=covered), series(YEAR, this, covered=covered)],
        ignore_index=True,
    )
    result = judge(plan, m, frame, 1)
    assert (result.ytd.actual, result.ytd.baseline) == (26.0, 28.4)
    assert result.target == pytest.approx(28.4 * 0.95)
    assert result.status == ON_TRACK
    assert result.projection == 26.0


def test_projection_by_run_rate(plan: Plan) -> None:
    result = judge(plan, measure(), values([20] * 12, [10] * 6), 2)
    assert result.annual_baseline == 240
    assert result.elapsed_share == pytest.approx(0.5)
    assert result.projection == pytest.approx(120)


def test_projection_by_baseline_profile(plan: Plan) -> None:
    """A seasonal measure: half the baseline year's records fell in Q1, so Q1 is half the year."""
    base = [40, 40, 40] + [10] * 9
    m = measure(projection="baseline_profile")
    result = judge(plan, m, values(base, [30, 30, 30]), 1)
    assert result.annual_baseline == 210
    assert result.elapsed_share == pytest.approx(120 / 210)
    assert result.projection == pytest.approx(90 * 210 / 120)
    run_rate = judge(plan, measure(), values(base, [30, 30, 30]), 1)
    assert run_rate.projection == pytest.approx(360)


def test_quarter_only_comparison(plan: Plan) -> None:
    result = judge(plan, measure(), values([10] * 12, [1, 2, 3, 4, 5, 6]), 2)
    assert (result.quarter_only.actual, result.quarter_only.baseline) == (15, 30)
    assert (result.ytd.actual, result.ytd.baseline) == (21, 60)


def test_context_and_breakdown_comparisons(plan: Plan) -> None:
    context_metric = MetricSpec(kind=KINDS.get("count"), sources=("police_crime",))
    m = replace(measure(), context={"borough": context_metric})
    frame = pd.concat(
        [
            values([10] * 12, [9, 9, 9]),
            values([30] * 12, [33, 33, 33], kind="context", item="borough"),
            values([6] * 12, [4, 4, 4], kind="breakdown", item="Hardwick"),
            values([4] * 12, [5, 5, 5], kind="breakdown", item="Newtown"),
        ],
        ignore_index=True,
    )
    result = judge(plan, m, frame, 1)
    borough = result.context["borough"]
    assert (borough.actual, borough.baseline) == (99, 90)
    assert [(item, c.actual, c.baseline) for item, c in result.breakdown] == [
        ("Hardwick", 12, 18),
        ("Newtown", 15, 12),
    ]


# tables --------------------------------------------------------------------------------------------


def test_results_table_one_row_per_result(plan: Plan) -> None:
    judged = judge(plan, measure(), values([10] * 12, [10, 10, 10, 10, 9]), 2)
    missing = judge(plan, measure(), values([10] * 12, []), 1)
    table = tables.results_table([judged, missing], plan, YEAR)
    assert len(table) == 2
    assert set(table.columns) >= {
        "plan",
        "year",
        "measure_id",
        "theme",
        "measure",
        "direction",
        "quarter",
        "status",
        "actual",
        "target",
        "baseline",
        "numerator",
        "denominator",
        "unit",
        "months",
        "data_to",
        "projection",
        "reason",
    }
    first, second = table.to_dict("records")
    assert (first["plan"], first["year"], first["quarter"]) == ("stockton", "2011-12", "Q2")
    assert (first["status"], first["actual"], first["baseline"]) == (OFF_TRACK, 49, 50)
    assert (first["months"], first["data_to"]) == ("2011-04 to 2011-08", "Aug")
    assert math.isnan(first["numerator"])
    assert (second["status"], second["months"], second["data_to"]) == (NO_DATA, "", "")
    assert math.isnan(second["actual"]) and math.isnan(second["target"])
    assert second["reason"].startswith("extract missing")


def test_breakdown_table(plan: Plan) -> None:
    frame = pd.concat(
        [
            values([10] * 12, [9, 9, 9]),
            values([6] * 12, [4, 4, 4], kind="breakdown", item="Hardwick"),
            values([4] * 12, [5, 5, 5], kind="breakdown", item="Newtown"),
        ],
        ignore_index=True,
    )
    results = [judge(plan, measure(), frame, 1)]
    table = tables.breakdown_table(results)
    assert table.to_dict("records") == [
        {
            "measure_id": "9.9",
            "quarter": "Q1",
            "item": "Hardwick",
            "actual": 12,
            "baseline": 18,
            "change": -6,
        },
        {
            "measure_id": "9.9",
            "quarter": "Q1",
            "item": "Newtown",
            "actual": 15,
            "baseline": 12,
            "change": 3,
        },
    ]
    empty = tables.breakdown_table([judge(plan, measure(), values([10] * 12, []), 1)])
    assert empty.empty and list(empty.columns) == list(table.columns)


# Statuses you can trust: significance, projection intervals, amber, control charts ------------------


def test_off_track_within_normal_variation_is_labelled_so(plan: Plan) -> None:
    """52 against a YTD target of 41 (maintain): off track, yet P(X >= 52 | 41) is about 0.055."""
    m = measure("maintain", change=0.0)
    frame = values([7, 7, 6, 7, 7, 7] + [7] * 6, [6, 7, 6, 11, 11, 11])
    result = judge(plan, m, frame, 2)
    assert (result.ytd.actual, result.target, result.status) == (52, 41, OFF_TRACK)
    assert result.significance == "within normal variation"
    assert result.p_value == pytest.approx(0.109, abs=0.002)


def test_a_large_gap_is_beyond_normal_variation(plan: Plan) -> None:
    m = measure("reduce", change=0.0)
    worse = judge(plan, m, values([20] * 12, [40, 40, 40]), 1)
    better = judge(plan, m, values([40] * 12, [20, 20, 20]), 1)
    assert (worse.status, worse.significance) == (OFF_TRACK, "worse")
    assert (better.status, better.significance) == (ON_TRACK, "better")
    assert worse.p_value < 0.001 and better.p_value < 0.001


def test_plan_significance_level_changes_the_label(plan: Plan) -> None:
    m = measure("maintain", change=0.0)
    frame = values([7, 7, 6, 7, 7, 7] + [7] * 6, [6, 7, 6, 11, 11, 11])
    lenient = replace(plan, significance_level=0.2)
    assert judge(lenient, m, frame, 2).significance == "worse"


def test_proportion_significance_uses_the_binomial(plan: Plan) -> None:
    m = measure("increase", "proportion", "ndtms_exits", change=0.0)
    frame = values([10] * 12, [30, 30, 30], [20] * 12, [40, 40, 40])
    result = judge(plan, m, frame, 1)
    assert result.ytd.actual == 75.0 and result.target == 50.0
    assert result.significance == "better" and result.p_value < 0.001
    assert result.projection == 75.0
    assert result.projection_low < 75.0 < result.projection_high < 100.0


def test_count_projection_interval_brackets_the_run_rate(plan: Plan) -> None:
    m = measure("reduce")
    result = judge(plan, m, values([10] * 12, [9, 9, 9, 9, 9, 9]), 2)
    assert result.projection == 108
    assert result.projection_low < 108 < result.projection_high
    assert result.projection_low >= 54  # never below what the year to date already holds


def test_amber_band_is_off_unless_the_plan_sets_it(plan: Plan) -> None:
    m = measure("reduce", change=0.0)
    frame = values([10] * 12, [10, 10, 11])  # 31 against 30: 3.3% over the target
    assert judge(plan, m, frame, 1).status == OFF_TRACK
    banded = replace(plan, amber_band=0.05)
    assert judge(banded, m, frame, 1).status == AMBER
    assert judge(banded, m, values([10] * 12, [10, 12, 12]), 1).status == OFF_TRACK
    assert judge(banded, m, values([10] * 12, [9, 10, 10]), 1).status == ON_TRACK


def test_control_chart_reads_a_sustained_shift(plan: Plan) -> None:
    m = measure("reduce", change=0.0)
    steady = [10, 11, 9, 10, 12, 10, 9, 11, 10, 10, 11, 9]
    shifted = judge(plan, m, values(steady, [3, 4, 3, 4, 3, 4]), 2)
    assert shifted.variation == "special_cause_improvement"
    assert shifted.spc_summary == "Improving beyond normal variation since April 2011."
    flat = judge(plan, m, values(steady, [10, 11, 10, 9, 10, 11]), 2)
    assert flat.variation == "common_cause"
    assert flat.spc_summary == "Within normal variation: no sign of real change."


def test_too_few_points_make_no_control_chart(plan: Plan) -> None:
    m = measure("increase", "proportion", "hcc_cohort", change=0.0)
    snapshot = [None, None, 22, None, None, 22, None, None, 23, None, None, 24]
    cohort = [None, None, 30, None, None, 29, None, None, 29, None, None, 29]
    frame = values(snapshot, [None, None, 26], cohort, [None, None, 29], covered=[True] * 12)
    result = judge(plan, m, frame, 1)
    assert result.status == ON_TRACK
    assert result.variation == "" and "Too few" in result.spc_summary


# A baseline year known only as a total -------------------------------------------------------------


def test_annual_baseline_is_shared_pro_rata(plan: Plan) -> None:
    """Only the 2010-11 total (120) is known: April to September carries 6/12 of it."""
    m = replace(measure("reduce"), annual_baseline=120.0)
    frame = values([None] * 12, [9, 9, 9, 9, 9, 9])
    result = judge(plan, m, frame, 2)
    assert (result.ytd.baseline, result.target, result.ytd.actual) == (60.0, 57.0, 54.0)
    assert result.status == ON_TRACK
    assert result.annual_baseline == 120.0
    q1 = judge(plan, m, frame, 1)
    assert q1.quarter_only.baseline == 30.0


def test_annual_baseline_follows_another_measures_profile(plan: Plan) -> None:
    """A winter-heavy profile gives April to June a small share of the annual 120."""
    m = replace(measure("reduce"), annual_baseline=120.0, baseline_profile="5.1")
    profile = series(BASELINE, [5, 5, 5, 10, 10, 10, 15, 15, 15, 10, 10, 10])
    frame = pd.concat([values([None] * 12, [4, 4, 4]), profile.assign(measure_id="5.1")])
    result = judge(plan, m, frame, 1)
    assert result.ytd.baseline == pytest.approx(120 * 15 / 120)
    assert result.status == ON_TRACK  # 12 against a target of 14.25


def test_annual_baseline_profile_must_be_complete(plan: Plan) -> None:
    m = replace(measure("reduce"), annual_baseline=120.0, baseline_profile="5.1")
    profile = series(BASELINE, [5, 5, 5, 10, 10, 10])
    frame = pd.concat([values([None] * 12, [4, 4, 4]), profile.assign(measure_id="5.1")])
    result = judge(plan, m, frame, 1)
    assert result.status == NO_DATA
    assert (
        result.reason
        == "baseline profile (5.1) incomplete in 2010-11: no data for Oct 2010 to Mar 2011"
    )
