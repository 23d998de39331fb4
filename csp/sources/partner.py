"""Partner extracts: CSV or Excel files the plan describes, one per quarter or one per year.

Files are laid out per quarter, `<raw>/<year>/Q<n>/<file>`, or per year, `<raw>/<year>/<file>`
(`options: {layout: annual}`). Reading keeps every cell as the partner sent it (as text, Excel dates as
dates) with the row each came from, numbered as a spreadsheet shows it, so cleaning can name the row
of any problem. CSVs are read by `csp.inputs.csvfile` (encodings, ragged rows); a workbook cell that reads as
empty because it holds a formula never calculated, or an Excel error, is refused for what it is.
"""

from __future__ import annotations

import html
import posixpath
import re
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict

from csp.domain.periods import PlanYear
from csp.domain.quality import ALL_FILES, Facts, mask
from csp.domain.specs import Area, ExtractSpec
from csp.errors import ExtractError
from csp.inputs import cells, columns, csvfile
from csp.inputs.extracts import ROW, ExtractFile, Unavailable, display_path, refuse_copies
from csp.sources.base import SOURCES, Source

EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
# Cells of a sheet's XML that read as empty though they are not: a formula (with its text, none for a
# shared formula's later cells) and its saved value if any, or an error value such as #REF!.
_FORMULA_CELL = re.compile(
    rb"<(?:\w+:)?c\b([^>]*)>\s*<(?:\w+:)?f\b[^>]*?(?:/>|>([^<]*)</(?:\w+:)?f>)\s*"
    rb"(?:<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>|<(?:\w+:)?v\s*(/)>)?"
)
_ERROR_CELL = re.compile(rb'<(?:\w+:)?c\b([^>]*\bt="e"[^>]*)>\s*<(?:\w+:)?v>([^<]*)<')
_REFERENCE = re.compile(rb'\br="([A-Z]+)([0-9]+)"')


class PartnerOptions(BaseModel):
    """`layout`: one file per quarter (the default) or one file per year."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    layout: Literal["quarterly", "annual"] = "quarterly"
    """`quarterly`: one file per quarter, in `<year>/Q<n>/` (the default); `annual`: one file per
    year, in `<year>/`."""


class PartnerSource(Source):
    """A partner's own extract: the plan names its file, columns, id and date."""

    name = "partner"
    title = "partner"
    options_model = PartnerOptions

    def expected_files(
        self,
        spec: ExtractSpec,
        raw_dir: Path,
        year: PlanYear,
        last_quarter: int,
        availability: Sequence[Unavailable],
    ) -> list[ExtractFile]:
        if spec.options.layout == "annual":
            periods = [("", year.months, raw_dir / str(year) / spec.file)]
        else:
            periods = [
                (f"Q{q}", year.quarter_months(q), raw_dir / str(year) / f"Q{q}" / spec.file)
                for q in range(1, last_quarter + 1)
            ]
        files = []
        for quarter, months, path in periods:
            entry = next(
                (
                    a
                    for a in availability
                    if a.source == spec.name and a.year == str(year) and a.quarter == quarter
                ),
                None,
            )
            files.append(_expected(spec, str(year), quarter, months, path, entry))
        return files

    def read_file(self, file: ExtractFile, spec: ExtractSpec) -> pd.DataFrame:
        raw, file.read_facts = read_raw(file.path, spec)
        return raw

    def read_files(self, files: list[ExtractFile], spec: ExtractSpec) -> pd.DataFrame:
        """The files' rows stacked as Arrow tables, then made one pandas frame: an extract's
        quarterly CSVs are small, and a conversion per file cost more than reading them."""
        tables = []
        for file in files:
            table, file.read_facts = _read(file.path, spec)
            file.rows_read = len(table)
            tables.append(table)
        arrow = [t for t in tables if isinstance(t, pa.Table)]
        if len(arrow) == len(tables) and all(t.schema == arrow[0].schema for t in arrow):
            return pa.concat_tables(arrow).to_pandas()
        frames = [t.to_pandas() if isinstance(t, pa.Table) else t for t in tables]
        return pd.concat(frames, ignore_index=True)

    def clean(
        self,
        raw: pd.DataFrame,
        files: list[ExtractFile],
        spec: ExtractSpec,
        plan: Area,
        facts: Facts,
    ) -> pd.DataFrame:
        return columns.clean_extract(raw, spec, files, cells.ward_lookup(plan.wards), facts)

    def combine(
        self, table: pd.DataFrame, spec: ExtractSpec, files: list[ExtractFile], facts: Facts
    ) -> pd.DataFrame:
        """A record sent again in a later file replaces the earlier copy."""
        if spec.id is None or spec.snapshot:
            return table
        resent = table.duplicated(subset=[spec.id], keep="last")
        facts.add("resent", spec.name, ALL_FILES, int(resent.sum()))
        if resent.any() or not table.index.equals(pd.RangeIndex(len(table))):
            kept = table[~resent].reset_index(drop=True)
        else:  # nothing re-sent: the table as it is, not a copy
            kept = table
        kept_by_file = kept["_file"].value_counts()
        for file in files:
            file.rows_kept = int(kept_by_file.get(display_path(file.path), 0))
        return kept


