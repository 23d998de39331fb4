"""The police.uk reader and the city-of-london plan: small files the tests write, then the real data."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import yaml
from shared_data import shared_path

from csp.domain.periods import FinancialYear
from csp.engine import clean, metrics, status
from csp.errors import ExtractError, PlanError
from csp.inputs import extracts
from csp.plan import load_plan
from csp.plan.quarter import QuarterRun
from csp.sources import police_uk
from csp.steps import clean as clean_step
from csp.steps import measure as measure_step
from csp.steps import render as render_step
from csp.store.processed import RunFolder

HEADER = list(police_uk.COLUMNS.values())
CITY_LSOAS = {
    "E01000001": "Aldersgate",
    "E01000002": "Cripplegate",
    "E01000003": "Cripplegate",
    "E01000005": "Portsoken",
    "E01032739": "Vintry",
    "E01032740": "Farringdon Within",
}


def street_row(
    month: str, crime_type: str, lsoa: str = "E01032739", location: str = "On or near Cheapside"
) -> list[str]:
    names = {
        "E01032739": "City of London 001F",
        "E01000001": "City of London 001A",
        "E01000914": "Camden 028B",
    }
    return [
        "" if crime_type == "Anti-social behaviour" else f"id-{month}-{crime_type}",
        month,
        "City of London Police",
        "City of London Police",
        "" if not lsoa else "-0.09",
        "" if not lsoa else "51.51",
        location,
        lsoa,
        names.get(lsoa, ""),
        crime_type,
        "",
        "",
    ]


def write_month(
    raw: Path, month: str, rows: list[list[str]], *, bom: bool = False, crlf: bool = False
) -> Path:
    folder = raw / month
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{month}-city-of-london-street.csv"
    with path.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\r\n" if crlf else "\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


@pytest.fixture
def small_plan(tmp_path: Path) -> Path:
    """A plan over two City LSOAs; one measure names the current type, one the earlier one."""
    plan = {
        "plan": "small-city",
        "years": ["2012-13", "2013-14"],
        "lsoas": {"E01032739": "Vintry", "E01000001": "Aldersgate"},
        "extracts": {"street": {"title": "Street crime", "source": "police_uk"}},
        "themes": [
            {
                "theme": "Violence",
                "measures": [
                    {
                        "id": "V1",
                        "title": "Violence, named as now",
                        "direction": "reduce",
                        "target": "baseline",
                        "metric": {
                            "kind": "count",
                            "sources": ["street"],
                            "where": {"crime_type": "Violence and sexual offences"},
                        },
                    },
                    {
                        "id": "V2",
                        "title": "Violence, named as before May 2013",
                        "direction": "reduce",
                        "target": "baseline",
                        "metric": {
                            "kind": "count",
                            "sources": ["street"],
                            "where": {"crime_type": "Violent crime"},
                        },
                    },
                    {
                        "id": "D1",
                        "title": "Disorder and weapons, earlier name",
                        "direction": "reduce",
                        "target": "baseline",
                        "metric": {
                            "kind": "count",
                            "sources": ["street"],
                            "where": {"crime_type": "Public disorder and weapons"},
                        },
                    },
                ],
            }
        ],
    }
    path = tmp_path / "small-city.yml"
    path.write_text(yaml.safe_dump(plan), encoding="utf-8")
    return path


@pytest.fixture
def small_download(tmp_path: Path) -> Path:
    """Apr 2012 to Sep 2013 with May 2012 missing; both eras of names; the mess real files carry."""
    raw = tmp_path / "police-uk"
    for month in pd.period_range("2012-04", "2013-09", freq="M"):
        if str(month) == "2012-05":
            continue
        early = month < pd.Period("2013-05", freq="M")
        violence = "Violent crime" if early else "Violence and sexual offences"
        rows = [
            street_row(str(month), violence),
            street_row(
                str(month), violence, lsoa="E01000001", location="On or near Alderman'S Walk"
            ),
            street_row(str(month), violence, lsoa="", location="No Location"),
            street_row(str(month), violence, lsoa="E01000914", location="On or near Star Yard"),
            street_row(str(month), "Public disorder and weapons" if early else "Public order"),
            street_row(str(month), "Anti-social behaviour"),
            street_row(str(month), "Anti-social behaviour"),
        ]
        write_month(
            raw, str(month), rows, bom=str(month) == "2013-04", crlf=str(month) == "2013-06"
        )
    return raw


def test_tidy_location_keeps_words_and_fixes_apostrophes() -> None:
    assert police_uk.tidy_location("On or near Alderman'S Walk") == "Alderman's Walk"
    assert police_uk.tidy_location("On or near St Andrew'S Hill") == "St Andrew's Hill"
    assert police_uk.tidy_location("Supermarket") == "Supermarket"


def test_either_era_name_matches_both_where_the_offences_are_the_same() -> None:
    assert set(police_uk.equivalent_types("Violent crime")) == {
        "Violent crime",
        "Violence and sexual offences",
    }
    assert set(police_uk.equivalent_types("Violence and sexual offences")) == {
        "Violent crime",
        "Violence and sexual offences",
    }
    assert set(police_uk.equivalent_types("Public disorder and weapons")) == {
        "Public disorder and weapons",
        "Public order",
        "Possession of weapons",
    }
    assert police_uk.equivalent_types("Public order") == ("Public order",)


def test_reader_area_eras_bom_crlf_and_missing_month(
    small_plan: Path, small_download: Path
) -> None:
    plan = load_plan(small_plan)
    year = FinancialYear.parse("2013-14")
    cleaned = clean.clean_all(plan, small_download, year, 2)
    table = cleaned.tables["street"]
    # Per month: 7 rows read; one No Location and one Camden row left out; 5 kept.
    per_month = table.groupby("_month").size()
    assert set(per_month) == {5}
    assert "2012-05" not in set(table["_month"])
    assert set(table["ward"]) == {"Vintry", "Aldersgate"}
    assert "Alderman's Walk" in set(table["location_name"])
    assert "On or near Alderman'S Walk" in set(table["location"])
    log = cleaned.log
    no_location = log[log["code"] == "no_location"]
    outside = log[log["code"] == "outside_area"]
    assert len(no_location) == len(outside) == 17  # month by month: one line per file
    assert set(outside["detail"]) == {"Camden (1)"}
    inventory = cleaned.inventory
    missing = inventory[inventory["status"] == "missing"]
    assert list(missing["first_month"]) == [""] and "2012-05" in missing.iloc[0]["file"]

    values = metrics.measure_values(plan, cleaned.tables, extracts.coverage(inventory), year)
    results = {r.measure.id: r for r in status.judge(plan, values, inventory, year, 2)}
    # The baseline year misses May 2012, so nothing can be judged, and the reason names the month.
    assert all(r.status == "no_data" for r in results.values())
    assert "May 2012" in results["V1"].reason


def test_a_month_changed_while_it_is_read_is_refused(
    small_plan: Path, small_download: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A month still being copied in when the run reads it: refused, naming the file, not counted
    half written; once the copy is complete, the next run reads it whole."""
    changing = small_download / "2013-06" / "2013-06-city-of-london-street.csv"
    read = police_uk.PoliceUkSource.read_files

    def read_then_the_copy_goes_on(self: police_uk.PoliceUkSource, files: list, spec: object):
        table = read(self, files, spec)
        with changing.open("a", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerow(street_row("2013-06", "Anti-social behaviour"))
        return table

    monkeypatch.setattr(police_uk.PoliceUkSource, "read_files", read_then_the_copy_goes_on)
    plan = load_plan(small_plan)
    with pytest.raises(ExtractError, match="changed while csp was reading it") as caught:
        clean.clean_all(plan, small_download, FinancialYear.parse("2013-14"), 2)
    assert caught.value.path == changing
    monkeypatch.undo()  # the copy is complete now: the next run reads it whole
    cleaned = clean.clean_all(plan, small_download, FinancialYear.parse("2013-14"), 2)
    assert (cleaned.tables["street"]["_month"] == "2013-06").sum() == 6


def test_rows_outside_the_area_are_counted_by_area_file_by_file(
    small_plan: Path, tmp_path: Path
) -> None:
    """Each file's outside rows by area (the LSOA name less its code), areas in order, counts
    per file, and a file with none has no line."""
    raw = tmp_path / "police-uk"
    elsewhere = [("E01000914", "Camden 028B"), ("E01000915", "Barnet 001A")]
    for month, outside in (("2013-04", [0, 0, 1]), ("2013-05", [1]), ("2013-06", [])):
        rows = [street_row(month, "Burglary")]
        for which in outside:
            row = street_row(month, "Burglary", lsoa=elsewhere[which][0])
            row[8] = elsewhere[which][1]
            rows.append(row)
        write_month(raw, month, rows)
    cleaned = clean.clean_all(load_plan(small_plan), raw, FinancialYear.parse("2013-14"), 1)
    log = cleaned.log[cleaned.log["code"] == "outside_area"]
    found = {
        Path(file).name[:7]: (rows, detail)
        for file, rows, detail in log[["file", "rows", "detail"]].itertuples(index=False)
    }
    assert found == {"2013-04": (3, "Barnet (1); Camden (2)"), "2013-05": (1, "Barnet (1)")}
    assert len(cleaned.tables["street"]) == 3


def test_both_eras_counted_alike(small_plan: Path, small_download: Path) -> None:
    plan = load_plan(small_plan)
    year = FinancialYear.parse("2013-14")
    cleaned = clean.clean_all(plan, small_download, year, 2)
    values = metrics.measure_values(
        plan, cleaned.tables, extracts.coverage(cleaned.inventory), year
    )
    main = values[(values["series"] == "main") & (values["year"] == "2013-14")]
    by_measure = main.groupby("measure_id")["value"].sum()
    # Two in-area violence rows a month, whichever name the month used: Apr-Sep 2013.
    assert by_measure["V1"] == by_measure["V2"] == 12
    # Public disorder and weapons (Apr 2013) and the Public order that replaced it (May-Sep).
    assert by_measure["D1"] == 6


def test_unknown_crime_type_in_a_plan_is_named(small_plan: Path) -> None:
    text = small_plan.read_text(encoding="utf-8").replace("Violent crime", "Violent crimes")
    small_plan.write_text(text, encoding="utf-8")
    with pytest.raises(PlanError, match=r"unknown police\.uk crime type 'Violent crimes'"):
        load_plan(small_plan)


def test_file_without_police_uk_columns_is_refused(small_plan: Path, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    path = raw / "2013-04" / "2013-04-city-of-london-street.csv"
    path.parent.mkdir(parents=True)
    path.write_text("Month,Crime type\n2013-04,Drugs\n", encoding="utf-8")
    with pytest.raises(
        ExtractError, match=r"2013-04-city-of-london-street.csv, row 1, column 'Location'"
    ):
        clean.clean_all(load_plan(small_plan), raw, FinancialYear.parse("2013-14"), 1)


def test_bad_month_value_names_the_row(small_plan: Path, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_month(raw, "2013-04", [street_row("2013-04", "Drugs"), street_row("April", "Drugs")])
    with pytest.raises(ExtractError, match=r"row 3, column 'Month': 'April' is not a month"):
        clean.clean_all(load_plan(small_plan), raw, FinancialYear.parse("2013-14"), 1)


# The real download -------------------------------------------------------------------------------


def plain_count(raw: Path, months: list[str], crime_type: str, lsoas: set[str]) -> int:
    """A count made without csp: the csv module over the month files."""
    total = 0
    for month in months:
        with (raw / month / f"{month}-city-of-london-street.csv").open(
            encoding="utf-8-sig", newline=""
        ) as handle:
            total += sum(
                1
                for row in csv.DictReader(handle)
                if row["Crime type"] == crime_type and row["LSOA code"] in lsoas
            )
    return total


@pytest.mark.parametrize(
    ("year", "quarter", "measure_id", "crime_type"),
    [
        ("2021-22", 2, "C1", "Anti-social behaviour"),
        ("2020-21", 4, "C2", "Violence and sexual offences"),
        ("2021-22", 3, "C4", "Bicycle theft"),
        ("2020-21", 1, "C9", "Drugs"),
    ],
)
def test_ytd_totals_match_a_plain_count(
    year: str, quarter: int, measure_id: str, crime_type: str
) -> None:
    raw = shared_path("data", "police-uk")
    plan = load_plan("city-of-london")
    fy = FinancialYear.parse(year)
    cleaned = clean.clean_all(plan, raw, fy, quarter)
    values = metrics.measure_values(plan, cleaned.tables, extracts.coverage(cleaned.inventory), fy)
    result = next(
        r
        for r in status.judge(plan, values, cleaned.inventory, fy, quarter)
        if r.measure.id == measure_id and r.quarter == quarter
    )
    months = [m for m in result.months]
    baseline_months = [str(pd.Period(m, freq="M") - 12) for m in months]
    assert result.ytd.actual == plain_count(raw, months, crime_type, set(CITY_LSOAS))
    assert result.ytd.baseline == plain_count(raw, baseline_months, crime_type, set(CITY_LSOAS))
    assert result.status == (
        "on_track" if result.ytd.actual <= result.ytd.baseline else "off_track"
    ) or (measure_id == "C9")


def test_top_five_locations_and_top_three_wards_follow_the_baseline_year() -> None:
    raw = shared_path("data", "police-uk")
    plan = load_plan("city-of-london")
    fy = FinancialYear.parse("2021-22")
    cleaned = clean.clean_all(plan, raw, fy, 1)
    values = metrics.measure_values(plan, cleaned.tables, extracts.coverage(cleaned.inventory), fy)
    damage: Counter[str] = Counter()
    asb: Counter[str] = Counter()
    for month in FinancialYear.parse("2020-21").months:
        path = raw / str(month) / f"{month}-city-of-london-street.csv"
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["LSOA code"] not in CITY_LSOAS:
                    continue
                if (
                    row["Crime type"] == "Criminal damage and arson"
                    and row["Location"] != "No Location"
                ):
                    damage[row["Location"]] += 1
                if row["Crime type"] == "Anti-social behaviour":
                    asb[CITY_LSOAS[row["LSOA code"]]] += 1
    top_locations = sorted(damage, key=lambda name: (-damage[name], name))[:5]
    top_wards = sorted(asb, key=lambda name: (-asb[name], name))[:3]
    items = values[(values["series"] == "breakdown")]
    assert set(items[items["measure_id"] == "C7"]["item"]) == {
        police_uk.tidy_location(n) for n in top_locations
    }
    assert set(items[items["measure_id"] == "C8"]["item"]) == set(top_wards)


def test_plan_area_matches_the_ons_lookup() -> None:
    lookup = pd.read_csv(shared_path("data", "ons", "ons_lsoa11_to_wd15_lookup_EW.csv"), dtype=str)
    city = lookup[lookup["LAD15NM"] == "City of London"].set_index("LSOA11CD")["WD15NM"].to_dict()
    assert load_plan("city-of-london").lsoas == city


@pytest.mark.parametrize(("year", "quarter"), [("2019-20", 4), ("2020-21", 4)])
def test_each_year_runs_to_its_last_quarter_with_data(
    year: str, quarter: int, tmp_path: Path
) -> None:
    """The library's steps, as the notebooks call them, for each year of the download."""
    run = QuarterRun.from_parameters(
        "city-of-london", year, quarter, shared_path("data", "police-uk"), tmp_path
    )
    clean_step.run(run)
    statuses = measure_step.run(run).statuses
    assert len(statuses) == len(load_plan("city-of-london").measures) * quarter
    current = statuses[statuses["quarter"] == f"Q{quarter}"]
    if year == "2019-20":
        assert set(current["status"]) == {"no_data"}
        assert current["reason"].str.contains("no data for Apr 2018 to Nov 2018").all()
    else:  # the lockdown months look incomplete; the plan accepts them, and the report says so
        assert set(current["status"]) <= {"on_track", "off_track"}
        html = "".join(render_step.run(run))
        assert "accepted by the analyst as real" in html
        assert "COVID-19: third national lockdown" in html


def test_the_latest_quarter_runs_on_the_months_there_are(city_q3: SimpleNamespace) -> None:
    """2021-22 Q3 through `csp run` (one run shared with the golden test): data up to November."""
    statuses = RunFolder(city_q3.processed).read_statuses()
    current = statuses[statuses["quarter"] == "Q3"]
    assert set(current["status"]) <= {"on_track", "off_track"}
    assert current["comment"].str.startswith("Figures up to Nov").all()
    assert "Moved most:" in " ".join(current["comment"])
    html = city_q3.dashboard.read_text(encoding="utf-8")
    assert "Rows left out, month by month" in html
    assert city_q3.dashboard.stat().st_size < 1_000_000


def test_any_number_of_forces_and_a_group_of_crime_types(tmp_path: Path) -> None:
    """Without a force, every force's file for a month is read; a group of types counts them all."""
    raw = tmp_path / "police-uk"
    for month in pd.period_range("2012-04", "2014-03", freq="M"):
        write_month(
            raw,
            str(month),
            [street_row(str(month), "Bicycle theft"), street_row(str(month), "Shoplifting")],
        )
        neighbour = raw / str(month) / f"{month}-metropolitan-street.csv"
        with neighbour.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            writer.writerow(street_row(str(month), "Theft from the person", lsoa="E01000001"))
    plan = {
        "plan": "two-forces",
        "years": ["2013-14"],
        "lsoas": {"E01032739": "Vintry", "E01000001": "Aldersgate"},
        "groups": {"acquisitive": ["Bicycle theft", "Shoplifting", "Theft from the person"]},
        "extracts": {"street": {"title": "Street crime", "source": "police_uk"}},
        "themes": [
            {
                "theme": "Acquisitive",
                "measures": [
                    {
                        "id": "A1",
                        "title": "Acquisitive crime",
                        "direction": "reduce",
                        "target": "baseline",
                        "metric": {
                            "kind": "count",
                            "sources": ["street"],
                            "where": {"crime_type": {"group": "acquisitive"}},
                        },
                    }
                ],
            }
        ],
    }
    path = tmp_path / "two-forces.yml"
    path.write_text(yaml.safe_dump(plan), encoding="utf-8")
    loaded = load_plan(path)
    year = FinancialYear.parse("2013-14")
    cleaned = clean.clean_all(loaded, raw, year, 1)
    assert (
        len(cleaned.inventory) == 24 * 2 - 18
    )  # two files a month: 12 baseline months, 3 this year
    values = metrics.measure_values(
        loaded, cleaned.tables, extracts.coverage(cleaned.inventory), year
    )
    result = next(
        r for r in status.judge(loaded, values, cleaned.inventory, year, 1) if r.quarter == 1
    )
    assert (result.ytd.actual, result.ytd.baseline) == (9, 9)
    assert result.status == "on_track"  # equal to last year's same months counts as on track
