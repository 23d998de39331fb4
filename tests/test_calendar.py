"""Calendar-year plans (`year_start: january`), gaps inside a download, and `csp run --latest`.

The police.uk tests read the Cleveland download in ../shared: 2024-01 to 2024-04 and 2025-01 to
2025-12, May to December 2024 missing. The plan (written here) is Stockton-on-Tees: every LSOA whose
police.uk name starts with "Stockton-on-Tees ", each counted here again with the csv module. Partner
extracts are written by hand.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from shared_data import shared_path

from csp.domain.periods import CalendarYear, FinancialYear
from csp.engine import clean
from csp.plan import Plan, load_plan
from csp.plan.quarter import QuarterRun
from csp.run import latest
from csp.steps import clean as clean_step
from csp.steps import measure as measure_step
from csp.steps import render as render_step

AREA = "Stockton-on-Tees "
ASB = "Anti-social behaviour"
# measure -> (title, police.uk filter, whether a crime type counts)
MEASURES: dict[str, tuple[str, dict[str, Any], Any]] = {
    "P1": ("All crime except ASB", {"crime_type": {"not": [ASB]}}, lambda t: t != ASB),
    "P2": ("Anti-social behaviour", {"crime_type": [ASB]}, lambda t: t == ASB),
    "P3": ("Burglary", {"crime_type": ["Burglary"]}, lambda t: t == "Burglary"),
}


@pytest.fixture(scope="module")
def cleveland() -> Path:
    return shared_path("data", "police-uk-cleveland")


@pytest.fixture(scope="module")
def stockton_rows(cleveland: Path) -> list[tuple[str, str, str]]:
    """(month, LSOA code, crime type) of every Stockton-on-Tees row, read with the csv module."""
    rows = []
    for path in sorted(cleveland.glob("*/*-cleveland-street.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows += [
                (row["Month"], row["LSOA code"], row["Crime type"])
                for row in csv.DictReader(handle)
                if row["LSOA name"].startswith(AREA)
            ]
    return rows


def count(rows: Iterable[tuple[str, str, str]], months: Iterable[str], measure: str) -> int:
    wanted, counts = set(months), MEASURES[measure][2]
    return sum(1 for month, _, crime_type in rows if month in wanted and counts(crime_type))


def stockton_plan(
    folder: Path, rows: list[tuple[str, str, str]], year_start: str, years: list[str]
) -> Path:
    """Stockton-on-Tees on police.uk: its LSOAs all in one ward, three lower-is-better measures."""
    plan = {
        "plan": f"stockton-{year_start}",
        "year_start": year_start,
        "years": years,
        "lsoas": {code: "Stockton-on-Tees" for code in sorted({r[1] for r in rows})},
        "extracts": {"crime": {"source": "police_uk", "options": {"force": "cleveland"}}},
        "themes": [
            {
                "theme": "Crime",
                "measures": [
                    {
                        "id": measure,
                        "title": title,
                        "direction": "reduce",
                        "target": "baseline",
                        "metric": {"kind": "count", "sources": "crime", "where": where},
                    }
                    for measure, (title, where, _) in MEASURES.items()
                ],
            }
        ],
    }
    path = folder / f"stockton-{year_start}.yml"
    path.write_text(yaml.safe_dump(plan, sort_keys=False), encoding="utf-8")
    return path


def run_steps(plan: Path, year: str, quarter: int, raw: Path, processed: Path) -> SimpleNamespace:
    """Steps 1 and 2 in process, as the notebooks call them."""
    run = QuarterRun.from_parameters(str(plan), year, quarter, raw, processed)
    cleaned = clean_step.run(run)
    statuses = measure_step.run(run).statuses
    return SimpleNamespace(run=run, cleaned=cleaned, statuses=statuses)


@pytest.fixture(scope="module")
def calendar_q2(
    cleveland: Path, stockton_rows: list[tuple[str, str, str]], tmp_path_factory: Any
) -> SimpleNamespace:
    """2025 Q2 of the calendar plan: Q1 and Q2 judged."""
    folder = tmp_path_factory.mktemp("calendar")
    plan = stockton_plan(folder, stockton_rows, "january", ["2024", "2025"])
    return run_steps(plan, "2025", 2, cleveland, folder / "processed")


def rows_of(statuses: Any, quarter: str) -> dict[str, Any]:
    return {r["measure_id"]: r for _, r in statuses[statuses["quarter"] == quarter].iterrows()}


def test_the_stockton_area_is_the_download_s_stockton_rows(
    stockton_rows: list[tuple[str, str, str]],
) -> None:
    """SOURCES.md counts 34,028 Stockton-on-Tees rows in the sixteen files, by LSOA name."""
    assert len(stockton_rows) == 34_028
    assert count(stockton_rows, ["2025-01"], "P1") + count(stockton_rows, ["2025-01"], "P2") == 1809


def test_q1_2025_is_judged_against_q1_2024_counted_independently(
    calendar_q2: SimpleNamespace, stockton_rows: list[tuple[str, str, str]]
) -> None:
    """January to March 2025 against January to March 2024, across the calendar years' boundary."""
    for measure, row in rows_of(calendar_q2.statuses, "Q1").items():
        assert row["status"] in {"on_track", "off_track"}, row["reason"]
        assert row["year"] == "2025"
        assert (row["first_month"], row["last_month"]) == ("2025-01", "2025-03")
        assert row["actual"] == count(stockton_rows, ["2025-01", "2025-02", "2025-03"], measure)
        assert row["baseline"] == count(stockton_rows, ["2024-01", "2024-02", "2024-03"], measure)
        expected = "on_track" if row["actual"] <= row["baseline"] else "off_track"
        assert row["status"] == expected


