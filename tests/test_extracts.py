"""Unit tests for csp.inputs.extracts and the partner source: which files a quarter needs, their
availability, and raw reading.

Everything is written by hand into tmp_path, so each test shows the exact bytes a partner might send.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from csp.domain.periods import FinancialYear
from csp.engine import clean
from csp.errors import ExtractError
from csp.inputs import extracts
from csp.inputs.extracts import ROW, ExtractFile
from csp.plan import Plan, load_plan
from csp.sources import partner

YEAR = FinancialYear.parse("2011-12")
BASELINE = FinancialYear.parse("2010-11")

TINY_PLAN = """\
plan: tiny
years: ["2011-12"]
wards: [Hardwick, Newtown]
extracts:
  notices:
    title: Dispersal notices
    file: notices.csv
    id: ref
    date: issued
    columns:
      ref: {header: Ref, type: id}
      issued: {header: Date Issued, type: date}
      ward: {header: Ward, type: ward}
  survey:
    title: Residents' survey
    file: survey.csv
    options: {layout: annual}
    id: question
    date: fieldwork_end
    columns:
      question: {header: Question, type: id}
      fieldwork_end: {header: Fieldwork End, type: date}
themes:
  - theme: T
    measures:
      - id: "1.1"
        title: Reduce notices
        direction: reduce
        target: baseline
        metric: {kind: count, sources: [notices]}
"""


@pytest.fixture(scope="module")
def stockton() -> Plan:
    return load_plan("stockton")


@pytest.fixture
def tiny(tmp_path: Path) -> Plan:
    """A plan with one quarterly and one annual extract, so every expected file is countable."""
    path = tmp_path / "tiny.yml"
    path.write_text(TINY_PLAN, encoding="utf-8")
    return load_plan(path)


def touch(path: Path, text: str = "Ref,Date Issued,Ward\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_availability(raw: Path, year: str, text: str) -> Path:
    return touch(raw / year / "availability.csv", text)


def by_period(files: list[ExtractFile]) -> dict[tuple[str, str, str], ExtractFile]:
    return {(f.source, f.year, f.quarter): f for f in files}


# expected_files ------------------------------------------------------------------------------------


def test_expected_files_covers_whole_baseline_year_and_this_year_to_the_quarter(
    tiny: Plan, tmp_path: Path
) -> None:
    """A YTD status needs every baseline quarter (for the annual total) but only this year's so far."""
    files = clean.expected_files(tiny, tmp_path / "raw", YEAR, 2)
    quarterly = [(f.year, f.quarter) for f in files if f.source == "notices"]
    assert quarterly == [
        ("2010-11", "Q1"),
        ("2010-11", "Q2"),
        ("2010-11", "Q3"),
        ("2010-11", "Q4"),
        ("2011-12", "Q1"),
        ("2011-12", "Q2"),
    ]
    q2 = by_period(files)[("notices", "2011-12", "Q2")]
    assert q2.path == tmp_path / "raw" / "2011-12" / "Q2" / "notices.csv"


def test_expected_files_annual_layout_is_one_file_per_year_in_the_year_folder(
    tiny: Plan, tmp_path: Path
) -> None:
    raw = tmp_path / "raw"
    touch(raw / "2010-11" / "survey.csv", "Question,Fieldwork End\n")
    files = [f for f in clean.expected_files(tiny, raw, YEAR, 1) if f.source == "survey"]
    assert [(f.year, f.quarter) for f in files] == [("2010-11", ""), ("2011-12", "")]
    baseline, current = files
    assert baseline.path == raw / "2010-11" / "survey.csv"
    assert (baseline.status, baseline.first_month, baseline.last_month) == (
        "read",
        "2010-04",
        "2011-03",
    )
    assert current.status == "missing"


