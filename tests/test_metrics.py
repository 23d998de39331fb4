"""Unit tests for csp.engine.metrics: monthly figures from cleaned records, and a cross-check on the sample.

Hand-made tables carry just the columns metrics reads (`_date`, `_month`, `_source`, `_row` and the
plan's column names); the sample cross-check counts the raw CSVs itself with the csv module.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import shutil
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from plan_lookup import measure_of

from csp.domain.periods import FinancialYear
from csp.domain.records import Condition
from csp.engine import clean, metrics
from csp.inputs import extracts
from csp.kinds import KINDS
from csp.kinds.proportion import ProportionOptions
from csp.kinds.repeat import RepeatOptions, repeat_increments
from csp.kinds.supplied import SuppliedOptions
from csp.plan import BreakdownSpec, MetricSpec, Plan, Theme, load_plan

YEAR = FinancialYear.parse("2011-12")
BASELINE = FinancialYear.parse("2010-11")
MONTHS = [str(m) for m in YEAR.months]
APR_TO_AUG = set(MONTHS[:5])


def records(rows: list[dict[str, object]], source: str = "x") -> pd.DataFrame:
    """Cleaned-table shape: each row gives `date` ('2011-04-05') and its own columns."""
    frame = pd.DataFrame(
        [{k: v for k, v in row.items() if k != "date"} for row in rows], index=range(len(rows))
    )
    dates = pd.to_datetime([row["date"] for row in rows])
    frame["_date"] = dates
    frame["_month"] = [d.strftime("%Y-%m") for d in dates]
    frame["_source"] = [row.get("_source", source) for row in rows]
    frame["_row"] = range(2, len(rows) + 2)
    return frame


def figures_frame(*args: object, **kwargs: object) -> pd.DataFrame:
    """metrics.monthly_figures as a table, to read month by month."""
    return pd.DataFrame(metrics.monthly_figures(*args, **kwargs))


def by_month(frame: pd.DataFrame, column: str = "value") -> dict[str, float]:
    return dict(zip(frame["month"], frame[column], strict=True))


# filter_rows ---------------------------------------------------------------------------------------


@pytest.fixture
def crimes() -> pd.DataFrame:
    return records(
        [
            {"date": "2011-04-01", "group": "Criminal damage", "ward": "Hardwick", "da": True},
            {"date": "2011-04-02", "group": "Theft", "ward": "Newtown", "da": False},
            {"date": "2011-04-03", "group": "Criminal damage", "ward": pd.NA, "da": pd.NA},
            {"date": "2011-04-04", "group": "Burglary", "ward": "Yarm", "da": True},
        ]
    ).astype({"ward": "string", "da": "boolean"})


def test_filter_rows_by_value(crimes: pd.DataFrame) -> None:
    kept = metrics.filter_rows(crimes, [Condition("group", ("Criminal damage",))])
    assert kept["_row"].tolist() == [2, 4]


def test_filter_rows_by_list_and_all_conditions_together(crimes: pd.DataFrame) -> None:
    kept = metrics.filter_rows(
        crimes,
        [Condition("ward", ("Hardwick", "Yarm")), Condition("da", (True,))],
    )
    assert kept["_row"].tolist() == [2, 5]


def test_filter_rows_not(crimes: pd.DataFrame) -> None:
    """'not' keeps everything else, including rows with no value at all."""
    kept = metrics.filter_rows(crimes, [Condition("ward", ("Hardwick", "Newtown"), negate=True)])
    assert kept["_row"].tolist() == [4, 5]


def test_filter_rows_without_conditions_keeps_everything(crimes: pd.DataFrame) -> None:
    assert len(metrics.filter_rows(crimes, [])) == len(crimes)


# top_items -----------------------------------------------------------------------------------------


def street_rows(counts: dict[str | None, int], date: str) -> list[dict[str, object]]:
    return [{"date": date, "street": s} for s, n in counts.items() for _ in range(n)]


def test_top_items_ranks_by_the_whole_year_ties_alphabetical_na_excluded() -> None:
    rows = (
        street_rows({"Mill Lane": 2, "Bath Lane": 1, None: 9}, "2010-04-10")
        + street_rows({"Bath Lane": 2, "Kings Road": 3, "Yarm Road": 1}, "2011-03-10")
        + street_rows({"Yarm Road": 8}, "2011-04-10")  # next year: not part of the ranking
    )
    table = records(rows).astype({"street": "string"})
    top = metrics.top_items(table, ("street",), 3, BASELINE)
    assert top == [("Bath Lane",), ("Kings Road",), ("Mill Lane",)]


def test_top_items_by_two_columns() -> None:
    rows = [
        {"date": "2010-05-01", "street": "High Street", "ward": "Yarm"},
        {"date": "2010-05-02", "street": "High Street", "ward": "Norton North"},
        {"date": "2010-05-03", "street": "High Street", "ward": "Norton North"},
    ]
    top = metrics.top_items(records(rows), ("street", "ward"), 5, BASELINE)
    assert top == [("High Street", "Norton North"), ("High Street", "Yarm")]


def test_top_items_of_an_empty_year_is_empty() -> None:
    table = records(street_rows({"Mill Lane": 2}, "2011-04-10"))
    assert metrics.top_items(table, ("street",), 5, BASELINE) == []


# repeat_increments ---------------------------------------------------------------------------------


def test_repeat_counted_once_in_the_month_of_the_nth_record() -> None:
    table = records(
        [
            {"date": "2011-04-03", "caller": "C1"},
            {"date": "2011-05-10", "caller": "C1"},
            {"date": "2011-05-20", "caller": "C1"},  # C1's third: a repeat caller from May
            {"date": "2011-06-01", "caller": "C1"},  # still one repeat caller
            {"date": "2011-04-04", "caller": "C2"},
            {"date": "2011-06-04", "caller": "C2"},  # only two
            {"date": "2011-04-05", "caller": ""},
            {"date": "2011-04-06", "caller": ""},
            {"date": "2011-04-07", "caller": ""},  # no caller: never a repeat
            {"date": "2011-04-08", "caller": None},
            {"date": "2011-04-09", "caller": None},
            {"date": "2011-04-10", "caller": None},
        ]
    )
    assert repeat_increments(table, "caller", 3).to_dict() == {"2011-05": 1}
    assert repeat_increments(table, "caller", 2).to_dict() == {"2011-05": 1, "2011-06": 1}


def test_repeat_across_sources_in_date_order() -> None:
    """Callers are counted across the police, council and landlords' records together."""
    table = records(
        [
            {"date": "2011-06-02", "caller": "C1", "_source": "rsl_asb"},
            {"date": "2011-04-02", "caller": "C1", "_source": "police_asb"},
            {"date": "2011-05-02", "caller": "C1", "_source": "maasbt_asb"},
        ]
    )
    assert repeat_increments(table, "caller", 3).to_dict() == {"2011-06": 1}


