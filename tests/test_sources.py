"""The sources registry, each source's options and vocabulary, the data-quality facts, and cleaning
many files at once: facts file by file, errors naming the file, counts a plain reader agrees with."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from shared_data import shared_path

from csp import config
from csp.domain.periods import FinancialYear
from csp.domain.quality import FACT_COLUMNS, FACTS, Fact, Facts
from csp.engine import clean
from csp.errors import ExtractError
from csp.inputs import cells, columns
from csp.inputs.extracts import ROW, ExtractFile, display_path
from csp.plan import Plan, load_plan
from csp.registry import UnknownName
from csp.sources import SOURCES, Source
from csp.sources.police_uk import COLUMNS, DERIVED, NO_LOCATION

# --- the registry ----------------------------------------------------------------------------------


def test_the_registry_holds_one_source_per_plan_name() -> None:
    assert SOURCES.names() == ["partner", "police_uk"]
    for name in SOURCES:
        source = SOURCES.get(name)
        assert isinstance(source, Source)
        assert source.name == name


def test_an_unknown_source_lists_the_known_ones() -> None:
    with pytest.raises(UnknownName, match=r"unknown source 'police' \(known: partner, police_uk\)"):
        SOURCES.get("police")


def test_sources_do_not_need_the_plan_module() -> None:
    """plan imports the registry to validate names, so sources must not import plan."""
    code = "import sys, csp.sources; print('csp.plan' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=config.PROJECT_ROOT,
    )
    assert result.stdout.strip() == "False"


# --- options and vocabulary ------------------------------------------------------------------------


def test_police_uk_options_name_the_force_or_nothing() -> None:
    police = SOURCES.get("police_uk")
    assert police.parse_options({"force": "cleveland"}).force == "cleveland"
    assert police.parse_options(None).force is None
    with pytest.raises(ValueError, match=r"^unknown option 'forse' \(expected: force\)$"):
        police.parse_options({"forse": "cleveland"})


def test_partner_options_are_the_layout_quarterly_by_default() -> None:
    partner = SOURCES.get("partner")
    assert partner.parse_options({}).layout == "quarterly"
    assert partner.parse_options({"layout": "annual"}).layout == "annual"
    with pytest.raises(ValueError, match=r"^option 'layout': Input should be 'quarterly' or"):
        partner.parse_options({"layout": "monthly"})


def test_police_uk_crime_types_are_checked_and_widened_across_the_2013_rename() -> None:
    police = SOURCES.get("police_uk")
    assert police.condition_values("crime_type", ["Violent crime"]) == [
        "Violent crime",
        "Violence and sexual offences",
    ]
    assert police.condition_values("ward", ["Anything"]) == ["Anything"]
    with pytest.raises(ValueError, match=r"unknown police\.uk crime type 'Violent crimes'"):
        police.condition_values("crime_type", ["Violent crimes"])


def test_partner_values_are_any_and_columns_come_from_the_plan() -> None:
    partner = SOURCES.get("partner")
    assert partner.condition_values("offence", ["Arson", 3]) == ["Arson", 3]
    assert partner.fixed_columns() is None
    assert not partner.monthly_files


def test_police_uk_columns_are_fixed_and_its_files_monthly() -> None:
    police = SOURCES.get("police_uk")
    assert list(police.fixed_columns()) == [*COLUMNS, *DERIVED]
    assert police.monthly_files


# --- facts -----------------------------------------------------------------------------------------


def test_every_fact_code_is_recorded_somewhere_and_an_unknown_one_is_refused() -> None:
    """Facts are recorded by code and worded from the one table in csp.domain.quality: no wording for a
    code nothing records, and no code without wording."""
    engine = [p for p in (config.PROJECT_ROOT / "csp").rglob("*.py") if p.name != "quality.py"]
    source = "\n".join(p.read_text(encoding="utf-8") for p in engine)
    assert [code for code in FACTS if f'"{code}"' not in source] == []
    assert all(wording.strip() for wording in FACTS.values())
    with pytest.raises(ValueError, match="unknown data-quality fact 'typo'"):
        Facts().add("typo", "police_crime", "police_crime.csv", 3)
    # The wording analysts and board members already read.
    assert FACTS["blank_lines"] == "blank lines skipped"
    assert FACTS["no_location"] == "rows with no location (in no area measure)"
    assert FACTS["outside_area"] == "rows outside the plan's area (left out)"
    assert FACTS["resent"] == "records sent again in a later file (the later copy kept)"


def test_a_fact_needs_a_known_code() -> None:
    with pytest.raises(ValueError, match="unknown data-quality fact 'blank'"):
        Fact("blank", "police_crime", "police_crime.csv", 1)


def test_facts_about_no_rows_are_not_kept_and_the_table_has_the_log_columns() -> None:
    facts = Facts()
    facts.add("blank_lines", "street", "a.csv", 0)
    facts.add("no_location", "street", "a.csv", 3, month="2021-09")
    table = facts.table()
    assert list(table.columns) == FACT_COLUMNS
    assert table.iloc[0].to_dict() == {
        "source": "street",
        "file": "a.csv",
        "month": "2021-09",
        "code": "no_location",
        "change": "rows with no location (in no area measure)",
        "rows": 3,
        "detail": "",
        "shown": "",
    }


# --- cleaning the files of an extract together -----------------------------------------------------


@pytest.fixture(scope="module")
def stockton() -> Plan:
    return load_plan("stockton")


def section27_file(tmp_path: Path, quarter: int, months: tuple[str, str]) -> ExtractFile:
    path = tmp_path / "2011-12" / f"Q{quarter}" / "section27.csv"
    return ExtractFile(
        "section27", "Section 27", "2011-12", f"Q{quarter}", path, "read", "", *months
    )


def rows_of(file: ExtractFile, rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=["notice_ref", "issued_date", "ward"])
    table["location"] = ["High St" if ref else "" for ref in table["notice_ref"]]
    table[ROW] = range(2, len(rows) + 2)
    table["_file"] = display_path(file.path)
    return table


def test_facts_are_counted_file_by_file_in_file_order(stockton: Plan, tmp_path: Path) -> None:
    q1 = section27_file(tmp_path, 1, ("2011-04", "2011-06"))
    q2 = section27_file(tmp_path, 2, ("2011-07", "2011-09"))
    raw = pd.concat(
        [
            rows_of(q1, [("S1", "05/04/2011", "Hardwick"), ("", "", "")]),
            rows_of(q2, [("S2", "05/07/2011", "HARDWICK"), ("S3", "05/06/2011", " Yarm")]),
        ],
        ignore_index=True,
    )
    facts = Facts()
    wards = cells.ward_lookup(stockton.wards)
    table = columns.clean_extract(raw, stockton.extracts["section27"], [q1, q2], wards, facts)
    assert table["notice_ref"].tolist() == ["S1", "S2", "S3"]
    assert table["ward"].tolist() == ["Hardwick", "Hardwick", "Yarm"]
    logged = [(f.file.split("/")[-2], f.code, f.rows) for f in facts.entries]
    assert logged == [
        ("Q1", "blank_lines", 1),
        ("Q2", "spaces_trimmed", 1),
        ("Q2", "ward_spelling_matched", 1),
        ("Q2", "outside_period", 1),
    ]


def test_an_error_names_the_file_the_row_came_from(stockton: Plan, tmp_path: Path) -> None:
    q1 = section27_file(tmp_path, 1, ("2011-04", "2011-06"))
    q2 = section27_file(tmp_path, 2, ("2011-07", "2011-09"))
    raw = pd.concat(
        [
            rows_of(q1, [("S1", "05/04/2011", "Hardwick")]),
            rows_of(q2, [("S2", "05/07/2011", "Yarm"), ("S3", "2011-07-06", "Yarm")]),
        ],
        ignore_index=True,
    )
    wards = cells.ward_lookup(stockton.wards)
    with pytest.raises(ExtractError) as caught:
        columns.clean_extract(raw, stockton.extracts["section27"], [q1, q2], wards, Facts())
    error = caught.value
    assert (error.path, error.row, error.column) == (q2.path, 3, "Date Issued")
    assert "'2… (10 chars)' is not a date in the form dd/mm/yyyy" in str(error)


def test_non_breaking_and_other_unicode_spaces_are_trimmed_like_python_split() -> None:
    values = pd.Series(["\u00a0Hardwick\u2003 Ward\t", "Yarm"], dtype=object)
    assert cells.tidy_spaces(values).tolist() == [" ".join(v.split()) for v in values]


# --- counts a plain reader agrees with -------------------------------------------------------------


def csv_records(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_police_uk_counts_match_a_plain_reading_month_by_month() -> None:
    """Rows read, left out (no location, outside the area) and kept, per file, against the csv
    module: the same figures anyone counting the download would get."""
    raw = shared_path("data", "police-uk")
    plan = load_plan("city-of-london")
    cleaned = clean.clean_all(plan, raw, FinancialYear.parse("2021-22"), 2)
    log, inventory = cleaned.log, cleaned.inventory
    read = inventory[inventory["status"] == "read"]
    assert len(read) == 18  # April 2020 to September 2021
    for file in read.itertuples():
        records = csv_records(config.PROJECT_ROOT / file.file)
        located = [r for r in records if r["LSOA code"] and r["Location"] != NO_LOCATION]
        no_location = len(records) - len(located)
        outside = [r for r in located if r["LSOA code"] not in plan.lsoas]
        facts = log[log["file"] == file.file].set_index("code")["rows"]
        assert file.rows_read == len(records)
        assert facts.get("no_location", 0) == no_location
        assert facts.get("outside_area", 0) == len(outside)
        assert file.rows_kept == len(located) - len(outside)
        assert set(log.loc[log["file"] == file.file, "month"]) <= {file.first_month}
    assert len(cleaned.tables["street_crime"]) == read["rows_kept"].sum()


def test_partner_files_read_every_record_line(stockton: Plan, sample_raw: Path) -> None:
    """Every line after the header is a row read, blank ones included (the csv module's count)."""
    cleaned = clean.clean_all(stockton, sample_raw, FinancialYear.parse("2011-12"), 2)
    read = cleaned.inventory[cleaned.inventory["status"].isin(["read", "partial"])]
    csv_files = read[read["file"].str.endswith(".csv")]
    assert len(csv_files) > 50
    for file in csv_files.itertuples():
        path = Path(file.file)
        path = path if path.is_absolute() else config.PROJECT_ROOT / path
        with path.open(encoding="utf-8-sig", newline="") as handle:
            lines = list(csv.reader(handle))
        assert file.rows_read == len(lines) - 1, file.file
    log = cleaned.log
    assert (log["change"] == log["code"].map(FACTS)).all()
    assert set(log["month"]) == {""}  # partner files span a quarter or a year, not one month
