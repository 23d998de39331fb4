"""A run's parameters as people type them (plan, year, quarter), read without pandas or the engine,
so that `csp run` answers a typo at once, before the heavy stack is imported.

A plan's years start in April (financial years, written 2011-12) unless the plan says
`year_start: january` (calendar years, written 2025): the plan's `year_start` decides how a year is
read, so it is read here too, from the plan's YAML without the engine."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from csp import config
from csp.errors import ParameterError, PlanError

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_YEAR = re.compile(r"^(\d{4})-(\d{2})$")
_CALENDAR_YEAR = re.compile(r"^\d{4}$")
# A plan's `year_start` -> the month (1-12) its years start in. April: the UK public-sector year.
YEAR_STARTS = {"april": 4, "january": 1}
DEFAULT_YEAR_START = "april"


def year_start(text: str | int) -> int:
    """'2011-12' -> 2011; a bare int is refused because 2011 could mean 2010-11 or 2011-12."""
    match = _YEAR.match(str(text).strip())
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ValueError(f"financial year {text!r} is not of the form 2011-12")
    return int(match.group(1))


def calendar_year(text: str | int) -> int:
    """'2025' (or 2025) -> 2025: a calendar year is one number, so a bare int is unambiguous."""
    cleaned = str(text).strip()
    if isinstance(text, bool) or not _CALENDAR_YEAR.match(cleaned):
        raise ValueError(f"calendar year {text!r} is not of the form 2025")
    return int(cleaned)


def parse_year(text: str | int, start: str = DEFAULT_YEAR_START) -> int:
    """The first calendar year of a plan year as its plan writes it: '2011-12' (April) or '2025'."""
    return calendar_year(text) if YEAR_STARTS[start] == 1 else year_start(text)


def year_text(first: int, start: str = DEFAULT_YEAR_START) -> str:
    """How a year is written in folders and parameters: 2011-12 (April), or 2025 (January)."""
    return str(first) if YEAR_STARTS[start] == 1 else f"{first}-{(first + 1) % 100:02d}"


def parse_quarter(text: str | int) -> int:
    """Read 2, '2' or 'Q2'."""
    cleaned = str(text).strip().upper().removeprefix("Q")
    if cleaned not in {"1", "2", "3", "4"}:
        raise ValueError(f"quarter {text!r} is not Q1, Q2, Q3 or Q4")
    return int(cleaned)


def existing_plan(name_or_path: str | Path) -> Path:
    """The plan's file, or a PlanError listing the plans there are."""
    path = config.plan_path(name_or_path)
    if not path.exists():
        known = ", ".join(config.available_plans()) or "none"
        raise PlanError(path, "plan", f"no such plan file (known plans: {known})")
    return path


@dataclass(frozen=True)
class RunRequest:
    """What `csp run` was asked for, read without the engine: enough to find the last report."""

    plan_file: Path
    plan: str
    year: str
    quarter: int
    raw_dir: Path

    @property
    def report_folder(self) -> Path:
        return config.REPORTS_DIR / self.plan / self.year / f"Q{self.quarter}"

    @property
    def processed_folder(self) -> Path:
        return config.PROCESSED_DIR / self.plan / self.year / f"Q{self.quarter}"

    @property
    def label(self) -> str:
        return f"{self.plan} {self.year} Q{self.quarter}"

    def as_dict(self) -> dict[str, object]:
        return {
            "plan": self.plan,
            "year": self.year,
            "quarter": self.quarter,
            "raw_dir": str(self.raw_dir),
        }


def check_run(
    plan: str, year: str, quarter: str | int, raw_dir: str | Path | None = None
) -> RunRequest:
    """Refuse an unknown plan, a badly written year or quarter, with the message the run gives.
    The year is read as the plan's `year_start` says (2011-12, or 2025 for calendar years)."""
    path = existing_plan(plan)
    header = plan_header(path)
    start = header_year_start(path, header)
    try:
        first = parse_year(year, start)
        the_quarter = parse_quarter(quarter)
    except ValueError as exc:
        raise ParameterError(str(exc)) from exc
    covered = header_years(header, start)
    if covered and first not in covered:
        raise uncovered_year(path, year_text(first, start), [year_text(y, start) for y in covered])
    return RunRequest(
        plan_file=path,
        plan=plan_name(path, header),
        year=year_text(first, start),
        quarter=the_quarter,
        raw_dir=raw_dir_of(path, header, raw_dir),
    )


def uncovered_year(path: Path, year: str, covered: list[str]) -> PlanError:
    """The refusal of a year the plan does not cover, whether its header or the plan says so."""
    return PlanError(
        path, "years", f"the plan does not cover {year} (it covers {', '.join(covered)})"
    )


def plan_name(path: Path, header: dict[str, object]) -> str:
    return str(header.get("plan", path.stem))


def raw_dir_of(path: Path, header: dict[str, object], given: str | Path | None) -> Path:
    """The extracts folder a run reads: the one given, else the plan's `raw_dir`, else
    data/raw/<plan> (as the plan itself resolves it)."""
    return config.resolve(given or header.get("raw_dir") or f"data/raw/{plan_name(path, header)}")


def plan_header(path: Path) -> dict[str, object]:
    """The plan file's top-level keys, read as YAML only: no schema, no engine."""
    try:
        header = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise PlanError(path, "YAML", str(exc).replace("\n", " ")) from exc
    return header if isinstance(header, dict) else {}


def header_years(header: dict[str, object], start: str) -> list[int]:
    """The first calendar year of each year the plan covers, as its header lists them; none when
    the list is not one a plan may hold (the plan's own checks then say what is wrong with it)."""
    years = header.get("years")
    listed = years if isinstance(years, list) else [years]
    try:
        return [parse_year(year, start) for year in listed]
    except (ValueError, TypeError):
        return []


def header_year_start(path: Path, header: dict[str, object]) -> str:
    """The plan's `year_start` (april unless it says january), refused as the schema refuses it."""
    start = header.get("year_start")
    if start is None or start == "":
        return DEFAULT_YEAR_START
    if not isinstance(start, str) or start not in YEAR_STARTS:
        expected = ", ".join(YEAR_STARTS)
        raise PlanError(
            path, "year_start", f"unknown year_start '{start}' (expected one of: {expected})"
        )
    return str(start)