def test_expected_files_statuses_from_files_and_availability(tiny: Plan, tmp_path: Path) -> None:
    """read, partial (data_to), missing and unpublished, from this year's and the baseline's notes."""
    raw = tmp_path / "raw"
    for year, quarter in [
        ("2010-11", "Q1"),
        ("2010-11", "Q2"),
        ("2011-12", "Q1"),
        ("2011-12", "Q2"),
    ]:
        touch(raw / year / quarter / "notices.csv")
    write_availability(
        raw,
        "2011-12",
        "source,period,note,data_to\n"
        "notices,Q2,Police sent July and August only.,2011-08\n"
        "notices,2010-11 Q4,Re-extract requested.,\n"
        "survey,2011-12,Fieldwork runs in the autumn.,\n",
    )
    write_availability(raw, "2010-11", "source,period,note\nnotices,Q3,Lost in a system move.\n")
    files = by_period(clean.expected_files(tiny, raw, YEAR, 2))

    read = files[("notices", "2011-12", "Q1")]
    assert (read.status, read.first_month, read.last_month, read.found) == (
        "read",
        "2011-04",
        "2011-06",
        True,
    )
    partial = files[("notices", "2011-12", "Q2")]
    assert (partial.status, partial.first_month, partial.last_month, partial.found) == (
        "partial",
        "2011-07",
        "2011-08",
        True,
    )
    assert partial.note == "Police sent July and August only."
    assert files[("notices", "2010-11", "Q2")].status == "read"
    baseline_q3 = files[("notices", "2010-11", "Q3")]
    assert (baseline_q3.status, baseline_q3.note) == ("unpublished", "Lost in a system move.")
    baseline_q4 = files[("notices", "2010-11", "Q4")]
    assert (baseline_q4.status, baseline_q4.note) == ("unpublished", "Re-extract requested.")
    survey = files[("survey", "2011-12", "")]
    assert (survey.status, survey.found) == ("unpublished", False)
    missing = files[("survey", "2010-11", "")]
    assert (missing.status, missing.note, missing.found) == ("missing", "", False)


def test_inventory_table_has_one_row_per_expected_file(tiny: Plan, tmp_path: Path) -> None:
    files = clean.expected_files(tiny, tmp_path / "raw", YEAR, 3)
    table = extracts.inventory_table(files)
    assert list(table.columns) == extracts.INVENTORY_COLUMNS
    assert len(table) == len(files) == 4 + 3 + 2
    assert set(table["status"]) == {"missing"}


# availability and commentary -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "year", "quarter"),
    [("Q2", "2011-12", "Q2"), ("q3", "2011-12", "Q3"), ("2011-12 Q2", "2011-12", "Q2"),
     ("2010-11 Q4", "2010-11", "Q4"), ("2010-11", "2010-11", "")],
)  # fmt: skip
def test_read_availability_periods(tmp_path: Path, period: str, year: str, quarter: str) -> None:
    write_availability(tmp_path, "2011-12", f"source,period,note\nndtms_exits,{period},Late.\n")
    [entry] = extracts.read_availability(tmp_path, YEAR)
    assert (entry.source, entry.year, entry.quarter, entry.note, entry.data_to) == (
        "ndtms_exits",
        year,
        quarter,
        "Late.",
        "",
    )


def test_read_availability_absent_file_means_everything_is_available(tmp_path: Path) -> None:
    assert extracts.read_availability(tmp_path, YEAR) == []


def test_read_availability_skips_blank_lines_and_trims(tmp_path: Path) -> None:
    write_availability(
        tmp_path,
        "2011-12",
        "\ufeffsource , period,note,data_to\r\n\r\n ndtms_exits , Q2 , Late. , 2011-08 \r\n",
    )
    [entry] = extracts.read_availability(tmp_path, YEAR)
    assert (entry.source, entry.quarter, entry.note, entry.data_to) == (
        "ndtms_exits",
        "Q2",
        "Late.",
        "2011-08",
    )


@pytest.mark.parametrize("period", ["Q5", "2011 Q2", "2011-13", "2011-12 Q2 extra"])
def test_read_availability_bad_period_names_file_row_and_column(
    tmp_path: Path, period: str
) -> None:
    path = write_availability(
        tmp_path, "2011-12", f"source,period,note\nmarac,Q1,Fine.\nmarac,{period},Late.\n"
    )
    with pytest.raises(ExtractError) as caught:
        extracts.read_availability(tmp_path, YEAR)
    error = caught.value
    assert (error.path, error.row, error.column) == (path, 3, "period")
    assert str(path) in str(error) and "row 3" in str(error)


