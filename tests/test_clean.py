"""Unit tests for csp.engine.clean and csp.inputs.columns: raw rows become typed tables, and every
change is a fact.

Small raw frames are made by hand in the shape read_extract returns (every cell text, `_row` the file
line), so each test shows the mess it feeds in; clean_all is checked once on a copy of the sample.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from csp.domain.periods import FinancialYear
from csp.domain.quality import FACT_COLUMNS, FACTS, Facts
from csp.engine import clean
from csp.errors import ExtractError
from csp.inputs import cells, columns, extracts
from csp.inputs.extracts import ROW, ExtractFile
from csp.plan import ExtractSpec, Plan, load_plan
from csp.sources import partner

YEAR = FinancialYear.parse("2011-12")


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan("stockton")


@pytest.fixture(scope="module")
def wards(plan: Plan) -> dict[str, str]:
    return cells.ward_lookup(plan.wards)


def raw_frame(spec: ExtractSpec, rows: list[dict[str, object]], lines: list[int] | None = None):
    """Rows as read_extract returns them: every plan column present (absent cells ''), plus `_row`."""
    table = pd.DataFrame(
        [{c: row.get(c, "") for c in spec.columns} for row in rows], columns=list(spec.columns)
    )
    table[ROW] = lines if lines is not None else list(range(2, len(rows) + 2))
    return table


def extract_file(
    spec: ExtractSpec, tmp_path: Path, first: str = "2011-04", last: str = "2011-06"
) -> ExtractFile:
    path = tmp_path / "2011-12" / "Q1" / spec.file
    return ExtractFile(spec.name, spec.title, "2011-12", "Q1", path, "read", "", first, last)


def log_rows(log: Facts, change: str) -> list[dict[str, object]]:
    return [e.as_row() for e in log.entries if e.change == change]


def notice(ref: str, date: str = "05/04/2011", ward: str = "Hardwick", location: str = "High St"):
    return {"notice_ref": ref, "issued_date": date, "ward": ward, "location": location}


# wards ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "ward"),
    [
        ("Mandale & Victoria", "Mandale and Victoria"),
        ("MANDALE AND VICTORIA", "Mandale and Victoria"),
        ("STOCKTON TOWN CENTRE", "Stockton Town Centre"),
        ("Stockton Town  Centre", "Stockton Town Centre"),
        ("parkfield and oxbridge", "Parkfield and Oxbridge"),
        ("Bishopsgarth & Elm Tree", "Bishopsgarth and Elm Tree"),
        ("Ingleby Barwick East ", "Ingleby Barwick East"),
        ("Norton-North", "Norton North"),
    ],
)
def test_ward_spellings_match_the_plan_ward(
    wards: dict[str, str], spelling: str, ward: str
) -> None:
    assert wards.get(cells.ward_key(spelling)) == ward


@pytest.mark.parametrize("name", ["Not Known", "Stockton", "Mandale", "Town Centre", ""])
def test_other_names_match_no_ward(wards: dict[str, str], name: str) -> None:
    assert cells.ward_key(name) not in wards


# clean_extract: tidying ----------------------------------------------------------------------------


def test_blank_rows_skipped_spaces_trimmed_duplicates_dropped_after_trimming(
    plan: Plan, wards: dict[str, str], tmp_path: Path
) -> None:
    spec = plan.extracts["section27"]
    raw = raw_frame(
        spec,
        [
            notice("S1"),
            {},  # a blank line in the file
            notice(" S2", location="Mill Lane  "),
            notice("S1 ", location=" High St"),  # the same record as S1 once trimmed
            {"notice_ref": "   ", "issued_date": " ", "ward": "", "location": ""},
            notice("S3", date="30/06/2011", ward="Newtown"),
        ],
    )
    log = Facts()
    table = columns.clean_extract(raw, spec, [extract_file(spec, tmp_path)], wards, log)

    assert table["notice_ref"].tolist() == ["S1", "S2", "S3"]
    assert table["location"].tolist() == ["High St", "Mill Lane", "High St"]
    assert table[ROW].tolist() == [2, 4, 7]  # the file lines the kept rows came from
    assert [e["rows"] for e in log_rows(log, "blank lines skipped")] == [2]
    assert [e["rows"] for e in log_rows(log, "exact duplicate rows dropped")] == [1]
    [trimmed] = log_rows(log, "stray spaces trimmed")
    assert trimmed["rows"] == 4 and trimmed["detail"] == "cells"
    assert set(table["_source"]) == {"section27"}
    assert set(table["_file"]) == {extracts.display_path(extract_file(spec, tmp_path).path)}


def test_ward_spellings_matched_unknown_kept_as_na_and_logged(
    plan: Plan, wards: dict[str, str], tmp_path: Path
) -> None:
    spec = plan.extracts["section27"]
    raw = raw_frame(
        spec,
        [
            notice("S1", ward="Mandale & Victoria"),
            notice("S2", ward="STOCKTON TOWN CENTRE"),
            notice("S3", ward="Stockton Town  Centre"),
            notice("S4", ward="Not Known"),
            notice("S5", ward="Hardwick"),
        ],
    )
    log = Facts()
    table = columns.clean_extract(raw, spec, [extract_file(spec, tmp_path)], wards, log)

    assert len(table) == 5  # nothing is dropped for its ward: borough totals still count it
    assert table["ward"].tolist()[:3] == ["Mandale and Victoria", *["Stockton Town Centre"] * 2]
    assert table["ward"].tolist()[4] == "Hardwick"
    assert table["ward"].isna().tolist() == [False, False, False, True, False]
    [matched] = log_rows(log, "ward spellings matched to the plan's wards")
    assert matched["rows"] == 2  # the double space went with the stray spaces, before matching
    assert "Mandale & Victoria -> Mandale and Victoria" in str(matched["detail"])
    assert "STOCKTON TOWN CENTRE -> Stockton Town Centre" in str(matched["detail"])
    assert "'M… (18 chars)' -> Mandale and Victoria" in str(matched["shown"])
    assert "Mandale & Victoria" not in str(matched["shown"])
    [unknown] = log_rows(log, "wards not recognised (kept for borough totals, in no ward)")
    assert (unknown["rows"], unknown["detail"]) == (1, "Not Known")
    assert unknown["shown"] == "'N… (9 chars)'"  # the report's version: a mask
    assert log_rows(log, "rows with no ward (kept for borough totals)") == []


def test_values_of_columns_the_plan_shows_are_shown_as_they_are(
    plan: Plan, wards: dict[str, str], tmp_path: Path
) -> None:
    spec = replace(plan.extracts["section27"], show_values=frozenset({"ward", "issued_date"}))
    raw = raw_frame(spec, [notice("S1", ward="Not Known"), notice("S2", ward="MANDALE & victoria")])
    log = Facts()
    columns.clean_extract(raw, spec, [extract_file(spec, tmp_path)], wards, log)
    [unknown] = log_rows(log, "wards not recognised (kept for borough totals, in no ward)")
    assert unknown["shown"] == unknown["detail"] == "Not Known"
    [matched] = log_rows(log, "ward spellings matched to the plan's wards")
    assert matched["shown"] == matched["detail"] == "MANDALE & victoria -> Mandale and Victoria"
    bad = raw_frame(spec, [notice("S3", date="2011-04-05")])
    with pytest.raises(ExtractError, match="'2011-04-05' is not a date"):
        columns.clean_extract(bad, spec, [extract_file(spec, tmp_path)], wards, Facts())


def test_optional_ward_left_empty_is_kept_and_logged(
    plan: Plan, wards: dict[str, str], tmp_path: Path
) -> None:
    base = plan.extracts["section27"]
    optional = {**base.columns, "ward": replace(base.columns["ward"], required=False)}
    spec = replace(base, columns=optional)
    raw = raw_frame(spec, [notice("S1", ward=""), notice("S2", ward=" "), notice("S3")])
    log = Facts()
    table = columns.clean_extract(raw, spec, [extract_file(spec, tmp_path)], wards, log)
    assert table["ward"].isna().tolist() == [True, True, False]
    [no_ward] = log_rows(log, "rows with no ward (kept for borough totals)")
    assert no_ward["rows"] == 2


def test_required_ward_left_empty_is_refused(
    plan: Plan, wards: dict[str, str], tmp_path: Path
) -> None:
    """A plan marks a ward column required when every record must be placed in a ward."""
    spec = plan.extracts["section27"]
    raw = raw_frame(spec, [notice("S1"), notice("S2", ward="")])
    with pytest.raises(ExtractError) as caught:
        columns.clean_extract(raw, spec, [extract_file(spec, tmp_path)], wards, Facts())
    assert (caught.value.row, caught.value.column) == (3, "Ward")


def test_log_table_has_one_line_per_change(
    plan: Plan, wards: dict[str, str], tmp_path: Path
) -> None:
    spec = plan.extracts["section27"]
    log = Facts()
    columns.clean_extract(
        raw_frame(spec, [notice("S1"), notice("S1"), {}]),
        spec,
        [extract_file(spec, tmp_path)],
        wards,
        log,
    )
    table = log.table()
    assert list(table.columns) == FACT_COLUMNS
    assert table["change"].tolist() == ["blank lines skipped", "exact duplicate rows dropped"]
    assert table["rows"].tolist() == [1, 1]  # changes that touched no row are not logged


# clean_extract: types ------------------------------------------------------------------------------


def test_dates_are_read_day_first(plan: Plan, wards: dict[str, str], tmp_path: Path) -> None:
    spec = plan.extracts["section27"]
    raw = raw_frame(spec, [notice("S1", "05/04/2011"), notice("S2", "30/06/2011")])
    table = columns.clean_extract(raw, spec, [extract_file(spec, tmp_path)], wards, Facts())
    assert table["issued_date"].tolist() == [pd.Timestamp(2011, 4, 5), pd.Timestamp(2011, 6, 30)]
    assert table["_month"].tolist() == ["2011-04", "2011-06"]
    assert (table["_date"] == table["issued_date"]).all()


def test_excel_dates_are_taken_as_they_are(
    plan: Plan, wards: dict[str, str], tmp_path: Path
) -> None:
    spec = plan.extracts["rsl_asb"]
    raw = raw_frame(
        spec,
        [
            {"call_ref": "R1", "call_date": dt.datetime(2011, 4, 5), "ward": "Yarm"},
            {"call_ref": "R2", "call_date": "06/05/2011", "ward": "Yarm"},  # typed in as text
        ],
    )
    table = columns.clean_extract(raw, spec, [extract_file(spec, tmp_path)], wards, Facts())
    assert table["call_date"].tolist() == [pd.Timestamp(2011, 4, 5), pd.Timestamp(2011, 5, 6)]


def test_unreadable_date_names_file_original_line_and_header(
    plan: Plan, wards: dict[str, str], tmp_path: Path
) -> None:
    spec = plan.extracts["section27"]
    raw = raw_frame(
        spec,
        [notice("S1"), {}, notice("S2"), notice("S3", date="2011-04-05")],
        lines=[2, 3, 4, 5],
    )
    file = extract_file(spec, tmp_path)
    with pytest.raises(ExtractError) as caught:
        columns.clean_extract(raw, spec, [file], wards, Facts())
    error = caught.value
    assert (error.path, error.row, error.column) == (file.path, 5, "Date Issued")
    assert "'2… (10 chars)'" in error.problem and "dd/mm/yyyy" in error.problem
    assert "2011-04-05" not in str(error)  # a date typed wrongly may be someone's date of birth
    assert "05/04/2011" in error.problem  # an example in the expected form


def test_unreadable_date_message_follows_the_plan_format(
    plan: Plan, wards: dict[str, str], tmp_path: Path
) -> None:
    spec = replace(plan.extracts["section27"], date_format="%Y-%m-%d")
    raw = raw_frame(spec, [notice("S1", date="2011-04-05"), notice("S2", date="05/04/2011")])
    with pytest.raises(ExtractError) as caught:
        columns.clean_extract(raw, spec, [extract_file(spec, tmp_path)], wards, Facts())
    assert caught.value.row == 3 and "yyyy-mm-dd" in caught.value.problem


def crime(ref: str, flag: object = "N", **fields: object) -> dict[str, object]:
    row = {
        "crime_ref": ref,
        "date_recorded": "05/04/2011",
        "offence_group": "Criminal damage",
        "offence_subgroup": "Arson",
        "ward": "Yarm",
        "street": "High Street",
        "domestic_abuse": flag,
    }
    return {**row, **fields}


def test_flags_read_as_booleans(plan: Plan, wards: dict[str, str], tmp_path: Path) -> None:
    spec = plan.extracts["police_crime"]
    flags = ["Y", "N", "yes", "No", "TRUE", " y "]
    raw = raw_frame(spec, [crime(f"CR{i}", flag) for i, flag in enumerate(flags)])
    table = columns.clean_extract(raw, spec, [extract_file(spec, tmp_path)], wards, Facts())
    assert table["domestic_abuse"].tolist() == [True, False, True, False, True, True]
    assert str(table["domestic_abuse"].dtype) == "boolean"


def test_bad_flag_names_row_and_header(plan: Plan, wards: dict[str, str], tmp_path: Path) -> None:
    spec = plan.extracts["police_crime"]
    raw = raw_frame(spec, [crime("CR1", "Y"), crime("CR2", "maybe")])
    file = extract_file(spec, tmp_path)
    with pytest.raises(ExtractError) as caught:
        columns.clean_extract(raw, spec, [file], wards, Facts())
    error = caught.value
    assert (error.path, error.row, error.column) == (file.path, 3, "Domestic Abuse")
    assert "'m… (5 chars)'" in error.problem and "Y or N" in error.problem
    assert "maybe" not in str(error)


def test_empty_required_flag_is_refused(plan: Plan, wards: dict[str, str], tmp_path: Path) -> None:
    spec = plan.extracts["police_crime"]
    raw = raw_frame(spec, [crime("CR1", "")])
    with pytest.raises(ExtractError) as caught:
        columns.clean_extract(raw, spec, [extract_file(spec, tmp_path)], wards, Facts())
    assert (caught.value.row, caught.value.column) == (2, "Domestic Abuse")


def test_optional_text_left_empty_becomes_na(
    plan: Plan, wards: dict[str, str], tmp_path: Path
) -> None:
    spec = plan.extracts["police_crime"]
    raw = raw_frame(spec, [crime("CR1", victim_id="V1"), crime("CR2")])
    table = columns.clean_extract(raw, spec, [extract_file(spec, tmp_path)], wards, Facts())
    assert table["victim_id"].isna().tolist() == [False, True]
    assert table["offender_id"].isna().all()


def survey(question: str, respondents: str = "1104", percent: str = "28.4") -> dict[str, str]:
    return {
        "question": question,
        "fieldwork_end": "18/02/2011",
        "respondents": respondents,
        "percent": percent,
    }


def test_int_and_number_columns(plan: Plan, wards: dict[str, str], tmp_path: Path) -> None:
    spec = plan.extracts["perception_survey"]
    raw = raw_frame(spec, [survey("A", "1104", "28.4"), survey("B", "998.0", "61")])
    file = extract_file(spec, tmp_path, "2010-04", "2011-03")
    table = columns.clean_extract(raw, spec, [file], wards, Facts())
    assert table["respondents"].tolist() == [1104, 998]
    assert table["percent"].tolist() == [28.4, 61.0]


@pytest.mark.parametrize(
    ("respondents", "percent", "header", "words"),
    [
        ("1104.5", "28.4", "Respondents", "whole number"),
        ("1,104", "28.4", "Respondents", "'1,104'"),
        ("1104", "n/a", "Percent Agreeing", "'n/a' is not a number"),
        ("", "28.4", "Respondents", "empty"),
    ],
)
def test_bad_numbers_name_row_and_header(
    plan: Plan,
    wards: dict[str, str],
    tmp_path: Path,
    respondents: str,
    percent: str,
    header: str,
    words: str,
) -> None:
    spec = plan.extracts["perception_survey"]
    raw = raw_frame(spec, [survey("A"), survey("B", respondents, percent)])
    file = extract_file(spec, tmp_path, "2010-04", "2011-03")
    with pytest.raises(ExtractError) as caught:
        columns.clean_extract(raw, spec, [file], wards, Facts())
    error = caught.value
    assert (error.path, error.row, error.column) == (file.path, 3, header)
    assert words in error.problem


def test_empty_id_names_row_and_header(plan: Plan, wards: dict[str, str], tmp_path: Path) -> None:
    spec = plan.extracts["section27"]
    raw = raw_frame(spec, [notice("S1"), notice(" ", location="Mill Lane")], lines=[2, 4])
    with pytest.raises(ExtractError) as caught:
        columns.clean_extract(raw, spec, [extract_file(spec, tmp_path)], wards, Facts())
    assert (caught.value.row, caught.value.column) == (4, "Notice Ref")
    assert "id value is empty" in caught.value.problem


def test_snapshot_rows_take_the_file_last_month(
    plan: Plan, wards: dict[str, str], tmp_path: Path
) -> None:
    spec = plan.extracts["ndtms_clients"]
    raw = raw_frame(
        spec,
        [
            {"client_id": "N1", "sex": "Female", "age_band": "18-24", "primary_substance": "Crack"},
            {"client_id": "N2", "sex": "Male", "age_band": "25-34", "primary_substance": "Opiates"},
        ],
    )
    file = extract_file(spec, tmp_path, "2011-04", "2011-06")
    table = columns.clean_extract(raw, spec, [file], wards, Facts())
    assert table["_month"].tolist() == ["2011-06", "2011-06"]
    assert table["_date"].tolist() == [pd.Timestamp(2011, 6, 30)] * 2


def test_rows_dated_before_the_file_are_late_records_kept_in_their_own_month_and_logged(
    plan: Plan, wards: dict[str, str], tmp_path: Path
) -> None:
    spec = plan.extracts["section27"]
    raw = raw_frame(spec, [notice("S1", "30/03/2011"), notice("S2", "01/04/2011")])
    log = Facts()
    table = columns.clean_extract(raw, spec, [extract_file(spec, tmp_path)], wards, log)
    assert table["_month"].tolist() == ["2011-03", "2011-04"]
    [outside] = log_rows(log, FACTS["outside_period"])
    assert outside["rows"] == 1


@pytest.mark.parametrize(
    ("date", "problem"),
    [("01/07/2011", "after the file's period, which ends with 2011-06"), ("01/01/2099", "future")],
)
def test_rows_dated_after_the_file_or_in_the_future_are_refused(
    plan: Plan, wards: dict[str, str], tmp_path: Path, date: str, problem: str
) -> None:
    """A quarter's file cannot hold a later month's records: it contradicts itself."""
    spec = plan.extracts["section27"]
    raw = raw_frame(spec, [notice("S1", "01/04/2011"), notice("S2", date)])
    with pytest.raises(ExtractError) as refused:
        columns.clean_extract(raw, spec, [extract_file(spec, tmp_path)], wards, Facts())
    assert problem in str(refused.value)
    assert refused.value.row == 3 and refused.value.column == "Date Issued"


def test_header_only_extract_without_ward_column_gives_an_empty_table(
    plan: Plan, wards: dict[str, str], tmp_path: Path
) -> None:
    spec = plan.extracts["hcc_convictions"]
    log = Facts()
    table = columns.clean_extract(
        raw_frame(spec, []), spec, [extract_file(spec, tmp_path)], wards, log
    )
    assert table.empty and "_month" in table.columns
    assert log.entries == []


def test_header_only_extract_with_ward_column_gives_an_empty_table(
    plan: Plan, wards: dict[str, str], tmp_path: Path
) -> None:
    """A quarter with no notices issued is a real extract: zero rows, not a crash."""
    spec = plan.extracts["section27"]
    path = tmp_path / "section27.csv"
    path.write_text("Notice Ref,Date Issued,Ward,Location\n", encoding="utf-8")
    raw = partner.read_extract(path, spec)
    table = columns.clean_extract(raw, spec, [extract_file(spec, tmp_path)], wards, Facts())
    assert table.empty and "_month" in table.columns


# clean_all on the sample ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_copy(sample_raw: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("clean") / "stockton"
    shutil.copytree(sample_raw, copy)
    return copy


@pytest.fixture(scope="module")
def cleaned(plan: Plan, sample_copy: Path) -> clean.Cleaned:
    return clean.clean_all(plan, sample_copy, YEAR, 2)


def inventory_rows(cleaned: clean.Cleaned, source: str, year: str) -> pd.DataFrame:
    inventory = cleaned.inventory
    return inventory[(inventory["source"] == source) & (inventory["year"] == year)]


def test_clean_all_inventory_reads_the_rsl_workbooks(cleaned: clean.Cleaned) -> None:
    rsl = cleaned.inventory[cleaned.inventory["source"] == "rsl_asb"]
    assert len(rsl) == 6
    assert set(rsl["status"]) == {"read"}
    assert all(str(f).endswith(".xlsx") for f in rsl["file"])
    assert (rsl["rows_kept"] > 0).all()
    assert len(rsl["sha256"].iloc[0]) == 64


def test_clean_all_inventory_unpublished_partial_and_missing(cleaned: clean.Cleaned) -> None:
    clients = inventory_rows(cleaned, "ndtms_clients", "2011-12").set_index("quarter")
    assert clients.loc["Q2", "status"] == "unpublished"
    assert "mid-Nov 2011" in clients.loc["Q2", "note"]
    assert clients.loc["Q1", "status"] == "read"
    exits = inventory_rows(cleaned, "ndtms_exits", "2011-12").set_index("quarter")
    assert (exits.loc["Q2", "status"], exits.loc["Q2", "last_month"]) == ("partial", "2011-08")
    alcohol = inventory_rows(cleaned, "alcohol_requirements", "2010-11")
    assert alcohol["quarter"].tolist() == ["Q1", "Q2", "Q3", "Q4"]
    assert set(alcohol["status"]) == {"missing"}


def test_clean_all_refuses_an_extract_changed_while_it_is_read(
    plan: Plan, sample_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A partner file saved over while the run reads it (the analyst copying in a corrected
    extract): refused, naming it, rather than read half old and half new."""
    raw = tmp_path / "stockton"
    shutil.copytree(sample_copy, raw)
    changing = raw / "2011-12" / "Q1" / "section27.csv"
    read = partner.PartnerSource.read_files

    def read_then_saved_over(self: partner.PartnerSource, files: list, spec: ExtractSpec):
        table = read(self, files, spec)
        if changing in [file.path for file in files]:
            changing.write_bytes(changing.read_bytes() + b"\n")
        return table

    monkeypatch.setattr(partner.PartnerSource, "read_files", read_then_saved_over)
    with pytest.raises(ExtractError, match="changed while csp was reading it") as caught:
        clean.clean_all(plan, raw, YEAR, 1)
    assert caught.value.path == changing


