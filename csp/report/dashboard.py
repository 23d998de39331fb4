"""The dashboard: HTML sections for the report notebook, and its export to one self-contained file.

Every string from a plan, an extract or the analyst passes through Jinja2's autoescaping, so a street
called `<script>` is shown, never run. The export drops code, prompts and the injected parameters.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from csp import __version__, config
from csp.domain.periods import month_label, quarter_end_label, quarter_label
from csp.domain.quality import FACTS, masked
from csp.domain.statuses import STATUS_LABELS
from csp.plan import Measure, Plan, Theme
from csp.plan.quarter import QuarterRun, source_commit
from csp.report import charts, panels
from csp.report.html import TEMPLATES
from csp.sources import SOURCES

STATUS_SYMBOLS = {"on_track": "☺", "amber": "◐", "off_track": "☹", "no_data": "-"}
SIGNIFICANCE_MARKS = {"better": "*", "worse": "*", "within normal variation": "≈"}
FILE_STATUS = {
    "read": "read",
    "partial": "partial",
    "missing": "missing",
    "unpublished": "not yet published",
}
NOTE_LIMIT = 1_000  # characters of a comment or note the dashboard shows; statuses.csv has them all


def format_figure(value: float, measure: Measure) -> str:
    """A figure as the measure's kind writes it (counts, percentages, rates, supplied levels)."""
    return measure.metric.kind.format(value)


