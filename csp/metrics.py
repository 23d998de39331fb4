"""Measure values: monthly figures for every measure, counted from the cleaned record-level tables.

Every kind of figure is made additive by month, so a year-to-date value is a plain sum:
- count: records matching the filter, by the month they are dated;
- repeat: subjects (callers, victims, offenders) reaching `min_records` records within the financial
  year, counted in the month of the record that makes them a repeat;
- proportion: numerator and denominator records by month (snapshots: the rows of each quarter's file);
- supplied: a figure a partner supplies already aggregated, at the month it refers to.
Months no extract covers are left empty (NaN), never zero: missing data is not a count of nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from csp import comments
from csp.periods import FinancialYear
from csp.plan import Condition, Measure, MetricSpec, Plan

VALUE_COLUMNS = ["measure_id", "series", "item", "year", "month", "value", "denominator", "covered"]


def filter_rows(table: pd.DataFrame, conditions: Iterable[Condition]) -> pd.DataFrame:
    """Keep the rows meeting every condition (a value, a list of values, or 'not' these)."""
    mask = pd.Series(True, index=table.index)
    for condition in conditions:
        matches = table[condition.column].isin(list(condition.values))
        mask &= ~matches if condition.negate else matches
    return table[mask]


def records_for(metric: MetricSpec, tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The records of every source of a metric, stacked, filtered by its `where`."""
    frames = [tables[source] for source in metric.sources if source in tables]
    if not frames:
        return pd.DataFrame(columns=["_month", "_date", "_source"])
    stacked = pd.concat(frames, ignore_index=True, sort=False) if len(frames) > 1 else frames[0]
    return filter_rows(stacked, metric.where)


def top_items(
    records: pd.DataFrame, by: tuple[str, ...], n: int, year: FinancialYear
) -> list[tuple[str, ...]]:
    """The n values of `by` with most records in the whole year; ties broken alphabetically."""
    in_year = records[records["_month"].isin([str(m) for m in year.months])]
    keyed = in_year.dropna(subset=list(by))
    if keyed.empty:
        return []
    counts = keyed.groupby(list(by), observed=True).size().reset_index(name="n")
    counts = counts.sort_values(["n", *by], ascending=[False, *([True] * len(by))])
    return [tuple(str(row[b]) for b in by) for _, row in counts.head(n).iterrows()]


def restrict_to_items(
    records: pd.DataFrame, by: tuple[str, ...], items: list[tuple[str, ...]]
) -> pd.DataFrame:
    """The records whose values of `by` are one of the items."""
    if records.empty:
        return records
    keys = pd.MultiIndex.from_frame(records[list(by)].astype(str).fillna(""))
    return records[keys.isin(items)]


def repeat_increments(records: pd.DataFrame, subject: str, min_records: int) -> pd.Series:
    """For each month, the subjects whose `min_records`-th record of the year falls in it."""
    with_subject = records.dropna(subset=[subject])
    with_subject = with_subject[with_subject[subject].astype(str).str.len() > 0]
    ordered = with_subject.sort_values(["_date", "_source", "_row"], kind="stable")
    nth = ordered.groupby(subject, sort=False).cumcount() + 1
    return ordered.loc[nth == min_records, "_month"].value_counts()


def monthly_figures(
    metric: MetricSpec,
    records: pd.DataFrame,
    year: FinancialYear,
    covered: set[str],
    *,
    snapshot: bool = False,
) -> pd.DataFrame:
    """One row per month of the year: value (and denominator for proportions and supplied).

    A snapshot extract (everyone in a cohort at the quarter's end) has a figure at quarter ends only.
    """
    months = [str(m) for m in year.months]
    in_year = records[records["_month"].isin(months)]
    denominator = None
    if metric.kind == "count":
        value = in_year["_month"].value_counts()
    elif metric.kind == "repeat":
        value = repeat_increments(in_year, metric.subject or "", metric.min_records)
    elif metric.kind == "proportion":
        denominator = in_year["_month"].value_counts()
        value = filter_rows(in_year, metric.numerator)["_month"].value_counts()
    else:
        latest = in_year.sort_values(["_date", "_row"], kind="stable").groupby("_month").last()
        value = pd.to_numeric(latest[metric.value], errors="coerce") if len(latest) else pd.Series()
        if metric.base:
            denominator = pd.to_numeric(latest[metric.base], errors="coerce")
    frame = pd.DataFrame({"month": months})
    frame["value"] = frame["month"].map(value).astype(float)
    frame["denominator"] = (
        frame["month"].map(denominator).astype(float) if denominator is not None else np.nan
    )
    frame["covered"] = frame["month"].isin(covered)
    counted = frame["covered"].copy()
    if snapshot:
        counted &= frame.index.isin([2, 5, 8, 11])
    if metric.kind != "supplied":
        frame.loc[counted, "value"] = frame.loc[counted, "value"].fillna(0.0)
        if metric.kind == "proportion":
            frame.loc[counted, "denominator"] = frame.loc[counted, "denominator"].fillna(0.0)
    frame.loc[~counted & (metric.kind != "supplied"), ["value", "denominator"]] = np.nan
    frame.loc[~frame["covered"], ["value", "denominator"]] = np.nan
    return frame


