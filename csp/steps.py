"""The three steps of a quarter's run, each one call over a `QuarterRun`: clean, measure, render.

The notebooks, `csp run`, the benchmarks and the tests all call these, so there is one wiring.
Each step reads the previous step's files from the run's processed folder and writes its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from csp import comments, extracts, metrics, status
from csp.clean import Cleaned, clean_all
from csp.report import Dashboard
from csp.runs import QuarterRun


def clean(run: QuarterRun) -> Cleaned:
    """Raw extracts -> typed tables, inventory, cleaning log and the analyst's commentary."""
    cleaned = clean_all(run.plan, run.raw_dir, run.year, run.quarter)
    run.folder.write_cleaned(cleaned, extracts.read_commentary(run.raw_dir, run.year))
    return cleaned


@dataclass(frozen=True)
class Measured:
    """What the measure step decided, as written to the processed folder."""

    values: pd.DataFrame
    results: list[status.QuarterResult]
    statuses: pd.DataFrame
    breakdowns: pd.DataFrame
    control_charts: pd.DataFrame


def measure(run: QuarterRun) -> Measured:
    """Cleaned tables -> monthly measure values -> judged statuses with their comments."""
    folder = run.folder
    inventory = folder.read_inventory()
    values = metrics.measure_values(
        run.plan, folder.read_tables(), extracts.coverage(inventory), run.year
    )
    results = status.judge(run.plan, values, inventory, run.year, run.quarter)
    statuses = status.results_table(results, run.plan, run.year)
    statuses["comment"] = comments.write_comments(
        results, folder.read_commentary(), inventory, str(run.year)
    )
    measured = Measured(
        values=values,
        results=results,
        statuses=statuses,
        breakdowns=status.breakdown_table(results),
        control_charts=status.chart_table(results, run.quarter),
    )
    folder.write_measures(
        measured.values, measured.statuses, measured.breakdowns, measured.control_charts
    )
    return measured


def render(run: QuarterRun) -> list[str]:
    """The dashboard's HTML sections, in reading order, from the processed folder."""
    dashboard = Dashboard.from_run(run)
    return [
        dashboard.header(),
        dashboard.status_table(),
        *(dashboard.theme_section(theme) for theme in run.plan.themes),
        dashboard.data_quality(),
        dashboard.provenance(),
    ]
