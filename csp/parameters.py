"""A run's parameters as people type them (plan, year, quarter), read without pandas or the engine,
so that `csp run` answers a typo at once, before the heavy stack is imported."""

from __future__ import annotations

import re
from pathlib import Path

from csp import config
from csp.errors import ParameterError, PlanError

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


def check_run(plan: str, year: str, quarter: str | int) -> None:
    """Refuse an unknown plan, a badly written year or quarter, with the message the run gives."""
    existing_plan(plan)
    try:
        year_start(year)
        parse_quarter(quarter)
    except ValueError as exc:
        raise ParameterError(str(exc)) from exc
