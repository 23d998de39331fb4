"""Comments: computed figures worded by the plan's templates, after the analyst's typed notes.

Results are built by hand here so each rule of the wording is checked without running a pipeline.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from plan_lookup import measure_of

from csp.domain import figures as vocabulary
from csp.domain.statuses import NO_DATA, OFF_TRACK, ON_TRACK
from csp.engine import comments
from csp.engine.results import QuarterResult
from csp.kinds import Comparison
from csp.plan import Measure, Plan, load_plan

INVENTORY_COLUMNS = ["source", "year", "quarter", "status", "note"]


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan("stockton")


def inventory(rows: list[tuple[str, str, str, str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=INVENTORY_COLUMNS)


def commentary(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["measure", "quarter", "note"])


def no_notes() -> tuple[pd.DataFrame, pd.DataFrame]:
    return commentary([]), inventory([])


def quarter(measure: Measure, number: int, actual: float, baseline: float) -> QuarterResult:
    """A result whose own quarter moved from `baseline` to `actual`."""
    return QuarterResult(
        measure=measure,
        quarter=number,
        status=ON_TRACK,
        quarter_only=Comparison(actual=actual, baseline=baseline),
    )


# --- template_fields and check_template ---------------------------------------------------------


def test_template_fields_lists_names_with_prefixes_in_order() -> None:
    fields = vocabulary.template_fields("{police.change_word} by {abs_change_pct:.0f}% ({actual})")
    assert fields == ["police.change_word", "abs_change_pct", "actual"]


def test_template_fields_of_plain_text_is_empty() -> None:
    assert vocabulary.template_fields("No consultation carried out YTD.") == []


def test_template_fields_refuses_unbalanced_braces() -> None:
    with pytest.raises(ValueError, match="not valid"):
        vocabulary.template_fields("{actual crimes")


@pytest.mark.parametrize(
    "template",
    [
        "{actual:.0f} against {baseline:.0f}: {change_word}",
        "{abs_vs_target_pct:.1f}% ({abs_vs_target:.0f} crimes) {target_side} the target",
        "Projection {projection:.0f}; {projection_change_noun}",
        "{Q1.change_word} in Q1, {Q4.change_pct:.1f}% in Q4",
        "{latest.change_noun:cap} in {latest.quarter}",
        "{breakdown.reduced:words} of {breakdown.count:words}; {breakdown.not_reduced}",
        "Borough {police.abs_change_pct:.1f}% {police.change_noun}",
    ],
)
def test_check_template_accepts_computed_figures_and_known_prefixes(template: str) -> None:
    vocabulary.check_template(template, {"police"})


@pytest.mark.parametrize(
    ("template", "bad"),
    [
        ("{actaul} crimes", "{actaul}"),
        ("{police.change_word}", "{police.change_word}"),  # no context named police
        ("{Q5.actual}", "{Q5.actual}"),
        ("{breakdown.actual}", "{breakdown.actual}"),  # not a breakdown figure
        ("{borough.target}", "{borough.target}"),  # context figures are comparisons only
        ("{latest.Q1.actual}", "{latest.Q1.actual}"),
    ],
)
def test_check_template_rejects_figures_the_engine_does_not_compute(
    template: str, bad: str
) -> None:
    with pytest.raises(ValueError) as caught:
        vocabulary.check_template(template, {"borough"})
    assert f"'{bad}'" in str(caught.value)
    assert "does not compute" in str(caught.value)


# --- render -------------------------------------------------------------------------------------


def test_render_uses_the_first_template_whose_figures_all_exist() -> None:
    templates = ("Figures up to {data_to}: {actual}.", "{actual} so far.")
    assert comments.render(templates, {"data_to": "Aug", "actual": 7}) == "Figures up to Aug: 7."
    assert comments.render(templates, {"data_to": None, "actual": 7}) == "7 so far."


def test_render_skips_a_template_with_a_nan_figure() -> None:
    templates = ("{change_pct:.1f}% change.", "No percentage: {change_word}.")
    figures = {"change_pct": math.nan, "change_word": "increased"}
    assert comments.render(templates, figures) == "No percentage: increased."


def test_render_skips_a_template_naming_an_absent_figure_or_prefix() -> None:
    figures = {"actual": 3, "latest": {}}
    assert comments.render(("{missing}", "{latest.quarter}", "{actual} left"), figures) == "3 left"


def test_render_returns_empty_when_no_template_fits() -> None:
    assert comments.render(("{actual}", "{baseline}"), {"actual": None}) == ""
    assert comments.render((), {"actual": 1}) == ""


def test_render_cap_capitalises_only_the_first_letter() -> None:
    text = comments.render(("{trend:cap}.",), {"trend": "increased in Q1 but reduced in Q2"})
    assert text == "Increased in Q1 but reduced in Q2."


@pytest.mark.parametrize(("value", "word"), [(0, "no"), (4, "four"), (5.0, "five"), (12, "twelve")])
def test_render_words_writes_small_numbers_as_words(value: float, word: str) -> None:
    assert comments.render(("{n:words}",), {"n": value}) == word


def test_render_words_keeps_larger_numbers_as_digits() -> None:
    assert comments.render(("{n:words}",), {"n": 27}) == "27"


def test_render_prints_integer_valued_floats_without_point_zero() -> None:
    """Sums come out of pandas as floats; '144.0 crimes' would look wrong on a board paper."""
    assert comments.render(("{n} crimes",), {"n": 144.0}) == "144 crimes"
    assert comments.render(("{n} crimes",), {"n": 14.5}) == "14.5 crimes"
    assert comments.render(("{n:.1f}%",), {"n": 52.0}) == "52.0%"


def test_render_attribute_access_for_prefixed_figures() -> None:
    figures = {"police": comments.comparison_figures(Comparison(actual=107, baseline=100))}
    text = comments.render(
        ("Police ASB {police.change_word} by {police.abs_change_pct:.0f}%",), figures
    )
    assert text == "Police ASB increased by 7%"


# --- change_word, change_noun, comparison_figures ------------------------------------------------


@pytest.mark.parametrize(
    ("change", "word", "noun"),
    [(3, "increased", "increase"), (-0.5, "reduced", "reduction"), (0, "not changed", "no change")],
)
def test_change_word_and_noun(change: float, word: str, noun: str) -> None:
    assert comments.change_word(change) == word
    assert comments.change_noun(change) == noun


def test_comparison_figures_from_a_comparison() -> None:
    """52 crimes against 41 in the baseline: +11, 26.8% up."""
    figures = comments.comparison_figures(Comparison(actual=52, baseline=41))
    assert figures["change"] == 11
    assert figures["abs_change"] == 11
    assert figures["change_pct"] == pytest.approx(26.829, abs=1e-3)
    assert figures["abs_change_pct"] == pytest.approx(26.829, abs=1e-3)
    assert (figures["change_word"], figures["change_noun"]) == ("increased", "increase")
    assert figures["numerator"] is None
    assert figures.actual == 52


def test_comparison_figures_reduction_keeps_sign_in_change_and_not_in_abs() -> None:
    figures = comments.comparison_figures(Comparison(actual=144, baseline=221))
    assert figures["change"] == -77
    assert figures["abs_change"] == 77
    assert figures["change_pct"] == pytest.approx(-34.84, abs=1e-2)
    assert figures["abs_change_pct"] == pytest.approx(34.84, abs=1e-2)
    assert figures["change_noun"] == "reduction"


def test_comparison_figures_rounds_counts_behind_a_proportion() -> None:
    """'(60 of 116)' must print as whole numbers even when the counts arrive as floats."""
    comparison = Comparison(actual=100 * 60 / 116, baseline=50.0, numerator=60.0, denominator=116.0)
    figures = comments.comparison_figures(comparison)
    assert (figures["numerator"], figures["denominator"]) == (60, 116)
    assert isinstance(figures["numerator"], int)
    assert comments.render(("({numerator} of {denominator})",), figures) == "(60 of 116)"


def test_comparison_figures_zero_baseline_has_no_percentage() -> None:
    figures = comments.comparison_figures(Comparison(actual=5, baseline=0))
    assert figures["change_pct"] is None
    assert figures["abs_change_pct"] is None
    assert figures["change_word"] == "increased"


def test_comparison_figures_of_nothing_are_all_none() -> None:
    figures = comments.comparison_figures(None)
    assert set(figures) == set(vocabulary.COMPARISON_FIGURES)
    assert all(value is None for value in figures.values())


def test_comparison_figures_without_a_baseline_proportion_claim_nothing() -> None:
    """A proportion whose baseline had no records is NaN: no template may say 'no change'."""
    figures = comments.comparison_figures(Comparison(actual=52.0, baseline=math.nan))
    assert figures["change_word"] is None
    assert figures["change_noun"] is None
    assert comments.render(("{change_noun:cap} to % of baseline.",), figures) == ""


# --- quarter_trend ------------------------------------------------------------------------------


def test_quarter_trend_but_when_direction_turns(plan: Plan) -> None:
    measure = measure_of(plan, "2.1")
    history = [quarter(measure, 1, 10, 8), quarter(measure, 2, 3, 9)]
    assert comments.quarter_trend(history) == "increased in Q1 but reduced in Q2"


def test_quarter_trend_and_when_direction_repeats(plan: Plan) -> None:
    measure = measure_of(plan, "2.1")
    history = [quarter(measure, 1, 10, 8), quarter(measure, 2, 12, 9), quarter(measure, 3, 4, 4)]
    assert comments.quarter_trend(history) == (
        "increased in Q1 and increased in Q2 but not changed in Q3"
    )


def test_quarter_trend_leaves_out_quarters_with_no_data(plan: Plan) -> None:
    measure = measure_of(plan, "2.1")
    missing = QuarterResult(measure=measure, quarter=1, status=NO_DATA, reason="extract missing")
    assert comments.quarter_trend([missing, quarter(measure, 2, 3, 9)]) == "reduced in Q2"
    assert comments.quarter_trend([missing]) is None
    assert comments.quarter_trend([]) is None


def test_quarter_trend_renders_the_seed_comment(plan: Plan) -> None:
    """2.1 in the 2011/12 dashboard: 'Increased in Q1 but reduced in Q2, currently 16% reduction'."""
    measure = measure_of(plan, "2.1")
    history = [quarter(measure, 1, 10, 8), quarter(measure, 2, 11, 17)]
    figures = comments.comparison_figures(Comparison(actual=21, baseline=25))
    figures["quarter_trend"] = comments.quarter_trend(history)
    assert comments.render(measure.comment, figures) == (
        "Increased in Q1 but reduced in Q2, currently 16% reduction on baseline YTD."
    )


def test_quarter_trend_leaves_out_a_quarter_with_no_baseline_proportion(plan: Plan) -> None:
    """0 exits in the baseline quarter make its proportion NaN: that quarter did not 'not change'."""
    measure = measure_of(plan, "4.3")
    history = [quarter(measure, 1, 50.0, math.nan), quarter(measure, 2, 50.0, 40.0)]
    assert comments.quarter_trend(history) == "increased in Q2"


# --- breakdown_figures --------------------------------------------------------------------------


def test_breakdown_figures_name_the_streets_that_did_not_go_down(plan: Plan) -> None:
    result = QuarterResult(
        measure=measure_of(plan, "5.2"),
        quarter=2,
        status=ON_TRACK,
        breakdown=[
            ("High Street in Stockton Town Centre", Comparison(actual=5, baseline=9)),
            ("Tithe Barn Road in Hardwick", Comparison(actual=14, baseline=8)),
            ("Yarm Lane in Parkfield and Oxbridge", Comparison(actual=2, baseline=7)),
        ],
    )
    figures = comments.breakdown_figures(result)
    assert (figures["count"], figures["reduced"], figures["increased"]) == (3, 2, 1)
    assert figures["unchanged"] == 0
    assert figures["not_reduced"] == "Tithe Barn Road in Hardwick (+6 offences)"
    assert figures["not_increased"] == (
        "High Street in Stockton Town Centre (-4 offences) and "
        "Yarm Lane in Parkfield and Oxbridge (-5 offences)"
    )


def test_breakdown_unchanged_item_is_not_a_reduction(plan: Plan) -> None:
    result = QuarterResult(
        measure=measure_of(plan, "5.2"),
        quarter=2,
        status=ON_TRACK,
        breakdown=[
            ("Bath Lane in Newtown", Comparison(actual=4, baseline=4)),
            ("Dovecot Street in Stockton Town Centre", Comparison(actual=1, baseline=3)),
        ],
    )
    figures = comments.breakdown_figures(result)
    assert figures["unchanged"] == 1
    assert figures["not_reduced"].startswith("Bath Lane in Newtown")


def test_breakdown_not_reduced_is_none_when_all_reduced(plan: Plan) -> None:
    """None lets the plan's second template ('reductions in all five') take over."""
    measure = measure_of(plan, "5.2")
    streets = [f"Street {n} in Hardwick" for n in range(5)]
    result = QuarterResult(
        measure=measure,
        quarter=2,
        status=ON_TRACK,
        breakdown=[(s, Comparison(actual=1, baseline=3)) for s in streets],
    )
    figures = comments.breakdown_figures(result)
    assert figures["not_reduced"] is None
    assert comments.render(measure.comment, {"breakdown": figures}) == (
        "There have been reductions against the baseline in all five top repeat streets."
    )


