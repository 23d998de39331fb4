"""Statuses: each measure, each quarter, judged on the year to date against the same months of the
baseline year, moved by the plan's target. On track when at or better than the target; no data, with
the reason, when an extract is missing or unpublished or the baseline year is incomplete.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from csp import metrics, significance, spc
from csp.periods import FinancialYear, month_abbr, month_name
from csp.plan import Measure, Plan

ON_TRACK, OFF_TRACK, NO_DATA, AMBER = "on_track", "off_track", "no_data", "amber"
STATUS_LABELS = {
    ON_TRACK: "On track",
    AMBER: "Near target",
    OFF_TRACK: "Off track",
    NO_DATA: "No data",
}
_TOLERANCE = 1e-9
PROJECTION_LEVEL = 0.90
MIN_CONTROL_POINTS = 8  # fewer monthly points than this make no useful control chart
SPC_WORDS = {
    "special_cause_improvement": "improving beyond normal variation",
    "special_cause_concern": "worsening beyond normal variation",
    "special_cause_neutral_high": "higher than normal variation",
    "special_cause_neutral_low": "lower than normal variation",
}


@dataclass(frozen=True)
class Comparison:
    """A figure for some months of this year beside the same months of the baseline year."""

    actual: float
    baseline: float
    numerator: float | None = None
    denominator: float | None = None
    baseline_numerator: float | None = None
    baseline_denominator: float | None = None


@dataclass
class QuarterResult:
    """Everything decided about one measure in one quarter; comments and the report read this."""

    measure: Measure
    quarter: int
    status: str
    reason: str = ""
    year: str = ""
    baseline_year: str = ""
    months: tuple[str, ...] = ()
    data_to: str | None = None
    ytd: Comparison | None = None
    target: float | None = None
    annual_baseline: float | None = None
    projection: float | None = None
    elapsed_share: float | None = None
    quarter_only: Comparison | None = None
    context: dict[str, Comparison | None] = field(default_factory=dict)
    breakdown: list[tuple[str, Comparison]] = field(default_factory=list)
    rest: dict[str, int] = field(default_factory=dict)
    p_value: float | None = None
    significance: str = ""
    projection_low: float | None = None
    projection_high: float | None = None
    variation: str = ""
    assurance: str = ""
    spc_summary: str = ""

    @property
    def has_data(self) -> bool:
        return self.status != NO_DATA


def is_on_track(actual: float, target: float, *, higher_is_better: bool) -> bool:
    """At or better than the target; equality (to rounding noise) counts as on track."""
    slack = _TOLERANCE * max(1.0, abs(target))
    return actual >= target - slack if higher_is_better else actual <= target + slack


def target_for(measure: Measure, baseline: float) -> float:
    """The baseline moved by the planned change (relative, or in percentage points)."""
    if measure.target.points is not None:
        return baseline + measure.target.points
    return baseline * (1 + measure.target.change)


class _Series:
    """One measure's monthly values for one series and item, by year and month."""

    def __init__(self, values: pd.DataFrame) -> None:
        self.frame = values.set_index(["year", "month"]).sort_index()

    def covered(self, year: FinancialYear) -> set[str]:
        if str(year) not in self.frame.index.get_level_values(0):
            return set()
        rows = self.frame.loc[str(year)]
        return set(rows.index[rows["covered"].astype(bool)])

    def total(self, year: FinancialYear, months: list[str], column: str = "value") -> float:
        return float(self.frame.loc[[(str(year), m) for m in months], column].sum())

    def latest(
        self, year: FinancialYear, months: list[str], column: str = "value"
    ) -> tuple[str, float] | None:
        rows = self.frame.loc[[(str(year), m) for m in months], column].dropna()
        if rows.empty:
            return None
        return rows.index[-1][1], float(rows.iloc[-1])


def same_months(
    months: list[str] | tuple[str, ...], baseline_year: FinancialYear, year: FinancialYear
) -> list[str]:
    """The months of the baseline year matching these months of this year."""
    shift = year.start - baseline_year.start
    return [str(pd.Period(m, freq="M") - 12 * shift) for m in months]


def judge(
    plan: Plan,
    values: pd.DataFrame,
    inventory: pd.DataFrame,
    year: FinancialYear,
    quarter: int,
) -> list[QuarterResult]:
    """Results for every measure for Q1 up to the run's quarter, from the measure values table."""
    return [
        judge_measure(
            plan,
            measure,
            values[values["measure_id"] == measure.id],
            inventory,
            year,
            q,
            profile=_profile_values(values, measure),
        )
        for measure in plan.measures
        for q in range(1, quarter + 1)
    ]


def _profile_values(values: pd.DataFrame, measure: Measure) -> pd.DataFrame | None:
    if measure.baseline_profile is None:
        return None
    rows = values[(values["measure_id"] == measure.baseline_profile) & (values["series"] == "main")]
    return rows


