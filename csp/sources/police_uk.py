"""data.police.uk street-level files, as the download unzips: `YYYY-MM/YYYY-MM-<force>-street.csv`.

Any number of months and forces. The plan defines its area by LSOA codes, each with its ward: rows in
other areas (a neighbouring borough's LSOAs) and rows with `No Location` (no LSOA) count in no area
measure, and the data-quality facts say how many were left out, file by file, which is month by month.
Crime type names changed in May 2013; a plan may name either era's type and match both.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from pydantic import BaseModel, ConfigDict

from csp.columns import FILE, Batch
from csp.errors import ExtractError
from csp.extracts import ExtractFile, Unavailable
from csp.periods import FinancialYear, financial_quarter
from csp.quality import Facts
from csp.sources.base import SOURCES, Source

if TYPE_CHECKING:
    from csp.plan import ExtractSpec, Plan

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
NO_LOCATION = "No Location"
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


class PoliceUkSource(Source):
    """police.uk street-level crime and ASB: fixed columns, one file per month and force."""

    name = "police_uk"
    title = "police.uk"
    options_model = PoliceUkOptions
    monthly_files = True

    def expected_files(
        self,
        spec: ExtractSpec,
        raw_dir: Path,
        year: FinancialYear,
        last_quarter: int,
        availability: Sequence[Unavailable],
    ) -> list[ExtractFile]:
        """One entry per month and file: months with no file are listed as missing."""
        force = spec.options.force
        files = []
        for month in year.months[: last_quarter * 3]:
            quarter = f"Q{financial_quarter(month)}"
            found = month_files(raw_dir, month, force)
            if not found:
                expected = raw_dir / str(month) / f"{month}-{force or '<force>'}-street.csv"
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
        return read_month(file.path)

    def clean(
        self,
        raw: pd.DataFrame,
        files: list[ExtractFile],
        spec: ExtractSpec,
        plan: Plan,
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


def read_month(path: Path) -> pd.DataFrame:
    """One police.uk file, every cell as text as sent, with its file line; refuses a file without
    the columns."""
    header = _header(path)
    for name in REQUIRED:
        if COLUMNS[name] not in header:
            raise ExtractError(
                path,
                f"missing column '{COLUMNS[name]}': not a police.uk street-level file "
                f"(found: {', '.join(header)})",
                row=1,
                column=COLUMNS[name],
            )
    try:
        arrow = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, use_threads=False),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise ExtractError(path, f"cannot be read as a police.uk CSV: {exc}") from exc
    table = arrow.to_pandas().rename(columns={h: n for n, h in COLUMNS.items()})
    table = table.reindex(columns=list(COLUMNS), fill_value="")
    table["_row"] = range(2, len(table) + 2)
    return table


def _header(path: Path) -> list[str]:
    """The header row's names, stripped; a file without one is refused."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
    except UnicodeDecodeError as exc:
        raise ExtractError(path, f"cannot be read as a police.uk CSV: {exc}") from exc
    if not first.strip():
        raise ExtractError(path, "the file is empty: expected the police.uk header row")
    return [name.strip() for name in next(csv.reader([first]))]


def clean_months(raw: pd.DataFrame, batch: Batch, lsoas: dict[str, str]) -> pd.DataFrame:
    """The months' rows in the plan's area, typed; what was left out and why goes into the facts."""
    table = batch.numbered(raw)
    for column in COLUMNS:
        table[column] = table[column].astype("str").str.strip()
    blank = (table[list(COLUMNS)] == "").all(axis=1)
    batch.count("blank_lines", table, blank)
    table = table[~blank]
    dates = _months(table, batch)
    _check_types(table, batch)
    no_location = (table["lsoa_code"] == "") | (table["location"] == NO_LOCATION)
    batch.count("no_location", table, no_location)
    table = table[~no_location]
    ward = table["lsoa_code"].map(lsoas)
    outside = ward.isna()
    batch.count("outside_area", table, outside, _areas(table[outside]))
    table = table[~outside].copy()
    table["ward"] = ward[~outside].astype("string")
    table["location_name"] = tidy_locations(table["location"])
    table["_month"] = table["month"].astype(object)
    table["_date"] = dates  # aligned on the rows kept
    month = batch.file_attribute(table, "first_month")
    batch.count("outside_month", table, table["_month"].to_numpy() != month)
    table["_source"] = batch.spec.name
    table[FILE] = table.pop(FILE).astype("str")
    for column in COLUMNS:
        table[column] = table[column].astype("string")
    return batch.done(table).reset_index(drop=True)


def _areas(outside: pd.DataFrame) -> pd.Series:
    """Per file, the areas of its rows outside the plan's LSOAs with counts: 'Camden (2); ...'."""
    area = outside["lsoa_name"].str.rsplit(" ", n=1).str[0]
    counts = pd.DataFrame({"file": outside[FILE], "area": area}).value_counts().sort_index()
    text = counts.index.get_level_values("area") + " (" + counts.astype(str).to_numpy() + ")"
    return (
        pd.Series(text, index=counts.index.get_level_values("file")).groupby(level=0).agg("; ".join)
    )


def _months(table: pd.DataFrame, batch: Batch) -> pd.Series:
    """Each row's month as the timestamp of its first day; a value not yyyy-mm names its row."""
    dates = pd.to_datetime(table["month"], format="%Y-%m", errors="coerce")
    bad = dates.isna() | ~table["month"].str.fullmatch(r"\d{4}-\d{2}").fillna(False).astype(bool)
    if bad.any():
        raise batch.fail(table, bad, "'{value}' is not a month in the form yyyy-mm", "month")
    return dates


def _check_types(table: pd.DataFrame, batch: Batch) -> None:
    """A crime type police.uk never used means the file is not what the plan expects."""
    unknown = ~table["crime_type"].isin(KNOWN_TYPES)
    if unknown.any():
        name = sorted(table.loc[unknown, "crime_type"].unique())[0]
        problem = f"unknown crime type '{name}' (police.uk types: {', '.join(KNOWN_TYPES)})"
        raise batch.fail(table, table["crime_type"] == name, problem, "crime_type")


SOURCES.register(PoliceUkSource.name, PoliceUkSource())