def test_repeat_only_within_the_year() -> None:
    table = records(
        [
            {"date": "2011-03-01", "caller": "C1"},
            {"date": "2011-03-02", "caller": "C1"},
            {"date": "2011-04-01", "caller": "C1"},  # a third record, but the first of 2011-12
            {"date": "2011-05-01", "caller": "C1"},
        ]
    )
    metric = MetricSpec(
        kind=KINDS.get("repeat"),
        sources=("x",),
        options=RepeatOptions(subject="caller", min_records=3),
    )
    this_year = figures_frame(metric, table, YEAR, set(MONTHS))
    assert np.nansum(this_year["value"]) == 0
    last_year = figures_frame(metric, table, BASELINE, {str(m) for m in BASELINE.months})
    assert np.nansum(last_year["value"]) == 0
    metric_two = replace(metric, options=RepeatOptions(subject="caller", min_records=2))
    figures = by_month(figures_frame(metric_two, table, YEAR, set(MONTHS)))
    assert figures["2011-05"] == 1 and figures["2011-04"] == 0


# monthly_figures -----------------------------------------------------------------------------------


def assert_uncovered_nan(frame: pd.DataFrame, covered: set[str]) -> None:
    uncovered = frame[~frame["month"].isin(covered)]
    assert uncovered["value"].isna().all()
    assert not uncovered["covered"].any()


