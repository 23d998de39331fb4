"""data.police.uk street-level files, as the download unzips: `YYYY-MM/YYYY-MM-<force>-street.csv`.

Any number of months and forces. The plan defines its area by LSOA codes, each with its ward: rows in
other areas (a neighbouring borough's LSOAs) and rows with `No Location` (no LSOA) count in no area
measure, and the data-quality facts say how many were left out, file by file, which is month by month.
An LSOA the plan gives no ward (a 2021 code the ONS ward lookup lacks) counts in the area's totals
with its ward blank, and the facts say how many rows that was.
Crime type names changed in May 2013; a plan may name either era's type and match both.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Container, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict

from csp.domain.periods import PlanYear
from csp.domain.quality import Facts
from csp.domain.specs import Area, ExtractSpec
from csp.errors import ExtractError
from csp.inputs import csvfile
from csp.inputs.cells import FILE, FILE_NO, Batch
from csp.inputs.extracts import ExtractFile, Unavailable, refuse_copies
from csp.sources.base import SOURCES, Source

# Our column name -> the police.uk header.
COLUMNS = {
    "crime_id": "Crime ID",
    "month": "Month",
    "reported_by": "Reported by",
    "falls_within": "Falls within",
    "longitude": "Longitude",
    "latitude": "Latitude",
    "location": "Location",
    "lsoa_code": "LSOA code",
    "lsoa_name": "LSOA name",
    "crime_type": "Crime type",
    "last_outcome": "Last outcome category",
    "context": "Context",
}
REQUIRED = ("month", "location", "lsoa_code", "crime_type")
# From the plan's LSOA list, and the location tidied for reading.
DERIVED = ("ward", "location_name")
CURRENT_TYPES = (
    "Anti-social behaviour",
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
)
# Names used before May 2013, and the current types that replaced them.
EARLIER_TYPES = {
    "Violent crime": ("Violence and sexual offences",),
    "Public disorder and weapons": ("Public order", "Possession of weapons"),
}
KNOWN_TYPES = CURRENT_TYPES + tuple(EARLIER_TYPES)
# Nearly every crime ID differs, so it stays text; the other columns repeat a few thousand values.
DISTINCT_COLUMNS = {"crime_id"}
NO_LOCATION = "No Location"
_NOT_A_MONTH = "'{value}' is not a month in the form yyyy-mm"
_APOSTROPHE_CAPITAL = re.compile(r"(?<=[A-Za-z])'S\b")


def equivalent_types(name: str) -> tuple[str, ...]:
    """The types a plan's name matches in either era.

    An earlier name matches what replaced it; a current name matches its earlier name only where the
    earlier type was the same offences (Violent crime), not where it also held others
    (Public disorder and weapons held Possession of weapons too, so Public order alone cannot match it).
    """
    matches = [name, *EARLIER_TYPES.get(name, ())]
    for earlier, replacements in EARLIER_TYPES.items():
        if replacements == (name,):
            matches.append(earlier)
    return tuple(dict.fromkeys(matches))


def tidy_locations(locations: pd.Series) -> pd.Series:
    """'On or near Alderman'S Walk' -> "Alderman's Walk", for reading; matching uses the original."""
    text = locations.str.removeprefix("On or near ").str.strip()
    return text.str.replace(_APOSTROPHE_CAPITAL, "'s", regex=True)


def tidy_location(location: str) -> str:
    return str(tidy_locations(pd.Series([location], dtype=object)).iloc[0])


