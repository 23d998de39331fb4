"""The public data and reference files in ../shared, read from there and never copied in.

Tests that need them skip with the reason when they are absent, and fail instead when
CSP_REQUIRE_SHARED_DATA=1 (as .ci/run sets), so CI cannot pass by skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from csp.init import scaffold

SHARED_ROOT = Path(os.environ.get("CSP_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))


def shared_path(*parts: str) -> Path:
    """Path under the shared folder; skip (or fail, when required) if it is absent."""
    path = SHARED_ROOT.joinpath(*parts)
    if not path.exists():
        reason = f"shared data not found: {path} (put ../shared beside the project)"
        if os.environ.get("CSP_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def cleveland_partnerships(
    plan: Path, year_start: scaffold.YearStart = "april"
) -> list[scaffold.Written]:
    """`csp init --all-areas` on the shared Cleveland download: a plan per partnership, beside
    `plan` (named cleveland-<area>.yml)."""
    return scaffold.init(
        scaffold.InitRequest(
            plan=str(plan),
            police_force="cleveland",
            all_areas=True,
            year_start=year_start,
            raw_dir=shared_path("data", "police-uk-cleveland"),
            ons_dir=shared_path("data", "ons"),
        )
    )
