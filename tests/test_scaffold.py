"""`csp init`: a plan for any area from a police.uk download and the ONS lookups.

Small ONS lookups and police.uk files the tests write (LSOA codes of 2001, 2011 and 2021, named as the
real ones), then the real Cleveland download in ../shared.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
import yaml
from shared_data import cleveland_partnerships, shared_path

from csp import cli
from csp.errors import CspError
from csp.init import scaffold
from csp.inputs import ons
from csp.plan import load_plan
from csp.plan.quarter import QuarterRun
from csp.sources import police_uk
from csp.steps import clean as clean_step
from csp.steps import measure as measure_step
from csp.store.processed import RunFolder

HEADER = list(police_uk.COLUMNS.values())
STOCKTON_2001 = "E01012263"  # only in the 2001 lookup: ward (2011) Parkfield and Oxbridge
STOCKTON_2011 = "E01032542"  # only in the 2011 lookup: ward (2015) Hardwick and Salters Lane
STOCKTON_BOTH = "E01012233"  # in both: the newer ward, Ingleby Barwick West
STOCKTON_2021 = "E01035197"  # in neither (a 2021 code): ward not known
LSOA_NAMES = {
    STOCKTON_2001: "Stockton-on-Tees 014B",
    STOCKTON_2011: "Stockton-on-Tees 009F",
    STOCKTON_BOTH: "Stockton-on-Tees 022C",
    STOCKTON_2021: "Stockton-on-Tees 025A",
    "E01011951": "Hartlepool 007A",
    "E01027600": "Hambleton 001A",
    "E01027400": "Craven 001A",
    "E01027999": "Harrogate 001A",  # an authority the test's lookup does not list
}
# Each month: one code of each era in Stockton, a Hartlepool row, a row across the border in
# Hambleton (North Yorkshire) and one with No Location.
MONTH_ROWS = [
    (STOCKTON_2001, "Burglary"),
    (STOCKTON_2011, "Violence and sexual offences"),
    (STOCKTON_2011, "Anti-social behaviour"),
    (STOCKTON_BOTH, "Shoplifting"),
    (STOCKTON_2021, "Anti-social behaviour"),
    (STOCKTON_2021, "Burglary"),
    (STOCKTON_2021, "Vehicle crime"),
    ("E01011951", "Drugs"),
    ("E01027600", "Robbery"),
    ("", "Other theft"),
]
MONTHS = [str(m) for m in pd.period_range("2024-04", "2025-06", freq="M")]


def write_csv(path: Path, rows: list[list[str]], *, bom: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)
    return path


@pytest.fixture(scope="module")
def ons_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The three kinds of ONS lookup, named unlike the ONS's own files (they are found by columns)."""
    folder = tmp_path_factory.mktemp("ons")
    write_csv(
        folder / "lad-csp-pfa.csv",
        [
            ["FID", "LAD19CD", "LAD19NM", "CSP19CD", "CSP19NM", "PFA19CD", "PFA19NM"],
            ["1", "E06000001", "Hartlepool", "E22000027", "Hartlepool", "E23000013", "Cleveland"],
            [
                "2",
                "E06000004",
                "Stockton-on-Tees",
                "E22000030",
                "Stockton-on-Tees",
                "E23000013",
                "Cleveland",
            ],
            [
                "3",
                "E06000002",
                "Middlesbrough",
                "E22000029",
                "Middlesbrough",
                "E23000013",
                "Cleveland",
            ],
            [
                "4",
                "E07000164",
                "Hambleton",
                "E22000372",
                "North Yorkshire",
                "E23000009",
                "North Yorkshire",
            ],
            [
                "5",
                "E07000163",
                "Craven",
                "E22000372",
                "North Yorkshire",
                "E23000009",
                "North Yorkshire",
            ],
        ],
        bom=True,
    )
    lsoa11 = ["LSOA11CD", "LSOA11NM", "WD15CD", "WD15NM", "WD15NMW", "LAD15CD", "LAD15NM", "FID"]
    write_csv(
        folder / "lsoa11-wards.csv",
        [
            lsoa11,
            [
                STOCKTON_2011,
                LSOA_NAMES[STOCKTON_2011],
                "E05001",
                "Hardwick and Salters Lane",
                "",
                "E06000004",
                "Stockton-on-Tees",
                "1",
            ],
            [
                STOCKTON_BOTH,
                LSOA_NAMES[STOCKTON_BOTH],
                "E05002",
                "Ingleby Barwick West",
                "",
                "E06000004",
                "Stockton-on-Tees",
                "2",
            ],
            [
                "E01011951",
                "Hartlepool 007A",
                "E05003",
                "Burn Valley",
                "",
                "E06000001",
                "Hartlepool",
                "3",
            ],
            ["E01027600", "Hambleton 001A", "E05004", "Central", "", "E07000164", "Hambleton", "4"],
            ["E01027400", "Craven 001A", "E05005", "Central", "", "E07000163", "Craven", "5"],
        ],
    )
    write_csv(
        folder / "lsoa01-wards.csv",
        [
            ["LSOA01CD", "LSOA01NM", "WD11CD", "WD11CDO", "WD11NM", "FID"],
            [
                STOCKTON_2001,
                LSOA_NAMES[STOCKTON_2001],
                "E05010",
                "00EF",
                "Parkfield and Oxbridge",
                "1",
            ],
            [
                STOCKTON_BOTH,
                LSOA_NAMES[STOCKTON_BOTH],
                "E05011",
                "00EG",
                "Ingleby Barwick East",
                "2",
            ],
        ],
    )
    return folder


