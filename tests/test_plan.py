"""Plans: the Stockton plan loads as the 2011/12 dashboard lists it, and every typo an analyst can
make in a plan stops the load with a message naming the file and the entry."""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from plan_lookup import measure_of
from shared_data import shared_path

from csp import config
from csp.config import plan_path
from csp.domain.periods import CalendarYear, FinancialYear
from csp.domain.records import Condition
from csp.errors import PlanError
from csp.kinds import KINDS
from csp.plan import Plan, load_plan

SEED = ("seed", "csp-performance-dashboard-2011-12.txt")
TOP_FIVE = [
    "Stockton Town Centre",
    "Mandale and Victoria",
    "Hardwick",
    "Parkfield and Oxbridge",
    "Newtown",
]


@pytest.fixture(scope="module")
def stockton() -> Plan:
    return load_plan("stockton")


def seed_measures() -> list[tuple[str, str, str]]:
    """(theme, number, title) of each row of the real 2011/12 dashboard in ../shared/seed."""
    rows, theme = [], ""
    for line in shared_path(*SEED).read_text(encoding="utf-8").splitlines():
        cells = line.split("\t")
        if len(cells) < 3 or not re.fullmatch(r"\d+\.\d+", cells[1].strip()):
            continue
        theme = cells[0].strip() or theme
        rows.append((theme, cells[1].strip(), cells[2].strip()))
    return rows


# --- the Stockton plan --------------------------------------------------------------------------


def test_stockton_has_six_themes_and_nineteen_measures(stockton: Plan) -> None:
    assert len(stockton.themes) == 6
    assert len(stockton.measures) == 19
    assert [m.id for m in stockton.measures] == [
        "1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "3.1", "3.2", "3.3", "3.4",
        "4.1", "4.2", "4.3", "4.4", "5.1", "5.2", "5.3", "6.1", "6.2",
    ]  # fmt: skip


def test_stockton_themes_numbers_and_titles_match_the_real_dashboard(stockton: Plan) -> None:
    """The board recognises its plan: same themes, numbers and wording as the 2011/12 paper."""
    ours = [(m.theme, m.id, m.title) for m in stockton.measures]
    assert ours == seed_measures()


def test_stockton_measure_lookup(stockton: Plan) -> None:
    assert measure_of(stockton, "5.2").title == "Reduce Criminal Damage at street level"
    with pytest.raises(KeyError):
        measure_of(stockton, "9.9")


def test_stockton_targets_and_directions(stockton: Plan) -> None:
    """'-5%' is read as a relative change; 'maintain' with no target keeps the baseline."""
    assert measure_of(stockton, "5.1").target.change == pytest.approx(-0.05)
    assert measure_of(stockton, "2.1").target.change == pytest.approx(0.05)
    assert measure_of(stockton, "1.1").target.change == pytest.approx(-0.10)
    maintain = measure_of(stockton, "3.1")
    assert maintain.direction == "maintain"
    assert maintain.target.change == 0
    assert maintain.target.points is None
    assert not maintain.higher_is_better
    assert measure_of(stockton, "2.1").higher_is_better
    assert not measure_of(stockton, "5.1").higher_is_better


def test_stockton_group_in_where_is_expanded_to_its_wards(stockton: Plan) -> None:
    """`ward: {group: top_five_wards}` filters on the five ward names themselves."""
    (condition,) = measure_of(stockton, "1.3").metric.where
    assert condition.column == "ward"
    assert sorted(condition.values) == sorted(TOP_FIVE)
    assert not condition.negate
    assert set(TOP_FIVE) <= set(stockton.wards)


def test_stockton_context_inherits_the_metric_and_overrides_keys(stockton: Plan) -> None:
    """A context figure is the measure's metric with a few keys replaced (1.3: police only)."""
    measure = measure_of(stockton, "1.3")
    police = measure.context["police"]
    assert police.sources == ("police_asb",)
    assert measure.metric.sources == ("police_asb", "maasbt_asb", "rsl_asb")
    assert police.where == measure.metric.where
    assert police.kind == measure.metric.kind