def test_read_availability_bad_data_to_names_file_row_and_column(tmp_path: Path) -> None:
    path = write_availability(
        tmp_path, "2011-12", "source,period,note,data_to\nndtms_exits,Q2,Late.,soon\n"
    )
    with pytest.raises(ExtractError) as caught:
        extracts.read_availability(tmp_path, YEAR)
    error = caught.value
    assert (error.path, error.row, error.column) == (path, 2, "data_to")
    assert "2011-08" in error.problem  # the message shows the form expected


@pytest.mark.parametrize("data_to", ["August", "Aug 2011"])
def test_read_availability_data_to_is_a_canonical_month_or_refused(
    tmp_path: Path, data_to: str
) -> None:
    """Downstream code compares months as 'YYYY-MM' text, so anything else must be refused or
    normalised; 'August' silently became 0001-08 and left the partial file covering no month."""
    write_availability(
        tmp_path, "2011-12", f"source,period,note,data_to\nndtms_exits,Q2,Late.,{data_to}\n"
    )
    try:
        [entry] = extracts.read_availability(tmp_path, YEAR)
    except ExtractError as error:
        assert error.column == "data_to"
        return
    assert entry.data_to == "2011-08"


def test_read_commentary_normalises_quarters_and_drops_blank_rows(tmp_path: Path) -> None:
    touch(
        tmp_path / "2011-12" / "commentary.csv",
        "measure,quarter,note\r\n1.2,Q1,No consultation.\r\n,,\r\n\r\n2.2,2,Baseline to collect.\r\n"
        "3.4, q2 ,Not due.\r\n",
    )
    table = extracts.read_commentary(tmp_path, YEAR)
    assert list(table.columns) == ["measure", "quarter", "note"]
    assert table.to_dict("records") == [
        {"measure": "1.2", "quarter": "Q1", "note": "No consultation."},
        {"measure": "2.2", "quarter": "Q2", "note": "Baseline to collect."},
        {"measure": "3.4", "quarter": "Q2", "note": "Not due."},
    ]


def test_read_commentary_absent_file_is_an_empty_table(tmp_path: Path) -> None:
    table = extracts.read_commentary(tmp_path, YEAR)
    assert table.empty and list(table.columns) == ["measure", "quarter", "note"]


def test_read_commentary_bad_quarter_names_file_row_and_column(tmp_path: Path) -> None:
    path = touch(
        tmp_path / "2011-12" / "commentary.csv",
        "measure,quarter,note\n1.2,Q1,Fine.\n\n1.3,Q7,Typo.\n",
    )
    with pytest.raises(ExtractError) as caught:
        extracts.read_commentary(tmp_path, YEAR)
    assert (caught.value.path, caught.value.row, caught.value.column) == (path, 4, "quarter")


def test_read_commentary_missing_column_is_refused(tmp_path: Path) -> None:
    path = touch(tmp_path / "2011-12" / "commentary.csv", "measure,note\n1.2,Fine.\n")
    with pytest.raises(ExtractError) as caught:
        extracts.read_commentary(tmp_path, YEAR)
    assert (caught.value.path, caught.value.row, caught.value.column) == (path, 1, "quarter")


# read_extract --------------------------------------------------------------------------------------

CRIME_HEADER = (
    "Crime Reference,Date Recorded,Offence Group,Offence Subgroup,Ward,Street,"
    "Victim ID,Offender ID,Domestic Abuse"
)