def street_row(
    month: str, code: str, crime_type: str, force: str = "Cleveland Police"
) -> list[str]:
    located = bool(code)
    return [
        "" if crime_type == "Anti-social behaviour" else f"id-{month}-{code}-{crime_type}",
        month,
        force,
        force,
        "-1.3" if located else "",
        "54.5" if located else "",
        "On or near High Street" if located else "No Location",
        code,
        LSOA_NAMES.get(code, ""),
        crime_type,
        "",
        "",
    ]


@pytest.fixture(scope="module")
def download(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Cleveland's files, Apr 2024 to Jun 2025, and one month of North Yorkshire's."""
    raw = tmp_path_factory.mktemp("police-uk")
    for month in MONTHS:
        rows = [street_row(month, code, crime_type) for code, crime_type in MONTH_ROWS]
        write_csv(raw / month / f"{month}-cleveland-street.csv", [HEADER, *rows])
    north = [
        street_row("2025-01", code, "Burglary", "North Yorkshire Police")
        for code in ("E01027600", "E01027400", "E01027400", "E01027999")
    ]
    write_csv(raw / "2025-01" / "2025-01-north-yorkshire-street.csv", [HEADER, *north])
    return raw


def request(
    tmp_path: Path, download: Path, ons_dir: Path, **changes: object
) -> scaffold.InitRequest:
    settings: dict[str, object] = {
        "plan": str(tmp_path / "stockton-area.yml"),
        "police_force": "Cleveland Police",
        "area": "stockton-on-tees",
        "raw_dir": download,
        "ons_dir": ons_dir,
    }
    return scaffold.InitRequest(**{**settings, **changes})  # type: ignore[arg-type]


def written_yaml(path: Path) -> dict[str, object]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_lsoas_of_every_era_get_their_ward_from_the_lookups(
    tmp_path: Path, download: Path, ons_dir: Path
) -> None:
    """2001 and 2011 codes get the ward of the newest lookup that holds them; a 2021 code no
    lookup holds is in the area with its ward not known; other areas' LSOAs are left out."""
    [written] = scaffold.init(request(tmp_path, download, ons_dir))
    plan = written_yaml(written.path)
    assert plan["lsoas"] == {
        STOCKTON_2001: "Parkfield and Oxbridge",
        STOCKTON_BOTH: "Ingleby Barwick West",
        STOCKTON_2011: "Hardwick and Salters Lane",
        STOCKTON_2021: None,
    }
    assert (written.lsoas, written.wards, written.unknown_lsoas) == (4, 3, 1)
    assert written.unknown_rows == 3 * len(MONTHS)
    text = written.path.read_text(encoding="utf-8")
    assert "# LSOA (2011) -> ward (2015), from lsoa11-wards.csv" in text
    assert "# LSOA (2001) -> ward (2011), from lsoa01-wards.csv" in text
    assert "# In no ONS lookup (2021 codes): in the area, ward not known (null)" in text


def test_the_plan_holds_the_standard_measures_and_the_download(
    tmp_path: Path, download: Path, ons_dir: Path
) -> None:
    [written] = scaffold.init(request(tmp_path, download, ons_dir))
    plan = written_yaml(written.path)
    assert plan["plan"] == "stockton-area"
    assert plan["area"] == "Stockton-on-Tees"
    assert (plan["year_start"], plan["years"]) == ("april", ["2024-25", "2025-26"])
    assert plan["raw_dir"] == str(download)
    assert plan["extracts"]["street_crime"]["options"] == {"force": "cleveland"}
    assert plan["extracts"]["street_crime"]["partner"] == "Cleveland Police (data.police.uk)"
    measures = {m["id"]: m for theme in plan["themes"] for m in theme["measures"]}
    assert sorted(measures, key=lambda i: int(i[1:])) == [f"P{n}" for n in range(1, 11)]
    types = {i: m["metric"]["where"]["crime_type"] for i, m in measures.items()}
    assert types["P1"] == {"not": "Anti-social behaviour"}
    assert types["P2"] == "Anti-social behaviour"
    assert types["P3"] == "Violence and sexual offences"
    assert [types[f"P{n}"] for n in range(4, 11)] == [
        "Burglary",
        "Criminal damage and arson",
        "Drugs",
        "Vehicle crime",
        "Shoplifting",
        "Robbery",
        "Possession of weapons",
    ]
    for measure in measures.values():
        assert (measure["direction"], measure["target"]) == ("reduce", "baseline")
    breakdowns = {i: m["metric"].get("breakdown") for i, m in measures.items()}
    assert breakdowns.pop("P1") == breakdowns.pop("P2") == {"by": ["ward"], "top": 5}
    assert set(breakdowns.values()) == {None}
    loaded = load_plan(written.path)
    assert loaded.lsoas[STOCKTON_2021] is None
    assert "Violent crime" in loaded.measures[2].metric.where[0].values  # P3 in both eras


def test_a_january_plan_lists_calendar_years(tmp_path: Path, download: Path, ons_dir: Path) -> None:
    [written] = scaffold.init(request(tmp_path, download, ons_dir, year_start="january"))
    plan = written_yaml(written.path)
    assert (plan["year_start"], plan["years"]) == ("january", ["2024", "2025"])
    assert written.next_run.endswith("--year 2025 --quarter 2")
    assert len(plan["lsoas"]) == 4


def test_an_april_plan_runs_with_unknown_wards_in_the_totals(
    tmp_path: Path, download: Path, ons_dir: Path
) -> None:
    """2025-26 Q1: every row of the area counts, 2021 codes too; no ward item is 'not known';
    the cleaning log says how many rows had no ward, and why."""
    [written] = scaffold.init(request(tmp_path, download, ons_dir))
    run = QuarterRun.from_parameters(str(written.path), "2025-26", 1, download, tmp_path / "out")
    cleaned = clean_step.run(run)
    table = cleaned.tables["street_crime"]
    assert table.loc[table["lsoa_code"] == STOCKTON_2021, "ward"].isna().all()
    assert table["lsoa_code"].isin([STOCKTON_2001, STOCKTON_2011, STOCKTON_BOTH]).sum() == 4 * 15
    log = RunFolder(tmp_path / "out").read_cleaning_log()
    unknown = log[log["code"] == "ward_not_known"]
    assert unknown["rows"].sum() == 3 * 15
    assert set(unknown["detail"]) == {STOCKTON_2021}
    assert "LSOA code not in the ONS lookup (2021 codes)" in unknown["change"].iloc[0]
    measured = measure_step.run(run)
    q1 = measured.statuses.set_index("measure_id")
    assert q1.loc["P1", ["actual", "baseline"]].tolist() == [5 * 3, 5 * 3]
    assert q1.loc["P2", "actual"] == 2 * 3
    assert q1.loc["P1", "status"] == "on_track"  # equal to the baseline is on track
    items = measured.breakdowns.groupby("measure_id")["item"].apply(set)
    assert items["P1"] == {
        "Parkfield and Oxbridge",
        "Hardwick and Salters Lane",
        "Ingleby Barwick West",
    }
    assert items["P2"] == {"Hardwick and Salters Lane"}


def test_a_partnership_of_two_authorities_tells_their_wards_apart(
    tmp_path: Path, download: Path, ons_dir: Path
) -> None:
    """North Yorkshire's partnership: Hambleton and Craven both have a ward called Central."""
    [written] = scaffold.init(
        request(tmp_path, download, ons_dir, police_force="north-yorkshire", area="north yorkshire")
    )
    assert written_yaml(written.path)["lsoas"] == {
        "E01027400": "Central (Craven)",
        "E01027600": "Central (Hambleton)",
    }
    assert written.area == "North Yorkshire"
    assert written.notes == (
        "authorities in LSOA names the ONS lookup does not list, in no plan: Harrogate (1 row)",
    )


def test_a_download_from_before_may_2013_warns_that_weapons_were_not_apart(
    tmp_path: Path, ons_dir: Path
) -> None:
    raw = tmp_path / "police-uk"
    for month, violence in (("2013-03", "Violent crime"), ("2013-05", "Possession of weapons")):
        rows = [street_row(month, STOCKTON_2001, violence)]
        write_csv(raw / month / f"{month}-cleveland-street.csv", [HEADER, *rows])
    [written] = scaffold.init(request(tmp_path, raw, ons_dir))
    assert written.years == ("2012-13", "2013-14")
    assert "P10 (possession of weapons) counts nothing before then" in written.notes[0]
    assert load_plan(written.path).lsoas == {STOCKTON_2001: "Parkfield and Oxbridge"}


def test_an_unknown_area_lists_the_close_matches(
    tmp_path: Path, download: Path, ons_dir: Path
) -> None:
    with pytest.raises(CspError, match="did you mean: Stockton-on-Tees") as caught:
        scaffold.init(request(tmp_path, download, ons_dir, area="Stokton"))
    assert "no local authority or Community Safety Partnership 'Stokton'" in str(caught.value)
    assert not (tmp_path / "stockton-area.yml").exists()
    with pytest.raises(CspError, match="--all-areas writes a plan for each"):
        scaffold.init(request(tmp_path, download, ons_dir, area="Cleveland"))


def test_an_area_with_no_rows_in_the_download_is_refused(
    tmp_path: Path, download: Path, ons_dir: Path
) -> None:
    with pytest.raises(CspError) as caught:
        scaffold.init(request(tmp_path, download, ons_dir, area="Middlesbrough"))
    message = str(caught.value)
    assert message.startswith("the download has no rows in Middlesbrough")
    assert "hold rows in Stockton-on-Tees, Hambleton, Hartlepool" in message


def test_an_area_of_another_force_is_refused(tmp_path: Path, download: Path, ons_dir: Path) -> None:
    """Hambleton's rows in Cleveland's files are crimes across the border, not Hambleton's."""
    with pytest.raises(CspError, match="Hambleton is policed by North Yorkshire"):
        scaffold.init(request(tmp_path, download, ons_dir, area="Hambleton"))


def test_a_force_with_no_files_names_the_forces_there(
    tmp_path: Path, download: Path, ons_dir: Path
) -> None:
    with pytest.raises(CspError, match="forces there: cleveland, north-yorkshire"):
        scaffold.init(request(tmp_path, download, ons_dir, police_force="Durham"))


def test_an_existing_plan_is_replaced_only_when_asked(
    tmp_path: Path, download: Path, ons_dir: Path
) -> None:
    path = tmp_path / "stockton-area.yml"
    path.write_text("plan: mine\n", encoding="utf-8")
    with pytest.raises(CspError, match="already exists: --force to replace it"):
        scaffold.init(request(tmp_path, download, ons_dir))
    assert path.read_text(encoding="utf-8") == "plan: mine\n"
    scaffold.init(request(tmp_path, download, ons_dir, overwrite=True))
    assert written_yaml(path)["plan"] == "stockton-area"


def test_missing_lookups_say_where_to_get_them(tmp_path: Path, download: Path) -> None:
    with pytest.raises(CspError, match="Open Geography Portal"):
        scaffold.init(request(tmp_path, download, tmp_path / "no-ons"))


def test_names_are_compared_as_lsoa_names_spell_them() -> None:
    assert ons.authority_name("Stockton-on-Tees 001A") == "Stockton-on-Tees"
    assert ons.normalised("Kingston upon Hull, City of") == ons.normalised("kingston upon hull")
    assert ons.normalised("The Vale of Glamorgan") == ons.normalised("Vale of Glamorgan")
    assert scaffold.force_slug("Devon & Cornwall Police") == "devon-and-cornwall"
    assert scaffold.slug("Redcar and Cleveland") == "redcar-and-cleveland"


def test_csp_init_on_the_command_line(
    tmp_path: Path, download: Path, ons_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["init", str(tmp_path / "stockton-area.yml"), "--police-force", "cleveland"]
    folders = ["--raw-dir", str(download), "--ons-dir", str(ons_dir)]
    assert cli.main([*args, "--area", "Stockton-on-Tees", *folders]) == 0
    out = capsys.readouterr().out
    assert "Stockton-on-Tees, 4 LSOAs in 3 wards; 1 LSOA (45 rows) in no ONS lookup" in out
    assert "next: csp run --plan stockton-area --year 2025-26 --quarter 1" in out
    assert cli.main([*args, "--area", "Stockton-on-Tees", *folders]) == 1
    assert "already exists" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # the area, or --all-areas, is required
        cli.main([*args, *folders])


# --- the real Cleveland download ------------------------------------------------------------------

CLEVELAND_2021_ONLY = [f"E010351{n}" for n in range(97, 100)] + [
    f"E01035{n}" for n in range(200, 205)
]


@pytest.fixture(scope="module")
def cleveland_plans(tmp_path_factory: pytest.TempPathFactory) -> list[scaffold.Written]:
    folder = tmp_path_factory.mktemp("plans")
    return cleveland_partnerships(folder / "cleveland.yml")


def test_all_areas_writes_a_plan_per_cleveland_partnership(
    cleveland_plans: list[scaffold.Written],
) -> None:
    assert [w.path.stem for w in cleveland_plans] == [
        "cleveland-hartlepool",
        "cleveland-middlesbrough",
        "cleveland-redcar-and-cleveland",
        "cleveland-stockton-on-tees",
    ]
    for written in cleveland_plans:
        plan = load_plan(written.path)
        assert plan.name == written.path.stem
        assert [str(y) for y in plan.years] == ["2023-24", "2024-25", "2025-26"]
        assert len(plan.measures) == 10
    stockton = load_plan(cleveland_plans[-1].path)
    assert len(stockton.lsoas) == 124
    assert sorted(c for c, ward in stockton.lsoas.items() if ward is None) == CLEVELAND_2021_ONLY
    assert len(stockton.wards) == 26
    assert cleveland_plans[-1].unknown_rows == 5311  # as SOURCES.md counts them


def test_a_cleveland_quarter_says_which_baseline_months_are_missing(
    cleveland_plans: list[scaffold.Written], tmp_path: Path
) -> None:
    """2025-26 Q1 has Apr-Jun 2025, but its baseline year 2024-25 lacks May to December 2024: no
    data, naming the months. The 2021 codes' rows are counted, with the reason."""
    raw = shared_path("data", "police-uk-cleveland")
    run = QuarterRun.from_parameters(str(cleveland_plans[-1].path), "2025-26", 1, raw, tmp_path)
    clean_step.run(run)
    statuses = measure_step.run(run).statuses
    assert set(statuses["status"]) == {"no_data"}
    assert statuses["reason"].str.contains("no data for May 2024 to Jun 2024").all()
    log = RunFolder(tmp_path).read_cleaning_log()
    expected = 0
    for month in ["2024-04", "2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]:
        with (raw / month / f"{month}-cleveland-street.csv").open(encoding="utf-8-sig") as handle:
            expected += sum(
                row["LSOA code"] in CLEVELAND_2021_ONLY for row in csv.DictReader(handle)
            )
    assert log.loc[log["code"] == "ward_not_known", "rows"].sum() == expected


def test_the_lookups_default_to_data_raw_ons_else_an_ons_folder_beside_the_download(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`csp init --raw-dir ../shared/data/police-uk-cleveland` finds ../shared/data/ons by itself."""
    monkeypatch.setattr(scaffold, "DEFAULT_ONS_DIR", str(tmp_path / "project" / "ons"))
    download = tmp_path / "data" / "police-uk-cleveland"
    download.mkdir(parents=True)
    assert scaffold.ons_folder(None, download) == tmp_path / "project" / "ons"  # for the message
    (tmp_path / "data" / "ons").mkdir()
    assert scaffold.ons_folder(None, download) == tmp_path / "data" / "ons"
    (tmp_path / "project" / "ons").mkdir(parents=True)
    assert scaffold.ons_folder(None, download) == tmp_path / "project" / "ons"
    assert scaffold.ons_folder(str(tmp_path / "x"), download) == tmp_path / "x"


def independent_counts(area: str, months: list[str]) -> tuple[int, int]:
    """Rows whose police.uk LSOA name is in `area` (2021 codes included), counted with the csv
    module: all crime but ASB, and ASB."""
    raw = shared_path("data", "police-uk-cleveland")
    crime = asb = 0
    for month in months:
        with (raw / month / f"{month}-cleveland-street.csv").open(encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                if row["LSOA name"].rsplit(" ", 1)[0] == area:
                    asb += row["Crime type"] == "Anti-social behaviour"
                    crime += row["Crime type"] != "Anti-social behaviour"
    return crime, asb


@pytest.mark.parametrize("area", ["Stockton-on-Tees", "Hartlepool"])
def test_init_then_run_a_calendar_year_judges_q1_and_names_the_gap_in_q2(
    area: str, tmp_path: Path
) -> None:
    """The issue's two commands, as the library runs them: `csp init --year-start january`, then
    2025 Q2. Q1 is January to March 2025 against the same months of 2024, counted as an
    independent count counts them; Q2's baseline lacks May and June 2024."""
    raw = shared_path("data", "police-uk-cleveland")
    [written] = scaffold.init(
        scaffold.InitRequest(
            plan=str(tmp_path / "area.yml"),
            police_force="cleveland",
            area=area,
            year_start="january",
            raw_dir=raw,
            ons_dir=shared_path("data", "ons"),
        )
    )
    run = QuarterRun.from_parameters(str(written.path), "2025", 2, raw, tmp_path / "processed")
    clean_step.run(run)
    statuses = measure_step.run(run).statuses.set_index(["measure_id", "quarter"])
    assert {"status", "actual", "baseline", "target"} <= set(statuses.columns)
    crime, asb = independent_counts(area, ["2025-01", "2025-02", "2025-03"])
    crime_before, asb_before = independent_counts(area, ["2024-01", "2024-02", "2024-03"])
    assert statuses.loc[("P1", "Q1"), ["actual", "baseline"]].tolist() == [crime, crime_before]
    assert statuses.loc[("P2", "Q1"), ["actual", "baseline"]].tolist() == [asb, asb_before]
    q2 = statuses.xs("Q2", level="quarter")
    assert set(q2["status"]) == {"no_data"}
    assert q2["reason"].str.contains("no data for May 2024 to Jun 2024").all()
