"""Unit tests for csp.report.workbook: statuses.xlsx is read by board members in Excel, so it is checked as
they would see it: headings that stay put and stand out, columns wide enough to read, statuses in
words as well as colour, blanks where there is no figure, and figures Excel can add up."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet
from plan_lookup import measure_of

from csp.domain.periods import FinancialYear
from csp.domain.statuses import NO_DATA, OFF_TRACK, ON_TRACK
from csp.engine.results import QuarterResult
from csp.engine.tables import results_table
from csp.kinds import Comparison
from csp.plan import Plan, load_plan
from csp.report import workbook

YEAR = FinancialYear.parse("2011-12")
TITLE = "Safer Stockton Partnership: Community Safety Plan dashboard 2011/12 Q2"
EXCEL_DEFAULT_WIDTH = 8.43
LONG_COMMENT = (
    "There have been reductions against the baseline in four out of the five top repeat streets, "
    "with the exception of High Street in Stockton Town Centre, where damage to shop fronts rose."
)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan("stockton")


@pytest.fixture(scope="module")
def statuses(plan: Plan) -> pd.DataFrame:
    """Three measures judged at Q2: on track, off track, and no data; as 02_measures writes them."""
    results = [
        QuarterResult(
            measure=measure_of(plan, "5.1"),
            quarter=2,
            status=ON_TRACK,
            months=("Apr", "Sep"),
            ytd=Comparison(actual=1234.0, baseline=1321.0),
            target=1254.95,
            projection=2468.0,
            p_value=0.0123,
        ),
        QuarterResult(
            measure=measure_of(plan, "5.2"),
            quarter=2,
            status=OFF_TRACK,
            months=("Apr", "Sep"),
            ytd=Comparison(actual=52.0, baseline=41.0),
            target=38.95,
            projection=104.0,
        ),
        QuarterResult(
            measure=measure_of(plan, "4.3"),
            quarter=2,
            status=NO_DATA,
            reason="NDTMS figures for Q2 are not yet published",
        ),
    ]
    table = results_table(results, plan, YEAR)
    table["comment"] = [
        "Projection for year is 2468; a reduction of -174 (6.6%)",
        LONG_COMMENT,
        "",
    ]
    return table


@pytest.fixture(scope="module")
def sheet(statuses: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Worksheet:
    path = tmp_path_factory.mktemp("workbook") / "statuses.xlsx"
    written = workbook.write_statuses_xlsx(statuses, path, TITLE)
    return load_workbook(written).active


def column_of(sheet: Worksheet, column: str) -> list[Cell]:
    """The cells under the heading of a statuses column, found by its heading as a reader sees it."""
    heading = workbook.COLUMNS[column]
    for cell in sheet[1]:
        if cell.value == heading:
            return [row[cell.column - 1] for row in sheet.iter_rows(min_row=2)]
    raise AssertionError(f"no column headed {heading!r}")


def test_one_row_per_measure_under_a_heading_row(sheet: Worksheet, statuses: pd.DataFrame) -> None:
    assert sheet.max_row == len(statuses) + 1
    assert [c.value for c in column_of(sheet, "measure_id")] == ["5.1", "5.2", "4.3"]


def test_every_status_column_a_reader_needs_is_there(sheet: Worksheet) -> None:
    headings = [cell.value for cell in sheet[1]]
    for column in ("measure_id", "measure", "status", "actual", "target", "reason", "comment"):
        assert workbook.COLUMNS[column] in headings
    assert all(isinstance(h, str) and h for h in headings)
    assert not any("_" in h for h in headings), "headings are words, not field names"


def test_header_row_is_frozen_and_filtered(sheet: Worksheet) -> None:
    """Scrolling down a long plan keeps the headings in view; each column can be filtered."""
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == sheet.dimensions


def test_header_is_bold(sheet: Worksheet) -> None:
    assert all(cell.font.bold for cell in sheet[1])


def test_statuses_are_worded(sheet: Worksheet) -> None:
    """Colour is never the only signal: the cell says the status."""
    assert [c.value for c in column_of(sheet, "status")] == ["On track", "Off track", "No data"]


def test_each_status_has_its_own_fill(sheet: Worksheet) -> None:
    cells = column_of(sheet, "status")
    assert all(cell.fill.fill_type == "solid" for cell in cells)
    colours = [cell.fill.fgColor.rgb for cell in cells]
    assert len(set(colours)) == 3, colours
    assert all(cell.font.bold for cell in cells)


def test_same_status_same_colour(statuses: pd.DataFrame, tmp_path: Path) -> None:
    """A reader learns the colours once; two off-track rows must look alike."""
    doubled = pd.concat([statuses, statuses], ignore_index=True)
    sheet = load_workbook(
        workbook.write_statuses_xlsx(doubled, tmp_path / "statuses.xlsx", TITLE)
    ).active
    colours = [cell.fill.fgColor.rgb for cell in column_of(sheet, "status")]
    assert colours[:3] == colours[3:]


def test_missing_figures_are_empty_cells(sheet: Worksheet) -> None:
    """A no-data measure has no figure; 'nan' in a board paper would look like an error."""
    no_data_row = 2
    for column in ("actual", "target", "baseline", "projection", "p_value"):
        assert column_of(sheet, column)[no_data_row].value is None, column
    for row in sheet.iter_rows():
        for cell in row:
            assert str(cell.value).lower() != "nan", cell.coordinate


def test_figures_are_numbers_excel_can_sum(sheet: Worksheet) -> None:
    actual = column_of(sheet, "actual")
    assert [c.value for c in actual[:2]] == [1234.0, 52.0]
    assert all(isinstance(c.value, int | float) for c in actual[:2])
    assert isinstance(column_of(sheet, "target")[0].value, float)
    assert column_of(sheet, "p_value")[0].value == pytest.approx(0.0123)


def test_figures_are_formatted_for_reading(sheet: Worksheet) -> None:
    assert column_of(sheet, "actual")[0].number_format == "#,##0.0"
    assert column_of(sheet, "p_value")[0].number_format == "0.000"


def test_measure_ids_stay_text(plan: Plan, tmp_path: Path) -> None:
    """Excel would show 1.10 as 1.1 if it were written as a number."""
    result = QuarterResult(measure=measure_of(plan, "5.1"), quarter=2, status=NO_DATA, reason="r")
    table = results_table([result], plan, YEAR).assign(measure_id="1.10", comment="")
    sheet = load_workbook(workbook.write_statuses_xlsx(table, tmp_path / "s.xlsx", TITLE)).active
    assert column_of(sheet, "measure_id")[0].value == "1.10"


def test_columns_are_sized_to_their_content_up_to_a_cap(sheet: Worksheet) -> None:
    for heading in sheet[1]:
        letter = heading.column_letter
        width = sheet.column_dimensions[letter].width
        longest = max(len(str(cell.value or "")) for cell in sheet[letter])
        assert width <= workbook.WIDEST, (heading.value, width)
        assert width >= min(longest, workbook.WIDEST), (heading.value, width, longest)


def test_text_columns_are_wider_than_the_default_but_capped(sheet: Worksheet) -> None:
    comment = sheet.column_dimensions[column_of(sheet, "comment")[0].column_letter].width
    title = sheet.column_dimensions[column_of(sheet, "measure")[0].column_letter].width
    assert EXCEL_DEFAULT_WIDTH < title <= workbook.WIDEST
    assert EXCEL_DEFAULT_WIDTH < comment <= workbook.WIDEST
    assert len(LONG_COMMENT) > comment, "a long comment is capped, not a metres-wide column"


def test_long_text_wraps_within_its_column(sheet: Worksheet) -> None:
    for column in ("comment", "measure", "reason"):
        assert all(cell.alignment.wrap_text for cell in column_of(sheet, column)), column
    assert column_of(sheet, "comment")[1].value == LONG_COMMENT


def test_the_workbook_carries_the_dashboard_title(statuses: pd.DataFrame, tmp_path: Path) -> None:
    path = workbook.write_statuses_xlsx(statuses, tmp_path / "statuses.xlsx", TITLE)
    book = load_workbook(path)
    assert book.properties.title == TITLE
    assert book.active.title == "Statuses"


def test_a_comment_starting_with_equals_stays_text(statuses: pd.DataFrame, tmp_path: Path) -> None:
    """Comments carry the analyst's typed notes; whatever they type must reach the reader as typed."""
    note = "=5% more than Q1; see the ward breakdown"
    table = statuses.assign(comment=[note, "", ""])
    sheet = load_workbook(workbook.write_statuses_xlsx(table, tmp_path / "s.xlsx", TITLE)).active
    cell = column_of(sheet, "comment")[0]
    assert cell.data_type == "s"
    assert cell.value == note


