"""proportion: records meeting the numerator's filter out of all the measure's records, by month
(snapshots: the rows of each quarter's file); judged as a percentage with the counts beside it."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from csp.domain.records import Condition, condition_mask, filter_rows
from csp.kinds.base import (
    Comparison,
    Judged,
    KindOptions,
    MeasureKind,
    Projection,
    Span,
    count_by_month,
    count_codes,
)
from csp.stats import significance


class ProportionOptions(KindOptions):
    numerator: tuple[Condition, ...] = Field(min_length=1)
    """Which of the figure's records count as successes: filters as in `where` (`{planned: true}`).
"""
    rest_by: str | None = None
    """Name the records outside the numerator by this column, for comments."""


class Proportion(MeasureKind):
    """A share of the records as a percentage: planned exits of all exits, cohort members in
    treatment."""

    name = "proportion"
    Options = ProportionOptions
    column_options = ("rest_by",)
    condition_options = ("numerator",)
    level = True

    def columns(self, options: ProportionOptions) -> tuple[str, ...]:
        return tuple(c.column for c in options.numerator)

    def monthly(
        self, in_year: pd.DataFrame, options: ProportionOptions
    ) -> tuple[pd.Series, pd.Series]:
        successes = filter_rows(in_year, options.numerator)
        return count_by_month(successes), count_by_month(in_year)

    def month_counts(
        self, records: pd.DataFrame, codes: np.ndarray, months: int, options: ProportionOptions
    ) -> tuple[np.ndarray, np.ndarray]:
        successes = condition_mask(records, options.numerator).to_numpy()
        return count_codes(codes[successes], months), count_codes(codes, months)

    def figure(self, values: np.ndarray, denominators: np.ndarray, options: Any) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return 100 * values / np.where(denominators > 0, denominators, np.nan)

    def compare(self, this: Span, base: Span, options: Any) -> Comparison | None:
        num, den = this.figure(), this.figure(denominators=True)
        bnum, bden = base.figure(), base.figure(denominators=True)
        if this.latest and (num is None or bnum is None):
            return None
        return Comparison(
            actual=100 * num / den if den else math.nan,
            baseline=100 * bnum / bden if bden else math.nan,
            numerator=num,
            denominator=den,
            baseline_numerator=bnum,
            baseline_denominator=bden,
        )

    def unusable(self, comparison: Comparison, annual_baseline: bool, baseline_year: str) -> str:
        if not comparison.denominator:
            return "no records to take a proportion of"
        if not annual_baseline and not comparison.baseline_denominator:
            return f"no records in the baseline months of {baseline_year} to take a proportion of"
        return ""

    def test(
        self, comparison: Comparison, target: float, judged: Judged, options: Any
    ) -> tuple[float | None, str]:
        if not comparison.denominator or not 0 <= target <= 100:
            return None, ""
        result = significance.judge_proportion(
            round(comparison.numerator),
            round(comparison.denominator),
            target / 100,
            direction=judged.direction,
            lower_is_better=judged.lower_is_better,
            alpha=judged.alpha,
        )
        return result.p_value, result.label

    def project(
        self, comparison: Comparison, elapsed_share: float, level: float, options: Any
    ) -> Projection:
        """A proportion does not accumulate: the year end is this year's figure, with its
        Wilson interval."""
        if not comparison.denominator:
            return comparison.actual, None, None
        low, high = significance.wilson_interval(
            round(comparison.numerator), round(comparison.denominator), level
        )
        return comparison.actual, 100 * low, 100 * high

    def format(self, value: float | None) -> str:
        if value is None or math.isnan(value):
            return "–"
        return f"{value:.1f}%"
