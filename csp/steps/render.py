"""Step 3: the processed folder -> the dashboard's HTML sections, in reading order."""

from __future__ import annotations

from csp.plan.quarter import QuarterRun
from csp.report.dashboard import Dashboard


def run(quarter_run: QuarterRun) -> list[str]:
    """Header, measures table, a section per theme, data quality and provenance."""
    dashboard = Dashboard.from_run(quarter_run)
    return [
        dashboard.header(),
        dashboard.status_table(),
        *(dashboard.theme_section(theme) for theme in quarter_run.plan.themes),
        dashboard.data_quality(),
        dashboard.provenance(),
    ]