def _expected(
    spec: ExtractSpec,
    year: str,
    quarter: str,
    months: list[pd.Period],
    path: Path,
    entry: Unavailable | None,
) -> ExtractFile:
    """One file's inventory entry: read, partial (availability says up to a month), or not there."""
    file = ExtractFile(spec.name, spec.title, year, quarter, path, "missing")
    refuse_copies(path, f"{spec.name} {year} {quarter}".strip())
    if path.exists():
        last = str(months[-1])
        file.status = "read"
        if entry is not None and entry.data_to:
            last = entry.data_to
            file.status = "partial"
        file.first_month, file.last_month = str(months[0]), last
        file.note = entry.note if entry is not None else ""
    elif entry is not None:
        file.status, file.note = "unpublished", entry.note
    return file


def read_extract(path: Path, spec: ExtractSpec) -> pd.DataFrame:
    """Raw rows of a CSV or Excel extract, every cell as text, with the file row of each row.

    Columns come in the plan's order under the plan's names, then `_row`, then any optional
    column the file lacks, filled with empty text.
    """
    return read_raw(path, spec)[0]


def read_raw(path: Path, spec: ExtractSpec) -> tuple[pd.DataFrame, tuple[tuple[str, str], ...]]:
    """`read_extract`, and the facts reading found (a CSV read as Windows-1252, not UTF-8)."""
    table, facts = _read(path, spec)
    return (table.to_pandas() if isinstance(table, pa.Table) else table), facts


def _read(
    path: Path, spec: ExtractSpec
) -> tuple[pa.Table | pd.DataFrame, tuple[tuple[str, str], ...]]:
    """`read_raw`, a CSV's rows left as an Arrow table (a workbook's cells may be dates)."""
    if path.suffix.lower() in EXCEL_SUFFIXES:
        csvfile.refuse_folder(path)
        sheet = _read_excel(path)
        headers = [str(c).strip() for c in sheet.columns]
        _check_required(path, headers, spec)
        _refuse_cells_without_values(path, sheet, headers, spec)
        return _plan_frame(sheet, headers, spec), ()
    text = csvfile.load(path)
    if not text.header:
        raise ExtractError(path, "the file is empty: expected a header row")
    _check_required(path, text.header, spec)
    table = csvfile.read_table(text, fill_short=True)
    return _plan_columns(table, text.header, spec), text.facts


def _check_required(path: Path, headers: list[str], spec: ExtractSpec) -> None:
    for column in spec.columns.values():
        if column.required and column.header not in headers:
            raise ExtractError(
                path,
                f"missing required column '{column.header}' for {spec.title} "
                f"(found: {_found(headers, spec)})",
                row=1,
                column=column.header,
            )


def _found(headers: list[str], spec: ExtractSpec) -> str:
    """A file's headers for a message: the plan's as they are, others masked, since a file sent
    without its header row has a record where its headers should be."""
    known = {column.header for column in spec.columns.values()}
    return ", ".join(h if h in known else f"'{mask(h)}'" for h in headers)


def _plan_frame(sheet: pd.DataFrame, headers: list[str], spec: ExtractSpec) -> pd.DataFrame:
    """`_plan_columns` for a sheet, whose cells may be dates (a header named twice: the first)."""
    present = [c for c in spec.columns.values() if c.header in headers]
    absent = [c for c in spec.columns.values() if c.header not in headers]
    cells: dict[str, object] = {c.name: sheet.iloc[:, headers.index(c.header)] for c in present}
    cells[ROW] = np.arange(2, len(sheet) + 2)
    cells.update({c.name: "" for c in absent})
    return pd.DataFrame(cells, index=sheet.index)


def _plan_columns(table: pa.Table, headers: list[str], spec: ExtractSpec) -> pa.Table:
    """The plan's columns under its names, `_row` (the file row), absent ones as empty text."""
    present = [c for c in spec.columns.values() if c.header in headers]
    absent = [c for c in spec.columns.values() if c.header not in headers]
    empty = pc.fill_null(pa.nulls(table.num_rows, pa.string()), "")
    arrays = [table.column(headers.index(c.header)) for c in present]
    arrays += [pa.array(np.arange(2, table.num_rows + 2)), *[empty] * len(absent)]
    names = [c.name for c in present] + [ROW] + [c.name for c in absent]
    return pa.table(arrays, names=names)


