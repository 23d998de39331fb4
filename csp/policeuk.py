"""data.police.uk street-level files, as the download unzips: `YYYY-MM/YYYY-MM-<force>-street.csv`.

Any number of months and forces. The plan defines its area by LSOA codes, each with its ward: rows in
other areas (a neighbouring borough's LSOAs) and rows with `No Location` (no LSOA) count in no area
measure, and the cleaning log says how many were left out, file by file, which is month by month.
Crime type names changed in May 2013; a plan may name either era's type and match both.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from csp.errors import ExtractError
from csp.periods import FinancialYear, financial_quarter

if TYPE_CHECKING:
    from csp.clean import CleaningLog
    from csp.extracts import ExtractFile
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
DERIVED = (
    "ward",
    "location_name",
)  # from the plan's LSOA list, and the location tidied for reading
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


_APOSTROPHE_CAPITAL = re.compile(r"(?<=[A-Za-z])'S\b")


def tidy_location(location: str) -> str:
    """'On or near Alderman'S Walk' -> "Alderman's Walk", for reading; matching uses the original."""
    text = location.removeprefix("On or near ").strip()
    return _APOSTROPHE_CAPITAL.sub("'s", text)


def month_files(raw_dir: Path, month: pd.Period, force: str | None) -> list[Path]:
    folder = raw_dir / str(month)
    pattern = f"{month}-{force}-street.csv" if force else f"{month}-*-street.csv"
    return sorted(folder.glob(pattern))


def expected_files(
    spec: ExtractSpec, raw_dir: Path, year: FinancialYear, last_quarter: int
) -> list[ExtractFile]:
    """One entry per month and file: months with no file are listed as missing."""
    from csp.extracts import ExtractFile

    force = spec.options.get("force")
    files = []
    for month in year.months[: last_quarter * 3]:
        quarter = f"Q{financial_quarter(month)}"
        found = month_files(raw_dir, month, force)
        if not found:
            expected = raw_dir / str(month) / f"{month}-{force or '<force>'}-street.csv"
            files.append(
                ExtractFile(spec.name, spec.title, str(year), quarter, expected, "missing")
            )
        for path in found:
            files.append(
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
            )
    return files


def read_month(path: Path) -> pd.DataFrame:
    """One police.uk file, every cell as text, with its file line; refuses a file without the columns."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError as exc:
        raise ExtractError(path, "the file is empty: expected the police.uk header row") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ExtractError(path, f"cannot be read as a police.uk CSV: {exc}") from exc
    table.columns = [str(c).strip() for c in table.columns]
    for name in REQUIRED:
        if COLUMNS[name] not in table.columns:
            raise ExtractError(
                path,
                f"missing column '{COLUMNS[name]}': not a police.uk street-level file "
                f"(found: {', '.join(table.columns)})",
                row=1,
                column=COLUMNS[name],
            )
    table = table.rename(columns={header: name for name, header in COLUMNS.items()})
    for name in COLUMNS:
        if name not in table.columns:
            table[name] = ""
        table[name] = table[name].astype(str).str.strip()
    table["_row"] = range(2, len(table) + 2)
    return table[[*COLUMNS, "_row"]]


def clean_month(file: ExtractFile, spec: ExtractSpec, plan: Plan, log: CleaningLog) -> pd.DataFrame:
    """Keep the plan's area: rows with no location or in another area's LSOA are logged, not kept."""
    from csp.extracts import display_path

    name = display_path(file.path)
    table = read_month(file.path)
    file.rows_read = len(table)
    blank = (table[list(COLUMNS)] == "").all(axis=1)
    log.add(spec.name, name, "blank lines skipped", int(blank.sum()))
    table = table[~blank]
    bad_month = ~table["month"].str.fullmatch(r"\d{4}-\d{2}")
    if bad_month.any():
        first = table[bad_month].iloc[0]
        raise ExtractError(
            file.path,
            f"'{first['month']}' is not a month in the form yyyy-mm",
            row=int(first["_row"]),
            column=COLUMNS["month"],
        )
    unknown_types = sorted(set(table["crime_type"]) - set(KNOWN_TYPES))
    if unknown_types:
        first = table[table["crime_type"] == unknown_types[0]].iloc[0]
        raise ExtractError(
            file.path,
            f"unknown crime type '{unknown_types[0]}' (police.uk types: {', '.join(KNOWN_TYPES)})",
            row=int(first["_row"]),
            column=COLUMNS["crime_type"],
        )
    no_location = (table["lsoa_code"] == "") | (table["location"] == NO_LOCATION)
    log.add(spec.name, name, "rows with no location (in no area measure)", int(no_location.sum()))
    table = table[~no_location]
    ward = table["lsoa_code"].map(plan.lsoas)
    outside = ward.isna()
    if outside.any():
        areas = Counter(table.loc[outside, "lsoa_name"].str.rsplit(" ", n=1).str[0])
        detail = "; ".join(f"{area} ({count})" for area, count in sorted(areas.items()))
        log.add(
            spec.name, name, "rows outside the plan's area (left out)", int(outside.sum()), detail
        )
    table = table[~outside].copy()
    table["ward"] = ward[~outside].astype("string")
    table["location_name"] = table["location"].map(tidy_location)
    table["_month"] = table["month"]
    table["_date"] = pd.PeriodIndex(table["month"], freq="M").to_timestamp()
    outside_period = table["_month"] != file.first_month
    log.add(
        spec.name, name, "rows dated outside the file's month (counted in their own month)",
        int(outside_period.sum()),
    )  # fmt: skip
    table["_source"] = spec.name
    table["_file"] = name
    for column in COLUMNS:
        table[column] = table[column].astype("string")
    return table.reset_index(drop=True)