# --- statuses.csv ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ('=HYPERLINK("http://example.com","Click")', '\'=HYPERLINK("http://example.com","Click")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("-77 (34.8%) fewer crimes", "'-77 (34.8%) fewer crimes"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-inf", "'-inf"),
        ("-3.5", "-3.5"),
        ("-174", "-174"),
        ("+5", "+5"),
        ("-1e-05", "-1e-05"),
        ("0.0123", "0.0123"),
        ("Reduced by 5%", "Reduced by 5%"),
        ("", ""),
    ],
)
def test_csv_cells_that_start_like_a_formula_are_neutralised(cell: str, shown: str) -> None:
    """OWASP's advice for CSV files, for text: a plain number, negative or not, stays a number."""
    assert workbook.neutralised(cell) == shown


def test_statuses_csv_for_readers_changes_formula_cells_only(
    statuses: pd.DataFrame, tmp_path: Path
) -> None:
    notes = ['=HYPERLINK("http://example.com","Click here"), a note', 'line one\nline two, "q"']
    notes.append("A whole document pasted in. " * 20_000)  # over the csv module's field limit
    table = statuses.assign(comment=notes, baseline=[-3.5, 41.0, float("nan")])
    exact = tmp_path / "processed.csv"
    table.to_csv(exact, index=False)
    written = workbook.write_statuses_csv(exact, tmp_path / "statuses.csv")
    before, after = exact.read_text(encoding="utf-8"), written.read_text(encoding="utf-8")
    assert after == before.replace('"=HYPERLINK', "\"'=HYPERLINK", 1)  # the rest byte for byte
    read = pd.read_csv(written, dtype={"measure_id": str})
    assert read["comment"][0] == "'" + notes[0]
    assert read["comment"][1] == notes[1]
    assert read["baseline"][0] == -3.5 and read["actual"].dtype.kind == "f"