def test_clean_all_empty_table_for_a_source_with_no_files(
    plan: Plan, sample_copy: Path, tmp_path: Path
) -> None:
    """Typed empty tables keep metrics working when a partner sent nothing at all."""
    raw = tmp_path / "stockton"
    shutil.copytree(sample_copy, raw)
    for path in raw.rglob("marac.csv"):
        path.unlink()
    result = clean.clean_all(plan, raw, YEAR, 1)
    marac = result.tables["marac"]
    assert marac.empty
    assert {"case_ref", "_month", "_date", "_row"} <= set(marac.columns)
    assert str(marac["_date"].dtype).startswith("datetime64")


def raw_crime_refs(raw: Path) -> dict[str, list[str]]:
    """Crime references of each police_crime.csv, read with the csv module, blank lines skipped."""
    refs: dict[str, list[str]] = {}
    for path in sorted(raw.glob("*/Q*/police_crime.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            refs[str(path.relative_to(raw))] = [
                row["Crime Reference"].strip()
                for row in reader
                if any((v or "").strip() for v in row.values())
            ]
    return refs


def test_clean_all_counts_each_crime_once_across_files(
    cleaned: clean.Cleaned, sample_copy: Path
) -> None:
    refs = raw_crime_refs(sample_copy)
    assert len(refs) == 6
    files_per_ref = Counter(ref for file_refs in refs.values() for ref in set(file_refs))
    resent = {ref for ref, n in files_per_ref.items() if n > 1}
    assert resent  # the sample re-sends some records in a later file
    crimes = cleaned.tables["police_crime"]
    assert len(crimes) == crimes["crime_ref"].nunique() == len(files_per_ref)
    later_file = {
        ref: max(f for f, file_refs in refs.items() if ref in file_refs) for ref in resent
    }
    kept = crimes[crimes["crime_ref"].isin(resent)]
    for ref, file in zip(kept["crime_ref"], kept["_file"], strict=True):
        assert str(file).endswith(later_file[ref])


def test_clean_all_logs_resent_records_once(cleaned: clean.Cleaned, sample_copy: Path) -> None:
    refs = raw_crime_refs(sample_copy)
    copies = sum(len(set(file_refs)) for file_refs in refs.values())
    unique = len({ref for file_refs in refs.values() for ref in file_refs})
    log = cleaned.log
    resent = log[log["code"] == "resent"]
    assert resent["source"].tolist() == ["police_crime"]
    assert resent["rows"].tolist() == [copies - unique]