def test_stockton_context_where_replaces_the_metric_filter(stockton: Plan) -> None:
    """3.2's 'borough' figure drops the top-five-wards filter: all VAP in the borough."""
    measure = measure_of(stockton, "3.2")
    assert {c.column for c in measure.metric.where} == {"offence_group", "ward"}
    borough = measure.context["borough"]
    assert borough.where == (
        Condition(column="offence_group", values=("Violence against the person",)),
    )


def test_stockton_top_and_breakdown(stockton: Plan) -> None:
    """5.2 ranks streets within wards and labels each '<street> in <ward>'."""
    metric = measure_of(stockton, "5.2").metric
    assert metric.top is not None
    assert metric.top.n == 5
    assert metric.top.by == ("street", "ward")
    assert metric.breakdown is not None
    assert metric.breakdown.by == ("street", "ward")
    assert metric.breakdown.label == "{street} in {ward}"
    assert metric.breakdown.unit == "offences"


def test_stockton_breakdown_label_defaults_to_its_columns(stockton: Plan) -> None:
    breakdown = measure_of(stockton, "1.3").metric.breakdown
    assert breakdown is not None
    assert breakdown.label == "{ward}"


def test_stockton_metric_kinds(stockton: Plan) -> None:
    repeat = measure_of(stockton, "1.1").metric
    assert repeat.kind is KINDS.get("repeat")
    assert (repeat.options.subject, repeat.options.min_records) == ("caller_id", 3)
    proportion = measure_of(stockton, "4.3").metric
    assert proportion.kind is KINDS.get("proportion")
    assert proportion.options.numerator == (Condition(column="planned", values=(True,)),)
    assert stockton.is_snapshot(measure_of(stockton, "4.1").metric)
    assert not stockton.is_snapshot(proportion)
    supplied = measure_of(stockton, "1.2")
    assert supplied.metric.kind is KINDS.get("supplied")
    assert supplied.metric.options.value == "percent"
    assert supplied.baseline == "whole_year"


def test_stockton_years_and_baseline(stockton: Plan) -> None:
    year = FinancialYear.parse("2011-12")
    assert stockton.years == (year,)
    assert str(stockton.baseline_for(year)) == "2010-11"
    assert stockton.raw_dir.is_absolute()


def test_check_year_accepts_a_covered_year(stockton: Plan) -> None:
    stockton.check_year(FinancialYear.parse("2011-12"))


def test_check_year_refuses_a_year_the_plan_does_not_cover(stockton: Plan) -> None:
    with pytest.raises(PlanError) as caught:
        stockton.check_year(FinancialYear.parse("2012-13"))
    message = str(caught.value)
    assert message.startswith("stockton.yml: years:")
    assert "2012-13" in message
    assert "2011-12" in message


# --- plan_path ----------------------------------------------------------------------------------


def test_plan_path_by_name_is_in_the_plans_folder() -> None:
    path = plan_path("stockton")
    assert path == config.PLANS_DIR / "stockton.yml"
    assert path.exists()


