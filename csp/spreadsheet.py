"""What a spreadsheet would do with a CSV cell: run it as a formula if it starts like one.

Every CSV csp writes for people to open (the readers' statuses.csv, reports/runs.csv) passes its
text through `neutralised`: a cell starting with `=`, `+`, `-`, `@`, tab or carriage return gets a
leading apostrophe, as OWASP advises against CSV injection. A plain number (`-3.5`, `-1e-05`) is left
as it is: it computes nothing, and a figure must stay a figure. A leaf with no imports but `re`, so
the run log can use it before the engine is loaded.
"""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def neutralised(cell: str) -> str:
    """A CSV cell a spreadsheet would run as a formula, made text by a leading apostrophe."""
    if cell.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell
