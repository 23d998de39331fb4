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
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from csp.errors import ExtractError
from csp.extracts import ROW, ExtractFile, display_path
from csp.quality import Facts, mask

if TYPE_CHECKING:
    from csp.plan import ColumnSpec, ExtractSpec

FILE = "_file"
FILE_NO = "_file_no"
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
    return by_distinct(as_text(values), _tidy)


def _tidy(text: pd.Series) -> pd.Series:
    return text.str.replace(_WHITESPACE, " ", regex=True).str.strip()


def by_distinct(values: pd.Series, change: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """`change` (a whole-column function) worked out once per distinct value and spread back:
    extract columns repeat a few wards, streets and offences over thousands of rows."""
    if len(values) < 1000:  # factorising costs more than it saves
        return change(values)
    codes, distinct = pd.factorize(values)
    if 2 * len(distinct) > len(values):
        return change(values)
    changed = change(pd.Series(distinct, dtype=values.dtype)).array
    return pd.Series(changed.take(codes, allow_fill=True), index=values.index)


class Batch:
    """The files whose rows are cleaned together: finds a row's file, records facts per file.

    Each row carries its file's number (`_file_no`, dropped at the end), so per-file counts and
    file attributes are numpy indexing, not a pandas group-by per fact.
    """

    def __init__(
        self,
        spec: ExtractSpec,
        files: Sequence[ExtractFile],
        facts: Facts,
        *,
        monthly: bool = False,
    ) -> None:
        self.spec, self.facts, self.monthly = spec, facts, monthly
        self.files = list(files)
        self.names = [display_path(f.path) for f in files]
        self.first_fact = len(facts.entries)

    def numbered(self, raw: pd.DataFrame) -> pd.DataFrame:
        """A copy of the rows with their file's number (and `_file`, for a single file's rows)."""
        if FILE not in raw.columns:
            raw = raw.assign(**{FILE: self.names[0]})
        files = raw[FILE]
        if (
            isinstance(files.dtype, pd.CategoricalDtype)
            and list(files.cat.categories) == self.names
        ):
            return raw.assign(**{FILE_NO: files.cat.codes.to_numpy(dtype="int64")})
        numbers = {name: number for number, name in enumerate(self.names)}
        return raw.assign(**{FILE_NO: files.map(numbers).to_numpy(dtype="int64")})

    def done(self, table: pd.DataFrame) -> pd.DataFrame:
        """Facts file by file, in file order, each file's in the order they were found."""
        self.facts.order_by_file(self.names, since=self.first_fact)
        return table.drop(columns=FILE_NO)

    def fail(self, table: pd.DataFrame, bad: pd.Series, problem: str, column: str) -> ExtractError:
        """The first bad row, in file order, named by its file, line and column; its value is shown
        masked unless the column's values may be shown (the message reaches the failed notebook)."""
        position = bad.idxmax()
        value = table.loc[position, column] if column in table.columns else ""
        if column not in self.spec.show_values:
            value = mask(value)
        return ExtractError(
            self.files[int(table.loc[position, FILE_NO])].path,
            problem.format(value=value),
            row=int(table.loc[position, ROW]),
            column=self.spec.columns[column].header if column in self.spec.columns else column,
        )

    def count(
        self,
        code: str,
        table: pd.DataFrame,
        rows: object,
        details: pd.Series | None = None,
        shown: pd.Series | None = None,
    ) -> None:
        """Add a fact per file: how many of `rows` (a mask or a count per row of `table`) it has;
        `details` and `shown` (by file name) are its values as sent and as a report may show them."""
        weights = np.asarray(rows, dtype="float64")
        if not weights.any():
            return
        per_file = np.bincount(table[FILE_NO].to_numpy(), weights, minlength=len(self.names))
        for number in np.flatnonzero(per_file):
            name = self.names[number]
            detail = "" if details is None else str(details.get(name, ""))
            safe = None if shown is None else str(shown.get(name, ""))
            month = self.files[number].first_month if self.monthly else ""
            self.facts.add(code, self.spec.name, name, int(per_file[number]), detail, month, safe)

    def shown(self, column: str, values: pd.Series) -> pd.Series:
        """`values` of `column` as a report may show them: as they are where the plan says the
        column's values are safe to show, else each as its mask."""
        text = values.astype(str)
        if column in self.spec.show_values:
            return text
        return by_distinct(text, lambda distinct: "'" + distinct.map(mask) + "'")

    def file_attribute(self, table: pd.DataFrame, attribute: str) -> np.ndarray:
        """Each row's file's `attribute` (first_month, last_month), as a numpy array."""
        values = np.array([getattr(f, attribute) for f in self.files], dtype=object)
        return values[table[FILE_NO].to_numpy()]


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
    table = batch.numbered(raw)
    columns = [c.name for c in spec.columns.values()]
    tidy = {c: tidy_spaces(table[c]) for c in columns}
    blank = np.logical_and.reduce([_is(tidy[c], "") for c in columns])
    batch.count("blank_lines", table, blank)
    table = table[~blank]
    trimmed = np.zeros(len(table), dtype="int64")
    for column in columns:
        text = tidy[column][~blank]
        changed = text.notna().to_numpy() & ~_is(text, as_text(table[column]))
        if changed.any():
            trimmed += changed
            table[column] = text.where(text.notna(), table[column])
    batch.count("spaces_trimmed", table, trimmed, pd.Series("cells", index=batch.names))
    duplicated = table.duplicated(subset=[*columns, FILE], keep="first")
    batch.count("duplicates_dropped", table, duplicated)
    table = table[~duplicated]
    for column in spec.columns.values():
        table[column.name] = typed(table, column, batch, wards)
    return batch.done(_dated(table, batch))


def _is(values: pd.Series, other: object) -> np.ndarray:
    """Equal cell by cell, as a numpy mask (missing cells are not equal to anything)."""
    return (values == other).to_numpy(dtype=bool, na_value=False)


def _dated(table: pd.DataFrame, batch: Batch) -> pd.DataFrame:
    """The month each row counts in: the file's last month for a snapshot, else the row's date."""
    spec = batch.spec
    if spec.snapshot:
        last = batch.file_attribute(table, "last_month")
        table["_month"] = last
        starts = pd.to_datetime(pd.Series(last, index=table.index), format="%Y-%m")
        table["_date"] = starts + pd.offsets.MonthEnd(0)
    elif spec.date is not None:
        dates = table[spec.date]
        table["_date"] = dates
        months = month_text(dates)
        table["_month"] = months
        first = batch.file_attribute(table, "first_month")
        last = batch.file_attribute(table, "last_month")
        _refuse_later_rows(table, months.to_numpy() > last, batch)
        batch.count("outside_period", table, months.to_numpy() < first)
    table["_source"] = spec.name
    table[FILE] = table.pop(FILE).astype("str")
    return table.reset_index(drop=True)


def _refuse_later_rows(table: pd.DataFrame, later: np.ndarray, batch: Batch) -> None:
    """Rows dated after their file's period, or in the future, contradict the file: a quarter's
    extract cannot hold a later month's records (earlier ones are late records, and kept)."""
    spec = batch.spec
    future = (table[spec.date] > pd.Timestamp.now()).to_numpy(dtype=bool, na_value=False)
    if future.any():
        problem = "'{value}' is in the future: check the extract's dates"
        raise batch.fail(table, pd.Series(future, index=table.index), problem, spec.date)
    if later.any():
        last = batch.file_attribute(table, "last_month")[later.argmax()]
        problem = f"'{{value}}' is after the file's period, which ends with {last}"
        raise batch.fail(table, pd.Series(later, index=table.index), problem, spec.date)


def month_text(dates: pd.Series) -> pd.Series:
    """'2011-04' for each date, as text (months are compared and stored as text)."""
    months = dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[M]").astype(str)
    return pd.Series(months, index=dates.index, dtype=object)


def typed(
    table: pd.DataFrame, column: ColumnSpec, batch: Batch, wards: dict[str, str]
) -> pd.Series:
    """One column read as its plan type; an empty cell where a value is needed names its row."""
    values = table[column.name]
    empty = (values.isna() | (values == "")).astype(bool)
    must_have = (
        column.type in ("date", "month")
        or (column.required and column.type != "str")
        or column.name == batch.spec.id  # a record's reference: a re-sent copy is found by it
    )
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
        _check_range(table, numbers, column, batch)
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


def _check_range(table: pd.DataFrame, numbers: pd.Series, column: ColumnSpec, batch: Batch) -> None:
    """A number outside what the plan says is possible (a negative count, 250 per cent)
    contradicts the extract: refused, naming the first such row."""
    if column.min is not None and (low := numbers < column.min).any():
        raise batch.fail(
            table, low, f"'{{value}}' is below {column.min:g}, the least possible", column.name
        )
    if column.max is not None and (high := numbers > column.max).any():
        raise batch.fail(
            table, high, f"'{{value}}' is above {column.max:g}, the most possible", column.name
        )


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
    canonical = by_distinct(as_text(values), lambda v: ward_keys(v).map(wards)).astype(object)
    renamed = canonical.notna() & (canonical != values)
    if renamed.any():
        sent, ward = values[renamed], " -> " + canonical[renamed].astype(str)
        pairs = sent.astype(str) + ward, batch.shown(column.name, sent) + ward
        listed = [_listed(text, files[renamed]) for text in pairs]
        batch.count("ward_spelling_matched", table, renamed, *listed)
    unknown = canonical.isna() & ~empty
    if unknown.any():
        names = values[unknown], batch.shown(column.name, values[unknown])
        listed = [_listed(text.astype(str), files[unknown]) for text in names]
        batch.count("ward_not_recognised", table, unknown, *listed)
    batch.count("no_ward", table, empty)
    return canonical.astype("string")


def _listed(values: pd.Series, files: pd.Series) -> pd.Series:
    """Per file, its distinct values sorted and joined with '; ' (the detail of a fact)."""
    distinct = pd.DataFrame(
        {"file": files.to_numpy(), "value": values.to_numpy()}
    ).drop_duplicates()
    return distinct.sort_values("value").groupby("file")["value"].agg("; ".join)