def test_breakdown_of_a_measure_without_items_is_all_none(plan: Plan) -> None:
    result = QuarterResult(measure=measure_of(plan, "5.1"), quarter=1, status=ON_TRACK)
    assert all(value is None for value in comments.breakdown_figures(result).values())


# --- notes_for and write_comments ---------------------------------------------------------------


def test_notes_for_puts_availability_notes_first_then_the_analysts(plan: Plan) -> None:
    sources = measure_of(plan, "4.3").metric.sources
    available = inventory(
        [
            ("ndtms_exits", "2011-12", "Q2", "partial", "Q2 data not available until mid-August."),
            ("ndtms_exits", "2011-12", "Q1", "read", "Q1 note, wrong quarter."),
            ("ndtms_exits", "2010-11", "Q2", "read", "Baseline note, wrong year."),
            ("police_crime", "2011-12", "Q2", "read", "Another extract's note."),
            ("ndtms_exits", "2011-12", "Q2", "read", None),
            ("ndtms_exits", "2011-12", "Q2", "read", ""),
        ]
    )
    analyst = commentary(
        [
            ("4.3", "Q2", "Exits checked with the provider."),
            ("4.3", "Q1", "Q1 analyst note."),
            ("4.1", "Q2", "Another measure's note."),
            ("4.3", "Q2", "  Q2 data not available until mid-August.  "),
        ]
    )
    notes = comments.notes_for("4.3", "Q2", sources, analyst, available, "2011-12")
    assert notes == [
        "Q2 data not available until mid-August.",
        "Exits checked with the provider.",
    ]


