"""Statuses: each measure, each quarter, judged on the year to date against the same months of the
baseline year, moved by the plan's target.

The judgement is a chain of small named steps (`JUDGEMENT`): coverage, baseline, comparison, rule,
significance, projection, control chart, then the figures comments quote. A step that finds the
data cannot be judged stops the chain with the reason, and the status is no data: never a guess.
What depends on the kind of figure is asked of the measure's kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from csp.domain.periods import PlanYear, month_abbr, month_name
from csp.domain.statuses import AMBER, NO_DATA, OFF_TRACK, ON_TRACK
from csp.engine.completeness import Doubts
from csp.engine.results import ControlChart, MonthArrays, QuarterResult, series_of
from csp.kinds import Comparison, MeasureKind
from csp.kinds.base import Judged
from csp.plan import Measure, Plan
from csp.stats import spc

_TOLERANCE = 1e-9
PROJECTION_LEVEL = 0.90
MIN_CONTROL_POINTS = 8  # fewer monthly points than this make no useful control chart
SPC_WORDS = {
    "special_cause_improvement": "improving beyond normal variation",
    "special_cause_concern": "worsening beyond normal variation",
    "special_cause_neutral_high": "higher than normal variation",
    "special_cause_neutral_low": "lower than normal variation",
}


@dataclass
class Judgement:
    """One measure in one quarter, as the steps of the chain work on it."""

    plan: Plan
    measure: Measure
    year: PlanYear
    quarter: int
    series: dict[tuple[str, str, str], MonthArrays]
    inventory: pd.DataFrame
    result: QuarterResult
    doubts: Doubts = field(default_factory=Doubts)
    positions: list[int] = field(default_factory=list)  # months judged, 0 = the year's first
    baseline_series: MonthArrays | None = None
    whole_baseline: bool = False  # every month of the baseline year is there

    @property
    def baseline_year(self) -> PlanYear:
        return self.plan.baseline_for(self.year)

    @property
    def kind(self) -> MeasureKind:
        return self.measure.metric.kind

    @property
    def main(self) -> MonthArrays:
        return self.series[(self.measure.id, "main", "")]

    @property
    def latest(self) -> bool:
        """Judged on the latest month (snapshots, supplied levels) rather than a sum of months."""
        return self.plan.is_snapshot(self.measure.metric) or not self.kind.sums_months

    def month_names(self, positions: list[int], year: PlanYear | None = None) -> list[str]:
        months = (year or self.year).months
        return [str(months[p]) for p in positions]

    def items(self, series: str) -> list[tuple[str, MonthArrays]]:
        return [
            (k[2], s) for k, s in self.series.items() if k[0] == self.measure.id and k[1] == series
        ]


Step = Callable[[Judgement], str]


def judge_coverage(j: Judgement) -> str:
    """Every month of the year to date up to the last month with data must be covered."""
    covered = j.main.covered_positions(j.year)
    in_quarter = [p for p in range((j.quarter - 1) * 3, j.quarter * 3) if p in covered]
    if not in_quarter:
        return _missing_reason(j.inventory, j.measure.metric.sources, str(j.year), f"Q{j.quarter}")
    j.positions = list(range(in_quarter[-1] + 1))
    gaps = [p for p in j.positions if p not in covered]
    return "extract missing for " + month_list(j.month_names(gaps)) if gaps else ""


def judge_baseline(j: Judgement) -> str:
    """The baseline months the figure rests on must all be there (the measure's own, or the
    profile sharing an annual baseline out): the same months as the year to date, or the whole
    year where the figure takes it (`baseline_positions`). A download with a gap (police.uk months
    missing) judges the quarters it can, and names the months the others lack."""
    measure, baseline_year = j.measure, j.baseline_year
    annual, profile = measure.annual_baseline, measure.baseline_profile
    if annual is None:
        j.baseline_series = j.main
    elif profile is not None:
        j.baseline_series = j.series.get((profile, "main", ""))
    if j.baseline_series is not None:
        covered = j.baseline_series.covered_positions(baseline_year)
        j.whole_baseline = len(covered) == 12
        if not covered and annual is None:
            return f"baseline extract missing ({', '.join(measure.metric.sources)} {baseline_year})"
        gaps = [p for p in baseline_positions(j) if p not in covered]
        missing = month_list(j.month_names(gaps, baseline_year))
        if gaps and annual is not None:
            return (
                f"baseline profile ({profile}) incomplete in {baseline_year}: no data for {missing}"
            )
        if gaps:
            return f"baseline {baseline_year} incomplete: no data for {missing}"
    j.result.months = tuple(j.month_names(j.positions))
    if j.positions[-1] != j.quarter * 3 - 1:
        j.result.data_to = month_abbr(j.year.months[j.positions[-1]])
    return ""


def baseline_positions(j: Judgement) -> list[int]:
    """The baseline months a judgement needs: the whole year for a whole-year baseline, an annual
    figure shared out by a profile, or a projection on the baseline's profile; else the year to
    date's months."""
    measure = j.measure
    whole = (
        measure.baseline == "whole_year"
        or measure.annual_baseline is not None
        or measure.projection == "baseline_profile"
    )
    return list(range(12)) if whole else j.positions


