"""Step 2: cleaned tables -> monthly measure values -> judged statuses with their comments."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from csp.engine import comments, metrics, status, tables
from csp.engine.completeness import Doubts
from csp.engine.results import QuarterResult
from csp.inputs import extracts
from csp.plan.quarter import QuarterRun


@dataclass(frozen=True)
class Measured:
    """What the measure step decided, as written to the processed folder."""

    values: pd.DataFrame
    results: list[QuarterResult]
    statuses: pd.DataFrame
    breakdowns: pd.DataFrame
    control_charts: pd.DataFrame


def run(quarter_run: QuarterRun) -> Measured:
    """Measure, judge and comment every measure; write the processed folder's second files."""
    run, folder = quarter_run, quarter_run.folder
    inventory = folder.read_inventory()
    values = metrics.measure_values(
        run.plan, folder.read_tables(), extracts.coverage(inventory), run.year
    )
    doubts = Doubts(folder.read_completeness())
    results = status.judge(run.plan, values, inventory, run.year, run.quarter, doubts)
    statuses = tables.results_table(results, run.plan, run.year)
    statuses["comment"] = comments.write_comments(
        results, folder.read_commentary(), inventory, str(run.year)
    )
    measured = Measured(
        values=values,
        results=results,
        statuses=statuses,
        breakdowns=tables.breakdown_table(results),
        control_charts=tables.chart_table(results, run.quarter),
    )
    folder.write_measures(
        measured.values, measured.statuses, measured.breakdowns, measured.control_charts
    )
    return measured
