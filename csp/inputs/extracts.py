"""What every source shares: the inventory of expected files, the analyst's availability and
commentary files beside the extracts, and how files are named in messages.

Which files a quarter needs and how they are read is each source's own business (`csp.sources`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection
from dataclasses import dataclass, field, fields
from pathlib import Path

import pandas as pd

from csp import config
from csp.domain.parameters import parse_quarter
from csp.domain.periods import PlanYear
from csp.errors import ExtractError
from csp.inputs import csvfile

ROW = "_row"
INVENTORY_COLUMNS = [
    "source",
    "title",
    "year",
    "quarter",
    "file",
    "status",
    "note",
    "first_month",
    "last_month",
    "rows_read",
    "rows_kept",
    "sha256",
]


@dataclass
class ExtractFile:
    """One expected extract file for one period, found or not."""

    source: str
    title: str
    year: str
    quarter: str
    path: Path
    status: str  # read, partial, missing, unpublished
    note: str = ""
    first_month: str = ""
    last_month: str = ""
    rows_read: int = 0
    rows_kept: int = 0
    sha256: str = ""
    # Facts reading found (code, detail), e.g. read as Windows-1252: logged with the file's rows.
    read_facts: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    @property
    def found(self) -> bool:
        return self.status in ("read", "partial")

    def as_row(self) -> dict[str, object]:
        """The inventory's row (field by field: `asdict` deep-copied every field, for each file)."""
        row = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _NOT_IN_ROW}
        row["file"] = display_path(self.path)
        return row


_NOT_IN_ROW = ("path", "read_facts")


# What a second copy of a file is called: "x (1).csv" as browsers save it, "x - Copy.csv" as
# Windows copies it, "x copy.csv" as macOS does; or the same name as another kind of file.
_COPY_MARK = re.compile(r"(\s*\(\d+\)|\s*-\s*copy(\s*\(\d+\))?|\s+copy(\s+\d+)?)$", re.IGNORECASE)
EXTRACT_SUFFIXES = {".csv", ".xlsx", ".xlsm"}


def refuse_copies(path: Path, what: str) -> None:
    """Two files for one source and period contradict each other: csp will not choose between
    them (nor silently read one), so the run stops naming both."""
    try:
        names = os.listdir(path.parent)
    except (FileNotFoundError, NotADirectoryError):
        return
    stem = path.stem.casefold()
    # A copy's name starts with the file's stem: only those are looked at (a folder holds a file
    # for each source).
    for other in sorted(path.parent / name for name in names if name.casefold().startswith(stem)):
        if other == path or other.suffix.lower() not in EXTRACT_SUFFIXES:
            continue
        if _COPY_MARK.sub("", other.stem).casefold() != stem:
            continue
        if path.exists():
            problem = f"a second file for {what} beside {path.name}: keep one of the two"
        else:
            problem = f"named like a copy of {path.name}, which is not there: rename it if it is"
        raise ExtractError(other, f"{problem} (csp will not choose or guess)")


def display_path(path: Path) -> str:
    """Paths in messages and reports: relative to the project where possible."""
    return config.shown(path)


@dataclass(frozen=True)
class Unavailable:
    """An availability-file entry: an extract not yet published, or published only up to a month."""

    source: str
    year: str
    quarter: str
    note: str
    data_to: str


@dataclass(frozen=True)
class Acceptance:
    """An availability-file entry accepting a month that looks incomplete: the analyst knows it is
    real (`accept` column, yyyy-mm). The report shows it with the note."""

    source: str
    month: str
    note: str


def _availability_rows(raw_dir: Path, year: PlanYear) -> tuple[Path, pd.DataFrame]:
    """`<raw_dir>/<year>/availability.csv`'s rows with a source or period (none if absent)."""
    path = raw_dir / str(year) / "availability.csv"
    if not path.exists():
        return path, pd.DataFrame(columns=["source", "period", "note", ROW])
    table = read_csv_text(path, ["source", "period", "note"])
    return path, table[(table["source"] != "") | (table["period"] != "")]


def read_availability(raw_dir: Path, year: PlanYear) -> list[Unavailable]:
    """source, period, note[, data_to]: extracts not yet published, or only up to a month."""
    path, table = _availability_rows(raw_dir, year)
    entries = []
    for _, row in table.iterrows():
        if row.get("accept", ""):
            continue
        period_year, period_quarter = _period(row["period"], year, path, int(row[ROW]))
        data_to = _month_cell(row, "data_to", path)
        entries.append(
            Unavailable(row["source"], period_year, period_quarter, row["note"], data_to)
        )
    return entries