def test_count_covered_months_zero_uncovered_nan() -> None:
    table = records(
        [
            {"date": "2011-04-02"},
            {"date": "2011-04-30"},
            {"date": "2011-06-15"},
            {"date": "2011-09-01"},  # dated in a month no file covers
            {"date": "2011-03-31"},  # last year
        ]
    )
    frame = figures_frame(
        MetricSpec(kind=KINDS.get("count"), sources=("x",)), table, YEAR, APR_TO_AUG
    )
    assert frame["month"].tolist() == MONTHS
    values = by_month(frame)
    assert [values[m] for m in MONTHS[:5]] == [2, 0, 1, 0, 0]
    assert math.isnan(values["2011-09"])  # not 1 and not 0: nobody sent September
    assert frame["covered"].tolist() == [m in APR_TO_AUG for m in MONTHS]
    assert_uncovered_nan(frame, APR_TO_AUG)
    assert frame["denominator"].isna().all()


def test_proportion_numerator_and_denominator_by_month() -> None:
    table = records(
        [
            {"date": "2011-04-02", "planned": True},
            {"date": "2011-04-03", "planned": False},
            {"date": "2011-04-04", "planned": True},
            {"date": "2011-06-04", "planned": False},
        ]
    )
    metric = MetricSpec(
        kind=KINDS.get("proportion"),
        sources=("x",),
        options=ProportionOptions(numerator=(Condition("planned", (True,)),)),
    )
    frame = figures_frame(metric, table, YEAR, APR_TO_AUG)
    assert [by_month(frame)[m] for m in MONTHS[:3]] == [2, 0, 0]
    assert [by_month(frame, "denominator")[m] for m in MONTHS[:3]] == [3, 0, 1]
    assert_uncovered_nan(frame, APR_TO_AUG)
    assert frame.loc[~frame["covered"], "denominator"].isna().all()


def test_supplied_figure_at_its_month_other_months_empty() -> None:
    """A survey result is a figure, not a count: a month without one has no figure, not zero."""
    table = records(
        [
            {"date": "2011-02-18", "question": "Q", "percent": 28.4, "respondents": 1104},
            {"date": "2011-02-28", "question": "Q", "percent": 27.0, "respondents": 900},
        ]
    )
    metric = MetricSpec(
        kind=KINDS.get("supplied"),
        sources=("x",),
        options=SuppliedOptions(value="percent", base="respondents"),
    )
    covered = {str(m) for m in BASELINE.months} - {"2011-03"}
    frame = figures_frame(metric, table, BASELINE, covered)
    values = by_month(frame)
    assert values["2011-02"] == 27.0  # the latest figure of the month
    assert by_month(frame, "denominator")["2011-02"] == 900
    assert frame.loc[frame["month"] != "2011-02", "value"].isna().all()
    assert not by_month(frame, "covered")["2011-03"]


def test_snapshot_figures_only_at_quarter_ends() -> None:
    table = records(
        [
            {"date": "2011-06-30", "sex": "Female"},
            {"date": "2011-06-30", "sex": "Male"},
            {"date": "2011-06-30", "sex": "Male"},
            {"date": "2011-09-30", "sex": "Female"},
        ]
    )
    metric = MetricSpec(
        kind=KINDS.get("proportion"),
        sources=("x",),
        options=ProportionOptions(numerator=(Condition("sex", ("Female",)),)),
    )
    covered = set(MONTHS[:6])
    frame = figures_frame(metric, table, YEAR, covered, snapshot=True)
    values, denominators = by_month(frame), by_month(frame, "denominator")
    assert (values["2011-06"], denominators["2011-06"]) == (1, 3)
    assert (values["2011-09"], denominators["2011-09"]) == (1, 1)
    for month in ("2011-04", "2011-05", "2011-07", "2011-08"):
        assert math.isnan(values[month]) and math.isnan(denominators[month])
    assert frame.loc[frame["month"].isin(covered), "covered"].all()


