"""Unit tests for samples/stockton/generate.py: a deterministic sample that is as messy as real extracts.

The `sample_raw` fixture is only read here; anything that writes goes to tmp_path.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest
from openpyxl import load_workbook

from csp import config
from csp.plan import Plan, load_plan
from csp.run.latest import latest_quarter

SAMPLE_DIR = (config.PROJECT_ROOT / "samples") / "stockton"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan("stockton")


def csv_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.csv"))}


def workbook_cells(path: Path) -> list[tuple[object, ...]]:
    return list(load_workbook(path, read_only=True).active.iter_rows(values_only=True))


def data_lines(path: Path) -> list[str]:
    """The file's lines after the header, line ends removed."""
    return path.read_text(encoding="utf-8-sig").splitlines()[1:]


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [
            row for row in csv.DictReader(handle) if any((v or "").strip() for v in row.values())
        ]


def availability() -> list[dict[str, str]]:
    with (SAMPLE_DIR / "availability.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# determinism ---------------------------------------------------------------------------------------


def test_same_seed_gives_identical_files(
    generator: ModuleType, sample_raw: Path, tmp_path: Path
) -> None:
    """Analysts compare reports run to run; a sample that changed would make that impossible."""
    again = tmp_path / "stockton"
    generator.write_sample(again)
    first, second = csv_files(sample_raw), csv_files(again)
    assert len(first) > 50
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []
    workbooks = sorted(p.relative_to(sample_raw) for p in sample_raw.rglob("*.xlsx"))
    assert workbooks == sorted(p.relative_to(again) for p in again.rglob("*.xlsx"))
    for name in workbooks:
        assert workbook_cells(sample_raw / name) == workbook_cells(again / name)


def test_another_seed_gives_other_records(
    generator: ModuleType, sample_raw: Path, tmp_path: Path
) -> None:
    other = tmp_path / "stockton"
    generator.write_sample(other, seed=7)
    name = "2011-12/Q1/police_crime.csv"
    assert (other / name).read_bytes() != (sample_raw / name).read_bytes()


# the mess real extracts carry ----------------------------------------------------------------------


def test_some_csv_has_a_blank_line(sample_raw: Path) -> None:
    blank = [p for p in sample_raw.rglob("*.csv") if "" in data_lines(p)]
    assert blank


def test_some_csv_repeats_a_row_exactly(sample_raw: Path) -> None:
    repeated = [
        p
        for p in sample_raw.rglob("*/Q*/*.csv")
        if any(n > 1 for line, n in Counter(data_lines(p)).items() if line)
    ]
    assert len(repeated) > 5


def test_dates_are_day_first(sample_raw: Path) -> None:
    dates = [
        row["Date Recorded"].strip()
        for path in sample_raw.glob("*/Q*/police_crime.csv")
        for row in rows_of(path)
    ]
    assert dates and all(re.fullmatch(r"\d{2}/\d{2}/\d{4}", d) for d in dates)
    assert any(int(d[:2]) > 12 for d in dates)  # unambiguously dd/mm, not mm/dd


def test_ward_spellings_vary(sample_raw: Path) -> None:
    wards = {
        row["Ward"] for path in sample_raw.glob("*/Q*/police_crime.csv") for row in rows_of(path)
    }
    assert "Mandale & Victoria" in wards
    assert "Mandale and Victoria" in wards
    assert any(w.isupper() for w in wards)


def test_some_cells_carry_stray_spaces(sample_raw: Path) -> None:
    padded = [
        value
        for path in sample_raw.glob("*/Q*/police_crime.csv")
        for row in rows_of(path)
        for value in row.values()
        if value and value != value.strip()
    ]
    assert padded


def test_rsl_extracts_are_excel_workbooks_with_dates(sample_raw: Path) -> None:
    workbooks = sorted(sample_raw.glob("*/Q*/rsl_asb.xlsx"))
    assert len(workbooks) == 6
    assert not list(sample_raw.rglob("rsl_asb.csv"))
    cells = workbook_cells(workbooks[0])
    assert cells[0] == ("Reference", "Date Reported", "Landlord", "Ward", "Complainant ID")
    dates = [row[1] for row in cells[1:] if row[0] is not None]
    assert dates and all(isinstance(d, dt.datetime) for d in dates)


# availability: unpublished and partial extracts ----------------------------------------------------


def test_unpublished_extracts_have_no_file(sample_raw: Path, plan: Plan) -> None:
    unpublished = [row for row in availability() if not row["data_to"]]
    assert unpublished
    for row in unpublished:
        folder = sample_raw.joinpath(*row["period"].split())  # a quarter's, or a year's (annual)
        assert not (folder / plan.extracts[row["source"]].file).exists()
    assert not (sample_raw / "2011-12" / "Q2" / "ndtms_clients.csv").exists()
    assert (sample_raw / "2011-12" / "Q1" / "ndtms_clients.csv").exists()


def test_partial_extracts_stop_at_their_month(sample_raw: Path, plan: Plan) -> None:
    partial = [row for row in availability() if row["data_to"]]
    assert partial
    for row in partial:
        spec = plan.extracts[row["source"]]
        year, quarter = row["period"].split()
        header = spec.columns[spec.date].header
        records = rows_of(sample_raw / year / quarter / spec.file)
        months = {
            dt.datetime.strptime(r[header].strip(), "%d/%m/%Y").strftime("%Y-%m") for r in records
        }
        assert max(months) == row["data_to"]


def test_ndtms_exits_q2_has_no_september_record(sample_raw: Path) -> None:
    records = rows_of(sample_raw / "2011-12" / "Q2" / "ndtms_exits.csv")
    months = Counter(r["Discharge Date"].strip()[3:] for r in records)
    assert months["07/2011"] > 0 and months["08/2011"] > 0
    assert months["09/2011"] == 0


# main(): never overwrite somebody's extracts -------------------------------------------------------


def test_main_refuses_a_folder_without_its_marker(
    generator: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Real extracts are personal data and irreplaceable; --force must not touch them either."""
    out = tmp_path / "stockton"
    out.mkdir()
    extract = out / "police_crime.csv"
    extract.write_text("Crime Reference\nCR/1\n", encoding="utf-8")
    for argv in (["--out", str(out)], ["--out", str(out), "--force"]):
        assert generator.main(argv) != 0
        assert sorted(p.name for p in out.iterdir()) == ["police_crime.csv"]
        assert extract.read_text(encoding="utf-8") == "Crime Reference\nCR/1\n"
    assert "leaving them alone" in capsys.readouterr().out


def test_main_keeps_a_sample_unless_forced(generator: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "stockton"
    assert generator.main(["--out", str(out)]) == 0
    stray = out / "2011-12" / "note.txt"
    stray.write_text("left by a test", encoding="utf-8")
    assert generator.main(["--out", str(out)]) == 0
    assert stray.exists()  # without --force the existing sample is left as it is
    assert generator.main(["--out", str(out), "--force"]) == 0
    assert not stray.exists()
    assert (out / generator.MARKER).exists()
    assert (out / "2011-12" / "Q2" / "police_crime.csv").exists()


def test_the_latest_quarter_of_the_sample_is_2011_12_q2(sample_raw: Path, plan: Plan) -> None:
    """`csp run --plan stockton --latest` on the bundled sample: Q2 is the last quarter with all its
    files, the annual perception survey accounted for by availability.csv (none was carried out
    in 2011-12, as the seed says), not missing; without that line no quarter would do."""
    year, quarter = latest_quarter(plan, sample_raw)
    assert (str(year), quarter) == ("2011-12", 2)
    rows = list(
        csv.DictReader((sample_raw / "2011-12" / "availability.csv").open(encoding="utf-8"))
    )
    assert [row["period"] for row in rows if row["source"] == "perception_survey"] == ["2011-12"]
