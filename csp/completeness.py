"""Is each month of each extract complete? Checked from the extract's own history, never assumed.

A partner who sends half a file, a header with no rows, or a column left blank changes a measure
without any error. So for every source and month the clean step records how many records there are,
their first and last dates and what the source's own history leads one to expect, and writes down a
doubt where the month looks incomplete:

- `no_rows`: a file with no data rows;
- `stops_early`: a file whose records stop well before the end of the period it claims;
- `looks_incomplete`: a month far below its expected volume, which is the same month of the year
  before where the run has it, else the median of the months around it (within three);
- `key_blank`: a column a measure reads blank in most of a month's rows, where it is not usually.

A doubted month gives `no_data` to the measures it feeds, with the doubt as the reason. An analyst
who knows the month is real accepts it in availability.csv (`accept` column); the acceptance is
shown in the report. Thresholds are the plan's, per extract (`completeness:`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from csp.extracts import Acceptance, ExtractFile, display_path
from csp.periods import month_label
from csp.quality import Facts

if TYPE_CHECKING:
    from csp.plan import ExtractSpec, MetricSpec, Plan

COLUMNS = [
    "source",
    "month",
    "rows",
    "first_date",
    "last_date",
    "expected",
    "share",
    "code",
    "column",
    "reason",
    "accepted",
]
KEY_TYPES = ("ward",)  # ids and dates cannot be blank at all: cleaning refuses an empty one
NEIGHBOURS = 3  # months either side whose median is the expected volume


@dataclass(frozen=True)
class Doubt:
    """One month of one source that looks incomplete, and why."""

    source: str
    month: str
    code: str
    reason: str
    column: str = ""


def check(
    plan: Plan,
    tables: dict[str, pd.DataFrame],
    files: Sequence[ExtractFile],
    accepted: Sequence[Acceptance],
    facts: Facts,
) -> pd.DataFrame:
    """completeness.csv: one row per source and month read, with its doubt (if any); each doubt
    is also a data-quality fact."""
    rows = []
    for name, spec in plan.extracts.items():
        found = [f for f in files if f.source == name and f.found]
        if found:
            rows.extend(source_months(spec, tables[name], found, plan))
    table = pd.DataFrame(rows, columns=COLUMNS)
    notes = {(a.source, a.month): a.note for a in accepted}
    table["accepted"] = [
        notes.get((s, m), "") for s, m in zip(table["source"], table["month"], strict=True)
    ]
    for row in table[table["code"] != ""].itertuples():
        code = "accepted_incomplete" if row.accepted else "looks_incomplete"
        detail = f"{row.reason} (accepted: {row.accepted})" if row.accepted else row.reason
        facts.add(code, row.source, _file_of(files, row.source, row.month), 1, detail, row.month)
    return table


def _file_of(files: Sequence[ExtractFile], source: str, month: str) -> str:
    """The file that claims a month of a source (the fact's file)."""
    for file in files:
        if file.source == source and file.found and file.first_month <= month <= file.last_month:
            return display_path(file.path)
    return ""


def source_months(
    spec: ExtractSpec, table: pd.DataFrame, files: Sequence[ExtractFile], plan: Plan
) -> list[dict[str, object]]:
    """Each month the source's files cover: its volume, dates and the first doubt found."""
    months = _months_of(spec, files)
    month_of = table["_month"].astype(object)
    counts = {str(m): int(n) for m, n in month_of.value_counts().items()}
    dates = table.groupby(month_of)["_date"].agg(["min", "max"]).to_dict()
    expected_by_month = {month: expected_volume(month, months, counts) for month in months}
    doubts: dict[str, Doubt] = {}
    for doubt in _doubts(spec, table, files, counts, expected_by_month, plan):
        doubts.setdefault(doubt.month, doubt)  # the weightiest, found first
    rows = []
    for month, expected in expected_by_month.items():
        rows.append(
            {
                "source": spec.name,
                "month": month,
                "rows": int(counts.get(month, 0)),
                "first_date": _day(dates["min"].get(month)),
                "last_date": _day(dates["max"].get(month)),
                "expected": "" if expected is None else round(expected, 1),
                "share": "" if not expected else round(counts.get(month, 0) / expected, 3),
                "code": doubts[month].code if month in doubts else "",
                "column": doubts[month].column if month in doubts else "",
                "reason": doubts[month].reason if month in doubts else "",
                "accepted": "",
            }
        )
    return rows


def _months_of(spec: ExtractSpec, files: Sequence[ExtractFile]) -> list[str]:
    """The months the files claim (a snapshot's only at its end), in order."""
    months: set[str] = set()
    for file in files:
        if spec.snapshot:
            months.add(file.last_month)
        else:
            span = pd.period_range(file.first_month, file.last_month, freq="M")
            months.update(str(m) for m in span)
    return sorted(months)


def expected_volume(month: str, months: Sequence[str], counts: Mapping[str, int]) -> float | None:
    """What the source's history leads one to expect: the same month a year before, if the run
    has it, else the median of the months within three either side (None: nothing to go on)."""
    at = _index(month)
    by_index = {_index(m): m for m in months}
    if at - 12 in by_index:
        return float(counts.get(by_index[at - 12], 0))
    near = [
        counts.get(by_index[i], 0)
        for i in range(at - NEIGHBOURS, at + NEIGHBOURS + 1)
        if i != at and i in by_index
    ]
    return float(np.median(near)) if near else None


def _index(month: str) -> int:
    """'2011-09' -> a count of months, so that months a year apart differ by 12."""
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def _doubts(
    spec: ExtractSpec,
    table: pd.DataFrame,
    files: Sequence[ExtractFile],
    counts: Mapping[str, int],
    expected: Mapping[str, float | None],
    plan: Plan,
) -> Iterable[Doubt]:
    """Doubts in order of weight: an empty file, records that stop early, a low volume, a blank
    key column. Only the first for a month is kept."""
    yield from _empty_files(spec, files)
    if not spec.snapshot and spec.date is not None:
        yield from _stopping_early(spec, table, files)
    yield from _low_volumes(spec, counts, expected)
    yield from _blank_keys(spec, table, list(expected), plan)


def _empty_files(spec: ExtractSpec, files: Sequence[ExtractFile]) -> Iterable[Doubt]:
    for file in files:
        if file.rows_kept == 0:
            for month in _months_of(spec, [file]):
                reason = f"{spec.name} {month_label(month)}: {file.path.name} has no data rows"
                yield Doubt(spec.name, month, "no_rows", reason)


def _stopping_early(
    spec: ExtractSpec, table: pd.DataFrame, files: Sequence[ExtractFile]
) -> Iterable[Doubt]:
    """A file's last record well before its period ends: 'well' is 14 days, or longer where the
    file's own rate would leave gaps that long (ten records' worth)."""
    last_dates = table.groupby(table["_file"].astype(object))["_date"].max()
    for file in files:
        last = last_dates.get(display_path(file.path))
        if last is None or pd.isna(last) or file.rows_kept == 0:
            continue
        start = pd.Period(file.first_month, freq="M").start_time
        end = pd.Period(file.last_month, freq="M").end_time.normalize()
        days = (end - start).days + 1
        allowed = max(14.0, 10.0 * days / file.rows_kept)
        if (end - last).days <= allowed:
            continue
        for month in _months_of(spec, [file]):
            if (pd.Period(month, freq="M").end_time.normalize() - last).days > 14:
                reason = (
                    f"{spec.name} {month_label(month)}: records stop at {last:%d %b %Y}, "
                    f"{(end - last).days} days before the end of {file.path.name}'s period"
                )
                yield Doubt(spec.name, month, "stops_early", reason)


def _low_volumes(
    spec: ExtractSpec, counts: Mapping[str, int], expected_by_month: Mapping[str, float | None]
) -> Iterable[Doubt]:
    """Months far below the volume the source's history leads one to expect."""
    rule = spec.completeness
    for month, expected in expected_by_month.items():
        if expected is None or expected < rule.min_expected:
            continue
        rows = int(counts.get(month, 0))
        if rows < rule.incomplete_below * expected:
            reason = (
                f"{spec.name} {month_label(month)}: {rows:,} record{'' if rows == 1 else 's'}, "
                f"{rows / expected:.0%} of the "
                f"usual {expected:,.0f}: looks incomplete"
            )
            yield Doubt(spec.name, month, "looks_incomplete", reason)


def _blank_keys(
    spec: ExtractSpec, table: pd.DataFrame, months: Sequence[str], plan: Plan
) -> Iterable[Doubt]:
    """A column measures read, blank in most of a month's rows though not in the others."""
    codes, distinct = pd.factorize(table["_month"].astype(object), sort=True)
    sizes = np.bincount(codes, minlength=len(distinct))
    for column in key_columns(spec, plan):
        blank = np.bincount(codes, weights=_blank(table[column]), minlength=len(distinct))
        shares = blank / np.maximum(sizes, 1)
        for position, month in enumerate(distinct):
            usual = float(np.median(np.delete(shares, position))) if len(shares) > 1 else 0.0
            rows = int(sizes[position])
            if rows >= 10 and shares[position] > 0.5 and usual <= 0.5 and month in months:
                reason = (
                    f"{spec.name} {month_label(month)}: {spec.columns[column].header} blank in "
                    f"{shares[position]:.0%} of {rows:,} rows (usually {usual:.0%}): "
                    "looks incomplete"
                )
                yield Doubt(spec.name, month, "key_blank", reason, column)


def _blank(values: pd.Series) -> np.ndarray:
    """Missing or empty cells; a categorical's worked out per category (a force's million rows
    repeat a few thousand values)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        empty = np.append(np.asarray(values.cat.categories.astype(str) == ""), True)
        return empty[codes]  # code -1, missing, takes the last: True
    text = values.astype("string")
    return values.isna().to_numpy() | (text == "").to_numpy(dtype=bool, na_value=False)


def key_columns(spec: ExtractSpec, plan: Plan) -> list[str]:
    """The extract's ward columns and every column a measure reads from it."""
    used: set[str] = {n for n, c in spec.columns.items() if c.type in KEY_TYPES}
    for measure in plan.measures:
        for metric in (measure.metric, *measure.context.values()):
            if spec.name in metric.sources:
                used |= metric_columns(metric)
    return sorted(c for c in used if c in spec.columns and c not in (spec.id, spec.date))


def metric_columns(metric: MetricSpec) -> set[str]:
    """The record columns a metric reads: its kind's, its filter's, its top and breakdown's."""
    columns = set(metric.kind.columns(metric.options))
    columns |= {condition.column for condition in metric.where}
    for grouping in (metric.top, metric.breakdown):
        if grouping is not None:
            columns |= set(grouping.by)
    return columns


def _day(value: object) -> str:
    return "" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


class Doubts:
    """The run's doubted months that no analyst accepted, asked per measure by the judgement."""

    def __init__(self, table: pd.DataFrame | None = None) -> None:
        rows = [] if table is None else table[(table["code"] != "") & (table["accepted"] == "")]
        self.rows = [] if table is None else list(rows.itertuples(index=False))

    def reasons(self, metric: MetricSpec, months: Iterable[str]) -> list[str]:
        """Why these months of this metric cannot be trusted (empty: they can)."""
        wanted, columns = set(months), metric_columns(metric)
        return [
            row.reason
            for row in self.rows
            if row.source in metric.sources
            and row.month in wanted
            and (not row.column or row.column in columns)
        ]