def test_snapshot_quarter_end_with_no_one_is_zero_when_covered() -> None:
    table = records([{"date": "2011-06-30", "status": "In treatment"}])
    metric = MetricSpec(kind=KINDS.get("count"), sources=("x",))
    frame = figures_frame(metric, table, YEAR, set(MONTHS[:6]), snapshot=True)
    assert by_month(frame)["2011-09"] == 0
    assert math.isnan(by_month(frame)["2011-12"])


def test_metric_coverage_is_the_months_every_source_covers() -> None:
    metric = MetricSpec(kind=KINDS.get("count"), sources=("a", "b"))
    coverage = {"a": {"2011-04", "2011-05"}, "b": {"2011-05", "2011-06"}}
    assert metrics.metric_coverage(metric, coverage) == {"2011-05"}
    assert metrics.metric_coverage(metric, {"a": {"2011-04"}}) == set()


# measure_values on a tiny plan ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def stockton() -> Plan:
    return load_plan("stockton")


def only_measures(plan: Plan, *ids: str) -> Plan:
    """The plan with just these measures, so tables for one extract are enough."""
    theme = Theme(name="T", title="T", measures=tuple(measure_of(plan, i) for i in ids))
    return replace(plan, themes=(theme,))


def police_crime(rows: list[dict[str, object]]) -> pd.DataFrame:
    defaults = {
        "crime_ref": "",
        "offence_group": "Criminal damage",
        "offence_subgroup": "Arson",
        "ward": "Yarm",
        "street": "High Street",
        "victim_id": pd.NA,
        "offender_id": pd.NA,
        "domestic_abuse": False,
    }
    filled = [{**defaults, "crime_ref": f"CR{i}", **row} for i, row in enumerate(rows)]
    return records(filled, source="police_crime").astype(
        {c: "string" for c in defaults if c != "domestic_abuse"} | {"domestic_abuse": "boolean"}
    )


FULL_COVERAGE = {"police_crime": {str(m) for m in BASELINE.months} | set(MONTHS[:6])}


def main_series(values: pd.DataFrame, measure_id: str, year: str) -> dict[str, float]:
    rows = values[
        (values["measure_id"] == measure_id)
        & (values["series"] == "main")
        & (values["year"] == year)
    ]
    return by_month(rows)


def test_measure_values_counts_both_years_and_leaves_uncovered_months_empty(
    stockton: Plan,
) -> None:
    plan = only_measures(stockton, "5.1")
    table = police_crime(
        [
            {"date": "2010-04-03"},
            {"date": "2010-04-09"},
            {"date": "2010-12-25", "offence_group": "Theft"},
            {"date": "2011-04-01"},
            {"date": "2011-08-31"},
        ]
    )
    values = metrics.measure_values(plan, {"police_crime": table}, FULL_COVERAGE, YEAR)
    assert list(values.columns) == metrics.VALUE_COLUMNS
    assert len(values) == 24 and set(values["series"]) == {"main"}
    base = main_series(values, "5.1", "2010-11")
    assert base["2010-04"] == 2 and base["2010-12"] == 0 and sum(base.values()) == 2
    this = main_series(values, "5.1", "2011-12")
    assert [this[m] for m in MONTHS[:6]] == [1, 0, 0, 0, 1, 0]
    assert all(math.isnan(this[m]) for m in MONTHS[6:])