def test_q2_2025_names_the_baseline_months_the_download_lacks(
    calendar_q2: SimpleNamespace,
) -> None:
    """April 2024 is there, May and June 2024 are not: no data, naming them, never a guess."""
    for row in rows_of(calendar_q2.statuses, "Q2").values():
        assert row["status"] == "no_data"
        assert row["reason"] == "baseline 2024 incomplete: no data for May 2024 to Jun 2024"


def test_a_gap_in_the_download_makes_no_month_look_incomplete(
    calendar_q2: SimpleNamespace,
) -> None:
    """Missing months are simply not there: their neighbours are judged on the months that are."""
    months = calendar_q2.cleaned.completeness
    assert list(months["month"]) == [f"2024-0{m}" for m in range(1, 5)] + [
        f"2025-0{m}" for m in range(1, 7)
    ]
    assert set(months["code"]) == {""}
    assert not calendar_q2.cleaned.log["code"].isin(["looks_incomplete"]).any()


def test_the_inventory_places_each_month_in_its_calendar_quarter(
    calendar_q2: SimpleNamespace,
) -> None:
    inventory = calendar_q2.cleaned.inventory
    missing = inventory[inventory["status"] == "missing"]
    assert list(missing["year"].unique()) == ["2024"]
    assert list(missing["quarter"]) == ["Q2", "Q2", "Q3", "Q3", "Q3", "Q4", "Q4", "Q4"]
    assert [Path(f).parent.name for f in missing["file"]] == [f"2024-{m:02d}" for m in range(5, 13)]
    read = inventory[inventory["status"] == "read"]
    assert dict(zip(read["first_month"], read["quarter"], strict=True))["2025-04"] == "Q2"


def test_the_calendar_report_says_2025_and_the_quarter_s_months(
    calendar_q2: SimpleNamespace,
) -> None:
    html = "".join(render_step.run(calendar_q2.run))
    assert "Performance Dashboard 2025" in html
    assert "year to date to the end of Q2 (April to June 2025)" in html
    assert 'title="Q1 (January to March 2025)"' in html
    assert "same months of 2024" in html
    assert "baseline 2024 incomplete: no data for May 2024 to Jun 2024" in html
    # The charts' words never total a baseline with a gap as if it were the same months.
    assert "from Jan 2025 to Jun 2025; 2024 has only 4 of the same months" in html
    assert "in the same months of 2024" not in html
    for financial in ("2025/26", "2024/25", "2025-26", "2024-25"):
        assert financial not in html


def test_a_financial_year_plan_on_the_same_download_names_the_missing_months(
    cleveland: Path, stockton_rows: list[tuple[str, str, str]], tmp_path: Path
) -> None:
    """2025-26 against 2024-25, which lacks May to December 2024: each quarter no data, saying
    which of its baseline months are missing."""
    plan = stockton_plan(tmp_path, stockton_rows, "april", ["2024-25", "2025-26"])
    statuses = run_steps(plan, "2025-26", 3, cleveland, tmp_path / "processed").statuses
    assert set(statuses["status"]) == {"no_data"}
    expected = {"Q1": "Jun 2024", "Q2": "Sep 2024", "Q3": "Dec 2024"}
    for quarter, last in expected.items():
        for row in rows_of(statuses, quarter).values():
            assert row["reason"] == f"baseline 2024-25 incomplete: no data for May 2024 to {last}"