def _read_excel(path: Path) -> pd.DataFrame:
    """First sheet, read by calamine (a tenth of openpyxl's time); dates stay dates, everything else
    becomes the text a reader would see."""
    try:
        table = pd.read_excel(path, dtype=object, engine="calamine")
    except Exception as exc:  # calamine raises many kinds for a damaged workbook
        raise ExtractError(path, f"cannot be read as an Excel workbook: {exc}") from exc
    return table.apply(_excel_text)


def _refuse_cells_without_values(
    path: Path, sheet: pd.DataFrame, headers: list[str], spec: ExtractSpec
) -> None:
    """A plan cell that reads as empty because it holds a formula no program has calculated, or an
    Excel error, is named for what it is; the sheet's XML is only read when a plan cell is empty."""
    positions = {headers.index(c.header) for c in spec.columns.values() if c.header in headers}
    empty = {i: (sheet.iloc[:, i] == "").to_numpy(dtype=bool) for i in positions}
    if not any(mask.any() for mask in empty.values()):
        return
    for row, column, problem in sorted(_cells_without_values(path)):
        if column in empty and 0 <= row - 2 < len(sheet) and empty[column][row - 2]:
            raise ExtractError(path, problem, row=row, column=headers[column])


def _cells_without_values(path: Path) -> Iterator[tuple[int, int, str]]:
    """(sheet row, column from 0, what the cell holds) of the first sheet's formulas without a
    saved value and error values; none if the workbook's layout is not the usual one."""
    try:
        with zipfile.ZipFile(path) as book:
            xml = book.read(_first_sheet(book))
    except (KeyError, StopIteration, zipfile.BadZipFile, ElementTree.ParseError):
        return
    for cell in _FORMULA_CELL.finditer(xml):
        attributes, formula, value, empty = cell.groups()
        value = b"" if empty else value  # <v/>: a value, empty
        shown = f" (={html.unescape(formula.decode())})" if formula else ""
        if b't="e"' in attributes and value:
            problem = f"the cell's formula{shown} gives the Excel error {value.decode()}"
        elif value is None or (not value.strip() and b't="str"' not in attributes):
            problem = (
                f"the cell holds a formula{shown} without a saved value: open the workbook in "
                "Excel and save it, so its formulas' results are stored"
            )
        else:
            continue
        yield (*_position(attributes), problem)
    for cell in _ERROR_CELL.finditer(xml):
        attributes, value = cell.groups()
        yield (*_position(attributes), f"the cell holds the Excel error {value.decode()}")


def _first_sheet(book: zipfile.ZipFile) -> str:
    """The archive member of the workbook's first sheet, the one pandas reads."""
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    sheet = workbook.find("{*}sheets/{*}sheet")
    if sheet is None:
        raise KeyError("sheet")
    link = next(value for key, value in sheet.attrib.items() if key.endswith("}id"))
    relations = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    target = next(r.get("Target", "") for r in relations if r.get("Id") == link)
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")


def _position(attributes: bytes) -> tuple[int, int]:
    """A cell's sheet row and column (from 0) from its reference, B12 -> (12, 1); (0, -1) if none."""
    reference = _REFERENCE.search(attributes)
    if reference is None:
        return 0, -1
    letters, row = reference.groups()
    column = 0
    for letter in letters:
        column = column * 26 + letter - ord("A") + 1
    return int(row), column - 1


def _excel_text(values: pd.Series) -> pd.Series:
    """A sheet column as text: blanks '', whole numbers without '.0', dates kept, text as it is."""
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return values.fillna("").astype(object)
    missing = values.isna()
    text = cells.text_mask(values) & ~missing
    others = values[~text & ~missing]
    kind = pd.api.types.infer_dtype(others, skipna=True)
    if kind in ("datetime", "datetime64", "date"):
        shown = others
    elif kind in ("integer", "floating", "mixed-integer-float", "decimal"):
        numbers = pd.to_numeric(others)
        whole = numbers % 1 == 0
        shown = numbers.astype(str).where(
            ~whole, numbers.where(whole, 0).astype("int64").astype(str)
        )
    else:
        shown = others.astype(str)
    result = values.astype(object).where(text, "")
    result[shown.index] = shown.astype(object)
    return result


SOURCES.register(PartnerSource.name, PartnerSource())