def test_read_extract_csv_with_bom_crlf_and_blank_line(stockton: Plan, tmp_path: Path) -> None:
    """The blank line stays as an all-empty row, so every later row keeps its true file line."""
    path = tmp_path / "police_crime.csv"
    lines = [
        CRIME_HEADER,
        "CR/1,05/04/2011,Criminal damage,Arson,Hardwick,High Street,V1,,N",
        "",
        "CR/2,06/04/2011,Burglary,Burglary, Newtown ,Mill Lane,V2,P1,N",
        "CR/3,07/04/2011,Theft,Theft,Yarm,Station Road,,,N",
    ]
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    table = partner.read_extract(path, stockton.extracts["police_crime"])
    assert table["crime_ref"].tolist() == ["CR/1", "", "CR/2", "CR/3"]
    assert table[ROW].tolist() == [2, 3, 4, 5]
    blank = table.drop(columns=[ROW]).iloc[1]
    assert (blank == "").all()
    assert table.loc[2, "ward"] == " Newtown "  # reading changes nothing; cleaning trims
    assert table.loc[3, "date_recorded"] == "07/04/2011"
    assert not any("\r" in str(v) for v in table["domestic_abuse"])


def test_read_extract_renames_headers_to_plan_names(stockton: Plan, tmp_path: Path) -> None:
    path = tmp_path / "section27.csv"
    path.write_text(
        "Location,Notice Ref,Extra Column,Date Issued,Ward\nHigh St,S27-1,x,05/04/2011,Hardwick\n",
        encoding="utf-8",
    )
    table = partner.read_extract(path, stockton.extracts["section27"])
    assert set(table.columns) == {"notice_ref", "issued_date", "ward", "location", ROW}
    assert table.iloc[0][["notice_ref", "location"]].tolist() == ["S27-1", "High St"]


def test_read_extract_missing_required_column_names_file_header_and_row_1(
    stockton: Plan, tmp_path: Path
) -> None:
    path = tmp_path / "police_crime.csv"
    path.write_text(
        CRIME_HEADER.replace("Offence Group,", "") + "\nCR/1,05/04/2011,Arson,Yarm,X,V,,N\n",
        encoding="utf-8",
    )
    with pytest.raises(ExtractError) as caught:
        partner.read_extract(path, stockton.extracts["police_crime"])
    error = caught.value
    assert (error.path, error.row, error.column) == (path, 1, "Offence Group")
    message = str(error)
    assert str(path) in message and "row 1" in message and "'Offence Group'" in message


def test_a_file_without_its_header_row_is_refused_without_printing_its_first_record(
    stockton: Plan, tmp_path: Path
) -> None:
    path = tmp_path / "section27.csv"
    path.write_text(
        "S27-1,05/04/2011,Jane Ramsbottom,14 Acacia Avenue\n"
        "Notice Ref,Date Issued,Ward,Location\n",  # the header, pasted below by hand
        encoding="utf-8",
    )
    with pytest.raises(ExtractError) as caught:
        partner.read_extract(path, stockton.extracts["section27"])
    message = str(caught.value)
    assert "missing required column 'Notice Ref'" in message
    assert "(found: 'S… (5 chars)', '0… (10 chars)', 'J… (15 chars)', '1… (16 chars)')" in message
    assert "Ramsbottom" not in message and "S27-1" not in message


def test_read_extract_optional_column_absent_is_filled_with_empty_text(
    stockton: Plan, tmp_path: Path
) -> None:
    path = tmp_path / "police_crime.csv"
    header = CRIME_HEADER.replace("Victim ID,Offender ID,", "")
    path.write_text(header + "\nCR/1,05/04/2011,Theft,Theft,Yarm,High St,N\n", encoding="utf-8")
    table = partner.read_extract(path, stockton.extracts["police_crime"])
    assert table["victim_id"].tolist() == [""]
    assert table["offender_id"].tolist() == [""]
    assert table["crime_ref"].tolist() == ["CR/1"]


def test_read_extract_windows_1252_file_is_read(stockton: Plan, tmp_path: Path) -> None:
    """Spreadsheets saved as 'CSV' on Windows are cp1252, not UTF-8."""
    path = tmp_path / "section27.csv"
    path.write_bytes(
        "Notice Ref,Date Issued,Ward,Location\nS1,05/04/2011,Yarm,Café Row\n".encode("cp1252")
    )
    table = partner.read_extract(path, stockton.extracts["section27"])
    assert table["location"].tolist() == ["Café Row"]