def test_notes_for_with_no_notes_is_empty(plan: Plan) -> None:
    analyst, available = no_notes()
    assert comments.notes_for("5.1", "Q1", ("police_crime",), analyst, available, "2011-12") == []


def test_write_comments_no_data_without_a_note_gives_the_reason(plan: Plan) -> None:
    measure = measure_of(plan, "3.3")  # no comment template
    result = QuarterResult(
        measure=measure, quarter=1, status=NO_DATA, reason="extract missing (police_crime Q1)"
    )
    analyst, available = no_notes()
    assert comments.write_comments([result], analyst, available, "2011-12") == [
        "No data: extract missing (police_crime Q1)."
    ]


def test_write_comments_no_data_with_a_note_gives_only_the_note(plan: Plan) -> None:
    """'No update due – baseline to be collected this year.' is the whole comment in the seed."""
    measure = measure_of(plan, "2.2")
    result = QuarterResult(measure=measure, quarter=1, status=NO_DATA, reason="baseline missing")
    analyst = commentary([("2.2", "Q1", "No update due – baseline to be collected this year.")])
    written = comments.write_comments([result], analyst, inventory([]), "2011-12")
    assert written == ["No update due – baseline to be collected this year."]


def test_write_comments_on_track_without_templates_is_blank(plan: Plan) -> None:
    result = QuarterResult(
        measure=measure_of(plan, "5.1"),
        quarter=1,
        status=ON_TRACK,
        ytd=Comparison(actual=90, baseline=100),
        target=95.0,
    )
    analyst, available = no_notes()
    assert comments.write_comments([result], analyst, available, "2011-12") == [""]