def shortened(text: str, where: str | None = "statuses.csv", limit: int = NOTE_LIMIT) -> str:
    """Text over `limit` characters cut at a word, saying so and where the whole is: a note pasted
    from a long document must not make the dashboard too big to email."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    words = cut.rsplit(None, 1)[0]
    kept = (words if len(words) > limit // 2 else cut).rstrip()
    return f"{kept} … (shortened" + (f"; the full text is in {where})" if where else ")")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass
class Dashboard:
    """Reads one run's processed files and renders each section of the dashboard."""

    run: QuarterRun
    statuses: pd.DataFrame
    values: pd.DataFrame
    breakdowns: pd.DataFrame
    inventory: pd.DataFrame
    cleaning_log: pd.DataFrame
    control_charts: pd.DataFrame
    produced: dt.datetime

    @classmethod
    def from_run(cls, run: QuarterRun) -> Dashboard:
        folder = run.folder
        return cls(
            run=run,
            statuses=folder.read_statuses(),
            values=folder.read_measure_values(),
            breakdowns=folder.read_breakdowns(),
            inventory=folder.read_inventory(),
            cleaning_log=folder.read_cleaning_log(),
            control_charts=folder.read_control_charts(),
            produced=dt.datetime.now(),
        )

    @property
    def plan(self) -> Plan:
        return self.run.plan

    def _status(self, measure_id: str, quarter: int) -> pd.Series | None:
        return self._status_rows.get((measure_id, f"Q{quarter}"))

    @cached_property
    def _figures(self) -> charts.Figures:
        """The measures' monthly figures, worked out once for every theme's chart."""
        return charts.main_figures(self.values, self.plan)

    @cached_property
    def _status_rows(self) -> dict[tuple[str, str], pd.Series]:
        """Each measure's row for each quarter, looked up once rather than filtered each time."""
        if self.statuses.empty:
            return {}
        rows = self.statuses.drop_duplicates(["measure_id", "quarter"])
        return {(r["measure_id"], r["quarter"]): r for _, r in rows.iterrows()}

    def header(self) -> str:
        quarter = self.run.quarter
        current = self.statuses[self.statuses["quarter"] == f"Q{quarter}"]
        counts = {key: int((current["status"] == key).sum()) for key in STATUS_LABELS}
        labels = self._status_labels()
        changes = []
        if quarter > 1:
            for measure in self.plan.measures:
                before, after = (
                    self._status(measure.id, quarter - 1),
                    self._status(measure.id, quarter),
                )
                if before is not None and after is not None and before["status"] != after["status"]:
                    changes.append(
                        {
                            "id": measure.id,
                            "title": measure.title,
                            "before": STATUS_LABELS[before["status"]],
                            "after": STATUS_LABELS[after["status"]],
                        }
                    )
        return TEMPLATES.get_template("header.html.j2").render(
            plan=self.plan,
            year_label=self.run.year.label,
            quarter=quarter,
            as_at=quarter_end_label(self.run.year, quarter),
            produced=f"{self.produced:%d %B %Y}".lstrip("0"),
            baseline_year=self.plan.baseline_for(self.run.year).label,
            status_labels=labels,
            counts=counts,
            total=len(current),
            previous=quarter - 1 if quarter > 1 else None,
            changes=changes,
        )

    def _status_labels(self) -> dict[str, str]:
        """Amber appears only for a plan with an amber band."""
        if self.plan.amber_band is None:
            return {k: v for k, v in STATUS_LABELS.items() if k != "amber"}
        return STATUS_LABELS

    def status_table(self) -> str:
        themes = []
        for theme in self.plan.themes:
            rows = []
            for measure in theme.measures:
                cells = []
                for q in range(1, 5):
                    row = self._status(measure.id, q) if q <= self.run.quarter else None
                    cells.append(
                        None
                        if row is None
                        else {
                            "quarter": q,
                            "status": row["status"],
                            "symbol": STATUS_SYMBOLS[row["status"]],
                            "mark": SIGNIFICANCE_MARKS.get(row["significance"], ""),
                            "label": STATUS_LABELS[row["status"]] + _significance_text(row),
                        }
                    )
                current = self._status(measure.id, self.run.quarter)
                rows.append(
                    {
                        "id": measure.id,
                        "title": measure.title,
                        "cells": cells,
                        "comment": "" if current is None else shortened(current["comment"]),
                    }
                )
            themes.append({"name": theme.name, "rows": rows})
        return TEMPLATES.get_template("status_table.html.j2").render(
            themes=themes,
            quarters=range(1, 5),
            quarter_labels={q: quarter_label(self.run.year, q) for q in range(1, 5)},
            year_label=self.run.year.label,
            status_labels=self._status_labels(),
            symbols=STATUS_SYMBOLS,
            alpha=f"{self.plan.significance_level:g}",
        )

    def theme_section(self, theme: Theme) -> str:
        figure, alt = charts.theme_chart(
            theme,
            self.plan,
            self.values,
            self.statuses,
            self.control_charts,
            self.run.year,
            self.run.quarter,
            figures=self._figures,
        )
        rows = []
        for measure in theme.measures:
            row = self._status(measure.id, self.run.quarter)
            if row is None:
                continue
            rows.append(
                {
                    "id": measure.id,
                    "title": measure.title,
                    "months": _months_text(row["first_month"], row["last_month"]),
                    "actual": format_figure(row["actual"], measure),
                    "baseline": format_figure(row["baseline"], measure),
                    "target": format_figure(row["target"], measure),
                    "projection": _projection_text(row, measure),
                    "status": STATUS_LABELS[row["status"]],
                    "significance": _significance_cell(row),
                    "spc": row["spc_summary"],
                    "reason": shortened(row["reason"]),
                }
            )
        return TEMPLATES.get_template("theme.html.j2").render(
            theme=theme,
            slug=slug(theme.name),
            chart_uri=panels.png_data_uri(figure),
            alt=alt,
            year=str(self.run.year),
            baseline_year=str(self.plan.baseline_for(self.run.year)),
            quarter=self.run.quarter,
            quarter_label=quarter_label(self.run.year, self.run.quarter),
            rows=rows,
            breakdowns=self._breakdowns(theme),
        )

    def _breakdowns(self, theme: Theme) -> list[dict[str, object]]:
        tables = []
        current = self.breakdowns[self.breakdowns["quarter"] == f"Q{self.run.quarter}"]
        for measure in theme.measures:
            items = current[current["measure_id"] == measure.id]
            if items.empty or measure.metric.breakdown is None:
                continue
            header = " and ".join(
                b.replace("_", " ") for b in measure.metric.breakdown.by
            ).capitalize()
            tables.append(
                {
                    "caption": f"{measure.id} {measure.title}: by {header.lower()}, year to date",
                    "item_header": header,
                    "entries": [
                        {
                            "item": item.item,
                            "actual": format_figure(item.actual, measure),
                            "baseline": format_figure(item.baseline, measure),
                            "change": f"{item.change:+,.0f}" if item.change else "0",
                        }
                        for item in items.sort_values("baseline", ascending=False).itertuples()
                    ],
                }
            )
        return tables

    def data_quality(self) -> str:
        inventory = self.inventory.copy()
        for column in ("rows_read", "rows_kept"):
            inventory[column] = (
                pd.to_numeric(inventory[column], errors="coerce").fillna(0).astype(int)
            )
        found = inventory[inventory["status"].isin(["read", "partial"])]
        titles = {name: spec.title for name, spec in self.plan.extracts.items()}
        partners = {name: spec.partner for name, spec in self.plan.extracts.items()}
        missing = []
        gaps = inventory[inventory["status"].isin(["missing", "unpublished"])]
        for (source, year, state, note), group in gaps.groupby(
            ["source", "year", "status", "note"], sort=False
        ):
            quarters = [q for q in group["quarter"] if q]
            span = f"{quarters[0]} to {quarters[-1]}" if len(quarters) > 1 else "".join(quarters)
            missing.append(
                f"{titles[source]}, {year} {span}".strip()
                + f": {FILE_STATUS[state]}"
                + (f" ({shortened(note, None)})" if note else "")
            )
        missing += [
            f"{titles[row.source]}, {_period(row)}: partial, up to {row.last_month}"
            + (f" ({shortened(row.note, None)})" if row.note else "")
            for row in inventory.itertuples()
            if row.status == "partial"
        ]
        changes, details = _quality_facts(self.cleaning_log, titles)
        return TEMPLATES.get_template("data_quality.html.j2").render(
            left_out=self._left_out_by_month(inventory),
            files_read=len(found),
            rows_read=f"{found['rows_read'].sum():,}",
            rows_kept=f"{found['rows_kept'].sum():,}",
            missing=missing,
            changes=changes,
            details=details,
            files=[
                {
                    "title": titles.get(row.source, row.source),
                    "partner": partners.get(row.source, ""),
                    "period": _period(row),
                    "status": FILE_STATUS.get(row.status, row.status)
                    + (f" to {row.last_month}" if row.status == "partial" else ""),
                    "rows_read": f"{row.rows_read:,}" if row.status in ("read", "partial") else "–",
                    "rows_kept": f"{row.rows_kept:,}" if row.status in ("read", "partial") else "–",
                }
                for row in inventory.itertuples()
            ],
        )

    def provenance(self) -> str:
        """How this report was made: inputs with their SHA-256, code version, parameters, time."""
        inventory = self.inventory[self.inventory["status"].isin(["read", "partial"])]
        titles = {name: spec.title for name, spec in self.plan.extracts.items()}
        return TEMPLATES.get_template("provenance.html.j2").render(
            files=[
                {
                    "title": titles.get(row.source, row.source),
                    "period": _period(row),
                    "file": row.file,
                    "sha256": row.sha256,
                }
                for row in inventory.itertuples()
            ],
            version=__version__,
            commit=source_commit(),
            parameters={
                "plan": f"{self.plan.name} ({self.plan.path.name})",
                "year": str(self.run.year),
                "quarter": f"Q{self.run.quarter}",
                "extracts folder": config.shown(self.run.raw_dir),
            },
            produced=f"{self.produced:%d %B %Y at %H:%M}".lstrip("0"),
        )

    def _left_out_by_month(self, inventory: pd.DataFrame) -> list[dict[str, str]]:
        """For month-by-month downloads (police.uk): rows read, left out and why, and used."""
        monthly = {
            name
            for name, spec in self.plan.extracts.items()
            if SOURCES.get(spec.source).monthly_files
        }
        log = self.cleaning_log
        rows = []
        for row in inventory[inventory["source"].isin(monthly)].itertuples():
            if row.status not in ("read", "partial"):
                continue
            entries = log[log["file"] == row.file]

            def count(code: str, entries: pd.DataFrame = entries) -> int:
                return int(entries.loc[entries["code"] == code, "rows"].sum())

            outside = entries[entries["code"] == "outside_area"]
            rows.append(
                {
                    "month": month_label(row.first_month),
                    "read": f"{row.rows_read:,}",
                    "no_location": f"{count('no_location'):,}",
                    "outside": f"{count('outside_area'):,}",
                    "where": "; ".join(outside["detail"]) if not outside.empty else "",
                    "used": f"{row.rows_kept:,}",
                }
            )
        return rows


