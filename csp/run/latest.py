"""`csp run --latest`: the plan's latest quarter whose months are all in the raw folder.

Each extract's source says which files a quarter needs and whether they are there (its
`expected_files` inventory, as cleaning takes it), so a police.uk download counts month by month
and a partner's extract by its quarter's (or year's) file, with `availability.csv` saying what is
not yet published or only up to a month. Nothing is read but folder listings and that file.
"""

from __future__ import annotations

from pathlib import Path

from csp.domain.periods import PlanYear
from csp.inputs import extracts
from csp.inputs.extracts import ExtractFile
from csp.plan import Plan
from csp.sources import SOURCES


def latest_quarter(plan: Plan, raw_dir: Path) -> tuple[PlanYear, int] | None:
    """The latest (year, quarter) of the plan's years whose files are all there, or accounted for
    by availability.csv (not yet published), with at least one there; None if no quarter is."""
    for year in sorted(plan.years, reverse=True):
        files = year_files(plan, raw_dir, year)
        for quarter in (4, 3, 2, 1):
            if quarter_present(year, quarter, files):
                return year, quarter
    return None


def year_files(plan: Plan, raw_dir: Path, year: PlanYear) -> list[ExtractFile]:
    """Every file of every extract the year's four quarters need, found or not."""
    availability = extracts.read_availability(raw_dir, year)
    return [
        file
        for spec in plan.extracts.values()
        for file in SOURCES.get(spec.source).expected_files(spec, raw_dir, year, 4, availability)
    ]


def quarter_present(year: PlanYear, quarter: int, files: list[ExtractFile]) -> bool:
    """No file of the quarter is missing, and each that is there reaches the quarter: a quarter's
    own file, or a year's file whose data (availability's `data_to`) goes that far. A file not
    yet published, as availability.csv says, is accounted for; one file at least must be there."""
    first = str(year.quarter_months(quarter)[0])
    needed = [file for file in files if file.quarter in (f"Q{quarter}", "")]
    if any(file.status == "missing" for file in needed):
        return False
    there = [file for file in needed if file.found]
    return bool(there) and all(file.last_month >= first for file in there)