@pytest.mark.parametrize(
    ("year_start", "years", "chosen"),
    [
        ("january", ["2024", "2025"], (CalendarYear(2025), 4)),
        ("january", ["2024"], (CalendarYear(2024), 1)),
        ("april", ["2024-25", "2025-26"], (FinancialYear(2025), 3)),
        ("april", ["2023-24"], (FinancialYear(2023), 4)),
    ],
    ids=["calendar", "calendar-before-the-gap", "financial", "financial-jan-to-mar-2024"],
)
def test_latest_is_the_last_quarter_with_every_month_s_file(
    cleveland: Path,
    stockton_rows: list[tuple[str, str, str]],
    tmp_path: Path,
    year_start: str,
    years: list[str],
    chosen: tuple[object, int],
) -> None:
    plan = load_plan(stockton_plan(tmp_path, stockton_rows, year_start, years))
    assert latest.latest_quarter(plan, cleveland) == chosen


# partner extracts in a calendar-year plan ---------------------------------------------------------

PARTNER_PLAN = """\
plan: calendar-partners
year_start: january
years: ["2025"]
wards: [Hardwick, Newtown]
extracts:
  notices:
    file: notices.csv
    id: ref
    date: issued
    columns:
      ref: {header: Ref, type: id}
      issued: {header: Date Issued, type: date}
  calls:
    file: calls.csv
    id: ref
    date: received
    columns:
      ref: {header: Ref, type: id}
      received: {header: Received, type: date}
themes:
  - theme: T
    measures:
      - id: "1.1"
        title: Reduce notices
        direction: reduce
        target: baseline
        metric: {kind: count, sources: [notices]}
"""


@pytest.fixture
def partners(tmp_path: Path) -> Plan:
    path = tmp_path / "calendar-partners.yml"
    path.write_text(PARTNER_PLAN, encoding="utf-8")
    return load_plan(path)


def touch(path: Path, text: str = "Ref\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_partner_extracts_of_a_calendar_year_are_in_year_and_quarter_folders(
    partners: Plan, tmp_path: Path
) -> None:
    """`<raw>/2025/Q1/notices.csv`, the baseline's in `<raw>/2024/`, and availability.csv's periods
    written as the plan writes its years ('2025 Q2')."""
    raw = tmp_path / "raw"
    touch(raw / "2025" / "availability.csv", "source,period,note\ncalls,2025 Q2,Late.\n")
    files = clean.expected_files(partners, raw, CalendarYear(2025), 2)
    notices = [f for f in files if f.source == "notices"]
    assert [(f.year, f.quarter) for f in notices] == [
        ("2024", "Q1"),
        ("2024", "Q2"),
        ("2024", "Q3"),
        ("2024", "Q4"),
        ("2025", "Q1"),
        ("2025", "Q2"),
    ]
    assert notices[-1].path == raw / "2025" / "Q2" / "notices.csv"
    calls = {(f.year, f.quarter): f.status for f in files if f.source == "calls"}
    assert calls[("2025", "Q2")] == "unpublished"
    assert calls[("2025", "Q1")] == "missing"


def test_latest_on_partner_extracts_asks_each_file_and_availability(
    partners: Plan, tmp_path: Path
) -> None:
    """A quarter counts when each extract's file is there or availability.csv says it is not yet
    published; one missing file without a word rules the quarter out."""
    raw = tmp_path / "raw"
    for quarter in ("Q1", "Q2", "Q3", "Q4"):
        touch(raw / "2025" / quarter / "notices.csv")
    for quarter in ("Q1", "Q2"):
        touch(raw / "2025" / quarter / "calls.csv")
    assert latest.latest_quarter(partners, raw) == (CalendarYear(2025), 2)
    touch(raw / "2025" / "availability.csv", "source,period,note\ncalls,Q3,Not yet sent.\n")
    assert latest.latest_quarter(partners, raw) == (CalendarYear(2025), 3)
    assert latest.latest_quarter(partners, tmp_path / "empty") is None