def _quality_facts(
    log: pd.DataFrame, titles: dict[str, str]
) -> tuple[list[dict[str, object]], list[dict[str, str]]]:
    """The cleaning log by extract and fact code: rows and files per fact, and the values named."""
    changes: list[dict[str, object]] = []
    details: list[dict[str, str]] = []
    if log.empty:
        return changes, details
    grouped = log.groupby(["source", "code"], sort=False).agg(
        rows=("rows", "sum"), files=("file", "nunique")
    )
    for (source, code), row in grouped.iterrows():
        changes.append(
            {
                "title": titles.get(source, source),
                "change": FACTS[code],
                "rows": f"{row['rows']:,}",
                "files": row["files"],
            }
        )
    with_detail = log[log["detail"].fillna("").str.len() > 0]
    for (source, code), group in with_detail.groupby(["source", "code"], sort=False):
        if code == "spaces_trimmed":  # its detail only says the rows were cells
            continue
        details.append(
            {
                "title": titles.get(source, source),
                "change": FACTS[code],
                "detail": _shown_values(group),
            }
        )
    return changes, details


def _shown_values(facts: pd.DataFrame) -> str:
    """The values one kind of fact names, over its files: listed where they may be shown, else how
    many and one mask (the values themselves stay in cleaning_log.csv, in the processed folder)."""
    shown = sorted({part for text in facts["shown"] for part in _parts(text)})
    if facts["shown"].equals(facts["detail"]):
        return "; ".join(shown)
    sent = {part for text in facts["detail"] for part in _parts(text)}
    return masked(len(sent), shown[0] if shown else "")