def judge_measure(
    plan: Plan,
    measure: Measure,
    values: pd.DataFrame,
    inventory: pd.DataFrame,
    year: FinancialYear,
    quarter: int,
    *,
    profile: pd.DataFrame | None = None,
) -> QuarterResult:
    """One measure, one quarter. `profile`: the values of the measure whose baseline-year months
    share out an annual baseline (plan: baseline: {annual: N, profile: <measure>})."""
    baseline_year = plan.baseline_for(year)
    main = _Series(values[values["series"] == "main"])
    result = QuarterResult(
        measure=measure,
        quarter=quarter,
        status=NO_DATA,
        year=str(year),
        baseline_year=str(baseline_year),
    )
    sources = measure.metric.sources

    covered = main.covered(year)
    quarter_months = [str(m) for m in year.quarter_months(quarter)]
    present_in_quarter = [m for m in quarter_months if m in covered]
    if not present_in_quarter:
        result.reason = _missing_reason(inventory, sources, str(year), f"Q{quarter}")
        return result
    months = [str(m) for m in year.ytd_months(quarter) if str(m) <= present_in_quarter[-1]]
    gaps = [m for m in months if m not in covered]
    if gaps:
        result.reason = "extract missing for " + _month_list(gaps)
        return result
    annual = measure.annual_baseline
    baseline_series = (
        main if annual is None else (_Series(profile) if profile is not None else None)
    )
    baseline_covered = baseline_series.covered(baseline_year) if baseline_series else set()
    baseline_gaps = [str(m) for m in baseline_year.months if str(m) not in baseline_covered]
    if baseline_series is None:
        baseline_gaps = []
    elif annual is not None and baseline_gaps:
        result.reason = (
            f"baseline profile ({measure.baseline_profile}) incomplete in {baseline_year}: "
            f"no data for {_month_list(baseline_gaps)}"
        )
        return result
    if len(baseline_gaps) == 12:
        result.reason = f"baseline extract missing ({', '.join(sources)} {baseline_year})"
        return result
    if baseline_gaps:
        result.reason = (
            f"baseline {baseline_year} incomplete: no data for {_month_list(baseline_gaps)}"
        )
        return result

    result.months = tuple(months)
    if months[-1] != quarter_months[-1]:
        result.data_to = month_abbr(pd.Period(months[-1], freq="M"))
    base_months = same_months(months, baseline_year, year)
    kind = measure.metric.kind
    snapshot = plan.is_snapshot(measure.metric)

    comparison = _compare(
        main, kind, snapshot, measure.baseline, year, months, baseline_year, base_months
    )
    if comparison is None:
        result.reason = "no figure supplied for the year to date"
        return result
    if annual is not None:
        comparison = _with_annual_baseline(
            comparison, measure, baseline_series, baseline_year, base_months
        )
    if measure.metric.is_proportion and not comparison.denominator:
        result.reason = "no records to take a proportion of"
        return result
    if measure.metric.is_proportion and annual is None and not comparison.baseline_denominator:
        result.reason = (
            f"no records in the baseline months of {baseline_year} to take a proportion of"
        )
        return result
    result.ytd = comparison
    result.target = target_for(measure, comparison.baseline)
    on_track = is_on_track(
        comparison.actual, result.target, higher_is_better=measure.higher_is_better
    )
    result.status = ON_TRACK if on_track else OFF_TRACK
    if not on_track and within_amber_band(comparison.actual, result.target, plan.amber_band):
        result.status = AMBER
    result.p_value, result.significance = judge_significance(
        measure, comparison, result.target, plan.significance_level
    )

    cumulative = kind in ("count", "repeat")
    if cumulative:
        all_base = [str(m) for m in baseline_year.months]
        result.annual_baseline = (
            annual if annual is not None else main.total(baseline_year, all_base)
        )
        if measure.projection == "baseline_profile" and result.annual_baseline:
            result.elapsed_share = comparison.baseline / result.annual_baseline
        else:
            result.elapsed_share = len(months) / 12
        if result.elapsed_share:
            result.projection, result.projection_low, result.projection_high = (
                significance.projection_interval(
                    comparison.actual, min(result.elapsed_share, 1.0), PROJECTION_LEVEL
                )
            )
    else:
        result.projection = comparison.actual
        if comparison.denominator:
            low, high = significance.wilson_interval(
                round(comparison.numerator), round(comparison.denominator), PROJECTION_LEVEL
            )
            result.projection_low, result.projection_high = 100 * low, 100 * high
    chart = control_chart(values, measure, year, baseline_year, months, result.target)
    if chart is not None:
        improvement = improvement_of(measure)
        result.variation = spc.variation(chart, improvement=improvement)
        target = chart["target"].iloc[-1]
        result.assurance = spc.assurance(chart, improvement=improvement, target=target) or ""
        result.spc_summary = spc_sentence(chart, [str(m) for m in year.months])
    else:
        result.spc_summary = "Too few monthly figures for a control chart."

    own_months = [m for m in months if m in quarter_months]
    quarter_baseline_months = same_months(own_months, baseline_year, year)
    result.quarter_only = _compare(
        main,
        kind,
        snapshot,
        "same_months",
        year,
        own_months,
        baseline_year,
        quarter_baseline_months,
    )
    if annual is not None and result.quarter_only is not None:
        result.quarter_only = _with_annual_baseline(
            result.quarter_only, measure, baseline_series, baseline_year, quarter_baseline_months
        )
    for name in measure.context:
        series = _Series(values[(values["series"] == "context") & (values["item"] == name)])
        result.context[name] = _compare(
            series, kind, snapshot, measure.baseline, year, months, baseline_year, base_months
        )
    breakdown = values[values["series"] == "breakdown"]
    for item in dict.fromkeys(breakdown["item"]):
        series = _Series(breakdown[breakdown["item"] == item])
        compared = _compare(
            series, kind, snapshot, measure.baseline, year, months, baseline_year, base_months
        )
        if compared is not None:
            result.breakdown.append((item, compared))
    rest = values[values["series"] == "rest"]
    for item in dict.fromkeys(rest["item"]):
        series = _Series(rest[rest["item"] == item])
        value = series.latest(year, months) if snapshot else (None, series.total(year, months))
        if value is not None and value[1]:
            result.rest[item] = int(value[1])
    return result


