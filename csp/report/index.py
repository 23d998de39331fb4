"""reports/index.html: every report built, by plan and year, newest first, with its status summary,
and every comparison of partnerships (reports/peers/<year>/Q<n>/peers.html, `csp.report.peers`).

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
from csp.domain.periods import PlanYear, quarter_label, year_of_folder
from csp.report.html import TEMPLATES

RUN_RECORD = "run.json"
PEERS_FOLDER = "peers"  # reports/peers/<year>/Q<n>/: the comparisons of partnerships
PEERS_PAGE, PEERS_TABLE = "peers.html", "peers.csv"
PEERS_NOT_COMPARED = "not compared"  # a row's flag in peers.csv when it is in no funnel


def write_run_record(folder: Path, record: dict[str, object]) -> Path:
    """What the index needs to list a report without opening it."""
    path = folder / RUN_RECORD
    path.write_text(json.dumps(record, indent=2, sort_keys=True), encoding="utf-8")
    return path


class QuarterLabels:
    """What the index shows of an entry's `year` and `quarter` (reports and comparisons alike)."""

    year: str
    quarter: int

    @property
    def year_label(self) -> str:
        return year_label(self.year)

    @property
    def quarter_label(self) -> str:
        return quarter_text(self.year, self.quarter)


@dataclass(frozen=True)
class ReportEntry(QuarterLabels):
    plan: str
    partnership: str
    year: str
    quarter: int
    produced: str
    link: str
    counts: dict[str, int]


@dataclass(frozen=True)
class PeersEntry(QuarterLabels):
    """A comparison of partnerships: its quarter, the page and how many plans it compares."""

    year: str
    quarter: int
    link: str
    plans: int
    measures: int  # compared: with a funnel


def _plan_year(year: str) -> PlanYear | None:
    try:
        return year_of_folder(year)
    except ValueError:
        return None


def year_label(year: str) -> str:
    """2011/12, or 2025: the year's form in its folder says which kind of year it is."""
    plan_year = _plan_year(year)
    return year if plan_year is None else plan_year.label


def quarter_text(year: str, quarter: int) -> str:
    """Q1 (January to March 2025); just Q1 for a year not written as csp writes years."""
    plan_year = _plan_year(year)
    return f"Q{quarter}" if plan_year is None else quarter_label(plan_year, quarter)


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


def peers_entries(reports_root: Path) -> list[PeersEntry]:
    """Every comparison of partnerships under the root, newest first."""
    entries = []
    for page in reports_root.glob(f"{PEERS_FOLDER}/*/Q[1-4]/{PEERS_PAGE}"):
        table = pd.read_csv(page.with_name(PEERS_TABLE), dtype=str, keep_default_na=False)
        compared = table.loc[table["flag"] != PEERS_NOT_COMPARED, "measure_id"]
        entries.append(
            PeersEntry(
                year=page.parent.parent.name,
                quarter=int(page.parent.name[1:]),
                link=quote(page.relative_to(reports_root).as_posix()),
                plans=table["plan"].nunique(),
                measures=compared.nunique(),
            )
        )
    return sorted(entries, key=lambda e: (e.year, e.quarter), reverse=True)


def build_index(reports_root: Path | None = None) -> Path:
    """Write reports/index.html afresh from what is on disk."""
    root = reports_root or config.REPORTS_DIR
    root.mkdir(parents=True, exist_ok=True)
    entries = report_entries(root)
    plans: dict[str, dict[str, list[ReportEntry]]] = {}
    for entry in sorted(entries, key=lambda e: (e.plan, e.year, e.quarter), reverse=True):
        plans.setdefault(entry.plan, {}).setdefault(entry.year, []).append(entry)
    css = config.STYLESHEET.read_text(encoding="utf-8")
    html = TEMPLATES.get_template("index.html.j2").render(
        plans=dict(sorted(plans.items())),
        css=css,
        built=f"{dt.datetime.now():%d %B %Y %H:%M}".lstrip("0"),
        version=__version__,
        total=len(entries),
        peers=peers_entries(root),
    )
    target = root / "index.html"
    temporary = target.with_name(f".index.html.{os.getpid()}.tmp")  # runs of two quarters at once
    temporary.write_text(html, encoding="utf-8")
    temporary.replace(target)
    return target
