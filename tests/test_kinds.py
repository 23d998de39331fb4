"""Measure kinds: each answers for its own figures, tests and projections; the engine only asks."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csp.errors import PlanError
from csp.kinds import KINDS, Span
from csp.kinds.base import Judged
from csp.kinds.rate import RateOptions
from csp.plan import load_plan
from csp.stats import significance

REDUCE = Judged(direction="reduce", lower_is_better=True, alpha=0.05)


def span(
    values: list[float], denominators: list[float] | None = None, latest: bool = False
) -> Span:
    dens = denominators if denominators is not None else [math.nan] * len(values)
    return Span(np.array(values, dtype=float), np.array(dens, dtype=float), latest)


def records(months: list[str], **columns: list[object]) -> pd.DataFrame:
    table = pd.DataFrame({"_month": months, **columns})
    table["_date"] = pd.to_datetime(table["_month"], format="%Y-%m")
    table["_source"] = "s"
    table["_row"] = range(2, len(table) + 2)
    return table


def rate_options(population: float = 100_000, per: int = 1000) -> RateOptions:
    return RateOptions.model_validate(
        {"population": {"value": population, "source": "ONS mid-year estimate"}, "per": per}
    )


def test_the_registry_holds_the_five_kinds() -> None:
    assert KINDS.names() == ["count", "repeat", "proportion", "supplied", "rate"]
    with pytest.raises(KeyError, match="unknown metric kind 'ratio' \\(known: count, repeat"):
        KINDS.get("ratio")


def test_count_sums_months_and_tests_with_poisson() -> None:
    kind = KINDS.get("count")
    comparison = kind.compare(span([10, 20, 22]), span([10, 10, 10]), None)
    assert (comparison.actual, comparison.baseline) == (52, 30)
    p, label = kind.test(comparison, 41, REDUCE, None)
    assert p == pytest.approx(significance.count_p_value(52, 41))
    assert label == "within normal variation"  # the brief's example: 52 against 41 could be chance
    point, low, high = kind.project(comparison, 0.25, 0.9, None)
    assert point == 208 and low < point < high


def test_repeat_counts_a_subject_in_the_month_it_becomes_a_repeat() -> None:
    kind = KINDS.get("repeat")
    options = kind.Options(subject="caller", min_records=2)
    table = records(
        ["2011-04", "2011-04", "2011-05", "2011-06", "2011-06"],
        caller=["a", "b", "a", "b", "c"],
    )
    value, denominator = kind.monthly(table, options)
    assert value.to_dict() == {"2011-05": 1, "2011-06": 1} and denominator is None


def test_proportion_compares_percentages_with_counts_beside_them() -> None:
    kind = KINDS.get("proportion")
    comparison = kind.compare(span([30, 30], [50, 66]), span([40, 40], [100, 100]), None)
    assert comparison.actual == pytest.approx(100 * 60 / 116)
    assert (comparison.numerator, comparison.denominator) == (60, 116)
    _, low, high = kind.project(comparison, 0.5, 0.9, None)
    assert low < comparison.actual < high and high <= 100
    assert kind.format(51.72) == "51.7%"
    no_records = kind.compare(span([0], [0]), span([1], [2]), None)
    assert kind.unusable(no_records, False, "2010-11") == "no records to take a proportion of"


def test_supplied_takes_the_latest_figure_and_has_no_test() -> None:
    kind = KINDS.get("supplied")
    comparison = kind.compare(
        span([math.nan, 61.0, math.nan], latest=True), span([58.0, math.nan], latest=True), None
    )
    assert (comparison.actual, comparison.baseline) == (61.0, 58.0)
    assert kind.test(comparison, 58.0, REDUCE, None) == (None, "")
    assert kind.compare(span([math.nan], latest=True), span([1.0], latest=True), None) is None


def test_rate_is_the_count_per_thousand_residents() -> None:
    kind, options = KINDS.get("rate"), rate_options(population=8600)
    figure = kind.figure(np.array([43.0, 86.0]), np.array([math.nan, math.nan]), options)
    assert figure.tolist() == pytest.approx([5.0, 10.0])
    comparison = kind.compare(span([43, 86]), span([43, 43]), options)
    assert comparison.actual == pytest.approx(15.0) and comparison.baseline == pytest.approx(10.0)
    assert (comparison.numerator, comparison.denominator) == (129, 8600)
    assert kind.format(15.0) == "15.00"
    assert kind.axis_label("crimes", options) == "crimes per 1,000 residents"


def test_rate_significance_is_tested_on_the_count_behind_it() -> None:
    """130 crimes against a target of 100 among 100,000 residents is a real rise (p < 0.01);
    a test that took the rates 1.3 and 1.0 for counts would call it chance."""
    kind, options = KINDS.get("rate"), rate_options(population=100_000)
    comparison = kind.compare(span([130]), span([100]), options)
    p, label = kind.test(comparison, 1.0, REDUCE, options)
    assert p == pytest.approx(significance.count_p_value(130, 100.0))
    assert label == "worse" and p < 0.01
    _, as_counts = KINDS.get("count").test(
        KINDS.get("count").compare(span([1.3]), span([1.0]), None), 1.0, REDUCE, None
    )
    assert as_counts == "within normal variation"


def test_rate_projection_is_a_rate_with_the_counts_interval_scaled() -> None:
    kind, options = KINDS.get("rate"), rate_options(population=50_000)
    comparison = kind.compare(span([100, 100, 100]), span([90, 90, 90]), options)
    point, low, high = kind.project(comparison, 0.25, 0.9, options)
    count_point, count_low, count_high = significance.projection_interval(300, 0.25, 0.9)
    assert point == pytest.approx(count_point / 50) == pytest.approx(24.0)
    assert (low, high) == (pytest.approx(count_low / 50), pytest.approx(count_high / 50))
    assert high - low < (count_high - count_low)  # an interval on the rate, not on the count


def plan_file(tmp_path: Path, metric: str) -> Path:
    text = textwrap.dedent(
        """\
        plan: mini
        years: ["2011-12"]
        wards: [North]
        extracts:
          crime:
            file: crime.csv
            id: ref
            date: day
            columns: {ref: {header: Ref, type: id}, day: {header: Day, type: date}}
        themes:
          - theme: T
            measures:
              - id: "1.1"
                title: A measure
                direction: reduce
                target: {change: 0%}
                metric: METRIC
        """
    ).replace("METRIC", metric)
    path = tmp_path / "mini.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_unknown_kind_is_a_plan_error_naming_the_entry_and_the_known_kinds(
    tmp_path: Path,
) -> None:
    with pytest.raises(PlanError) as error:
        load_plan(plan_file(tmp_path, "{kind: ratio, sources: [crime]}"))
    message = str(error.value)
    assert message.startswith("mini.yml: measure 1.1.metric.kind:")
    assert "unknown metric kind 'ratio'" in message and "count, repeat, proportion" in message


def test_a_rate_needs_its_population_and_source(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="a 'rate' metric needs 'population'"):
        load_plan(plan_file(tmp_path, "{kind: rate, sources: [crime]}"))
    with pytest.raises(PlanError, match=r"population\.source"):
        load_plan(plan_file(tmp_path, "{kind: rate, sources: [crime], population: {value: 10}}"))
    with pytest.raises(PlanError, match=r"population\.value"):
        load_plan(
            plan_file(tmp_path, "{kind: rate, sources: [crime], population: {value: 0, source: x}}")
        )


def test_a_kind_refuses_options_of_another_kind(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="unknown key 'subject'"):
        load_plan(plan_file(tmp_path, "{kind: count, sources: [crime], subject: ref}"))


def test_city_of_london_states_its_rate_measures_population_and_source() -> None:
    plan = load_plan("city-of-london")
    rate = next(m for m in plan.measures if m.id == "C11")
    assert rate.metric.kind is KINDS.get("rate")
    assert rate.metric.options.population.value == 8600
    assert "Census 2021" in rate.metric.options.population.source