def judge_completeness(j: Judgement) -> str:
    """No month the figure rests on (this year's, the baseline's) may look incomplete, unless the
    analyst accepted it: a partial extract must never move a status silently. The whole baseline
    year counts, as for its coverage: it sets the control limits as well as the comparison."""
    months = j.month_names(j.positions) + j.month_names(list(range(12)), j.baseline_year)
    metrics = (j.measure.metric, *j.measure.context.values())
    reasons = list(dict.fromkeys(r for m in metrics for r in j.doubts.reasons(m, months)))
    if len(reasons) > 3:
        reasons = [*reasons[:3], f"and {len(reasons) - 3} more months"]
    return "; ".join(reasons)


def judge_comparison(j: Judgement) -> str:
    """The year to date beside the same months of the baseline year (or its whole year)."""
    base = list(range(12)) if j.measure.baseline == "whole_year" else j.positions
    comparison = compare(j, j.main, j.positions, base)
    if comparison is None:
        return "no figure supplied for the year to date"
    if j.measure.annual_baseline is not None:
        comparison = with_annual_baseline(j, comparison, j.positions)
    reason = j.kind.unusable(
        comparison, j.measure.annual_baseline is not None, str(j.baseline_year)
    )
    if not reason:
        j.result.ytd = comparison
    return reason


def judge_rule(j: Judgement) -> str:
    """On track at or better than the target; near target within the plan's amber band."""
    result, measure = j.result, j.measure
    result.target = target_for(measure, result.ytd.baseline)
    on_track = is_on_track(
        result.ytd.actual, result.target, higher_is_better=measure.higher_is_better
    )
    result.status = ON_TRACK if on_track else OFF_TRACK
    if not on_track and within_amber_band(result.ytd.actual, result.target, j.plan.amber_band):
        result.status = AMBER
    return ""


def judge_significance(j: Judgement) -> str:
    """Is the gap to the target beyond chance? The kind knows its test."""
    judged = Judged(
        direction=j.measure.direction,
        lower_is_better=j.measure.lower_is_better,
        alpha=j.plan.significance_level,
    )
    j.result.p_value, j.result.significance = j.kind.test(
        j.result.ytd, j.result.target, judged, j.measure.metric.options
    )
    return ""


def judge_projection(j: Judgement) -> str:
    """The year end: a running total scaled by the share of the year elapsed (months, or the
    baseline year's profile); a level as it stands."""
    result, kind = j.result, j.kind
    share = 1.0
    if not kind.level:
        annual = j.measure.annual_baseline
        if annual is None and j.whole_baseline:  # a baseline year with gaps has no known total
            annual = j.main.total(j.baseline_year, list(range(12)))
        result.annual_baseline = annual
        if j.measure.projection == "baseline_profile" and result.annual_baseline:
            share = result.ytd.baseline / result.annual_baseline
        else:
            share = len(j.positions) / 12
        result.elapsed_share = share
        if not share:
            return ""
    result.projection, result.projection_low, result.projection_high = kind.project(
        result.ytd, share, PROJECTION_LEVEL, j.measure.metric.options
    )
    return ""


def judge_control_chart(j: Judgement) -> str:
    """Making Data Count XmR chart of the monthly figures, with its variation and assurance."""
    result = j.result
    chart = control_chart(j, result.target)
    result.control = chart
    if chart is None:
        result.spc_summary = "Too few monthly figures for a control chart."
        return ""
    improvement, columns = improvement_of(j.measure), chart.columns
    result.variation = spc.variation(columns, improvement=improvement)
    target = columns["target"][-1]
    result.assurance = spc.assurance(columns, improvement=improvement, target=target) or ""
    result.spc_summary = spc_sentence(chart, [str(m) for m in j.year.months])
    return ""