def test_plan_path_relative_path_resolves_from_the_project_not_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A notebook run from another folder must find the same plan."""
    monkeypatch.chdir(tmp_path)
    assert plan_path("plans/stockton.yml") == config.PLANS_DIR / "stockton.yml"


def test_plan_path_absolute_path_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.yaml"
    assert plan_path(target) == target
    assert plan_path(str(target)) == target


def test_load_plan_by_path_equals_by_name() -> None:
    by_path = load_plan(config.PLANS_DIR / "stockton.yml")
    assert [m.id for m in by_path.measures] == [m.id for m in load_plan("stockton").measures]


# --- validation messages ------------------------------------------------------------------------


def minimal_plan() -> dict[str, Any]:
    """The smallest valid plan: one extract, one theme, one measure with a context and a comment."""
    return {
        "plan": "mini",
        "years": ["2011-12"],
        "wards": ["Hardwick", "Newtown", "Yarm"],
        "groups": {"pair": ["Hardwick", "Newtown"]},
        "extracts": {
            "crime": {
                "title": "Police recorded crime",
                "file": "crime.csv",
                "id": "ref",
                "date": "recorded",
                "columns": {
                    "ref": {"header": "Crime Reference", "type": "id"},
                    "recorded": {"header": "Date Recorded", "type": "date"},
                    "ward": {"header": "Ward", "type": "ward"},
                    "offender": {"header": "Offender ID", "required": False},
                    "planned": {"header": "Planned", "type": "flag"},
                },
            }
        },
        "themes": [
            {
                "theme": "Damage",
                "measures": [
                    {
                        "id": "5.1",
                        "title": "Reduce criminal damage",
                        "direction": "reduce",
                        "metric": {
                            "kind": "count",
                            "sources": ["crime"],
                            "where": {"ward": {"group": "pair"}},
                        },
                        "context": {"borough": {"where": {}}},
                        "target": {"change": "-5%"},
                        "comment": ["{actual} crimes; borough {borough.change_word}."],
                    }
                ],
            }
        ],
    }


def first_measure(data: dict[str, Any]) -> dict[str, Any]:
    return data["themes"][0]["measures"][0]


def write_plan(folder: Path, data: dict[str, Any], name: str = "mini") -> Path:
    path = folder / f"{name}.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def load_error(folder: Path, change: Callable[[dict[str, Any]], None]) -> str:
    """Load the minimal plan with one change applied; return the PlanError's message."""
    data = minimal_plan()
    change(data)
    with pytest.raises(PlanError) as caught:
        load_plan(write_plan(folder, data))
    return str(caught.value)


def test_minimal_plan_is_valid(tmp_path: Path) -> None:
    """The base every validation test changes one thing in must itself load."""
    plan = load_plan(write_plan(tmp_path, minimal_plan()))
    assert [m.id for m in plan.measures] == ["5.1"]
    assert plan.path.name == "mini.yml"
    assert measure_of(plan, "5.1").target.change == pytest.approx(-0.05)
    assert measure_of(plan, "5.1").context["borough"].where == ()


def test_unknown_extract_in_sources(tmp_path: Path) -> None:
    message = load_error(tmp_path, lambda d: first_measure(d)["metric"].update(sources=["crimes"]))
    assert message.startswith("mini.yml: measure 5.1.metric.sources:")
    assert "unknown extract 'crimes'" in message
    assert "known extracts: crime" in message


def test_unknown_extract_in_a_context_names_the_context(tmp_path: Path) -> None:
    message = load_error(
        tmp_path, lambda d: first_measure(d)["context"].update(borough={"sources": ["asb"]})
    )
    assert message.startswith("mini.yml: measure 5.1.context.borough.sources:")
    assert "unknown extract 'asb'" in message


def test_unknown_direction(tmp_path: Path) -> None:
    message = load_error(tmp_path, lambda d: first_measure(d).update(direction="lower"))
    assert message.startswith("mini.yml: measure 5.1.direction:")
    assert "unknown direction 'lower'" in message
    assert "reduce, increase, maintain" in message


def test_unknown_metric_kind(tmp_path: Path) -> None:
    message = load_error(tmp_path, lambda d: first_measure(d)["metric"].update(kind="sum"))
    assert message.startswith("mini.yml: measure 5.1.metric.kind:")
    assert "unknown metric kind 'sum'" in message
    assert "count" in message


def test_duplicate_measure_number(tmp_path: Path) -> None:
    def add_second_theme_with_same_number(data: dict[str, Any]) -> None:
        data["themes"].append({"theme": "Other", "measures": [copy.deepcopy(first_measure(data))]})

    message = load_error(tmp_path, add_second_theme_with_same_number)
    assert message.startswith("mini.yml: measure 5.1:")
    assert "duplicate measure number" in message
    assert "'Damage'" in message


