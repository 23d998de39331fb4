"""The figures a comment template may name, and the check of a template against them.

A leaf (no pandas, nothing of csp), so that loading a plan checks its templates without importing
the engine that computes the figures (`csp.engine.comments`).
"""

from __future__ import annotations

import string

COMPARISON_FIGURES = (
    "actual",
    "baseline",
    "change",
    "abs_change",
    "change_pct",
    "abs_change_pct",
    "change_word",
    "change_noun",
    "change_phrase",
    "numerator",
    "denominator",
)
STATUS_FIGURES = (
    "target",
    "vs_target",
    "abs_vs_target",
    "vs_target_pct",
    "abs_vs_target_pct",
    "target_side",
    "projection",
    "projection_low",
    "projection_high",
    "p_value",
    "significance",
    "annual_baseline",
    "projection_change",
    "abs_projection_change",
    "projection_change_pct",
    "abs_projection_change_pct",
    "projection_change_word",
    "projection_change_noun",
    "data_to",
    "months",
    "quarter",
    "year",
    "baseline_year",
    "quarter_trend",
    "rest",
    "unit",
)
BREAKDOWN_FIGURES = (
    "count",
    "reduced",
    "increased",
    "unchanged",
    "not_reduced",
    "not_increased",
    "names",
    "moved_most",
)
QUARTERS = ("Q1", "Q2", "Q3", "Q4")
FIGURES = COMPARISON_FIGURES + STATUS_FIGURES


def template_fields(template: str) -> list[str]:
    """The figure names a template uses, e.g. ['police.change_word', 'actual']."""
    try:
        return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise ValueError(f"template {template!r} is not valid: {exc}") from exc


def check_template(template: str, context_names: set[str]) -> None:
    """Refuse a template naming a figure the engine does not compute."""
    for name in template_fields(template):
        parts = name.split(".")
        known = _known(parts, context_names)
        if not known:
            raise ValueError(
                f"template names '{{{name}}}', a figure the engine does not compute "
                f"(figures: {', '.join(FIGURES)}; prefixes: Q1-Q4, latest, breakdown"
                + (f", {', '.join(sorted(context_names))}" if context_names else "")
                + ")"
            )


def _known(parts: list[str], context_names: set[str]) -> bool:
    if len(parts) == 1:
        return parts[0] in FIGURES
    if len(parts) != 2:
        return False
    prefix, figure = parts
    if prefix in QUARTERS or prefix == "latest":
        return figure in FIGURES
    if prefix == "breakdown":
        return figure in BREAKDOWN_FIGURES
    return prefix in context_names and figure in COMPARISON_FIGURES