class PoliceUkOptions(BaseModel):
    """`force`: the force's name in the file names (city-of-london); none: every force's files."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    force: str | None = None
    """The force's name in the file names (`cleveland`, `city-of-london`); absent: every force's files
    in the download."""


class PoliceUkSource(Source):
    """police.uk street-level crime and ASB: fixed columns, one file per month and force."""

    name = "police_uk"
    title = "police.uk"
    options_model = PoliceUkOptions
    monthly_files = True
    public_values = True  # police.uk publishes every value, anonymised to street and LSOA level
    shared_reads = True  # a force's partnerships read the same files: read once for all of them

    def expected_files(
        self,
        spec: ExtractSpec,
        raw_dir: Path,
        year: PlanYear,
        last_quarter: int,
        availability: Sequence[Unavailable],
    ) -> list[ExtractFile]:
        """One entry per month and file: months with no file are listed as missing."""
        force = spec.options.force
        files = []
        for month in year.months[: last_quarter * 3]:
            quarter = f"Q{year.quarter_of(month)}"
            found = month_files(raw_dir, month, force)
            expected = raw_dir / str(month) / f"{month}-{force or '<force>'}-street.csv"
            for path in found or [expected]:
                refuse_copies(path, f"{spec.name} {month}")
            if not found:
                files.append(
                    ExtractFile(spec.name, spec.title, str(year), quarter, expected, "missing")
                )
            files.extend(
                ExtractFile(
                    spec.name,
                    spec.title,
                    str(year),
                    quarter,
                    path,
                    "read",
                    "",
                    str(month),
                    str(month),
                )
                for path in found
            )
        return files

    def read_file(self, file: ExtractFile, spec: ExtractSpec) -> pd.DataFrame:
        table, file.read_facts = read_arrow(file.path)
        return stacked_frame([table])

    def read_files(self, files: list[ExtractFile], spec: ExtractSpec) -> pd.DataFrame:
        """All the months at once: their dictionaries unified, so columns stay categoricals."""
        table, rows, facts = read_months([file.path for file in files])
        for file, count, found in zip(files, rows, facts, strict=True):
            file.rows_read, file.read_facts = count, found
        return table

    def clean(
        self,
        raw: pd.DataFrame,
        files: list[ExtractFile],
        spec: ExtractSpec,
        plan: Area,
        facts: Facts,
    ) -> pd.DataFrame:
        """Keep the plan's area: rows with no location or in another area's LSOA are counted, not kept."""
        return clean_months(raw, Batch(spec, files, facts, monthly=True), plan.lsoas)

    def fixed_columns(self) -> dict[str, str]:
        return {**COLUMNS, **{name: name for name in DERIVED}}

    def condition_values(self, column: str, values: Sequence[Any]) -> list[Any]:
        """Crime types must be police.uk's, and each matches its name in the other era too."""
        if column != "crime_type":
            return list(values)
        widened: list[str] = []
        for name in values:
            if name not in KNOWN_TYPES:
                raise ValueError(
                    f"unknown police.uk crime type '{name}' (known: {', '.join(KNOWN_TYPES)})"
                )
            widened.extend(equivalent_types(str(name)))
        return list(dict.fromkeys(widened))


def month_files(raw_dir: Path, month: pd.Period, force: str | None) -> list[Path]:
    folder = raw_dir / str(month)
    pattern = f"{month}-{force}-street.csv" if force else f"{month}-*-street.csv"
    return sorted(folder.glob(pattern))


def read_months(
    paths: Sequence[Path],
) -> tuple[pd.DataFrame, list[int], list[tuple[tuple[str, str], ...]]]:
    """Several files stacked in order, the rows of each and what reading each found: read two at a
    time (pyarrow lets go of the GIL), the repetitive columns dictionary-encoded file by file."""
    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        read = list(pool.map(read_arrow, paths))
    tables = [table for table, _ in read]
    rows = [table.num_rows for table in tables]
    facts = [found for _, found in read]
    del read
    return stacked_frame(tables), rows, facts


