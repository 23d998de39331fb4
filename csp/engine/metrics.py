"""Measure values: monthly figures for every measure, counted from the cleaned record-level tables.

Each measure's kind (`csp.kinds`) makes its figure additive by month where it can, so a year to date
is a plain sum. Besides the main series a measure may have context figures, breakdowns (wards,
streets) and the rest of a proportion's records by category. Months no extract covers are left empty
(NaN), never zero: missing data is not a count of nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csp.domain.periods import PlanYear
from csp.domain.records import (
    DATE,
    MONTH,
    ROW,
    SOURCE,
    Condition,
    condition_mask,
    filter_rows,
    stacked,
)
from csp.engine import comments
from csp.kinds import MeasureKind
from csp.kinds.count import Count
from csp.plan import Measure, MetricSpec, Plan

VALUE_COLUMNS = ["measure_id", "series", "item", "year", "month", "value", "denominator", "covered"]
QUARTER_ENDS = [2, 5, 8, 11]  # positions of June, September, December and March in the year
KEY_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class SeriesRecords:
    """The records behind one series of a measure (main, a context figure, a breakdown item...)."""

    series: str
    item: str
    metric: MetricSpec
    records: pd.DataFrame
    covered: frozenset[str]


class StackedRecords:
    """The records of a metric's sources, stacked and filtered by its `where` (`records_for`):
    each set of sources stacked once, with only the columns the plan reads
    and the months as categories of the years measured (others empty): measures and their parts
    filter and count the same records many times, and filtering or counting arrow-backed text
    (months, or columns nobody reads) costs many times more than integer codes."""

    def __init__(
        self, tables: Mapping[str, pd.DataFrame], plan: Plan, years: list[PlanYear]
    ) -> None:
        self.tables = tables
        self.months = [str(m) for y in years for m in y.months]
        self.columns = {
            column
            for measure in plan.measures
            for metric in (measure.metric, *measure.context.values())
            for column in metric_columns(metric)
        }
        self.stacks: dict[tuple[str, ...], pd.DataFrame] = {}
        self.filtered: dict[tuple[tuple[str, ...], tuple[Condition, ...]], pd.DataFrame] = {}

    def records_for(self, metric: MetricSpec) -> pd.DataFrame:
        """Several measures filter the same records alike (criminal damage: 5.1 to 5.3)."""
        key = (metric.sources, metric.where)
        if key not in self.filtered:
            self.filtered[key] = filter_rows(self.stack(metric.sources), metric.where)
        return self.filtered[key]

    def stack(self, sources: tuple[str, ...]) -> pd.DataFrame:
        """The sources' records stacked and compacted, once per set of sources."""
        if sources not in self.stacks:
            table = stacked(self.tables, sources)
            table = table[[c for c in table.columns if c in self.columns]]
            months = months_as_categories(table[MONTH], self.months)
            self.stacks[sources] = table.assign(**{MONTH: months})
        return self.stacks[sources]


def months_as_categories(column: pd.Series, months: list[str]) -> pd.Categorical:
    """'YYYY-MM' text as categories in the order of `months`; a month outside them is empty."""
    codes, uniques = pd.factorize(column)
    position = {month: i for i, month in enumerate(months)}
    lookup = np.array([position.get(str(u), -1) for u in uniques] + [-1], dtype=np.int64)
    return pd.Categorical.from_codes(lookup[codes], pd.Index(months, dtype=object))


def metric_columns(metric: MetricSpec) -> set[str]:
    """The record columns a metric reads: its filters, its kind's, its items' and their labels'."""
    kind, options = metric.kind, metric.options
    names = {MONTH, DATE, SOURCE, ROW, *kind.columns(options)}
    names.update(condition.column for condition in metric.where)
    names.update(name for key in kind.column_options if (name := getattr(options, key, None)))
    for key in kind.condition_options:
        names.update(condition.column for condition in getattr(options, key, None) or ())
    for grouping in (metric.top, metric.breakdown):
        if grouping is not None:
            names.update(grouping.by)
    if metric.breakdown is not None:
        names.update(comments.template_fields(metric.breakdown.label))
    return names


def item_keys(records: pd.DataFrame, by: tuple[str, ...]) -> pd.Series:
    """One text key per record for the values of `by` (NA where any is missing)."""
    columns = [records[b].astype("string") for b in by]
    key = columns[0]
    for column in columns[1:]:
        key = key + KEY_SEPARATOR + column
    return key


def top_items(
    records: pd.DataFrame, by: tuple[str, ...], n: int, year: PlanYear
) -> list[tuple[str, ...]]:
    """The n values of `by` with most records in the whole year; ties broken alphabetically."""
    in_year = records[in_months(records, [str(m) for m in year.months])]
    keyed = in_year.dropna(subset=list(by))
    if keyed.empty:
        return []
    counts = keyed.groupby(list(by), observed=True).size().reset_index(name="n")
    counts = counts.sort_values(["n", *by], ascending=[False, *([True] * len(by))])
    return [tuple(str(v) for v in row) for row in counts[list(by)].head(n).itertuples(index=False)]


