"""Cells of a partner's extract as the cleaning works on them: a column as codes into its distinct
values (`Cells`: trimming, checks and types worked out once per distinct value and spread back by
code), the files cleaned together (`Batch`: a row's file, facts per file), and the text helpers
both use (spaces, ward spellings).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

from csp.domain.quality import Facts, mask
from csp.domain.specs import ExtractSpec
from csp.errors import ExtractError
from csp.inputs.extracts import ROW, ExtractFile, display_path

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


class Cells:
    """One column as codes into its distinct values (a missing value, if any, is one of them):
    trimming, checks and types are worked out once per distinct value and spread back by code,
    since an extract repeats a few wards, dates and offences over thousands of rows, and a pandas
    call per step of every column cost more than the work itself."""

    def __init__(self, values: pd.Series) -> None:
        self.source = values
        codes, distinct = pd.factorize(values)
        self.values: list[object] = distinct.tolist()
        self.missing: int | None = None  # the code of missing cells
        absent = codes < 0
        if absent.any():
            self.missing = len(self.values)
            self.values.append(values.iloc[int(absent.argmax())])
            codes = np.where(absent, self.missing, codes)
        self.codes = codes
        self.rows = np.arange(len(values))  # positions in `source` of the rows still kept
        self.changed = False  # some kept cell was trimmed: the column became its trimmed text
        if isinstance(values.dtype, pd.StringDtype):
            self.text = [code != self.missing for code in range(len(self.values))]
        else:
            self.text = text_mask(pd.Series(self.values, dtype=object)).tolist()

    def tidied(self) -> list[str | None]:
        """`tidy_spaces` of each distinct value: runs of whitespace as one space, ends trimmed
        (str.split's whitespace is `_WHITESPACE`, and what Arrow's strip trims)."""
        return [
            " ".join(str(v).split()) if t else None
            for v, t in zip(self.values, self.text, strict=True)
        ]

    def at(self, flags: Sequence[bool]) -> np.ndarray:
        """A flag per distinct value as a flag per kept row."""
        return np.asarray(flags, dtype=bool)[self.codes]

    def keep(self, kept: np.ndarray) -> None:
        self.codes, self.rows = self.codes[kept], self.rows[kept]

    def trim(self, tidy: list[str | None]) -> np.ndarray:
        """Each text value as tidied; which kept rows changed. Values that become equal merge."""
        changed = [t is not None and t != str(v) for v, t in zip(self.values, tidy, strict=True)]
        rows = self.at(changed)
        if not rows.any():
            return rows
        self.changed = True
        index: dict[object, int] = {}
        text: list[bool] = []
        remap = []
        for value, tidied, change, is_text in zip(
            self.values, tidy, changed, self.text, strict=True
        ):
            value = tidied if change else value
            if value not in index:
                index[value] = len(index)
                text.append(is_text)
            remap.append(index[value])
        if self.missing is not None:
            self.missing = remap[self.missing]
        self.values, self.text = list(index), text
        self.codes = np.asarray(remap, dtype=np.intp)[self.codes]
        return rows

    def blank(self, tidy: list[str | None]) -> np.ndarray:
        """Which rows are blank once tidied."""
        return self.at([t == "" for t in tidy])

    def empty(self) -> np.ndarray:
        """Missing or '' (after trimming), per distinct value."""
        return np.array(
            [
                code == self.missing or (isinstance(v, str) and v == "")
                for code, v in enumerate(self.values)
            ],
            dtype=bool,
        )

    def text_result(self, empty: np.ndarray) -> ExtensionArray:
        """The cells as the plan's text, an empty one missing."""
        text = [None if blank else value for value, blank in zip(self.values, empty, strict=True)]
        return pd.array(text, dtype="string").take(self.codes)

    def distinct(self) -> pd.Series:
        """The distinct values as a Series of the column's kind (text, or mixed cells)."""
        text_kind = isinstance(self.source.dtype, pd.StringDtype)
        return pd.Series(self.values, dtype=self.source.dtype if text_kind else object)

    def series(self) -> pd.Series:
        """The kept cells as cleaning row by row had them: for numbers, and for the value a
        refusal names."""
        values = self.source.iloc[self.rows]
        if self.changed:
            text = tidy_spaces(values)
            values = text.where(text.notna(), values)
        return values


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

    def ordered(self) -> None:
        """Facts file by file, in file order, each file's in the order they were found."""
        self.facts.order_by_file(self.names, since=self.first_fact)

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
        table: pd.DataFrame | np.ndarray,
        rows: object,
        details: Mapping[str, str] | None = None,
        shown: Mapping[str, str] | None = None,
    ) -> None:
        """Add a fact per file: how many of `rows` (a mask or a count per row of `table`, or of
        its rows' file numbers) it has; `details` and `shown` (by file name) are its values as sent
        and as a report may show them."""
        weights = np.asarray(rows, dtype="float64")
        if not weights.any():
            return
        numbers = table if isinstance(table, np.ndarray) else table[FILE_NO].to_numpy()
        per_file = np.bincount(numbers, weights, minlength=len(self.names))
        for number in np.flatnonzero(per_file):
            name = self.names[number]
            detail = "" if details is None else str(details.get(name, ""))
            safe = None if shown is None else str(shown.get(name, ""))
            month = self.files[number].first_month if self.monthly else ""
            self.facts.add(code, self.spec.name, name, int(per_file[number]), detail, month, safe)

    def shown_values(self, column: str, values: list[object]) -> list[str]:
        """`values` as a report may show them: as they are where the plan says the column's
        values are safe to show, else each as its mask."""
        if column in self.spec.show_values:
            return [str(value) for value in values]
        return ["'" + mask(str(value)) + "'" for value in values]

    def file_attribute(self, table: pd.DataFrame, attribute: str) -> np.ndarray:
        """Each row's file's `attribute` (first_month, last_month), as a numpy array."""
        values = np.array([getattr(f, attribute) for f in self.files], dtype=object)
        return values[table[FILE_NO].to_numpy()]
