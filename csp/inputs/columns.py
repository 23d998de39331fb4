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
from collections.abc import Sequence

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

from csp.domain.quality import Facts
from csp.domain.specs import ColumnSpec, ExtractSpec
from csp.errors import ExtractError
from csp.inputs.cells import (
    FALSE_WORDS,
    FILE,
    FILE_NO,
    TRUE_WORDS,
    Batch,
    Cells,
    as_text,
    text_mask,
    ward_key,
)
from csp.inputs.extracts import ExtractFile


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
    cells = {c.name: Cells(table[c.name]) for c in spec.columns.values()}
    tidy = {name: column.tidied() for name, column in cells.items()}
    blank = np.logical_and.reduce([cells[name].blank(tidy[name]) for name in cells])
    file_numbers = table[FILE_NO].to_numpy()
    batch.count("blank_lines", file_numbers, blank)
    kept = Kept(table, np.flatnonzero(~blank))
    trimmed = np.zeros(len(kept.rows), dtype="int64")
    for name, column in cells.items():
        column.keep(~blank)
        trimmed += column.trim(tidy[name])
    batch.count("spaces_trimmed", kept.file_numbers(), trimmed, {n: "cells" for n in batch.names})
    duplicated = _duplicated([c.codes for c in cells.values()], kept.file_numbers())
    batch.count("duplicates_dropped", kept.file_numbers(), duplicated)
    kept.rows = kept.rows[~duplicated]
    for column in cells.values():
        column.keep(~duplicated)
    typed_columns = {
        c.name: typed(cells[c.name], c, batch, wards, kept) for c in spec.columns.values()
    }
    records = _records(kept, typed_columns, batch)
    batch.ordered()
    return records


class Kept:
    """The rows of the numbered table still kept, by position; the frame of them when done, or
    to name a row in a refusal."""

    def __init__(self, table: pd.DataFrame, rows: np.ndarray) -> None:
        self.table, self.rows = table, rows

    def file_numbers(self) -> np.ndarray:
        return self.table[FILE_NO].to_numpy()[self.rows]

    def frame(self, columns: dict[str, object]) -> pd.DataFrame:
        """The kept rows with `columns` in place of the table's own, in the table's order."""
        cells = {
            name: columns[name] if name in columns else self.table[name].array.take(self.rows)
            for name in self.table.columns
        }
        return pd.DataFrame(cells, index=self.table.index[self.rows])

    def refusal(
        self, batch: Batch, cells: Cells, bad: np.ndarray, problem: str, column: str
    ) -> ExtractError:
        """The error naming the first kept row in `bad` (and its value as cleaning left it)."""
        frame = self.frame({column: cells.series().array})
        return batch.fail(frame, pd.Series(bad, index=frame.index), problem, column)


def _duplicated(codes: list[np.ndarray], file_numbers: np.ndarray) -> np.ndarray:
    """Rows equal in every column to an earlier row of the same file (DataFrame.duplicated over
    the columns and `_file`, keep first), from the columns' codes."""
    key = file_numbers.astype("int64")
    for column in codes:
        size = int(column.max(initial=0)) + 1
        if int(key.max(initial=0)) + 1 > 2**62 // size:  # renumber before the product overflows
            key = np.unique(key, return_inverse=True)[1].astype("int64")
        key = key * size + column
    first = np.unique(key, return_index=True)[1]
    duplicated = np.ones(len(key), dtype=bool)
    duplicated[first] = False
    return duplicated


def _records(kept: Kept, typed_columns: dict[str, object], batch: Batch) -> pd.DataFrame:
    """The cleaned table, made once: the typed columns and `_row` in the table's order, then the
    month each row counts in, `_source` and `_file`."""
    table = kept.table
    columns = {
        name: typed_columns[name] if name in typed_columns else table[name].array.take(kept.rows)
        for name in table.columns
        if name not in (FILE, FILE_NO)
    }
    columns.update(_months(kept, typed_columns, batch))
    frame = pd.DataFrame(columns)
    frame["_source"] = batch.spec.name
    frame[FILE] = pd.array(batch.names, dtype="str").take(kept.file_numbers())  # row's file
    return frame