def restrict_to_items(
    records: pd.DataFrame, by: tuple[str, ...], items: list[tuple[str, ...]]
) -> pd.DataFrame:
    """The records whose values of `by` are one of the items."""
    if records.empty:
        return records
    wanted = [KEY_SEPARATOR.join(item) for item in items]
    return records[item_keys(records, by).isin(wanted).fillna(False).astype(bool)]


def monthly_figures(
    metric: MetricSpec,
    records: pd.DataFrame,
    year: PlanYear,
    covered: frozenset[str] | set[str],
    *,
    snapshot: bool = False,
) -> dict[str, np.ndarray]:
    """Twelve months of the year: month, value (and denominator), covered or not."""
    return years_figures(metric, records, [year], covered, snapshot=snapshot)[0]


def years_figures(
    metric: MetricSpec,
    records: pd.DataFrame,
    years: list[PlanYear],
    covered: frozenset[str] | set[str],
    *,
    snapshot: bool = False,
) -> list[dict[str, np.ndarray]]:
    """Each year's twelve months, from one pass over the records where the kind allows it (a
    repeat starts afresh each year, so it is counted year by year)."""
    kind = metric.kind
    counts = _counted_on_codes(metric, records, years)
    if counts is not None:
        value, denominator = counts
        figures = []
        for i, year in enumerate(years):
            part = slice(i * 12, i * 12 + 12)
            part_denominator = None if denominator is None else denominator[part]
            figures.append(
                _twelve_months(kind, year, value[part], part_denominator, covered, snapshot)
            )
        return figures
    needed = list(dict.fromkeys([MONTH, *kind.order_columns, *kind.columns(metric.options)]))
    columns = records[[c for c in needed if c in records.columns]]
    groups = [years] if not kind.counts_within_year else [[y] for y in years]
    counted: list[tuple[pd.Series, pd.Series | None]] = []
    for group in groups:
        months = [str(m) for y in group for m in y.months]
        in_year = columns[in_months(columns, months)]
        counted.extend([kind.monthly(in_year, metric.options)] * len(group))
    return [
        _twelve_months(kind, year, *_by_position(by_month, year), covered, snapshot)
        for year, by_month in zip(years, counted, strict=True)
    ]


def _counted_on_codes(
    metric: MetricSpec, records: pd.DataFrame, years: list[PlanYear]
) -> tuple[np.ndarray, np.ndarray | None] | None:
    """The years' monthly counts from the records' month codes, when the months are categories of
    exactly these years (`StackedRecords`) and the kind counts records (`month_counts`)."""
    month = records[MONTH]
    if not isinstance(month.dtype, pd.CategoricalDtype):
        return None
    if list(month.array.categories) != [str(m) for y in years for m in y.months]:
        return None
    return metric.kind.month_counts(records, month.array.codes, 12 * len(years), metric.options)


def _by_position(
    by_month: tuple[pd.Series, pd.Series | None], year: PlanYear
) -> tuple[np.ndarray, np.ndarray | None]:
    """A kind's figures by month text as arrays in the year's month order (NaN where none)."""
    months = [str(m) for m in year.months]
    value, denominators = by_month
    return _in_month_order(value, months), (
        None if denominators is None else _in_month_order(denominators, months)
    )


def in_months(records: pd.DataFrame, months: list[str]) -> np.ndarray:
    """True for the records dated in one of the months; categories (`StackedRecords`) are looked
    up by their codes, which `isin` on categories is slower than."""
    column = records[MONTH]
    if not isinstance(column.dtype, pd.CategoricalDtype):
        return column.isin(months).to_numpy()
    wanted = set(months)
    lookup = [category in wanted for category in column.array.categories] + [False]
    return np.array(lookup)[column.array.codes]


def _twelve_months(
    kind: MeasureKind,
    year: PlanYear,
    values: np.ndarray,
    denominators: np.ndarray | None,
    covered: frozenset[str] | set[str],
    snapshot: bool,
) -> dict[str, np.ndarray]:
    """One year's figures (value and denominator by month, NaN where the kind found none); months
    no extract covers are NaN, counted months without records 0.

    A snapshot extract (everyone in a cohort at the quarter's end) has a figure at quarter ends only.
    """
    months = [str(m) for m in year.months]
    value = np.array(values, dtype=float)
    denominator = np.full(12, np.nan)
    if denominators is not None:
        denominator = np.array(denominators, dtype=float)
    in_extracts = np.array([month in covered for month in months])
    counted = in_extracts.copy()
    if snapshot:
        counted &= np.isin(np.arange(12), QUARTER_ENDS)
    if kind.zero_when_no_records:
        value = np.where(counted, np.nan_to_num(value, nan=0.0), np.nan)
        if denominators is not None:
            denominator = np.where(counted, np.nan_to_num(denominator, nan=0.0), np.nan)
        else:
            denominator = np.full(12, np.nan)
    value[~in_extracts] = np.nan
    denominator[~in_extracts] = np.nan
    return {
        "month": np.array(months),
        "value": value,
        "denominator": denominator,
        "covered": in_extracts,
    }