def test_comment_naming_a_figure_the_engine_does_not_compute(tmp_path: Path) -> None:
    """A typo such as {actaul} is caught at load time, not as a blank comment in the report."""
    message = load_error(
        tmp_path, lambda d: first_measure(d).update(comment=["{actaul} crimes this year."])
    )
    assert message.startswith("mini.yml: measure 5.1.comment:")
    assert "'{actaul}'" in message
    assert "does not compute" in message


def test_comment_with_an_unknown_context_prefix(tmp_path: Path) -> None:
    """{police.change_word} needs a context named 'police'; this measure only has 'borough'."""
    message = load_error(
        tmp_path, lambda d: first_measure(d).update(comment=["Police {police.change_word}."])
    )
    assert message.startswith("mini.yml: measure 5.1.comment:")
    assert "'{police.change_word}'" in message
    assert "borough" in message


def test_comment_with_broken_braces(tmp_path: Path) -> None:
    message = load_error(tmp_path, lambda d: first_measure(d).update(comment=["{actual crimes"]))
    assert message.startswith("mini.yml: measure 5.1.comment:")
    assert "not valid" in message


def test_where_column_not_in_the_extract(tmp_path: Path) -> None:
    message = load_error(
        tmp_path, lambda d: first_measure(d)["metric"].update(where={"street": "High Street"})
    )
    assert message.startswith("mini.yml: measure 5.1.metric.where:")
    assert "'street' is not a column of extract 'crime'" in message


def test_unknown_group(tmp_path: Path) -> None:
    message = load_error(
        tmp_path,
        lambda d: first_measure(d)["metric"].update(where={"ward": {"group": "top_five"}}),
    )
    assert message.startswith("mini.yml: measure 5.1.metric.where.ward:")
    assert "unknown group 'top_five'" in message
    assert "known groups: pair" in message


def test_group_member_that_is_not_a_ward(tmp_path: Path) -> None:
    message = load_error(tmp_path, lambda d: d["groups"].update(pair=["Hardwick", "Atlantis"]))
    assert message.startswith("mini.yml: groups.pair:")
    assert "'Atlantis'" in message


def test_unknown_top_level_key(tmp_path: Path) -> None:
    message = load_error(tmp_path, lambda d: d.update(colour="blue"))
    assert message.startswith("mini.yml: plan:")
    assert "unknown key 'colour'" in message
    assert "themes" in message


@pytest.mark.parametrize("change", ["minus five", "-5", "5 percent", "-5%x"])
def test_bad_percentage_in_target_change(tmp_path: Path, change: str) -> None:
    message = load_error(tmp_path, lambda d: first_measure(d).update(target={"change": change}))
    assert message.startswith("mini.yml: measure 5.1.target.change:")
    assert f"'{change}' is not a percentage" in message


@pytest.mark.parametrize(("change", "expected"), [("+10%", 0.10), ("-2.5 %", -0.025), (-5, -0.05)])
def test_target_change_spellings(tmp_path: Path, change: str | int, expected: float) -> None:
    """'+10%', '-2.5 %' and a bare number of percent all mean the same kind of change."""
    data = minimal_plan()
    first_measure(data)["target"] = {"change": change}
    plan = load_plan(write_plan(tmp_path, data))
    assert measure_of(plan, "5.1").target.change == pytest.approx(expected)


def test_repeat_metric_without_subject(tmp_path: Path) -> None:
    message = load_error(tmp_path, lambda d: first_measure(d)["metric"].update(kind="repeat"))
    assert message.startswith("mini.yml: measure 5.1.metric:")
    assert "'repeat' metric needs 'subject'" in message


def test_proportion_without_numerator(tmp_path: Path) -> None:
    message = load_error(tmp_path, lambda d: first_measure(d)["metric"].update(kind="proportion"))
    assert message.startswith("mini.yml: measure 5.1.metric:")
    assert "'proportion' metric needs 'numerator'" in message


def test_unknown_column_type(tmp_path: Path) -> None:
    message = load_error(
        tmp_path,
        lambda d: d["extracts"]["crime"]["columns"].update(ward={"header": "Ward", "type": "area"}),
    )
    assert message.startswith("mini.yml: extracts.crime.columns.ward.type:")
    assert "unknown type 'area'" in message