def judge_details(j: Judgement) -> str:
    """The figures comments quote: this quarter alone, context figures, breakdowns, the rest."""
    result, quarter_months = j.result, range((j.quarter - 1) * 3, j.quarter * 3)
    own = [p for p in j.positions if p in quarter_months]
    result.quarter_only = compare(j, j.main, own, own) if own else None
    if j.measure.annual_baseline is not None and result.quarter_only is not None:
        result.quarter_only = with_annual_baseline(j, result.quarter_only, own)
    base = list(range(12)) if j.measure.baseline == "whole_year" else j.positions
    for name in j.measure.context:
        series = j.series.get((j.measure.id, "context", name))
        result.context[name] = compare(j, series, j.positions, base) if series else None
    for item, series in j.items("breakdown"):
        compared = compare(j, series, j.positions, base)
        if compared is not None:
            result.breakdown.append((item, compared))
    for item, series in j.items("rest"):
        figure = series.span(j.year, j.positions, latest=j.plan.is_snapshot(j.measure.metric))
        value = figure.figure()
        if value:
            result.rest[item] = int(value)
    return ""


JUDGEMENT: tuple[Step, ...] = (
    judge_coverage,
    judge_baseline,
    judge_completeness,
    judge_comparison,
    judge_rule,
    judge_significance,
    judge_projection,
    judge_control_chart,
    judge_details,
)


def judge(
    plan: Plan,
    values: pd.DataFrame,
    inventory: pd.DataFrame,
    year: PlanYear,
    quarter: int,
    doubts: Doubts | None = None,
) -> list[QuarterResult]:
    """Results for every measure for Q1 up to the run's quarter, from the measure values table."""
    series = series_of(values)
    return [
        judge_measure(plan, measure, series, inventory, year, q, doubts or Doubts())
        for measure in plan.measures
        for q in range(1, quarter + 1)
    ]


def judge_measure(
    plan: Plan,
    measure: Measure,
    series: dict[tuple[str, str, str], MonthArrays],
    inventory: pd.DataFrame,
    year: PlanYear,
    quarter: int,
    doubts: Doubts | None = None,
) -> QuarterResult:
    """One measure, one quarter: the chain's steps in turn until one finds it cannot be judged."""
    result = QuarterResult(
        measure=measure,
        quarter=quarter,
        status=NO_DATA,
        year=str(year),
        baseline_year=str(plan.baseline_for(year)),
    )
    judgement = Judgement(
        plan, measure, year, quarter, series, inventory, result, doubts or Doubts()
    )
    for step in JUDGEMENT:
        reason = step(judgement)
        if reason:
            result.status, result.reason = NO_DATA, reason
            break
    return result


def compare(
    j: Judgement, series: MonthArrays, positions: list[int], base_positions: list[int]
) -> Comparison | None:
    """A series' figure for these months of this year against those of the baseline year."""
    if not positions:
        return None
    kind, options = j.kind, j.measure.metric.options
    this = series.span(j.year, positions, j.latest)
    base = series.span(j.baseline_year, base_positions, j.latest)
    return kind.compare(this, base, options)


def with_annual_baseline(j: Judgement, comparison: Comparison, positions: list[int]) -> Comparison:
    """Replace the baseline by the plan's annual figure: shared out for running totals (pro rata,
    or as the profile measure's baseline year was spread), as it is for levels."""
    annual = j.measure.annual_baseline or 0.0
    baseline = annual
    if not j.kind.level:
        baseline = annual * annual_share(j.baseline_series, j.baseline_year, positions)
    return Comparison(
        actual=comparison.actual,
        baseline=baseline,
        numerator=comparison.numerator,
        denominator=comparison.denominator,
    )


def annual_share(
    profile: MonthArrays | None, baseline_year: PlanYear, positions: list[int]
) -> float:
    """The part of a year these months carry: pro rata (months/12), or as the profile measure's
    baseline year spread over its months."""
    if profile is None:
        return len(positions) / 12
    whole = profile.total(baseline_year, list(range(12)))
    return profile.total(baseline_year, positions) / whole if whole else len(positions) / 12


def is_on_track(actual: float, target: float, *, higher_is_better: bool) -> bool:
    """At or better than the target; equality (to rounding noise) counts as on track."""
    slack = _TOLERANCE * max(1.0, abs(target))
    return actual >= target - slack if higher_is_better else actual <= target + slack