def test_measure_values_top_streets_and_breakdown(stockton: Plan) -> None:
    """5.2: the five streets with most criminal damage in the baseline year, each broken down."""
    plan = only_measures(stockton, "5.2")
    baseline_counts = {
        ("Dovecot Street", "Stockton Town Centre"): 5,
        ("Mandale Road", "Mandale and Victoria"): 4,
        ("Norton Road", "Newtown"): 3,
        ("Bath Lane", "Newtown"): 3,
        ("Oxbridge Lane", "Parkfield and Oxbridge"): 2,
        ("Yarm Road", "Yarm"): 1,
    }
    rows = [
        {"date": "2010-05-05", "street": street, "ward": ward}
        for (street, ward), n in baseline_counts.items()
        for _ in range(n)
    ]
    rows += [
        {"date": "2011-05-05", "street": "Yarm Road", "ward": "Yarm"},
        {"date": "2011-05-05", "street": "Yarm Road", "ward": "Yarm"},
        {"date": "2011-05-06", "street": "Dovecot Street", "ward": "Stockton Town Centre"},
    ]
    values = metrics.measure_values(plan, {"police_crime": police_crime(rows)}, FULL_COVERAGE, YEAR)
    assert sum(main_series(values, "5.2", "2010-11").values()) == 17  # all but Yarm Road
    assert main_series(values, "5.2", "2011-12")["2011-05"] == 1
    items = values.loc[values["series"] == "breakdown", "item"].drop_duplicates().tolist()
    assert items == [
        "Dovecot Street in Stockton Town Centre",
        "Mandale Road in Mandale and Victoria",
        "Bath Lane in Newtown",
        "Norton Road in Newtown",
        "Oxbridge Lane in Parkfield and Oxbridge",
    ]
    bath = values[(values["item"] == "Bath Lane in Newtown") & (values["year"] == "2010-11")]
    assert np.nansum(bath["value"]) == 3


def test_measure_values_context_and_ward_breakdown(stockton: Plan) -> None:
    """3.2: VAP in the top five wards, with the borough's VAP as context."""
    plan = only_measures(stockton, "3.2")
    vap = "Violence against the person"
    rows = [
        {"date": "2011-04-10", "offence_group": vap, "ward": "Hardwick"},
        {"date": "2011-04-11", "offence_group": vap, "ward": "Hardwick"},
        {"date": "2011-04-12", "offence_group": vap, "ward": "Newtown"},
        {"date": "2011-04-13", "offence_group": vap, "ward": "Yarm"},
        {"date": "2011-04-14", "offence_group": vap, "ward": pd.NA},
        {"date": "2011-04-15", "offence_group": "Theft", "ward": "Hardwick"},
    ]
    values = metrics.measure_values(plan, {"police_crime": police_crime(rows)}, FULL_COVERAGE, YEAR)
    april = values[(values["month"] == "2011-04")].set_index(["series", "item"])["value"]
    assert april[("main", "")] == 3
    assert april[("context", "borough")] == 5
    assert april[("breakdown", "Hardwick")] == 2
    assert april[("breakdown", "Newtown")] == 1
    assert ("breakdown", "Yarm") not in april.index


def test_breakdown_top_items_leave_the_figure_whole(stockton: Plan) -> None:
    """`breakdown: {by: [ward], top: 2}`: the figure counts every record, wards known or not; the
    breakdown shows the two wards with most in the baseline year, and no item for a blank ward."""
    measure = measure_of(stockton, "5.1")
    top_two = BreakdownSpec(by=("ward",), label="{ward}", unit="", top=2)
    measure = replace(measure, metric=replace(measure.metric, breakdown=top_two))
    plan = replace(stockton, themes=(Theme(name="T", title="T", measures=(measure,)),))
    wards = ["Hardwick"] * 3 + ["Newtown"] * 2 + ["Yarm"] + [pd.NA] * 4
    rows = [{"date": "2010-06-01", "ward": ward} for ward in wards]
    rows += [{"date": "2011-05-01", "ward": "Yarm"}, {"date": "2011-05-02", "ward": pd.NA}]
    values = metrics.measure_values(plan, {"police_crime": police_crime(rows)}, FULL_COVERAGE, YEAR)
    assert sum(main_series(values, "5.1", "2010-11").values()) == 10
    assert main_series(values, "5.1", "2011-12")["2011-05"] == 2
    items = values.loc[values["series"] == "breakdown", "item"].drop_duplicates().tolist()
    assert items == ["Hardwick", "Newtown"]