def _months(kept: Kept, typed_columns: dict[str, object], batch: Batch) -> dict[str, object]:
    """`_date` and `_month`: a snapshot's file's last month (its last day), else the row's date
    and its month; rows dated after their file's period are refused, earlier ones counted."""
    spec, numbers = batch.spec, kept.file_numbers()
    if spec.snapshot:
        lasts = [file.last_month for file in batch.files]
        ends = pd.to_datetime(pd.Series(lasts), format="%Y-%m") + pd.offsets.MonthEnd(0)
        return {"_month": np.array(lasts, dtype=object)[numbers], "_date": ends.array.take(numbers)}
    if spec.date is None:
        return {}
    dates = np.asarray(typed_columns[spec.date])
    months = dates.astype("datetime64[M]").astype(str).astype(object)
    first = np.array([file.first_month for file in batch.files], dtype=object)[numbers]
    last = np.array([file.last_month for file in batch.files], dtype=object)[numbers]
    _refuse_later_rows(kept, typed_columns, dates, months > last, batch)
    batch.count("outside_period", numbers, months < first)
    return {"_date": dates, "_month": pd.Series(months, dtype=object)}


def _refuse_later_rows(
    kept: Kept,
    typed_columns: dict[str, object],
    dates: np.ndarray,
    later: np.ndarray,
    batch: Batch,
) -> None:
    """Rows dated after their file's period, or in the future, contradict the file: a quarter's
    extract cannot hold a later month's records (earlier ones are late records, and kept)."""
    spec = batch.spec
    future = dates > pd.Timestamp.now().to_datetime64()
    if not (future.any() or later.any()):
        return
    table = kept.frame(typed_columns)
    if future.any():
        problem = "'{value}' is in the future: check the extract's dates"
        raise batch.fail(table, pd.Series(future, index=table.index), problem, spec.date)
    last = batch.file_attribute(table, "last_month")[later.argmax()]
    problem = f"'{{value}}' is after the file's period, which ends with {last}"
    raise batch.fail(table, pd.Series(later, index=table.index), problem, spec.date)


def typed(
    cells: Cells, column: ColumnSpec, batch: Batch, wards: dict[str, str], kept: Kept
) -> ExtensionArray | np.ndarray:
    """One column read as its plan type; an empty cell where a value is needed names its row."""
    empty = cells.empty()
    must_have = (
        column.type in ("date", "month")
        or (column.required and column.type != "str")
        or column.name == batch.spec.id  # a record's reference: a re-sent copy is found by it
    )
    if must_have and (empty_rows := cells.at(empty)).any():
        problem = f"{column.type} value is empty"
        raise kept.refusal(batch, cells, empty_rows, problem, column.name)
    if column.type == "date":
        return dates(cells, column, batch, kept)
    if column.type in ("int", "number"):
        return _numbers(cells, column, batch, kept)
    if column.type == "flag":
        return _flags(cells, column, batch, kept, empty)
    if column.type == "ward" and wards:
        return _wards(cells, column, empty, wards, batch, kept)
    return cells.text_result(empty)


def _numbers(cells: Cells, column: ColumnSpec, batch: Batch, kept: Kept) -> np.ndarray:
    """Numbers (rare: a survey's few rows), read from the kept cells as they are."""
    values = cells.series()
    empty = (values.isna() | (values == "")).astype(bool)
    numbers = pd.to_numeric(values.where(~empty), errors="coerce")
    bad = numbers.isna() & ~empty
    if column.type == "int":
        bad |= numbers.notna() & (numbers % 1 != 0)
    if bad.any():
        whole = "whole " if column.type == "int" else ""
        problem = f"'{{value}}' is not a {whole}number"
        raise kept.refusal(batch, cells, bad.to_numpy(), problem, column.name)
    _check_range(numbers, column, batch, cells, kept)
    return numbers.to_numpy()


def _check_range(
    numbers: pd.Series, column: ColumnSpec, batch: Batch, cells: Cells, kept: Kept
) -> None:
    """A number outside what the plan says is possible (a negative count, 250 per cent)
    contradicts the extract: refused, naming the first such row."""
    if column.min is not None and (low := numbers < column.min).any():
        problem = f"'{{value}}' is below {column.min:g}, the least possible"
        raise kept.refusal(batch, cells, low.to_numpy(), problem, column.name)
    if column.max is not None and (high := numbers > column.max).any():
        problem = f"'{{value}}' is above {column.max:g}, the most possible"
        raise kept.refusal(batch, cells, high.to_numpy(), problem, column.name)