def test_an_extract_is_a_partner_file_unless_it_names_its_source(tmp_path: Path) -> None:
    plan = load_plan(write_plan(tmp_path, minimal_plan()))
    spec = plan.extracts["crime"]
    assert spec.source == "partner"
    assert spec.options.layout == "quarterly"


def test_unknown_source_names_the_entry_and_the_known_sources(tmp_path: Path) -> None:
    message = load_error(tmp_path, lambda d: d["extracts"]["crime"].update(source="polise_uk"))
    assert message.startswith("mini.yml: extracts.crime.source:")
    assert "unknown source 'polise_uk'" in message
    assert "(known: partner, police_uk)" in message


def test_a_typo_in_a_sources_options_is_refused(tmp_path: Path) -> None:
    def police(data: dict[str, Any]) -> None:
        data["extracts"]["crime"] = {"source": "police_uk", "options": {"forse": "cleveland"}}

    message = load_error(tmp_path, police)
    assert message == ("mini.yml: extracts.crime.options: unknown option 'forse' (expected: force)")


def test_partner_options_are_the_file_layout_only(tmp_path: Path) -> None:
    message = load_error(tmp_path, lambda d: d["extracts"]["crime"].update(options={"force": "x"}))
    assert message == "mini.yml: extracts.crime.options: unknown option 'force' (expected: layout)"
    message = load_error(
        tmp_path, lambda d: d["extracts"]["crime"].update(options={"layout": "monthly"})
    )
    assert message.startswith("mini.yml: extracts.crime.options: option 'layout':")
    assert "'quarterly' or 'annual'" in message


def test_layout_is_an_option_of_partner_files_not_an_extract_key(tmp_path: Path) -> None:
    """`layout` has one meaning, the partner's file layout; a source is named with `source`."""
    message = load_error(tmp_path, lambda d: d["extracts"]["crime"].update(layout="annual"))
    assert message.startswith("mini.yml: extracts.crime: unknown key 'layout'")
    data = minimal_plan()
    data["extracts"]["crime"]["options"] = {"layout": "annual"}
    assert load_plan(write_plan(tmp_path, data)).extracts["crime"].options.layout == "annual"


def test_police_uk_has_fixed_columns_and_its_crime_types(tmp_path: Path) -> None:
    def police(data: dict[str, Any]) -> None:
        data["extracts"]["crime"] = {"source": "police_uk", "options": {"force": "cleveland"}}
        first_measure(data)["metric"]["where"] = {"crime_type": "Violent crime"}

    data = minimal_plan()
    police(data)
    plan = load_plan(write_plan(tmp_path, data))
    spec = plan.extracts["crime"]
    assert (spec.source, spec.options.force) == ("police_uk", "cleveland")
    assert spec.columns["crime_type"].header == "Crime type"
    assert measure_of(plan, "5.1").metric.where[0].values == (
        "Violent crime",
        "Violence and sexual offences",
    )
    message = load_error(
        tmp_path, lambda d: (police(d), d["extracts"]["crime"].update(columns={"a": "A"}))
    )
    assert message == (
        "mini.yml: extracts.crime.columns: police.uk files have fixed columns: leave 'columns' out"
    )


# --- what may be shown, and IDs ------------------------------------------------------------------


def test_values_are_shown_only_for_the_columns_a_plan_lists(tmp_path: Path) -> None:
    data = minimal_plan()
    assert load_plan(write_plan(tmp_path, data)).extracts["crime"].show_values == frozenset()
    data["extracts"]["crime"]["show_values"] = ["ward", "planned"]
    spec = load_plan(write_plan(tmp_path, data)).extracts["crime"]
    assert spec.show_values == {"ward", "planned"}
    assert spec.id_columns == ("ref",)
    data["extracts"]["crime"]["show_values"] = "ward"  # a list of one may be written bare
    assert load_plan(write_plan(tmp_path, data)).extracts["crime"].show_values == {"ward"}


