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
import pyarrow as pa
import pyarrow.compute as pc

from csp.domain.periods import month_label
from csp.domain.quality import Facts
from csp.inputs.extracts import Acceptance, ExtractFile, display_path

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
    by_month = _Groups(table["_month"])
    counts = {str(m): int(n) for m, n in zip(by_month.keys, by_month.sizes, strict=True) if n}
    first, last = by_month.date_range(table["_date"])
    expected_by_month = {month: expected_volume(month, months, counts) for month in months}
    doubts: dict[str, Doubt] = {}
    for doubt in _doubts(spec, table, files, counts, expected_by_month, plan, by_month):
        doubts.setdefault(doubt.month, doubt)  # the weightiest, found first
    rows = []
    for month, expected in expected_by_month.items():
        rows.append(
            {
                "source": spec.name,
                "month": month,
                "rows": int(counts.get(month, 0)),
                "first_date": _day(first.get(month)),
                "last_date": _day(last.get(month)),
                "expected": "" if expected is None else round(expected, 1),
                "share": "" if not expected else round(counts.get(month, 0) / expected, 3),
                "code": doubts[month].code if month in doubts else "",
                "column": doubts[month].column if month in doubts else "",
                "reason": doubts[month].reason if month in doubts else "",
                "accepted": "",
            }
        )
    return rows


class _Groups:
    """A column's rows grouped by value (missing values in no group) as numpy codes: a source's
    checks count and reduce per month and per file without a pandas group-by each."""

    def __init__(self, values: pd.Series) -> None:
        if isinstance(values.dtype, pd.CategoricalDtype):
            self.codes = values.cat.codes.to_numpy().astype(np.intp)
            self.keys: list[object] = values.cat.categories.tolist()
        else:
            codes, keys = pd.factorize(values)
            self.codes, self.keys = codes, keys.tolist()
        present = self.codes >= 0
        self.sizes = np.bincount(self.codes[present], minlength=len(self.keys))

    def date_range(self, dates: pd.Series) -> tuple[dict[object, pd.Timestamp], ...]:
        """The earliest and latest date of each group that has one."""
        values = dates.to_numpy()
        ticks = values.view("int64")
        valid = (self.codes >= 0) & ~np.isnat(values)
        codes, ticks = self.codes[valid], ticks[valid]
        low = np.full(len(self.keys), np.iinfo(np.int64).max)
        high = np.full(len(self.keys), np.iinfo(np.int64).min)
        np.minimum.at(low, codes, ticks)
        np.maximum.at(high, codes, ticks)
        found = np.bincount(codes, minlength=len(self.keys)) > 0
        unit = values.dtype
        first = {k: pd.Timestamp(low[i].astype(unit)) for i, k in enumerate(self.keys) if found[i]}
        last = {k: pd.Timestamp(high[i].astype(unit)) for i, k in enumerate(self.keys) if found[i]}
        return first, last


def _months_of(spec: ExtractSpec, files: Sequence[ExtractFile]) -> list[str]:
    """The months the files claim (a snapshot's only at its end), in order."""
    months: set[str] = set()
    for file in files:
        if spec.snapshot:
            months.add(file.last_month)
        else:
            first, last = _index(file.first_month), _index(file.last_month)
            months.update(f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(first, last + 1))
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
    by_month: _Groups,
) -> Iterable[Doubt]:
    """Doubts in order of weight: an empty file, records that stop early, a low volume, a blank
    key column. Only the first for a month is kept."""
    yield from _empty_files(spec, files)
    if not spec.snapshot and spec.date is not None:
        yield from _stopping_early(spec, table, files)
    yield from _low_volumes(spec, counts, expected)
    yield from _blank_keys(spec, table, list(expected), plan, by_month)


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
    last_dates = _Groups(table["_file"]).date_range(table["_date"])[1]
    for file in files:
        last = last_dates.get(display_path(file.path))
        if last is None or pd.isna(last) or file.rows_kept == 0:
            continue
        start = _month_start(file.first_month)
        end = _month_end(file.last_month)
        days = (end - start).days + 1
        allowed = max(14.0, 10.0 * days / file.rows_kept)
        if (end - last).days <= allowed:
            continue
        for month in _months_of(spec, [file]):
            if (_month_end(month) - last).days > 14:
                reason = (
                    f"{spec.name} {month_label(month)}: records stop at {last:%d %b %Y}, "
                    f"{(end - last).days} days before the end of {file.path.name}'s period"
                )
                yield Doubt(spec.name, month, "stops_early", reason)


def _month_start(month: str) -> pd.Timestamp:
    return pd.Timestamp(int(month[:4]), int(month[5:7]), 1)


def _month_end(month: str) -> pd.Timestamp:
    """The month's last day (midnight), as Period.end_time.normalize() gives it."""
    following = _index(month) + 1
    return pd.Timestamp(following // 12, following % 12 + 1, 1) - pd.Timedelta(days=1)


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
    spec: ExtractSpec, table: pd.DataFrame, months: Sequence[str], plan: Plan, by_month: _Groups
) -> Iterable[Doubt]:
    """A column measures read, blank in most of a month's rows though not in the others."""
    used = [code for code, size in enumerate(by_month.sizes) if size]
    order = sorted(used, key=lambda code: by_month.keys[code])  # months in order
    position_of = np.zeros(len(by_month.keys), dtype=np.intp)
    position_of[order] = np.arange(len(order))
    present = by_month.codes >= 0
    codes = position_of[by_month.codes[present]]
    distinct = [by_month.keys[code] for code in order]
    sizes = by_month.sizes[order]
    for column in key_columns(spec, plan):
        blank = np.bincount(codes, weights=_blank(table[column])[present], minlength=len(distinct))
        shares = blank / np.maximum(sizes, 1)
        for position, month in enumerate(distinct):
            rows = int(sizes[position])
            if not (rows >= 10 and shares[position] > 0.5 and month in months):
                continue
            usual = float(np.median(np.delete(shares, position))) if len(shares) > 1 else 0.0
            if usual <= 0.5:
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
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        array = pa.array(values.array)  # cleaned text: one Arrow comparison, missing is blank
        blank = pc.fill_null(pc.equal(array, ""), True)
        return np.asarray(blank.to_numpy(zero_copy_only=False), dtype=bool)
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
