"""Comments: the figures behind a status, worded by the plan's templates, plus the analyst's notes.

A template is Python format text naming computed figures, e.g.
``{abs_vs_target_pct:.1f}% ({abs_vs_target:.0f} crimes) {target_side} the target``.
A measure may list several templates: the first whose figures all exist is used (a quarter not yet
reached, or a breakdown with no exceptions, leaves a figure undefined). Two extra format codes:
``:cap`` capitalises the first letter, ``:words`` writes small numbers as words ("four").
"""

from __future__ import annotations

import itertools
import math
import string
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from csp.domain.figures import BREAKDOWN_FIGURES, COMPARISON_FIGURES, STATUS_FIGURES
from csp.domain.figures import (
    template_fields as template_fields,  # re-exported: metrics reads it here
)
from csp.domain.periods import month_span

if TYPE_CHECKING:
    from csp.engine.results import QuarterResult
    from csp.kinds import Comparison

MOVED_MOST = 3  # how many items `breakdown.moved_most` names
_NUMBER_WORDS = (
    "no",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
)


class _Figures(dict):
    """A namespace of figures; attribute access lets templates say {police.change_word}."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


class _Formatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            raise _Missing
        if format_spec == "cap":
            text = str(value)
            return text[:1].upper() + text[1:]
        if format_spec == "words":
            number = int(value)
            return _NUMBER_WORDS[number] if 0 <= number < len(_NUMBER_WORDS) else str(number)
        if isinstance(value, float) and not format_spec and value.is_integer():
            return str(int(value))
        return super().format_field(value, format_spec)


class _Missing(Exception):
    """A template needs a figure this quarter does not have."""


def render(templates: tuple[str, ...], figures: Mapping[str, Any]) -> str:
    """The first template whose figures all exist, filled in; '' when none fits."""
    formatter = _Formatter()
    for template in templates:
        try:
            return formatter.vformat(template, (), figures)
        except (_Missing, AttributeError, KeyError):
            continue
    return ""


def change_word(change: float) -> str:
    return "increased" if change > 0 else "reduced" if change < 0 else "not changed"


def change_noun(change: float) -> str:
    return "increase" if change > 0 else "reduction" if change < 0 else "no change"


def change_phrase(change: float, pct: float | None) -> str:
    """'an increase of 12 (5.0%)', 'a reduction of 3 (1.2%)' or 'no change'."""
    if change == 0:
        return "no change"
    size = f"{abs(change):,.0f}" if float(change).is_integer() else f"{abs(change):,.1f}"
    share = f" ({abs(pct):.1f}%)" if pct is not None else ""
    return f"{'an increase' if change > 0 else 'a reduction'} of {size}{share}"


def percent_change(new: float, old: float) -> float | None:
    return None if not old else 100 * (new - old) / old


def comparison_figures(comparison: Comparison | None) -> _Figures:
    """Figures of a comparison; all None when there is nothing to compare."""
    if comparison is None or math.isnan(comparison.actual) or math.isnan(comparison.baseline):
        return _Figures(dict.fromkeys(COMPARISON_FIGURES))
    change = comparison.actual - comparison.baseline
    pct = percent_change(comparison.actual, comparison.baseline)
    return _Figures(
        actual=comparison.actual,
        baseline=comparison.baseline,
        **change_figures("change", comparison.actual, comparison.baseline),
        change_phrase=change_phrase(change, pct),
        numerator=_int(comparison.numerator),
        denominator=_int(comparison.denominator),
    )


def change_figures(name: str, new: float, old: float) -> dict[str, Any]:
    """A change and the ways a template may word it: {name}, abs_{name}, {name}_pct,
    abs_{name}_pct, {name}_word, {name}_noun."""
    change = new - old
    pct = percent_change(new, old)
    return {
        name: change,
        f"abs_{name}": abs(change),
        f"{name}_pct": pct,
        f"abs_{name}_pct": None if pct is None else abs(pct),
        f"{name}_word": change_word(change),
        f"{name}_noun": change_noun(change),
    }


def _int(value: float | None) -> int | None:
    return None if value is None or math.isnan(value) else round(value)


def status_figures(result: QuarterResult, history: list[QuarterResult]) -> _Figures:
    """Every figure a template may name for one measure in one quarter."""
    figures = comparison_figures(result.ytd)
    figures.update(dict.fromkeys(STATUS_FIGURES))
    figures["quarter"] = f"Q{result.quarter}"
    figures["year"] = result.year
    figures["baseline_year"] = result.baseline_year
    figures["unit"] = result.measure.metric.unit
    if result.ytd is not None and result.target is not None:
        vs_target = result.ytd.actual - result.target
        pct = percent_change(result.ytd.actual, result.target)
        figures.update(
            target=result.target,
            vs_target=vs_target,
            abs_vs_target=abs(vs_target),
            vs_target_pct=pct,
            abs_vs_target_pct=None if pct is None else abs(pct),
            target_side="above" if vs_target > 0 else "below" if vs_target < 0 else "on",
            data_to=result.data_to,
            months=month_span([pd.Period(m, freq="M") for m in result.months]) or None,
        )
    if result.projection is not None and result.annual_baseline:
        figures.update(
            projection=result.projection,
            annual_baseline=result.annual_baseline,
            **change_figures("projection_change", result.projection, result.annual_baseline),
        )
    elif result.projection is not None:
        figures["projection"] = result.projection
    figures.update(
        projection_low=result.projection_low,
        projection_high=result.projection_high,
        p_value=result.p_value,
        significance=result.significance or None,
    )
    figures["quarter_trend"] = quarter_trend(history)
    figures["rest"] = _listing([f"{n} {_lower_first(item)}" for item, n in result.rest.items()])
    for name, comparison in result.context.items():
        figures[name] = comparison_figures(comparison)
    figures["breakdown"] = breakdown_figures(result)
    for earlier in history:
        if earlier.quarter != result.quarter:
            figures[f"Q{earlier.quarter}"] = comparison_figures(earlier.quarter_only)
    figures[f"Q{result.quarter}"] = comparison_figures(result.quarter_only)
    return figures


def breakdown_figures(result: QuarterResult) -> _Figures:
    """Counts of items (wards, streets) that went down or up, and the exceptions named."""
    items = result.breakdown
    if not items:
        return _Figures(dict.fromkeys(BREAKDOWN_FIGURES))
    unit = result.measure.metric.breakdown.unit if result.measure.metric.breakdown else ""

    def named(subset: list[tuple[str, Comparison]]) -> str | None:
        return _listing(
            [
                f"{label} ({_signed(c.actual - c.baseline)}{' ' + unit if unit else ''})"
                for label, c in subset
            ]
        )

    reduced = [(label, c) for label, c in items if c.actual < c.baseline]
    increased = [(label, c) for label, c in items if c.actual > c.baseline]
    moved = sorted(
        (item for item in items if item[1].actual != item[1].baseline),
        key=lambda item: -abs(item[1].actual - item[1].baseline),
    )
    return _Figures(
        count=len(items),
        names=_listing([label for label, _ in items]),
        moved_most=named(moved[:MOVED_MOST]),
        reduced=len(reduced),
        increased=len(increased),
        unchanged=len(items) - len(reduced) - len(increased),
        not_reduced=named([(label, c) for label, c in items if c.actual >= c.baseline]),
        not_increased=named([(label, c) for label, c in items if c.actual <= c.baseline]),
    )


def quarter_trend(history: list[QuarterResult]) -> str | None:
    """'increased in Q1 but reduced in Q2': each quarter against the same quarter of the baseline."""
    words = [
        (change_word(r.quarter_only.actual - r.quarter_only.baseline), f"Q{r.quarter}")
        for r in history
        if r.quarter_only is not None
        and not math.isnan(r.quarter_only.actual - r.quarter_only.baseline)
    ]
    if not words:
        return None
    text = f"{words[0][0]} in {words[0][1]}"
    for (previous, _), (word, quarter) in itertools.pairwise(words):
        text += f" {'and' if word == previous else 'but'} {word} in {quarter}"
    return text


def _signed(value: float) -> str:
    return f"{value:+.0f}" if float(value).is_integer() else f"{value:+.1f}"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _listing(items: list[str]) -> str | None:
    if not items:
        return None
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


class Notes:
    """The typed text comments carry: availability notes by extract and quarter, and the analyst's
    notes by measure and quarter; indexed once for every comment of a run."""

    def __init__(self, commentary: pd.DataFrame, inventory: pd.DataFrame, year: str) -> None:
        noted = inventory[(inventory["year"] == year) & (inventory["note"].fillna("") != "")]
        self.availability = list(noted[["source", "quarter", "note"]].itertuples(index=False))
        self.analyst = list(commentary[["measure", "quarter", "note"]].itertuples(index=False))

    def for_measure(self, measure_id: str, quarter: str, sources: tuple[str, ...]) -> list[str]:
        notes = [n for s, q, n in self.availability if s in sources and q == quarter]
        notes += [n for m, q, n in self.analyst if m == measure_id and q == quarter]
        return list(dict.fromkeys(n.strip() for n in notes if n and n.strip()))


def notes_for(
    measure_id: str,
    quarter: str,
    sources: tuple[str, ...],
    commentary: pd.DataFrame,
    inventory: pd.DataFrame,
    year: str,
) -> list[str]:
    """Typed text for a measure's comment: availability notes for its extracts, then the analyst's."""
    return Notes(commentary, inventory, year).for_measure(measure_id, quarter, sources)


def write_comments(
    results: list[QuarterResult], commentary: pd.DataFrame, inventory: pd.DataFrame, year: str
) -> list[str]:
    """One comment per result: notes first, then the computed sentence (or the no-data reason)."""
    comments = []
    notes_of = Notes(commentary, inventory, year)
    for result in results:
        history = [
            r for r in results if r.measure.id == result.measure.id and r.quarter <= result.quarter
        ]
        figures = status_figures(result, history)
        with_data = [r for r in history if r.has_data]
        figures["latest"] = (
            status_figures(with_data[-1], [r for r in with_data]) if with_data else _Figures()
        )
        notes = notes_of.for_measure(
            result.measure.id, f"Q{result.quarter}", result.measure.metric.sources
        )
        computed = render(result.measure.comment, figures)
        if not result.has_data and not notes and not computed:
            computed = f"No data: {result.reason}."
        comments.append(" ".join(p.strip() for p in [*notes, computed] if p))
    return comments
