"""reports/index.html: every report built, by plan and year, newest first, with its status summary.

Links are relative, so the reports folder can be zipped and emailed as a whole. Each run leaves a
small run.json beside its dashboard; the index is built from those and the statuses files.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from csp import __version__, config
from csp.html import TEMPLATES
from csp.periods import PlanYear, quarter_label, year_of_folder

RUN_RECORD = "run.json"


def write_run_record(folder: Path, record: dict[str, object]) -> Path:
    """What the index needs to list a report without opening it."""
    path = folder / RUN_RECORD
    path.write_text(json.dumps(record, indent=2, sort_keys=True), encoding="utf-8")
    return path


@dataclass(frozen=True)
class ReportEntry:
    plan: str
    partnership: str
    year: str
    quarter: int
    produced: str
    link: str
    counts: dict[str, int]

    @property
    def year_label(self) -> str:
        """2011/12, or 2025: the year's form in its folder says which kind of year it is."""
        year = self._plan_year()
        return self.year if year is None else year.label

    @property
    def quarter_label(self) -> str:
        """Q1 (January to March 2025); just Q1 for a year not written as csp writes years."""
        year = self._plan_year()
        return f"Q{self.quarter}" if year is None else quarter_label(year, self.quarter)

    def _plan_year(self) -> PlanYear | None:
        try:
            return year_of_folder(self.year)
        except ValueError:
            return None


def report_entries(reports_root: Path) -> list[ReportEntry]:
    """Every finished report under the root; failed and staging folders are not reports."""
    entries = []
    for record_path in sorted(reports_root.glob(f"*/*/Q[1-4]/{RUN_RECORD}")):
        folder = record_path.parent
        if not (folder / "dashboard.html").exists():
            continue
        record = json.loads(record_path.read_text(encoding="utf-8"))
        statuses = pd.read_csv(folder / "statuses.csv", dtype=str)
        current = statuses[statuses["quarter"] == f"Q{record['quarter']}"]
        counts = current["status"].value_counts().to_dict()
        entries.append(
            ReportEntry(
                plan=str(record["plan"]),
                partnership=str(record.get("partnership", record["plan"])),
                year=str(record["year"]),
                quarter=int(record["quarter"]),
                produced=str(record.get("produced", "")),
                link=quote((folder / "dashboard.html").relative_to(reports_root).as_posix()),
                counts={
                    k: int(counts.get(k, 0)) for k in ("on_track", "amber", "off_track", "no_data")
                },
            )
        )
    return entries


def build_index(reports_root: Path | None = None) -> Path:
    """Write reports/index.html afresh from what is on disk."""
    root = reports_root or config.REPORTS_DIR
    root.mkdir(parents=True, exist_ok=True)
    entries = report_entries(root)
    plans: dict[str, dict[str, list[ReportEntry]]] = {}
    for entry in sorted(entries, key=lambda e: (e.plan, e.year, e.quarter), reverse=True):
        plans.setdefault(entry.plan, {}).setdefault(entry.year, []).append(entry)
    css = (config.TEMPLATES_DIR / "report" / "dashboard.css").read_text(encoding="utf-8")
    html = TEMPLATES.get_template("index.html.j2").render(
        plans=dict(sorted(plans.items())),
        css=css,
        built=f"{dt.datetime.now():%d %B %Y %H:%M}".lstrip("0"),
        version=__version__,
        total=len(entries),
    )
    target = root / "index.html"
    temporary = target.with_name(f".index.html.{os.getpid()}.tmp")  # runs of two quarters at once
    temporary.write_text(html, encoding="utf-8")
    temporary.replace(target)
    return target