def _in_month_order(by_month: pd.Series, months: list[str]) -> np.ndarray:
    """A figure per month (NaN where none), looked up by the months' text: a `reindex` of the
    month index, categorical as the records' months are, cost 3 ms a call."""
    found = dict(zip(map(str, by_month.index), by_month.to_numpy(dtype=float), strict=True))
    return np.array([found.get(month, np.nan) for month in months], dtype=float)


def metric_coverage(metric: MetricSpec, coverage: Mapping[str, set[str]]) -> frozenset[str]:
    """Months covered by every source of the metric."""
    sets = [coverage.get(source, set()) for source in metric.sources]
    return frozenset(set.intersection(*sets)) if sets else frozenset()


def measure_values(
    plan: Plan,
    tables: Mapping[str, pd.DataFrame],
    coverage: Mapping[str, set[str]],
    year: PlanYear,
) -> pd.DataFrame:
    """Monthly values of every measure (and its context figures and breakdowns), both years."""
    baseline_year = plan.baseline_for(year)
    years = [baseline_year, year]
    records = StackedRecords(tables, plan, years)
    columns: dict[str, list[np.ndarray]] = {name: [] for name in VALUE_COLUMNS}
    for measure in plan.measures:
        snapshot = plan.is_snapshot(measure.metric)
        parts = list(measure_series(measure, records, coverage, baseline_year))
        figured = [
            years_figures(part.metric, part.records, years, part.covered, snapshot=snapshot)
            for part in parts
        ]
        for position, fy in enumerate(years):
            for part, figures in zip(parts, figured, strict=True):
                labels = {"measure_id": measure.id, "series": part.series, "item": part.item}
                for name, label in {**labels, "year": str(fy)}.items():
                    columns[name].append(np.full(12, label, dtype=object))
                for name, figure in figures[position].items():
                    columns[name].append(figure)
    return pd.DataFrame({name: np.concatenate(parts) for name, parts in columns.items()})


def measure_series(
    measure: Measure,
    stacks: StackedRecords,
    coverage: Mapping[str, set[str]],
    baseline_year: PlanYear,
) -> Iterator[SeriesRecords]:
    """The main series, then context figures, breakdown items and the rest of a proportion."""
    metric = measure.metric
    covered = metric_coverage(metric, coverage)
    records = stacks.records_for(metric)
    items = None
    if metric.top is not None:
        items = top_items(records, metric.top.by, metric.top.n, baseline_year)
        records = restrict_to_items(records, metric.top.by, items)
    yield SeriesRecords("main", "", metric, records, covered)
    for name, context in measure.context.items():
        context_covered = metric_coverage(context, coverage)
        context_records = stacks.records_for(context)
        yield SeriesRecords("context", name, context, context_records, context_covered)
    if metric.breakdown is not None:
        if metric.breakdown.top is not None:
            # The figure stays the whole; only its top items are broken down (P1's top wards).
            items = top_items(records, metric.breakdown.by, metric.breakdown.top, baseline_year)
        yield from breakdown_series(metric, records, items, covered)
    yield from rest_series(metric, records, covered)


def breakdown_series(
    metric: MetricSpec,
    records: pd.DataFrame,
    items: list[tuple[str, ...]] | None,
    covered: frozenset[str],
) -> Iterator[SeriesRecords]:
    """One series per item (the top items in rank order, else every item in name order)."""
    by = metric.breakdown.by
    codes, keys = pd.factorize(item_keys(records, by))  # a record with a value missing: -1
    if items is None:
        items = sorted({tuple(key.split(KEY_SEPARATOR)) for key in keys})
    code_of = {key: code for code, key in enumerate(keys)}
    for item in items:
        code = code_of.get(KEY_SEPARATOR.join(item))
        subset = records.iloc[:0] if code is None else records[codes == code]
        label = _label(metric.breakdown.label, subset, dict(zip(by, item, strict=True)))
        yield SeriesRecords("breakdown", label, metric, subset, covered)


def rest_series(
    metric: MetricSpec, records: pd.DataFrame, covered: frozenset[str]
) -> Iterator[SeriesRecords]:
    """A proportion's records outside its numerator, counted by category (`rest_by`)."""
    rest_by = getattr(metric.options, "rest_by", None)
    if rest_by is None:
        return
    rest = records[~condition_mask(records, metric.options.numerator)]
    categories = rest[rest_by].astype("string")
    count = MetricSpec(kind=Count(), sources=metric.sources)
    for category in sorted(categories.dropna().unique()):
        yield SeriesRecords("rest", category, count, rest[categories == category], covered)


def _label(template: str, records: pd.DataFrame, key: dict[str, str]) -> str:
    """An item's name for readers: the key's values, or other columns of its first record."""
    values = dict(key)
    if len(records):
        for name in comments.template_fields(template):
            if name not in values:
                first = records[name].iloc[0]
                values[name] = "" if pd.isna(first) else str(first)
    return template.format(**values)