# cross-check on the sample -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_values(
    stockton: Plan, sample_raw: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, pd.DataFrame]:
    raw = tmp_path_factory.mktemp("metrics") / "stockton"
    shutil.copytree(sample_raw, raw)
    cleaned = clean.clean_all(stockton, raw, YEAR, 2)
    coverage = extracts.coverage(cleaned.inventory)
    return raw, metrics.measure_values(stockton, cleaned.tables, coverage, YEAR)


def read_rows(raw: Path, source: str) -> list[dict[str, str]]:
    """Every non-blank row of a source's CSVs in file order, cells stripped, csv module only."""
    rows = []
    for path in sorted(raw.glob(f"*/Q*/{source}.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                cells = {k.strip(): " ".join((v or "").split()) for k, v in row.items()}
                if any(cells.values()):
                    rows.append(cells)
    return rows


def latest_by(rows: list[dict[str, str]], key: str) -> list[dict[str, str]]:
    """One row per record: a later file's copy replaces an earlier one."""
    return list({row[key]: row for row in rows}.values())


def fy_of(day: dt.date) -> str:
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def day_of(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d/%m/%Y").date()


def test_criminal_damage_monthly_values_match_an_independent_count(
    sample_values: tuple[Path, pd.DataFrame],
) -> None:
    raw, values = sample_values
    crimes = latest_by(read_rows(raw, "police_crime"), "Crime Reference")
    damage = [row for row in crimes if row["Offence Group"] == "Criminal damage"]
    per_month = Counter(day_of(row["Date Recorded"]).strftime("%Y-%m") for row in damage)
    for year in ("2010-11", "2011-12"):
        engine = main_series(values, "5.1", year)
        covered = {m: v for m, v in engine.items() if not math.isnan(v)}
        assert covered == {m: float(per_month.get(m, 0)) for m in covered}
    ytd = main_series(values, "5.1", "2011-12")
    assert sum(ytd[m] for m in MONTHS[:6]) == sum(per_month[m] for m in MONTHS[:6]) > 0


def test_criminal_damage_repeat_victims_match_an_independent_count(
    sample_values: tuple[Path, pd.DataFrame],
) -> None:
    """5.3: victims with at least two criminal damage crimes in the year, counted here directly."""
    raw, values = sample_values
    crimes = latest_by(read_rows(raw, "police_crime"), "Crime Reference")
    per_victim: dict[str, Counter[str]] = defaultdict(Counter)
    for row in crimes:
        if row["Offence Group"] == "Criminal damage" and row["Victim ID"]:
            per_victim[row["Victim ID"]][fy_of(day_of(row["Date Recorded"]))] += 1
    for year in ("2010-11", "2011-12"):
        repeats = sum(1 for years in per_victim.values() if years[year] >= 2)
        assert np.nansum(list(main_series(values, "5.3", year).values())) == repeats > 0


def test_planned_exits_match_an_independent_count(
    sample_values: tuple[Path, pd.DataFrame],
) -> None:
    """4.3: planned exits over all exits, this year up to the partial file's last month."""
    raw, values = sample_values
    exits = latest_by(read_rows(raw, "ndtms_exits"), "Episode ID")
    this_year = [row for row in exits if fy_of(day_of(row["Discharge Date"])) == "2011-12"]
    planned = sum(1 for row in this_year if row["Planned Exit"].upper() in {"Y", "YES"})
    rows = values[
        (values["measure_id"] == "4.3")
        & (values["series"] == "main")
        & (values["year"] == "2011-12")
    ]
    assert (np.nansum(rows["value"]), np.nansum(rows["denominator"])) == (planned, len(this_year))
    assert rows.loc[rows["month"] == "2011-09", "value"].isna().all()
