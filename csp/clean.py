"""Cleaning: raw extract rows become typed, tidy tables, and every change is logged for the report.

What real extracts carry, and what happens to it: blank lines are skipped; stray spaces trimmed; exact
duplicate rows dropped; a record re-sent in a later file replaces the earlier copy; ward spellings
(`Mandale & Victoria`, `STOCKTON TOWN CENTRE`) are matched to the plan's wards; dates are read as the
plan says (dd/mm/yyyy by default). A value that cannot be read stops the run with the file, row and
column, because a silently dropped record would change a status.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from csp import extracts
from csp.errors import ExtractError
from csp.extracts import ROW, ExtractFile
from csp.periods import FinancialYear
from csp.plan import ColumnSpec, ExtractSpec, Plan

LOG_COLUMNS = ["source", "file", "change", "rows", "detail"]
TRUE_WORDS = {"y", "yes", "true", "1"}
FALSE_WORDS = {"n", "no", "false", "0"}


@dataclass
class CleaningLog:
    """What cleaning changed, one line per kind of change per file."""

    entries: list[dict[str, object]] = field(default_factory=list)

    def add(self, source: str, file: str, change: str, rows: int, detail: str = "") -> None:
        if rows:
            self.entries.append(
                {"source": source, "file": file, "change": change, "rows": rows, "detail": detail}
            )

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.entries, columns=LOG_COLUMNS)


@dataclass
class Cleaned:
    """The result of cleaning one run's extracts."""

    tables: dict[str, pd.DataFrame]
    inventory: pd.DataFrame
    log: pd.DataFrame


def ward_key(name: str) -> str:
    """Spelling-insensitive key: case, '&' for 'and', punctuation and spacing do not matter."""
    text = name.casefold().replace("&", " and ")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


def ward_lookup(wards: tuple[str, ...]) -> dict[str, str]:
    return {ward_key(w): w for w in wards}


def clean_extract(
    raw: pd.DataFrame,
    spec: ExtractSpec,
    file: ExtractFile,
    wards: dict[str, str],
    log: CleaningLog,
) -> pd.DataFrame:
    """Type and tidy one file's rows; raise ExtractError naming the row for unreadable values."""
    name = extracts.display_path(file.path)
    columns = [c.name for c in spec.columns.values()]
    table = raw.copy()
    text_columns = [c for c in columns if table[c].map(lambda v: isinstance(v, str)).any()]
    blank = (
        table[columns]
        .map(lambda v: v is None or (isinstance(v, str) and not v.strip()))
        .all(axis=1)
    )
    log.add(spec.name, name, "blank lines skipped", int(blank.sum()))
    table = table[~blank]
    trimmed = 0
    for column in text_columns:
        original = table[column]
        stripped = original.map(lambda v: " ".join(v.split()) if isinstance(v, str) else v)
        trimmed += int((stripped != original).sum())
        table[column] = stripped
    log.add(spec.name, name, "stray spaces trimmed", trimmed, "cells")
    duplicated = table.duplicated(subset=columns, keep="first")
    log.add(spec.name, name, "exact duplicate rows dropped", int(duplicated.sum()))
    table = table[~duplicated]
    for column in spec.columns.values():
        table[column.name] = _typed(table, column, spec, file, wards, log)
    if spec.snapshot:
        table["_month"] = file.last_month
        table["_date"] = pd.Period(file.last_month, freq="M").to_timestamp(how="end").normalize()
    elif spec.date is not None:
        table["_date"] = table[spec.date]
        table["_month"] = table[spec.date].dt.to_period("M").astype(str)
        outside = ~table["_month"].between(file.first_month, file.last_month)
        log.add(
            spec.name,
            name,
            "rows dated outside the file's period (counted in their own month)",
            int(outside.sum()),
        )
    table["_source"] = spec.name
    table["_file"] = name
    return table.reset_index(drop=True)


def _typed(
    table: pd.DataFrame,
    column: ColumnSpec,
    spec: ExtractSpec,
    file: ExtractFile,
    wards: dict[str, str],
    log: CleaningLog,
) -> pd.Series:
    values = table[column.name]
    empty = values.map(lambda v: v is None or (isinstance(v, str) and v == "")).astype(bool)
    must_have = column.type in ("id", "date", "month") or (column.required and column.type != "str")
    if must_have and empty.any():
        row = int(table.loc[empty.idxmax(), ROW])
        raise ExtractError(
            file.path, f"{column.type} value is empty", row=row, column=column.header
        )
    if column.type == "date":
        return _dates(values, spec.date_format, table[ROW], file.path, column.header)
    if column.type in ("int", "number"):
        numbers = pd.to_numeric(values.where(~empty), errors="coerce")
        bad = numbers.isna() & ~empty
        if column.type == "int":
            bad |= numbers.notna() & (numbers % 1 != 0)
        if bad.any():
            position = bad.idxmax()
            raise ExtractError(
                file.path,
                f"'{values[position]}' is not a {'whole ' if column.type == 'int' else ''}number",
                row=int(table.loc[position, ROW]),
                column=column.header,
            )
        return numbers
    if column.type == "flag":
        lowered = values.map(lambda v: str(v).strip().casefold())
        bad = ~lowered.isin(TRUE_WORDS | FALSE_WORDS) & ~empty
        if bad.any():
            position = bad.idxmax()
            raise ExtractError(
                file.path,
                f"'{values[position]}' is not a yes/no flag (expected Y or N)",
                row=int(table.loc[position, ROW]),
                column=column.header,
            )
        return lowered.isin(TRUE_WORDS).where(~empty, other=pd.NA).astype("boolean")
    if column.type == "ward" and wards:
        return _wards(values, empty, wards, spec, file, log)
    return values.where(~empty, other=pd.NA).astype("string")