def metric_coverage(metric: MetricSpec, coverage: Mapping[str, set[str]]) -> set[str]:
    """Months covered by every source of the metric."""
    sets = [coverage.get(source, set()) for source in metric.sources]
    return set.intersection(*sets) if sets else set()


def measure_values(
    plan: Plan,
    tables: Mapping[str, pd.DataFrame],
    coverage: Mapping[str, set[str]],
    year: FinancialYear,
) -> pd.DataFrame:
    """Monthly values of every measure (and its context figures and breakdowns), both years."""
    baseline_year = plan.baseline_for(year)
    frames = [
        _measure_series(
            measure, tables, coverage, fy, baseline_year, plan.is_snapshot(measure.metric)
        )
        for measure in plan.measures
        for fy in (baseline_year, year)
    ]
    values = pd.concat(frames, ignore_index=True)
    return values[VALUE_COLUMNS]


def _measure_series(
    measure: Measure,
    tables: Mapping[str, pd.DataFrame],
    coverage: Mapping[str, set[str]],
    year: FinancialYear,
    baseline_year: FinancialYear,
    snapshot: bool,
) -> pd.DataFrame:
    metric = measure.metric
    covered = metric_coverage(metric, coverage)
    records = records_for(metric, tables)
    items = None
    if metric.top is not None:
        items = top_items(records, metric.top.by, metric.top.n, baseline_year)
        records = restrict_to_items(records, metric.top.by, items)
    parts = [_tag(monthly_figures(metric, records, year, covered, snapshot=snapshot), "main", "")]
    for name, context_metric in measure.context.items():
        context_records = records_for(context_metric, tables)
        context_covered = metric_coverage(context_metric, coverage)
        figures = monthly_figures(
            context_metric, context_records, year, context_covered, snapshot=snapshot
        )
        parts.append(_tag(figures, "context", name))
    if metric.breakdown is not None:
        by = metric.breakdown.by
        keys = (
            items
            if items is not None
            else sorted(
                {
                    tuple(str(v) for v in row)
                    for row in records[list(by)].dropna().itertuples(index=False)
                }
            )
        )
        for key in keys:
            subset = restrict_to_items(records, by, [key])
            label = _label(metric.breakdown.label, subset, dict(zip(by, key, strict=True)))
            parts.append(
                _tag(
                    monthly_figures(metric, subset, year, covered, snapshot=snapshot),
                    "breakdown",
                    label,
                )
            )
    if metric.rest_by is not None:
        rest = records.drop(filter_rows(records, metric.numerator).index)
        for category in sorted(rest[metric.rest_by].dropna().astype(str).unique()):
            subset = rest[rest[metric.rest_by].astype(str) == category]
            count_metric = MetricSpec(kind="count", sources=metric.sources)
            parts.append(
                _tag(
                    monthly_figures(count_metric, subset, year, covered, snapshot=snapshot),
                    "rest",
                    category,
                )
            )
    frame = pd.concat(parts, ignore_index=True)
    frame.insert(0, "measure_id", measure.id)
    frame.insert(3, "year", str(year))
    return frame


def _label(template: str, records: pd.DataFrame, key: dict[str, str]) -> str:
    """An item's name for readers: the key's values, or other columns of its first record."""
    values = dict(key)
    if len(records):
        first = records.iloc[0]
        for name in comments.template_fields(template):
            values.setdefault(name, "" if pd.isna(first[name]) else str(first[name]))
    return template.format(**values)


def _tag(frame: pd.DataFrame, series: str, item: str) -> pd.DataFrame:
    frame.insert(0, "series", series)
    frame.insert(1, "item", item)
    return frame


def monthly_series(values: pd.DataFrame, measure: Measure, year: FinancialYear) -> pd.Series:
    """A measure's monthly figure for one year, by month (percentages for proportions)."""
    rows = values[
        (values["measure_id"] == measure.id)
        & (values["series"] == "main")
        & (values["year"] == str(year))
    ].sort_values("month")
    figure = rows["value"].astype(float)
    if measure.metric.kind == "proportion":
        figure = 100 * figure / rows["denominator"].astype(float).where(lambda d: d > 0)
    return pd.Series(figure.to_numpy(), index=rows["month"].to_numpy())