def _parts(text: object) -> list[str]:
    """A fact's values, listed '; ' apart (see csp.domain.quality.Fact)."""
    return [part for part in str(text).split("; ") if part] if isinstance(text, str) else []


def _significance_text(row: pd.Series) -> str:
    """The status cell's text alternative: what the significance marker means, with p."""
    label = row["significance"]
    if not label:
        return ""
    p = f"p = {row['p_value']:.2g}" if not pd.isna(row["p_value"]) else ""
    if label == "within normal variation":
        return f"; within normal variation of the target ({p})"
    return f"; {label} than the target beyond normal variation ({p})"


def _significance_cell(row: pd.Series) -> str:
    if not row["significance"]:
        return "–"
    p_value = row["p_value"]
    p = "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"
    return f"{row['significance'].capitalize()} ({p})"


def _projection_text(row: pd.Series, measure: Measure) -> str:
    """Year-end projection with its 90% interval, e.g. '144 (126 to 165)'."""
    point = format_figure(row["projection"], measure)
    if pd.isna(row["projection_low"]) or pd.isna(row["projection_high"]):
        return point
    low, high = (
        format_figure(row["projection_low"], measure),
        format_figure(row["projection_high"], measure),
    )
    return f"{point} ({low} to {high})"


def _period(row: object) -> str:
    return f"{row.year} {row.quarter}".strip()


def _months_text(first: str, last: str) -> str:
    if not first:
        return "–"
    return f"{month_label(first)} to {month_label(last)}"
