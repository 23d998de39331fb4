"""Where things live: every path resolves from the project root, never the working directory."""

from __future__ import annotations

import fnmatch
import functools
import os
from pathlib import Path

from csp.errors import PlanError, RunError

PROJECT_ROOT = Path(os.environ.get("CSP_ROOT", Path(__file__).resolve().parents[1])).resolve()
PLANS_DIR = PROJECT_ROOT / "plans"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
# A scheduled run or a benchmark may write elsewhere; analysts keep the defaults.
PROCESSED_DIR = Path(
    os.environ.get("CSP_PROCESSED_DIR", PROJECT_ROOT / "data" / "processed")
).resolve()
REPORTS_DIR = Path(os.environ.get("CSP_REPORTS_DIR", PROJECT_ROOT / "reports")).resolve()
PACKAGE_DIR = Path(__file__).resolve().parent
# Each wing keeps the templates it writes from: the report's pages (and nbconvert's), the plan init writes.
REPORT_TEMPLATES = PACKAGE_DIR / "report" / "templates"
INIT_TEMPLATES = PACKAGE_DIR / "init" / "templates"
STYLESHEET = REPORT_TEMPLATES / "dashboard.css"


def shared_reads_dir() -> Path | None:
    """Where a read shared by several plans' runs is kept (`csp.sources.shared_reads`): CSP_SHARED_READS_DIR,
    or data/processed/.shared-reads; set empty, reads are not kept. Read at each call: tests and
    benchmarks set it after csp is imported, and runs' kernels inherit it."""
    folder = os.environ.get("CSP_SHARED_READS_DIR")
    if folder is None:
        return PROCESSED_DIR / ".shared-reads"
    return resolve(folder) if folder else None


def mirrors_dir() -> Path:
    """Where extracts at a URL are copied before a run (`csp.inputs.mirror`): CSP_MIRROR_DIR, or
    data/raw/.mirrors (raw data stays with the raw data)."""
    folder = os.environ.get("CSP_MIRROR_DIR")
    return resolve(folder) if folder else PROJECT_ROOT / "data" / "raw" / ".mirrors"


def cell_time_limit() -> int | None:
    """The longest one cell of a notebook step may run, in seconds (CSP_CELL_TIME_LIMIT; 0: no
    limit). A kernel alive but stuck (a hung network mount) would otherwise hold the run, and its
    quarter's lock, for ever; an hour is many times a large force's whole quarter."""
    value = os.environ.get("CSP_CELL_TIME_LIMIT", "3600")
    try:
        seconds = int(value)
    except ValueError:
        seconds = -1
    if seconds < 0:
        raise RunError(
            f"CSP_CELL_TIME_LIMIT={value!r}: expected a whole number of seconds (0: none)"
        )
    return seconds or None


def is_url(raw_dir: str | Path | None) -> bool:
    """`--raw-dir` names a URL (s3://bucket/police-uk, file:///srv/extracts), not a folder."""
    return raw_dir is not None and "://" in str(raw_dir)


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


def is_pattern(plan: str) -> bool:
    """Does `--plan` name several plans ('cleveland-*'), rather than one name or path?"""
    return any(character in plan for character in "*?[")


def matching_plans(pattern: str) -> list[str]:
    """The plans a `--plan` names: a glob over the names in plans/ ('cleveland-*'), or over a
    folder's plan files ('/srv/plans/*.yml'), sorted; a name or path with no wildcard as it is."""
    if not is_pattern(pattern):
        return [pattern]
    candidate = Path(pattern)
    if candidate.suffix in {".yml", ".yaml"} or len(candidate.parts) > 1:
        folder = resolve(candidate.parent)
        found = sorted(str(p) for p in folder.glob(candidate.name) if p.suffix in {".yml", ".yaml"})
        known = f"plan files in {folder}"
    else:
        found = fnmatch.filter(available_plans(), pattern)
        known = f"known plans: {', '.join(available_plans()) or 'none'}"
    if not found:
        raise PlanError(pattern, "plan", f"no plan matches the pattern ({known})")
    return found


@functools.lru_cache(maxsize=4096)
def shown(path: Path) -> str:
    """A path in messages and reports: relative to the project where it is inside it (cached:
    resolving costs a system call per folder, and every logged row names its file)."""
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)