def test_police_uk_values_are_public_and_shown(stockton: Plan) -> None:
    city = load_plan("city-of-london")
    spec = city.extracts["street_crime"]
    assert spec.show_values == set(spec.columns) and spec.id_columns == ()
    assert stockton.extracts["police_crime"].show_values == {"offence_group", "offence_subgroup"}


def test_stockton_types_every_person_and_record_id_as_an_id(stockton: Plan) -> None:
    ids = {(name, c) for name, spec in stockton.extracts.items() for c in spec.id_columns}
    for name, spec in stockton.extracts.items():
        for column in spec.columns:
            if column.endswith(("_id", "_ref")):
                assert (name, column) in ids, f"{name}.{column} is not pseudonymised"


@pytest.mark.parametrize(
    ("shown", "problem"),
    [
        ("wards", "'wards' is not one of the extract's columns"),
        ("ref", "'ref' holds IDs, which are never shown"),
    ],
)
def test_show_values_names_columns_other_than_ids(tmp_path: Path, shown: str, problem: str) -> None:
    message = load_error(tmp_path, lambda d: d["extracts"]["crime"].update(show_values=[shown]))
    assert message == f"mini.yml: extracts.crime.show_values: {problem}"


@pytest.mark.parametrize(
    ("change", "entry"),
    [
        ({"where": {"offender": ["P-1"]}}, "where"),
        ({"top": {"n": 3, "by": ["offender"]}}, "top.by"),
        ({"breakdown": {"by": ["offender"]}}, "breakdown.by"),
    ],
)
def test_a_figure_counts_ids_but_never_names_them(
    tmp_path: Path, change: dict[str, Any], entry: str
) -> None:
    """IDs are pseudonyms by the time a figure is counted: a filter on them would match nothing."""

    def ids(data: dict[str, Any]) -> None:
        data["extracts"]["crime"]["columns"]["offender"]["type"] = "id"
        first_measure(data)["metric"].update(change)

    message = load_error(tmp_path, ids)
    assert message.startswith(f"mini.yml: measure 5.1.metric.{entry}: 'offender' holds IDs")
    data = minimal_plan()
    data["extracts"]["crime"]["columns"]["offender"]["type"] = "id"
    first_measure(data)["metric"].update(kind="repeat", subject="offender", min_records=2)
    assert load_plan(write_plan(tmp_path, data)).measures[0].metric.options.subject == "offender"


def test_bad_yaml_syntax(tmp_path: Path) -> None:
    path = tmp_path / "broken.yml"
    path.write_text("plan: broken\nyears: [2011-12\nthemes: []\n", encoding="utf-8")
    with pytest.raises(PlanError) as caught:
        load_plan(path)
    message = str(caught.value)
    assert message.startswith("broken.yml: YAML:")
    assert "line" in message
    assert "\n" not in message


def test_missing_plan_file_lists_the_known_plans(tmp_path: Path) -> None:
    for missing in ("no-such-plan", tmp_path / "absent.yml"):
        with pytest.raises(PlanError) as caught:
            load_plan(missing)
        message = str(caught.value)
        assert "no such plan file" in message
        assert "known plans:" in message
        assert "stockton" in message


@pytest.mark.parametrize(
    ("entry", "change"),
    [
        (
            "measure 5.1.metric",
            lambda d: first_measure(d)["metric"].update(
                kind="repeat", subject="offender", min_records="three"
            ),
        ),
        (
            "measure 5.1.metric.top",
            lambda d: first_measure(d)["metric"].update(top={"n": "five", "by": "ward"}),
        ),
        ("measure 5.1.target", lambda d: first_measure(d).update(target={"points": "two"})),
        (
            "measure 5.1.metric.where.ward",
            lambda d: first_measure(d)["metric"].update(where={"ward": {}}),
        ),
    ],
    ids=["min_records", "top.n", "target.points", "empty-where-rule"],
)
def test_non_numeric_or_empty_entries_are_plan_errors(
    tmp_path: Path, entry: str, change: Callable[[dict[str, Any]], None]
) -> None:
    """Every typo is a PlanError naming file and entry, so `csp validate` never shows a traceback."""
    message = load_error(tmp_path, change)
    assert message.startswith(f"mini.yml: {entry}")


