"""A run's parameters as people type them (plan, year, quarter), read without pandas or the engine,
so that `csp run` answers a typo at once, before the heavy stack is imported."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from csp import config
from csp.errors import ParameterError, PlanError

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_YEAR = re.compile(r"^(\d{4})-(\d{2})$")


def year_start(text: str | int) -> int:
    """'2011-12' -> 2011; a bare int is refused because 2011 could mean 2010-11 or 2011-12."""
    match = _YEAR.match(str(text).strip())
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ValueError(f"financial year {text!r} is not of the form 2011-12")
    return int(match.group(1))


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
    """Refuse an unknown plan, a badly written year or quarter, with the message the run gives."""
    path = existing_plan(plan)
    try:
        start = year_start(year)
        the_quarter = parse_quarter(quarter)
    except ValueError as exc:
        raise ParameterError(str(exc)) from exc
    try:
        header = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise PlanError(path, "YAML", str(exc).replace("\n", " ")) from exc
    header = header if isinstance(header, dict) else {}
    name = str(header.get("plan", path.stem))
    folder = raw_dir or header.get("raw_dir") or f"data/raw/{name}"
    return RunRequest(
        plan_file=path,
        plan=name,
        year=f"{start}-{(start + 1) % 100:02d}",
        quarter=the_quarter,
        raw_dir=config.resolve(folder),
    )