def read_acceptances(raw_dir: Path, year: PlanYear) -> list[Acceptance]:
    """source, period, note, accept: months that look incomplete but that the analyst accepts."""
    path, table = _availability_rows(raw_dir, year)
    entries = []
    for _, row in table.iterrows():
        month = _month_cell(row, "accept", path)
        if month:
            if not row["note"]:
                raise ExtractError(
                    path,
                    "an accepted month needs a note saying why it is real",
                    row=int(row[ROW]),
                    column="note",
                )
            entries.append(Acceptance(row["source"], month, row["note"]))
    return entries


def _month_cell(row: pd.Series, column: str, path: Path) -> str:
    """A yyyy-mm cell of the availability file, or '' where the column is absent or blank."""
    value = str(row.get(column, "") or "")
    if value and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        raise ExtractError(
            path,
            f"'{value}' is not a month in the form yyyy-mm (e.g. 2011-08)",
            row=int(row[ROW]),
            column=column,
        )
    return value


def read_commentary(
    raw_dir: Path, year: PlanYear, measures: Collection[str] | None = None
) -> pd.DataFrame:
    """`<raw_dir>/<year>/commentary.csv`: the analyst's notes, by measure and quarter. A note for
    a measure the plan does not have is refused: it would otherwise vanish without a word."""
    path = raw_dir / str(year) / "commentary.csv"
    if not path.exists():
        return pd.DataFrame(columns=["measure", "quarter", "note"])
    table = read_csv_text(path, ["measure", "quarter", "note"])
    table = table[(table["measure"] != "") | (table["note"] != "")].copy()
    quarters = []
    for _, row in table.iterrows():
        if measures is not None and row["measure"] not in measures:
            raise ExtractError(
                path,
                f"'{row['measure']}' is not a measure of the plan (its measures: "
                f"{', '.join(measures)})",
                row=int(row[ROW]),
                column="measure",
            )
        period_year, quarter = _period(row["quarter"], year, path, int(row[ROW]), "quarter")
        if period_year != str(year) or not quarter:
            raise ExtractError(
                path,
                f"'{row['quarter']}' is not a quarter of {year} (e.g. Q2 or {year} Q2)",
                row=int(row[ROW]),
                column="quarter",
            )
        quarters.append(quarter)
    table["quarter"] = quarters
    return table[["measure", "quarter", "note"]].reset_index(drop=True)


def _period(
    text: str, year: PlanYear, path: Path, row: int, column: str = "period"
) -> tuple[str, str]:
    """'Q2' or '2' (this year), '2011-12 Q2', or '2010-11' (a whole year's extract); a plan of
    calendar years writes '2025 Q2' and '2024'. Years are read as the run's year is."""
    parts = str(text).split()
    try:
        if len(parts) == 1 and (parts[0].upper().startswith("Q") or len(parts[0]) < 4):
            return str(year), f"Q{parse_quarter(parts[0])}"
        if len(parts) == 1:
            return str(type(year).parse(parts[0])), ""
        if len(parts) == 2:
            return str(type(year).parse(parts[0])), f"Q{parse_quarter(parts[1])}"
    except ValueError as exc:
        raise ExtractError(path, str(exc), row=row, column=column) from exc
    raise ExtractError(
        path, f"'{text}' is not a period such as Q2 or {year} Q2", row=row, column=column
    )


def read_csv_text(path: Path, required: list[str]) -> pd.DataFrame:
    """A small CSV of our own (commentary, availability): every cell as stripped text, read as
    extracts are (`csp.inputs.csvfile`: saved by Excel in any encoding; a ragged row refused)."""
    text = csvfile.load(path)
    table = csvfile.read_table(text, fill_short=True).to_pandas() if text.header else pd.DataFrame()
    table = table.loc[:, ~table.columns.duplicated()]  # a name given twice: the first column
    for column in required:
        if column not in table.columns:
            raise ExtractError(
                path,
                f"missing column '{column}' (expected: {', '.join(required)})",
                row=1,
                column=column,
            )
    table = table.fillna("")
    for column in table.columns:
        table[column] = table[column].astype(str).str.strip()
    table[ROW] = range(2, len(table) + 2)
    return table


def inventory_table(files: list[ExtractFile]) -> pd.DataFrame:
    return pd.DataFrame([f.as_row() for f in files], columns=INVENTORY_COLUMNS)


def coverage(inventory: pd.DataFrame) -> dict[str, set[str]]:
    """Months each source covers, from the files that were read (partial ones up to their month)."""
    covered: dict[str, set[str]] = {}
    for _, row in inventory.iterrows():
        months = covered.setdefault(row["source"], set())
        if row["status"] in ("read", "partial") and row["first_month"]:
            span = pd.period_range(row["first_month"], row["last_month"], freq="M")
            months.update(str(m) for m in span)
    return covered