def test_a_plan_of_calendar_years(tmp_path: Path) -> None:
    """`year_start: january`: years are written 2025 (quoted or not), the baseline the year before
    unless the plan names it, and Q1 is January to March."""
    data = {**minimal_plan(), "year_start": "january", "years": ["2024", 2025]}
    plan = load_plan(write_plan(tmp_path, data))
    assert plan.year_start == "january"
    assert plan.years == (CalendarYear(2024), CalendarYear(2025))
    assert plan.baseline_for(plan.parse_year("2025")) == CalendarYear(2024)
    assert [str(m) for m in plan.years[1].quarter_months(1)] == ["2025-01", "2025-02", "2025-03"]
    named = load_plan(write_plan(tmp_path, {**data, "baseline_year": "2023"}))
    assert named.baseline_for(named.years[1]) == CalendarYear(2023)
    assert load_plan(write_plan(tmp_path, minimal_plan())).year_start == "april"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"year_start": "january", "years": ["2025-26"]}, "years: calendar year '2025-26'"),
        (
            {"year_start": "january", "years": ["2025"], "baseline_year": "2024-25"},
            "baseline_year: calendar year",
        ),
        ({"years": ["2025"]}, "years: financial year '2025' is not of the form 2011-12"),
        (
            {"year_start": "july"},
            "year_start: unknown year_start 'july' (expected one of: april, january)",
        ),
    ],
    ids=["financial-year-in-calendar-plan", "baseline", "calendar-year-in-financial-plan", "july"],
)
def test_years_must_be_written_as_the_plans_year_start_says(
    tmp_path: Path, change: dict[str, Any], problem: str
) -> None:
    message = load_error(tmp_path, lambda d: d.update(change))
    assert message.startswith(f"mini.yml: {problem}")


def test_a_calendar_year_the_plan_does_not_cover_is_named_as_written(tmp_path: Path) -> None:
    plan = load_plan(
        write_plan(tmp_path, {**minimal_plan(), "year_start": "january", "years": [2025]})
    )
    with pytest.raises(PlanError, match=r"years: the plan does not cover 2026 \(it covers 2025\)"):
        plan.check_year(plan.parse_year(2026))


def test_annual_baseline_is_read_with_its_profile(tmp_path: Path) -> None:
    data = minimal_plan()
    first_measure(data)["baseline"] = {"annual": 221}
    measure = measure_of(load_plan(write_plan(tmp_path, data)), "5.1")
    assert (measure.annual_baseline, measure.baseline_profile) == (221.0, None)


@pytest.mark.parametrize(
    ("baseline", "problem"),
    [
        ({"annual": "lots"}, "measure 5.1.baseline.annual: 'lots' is not a number"),
        (
            {"annual": 221, "profile": "9.9"},
            "measure 5.1.baseline.profile: '9.9' is not another measure",
        ),
        (
            {"annual": 221, "profile": "5.1"},
            "measure 5.1.baseline.profile: '5.1' is not another measure",
        ),
        ({"total": 221}, "measure 5.1.baseline: unknown key 'total'"),
    ],
)
def test_annual_baseline_errors_name_the_entry(
    tmp_path: Path, baseline: dict[str, Any], problem: str
) -> None:
    message = load_error(tmp_path, lambda d: first_measure(d).update(baseline=baseline))
    assert message.startswith(f"mini.yml: {problem}")


def test_a_theme_is_named_by_its_name_and_a_measure_without_number_by_its_place(
    tmp_path: Path,
) -> None:
    message = load_error(tmp_path, lambda d: d["themes"][0].update(colour="blue"))
    assert message.startswith("mini.yml: theme Damage: unknown key 'colour'")
    message = load_error(tmp_path, lambda d: first_measure(d).pop("id"))
    assert message == "mini.yml: theme Damage.measures[0]: 'id' is required"


