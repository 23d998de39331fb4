"""rate: records per `per` residents (1,000 by default), from a population the plan states with its
source. The count behind the rate is what varies by chance, so the test and the projection's
interval are worked on the count and scaled back to the rate."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from csp.kinds.base import (
    Comparison,
    EventCounts,
    Judged,
    KindOptions,
    MeasureKind,
    Projection,
    Span,
    count_by_month,
    count_codes,
    count_projection,
    poisson_test,
)


class Population(KindOptions):
    value: float = Field(gt=0)
    """The number of residents."""
    source: str = Field(min_length=1)
    """Where the figure comes from (`Census 2021`), shown with the measure."""


class RateOptions(KindOptions):
    population: Population
    """The residents the rate is per: `{value: 8600, source: Census 2021}`."""
    per: int = Field(default=1000, gt=0)
    """Records per this many residents."""


class Rate(MeasureKind):
    """Records per 1,000 (or `per`) residents of the population the plan states; tested and
    projected on the count."""

    name = "rate"
    Options = RateOptions

    def monthly(self, in_year: pd.DataFrame, options: RateOptions) -> tuple[pd.Series, None]:
        """The count by month: the population is the plan's, the same every month."""
        return count_by_month(in_year), None

    def month_counts(
        self, records: pd.DataFrame, codes: np.ndarray, months: int, options: RateOptions
    ) -> tuple[np.ndarray, None]:
        return count_codes(codes, months), None

    def figure(
        self, values: np.ndarray, denominators: np.ndarray, options: RateOptions
    ) -> np.ndarray:
        return values * options.per / options.population.value

    def compare(self, this: Span, base: Span, options: RateOptions) -> Comparison | None:
        scale = options.per / options.population.value
        count, base_count = this.figure(), base.figure()
        if count is None or base_count is None:
            return None
        return Comparison(
            actual=count * scale,
            baseline=base_count * scale,
            numerator=count,
            denominator=options.population.value,
            baseline_numerator=base_count,
            baseline_denominator=options.population.value,
        )

    def test(
        self, comparison: Comparison, target: float, judged: Judged, options: RateOptions
    ) -> tuple[float | None, str]:
        """The count against the count the target rate means for this population."""
        scale = options.per / options.population.value
        return poisson_test(comparison.numerator or 0.0, target / scale, judged)

    def event_counts(self, actual: float, baseline: float, options: RateOptions) -> EventCounts:
        """The counts behind the two rates: the population is the same in both years."""
        residents = options.population.value
        return EventCounts(
            actual=actual * residents / options.per,
            baseline=baseline * residents / options.per,
            residents=residents,
            per=options.per,
        )

    def project(
        self, comparison: Comparison, elapsed_share: float, level: float, options: RateOptions
    ) -> Projection:
        scale = options.per / options.population.value
        point, low, high = count_projection(comparison.numerator or 0.0, elapsed_share, level)
        return point * scale, low * scale, high * scale

    def format(self, value: float | None) -> str:
        if value is None or math.isnan(value):
            return "–"
        return f"{value:,.2f}"

    def axis_label(self, unit: str, options: Any) -> str:
        return f"{unit} per {options.per:,} residents"