def test_write_comments_notes_then_computed_sentence(plan: Plan) -> None:
    """4.3 at Q2: the availability note, then 'Figures up to Aug YTD show that 52% (60 of 116)…'."""
    measure = measure_of(plan, "4.3")
    q1 = QuarterResult(
        measure=measure,
        quarter=1,
        status=ON_TRACK,
        months=("2011-04", "2011-05", "2011-06"),
        ytd=Comparison(actual=50.0, baseline=45.0, numerator=30.0, denominator=60.0),
        target=45.0,
    )
    q2 = QuarterResult(
        measure=measure,
        quarter=2,
        status=ON_TRACK,
        months=("2011-04", "2011-05", "2011-06", "2011-07", "2011-08"),
        data_to="Aug",
        ytd=Comparison(actual=100 * 60 / 116, baseline=45.0, numerator=60.0, denominator=116.0),
        target=45.0,
    )
    available = inventory(
        [("ndtms_exits", "2011-12", "Q2", "partial", "Q2 data not available until mid-August.")]
    )
    written = comments.write_comments([q1, q2], commentary([]), available, "2011-12")
    assert written == [
        "50% (30 of 60) exits were planned YTD.",
        "Q2 data not available until mid-August. "
        "Figures up to Aug YTD show that 52% (60 of 116) exits were planned.",
    ]


