"""Partner extracts: CSV or Excel files the plan describes, one per quarter or one per year.

Files are laid out per quarter, `<raw>/<year>/Q<n>/<file>`, or per year, `<raw>/<year>/<file>`
(`options: {layout: annual}`). Reading keeps every cell as the partner sent it (as text, Excel dates as
dates) with the line each row came from, so cleaning can name the row of any problem.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from pydantic import BaseModel, ConfigDict

from csp import columns
from csp.errors import ExtractError
from csp.extracts import ROW, ExtractFile, Unavailable, display_path, refuse_copies
from csp.periods import FinancialYear
from csp.quality import ALL_FILES, Facts, mask
from csp.sources.base import SOURCES, Source

if TYPE_CHECKING:
    from csp.plan import ExtractSpec, Plan

EXCEL_SUFFIXES = {".xlsx", ".xlsm"}


class PartnerOptions(BaseModel):
    """`layout`: one file per quarter (the default) or one file per year."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    layout: Literal["quarterly", "annual"] = "quarterly"


class PartnerSource(Source):
    """A partner's own extract: the plan names its file, columns, id and date."""

    name = "partner"
    title = "partner"
    options_model = PartnerOptions

    def expected_files(
        self,
        spec: ExtractSpec,
        raw_dir: Path,
        year: FinancialYear,
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
        return read_extract(file.path, spec)

    def clean(
        self,
        raw: pd.DataFrame,
        files: list[ExtractFile],
        spec: ExtractSpec,
        plan: Plan,
        facts: Facts,
    ) -> pd.DataFrame:
        return columns.clean_extract(raw, spec, files, columns.ward_lookup(plan.wards), facts)

    def combine(
        self, table: pd.DataFrame, spec: ExtractSpec, files: list[ExtractFile], facts: Facts
    ) -> pd.DataFrame:
        """A record sent again in a later file replaces the earlier copy."""
        if spec.id is None or spec.snapshot:
            return table
        resent = table.duplicated(subset=[spec.id], keep="last")
        facts.add("resent", spec.name, ALL_FILES, int(resent.sum()))
        kept = table[~resent].reset_index(drop=True)
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
    """Raw rows of a CSV or Excel extract, every cell as text, with the file line of each row.

    Columns come in the plan's order under the plan's names, then `_row`, then any optional
    column the file lacks, filled with empty text.
    """
    if path.suffix.lower() in EXCEL_SUFFIXES:
        table: pa.Table | pd.DataFrame = _read_excel(path)
    else:
        table = _read_csv(path)
    names = table.column_names if isinstance(table, pa.Table) else table.columns
    headers = [str(c).strip() for c in names]
    for column in spec.columns.values():
        if column.required and column.header not in headers:
            raise ExtractError(
                path,
                f"missing required column '{column.header}' for {spec.title} "
                f"(found: {_found(headers, spec)})",
                row=1,
                column=column.header,
            )
    if isinstance(table, pa.Table):
        return _plan_columns(table.rename_columns(headers), spec).to_pandas()
    table.columns = headers
    return _plan_frame(table, spec)


def _found(headers: list[str], spec: ExtractSpec) -> str:
    """A file's headers for a message: the plan's as they are, others masked, since a file sent
    without its header row has a record where its headers should be."""
    known = {column.header for column in spec.columns.values()}
    return ", ".join(h if h in known else f"'{mask(h)}'" for h in headers)


def _plan_frame(table: pd.DataFrame, spec: ExtractSpec) -> pd.DataFrame:
    """`_plan_columns` for a sheet (its cells may be dates) or a CSV only pandas could read."""
    present = [c for c in spec.columns.values() if c.header in table.columns]
    absent = [c for c in spec.columns.values() if c.header not in table.columns]
    cells: dict[str, object] = {c.name: table[c.header] for c in present}
    cells[ROW] = np.arange(2, len(table) + 2)
    cells.update({c.name: "" for c in absent})
    return pd.DataFrame(cells, index=table.index)


def _plan_columns(table: pa.Table, spec: ExtractSpec) -> pa.Table:
    """The plan's columns under its names, `_row` (the file line), absent ones as empty text."""
    present = [c for c in spec.columns.values() if c.header in table.column_names]
    absent = [c for c in spec.columns.values() if c.header not in table.column_names]
    empty = pc.fill_null(pa.nulls(table.num_rows, pa.string()), "")
    arrays = [table.column(c.header) for c in present]
    arrays += [pa.array(np.arange(2, table.num_rows + 2)), *[empty] * len(absent)]
    names = [c.name for c in present] + [ROW] + [c.name for c in absent]
    return pa.table(arrays, names=names)


def _read_csv(path: Path) -> pa.Table | pd.DataFrame:
    """UTF-8 (with or without BOM), else Windows-1252 as Excel saves it; blank lines stay as rows.

    Arrow reads the file; one it cannot (a short row, a repeated header) goes to pandas' reader,
    which decides whether it can be read at all.
    """
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    if not text.strip():
        raise ExtractError(path, "the file is empty: expected a header row")
    header = [name.strip() for name in next(csv.reader([text.splitlines()[0]]), [])]
    if header and len(set(header)) == len(header):
        try:
            return _arrow_csv(text, header)
        except pa.ArrowInvalid:
            pass
    try:
        return pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False
        )
    except pd.errors.ParserError as exc:
        raise ExtractError(path, f"cannot be read as CSV: {exc}") from exc


def _arrow_csv(text: str, header: list[str]) -> pa.Table:
    """Every cell as text ('' for empty), one row per line after the header, blank lines too."""
    return pacsv.read_csv(
        io.BytesIO(text.encode("utf-8")),
        read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, use_threads=False),
        parse_options=pacsv.ParseOptions(ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False
        ),
    )


def _read_excel(path: Path) -> pd.DataFrame:
    """First sheet, read by calamine (a tenth of openpyxl's time); dates stay dates, everything else
    becomes the text a reader would see."""
    try:
        table = pd.read_excel(path, dtype=object, engine="calamine")
    except Exception as exc:  # calamine raises many kinds for a damaged workbook
        raise ExtractError(path, f"cannot be read as an Excel workbook: {exc}") from exc
    return table.apply(_excel_text)


def _excel_text(values: pd.Series) -> pd.Series:
    """A sheet column as text: blanks '', whole numbers without '.0', dates kept, text as it is."""
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return values.fillna("").astype(object)
    missing = values.isna()
    text = columns.text_mask(values) & ~missing
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
