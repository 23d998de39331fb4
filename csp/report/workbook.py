"""statuses.xlsx and statuses.csv beside each dashboard: the numbers for readers who want them in a
spreadsheet.

Formatted for reading, not only for machines: header row frozen, columns sized to their content,
each status cell worded ("On track") and coloured, so the colour is never the only signal.

Both are safe to open: a note that starts like a formula (`=HYPERLINK(...)`) is text in the xlsx, and
in the CSV a cell that starts like a formula gets a leading apostrophe (`csp.spreadsheet`), while a
plain number stays a number.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from csp.domain.statuses import STATUS_LABELS
from csp.spreadsheet import neutralised

STATUS_FILLS = {"on_track": "CCE2D8", "amber": "FFF2CC", "off_track": "F6D7D2", "no_data": "E5E5E5"}
COLUMNS = {
    "measure_id": "No",
    "theme": "Theme",
    "measure": "Performance measure",
    "quarter": "Quarter",
    "status": "Status",
    "actual": "Year to date",
    "baseline": "Baseline",
    "target": "Target",
    "unit": "Unit",
    "months": "Months",
    "projection": "Year-end projection",
    "projection_low": "Projection low (90%)",
    "projection_high": "Projection high (90%)",
    "p_value": "p-value",
    "significance": "Against the target",
    "spc_summary": "Control chart",
    "reason": "Reason for no data",
    "comment": "Comment",
}
WIDEST = 60


def write_statuses_csv(statuses_csv: Path, path: Path) -> Path:
    """The processed statuses.csv for readers: cell for cell, with formula-like cells neutralised.
    The processed file stays exact, for the steps and the notebooks that read it."""
    table = pd.read_csv(statuses_csv, dtype=str, keep_default_na=False)
    table.map(neutralised).to_csv(path, index=False, lineterminator="\n")
    return path


def write_statuses_xlsx(statuses: pd.DataFrame, path: Path, title: str) -> Path:
    """One sheet, one row per measure per quarter, as statuses.csv but worded and formatted."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Statuses"
    columns = [c for c in COLUMNS if c in statuses.columns]
    sheet.append([COLUMNS[c] for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in statuses[columns].itertuples(index=False):
        values = []
        for column, value in zip(columns, row, strict=True):
            if column == "status":
                value = STATUS_LABELS.get(value, value)
            if isinstance(value, float) and pd.isna(value):
                value = None
            values.append(value)
        sheet.append(values)
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if cell.data_type == "f":  # text that starts with '=' is a note, never a formula
                cell.data_type = "s"
    status_column = columns.index("status") + 1
    for (status,), cells in zip(
        statuses[["status"]].itertuples(index=False), sheet.iter_rows(min_row=2), strict=True
    ):
        cell = cells[status_column - 1]
        cell.fill = PatternFill("solid", fgColor=STATUS_FILLS.get(status, "FFFFFF"))
        cell.font = Font(bold=True)
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        longest = max(
            [len(str(COLUMNS[column]))] + [len(str(c.value or "")) for c in sheet[letter][1:]]
        )
        sheet.column_dimensions[letter].width = min(WIDEST, max(8, longest + 2))
        if column in (
            "actual",
            "baseline",
            "target",
            "projection",
            "projection_low",
            "projection_high",
        ):
            for cell in sheet[letter][1:]:
                cell.number_format = "#,##0.0"
        if column == "p_value":
            for cell in sheet[letter][1:]:
                cell.number_format = "0.000"
        if column in ("comment", "measure", "spc_summary", "reason"):
            for cell in sheet[letter][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    book.properties.title = title
    book.save(path)
    return path
