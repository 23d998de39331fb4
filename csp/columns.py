"""Typed columns: a partner's raw cells become ids, dates, wards, flags and numbers, column at a time.

What real extracts carry, and what happens to it: blank lines are skipped; stray spaces trimmed; exact
duplicate rows dropped; ward spellings (`Mandale & Victoria`, `STOCKTON TOWN CENTRE`) are matched to
the plan's wards; dates are read as the plan says (dd/mm/yyyy by default). A value that cannot be read
stops the run with the file, row and column, because a silently dropped record would change a status.

All the files of one extract are cleaned together, whole columns at a time (pandas `.str` on Arrow
strings, `isin`, `to_datetime(format=...)`), and facts are counted per file with `groupby`: a Python
call per cell, or a pandas call per column of every small file, made cleaning take seconds.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from csp.errors import ExtractError
from csp.extracts import ROW, ExtractFile, display_path
from csp.quality import Facts

if TYPE_CHECKING:
    from csp.plan import ColumnSpec, ExtractSpec

FILE = "_file"
TRUE_WORDS = {"y", "yes", "true", "1"}
FALSE_WORDS = {"n", "no", "false", "0"}
# Whitespace as Python's str.split() sees it (RE2's \s is ASCII only): runs become one space.
_WHITESPACE = r"[\t\n\v\f\r\x1c-\x1f\x85\pZ]+"


def ward_key(name: str) -> str:
    """Spelling-insensitive key: case, '&' for 'and', punctuation and spacing do not matter."""
    text = re.sub(r"[^a-z0-9]+", " ", name.casefold().replace("&", " and "))
    return " ".join(text.split())


def ward_keys(names: pd.Series) -> pd.Series:
    """`ward_key` of a whole column; cells that are not text give NA."""
    text = as_text(names).str.casefold().str.replace("&", " and ", regex=False)
    return text.str.replace(r"[^a-z0-9]+", " ", regex=True).str.strip()


def ward_lookup(wards: tuple[str, ...]) -> dict[str, str]:
    return {ward_key(w): w for w in wards}


def text_mask(values: pd.Series) -> pd.Series:
    """Which cells are text (an Excel column may mix text with dates)."""
    if isinstance(values.dtype, pd.StringDtype):
        return values.notna()
    kind = pd.api.types.infer_dtype(values, skipna=False)
    if kind in ("string", "empty"):
        return pd.Series(True, index=values.index)
    try:
        return values.str.len().notna()
    except AttributeError:  # no text at all: the .str accessor refuses the column
        return pd.Series(False, index=values.index)


def as_text(values: pd.Series) -> pd.Series:
    """The column's text cells as Arrow-backed strings (other cells NA), for whole-column `.str`."""
    if isinstance(values.dtype, pd.StringDtype):
        return values
    return values.where(text_mask(values)).astype("str")


def tidy_spaces(values: pd.Series) -> pd.Series:
    """Text with runs of whitespace made one space and the ends trimmed; other cells NA."""
    return as_text(values).str.replace(_WHITESPACE, " ", regex=True).str.strip()


class Batch:
    """The files whose rows are cleaned together: finds a row's file, records facts per file."""

    def __init__(
        self,
        spec: ExtractSpec,
        files: Sequence[ExtractFile],
        facts: Facts,
        *,
        monthly: bool = False,
    ) -> None:
        self.spec, self.facts, self.monthly = spec, facts, monthly
        self.files = {display_path(f.path): f for f in files}
        self.first_fact = len(facts.entries)

    def done(self) -> None:
        """Facts file by file, in file order, each file's in the order they were found."""
        self.facts.order_by_file(list(self.files), since=self.first_fact)

    def path_of(self, table: pd.DataFrame, position: object) -> ExtractFile:
        return self.files[str(table.loc[position, FILE])]

    def fail(self, table: pd.DataFrame, bad: pd.Series, problem: str, column: str) -> ExtractError:
        """The first bad row, in file order, named by its file, line and column."""
        position = bad.idxmax()
        value = table.loc[position, column] if column in table.columns else ""
        return ExtractError(
            self.path_of(table, position).path,
            problem.format(value=value),
            row=int(table.loc[position, ROW]),
            column=self.spec.columns[column].header if column in self.spec.columns else column,
        )

    def count(
        self, code: str, rows: pd.Series, files: pd.Series, details: pd.Series | None = None
    ) -> None:
        """Add a fact per file: how many of `rows` (a boolean or count per row) each file has."""
        per_file = rows.astype("int64").groupby(files.to_numpy()).sum()
        for name, total in per_file.items():
            detail = "" if details is None else str(details.get(name, ""))
            month = self.files[str(name)].first_month if self.monthly else ""
            self.facts.add(code, self.spec.name, str(name), int(total), detail, month)

    def file_attribute(self, files: pd.Series, attribute: str) -> pd.Series:
        return files.map({name: getattr(f, attribute) for name, f in self.files.items()})


def clean_extract(
    raw: pd.DataFrame,
    spec: ExtractSpec,
    files: Sequence[ExtractFile],
    wards: dict[str, str],
    facts: Facts,
) -> pd.DataFrame:
    """Type and tidy the rows of an extract's files (`_file` names each row's file; a single file's
    rows may leave it out); raise ExtractError naming the file and row of an unreadable value."""
    batch = Batch(spec, files, facts)
    if FILE not in raw.columns:
        raw = raw.assign(**{FILE: display_path(files[0].path)})
    columns = [c.name for c in spec.columns.values()]
    tidy = pd.DataFrame({c: tidy_spaces(raw[c]) for c in columns})
    blank = (tidy == "").all(axis=1)
    batch.count("blank_lines", blank, raw[FILE])
    table, tidy = raw[~blank].copy(), tidy[~blank]
    texts = pd.DataFrame({c: as_text(table[c]) for c in columns})
    changed = tidy.notna() & (tidy != texts).fillna(True)
    batch.count("spaces_trimmed", changed.sum(axis=1), table[FILE], _same("cells", table[FILE]))
    table[columns] = tidy.where(tidy.notna(), table[columns])
    duplicated = table.duplicated(subset=[*columns, FILE], keep="first")
    batch.count("duplicates_dropped", duplicated, table[FILE])
    table = table[~duplicated]
    for column in spec.columns.values():
        table[column.name] = typed(table, column, batch, wards)
    table = _dated(table, batch)
    batch.done()
    return table


def _same(detail: str, files: pd.Series) -> pd.Series:
    return pd.Series(detail, index=pd.unique(files.to_numpy()))


def _dated(table: pd.DataFrame, batch: Batch) -> pd.DataFrame:
    """The month each row counts in: the file's last month for a snapshot, else the row's date."""
    spec, files = batch.spec, table[FILE]
    if spec.snapshot:
        last = batch.file_attribute(files, "last_month")
        table["_month"] = last.astype(object)
        ends = pd.PeriodIndex(last.unique(), freq="M").to_timestamp(how="end").normalize()
        table["_date"] = last.map(dict(zip(last.unique(), ends, strict=True)))
    elif spec.date is not None:
        dates = table[spec.date]
        table["_date"] = dates
        table["_month"] = month_text(dates)
        first = batch.file_attribute(files, "first_month")
        last = batch.file_attribute(files, "last_month")
        outside = (table["_month"] < first) | (table["_month"] > last)
        batch.count("outside_period", outside, files)
    table["_source"] = spec.name
    table[FILE] = table.pop(FILE)
    return table.reset_index(drop=True)


def month_text(dates: pd.Series) -> pd.Series:
    """'2011-04' for each date, as text (months are compared and stored as text)."""
    return dates.dt.strftime("%Y-%m").astype(object)


def typed(
    table: pd.DataFrame, column: ColumnSpec, batch: Batch, wards: dict[str, str]
) -> pd.Series:
    """One column read as its plan type; an empty cell where a value is needed names its row."""
    values = table[column.name]
    empty = (values.isna() | (values == "")).astype(bool)
    must_have = column.type in ("id", "date", "month") or (column.required and column.type != "str")
    if must_have and empty.any():
        raise batch.fail(table, empty, f"{column.type} value is empty", column.name)
    if column.type == "date":
        return dates(table, column, batch)
    if column.type in ("int", "number"):
        numbers = pd.to_numeric(values.where(~empty), errors="coerce")
        bad = numbers.isna() & ~empty
        if column.type == "int":
            bad |= numbers.notna() & (numbers % 1 != 0)
        if bad.any():
            whole = "whole " if column.type == "int" else ""
            raise batch.fail(table, bad, f"'{{value}}' is not a {whole}number", column.name)
        return numbers
    if column.type == "flag":
        lowered = values.astype(str).str.strip().str.casefold()
        bad = ~lowered.isin(TRUE_WORDS | FALSE_WORDS) & ~empty
        if bad.any():
            problem = "'{value}' is not a yes/no flag (expected Y or N)"
            raise batch.fail(table, bad, problem, column.name)
        return lowered.isin(TRUE_WORDS).where(~empty, other=pd.NA).astype("boolean")
    if column.type == "ward" and wards:
        return _wards(table, column, empty, wards, batch)
    return values.where(~empty, other=pd.NA).astype("string")


def dates(table: pd.DataFrame, column: ColumnSpec, batch: Batch) -> pd.Series:
    """Read dates in the plan's format; Excel cells that are already dates are taken as they are."""
    values, fmt = table[column.name], batch.spec.date_format
    is_date = ~text_mask(values) & values.notna()
    parsed = pd.to_datetime(as_text(values), format=fmt, errors="coerce")
    if is_date.any():
        parsed[is_date] = pd.to_datetime(values[is_date].astype(object))
    bad = parsed.isna()
    if bad.any():
        example = dt.date(2011, 4, 5).strftime(fmt)
        readable = (
            fmt.replace("%d", "dd").replace("%m", "mm").replace("%Y", "yyyy").replace("%y", "yy")
        )
        problem = f"'{{value}}' is not a date in the form {readable} (e.g. {example})"
        raise batch.fail(table, bad, problem, column.name)
    return parsed.astype("datetime64[ns]")


def _wards(
    table: pd.DataFrame, column: ColumnSpec, empty: pd.Series, wards: dict[str, str], batch: Batch
) -> pd.Series:
    """The plan's spelling of each ward; unknown and missing wards are kept (borough totals)."""
    values, files = table[column.name], table[FILE]
    canonical = ward_keys(values).map(wards).astype(object)
    renamed = canonical.notna() & (canonical != values)
    pairs = values[renamed].astype(str) + " -> " + canonical[renamed].astype(str)
    batch.count("ward_spelling_matched", renamed, files, _listed(pairs, files[renamed]))
    unknown = canonical.isna() & ~empty
    names = values[unknown].astype(str)
    batch.count("ward_not_recognised", unknown, files, _listed(names, files[unknown]))
    batch.count("no_ward", empty, files)
    return canonical.astype("string")


def _listed(values: pd.Series, files: pd.Series) -> pd.Series:
    """Per file, its distinct values sorted and joined with '; ' (the detail of a fact)."""
    distinct = pd.DataFrame(
        {"file": files.to_numpy(), "value": values.to_numpy()}
    ).drop_duplicates()
    return distinct.sort_values("value").groupby("file")["value"].agg("; ".join)