def _flags(
    cells: Cells, column: ColumnSpec, batch: Batch, kept: Kept, empty: list[bool]
) -> ExtensionArray | np.ndarray:
    """Yes/no words as booleans, an empty cell as missing."""
    lowered = [
        None if e else str(v).strip().casefold() for v, e in zip(cells.values, empty, strict=True)
    ]
    bad = [word is not None and word not in TRUE_WORDS | FALSE_WORDS for word in lowered]
    if (bad_rows := cells.at(bad)).any():
        problem = "'{value}' is not a yes/no flag (expected Y or N)"
        raise kept.refusal(batch, cells, bad_rows, problem, column.name)
    flags = [None if word is None else word in TRUE_WORDS for word in lowered]
    return pd.array(flags, dtype="boolean").take(cells.codes)


def dates(cells: Cells, column: ColumnSpec, batch: Batch, kept: Kept) -> np.ndarray:
    """Read dates in the plan's format; Excel cells that are already dates are taken as they are."""
    values, fmt = cells.distinct(), batch.spec.date_format
    is_date = ~text_mask(values) & values.notna()
    parsed = pd.to_datetime(as_text(values), format=fmt, errors="coerce")
    if is_date.any():
        parsed[is_date] = pd.to_datetime(values[is_date].astype(object))
    bad = parsed.isna().to_numpy()[cells.codes]
    if bad.any():
        example = dt.date(2011, 4, 5).strftime(fmt)
        readable = (
            fmt.replace("%d", "dd").replace("%m", "mm").replace("%Y", "yyyy").replace("%y", "yy")
        )
        problem = f"'{{value}}' is not a date in the form {readable} (e.g. {example})"
        raise kept.refusal(batch, cells, bad, problem, column.name)
    return parsed.to_numpy(dtype="datetime64[ns]")[cells.codes]


def _wards(
    cells: Cells,
    column: ColumnSpec,
    empty: list[bool],
    wards: dict[str, str],
    batch: Batch,
    kept: Kept,
) -> ExtensionArray | np.ndarray:
    """The plan's spelling of each ward; unknown and missing wards are kept (borough totals)."""
    canonical = [
        wards.get(ward_key(str(value))) if text else None
        for value, text in zip(cells.values, cells.text, strict=True)
    ]
    files = kept.file_numbers()
    renamed = [
        ward is not None and ward != value
        for ward, value in zip(canonical, cells.values, strict=True)
    ]
    if (rows := cells.at(renamed)).any():
        sent = [f"{value} -> {ward}" for value, ward in zip(cells.values, canonical, strict=True)]
        shown = [
            f"{text} -> {ward}"
            for text, ward in zip(
                batch.shown_values(column.name, cells.values), canonical, strict=True
            )
        ]
        details = [
            _listed(text, cells.codes[rows], files[rows], batch.names) for text in (sent, shown)
        ]
        batch.count("ward_spelling_matched", files, rows, *details)
    unknown = [ward is None and not blank for ward, blank in zip(canonical, empty, strict=True)]
    if (rows := cells.at(unknown)).any():
        names = (
            [str(value) for value in cells.values],
            batch.shown_values(column.name, cells.values),
        )
        details = [_listed(text, cells.codes[rows], files[rows], batch.names) for text in names]
        batch.count("ward_not_recognised", files, rows, *details)
    batch.count("no_ward", files, cells.at(empty))
    return pd.array(canonical, dtype="string").take(cells.codes)


def _listed(
    texts: list[str], codes: np.ndarray, files: np.ndarray, names: list[str]
) -> dict[str, str]:
    """Per file, the distinct texts of its rows sorted and joined with '; ' (a fact's detail)."""
    by_file: dict[int, set[str]] = {}
    for number, code in set(zip(files.tolist(), codes.tolist(), strict=True)):
        by_file.setdefault(number, set()).add(texts[code])
    return {names[number]: "; ".join(sorted(found)) for number, found in by_file.items()}
