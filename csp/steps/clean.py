"""Step 1: raw extracts -> typed tables, inventory, cleaning log and the analyst's commentary."""

from __future__ import annotations

from csp.engine.clean import Cleaned, clean_all
from csp.inputs import extracts
from csp.plan.quarter import QuarterRun


def run(quarter_run: QuarterRun) -> Cleaned:
    """Clean every extract the quarter needs and write the processed folder's first files."""
    cleaned = clean_all(
        quarter_run.plan, quarter_run.raw_dir, quarter_run.year, quarter_run.quarter
    )
    measures = [measure.id for measure in quarter_run.plan.measures]
    commentary = extracts.read_commentary(quarter_run.raw_dir, quarter_run.year, measures)
    quarter_run.folder.write_cleaned(cleaned, commentary)
    return cleaned