def test_read_extract_empty_file_is_refused(stockton: Plan, tmp_path: Path) -> None:
    path = tmp_path / "section27.csv"
    path.write_bytes(b"")
    with pytest.raises(ExtractError) as caught:
        partner.read_extract(path, stockton.extracts["section27"])
    assert caught.value.path == path


def test_read_extract_xlsx_keeps_dates_and_reads_numbers_as_text(
    stockton: Plan, tmp_path: Path
) -> None:
    path = tmp_path / "rsl_asb.xlsx"
    book = Workbook()
    sheet = book.active
    sheet.append(["Reference", "Date Reported", "Landlord", "Ward", "Complainant ID"])
    sheet.append(["RSL1", dt.datetime(2011, 4, 5), "Tristar Homes", "Hardwick", 1234])
    sheet.append([None] * 5)
    sheet.append(["RSL2", dt.datetime(2011, 5, 6), "Erimus Housing", "Newtown", None])
    book.save(path)
    table = partner.read_extract(path, stockton.extracts["rsl_asb"])
    assert table["call_ref"].tolist() == ["RSL1", "", "RSL2"]
    assert table[ROW].tolist() == [2, 3, 4]
    dates = table["call_date"].tolist()
    assert isinstance(dates[0], dt.datetime) and dates[0] == dt.datetime(2011, 4, 5)
    assert dates[2] == dt.datetime(2011, 5, 6)
    assert table["caller_id"].tolist() == ["1234", "", ""]


def test_read_extract_damaged_workbook_is_refused(stockton: Plan, tmp_path: Path) -> None:
    path = tmp_path / "rsl_asb.xlsx"
    path.write_bytes(b"not a zip file")
    with pytest.raises(ExtractError) as caught:
        partner.read_extract(path, stockton.extracts["rsl_asb"])
    assert caught.value.path == path


# coverage ------------------------------------------------------------------------------------------


def test_coverage_counts_read_files_and_partial_ones_to_their_last_month(
    tiny: Plan, tmp_path: Path
) -> None:
    raw = tmp_path / "raw"
    for quarter in ("Q1", "Q2", "Q3", "Q4"):
        touch(raw / "2010-11" / quarter / "notices.csv")
    touch(raw / "2011-12" / "Q1" / "notices.csv")
    touch(raw / "2011-12" / "Q2" / "notices.csv")
    write_availability(raw, "2011-12", "source,period,note,data_to\nnotices,Q2,Late.,2011-08\n")
    inventory = extracts.inventory_table(clean.expected_files(tiny, raw, YEAR, 3))
    covered = extracts.coverage(inventory)
    expected = {str(m) for m in BASELINE.months} | {
        "2011-04",
        "2011-05",
        "2011-06",
        "2011-07",
        "2011-08",
    }
    assert covered["notices"] == expected
    assert covered["survey"] == set()


def test_coverage_of_hand_written_inventory(tmp_path: Path) -> None:
    """Only read and partial rows count; unpublished and missing files cover nothing."""
    inventory = pd.DataFrame(
        [
            {"source": "a", "status": "read", "first_month": "2011-04", "last_month": "2011-06"},
            {"source": "a", "status": "partial", "first_month": "2011-07", "last_month": "2011-07"},
            {"source": "b", "status": "unpublished", "first_month": "", "last_month": ""},
            {"source": "c", "status": "missing", "first_month": "", "last_month": ""},
            {"source": "d", "status": "read", "first_month": "2010-04", "last_month": "2011-03"},
        ]
    )
    covered = extracts.coverage(inventory)
    assert covered["a"] == {"2011-04", "2011-05", "2011-06", "2011-07"}
    assert covered["b"] == set() and covered["c"] == set()
    assert len(covered["d"]) == 12 and {"2010-04", "2010-12", "2011-03"} <= covered["d"]
