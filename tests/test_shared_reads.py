"""A police.uk read kept for every plan of the same files (`csp.sources.shared_reads`): a second plan's
cleaning loads it instead of reading the files, and gives what its own read would give; a changed
file, a damaged entry or a folder that cannot be written never give a wrong or failed run."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
import yaml

from csp import config
from csp.domain.periods import FinancialYear
from csp.engine import clean
from csp.engine.clean import Cleaned
from csp.plan import load_plan
from csp.sources import police_uk

HEADER = list(police_uk.COLUMNS.values())
NAMES = {"E01032739": "City of London 001F", "E01000001": "City of London 001A"}
YEAR = FinancialYear.parse("2013-14")


def write_month(raw: Path, month: str, extra: int = 0) -> Path:
    """A month's file: rows in two City LSOAs (one plan's each), one with no location."""
    path = raw / month / f"{month}-city-of-london-street.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        [f"id-{month}-{n}", month, "City of London Police", "City of London Police", "-0.09",
         "51.51", f"On or near Street {n}", lsoa, NAMES[lsoa], crime, "", ""]
        for n, (lsoa, crime) in enumerate(
            [("E01032739", "Burglary"), ("E01000001", "Drugs"), ("E01000001", "Robbery")]
            + [("E01032739", "Drugs")] * extra
        )
    ]  # fmt: skip
    rows.append(["", month, "City of London Police", "", "", "", "No Location", "", "",
                 "Anti-social behaviour", "", ""])  # fmt: skip
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    return path


def write_plan(folder: Path, name: str, lsoa: str) -> Path:
    plan = {
        "plan": name,
        "years": ["2012-13", "2013-14"],
        "lsoas": {lsoa: "Ward"},
        "extracts": {"street": {"title": "Street crime", "source": "police_uk"}},
        "themes": [
            {
                "theme": "All",
                "measures": [
                    {
                        "id": "A1",
                        "title": "All crime",
                        "direction": "reduce",
                        "target": "baseline",
                        "metric": {"kind": "count", "sources": ["street"]},
                    }
                ],
            }
        ],
    }
    path = folder / f"{name}.yml"
    path.write_text(yaml.safe_dump(plan), encoding="utf-8")
    return path


@pytest.fixture
def download(tmp_path: Path) -> Path:
    raw = tmp_path / "police-uk"
    for month in pd.period_range("2012-04", "2013-06", freq="M"):
        write_month(raw, str(month))
    return raw


@pytest.fixture
def kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "kept"
    monkeypatch.setenv("CSP_SHARED_READS_DIR", str(folder))
    return folder


def cleaned(plan: Path, raw: Path) -> Cleaned:
    return clean.clean_all(load_plan(plan), raw, YEAR, 1)


def assert_same(one: Cleaned, other: Cleaned) -> None:
    for name, table in one.tables.items():
        pd.testing.assert_frame_equal(table, other.tables[name])
    pd.testing.assert_frame_equal(one.inventory, other.inventory)
    pd.testing.assert_frame_equal(one.log, other.log)
    pd.testing.assert_frame_equal(one.completeness, other.completeness)


def test_a_second_plan_of_the_same_files_loads_the_first_ones_read(
    tmp_path: Path, download: Path, kept: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    east = write_plan(tmp_path, "east", "E01032739")
    west = write_plan(tmp_path, "west", "E01000001")
    cleaned(east, download)
    assert len(list(kept.glob("*.arrow"))) == 1
    with monkeypatch.context() as patch:
        patch.setenv("CSP_SHARED_READS_DIR", "")  # not kept: west's own read
        own = cleaned(west, download)

    def no_reading(*args: object) -> None:
        raise AssertionError("the files were read again")

    monkeypatch.setattr(police_uk.PoliceUkSource, "read_files", no_reading)
    shared = cleaned(west, download)
    assert_same(shared, own)
    assert len(shared.tables["street"]) == 2 * 15  # west's two rows a month
    assert set(shared.inventory["rows_read"]) == {4}  # each file's rows as read, all four
    assert len(list(kept.glob("*.arrow"))) == 1


def test_a_changed_file_is_read_again(tmp_path: Path, download: Path, kept: Path) -> None:
    east = write_plan(tmp_path, "east", "E01032739")
    before = cleaned(east, download)
    write_month(download, "2013-04", extra=2)
    after = cleaned(east, download)
    assert len(after.tables["street"]) == len(before.tables["street"]) + 2
    assert len(list(kept.glob("*.arrow"))) == 2


def test_a_damaged_entry_is_read_again(tmp_path: Path, download: Path, kept: Path) -> None:
    east = write_plan(tmp_path, "east", "E01032739")
    first = cleaned(east, download)
    [entry] = kept.glob("*.arrow")
    entry.write_bytes(entry.read_bytes()[:100])
    assert_same(cleaned(east, download), first)
    assert entry.stat().st_size > 100  # kept again, whole


def test_a_folder_that_cannot_be_written_leaves_the_run_reading_its_files(
    tmp_path: Path, download: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("CSP_SHARED_READS_DIR", str(blocked / "kept"))
    assert config.shared_reads_dir() == blocked / "kept"
    east = write_plan(tmp_path, "east", "E01032739")
    monkeypatch.setenv("CSP_SHARED_READS_DIR", "")
    own = cleaned(east, download)
    monkeypatch.setenv("CSP_SHARED_READS_DIR", str(blocked / "kept"))
    assert_same(cleaned(east, download), own)