def annual_share(
    profile: _Series | None, baseline_year: FinancialYear, base_months: list[str]
) -> float:
    """The part of a year these months carry: pro rata (months/12), or as the profile measure's
    baseline year spread over its months."""
    if profile is None:
        return len(base_months) / 12
    whole = profile.total(baseline_year, [str(m) for m in baseline_year.months])
    return profile.total(baseline_year, base_months) / whole if whole else len(base_months) / 12


def _with_annual_baseline(
    comparison: Comparison,
    measure: Measure,
    profile: _Series | None,
    baseline_year: FinancialYear,
    base_months: list[str],
) -> Comparison:
    """Replace the baseline by the plan's annual figure: shared out for counts, as is for levels."""
    annual = measure.annual_baseline or 0.0
    if measure.metric.kind in ("count", "repeat"):
        baseline = annual * annual_share(profile, baseline_year, base_months)
    else:
        baseline = annual
    return Comparison(
        actual=comparison.actual,
        baseline=baseline,
        numerator=comparison.numerator,
        denominator=comparison.denominator,
    )


def within_amber_band(actual: float, target: float, band: float | None) -> bool:
    """Off track but within the plan's amber band (e.g. 5% of the target); off unless set."""
    return band is not None and abs(actual - target) <= band * abs(target) + _TOLERANCE


def judge_significance(
    measure: Measure, comparison: Comparison, target: float, alpha: float
) -> tuple[float | None, str]:
    """Is the YTD actual beyond chance from the target? Exact Poisson for counts, binomial for
    proportions; supplied figures come without the records to test."""
    kind = measure.metric.kind
    judged = {
        "direction": measure.direction,
        "lower_is_better": measure.lower_is_better,
        "alpha": alpha,
    }
    if kind in ("count", "repeat"):
        result = significance.judge_count(round(comparison.actual), max(target, 0.0), **judged)
    elif kind == "proportion" and comparison.denominator and 0 <= target <= 100:
        result = significance.judge_proportion(
            round(comparison.numerator), round(comparison.denominator), target / 100, **judged
        )
    else:
        return None, ""
    return result.p_value, result.label


def improvement_of(measure: Measure) -> str:
    return "increase" if measure.higher_is_better else "decrease"


def control_chart(
    values: pd.DataFrame,
    measure: Measure,
    year: FinancialYear,
    baseline_year: FinancialYear,
    months: list[str] | tuple[str, ...],
    target: float | None,
) -> pd.DataFrame | None:
    """XmR chart (Making Data Count) of the monthly figures, baseline year then this year up to
    the months judged; limits from the baseline year's points when it has enough of them."""
    baseline = metrics.monthly_series(values, measure, baseline_year).dropna()
    this_year = metrics.monthly_series(values, measure, year)
    this_year = this_year[this_year.index.isin(list(months))].dropna()
    series = pd.concat([baseline, this_year])
    if len(series) < MIN_CONTROL_POINTS:
        return None
    cumulative = measure.metric.kind in ("count", "repeat")
    monthly_target = None
    if target is not None and months:
        monthly_target = target / len(months) if cumulative else target
    chart = spc.xmr(
        series,
        improvement=improvement_of(measure),
        target=monthly_target,
        fix_after_n_points=len(baseline) if len(baseline) >= MIN_CONTROL_POINTS else None,
    )
    chart.index = series.index
    return chart


