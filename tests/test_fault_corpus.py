"""A fault corpus: partial, damaged and contradictory inputs, each with the outcome it must get.

Each case copies the bundled sample (or a few months of the real police.uk download), damages it as
a partner or a browser would, and runs the clean and measure steps as the notebooks call them. The
outcome is one of: `no_data` for the measures it feeds, with the reason naming source and month;
or a refusal naming the file (and row and column where there is one). A status never moves
silently. (Reading faults, encodings and shapes, are in test_fault_corpus_reading.py; killed and
concurrent runs in test_run_guards.py.)
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from csp.errors import CspError
from csp.plan.quarter import QuarterRun
from csp.steps import clean, measure
from csp.store.processed import RunFolder

Damage = Callable[[Path], None]


def rewrite_rows(
    path: Path, change: Callable[[list[dict[str, str]]], list[dict[str, str]]]
) -> None:
    """Rewrite a CSV extract's data rows, keeping its header."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        fields, rows = list(reader.fieldnames or []), list(reader)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(change(rows))


def keep_lines(path: Path, share: float) -> None:
    """The file cut at a line boundary, as a transfer that stopped part way leaves it."""
    lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    path.write_text("".join(lines[: max(1, int(len(lines) * share))]), encoding="utf-8")


def set_column(column: str, value: str, every: int = 1) -> Callable[[list[dict]], list[dict]]:
    def change(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        for number, row in enumerate(rows):
            if number % every == 0:
                row[column] = value
        return rows

    return change


def sorted_by_date(rows: list[dict[str, str]], column: str) -> list[dict[str, str]]:
    return sorted(rows, key=lambda row: pd.to_datetime(row[column], dayfirst=True))


def q2(raw: Path, name: str) -> Path:
    return raw / "2011-12" / "Q2" / name


@dataclass(frozen=True)
class NoData:
    """The measures must show no data, with a reason containing `reason`."""

    measures: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class CarriedOn:
    """The run must carry on, logging the clean-up as a data-quality fact about `file`."""

    code: str
    file: str


@dataclass(frozen=True)
class Refused:
    """The run must stop naming `file` and saying `problem` (and the row and column, if given)."""

    file: str
    problem: str
    row: int | None = None
    column: str | None = None


PARTNER_CASES: dict[str, tuple[Damage, NoData | Refused | CarriedOn]] = {
    "extract cut at a line boundary, records sorted by date": (
        lambda raw: (
            rewrite_rows(
                q2(raw, "police_crime.csv"), lambda rows: sorted_by_date(rows, "Date Recorded")
            ),
            keep_lines(q2(raw, "police_crime.csv"), 0.5),
        ),
        NoData(("3.1", "3.2", "5.1"), "police_crime Aug 2011: records stop at"),
    ),
    "extract cut at a line boundary, records in no order": (
        lambda raw: keep_lines(q2(raw, "police_crime.csv"), 0.5),
        NoData(("3.1", "3.2"), "looks incomplete"),
    ),
    "header-only extract": (
        lambda raw: keep_lines(q2(raw, "section27.csv"), 0.0),
        NoData(("2.1",), "section27 Jul 2011: section27.csv has no data rows"),
    ),
    "a month of an extract missing in the middle": (
        lambda raw: rewrite_rows(
            q2(raw, "police_asb.csv"),
            lambda rows: [r for r in rows if "/08/2011" not in r["Incident Date"]],
        ),
        NoData(("1.3",), "police_asb Aug 2011: 0 records, 0% of the usual"),
    ),
    "a third of the records, evenly thinned": (
        lambda raw: rewrite_rows(q2(raw, "police_crime.csv"), lambda rows: rows[::3]),
        NoData(("3.1",), "of the usual"),
    ),
    "caller ID column blanked": (
        lambda raw: rewrite_rows(q2(raw, "police_asb.csv"), set_column("Caller ID", "")),
        NoData(("1.1",), "Caller ID blank in 100%"),
    ),
    "ward column blanked": (
        lambda raw: rewrite_rows(q2(raw, "police_crime.csv"), set_column("Ward", "", every=1)),
        Refused("police_crime.csv", "ward value is empty", row=2, column="Ward"),
    ),
    "a late record dated before the file's quarter": (
        lambda raw: rewrite_rows(
            q2(raw, "section27.csv"), set_column("Date Issued", "20/06/2011", every=1000)
        ),
        CarriedOn("outside_period", "section27.csv"),
    ),
    "stray spaces around values": (
        lambda raw: rewrite_rows(
            q2(raw, "section27.csv"), set_column("Location", "  High Street  ", every=2)
        ),
        CarriedOn("spaces_trimmed", "section27.csv"),
    ),
    "baseline-year extract cut short": (
        lambda raw: keep_lines(raw / "2010-11" / "Q3" / "police_crime.csv", 0.3),
        NoData(("3.1", "3.2"), "police_crime Dec 2010"),
    ),
    "a row dated after the file's quarter": (
        lambda raw: rewrite_rows(
            q2(raw, "section27.csv"), set_column("Date Issued", "15/11/2011", every=1000)
        ),
        Refused("section27.csv", "after the file's period", row=2, column="Date Issued"),
    ),
    "a row dated in the future": (
        lambda raw: rewrite_rows(
            q2(raw, "marac.csv"), set_column("Conference Date", "01/01/2099", every=1000)
        ),
        Refused("marac.csv", "in the future", row=2),
    ),
    "a negative count": (
        lambda raw: rewrite_rows(
            raw / "2010-11" / "perception_survey.csv", set_column("Respondents", "-1104")
        ),
        Refused(
            "perception_survey.csv", "below 0, the least possible", row=2, column="Respondents"
        ),
    ),
    "a percentage over 100": (
        lambda raw: rewrite_rows(
            raw / "2010-11" / "perception_survey.csv", set_column("Percent Agreeing", "250")
        ),
        Refused("perception_survey.csv", "above 100, the most possible", column="Percent Agreeing"),
    ),
    "two copies of one extract, as a browser names the second": (
        lambda raw: shutil.copy(q2(raw, "marac.csv"), q2(raw, "marac (1).csv")),
        Refused("marac (1).csv", "a second file for marac 2011-12 Q2 beside marac.csv"),
    ),
    "the same extract as CSV and as a workbook": (
        lambda raw: shutil.copy(q2(raw, "rsl_asb.xlsx"), q2(raw, "rsl_asb.csv")),
        Refused("rsl_asb.csv", "a second file for rsl_asb"),
    ),
    "only a copy named like a second download": (
        lambda raw: q2(raw, "marac.csv").rename(q2(raw, "marac - Copy.csv")),
        Refused("marac - Copy.csv", "named like a copy of marac.csv, which is not there"),
    ),
    "commentary for a measure the plan does not have": (
        lambda raw: (
            (raw / "2011-12" / "commentary.csv")
            .open("a", encoding="utf-8")
            .write('9.9,Q2,"A note for a measure that is not there"\n')
        ),
        Refused("commentary.csv", "'9.9' is not a measure of the plan", column="measure"),
    ),
}


def run_steps(
    raw: Path, out: Path, plan: str = "stockton", year: str = "2011-12", quarter: int = 2
):
    run = QuarterRun.from_parameters(plan, year, quarter, raw, out)
    clean.run(run)
    return measure.run(run).statuses


def check(
    outcome: NoData | Refused | CarriedOn, act: Callable[[], pd.DataFrame], out: Path
) -> None:
    if isinstance(outcome, CarriedOn):
        act()
        log = RunFolder(out).read_cleaning_log()
        facts = log[(log["code"] == outcome.code) & log["file"].str.endswith(outcome.file)]
        assert len(facts) and facts["rows"].sum() > 0, log
        return
    if isinstance(outcome, Refused):
        with pytest.raises(CspError) as refused:
            act()
        message = str(refused.value)
        assert outcome.file in message and outcome.problem in message, message
        if outcome.row is not None:
            assert refused.value.row == outcome.row, message
        if outcome.column is not None:
            assert refused.value.column == outcome.column, message
        return
    statuses = act()
    latest = statuses[statuses["quarter"] == statuses["quarter"].max()].set_index("measure_id")
    for measure_id in outcome.measures:
        row = latest.loc[measure_id]
        assert row["status"] == "no_data", f"{measure_id}: {row['status']} ({row['reason']})"
        assert outcome.reason in row["reason"], f"{measure_id}: {row['reason']}"


@pytest.mark.parametrize("case", list(PARTNER_CASES))
def test_a_damaged_partner_extract_never_moves_a_status_silently(
    case: str, sample_raw: Path, tmp_path: Path
) -> None:
    damage, outcome = PARTNER_CASES[case]
    raw = tmp_path / "raw"
    shutil.copytree(sample_raw, raw)
    damage(raw)
    check(outcome, lambda: run_steps(raw, tmp_path / "processed"), tmp_path / "processed")


def test_the_bundled_sample_has_no_month_in_doubt(stockton_run) -> None:
    """The checks do not cry wolf: every month of the sample is judged on its data."""
    table = RunFolder(stockton_run.processed / "Q2").read_completeness()
    assert len(table) > 100
    assert (table["code"] == "").all(), table[table["code"] != ""]


def test_an_accepted_month_is_judged_and_the_acceptance_is_shown(
    sample_raw: Path, tmp_path: Path
) -> None:
    """An analyst who knows a month is real says so in availability.csv; its measures are judged
    again and the data-quality facts carry the note."""
    raw = tmp_path / "raw"
    shutil.copytree(sample_raw, raw)
    rewrite_rows(
        q2(raw, "police_asb.csv"),
        lambda rows: [r for r in rows if "/08/2011" not in r["Incident Date"]],
    )
    note = "Control room system down in August: no incidents logged"

    def accept(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        return [*rows, {"source": "police_asb", "period": "Q2", "note": note, "accept": "2011-08"}]

    availability = raw / "2011-12" / "availability.csv"
    availability.write_text(
        availability.read_text(encoding="utf-8").replace("data_to\n", "data_to,accept\n", 1),
        encoding="utf-8",
    )
    rewrite_rows(availability, accept)
    statuses = run_steps(raw, tmp_path / "processed")
    q2_status = statuses[statuses["quarter"] == "Q2"].set_index("measure_id")
    assert q2_status.loc["1.3", "status"] != "no_data"
    folder = RunFolder(tmp_path / "processed")
    accepted = folder.read_cleaning_log().query("code == 'accepted_incomplete'")
    assert "Control room system down" in accepted["detail"].iloc[0]


# --- police.uk: a few real months of the City of London download ------------------------------


@pytest.fixture
def city_raw(tmp_path: Path) -> Path:
    """2020-04 to 2021-12 of the City's street files, copied so that a case can damage them."""
    from shared_data import shared_path

    source = shared_path("data", "police-uk")
    raw = tmp_path / "police-uk"
    for month in pd.period_range("2020-04", "2021-09", freq="M"):
        name = f"{month}/{month}-city-of-london-street.csv"
        (raw / str(month)).mkdir(parents=True)
        shutil.copy(source / name, raw / name)
    return raw


def street(raw: Path, month: str) -> Path:
    return raw / month / f"{month}-city-of-london-street.csv"


POLICE_CASES: dict[str, tuple[Damage, NoData | Refused]] = {
    "a month's rows carry another month": (
        lambda raw: rewrite_rows(street(raw, "2021-08"), set_column("Month", "2021-07", every=5)),
        Refused(
            "2021-08-city-of-london-street.csv", "not the file's own month, 2021-08", column="Month"
        ),
    ),
    "two copies of one month, as a browser names the second": (
        lambda raw: shutil.copy(
            street(raw, "2021-08"), raw / "2021-08" / "2021-08-city-of-london-street (1).csv"
        ),
        Refused("street (1).csv", "a second file for street_crime 2021-08"),
    ),
    "a month cut to a tenth": (
        lambda raw: keep_lines(street(raw, "2021-08"), 0.1),
        NoData(("C1", "C3"), "street_crime Aug 2021"),
    ),
    "a header-only month": (
        lambda raw: keep_lines(street(raw, "2021-07"), 0.0),
        NoData(("C1", "C5"), "has no data rows"),
    ),
}


@pytest.mark.parametrize("case", list(POLICE_CASES))
def test_a_damaged_police_uk_month_never_moves_a_status_silently(
    case: str, city_raw: Path, tmp_path: Path
) -> None:
    damage, outcome = POLICE_CASES[case]
    damage(city_raw)
    out = tmp_path / "processed"
    check(outcome, lambda: run_steps(city_raw, out, "city-of-london", "2021-22", 2), out)