def target_for(measure: Measure, baseline: float) -> float:
    """The baseline moved by the planned change (relative, or in percentage points)."""
    if measure.target.points is not None:
        return baseline + measure.target.points
    return baseline * (1 + measure.target.change)


def within_amber_band(actual: float, target: float, band: float | None) -> bool:
    """Off track but within the plan's amber band (e.g. 5% of the target); off unless set."""
    return band is not None and abs(actual - target) <= band * abs(target) + _TOLERANCE


def improvement_of(measure: Measure) -> str:
    return "increase" if measure.higher_is_better else "decrease"


def monthly_figures(
    j: Judgement, year: PlanYear, positions: list[int]
) -> tuple[np.ndarray, list[str]]:
    """The main series' monthly figures as its kind shows them (percentages, rates), with their
    months; months without a figure are left out."""
    span = j.main.span(year, positions, latest=False)
    figure = j.kind.figure(span.values, span.denominators, j.measure.metric.options)
    known = ~np.isnan(figure)
    months = [m for m, k in zip(j.month_names(positions, year), known, strict=True) if k]
    return figure[known], months


def control_chart(j: Judgement, target: float | None) -> ControlChart | None:
    """XmR chart (Making Data Count) of the monthly figures, baseline year then this year up to
    the months judged; limits from the baseline year's points when it has enough of them."""
    baseline, baseline_months = monthly_figures(j, j.baseline_year, list(range(12)))
    this_year, months = monthly_figures(j, j.year, j.positions)
    if len(baseline) + len(this_year) < MIN_CONTROL_POINTS:
        return None
    monthly_target = None
    if target is not None and j.positions:
        monthly_target = target if j.kind.level else target / len(j.positions)
    columns = spc.xmr_columns(
        np.concatenate([baseline, this_year]),
        improvement=improvement_of(j.measure),
        target=monthly_target,
        fix_after_n_points=len(baseline) if len(baseline) >= MIN_CONTROL_POINTS else None,
    )
    return ControlChart(months=baseline_months + months, columns=columns)


def spc_sentence(chart: ControlChart, this_year_months: list[str]) -> str:
    """One plain sentence for readers who are not statisticians."""
    in_year = np.isin(chart.months, this_year_months)
    kinds = chart.columns["point_type"][in_year]
    months = [m for m, k in zip(chart.months, in_year, strict=True) if k]
    if not len(kinds):
        return "No monthly figures this year yet."
    special = np.flatnonzero(kinds != "common_cause")
    if not special.size:
        return "Within normal variation: no sign of real change."
    last = kinds[-1]
    if last == "common_cause":
        latest, earlier = month_name(months[-1]), SPC_WORDS[kinds[special[-1]]]
        return f"Within normal variation in {latest}, after {earlier} in {month_name(months[special[-1]])}."
    start = len(kinds) - 1
    while start > 0 and kinds[start - 1] == last:
        start -= 1
    words = SPC_WORDS[last]
    return f"{words[:1].upper()}{words[1:]} since {month_name(months[start])}."


def month_list(months: list[str]) -> str:
    """'Apr 2011 to Jun 2011, Sep 2011': runs of months, for a reason."""
    periods = [pd.Period(m, freq="M") for m in months]
    runs: list[list[pd.Period]] = []
    for period in periods:
        if runs and period == runs[-1][-1] + 1:
            runs[-1].append(period)
        else:
            runs.append([period])
    labels = []
    for run in runs:
        first, last = run[0], run[-1]
        if first == last:
            labels.append(f"{month_abbr(first)} {first.year}")
        else:
            labels.append(f"{month_abbr(first)} {first.year} to {month_abbr(last)} {last.year}")
    return ", ".join(labels)


def _missing_reason(
    inventory: pd.DataFrame, sources: tuple[str, ...], year: str, quarter: str
) -> str:
    """Why a quarter has no figure: the availability note if there is one, else 'extract missing'."""
    rows = inventory[(inventory["source"].isin(sources)) & (inventory["year"] == year)]
    in_quarter = rows[rows["quarter"].isin([quarter, ""]) | rows["quarter"].isna()]
    unpublished = in_quarter[in_quarter["status"] == "unpublished"]
    if not unpublished.empty:
        return "not yet published: " + " ".join(dict.fromkeys(unpublished["note"]))
    missing = in_quarter[in_quarter["status"] == "missing"]
    names = [f"{r.source} {r.year} {r.quarter or ''}".strip() for r in missing.itertuples()]
    return f"extract missing ({', '.join(dict.fromkeys(names)) or ', '.join(sources)})"