def spc_sentence(chart: pd.DataFrame, this_year_months: list[str]) -> str:
    """One plain sentence for readers who are not statisticians."""
    this_year = chart[chart.index.isin(this_year_months)]
    if this_year.empty:
        return "No monthly figures this year yet."
    special = this_year[this_year["point_type"] != "common_cause"]
    if special.empty:
        return "Within normal variation: no sign of real change."
    kinds = this_year["point_type"].to_numpy()
    last = kinds[-1]
    if last == "common_cause":
        latest = month_name(this_year.index[-1])
        earlier = SPC_WORDS[special["point_type"].iloc[-1]]
        return f"Within normal variation in {latest}, after {earlier} in {month_name(special.index[-1])}."
    start = len(kinds) - 1
    while start > 0 and kinds[start - 1] == last:
        start -= 1
    words = SPC_WORDS[last]
    return f"{words[:1].upper()}{words[1:]} since {month_name(this_year.index[start])}."


def _compare(
    series: _Series,
    kind: str,
    snapshot: bool,
    baseline_rule: str,
    year: FinancialYear,
    months: list[str],
    baseline_year: FinancialYear,
    base_months: list[str],
) -> Comparison | None:
    """YTD figure against the baseline: sums for counts, latest for snapshots and supplied figures."""
    if not months:
        return None
    if baseline_rule == "whole_year":
        base_months = [str(m) for m in baseline_year.months]
    if kind == "supplied" or snapshot:
        actual = series.latest(year, months)
        baseline = series.latest(baseline_year, base_months)
        if actual is None or baseline is None:
            return None
        if kind == "proportion":
            num, den = actual[1], series.latest(year, months, "denominator")[1]
            bnum, bden = baseline[1], series.latest(baseline_year, base_months, "denominator")[1]
            return _proportion(num, den, bnum, bden)
        return Comparison(actual=actual[1], baseline=baseline[1])
    if kind == "proportion":
        return _proportion(
            series.total(year, months),
            series.total(year, months, "denominator"),
            series.total(baseline_year, base_months),
            series.total(baseline_year, base_months, "denominator"),
        )
    return Comparison(
        actual=series.total(year, months), baseline=series.total(baseline_year, base_months)
    )


def _proportion(num: float, den: float, bnum: float, bden: float) -> Comparison:
    """Proportions are compared as percentages; the counts behind them travel along."""
    return Comparison(
        actual=100 * num / den if den else math.nan,
        baseline=100 * bnum / bden if bden else math.nan,
        numerator=num,
        denominator=den,
        baseline_numerator=bnum,
        baseline_denominator=bden,
    )


def _month_list(months: list[str]) -> str:
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


def results_table(results: list[QuarterResult], plan: Plan, year: FinancialYear) -> pd.DataFrame:
    """statuses.csv: one row per measure per quarter."""
    rows = []
    for r in results:
        ytd = r.ytd
        rows.append(
            {
                "plan": plan.name,
                "year": str(year),
                "measure_id": r.measure.id,
                "theme": r.measure.theme,
                "measure": r.measure.title,
                "direction": r.measure.direction,
                "quarter": f"Q{r.quarter}",
                "status": r.status,
                "actual": ytd.actual if ytd else math.nan,
                "target": r.target if r.target is not None else math.nan,
                "baseline": ytd.baseline if ytd else math.nan,
                "numerator": ytd.numerator if ytd and ytd.numerator is not None else math.nan,
                "denominator": ytd.denominator if ytd and ytd.denominator is not None else math.nan,
                "unit": r.measure.metric.unit,
                "months": f"{r.months[0]} to {r.months[-1]}" if r.months else "",
                "data_to": r.data_to or "",
                "projection": r.projection if r.projection is not None else math.nan,
                "projection_low": _number(r.projection_low),
                "projection_high": _number(r.projection_high),
                "p_value": _number(r.p_value),
                "significance": r.significance,
                "variation": r.variation,
                "assurance": r.assurance,
                "spc_summary": r.spc_summary,
                "reason": r.reason,
            }
        )
    return pd.DataFrame(rows)


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)


def breakdown_table(results: list[QuarterResult]) -> pd.DataFrame:
    """breakdowns.csv: per measure, quarter and item (ward, street), YTD against the baseline."""
    rows = [
        {
            "measure_id": r.measure.id,
            "quarter": f"Q{r.quarter}",
            "item": item,
            "actual": c.actual,
            "baseline": c.baseline,
            "change": c.actual - c.baseline,
        }
        for r in results
        for item, c in r.breakdown
    ]
    return pd.DataFrame(
        rows, columns=["measure_id", "quarter", "item", "actual", "baseline", "change"]
    )
