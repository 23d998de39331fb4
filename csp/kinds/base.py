"""What every measure kind answers, so the engine can ask instead of comparing names.

A kind turns one year's records into monthly figures (a value, and a denominator where the figure is
a ratio), says how a year to date is compared with its baseline, which test separates a real gap
from chance, how the year end is projected, and how its figures read.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from csp.domain.records import MONTH
from csp.stats import significance


class KindOptions(BaseModel):
    """A kind's own keys in a plan's `metric` entry; unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Comparison:
    """A figure for some months of this year beside the same months of the baseline year."""

    actual: float
    baseline: float
    numerator: float | None = None
    denominator: float | None = None
    baseline_numerator: float | None = None
    baseline_denominator: float | None = None


@dataclass(frozen=True)
class EventCounts:
    """A year to date and its baseline as counts of events, what varies by chance: what a funnel
    plot compares across partnerships (csp.report.peers). A rate says the residents it is per."""

    actual: float
    baseline: float
    residents: float | None = None
    per: int | None = None


@dataclass(frozen=True)
class Span:
    """Monthly values (and denominators) of the months being compared, in month order."""

    values: np.ndarray
    denominators: np.ndarray
    latest: bool  # judged on the latest month's figure (snapshots, supplied levels), not a sum

    def total(self, denominators: bool = False) -> float:
        return float(np.nansum(self.denominators if denominators else self.values))

    def last(self, denominators: bool = False) -> float | None:
        column = self.denominators if denominators else self.values
        present = column[~np.isnan(column)]
        return float(present[-1]) if present.size else None

    def figure(self, denominators: bool = False) -> float | None:
        """The span's figure: the latest month's, or the sum of its months."""
        return self.last(denominators) if self.latest else self.total(denominators)


@dataclass(frozen=True)
class Judged:
    """What a significance test needs to know about the measure besides the figures."""

    direction: str
    lower_is_better: bool
    alpha: float


Projection = tuple[float | None, float | None, float | None]


class MeasureKind(ABC):
    """One kind of measure figure. Subclasses register themselves in `csp.kinds.KINDS`."""

    name: ClassVar[str]
    Options: ClassVar[type[KindOptions]] = KindOptions
    column_options: ClassVar[tuple[str, ...]] = ()  # options naming a column of the extracts
    condition_options: ClassVar[tuple[str, ...]] = ()  # options holding filters on the records
    sums_months: ClassVar[bool] = True  # a year to date is the sum of its months
    level: ClassVar[bool] = False  # a level (a percentage, a survey figure), not a running total
    zero_when_no_records: ClassVar[bool] = True  # a covered month with no records counts 0
    counts_within_year: ClassVar[bool] = (
        False  # a month's figure depends on the year's earlier months
    )

    order_columns: ClassVar[tuple[str, ...]] = ()  # the common columns `monthly` orders records by

    def columns(self, options: Any) -> tuple[str, ...]:
        """The extract columns `monthly` reads besides the month (and `order_columns`)."""
        return ()

    @abstractmethod
    def monthly(self, in_year: pd.DataFrame, options: Any) -> tuple[pd.Series, pd.Series | None]:
        """Value (and denominator) by month ('YYYY-MM') from one year's records."""

    def month_counts(
        self, records: pd.DataFrame, codes: np.ndarray, months: int, options: Any
    ) -> tuple[np.ndarray, np.ndarray | None] | None:
        """`monthly` as counts by month code (each record's month, 0 to `months` - 1, -1 for none)
        for a kind whose figures count records: one pass over many years' records, no frames.
        None (the default) where `monthly` must be asked."""
        return None

    def figure(self, values: np.ndarray, denominators: np.ndarray, options: Any) -> np.ndarray:
        """The monthly figure readers see and control charts plot."""
        return values

    def compare(self, this: Span, base: Span, options: Any) -> Comparison | None:
        """The year to date against the baseline months; None when a figure is missing."""
        actual, baseline = this.figure(), base.figure()
        if actual is None or baseline is None:
            return None
        return Comparison(actual=actual, baseline=baseline)

    def unusable(self, comparison: Comparison, annual_baseline: bool, baseline_year: str) -> str:
        """Why a comparison cannot be judged ('' when it can)."""
        return ""

    def test(
        self, comparison: Comparison, target: float, judged: Judged, options: Any
    ) -> tuple[float | None, str]:
        """p-value against the target and its label; (None, '') when no test applies."""
        return None, ""

    def event_counts(self, actual: float, baseline: float, options: Any) -> EventCounts | None:
        """The year to date and its baseline (as statuses.csv has them) as counts of events, for
        comparing partnerships; None where the figure is no count (a percentage, a level)."""
        return None

    def project(
        self, comparison: Comparison, elapsed_share: float, level: float, options: Any
    ) -> Projection:
        """Year-end figure with its interval, from the year to date."""
        return comparison.actual, None, None

    def format(self, value: float | None) -> str:
        """A figure as the dashboard shows it."""
        if value is None or math.isnan(value):
            return "–"
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"

    def axis_label(self, unit: str, options: Any) -> str:
        """What the chart's y axis says."""
        return unit


def count_by_month(records: pd.DataFrame) -> pd.Series:
    return count_months(records[MONTH])


def count_codes(codes: np.ndarray, months: int) -> np.ndarray:
    """Records by month code (-1: outside the months counted)."""
    return np.bincount(codes[codes >= 0], minlength=months)


def count_months(months: pd.Series) -> pd.Series:
    """Records by month. Months the engine made categories (`metrics.StackedRecords`) are counted
    on their codes, every category (0 where none): `value_counts` costs ten times as much."""
    if isinstance(months.dtype, pd.CategoricalDtype):
        codes = months.array.codes
        categories = months.array.categories
        return pd.Series(count_codes(codes, len(categories)), categories)
    return months.value_counts()


def poisson_test(actual: float, target: float, judged: Judged) -> tuple[float | None, str]:
    """Exact Poisson test of a count against its target count."""
    result = significance.judge_count(
        round(actual),
        max(target, 0.0),
        direction=judged.direction,
        lower_is_better=judged.lower_is_better,
        alpha=judged.alpha,
    )
    return result.p_value, result.label


def count_projection(count: float, elapsed_share: float, level: float) -> Projection:
    """Run-rate projection of a count with its predictive interval."""
    return significance.projection_interval(count, min(elapsed_share, 1.0), level)