def _dates(values: pd.Series, fmt: str, rows: pd.Series, path: Path, header: str) -> pd.Series:
    """Read dates in the plan's format; Excel cells that are already dates are taken as they are."""
    is_date = values.map(lambda v: isinstance(v, dt.datetime | dt.date))
    parsed = pd.to_datetime(values.where(~is_date).astype("string"), format=fmt, errors="coerce")
    parsed[is_date] = pd.to_datetime(values[is_date].astype(object))
    bad = parsed.isna()
    if bad.any():
        position = bad.idxmax()
        example = dt.date(2011, 4, 5).strftime(fmt)
        readable = (
            fmt.replace("%d", "dd").replace("%m", "mm").replace("%Y", "yyyy").replace("%y", "yy")
        )
        raise ExtractError(
            path,
            f"'{values[position]}' is not a date in the form {readable} (e.g. {example})",
            row=int(rows[position]),
            column=header,
        )
    return parsed.astype("datetime64[ns]")


def _wards(
    values: pd.Series,
    empty: pd.Series,
    wards: dict[str, str],
    spec: ExtractSpec,
    file: ExtractFile,
    log: CleaningLog,
) -> pd.Series:
    name = extracts.display_path(file.path)
    canonical = values.map(lambda v: wards.get(ward_key(v)) if isinstance(v, str) else None)
    renamed = canonical.notna() & (canonical != values)
    if renamed.any():
        pairs = sorted(
            {f"{a} -> {b}" for a, b in zip(values[renamed], canonical[renamed], strict=True)}
        )
        log.add(
            spec.name,
            name,
            "ward spellings matched to the plan's wards",
            int(renamed.sum()),
            "; ".join(pairs),
        )
    unknown = canonical.isna() & ~empty
    if unknown.any():
        names = sorted(set(values[unknown]))
        log.add(
            spec.name,
            name,
            "wards not recognised (kept for borough totals, in no ward)",
            int(unknown.sum()),
            "; ".join(names),
        )
    log.add(spec.name, name, "rows with no ward (kept for borough totals)", int(empty.sum()))
    return canonical.astype("string")


def clean_all(plan: Plan, raw_dir: Path, year: FinancialYear, quarter: int) -> Cleaned:
    """Read and clean every extract a run needs; log each change; inventory every expected file."""
    files = extracts.expected_files(plan, raw_dir, year, quarter)
    log = CleaningLog()
    wards = ward_lookup(plan.wards)
    pieces: dict[str, list[pd.DataFrame]] = {name: [] for name in plan.extracts}
    for file in files:
        if not file.found:
            continue
        spec = plan.extracts[file.source]
        if spec.layout == "police_uk":
            from csp import policeuk

            table = policeuk.clean_month(file, spec, plan, log)
        else:
            raw = extracts.read_extract(file.path, spec)
            file.rows_read = len(raw)
            table = clean_extract(raw, spec, file, wards, log)
        file.sha256 = extracts.sha256_of(file.path)
        file.rows_kept = len(table)
        pieces[file.source].append(table)
    tables = {}
    for source, frames in pieces.items():
        spec = plan.extracts[source]
        tables[source] = _combine(frames, spec, files, log) if frames else _empty_table(spec)
    return Cleaned(tables=tables, inventory=extracts.inventory_table(files), log=log.table())


def _combine(
    frames: list[pd.DataFrame], spec: ExtractSpec, files: list[ExtractFile], log: CleaningLog
) -> pd.DataFrame:
    """Stack a source's files; a record sent again in a later file replaces the earlier copy."""
    table = pd.concat(frames, ignore_index=True)
    if spec.id is None or spec.snapshot:
        return table
    resent = table.duplicated(subset=[spec.id], keep="last")
    if resent.any():
        log.add(
            spec.name,
            "(all files)",
            "records sent again in a later file (the later copy kept)",
            int(resent.sum()),
        )
    kept = table[~resent].reset_index(drop=True)
    kept_by_file = kept["_file"].value_counts()
    for file in files:
        if file.source == spec.name and file.found:
            file.rows_kept = int(kept_by_file.get(extracts.display_path(file.path), 0))
    return kept


def _empty_table(spec: ExtractSpec) -> pd.DataFrame:
    columns = [c.name for c in spec.columns.values()] + [
        "_row",
        "_date",
        "_month",
        "_source",
        "_file",
    ]
    table = pd.DataFrame({c: pd.Series(dtype="string") for c in columns})
    table["_date"] = pd.Series(dtype="datetime64[ns]")
    table["_row"] = pd.Series(dtype="int64")
    return table
