"""Where things live: every path resolves from the project root, never the working directory."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(os.environ.get("CSP_ROOT", Path(__file__).resolve().parents[1])).resolve()
PLANS_DIR = PROJECT_ROOT / "plans"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
RAW_DIR = PROJECT_ROOT / "data" / "raw"
PROCESSED_DIR = PROJECT_ROOT / "data" / "processed"
REPORTS_DIR = PROJECT_ROOT / "reports"
SAMPLES_DIR = PROJECT_ROOT / "samples"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def resolve(path: str | Path) -> Path:
    """Resolve a user-given path against the project root unless it is absolute.

    '..' is folded away, but links are kept as the user named them (../shared may be a link)."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else Path(os.path.normpath(PROJECT_ROOT / path))
