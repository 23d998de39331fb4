"""One quarter's run: the plan, year and quarter it is for, and the folders it reads and writes.

Notebooks build this from their `parameters` cell, so a notebook opened by hand in JupyterLab (no
paths given) and one executed by `csp run` (staging paths given) resolve paths the same way: from the
project root, never from the working directory.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from csp import config
from csp.domain.parameters import parse_quarter
from csp.domain.periods import PlanYear
from csp.errors import ParameterError
from csp.plan import Plan, load_plan
from csp.store import processed


@dataclass(frozen=True)
class QuarterRun:
    plan: Plan
    year: PlanYear
    quarter: int
    raw_dir: Path
    folder: processed.RunFolder

    @classmethod
    def from_parameters(
        cls,
        plan: str,
        year: str,
        quarter: int | str,
        raw_dir: str | Path | None = None,
        processed_dir: str | Path | None = None,
    ) -> QuarterRun:
        """Validate the parameters and fill in the default folders."""
        the_plan = load_plan(plan)
        try:
            fy = the_plan.parse_year(year)
            q = parse_quarter(quarter)
        except ValueError as exc:
            raise ParameterError(str(exc)) from exc
        the_plan.check_year(fy)
        return cls(
            plan=the_plan,
            year=fy,
            quarter=q,
            raw_dir=config.resolve(raw_dir) if raw_dir else the_plan.raw_dir,
            folder=processed.RunFolder(
                config.resolve(processed_dir)
                if processed_dir
                else processed.default_processed_dir(the_plan.name, str(fy), q)
            ),
        )

    @property
    def label(self) -> str:
        return f"{self.plan.name} {self.year} Q{self.quarter}"


def source_commit() -> str:
    """The git commit of the code that made a report ('+changes' if it had uncommitted edits)."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(config.PROJECT_ROOT), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            [
                "git",
                "-C",
                str(config.PROJECT_ROOT),
                "status",
                "--porcelain",
                "--untracked-files=no",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit}+changes" if dirty else commit