def read_arrow(path: Path) -> tuple[pa.Table, tuple[tuple[str, str], ...]]:
    """One file as an Arrow table of our columns (a missing optional column is all blank), and the
    facts reading found (read as Windows-1252); a ragged row is refused (`csp.inputs.csvfile`)."""
    text = csvfile.load(path)
    header = text.header
    if not header:
        raise ExtractError(path, "the file is empty: expected the police.uk header row")
    for name in REQUIRED:
        if COLUMNS[name] not in header:
            raise ExtractError(
                path,
                f"missing column '{COLUMNS[name]}': not a police.uk street-level file "
                f"(found: {', '.join(header)})",
                row=1,
                column=COLUMNS[name],
            )
    ours = {h: n for n, h in COLUMNS.items()}
    repetitive = [h for h in header if h in ours and ours[h] not in DISTINCT_COLUMNS]
    arrow = csvfile.read_table(text, fill_short=False, encoded=repetitive)
    columns = {}
    for i, h in enumerate(header):  # ids trimmed here, on this file's thread
        if h in ours and ours[h] not in columns:
            column = arrow.column(i)
            distinct = ours[h] in DISTINCT_COLUMNS
            columns[ours[h]] = pc.utf8_trim_whitespace(column) if distinct else column
    for name in set(COLUMNS) - set(columns):
        blank = pa.array(np.zeros(arrow.num_rows, "int32"))
        columns[name] = pa.DictionaryArray.from_arrays(blank, [""])
        if name in DISTINCT_COLUMNS:
            columns[name] = columns[name].cast(pa.string())
    return pa.table({name: columns[name] for name in COLUMNS}), text.facts


def stacked_frame(tables: list[pa.Table]) -> pd.DataFrame:
    """Arrow tables as one frame (dictionaries become categoricals), with each row's file row.

    Each column is copied once, into the frame: pyarrow unifies the chunks' dictionaries as it
    builds each categorical, and the ids stay in their chunks, shared with pandas. (On this kind of
    machine memory touched for the first time costs about 3 s a GB: unifying first, and gathering the
    ids into one chunk, were two more copies.) Empties `tables`, so each file's own columns are let
    go as soon as they are stacked."""
    rows = [t.num_rows for t in tables]
    table = pa.concat_tables(tables)
    tables.clear()
    frame = table.to_pandas(self_destruct=True)
    del table
    pa.default_memory_pool().release_unused()  # the files' buffers, kept for reuse otherwise
    frame["_row"] = np.concatenate(
        [np.arange(2, n + 2, dtype="int64") for n in rows] or [np.zeros(0, "int64")]
    )
    return frame


def clean_months(raw: pd.DataFrame, batch: Batch, lsoas: Mapping[str, str | None]) -> pd.DataFrame:
    """The months' rows in the plan's area, typed; what was left out and why goes into the facts.

    Every check is a mask over all rows, and the rows are taken once: each take of a million text
    rows costs as much as reading them. Repetitive columns are categoricals, worked out once per
    distinct value (a force's files repeat a few thousand streets and LSOAs over millions of rows).
    """
    table = batch.numbered(raw)
    for column in COLUMNS:
        trimmed = _trimmed(table[column], categorical=column not in DISTINCT_COLUMNS)
        if trimmed is not None:  # pandas copies a column set, even to itself
            table[column] = trimmed
    blank = np.logical_and.reduce([_is(table[c], "") for c in COLUMNS])
    batch.count("blank_lines", table, blank)
    dates = _months(table, blank, batch)
    _refuse_other_months(table, blank, batch)
    _check_types(table, blank, batch)
    no_location = ~blank & (_is(table["lsoa_code"], "") | _is(table["location"], NO_LOCATION))
    batch.count("no_location", table, no_location)
    ward = _per_row(table["lsoa_code"], lambda codes: codes.map(lsoas))
    outside = ~blank & ~no_location & ~_is_in(table["lsoa_code"], lsoas)
    batch.count("outside_area", table, outside, _areas(table, outside, batch.names))
    keep = ~(blank | no_location | outside)
    unknown = keep & ward.isna().to_numpy()
    batch.count("ward_not_known", table, unknown, _codes(table.loc[unknown, ["lsoa_code", FILE]]))
    ward_of, date_of = ward.array, dates.to_numpy()  # by position: the index is let be
    table = table.drop(columns=FILE_NO)  # no longer needed: one column fewer to copy
    if not keep.all():  # a plan for a force's whole area keeps every row: no copy of them
        table, ward_of, date_of = _kept(table, keep), ward_of[keep], date_of[keep]
    source = np.zeros(len(table), "int8")
    columns = {name: table[name].array for name in table.columns if name != FILE}
    columns |= {
        "ward": ward_of,
        "location_name": _per_row(table["location"], tidy_locations).array,
        "_month": table["month"].array,
        "_date": date_of,
        "_source": pd.Categorical.from_codes(source, [batch.spec.name], validate=False),
        FILE: table[FILE].array,
    }
    batch.ordered()
    return pd.DataFrame(columns, copy=False)  # set one by one, pandas would copy each column