def test_write_comments_latest_prefix_reports_the_last_quarter_with_data(plan: Plan) -> None:
    """4.1 at Q2 has no data; its comment still says what Q1 showed ('No change … in Q1')."""
    measure = measure_of(plan, "4.1")
    q1 = QuarterResult(
        measure=measure,
        quarter=1,
        status=ON_TRACK,
        ytd=Comparison(actual=30.0, baseline=30.0, numerator=30.0, denominator=100.0),
        target=30.0,
    )
    q2 = QuarterResult(measure=measure, quarter=2, status=NO_DATA, reason="not yet published")
    available = inventory([("ndtms_clients", "2011-12", "Q2", "unpublished", "Q2 not on ndtms.")])
    written = comments.write_comments([q1, q2], commentary([]), available, "2011-12")
    assert written[1] == "Q2 not on ndtms. No change to % of baseline in Q1."


def test_write_comments_off_track_against_target(plan: Plan) -> None:
    """3.1: '26.8% (11 crimes) above the target to achieve this year.'"""
    result = QuarterResult(
        measure=measure_of(plan, "3.1"),
        quarter=2,
        status=OFF_TRACK,
        months=("2011-04", "2011-09"),
        ytd=Comparison(actual=52, baseline=41),
        target=41.0,
    )
    analyst, available = no_notes()
    assert comments.write_comments([result], analyst, available, "2011-12") == [
        "26.8% (11 crimes) above the target to achieve this year."
    ]