def test_an_empty_value_counts_as_left_out(tmp_path: Path) -> None:
    message = load_error(tmp_path, lambda d: first_measure(d).update(title=""))
    assert message == "mini.yml: measure 5.1: 'title' is required"


def test_a_yes_or_no_entry_refuses_other_words(tmp_path: Path) -> None:
    message = load_error(tmp_path, lambda d: first_measure(d).update(lower_is_better="perhaps"))
    assert message == "mini.yml: measure 5.1.lower_is_better: 'perhaps' is not true or false"


def test_unknown_baseline_and_projection_list_the_choices(tmp_path: Path) -> None:
    message = load_error(tmp_path, lambda d: first_measure(d).update(baseline="whole"))
    assert message == (
        "mini.yml: measure 5.1.baseline: unknown baseline 'whole' "
        "(expected one of: same_months, whole_year)"
    )
    message = load_error(tmp_path, lambda d: first_measure(d).update(projection="linear"))
    assert message.startswith("mini.yml: measure 5.1.projection: unknown projection 'linear'")


def test_a_not_rule_and_a_bare_value_are_conditions(tmp_path: Path) -> None:
    data = minimal_plan()
    first_measure(data)["metric"]["where"] = {"ward": {"not": "Yarm"}, "planned": True}
    metric = measure_of(load_plan(write_plan(tmp_path, data)), "5.1").metric
    assert metric.where == (
        Condition(column="ward", values=("Yarm",), negate=True),
        Condition(column="planned", values=(True,)),
    )


def imported_modules(module: str) -> set[str]:
    """Every module `module` imports when it is imported (and the names it takes from them)."""
    path = config.PROJECT_ROOT / (module.replace(".", "/") + ".py")
    if not path.is_file():  # a package
        path = path.with_suffix("") / "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            names |= {f"{node.module}.{a.name}" for a in node.names} | {node.module}
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
    return names


def test_the_plan_imports_only_leaves_and_the_registries() -> None:
    """Loading a plan needs nothing of the engine that computes the figures."""
    allowed = {"config", "errors", "registry", "domain", "kinds", "sources", "plan"}
    plan_modules = ["csp.plan", "csp.plan.model", "csp.plan.schema", "csp.plan.resolve"]
    csp_modules = {
        name.split(".")[1]
        for module in plan_modules
        for name in imported_modules(module)
        if name.startswith("csp.")
    }
    assert csp_modules <= allowed
    assert "engine" not in csp_modules


def test_the_figures_vocabulary_is_a_leaf() -> None:
    """No pandas and nothing of csp: the plan checks templates without the engine."""
    assert imported_modules("csp.domain.figures") == {
        "__future__",
        "__future__.annotations",
        "string",
    }


def test_an_lsoa_without_a_ward_is_in_the_area_in_no_ward(tmp_path: Path) -> None:
    """`E01035197: null` (or empty): in the area, its ward not known; the wards are the others."""
    data = {**minimal_plan(), "wards": []}
    data["lsoas"] = {"E01012187": "Hardwick", "E01035197": None, "E01035198": ""}
    data["groups"] = {"pair": ["Hardwick"]}
    plan = load_plan(write_plan(tmp_path, data))
    assert plan.lsoas == {"E01012187": "Hardwick", "E01035197": None, "E01035198": None}
    assert plan.wards == ("Hardwick",)


def test_a_breakdown_top_must_be_a_positive_number(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        first_measure(data)["metric"]["breakdown"] = {"by": ["ward"], "top": 0}

    assert "measure 5.1.metric.breakdown.top" in load_error(tmp_path, change)
    data = minimal_plan()
    first_measure(data)["metric"]["breakdown"] = {"by": ["ward"], "top": 2}
    plan = load_plan(write_plan(tmp_path, data))
    assert measure_of(plan, "5.1").metric.breakdown.top == 2