def _kept(table: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """The rows `keep` marks, column by column: categoricals by their codes, Arrow-backed ids
    filtered in Arrow chunk by chunk (pandas' take joins the chunks first: a copy of every id)."""
    columns: dict[str, Any] = {}
    for name, values in table.items():
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes = _category_codes(values)[keep]
            columns[name] = pd.Categorical.from_codes(codes, dtype=values.dtype, validate=False)
        elif isinstance(values.dtype, pd.StringDtype):
            filtered = pc.filter(pa.array(values.array), pa.array(keep))
            columns[name] = values.dtype.__from_arrow__(filtered)
        else:
            columns[name] = values.to_numpy()[keep]
    return pd.DataFrame(columns, copy=False)  # the copies above are the frame's own


def _category_codes(values: pd.Series) -> np.ndarray:
    """A categorical column's codes, read-only and not copied (`.cat.codes` copies them)."""
    return values.array.codes  # type: ignore[attr-defined]


def _trimmed(values: pd.Series, *, categorical: bool) -> pd.Series | None:
    """The column with its cells' ends trimmed: a categorical, or text for a column of ids; None
    for a categorical with nothing to trim."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, distinct = _category_codes(values), values.cat.categories
    elif categorical:
        codes, distinct = pd.factorize(values.astype("string"))
    else:  # ids are trimmed as they are read
        return values.astype("string")
    trimmed = pd.Series(distinct, dtype="string").str.strip()
    if isinstance(values.dtype, pd.CategoricalDtype) and trimmed.eq(distinct).all():
        return None  # nothing to trim: no new codes for a million rows
    new_codes, categories = pd.factorize(trimmed)
    return pd.Series(
        pd.Categorical.from_codes(
            _recoded(codes, new_codes), categories.astype(object), validate=False
        ),
        index=values.index,
    )


def _is(values: pd.Series, value: str) -> np.ndarray:
    """Cell by cell equal to `value`, as a numpy mask (a categorical compares its codes)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = values.cat.categories
        if value not in categories:
            return np.zeros(len(values), dtype=bool)
        return _category_codes(values) == categories.get_loc(value)
    return (values == value).to_numpy(dtype=bool, na_value=False)


def _per_row(values: pd.Series, change: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """`change` of a categorical's distinct values, spread back to its rows as a categorical."""
    changed = change(pd.Series(values.cat.categories, dtype=object))
    new_codes, categories = pd.factorize(changed.to_numpy(dtype=object))
    codes = _recoded(_category_codes(values), new_codes)
    return pd.Series(
        pd.Categorical.from_codes(codes, pd.Index(categories, dtype=object), validate=False),
        index=values.index,
    )


def _recoded(codes: np.ndarray, new_codes: np.ndarray) -> np.ndarray:
    """Each row's code through `new_codes` (a missing value's -1 stays), in the codes' own integer
    type: wider codes would be copied down to it again, a million rows at a time."""
    if not len(new_codes):
        return codes
    return np.where(codes >= 0, new_codes.astype(codes.dtype)[codes], codes.dtype.type(-1))


def _is_in(values: pd.Series, allowed: Container[str]) -> np.ndarray:
    """Cell by cell, is a categorical's value one of `allowed` (worked out once per distinct value,
    then looked up by code: the last entry stands for a missing value's code, -1)."""
    categories = values.cat.categories.tolist()
    inside = np.fromiter((c in allowed for c in categories), bool, len(categories))
    return np.append(inside, False)[_category_codes(values)]


def _codes(rows: pd.DataFrame) -> pd.Series:
    """Per file, the LSOA codes of its rows: 'E01035197; E01035198' (codes are public)."""
    codes = rows["lsoa_code"].astype(object)
    files = rows[FILE].astype(object)
    pairs = pd.DataFrame({"file": files, "code": codes}).drop_duplicates().sort_values("code")
    return pairs.groupby("file", sort=False)["code"].agg("; ".join)


def _areas(table: pd.DataFrame, outside: np.ndarray, files: Sequence[str]) -> pd.Series:
    """Per file, the areas of its rows outside the plan's LSOAs with counts: 'Camden (2); ...'.

    Each LSOA name is cut to its area once, and the rows are counted by code: a partnership's plan
    has most of its force's rows outside it, and working on each row's name took most of cleaning."""
    area = _per_row(table["lsoa_name"], lambda names: names.str.rsplit(" ", n=1).str[0])
    codes, areas = _category_codes(area)[outside], area.cat.categories
    numbers = table[FILE_NO].to_numpy()[outside][codes >= 0]
    cells = numbers * len(areas) + codes[codes >= 0]
    counts = np.bincount(cells, minlength=len(files) * len(areas)).reshape(len(files), len(areas))
    described = {}
    for number in np.flatnonzero(counts.any(axis=1)):
        found = sorted((areas[i], counts[number, i]) for i in np.flatnonzero(counts[number]))
        described[files[number]] = "; ".join(f"{name} ({count})" for name, count in found)
    return pd.Series(described, dtype=object)


def _months(table: pd.DataFrame, blank: np.ndarray, batch: Batch) -> pd.Series:
    """Each row's month as the timestamp of its first day; a value not yyyy-mm names its row."""
    months = table["month"]
    distinct = pd.Series(months.cat.categories, dtype=object)
    dates = pd.to_datetime(distinct, format="%Y-%m", errors="coerce")
    wrong = dates.isna() | ~distinct.str.fullmatch(r"\d{4}-\d{2}").fillna(False).astype(bool)
    bad = ~blank & np.isin(_category_codes(months), np.flatnonzero(wrong.to_numpy()))
    if bad.any():
        raise batch.fail(table, pd.Series(bad, index=table.index), _NOT_A_MONTH, "month")
    codes = _category_codes(months)
    return pd.Series(dates.to_numpy()[codes], index=table.index)


def _refuse_other_months(table: pd.DataFrame, blank: np.ndarray, batch: Batch) -> None:
    """A row of another month in a month's file contradicts the file (police.uk publishes one
    file per month): refused, naming the row, rather than counted in a month it does not cover."""
    months = table["month"]
    own = [months.cat.categories.get_indexer([f.first_month])[0] for f in batch.files]
    expected = np.array(own, dtype=_category_codes(months).dtype)[table[FILE_NO].to_numpy()]
    other = ~blank & (_category_codes(months) != expected)  # a file's own month: one code
    if other.any():
        month = batch.file_attribute(table, "first_month")[other.argmax()]
        problem = f"'{{value}}' is not the file's own month, {month}"
        raise batch.fail(table, pd.Series(other, index=table.index), problem, "month")


def _check_types(table: pd.DataFrame, blank: np.ndarray, batch: Batch) -> None:
    """A crime type police.uk never used means the file is not what the plan expects."""
    types = table["crime_type"]
    unknown = ~blank & ~types.isin(KNOWN_TYPES).to_numpy()
    if unknown.any():
        name = sorted(types[unknown].astype(object).unique())[0]
        problem = f"unknown crime type '{name}' (police.uk types: {', '.join(KNOWN_TYPES)})"
        bad = pd.Series(~blank & _is(types, name), index=table.index)
        raise batch.fail(table, bad, problem, "crime_type")


SOURCES.register(PoliceUkSource.name, PoliceUkSource())
