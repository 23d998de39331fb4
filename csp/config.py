"""Where things live: every path resolves from the project root, never the working directory."""

from __future__ import annotations

import fnmatch
import functools
import os
from pathlib import Path

from csp.errors import ParameterError

PROJECT_ROOT = Path(os.environ.get("CSP_ROOT", Path(__file__).resolve().parents[1])).resolve()
PLANS_DIR = PROJECT_ROOT / "plans"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
# A scheduled run or a benchmark may write elsewhere; analysts keep the defaults.
PROCESSED_DIR = Path(
    os.environ.get("CSP_PROCESSED_DIR", PROJECT_ROOT / "data" / "processed")
).resolve()
REPORTS_DIR = Path(os.environ.get("CSP_REPORTS_DIR", PROJECT_ROOT / "reports")).resolve()
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def resolve(path: str | Path) -> Path:
    """Resolve a user-given path against the project root unless it is absolute.

    '..' is folded away, but links are kept as the user named them (../shared may be a link)."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else Path(os.path.normpath(PROJECT_ROOT / path))


def plan_path(name_or_path: str | Path) -> Path:
    """A plan is named (`stockton` -> plans/stockton.yml) or given as a path to a YAML file."""
    candidate = Path(name_or_path)
    if candidate.suffix in {".yml", ".yaml"}:
        return resolve(candidate)
    return PLANS_DIR / f"{name_or_path}.yml"


def available_plans() -> list[str]:
    return sorted(p.stem for p in PLANS_DIR.glob("*.yml"))


def matching_plans(pattern: str) -> list[str]:
    """The plans in plans/ whose names match a shell pattern ('cleveland-*'), in name order; a
    pattern matching none is refused with the plans there are."""
    plans = available_plans()
    matched = [name for name in plans if fnmatch.fnmatchcase(name, pattern)]
    if not matched:
        known = ", ".join(plans) or "none"
        raise ParameterError(f"no plan matches {pattern!r} (plans: {known})")
    return matched


@functools.lru_cache(maxsize=4096)
def shown(path: Path) -> str:
    """A path in messages and reports: relative to the project where it is inside it (cached:
    resolving costs a system call per folder, and every logged row names its file)."""
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)
